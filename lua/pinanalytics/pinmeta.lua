--- Pins as people know them: each pin's title (or the start of its
-- description when it has none), its board, a link to it and its picture,
-- for the reports (`pinanalytics.report`, `opts.meta`) and the store.
--
-- `from_pin` makes what a report shows of a pin from `GET /pins/{pin_id}`
-- (or an item of `GET /pins`); `fetch` asks for many pins, one request a
-- pin, paced by the client as every request of its `org_read` category;
-- `boards` reads the board names (`GET /boards`). A pin whose metadata could
-- not be fetched has an entry that says why (`error`), so that a report shows
-- it by id with a note, never silently without its title.
--
-- Text from the API is cleaned (`pinanalytics.format.clean`: no control
-- character, no bidirectional control, UTF-8 repaired) and cut; the reports
-- escape it for their format. A pin's link is built from its id
-- (`https://www.pinterest.com/pin/<id>/`), never taken from the API; an
-- image is kept only when its URL is https.
-- @usage
-- local pinmeta = require "pinanalytics.pinmeta"
-- local meta = pinmeta.fetch(client, { "813744226420795884", "729090764583391194" })
-- print(pa.report.render("text", pa.report.pins(results, { meta = meta })))
local format = require "pinanalytics.format"

local M = {}

--- How many characters of a title are kept.
M.TITLE_CHARS = 200
--- How many characters of a description are kept: its start, shown when a pin has no title.
M.DESCRIPTION_CHARS = 100
--- How many characters an https URL (an image's, a destination's) may have.
M.URL_CHARS = 2048

local function is_pin_id(v)
  return type(v) == "string" and v:match("^%d+$") ~= nil and #v <= 40
end

--- The link to a pin, built from its id: `https://www.pinterest.com/pin/<id>/`;
-- nil for anything but a pin id (a string of digits).
-- @string id
-- @treturn string|nil
function M.url(id)
  if not is_pin_id(id) then return nil end
  return "https://www.pinterest.com/pin/" .. id .. "/"
end

--- An https URL as given, or nil: anything else (http, javascript:, data:,
-- a relative URL, a URL with a space, a quote, a control character or
-- angle brackets, or longer than `URL_CHARS`) is refused.
-- @param u any value
-- @treturn string|nil
function M.https(u)
  if type(u) ~= "string" or #u > M.URL_CHARS then return nil end
  if not (u:match("^https://%w[%w%-%.]*$") or u:match("^https://%w[%w%-%.]*[:/%?#]")) then return nil end
  if u:find("[^%w%-%._~:/%?#%[%]@!%$&%(%)%*%+,;=%%]") then return nil end
  return u
end

-- A text of the API as shown: cleaned, white space made single spaces, cut
-- to n characters (ending in "…"); nil for anything else or an empty text.
local function text(v, n)
  if type(v) ~= "string" then return nil end
  local s = format.clean(v):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if s == "" then return nil end
  return format.truncate(s, n)
end

local SIZES = { "150x150", "400x300", "600x", "1200x" }

-- The https URL of the smallest image of an `images` object, or nil.
local function image_in(images)
  if type(images) ~= "table" then return nil end
  for _, k in ipairs(SIZES) do
    local im = images[k]
    local u = type(im) == "table" and M.https(im.url)
    if u then return u end
  end
  return nil
end

--- The https URL of a pin's picture, the smallest the API gives, from its
-- `media` (an image's `images`, a video's cover, the first item of several),
-- or nil.
-- @tab media a pin's `media`
-- @treturn string|nil
function M.image_url(media)
  if type(media) ~= "table" then return nil end
  local u = image_in(media.images) or M.https(media.cover_image_url)
  if u then return u end
  if type(media.items) == "table" and type(media.items[1]) == "table" then
    local item = media.items[1]
    return image_in(item.images) or M.https(item.cover_image_url) or M.https(item.url)
  end
  return nil
end

