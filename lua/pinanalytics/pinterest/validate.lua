--- The argument checks of the Pinterest client: ids, dates, parameters.
--
-- A programmer error raises at once with a message that names the method,
-- the parameter, the value given and what is allowed, prefixed
-- "pinanalytics.pinterest:<method>: ". The parameter kinds (`param`) turn a
-- checked value into what goes on the wire; `query` checks a whole params
-- table against an endpoint's description (see
-- `pinanalytics.pinterest.organic`) and builds the query. Internal: used by
-- `pinanalytics.pinterest` and the endpoint tables.
local check = require "pinanalytics.check"
local dates = require "pinanalytics.dates"

local M = {}

local fail = check.failer("pinanalytics.pinterest")
local show = check.show

--- Raises "pinanalytics.pinterest:<fn>: <message>" (`fail(fn, fmt, ...)`).
M.fail = fail
--- A value as an error message shows it (`pinanalytics.check.show`).
M.show = show

--- The set of a list's values.
-- @tab list
-- @treturn table value -> true
function M.set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local set_of = M.set_of

--- Enum values go into query strings unescaped (see `query`): each must be a
-- plain name. Raises otherwise (a mistake in an endpoint table).
-- @tab list
-- @treturn table value -> true
function M.url_safe_set(list)
  for _, v in ipairs(list) do
    if not v:match("^[%w_]+$") then error("pinanalytics.pinterest: enum value " .. v .. " needs escaping", 2) end
  end
  return set_of(list)
end
local url_safe_set = M.url_safe_set

