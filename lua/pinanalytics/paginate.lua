--- Bookmark pagination: the pagers the list methods of the clients return.
--
-- Pinterest's list endpoints answer `{items = [...], bookmark = "..." | null}`;
-- the next page is asked for with `?bookmark=<that value>`, and the list ends
-- when the bookmark is null, absent or empty.
--
-- A bookmark the server already gave is an error (kind "invalid_response"),
-- never an endless loop. A pager can be iterated once; make a new one to
-- start again. A pager of a closed client raises.
-- @usage
-- local pager = client:list_pins{ page_size = 250 }
-- for pin in pager:items() do print(pin.id) end   -- every item
-- if pager.err then print(pager.err) end          -- set when a page failed
--
-- for items, n in client:list_boards():pages() do print(n, #items) end   -- page by page
--
-- local all, err = client:list_pins():all{ limit = 1000 }  -- collected; on failure nil, err
--                                                          -- with err.items = what came before
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"
local schema = require "pinanalytics.schema"

local M = {}

local Pager = {}
Pager.__index = Pager
Pager.__name = "pinanalytics.Pager"

--- A pager over a list endpoint.
-- @func fetch `fetch(bookmark_or_nil)` returns `true, page` (the decoded answer) or `false, err`
-- @tab[opt] opts
-- @string[opt] opts.endpoint names the endpoint in errors ("GET /pins")
-- @tparam[opt] {string,...} opts.secrets removed from errors, as for `pinanalytics.errors.new`
-- @treturn Pager
function M.new(fetch, opts)
  opts = opts or {}
  return setmetatable({
    fetch = fetch, endpoint = opts.endpoint, secrets = opts.secrets,
    bookmark = nil, seen = {}, done = false, pages_fetched = 0, items_fetched = 0, err = nil,
  }, Pager)
end

local function fail(self, fields)
  fields.endpoint = fields.endpoint or self.endpoint
  self.err = errors.new(fields, self.secrets)
  self.done = true
  return nil
end

--- A pager, made by a list method of a client (or `new`). Its field `err`
-- is set when a page failed.
-- @type Pager

--- Fetches the next page. A page whose bookmark repeats is still delivered;
-- the error comes after it.
-- @treturn {table,...}|nil its items; nil at the end or on an error (then `pager.err` is set)
function Pager:next_page()
  if self.done then return nil end
  local ok, page = self.fetch(self.bookmark)
  if not ok then
    self.err = page
    self.done = true
    return nil
  end
  local n = self.pages_fetched + 1
  local t = schema.json_type(page)
  if t ~= "object" and t ~= "empty" then
    return fail(self, { kind = "invalid_response", path = "$", body = page,
      message = "page " .. n .. " is not an object {items, bookmark}, got " .. t })
  end
  local items = page.items
  local it = schema.json_type(items)
  if items == nil or (it ~= "array" and it ~= "empty") then
    return fail(self, { kind = "invalid_response", path = "$.items", body = page,
      message = "page " .. n .. " has no items array (got " .. it .. ")" })
  end
  local bm = page.bookmark
  if bm == nil or bm == core.null or bm == "" then
    self.done = true
  elseif type(bm) ~= "string" then
    return fail(self, { kind = "invalid_response", path = "$.bookmark", body = page,
      message = "page " .. n .. " has a bookmark that is not a string (" .. schema.json_type(bm) .. ")" })
  elseif self.seen[bm] then
    -- this page is new, but following its bookmark would fetch pages
    -- already delivered: deliver it, then stop with an error
    fail(self, { kind = "invalid_response", path = "$.bookmark",
      message = "page " .. n .. " returned a bookmark already seen on page " .. self.seen[bm] ..
        "; stopping instead of looping" })
  else
    self.seen[bm] = n
    self.bookmark = bm
  end
  self.pages_fetched = n
  self.items_fetched = self.items_fetched + #items
  return items
end

--- The pages, for a generic for.
-- @treturn function an iterator giving items, page_number
-- @usage for items, n in pager:pages() do print(n, #items) end
function Pager:pages()
  return function()
    local items = self:next_page()
    if items then return items, self.pages_fetched end
  end
end

--- Every item of every page, for a generic for.
-- @treturn function an iterator giving an item
-- @usage for pin in pager:items() do print(pin.id) end
function Pager:items()
  local items, i = nil, 0
  return function()
    while true do
      if items and i < #items then
        i = i + 1
        return items[i]
      end
      items = self:next_page()
      i = 0
      if not items then return nil end
    end
  end
end

--- Collects the items.
-- @tab[opt] opts
-- @int[opt] opts.limit at most this many (no more pages are fetched once it is reached)
-- @treturn[1] {table,...} the items
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error with `err.items`, the items collected before
function Pager:all(opts)
  local limit = opts and opts.limit
  if limit ~= nil and (type(limit) ~= "number" or limit < 1) then
    error("pinanalytics: pager:all{limit = N} needs a number >= 1, got " .. tostring(limit), 2)
  end
  local out = {}
  for item in self:items() do
    out[#out + 1] = item
    if limit and #out >= limit then return out end
  end
  if self.err then
    self.err.items = out
    return nil, self.err
  end
  return out
end

return M