--- What a report shows of a pin, from the API's pin (`GET /pins/{pin_id}`,
-- or an item of `GET /pins`): `{ title, description, board_id, board_name,
-- link, image_url }`, each absent when the API gives none (or one that
-- cannot be used: a link or an image that is not https).
-- @tab pin the API's pin
-- @tab[opt] boards board names by board id (`boards`)
-- @treturn table
function M.from_pin(pin, boards)
  if type(pin) ~= "table" then return {} end
  local board_id = type(pin.board_id) == "string" and pin.board_id:match("^%d+$") and #pin.board_id <= 40 and
    pin.board_id or nil
  local name = board_id and type(boards) == "table" and boards[board_id] or nil
  return {
    title = text(pin.title, M.TITLE_CHARS),
    description = text(pin.description, M.DESCRIPTION_CHARS),
    board_id = board_id,
    board_name = text(name, M.TITLE_CHARS),
    link = M.https(pin.link),
    image_url = M.image_url(pin.media),
  }
end

--- Why a pin's metadata could not be fetched, in a few words: "not found
-- (HTTP 404)", "auth (HTTP 401)", ...
-- @tparam pinanalytics.errors.Error err
-- @treturn string
function M.reason(err)
  if type(err) ~= "table" then return tostring(err) end
  local what = err.status == 404 and "not found" or tostring(err.kind or "error")
  return what .. (type(err.status) == "number" and string.format(" (HTTP %d)", err.status) or "")
end

--- The token user's board names by board id (`GET /boards`, every page).
-- @tparam pinanalytics.pinterest.Client client
-- @treturn[1] table names by board id
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function M.boards(client)
  local pager = client:list_boards({ page_size = 250 })
  local out = {}
  -- page by page: a task on Lua 5.1 cannot yield through a pager's iterator
  while true do
    local items = pager:next_page()
    if not items then break end
    for _, b in ipairs(items) do
      if type(b) == "table" and type(b.id) == "string" and type(b.name) == "string" then out[b.id] = b.name end
    end
  end
  if pager.err then return nil, pager.err end
  return out
end

-- errors after which the next request would fail the same way: the rest are
-- not asked
local STOPS = { auth = true, quota = true, interrupted = true }

--- The metadata of many pins, by pin id: `GET /pins/{pin_id}` a pin, sent
-- together (`Client:pins`: the bulk engine, each request paced in the
-- client's `org_read` category and retried by the client's policy), and the
-- board names once (`GET /boards`) when a pin has a board. Every pin asked
-- is in the answer: its `from_pin`, or `{ error = "not found (HTTP 404)" }`
-- when it could not be fetched. After a quota error the pins not asked yet
-- get that error too, without a request; after an error that would stop
-- every other request (auth, quota) the board names are not asked.
-- @tparam pinanalytics.pinterest.Client client
-- @tparam {string,...} ids pin ids
-- @tab[opt] opts
-- @tab[opt] opts.boards board names by id, known already (no `GET /boards`)
-- @tparam[opt] table opts.items pins known already (items of `GET /pins`) by id: no request for them
-- @treturn table metadata by pin id
-- @treturn table the errors by pin id (and `boards` when the board names could not be read)
function M.fetch(client, ids, opts)
  opts = opts or {}
  local out, errs, pins, ask, asked = {}, {}, {}, {}, {}
  local stop
  for _, id in ipairs(ids) do
    if out[id] == nil and pins[id] == nil and not asked[id] then
      local known = opts.items and opts.items[id]
      if known then
        pins[id] = known
      elseif not is_pin_id(id) then
        out[id] = { error = "not a pin id" }
      else
        asked[id] = true
        ask[#ask + 1] = id
      end
    end
  end
  if #ask > 0 then
    -- together, through the bulk engine; the client's on_progress (a bar of
    -- the analytics) is not told of these requests
    local hook = client.on_progress
    client.on_progress = nil
    -- (runtime.pcall: a task on Lua 5.1 yields through it)
    local ok, got, perrs = require("pinanalytics.runtime").pcall(client.pins, client, ask)
    client.on_progress = hook
    if not ok then error(got, 0) end
    for _, id in ipairs(ask) do
      if got[id] then
        pins[id] = got[id]
      else
        local err = perrs[id]
        errs[id] = err
        out[id] = { error = M.reason(err) }
        if type(err) == "table" and STOPS[err.kind] then stop = err end
      end
    end
  end
  local boards = opts.boards
  if not boards and not stop then
    local any = false
    for _, p in pairs(pins) do if type(p) == "table" and p.board_id ~= nil then any = true end end
    if any then
      local berr
      boards, berr = M.boards(client)
      if not boards then errs.boards = berr end
    end
  end
  for id, p in pairs(pins) do out[id] = M.from_pin(p, boards) end
  return out, errs
end

return M