--- Is v a string of digits (of at most maxlen)?
-- @param v
-- @int[opt] maxlen
-- @treturn boolean
function M.is_digits(v, maxlen)
  return type(v) == "string" and v:match("^%d+$") ~= nil and (not maxlen or #v <= maxlen)
end
local is_digits = M.is_digits

--- Checks an id: a string of digits (of at most maxlen); raises naming the
-- method fn and the parameter name.
-- @string fn the method
-- @string name the parameter
-- @param v the value given
-- @int[opt] maxlen
-- @return v
function M.digits(fn, name, v, maxlen)
  if not is_digits(v, maxlen) then
    fail(fn, "%s must be a string of digits%s, got %s", name,
      maxlen and (" (at most " .. maxlen .. ")") or "", show(v))
  end
  return v
end
local check_digits = M.digits

--- Parameter kinds. Each checks `(fn, name, v)` and returns the wire value: a
-- string, or an array of strings for a key sent once per value.
local P = {}
M.param = P

--- One of the allowed names.
function P.enum(allowed)
  local ok = url_safe_set(allowed)
  return function(fn, name, v)
    if type(v) ~= "string" or not ok[v] then
      fail(fn, "%s = %s is not allowed (allowed: %s)", name, show(v), table.concat(allowed, ", "))
    end
    return v
  end
end

--- A string of digits (of at most maxlen).
function P.digits(maxlen)
  return function(fn, name, v) return check_digits(fn, name, v, maxlen) end
end

--- ad_account_id: a string of at most 18 digits, or a whole number >= 0
-- (below 2^53 unless a Lua 5.3+ integer: a larger float is not exact).
function P.account_id(fn, name, v)
  if type(v) == "number" then
    local exact = math.type and math.type(v) == "integer" or (v == math.floor(v) and v < 2 ^ 53)
    if exact and v >= 0 and v == math.floor(v) then return string.format("%d", v) end
  elseif is_digits(v, 18) then
    return v
  end
  fail(fn, "%s must be a string of digits (at most 18), got %s (a whole number >= 0 is taken too)", name, show(v))
end

--- A whole number min..max (and one of allowed, when given).
function P.int(min, max, allowed)
  return function(fn, name, v)
    if type(v) ~= "number" or v ~= math.floor(v) or v < min or v > max or (allowed and not set_of(allowed)[v]) then
      fail(fn, "%s = %s is not allowed (allowed: %s)", name, show(v),
        allowed and table.concat(allowed, ", ") or ("a whole number " .. min .. ".." .. max))
    end
    return string.format("%d", v)
  end
end

--- true or false.
function P.bool(fn, name, v)
  if type(v) ~= "boolean" then fail(fn, "%s must be true or false, got %s", name, show(v)) end
  return tostring(v)
end

--- An array of enum values (or one comma-separated string); duplicates
-- dropped. sep = "," sends one comma-separated value, nil repeats the key.
function P.list(allowed, sep)
  local ok = url_safe_set(allowed)
  return function(fn, name, v)
    local list = v
    if type(v) == "string" then
      list = {}
      for m in v:gmatch("[^,]+") do list[#list + 1] = m end
    elseif type(v) ~= "table" then
      fail(fn, "%s must be an array of names, got %s", name, show(v))
    end
    if #list == 0 then
      fail(fn, "%s must not be empty (allowed: %s)", name, table.concat(allowed, ", "))
    end
    local seen, dups = {}, false
    for i = 1, #list do
      local m = list[i]
      if not ok[m] then
        fail(fn, "%s[%d] = %s is not allowed (allowed: %s)", name, i, show(m), table.concat(allowed, ", "))
      end
      if seen[m] then dups = true else seen[m] = true end
    end
    local out = list
    if dups or sep == nil then
      -- a fresh array (the caller's is never kept), duplicates dropped
      out, seen = {}, {}
      for i = 1, #list do
        local m = list[i]
        if not seen[m] then seen[m] = true; out[#out + 1] = m end
      end
    end
    if sep then return table.concat(out, sep) end
    return out
  end
end

--- Parameters every dated endpoint takes besides its own.
M.DATED = { start_date = true, end_date = true, range = true, clamp = true }
local DATED = M.DATED

--- start_date/end_date (or range) against an endpoint's date rules.
-- @string fn the method
-- @tab p the params
-- @tab rules `{ lookback = days start_date may be before today, range = days end_date may be after start_date }`
-- @func[opt] clock seconds since the epoch (decides "today", UTC)
-- @return start, end (strings) and, when clamp = true cut the start, the dropped range
function M.dates(fn, p, rules, clock)
  local s, e = p.start_date, p.end_date
  if p.range ~= nil then
    if s ~= nil or e ~= nil then
      fail(fn, "give either range or start_date/end_date, not both")
    end
    local r, why = dates.resolve(p.range, { clock = clock })
    if not r then fail(fn, "%s", why) end
    s, e = r.start_date, r.end_date
  end
  if s == nil then fail(fn, "start_date is required (a UTC date YYYY-MM-DD), or give range") end
  if e == nil then fail(fn, "end_date is required (a UTC date YYYY-MM-DD), or give range") end
  local sn, why = dates.parse(s)
  if not sn then fail(fn, "start_date = %s is not a valid date: %s (expected a real calendar date YYYY-MM-DD)", show(s), why) end
  local en
  en, why = dates.parse(e)
  if not en then fail(fn, "end_date = %s is not a valid date: %s (expected a real calendar date YYYY-MM-DD)", show(e), why) end
  if sn > en then
    fail(fn, "start_date %s is after end_date %s (allowed: start_date <= end_date)", s, e)
  end
  if p.clamp ~= nil and type(p.clamp) ~= "boolean" then
    fail(fn, "clamp must be true or false, got %s", show(p.clamp))
  end
  local today = dates.today_number(clock)
  local earliest = today - rules.lookback
  local dropped
  if sn < earliest then
    if p.clamp and en >= earliest then
      dropped = dates.range(sn, earliest - 1)
      sn = earliest
      s = dates.format(sn)
    else
      fail(fn, "start_date %s is %d days before today (%s UTC) (allowed: at most %d; earliest allowed date: %s%s)",
        s, today - sn, dates.format(today), rules.lookback, dates.format(earliest),
        p.clamp and "; clamp = true cannot help: the whole range is earlier" or "; or pass clamp = true")
    end
  end
  if en - sn > rules.range then
    local window = rules.range + 1
    fail(fn, "end_date %s is %d days after start_date %s (allowed: at most %d, a range of %d days; split longer " ..
      "ranges with range:windows(%d))", e, en - sn, s, rules.range, window, window)
  end
  return s, e, dropped
end
local check_dates = M.dates

--- Checks params against an endpoint's description and builds the query.
-- @string fn the method
-- @tab ep `params`: name -> parameter kind; `order`: the query's order; `required`: names;
-- `hint`: name -> what a missing required parameter's message adds; `dated`: the date rules
-- (`{ lookback, range }`) when the endpoint takes the date parameters
-- @tab[opt] params the caller's
-- @func[opt] clock as for `dates`
-- @treturn table the query: `{ { name, value, true }, ... }` (true: nothing in the value needs escaping)
-- @treturn[opt] table with clamp = true when the start was cut: `{ clamped = true, dropped, range }`
function M.query(fn, ep, params, clock)
  if params == nil then params = {} end
  if type(params) ~= "table" then fail(fn, "params must be a table, got %s", show(params)) end
  for k in pairs(params) do
    if not ep.params[k] and not (ep.dated and DATED[k]) then
      local names = {}
      for n in pairs(ep.params) do names[#names + 1] = n end
      if ep.dated then for n in pairs(DATED) do names[#names + 1] = n end end
      table.sort(names)
      fail(fn, "unknown parameter %s (known: %s)", show(k), table.concat(names, ", "))
    end
  end
  local q, info = {}, nil
  if ep.dated then
    local s, e, dropped = check_dates(fn, params, ep.dated, clock)
    -- every value below is checked (dates, digits, whole numbers, booleans,
    -- enum names joined by ","): nothing in them needs escaping (the third field)
    q[1] = { "start_date", s, true }
    q[2] = { "end_date", e, true }
    if dropped then
      info = { clamped = true, dropped = dropped, range = dates.range(s, e) }
    end
  end
  M.add_params(fn, ep, params, q)
  return q, info
end

--- Checks that an endpoint's required parameters are there, and appends
-- the given ones to a query in the endpoint's order, each checked by its
-- kind (what `query` does after the dates; the ads methods share it).
-- @string fn the method
-- @tab ep `params`, `order`, `required`, `hint` as for `query`
-- @tab params the caller's
-- @tab q the query so far (`{ { name, value, true }, ... }`), appended to
-- @treturn table q
function M.add_params(fn, ep, params, q)
  for _, name in ipairs(ep.required or {}) do
    if params[name] == nil then
      fail(fn, "%s is required%s", name, ep.hint and ep.hint[name] and (" (" .. ep.hint[name] .. ")") or "")
    end
  end
  for _, name in ipairs(ep.order) do
    local v = params[name]
    if v ~= nil then
      local wire = ep.params[name](fn, name, v)
      if type(wire) == "table" then
        for _, x in ipairs(wire) do q[#q + 1] = { name, x, true } end
      else
        q[#q + 1] = { name, wire, true }
      end
    end
  end
  return q
end

return M
