--- The simulator's async ads reports: `POST /v5/ad_accounts/{id}/reports`
-- and `GET /v5/ad_accounts/{id}/reports?token=`, and the report files served
-- from a second origin (another loopback port of the same nginx, as a
-- storage host would serve them).
--
-- POST validates the JSON body like the real API (400 `{code, message}`:
-- a body that is not JSON, a query string (the endpoint takes none), a
-- missing `start_date`, `end_date`, `granularity`, `level` or `columns`, an
-- unknown column, level, granularity or report_format, dates out of the
-- async limits: 914 days back and 186 days a report; HOUR 8 and 3;
-- PRODUCT_ITEM 92 and 31) and answers `{report_status = "IN_PROGRESS",
-- token}`. GET answers IN_PROGRESS for the first `ads_report_polls` polls
-- of a token (control option, default 1), then FINISHED with
-- `url` (on the second origin, valid `ads_report_link_ttl` seconds, default
-- 300) and `size`; an unknown token DOES_NOT_EXIST. Control options that
-- play what can go wrong: `ads_report_status = "FAILED" | "EXPIRED" |
-- "CANCELLED"` (the GET answers it), `ads_report_link_expired = true` (the
-- link has run out already: the file answers 403 as S3 does),
-- `ads_report_redirect = "https" | "http" | "ftp"` (the file origin answers
-- a 302 to that scheme first), `ads_report_gzip = "encoding" | "file"` (the
-- file is sent with Content-Encoding gzip, or is itself a .gz object).
--
-- The rows are those of the synchronous endpoints
-- (`pinanalytics.simulator.ads_data`): a row per entity and day (DAY), per
-- hour (HOUR, DATE "YYYY-MM-DD HH:00"), per ISO week or calendar month cut
-- to the range (WEEK, MONTH: DATE its first day in the range), or one per
-- entity (TOTAL), each with the level's id column and DATE; rows whose
-- metrics are all 0 are left out, as the API does. JSON: an object keyed by
-- entity id (by date with `primary_sort = "BY_DATE"`), each an array of row
-- objects, metrics without value absent; CSV: a header, then the rows,
-- metrics zero-filled (the official description says so). Levels the
-- synchronous data does not have (targeting levels, KEYWORD, PRODUCT_ITEM)
-- give a report without rows. Filters by `campaign_ids`, `ad_group_ids`,
-- `ad_ids` and `product_group_ids` are applied; the others are checked and
-- accepted.
--
-- The second origin logs every request in `<prefix>/logs/files.log` (method,
-- target, status, whether an Authorization header came), which
-- `Sim:file_requests()` reads.
local cjson = require "cjson.safe"
local columns = require "pinanalytics.ads.columns"
local ads_data = require "pinanalytics.simulator.ads_data"
local data = require "pinanalytics.simulator.data"

local M = {}

local LEVELS = { "ADVERTISER", "ADVERTISER_TARGETING", "CAMPAIGN", "CAMPAIGN_TARGETING", "AD_GROUP",
  "AD_GROUP_TARGETING", "PIN_PROMOTION", "PIN_PROMOTION_TARGETING", "KEYWORD", "PRODUCT_GROUP",
  "PRODUCT_GROUP_TARGETING", "PRODUCT_ITEM", "PRODUCT_ITEM_TARGETING" }
local GRANULARITIES = { "TOTAL", "DAY", "HOUR", "WEEK", "MONTH" }
-- the levels played, and their entity column
local PLAYED = {
  ADVERTISER = { data_level = "ADVERTISER", column = "ADVERTISER_ID" },
  CAMPAIGN = { data_level = "CAMPAIGN", column = "CAMPAIGN_ID" },
  AD_GROUP = { data_level = "AD_GROUP", column = "AD_GROUP_ID" },
  PIN_PROMOTION = { data_level = "AD", column = "PIN_PROMOTION_ID" },
  PRODUCT_GROUP = { data_level = "PRODUCT_GROUP", column = "PRODUCT_GROUP_ID" },
}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local LEVEL_SET, GRAN_SET, ASYNC_SET = set_of(LEVELS), set_of(GRANULARITIES), set_of(columns.ASYNC)

local function bad(message)
  error({ status = 400, code = 1, message = "Invalid parameters: " .. message }, 0)
end

-- numbers as the API writes them: integers whole, others with all their digits
local function num(v)
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%.0f", v) end
  return string.format("%.17g", v)
end

local function json_value(v)
  if type(v) == "number" then return num(v) end
  return cjson.encode(v)
end

-- reading the request --------------------------------------------------------

local function body_text()
  ngx.req.read_body()
  local s = ngx.req.get_body_data()
  if s then return s end
  local path = ngx.req.get_body_file()
  if not path then return nil end
  local f = io.open(path, "rb")
  if not f then return nil end
  s = f:read("*a")
  f:close()
  return s
end

-- The checked request: { level, granularity, columns, start_n, end_n, format, sort, filters }.
local function check(body, today)
  if type(body) ~= "table" then bad("the body must be a JSON object") end
  for _, k in ipairs({ "start_date", "end_date", "granularity", "level", "columns" }) do
    if body[k] == nil or body[k] == cjson.null then bad(k .. " is required") end
  end
  if not LEVEL_SET[body.level] then bad("level must be one of " .. table.concat(LEVELS, ", ")) end
  if not GRAN_SET[body.granularity] then bad("granularity must be one of " .. table.concat(GRANULARITIES, ", ")) end
  local fmt = body.report_format or "JSON"
  if fmt ~= "JSON" and fmt ~= "CSV" then bad("report_format must be JSON or CSV") end
  if type(body.columns) ~= "table" or #body.columns == 0 then bad("columns must be a non-empty array") end
  for _, c in ipairs(body.columns) do
    if not ASYNC_SET[c] then bad("columns has an unknown column " .. tostring(c)) end
  end
  local s, e = data.parse_date(tostring(body.start_date)), data.parse_date(tostring(body.end_date))
  if not s then bad("start_date must be a date YYYY-MM-DD") end
  if not e then bad("end_date must be a date YYYY-MM-DD") end
  if s > e then bad("start_date must not be after end_date") end
  local back, days = 914, 186
  if body.granularity == "HOUR" then back, days = 8, 3 end
  if body.level == "PRODUCT_ITEM" then back, days = math.min(back, 92), math.min(days, 31) end
  local t = data.parse_date(today)
  if t - s > back then bad("start_date cannot be more than " .. back .. " days before today") end
  if e - s + 1 > days then bad("the date range cannot be more than " .. days .. " days") end
  if body.level == "PRODUCT_ITEM" and (body.ad_ids or body.ad_statuses) then
    bad("ad_ids and ad_statuses are not allowed with level PRODUCT_ITEM")
  end
  for _, k in ipairs({ "campaign_ids", "ad_group_ids", "ad_ids", "product_group_ids", "product_item_ids" }) do
    local v = body[k]
    if v ~= nil then
      if type(v) ~= "table" or #v == 0 or #v > 500 then bad(k .. " must be an array of 1..500 ids") end
      for _, id in ipairs(v) do
        if type(id) ~= "string" or not id:match("^%d+$") then bad(k .. " must hold ids of digits") end
      end
    end
  end
  if body.primary_sort ~= nil and body.primary_sort ~= "BY_ID" and body.primary_sort ~= "BY_DATE" then
    bad("primary_sort must be BY_ID or BY_DATE")
  end
  return {
    level = body.level, granularity = body.granularity, columns = body.columns, start_n = s, end_n = e,
    format = fmt, sort = body.primary_sort or "BY_ID", campaign_ids = body.campaign_ids,
    ad_group_ids = body.ad_group_ids, ad_ids = body.ad_ids, product_group_ids = body.product_group_ids,
  }
end

-- the rows -----------------------------------------------------------------------

local function in_list(list, v)
  if not list then return true end
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

local function entities(acct, q)
  local p = PLAYED[q.level]
  if not p then return {} end
  local list
  if q.level == "ADVERTISER" then
    list = { { id = acct } }
  elseif q.level == "CAMPAIGN" then
    list = ads_data.campaigns(acct)
  elseif q.level == "AD_GROUP" then
    list = ads_data.ad_groups(acct)
  elseif q.level == "PIN_PROMOTION" then
    list = ads_data.ads(acct)
  else
    list = ads_data.product_groups(acct)
  end
  local out = {}
  for _, e in ipairs(list) do
    local cid = q.level == "CAMPAIGN" and e.id or e.campaign_id
    local gid = q.level == "AD_GROUP" and e.id or e.ad_group_id
    if (q.level == "ADVERTISER" or in_list(q.campaign_ids, cid))
        and (q.level == "ADVERTISER" or q.level == "CAMPAIGN" or in_list(q.ad_group_ids, gid))
        and (q.level ~= "PIN_PROMOTION" or in_list(q.ad_ids, e.id))
        and (q.level ~= "PRODUCT_GROUP" or in_list(q.product_group_ids, e.id)) then
      out[#out + 1] = e.id
    end
  end
  return out
end

-- The periods of the report: { first_n, last_n, label, hour }.
local function periods(q)
  local out = {}
  local g = q.granularity
  if g == "TOTAL" then return { { q.start_n, q.end_n } } end
  local n = q.start_n
  while n <= q.end_n do
    local d = data.format_date(n)
    if g == "DAY" then
      out[#out + 1] = { n, n, d }
      n = n + 1
    elseif g == "HOUR" then
      for h = 0, 23 do out[#out + 1] = { n, n, string.format("%s %02d:00", d, h), h } end
      n = n + 1
    elseif g == "WEEK" then
      local wd = (n + 3) % 7 -- 0 = Monday (day 0 of data's count is 1970-01-01, a Thursday)
      local last = math.min(q.end_n, n + 6 - wd)
      out[#out + 1] = { n, last, d }
      n = last + 1
    else
      local y, m = d:match("^(%d+)-(%d+)")
      y, m = tonumber(y), tonumber(m)
      local ny, nm = y, m + 1
      if nm == 13 then ny, nm = y + 1, 1 end
      local first_next = data.parse_date(string.format("%04d-%02d-01", ny, nm))
      local last = math.min(q.end_n, first_next - 1)
      out[#out + 1] = { n, last, d }
      n = last + 1
    end
  end
  return out
end

local function is_metric(c)
  local k = columns.kind_of_name(c)
  return k ~= "id" and k ~= "string"
end

--- The rows of a report, in order (by entity, then date; or by date with
-- BY_DATE): each `{ key = entity id or date, row = { column -> value } }`.
-- @string acct the ad account id
-- @tab q the checked request (see `check`)
-- @treturn table
function M.rows(acct, q)
  local p = PLAYED[q.level]
  if not p then return {} end
  local out = {}
  local ps = periods(q)
  for _, id in ipairs(entities(acct, q)) do
    for _, per in ipairs(ps) do
      local first, last = data.format_date(per[1]), data.format_date(per[2])
      local row = ads_data.row(p.data_level, id, first, last, q.columns, per[4]) or {}
      local any = false
      for _, c in ipairs(q.columns) do
        local v = row[c]
        if is_metric(c) and type(v) == "number" and v ~= 0 then any = true end
      end
      if any then
        row[p.column] = id
        if per[3] then row.DATE = per[3] end
        out[#out + 1] = { id = id, date = per[3] or first, row = row }
      end
    end
  end
  if q.sort == "BY_DATE" then
    table.sort(out, function(a, b)
      if a.date ~= b.date then return a.date < b.date end
      return a.id < b.id
    end)
  end
  return out
end

--- The report file's text.
-- @string acct
-- @tab q the checked request
-- @treturn string
function M.file(acct, q)
  local rows = M.rows(acct, q)
  local p = PLAYED[q.level] or { column = "ID" }
  local cols = { p.column }
  if q.granularity ~= "TOTAL" then cols[#cols + 1] = "DATE" end
  for _, c in ipairs(q.columns) do
    if c ~= p.column and c ~= "DATE" then cols[#cols + 1] = c end
  end
  local buf = {}
  if q.format == "CSV" then
    buf[1] = table.concat(cols, ",")
    for _, r in ipairs(rows) do
      local cells = {}
      for i, c in ipairs(cols) do
        local v = r.row[c]
        if v == nil then
          v = is_metric(c) and "0" or "" -- metrics zero-filled
        elseif type(v) == "number" then
          v = num(v)
        else
          v = tostring(v)
          if v:find('[,"\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
        end
        cells[i] = v
      end
      buf[#buf + 1] = table.concat(cells, ",")
    end
    return table.concat(buf, "\n") .. "\n"
  end
  -- JSON: keyed by entity id (or by date), each a list of rows
  local order, groups = {}, {}
  for _, r in ipairs(rows) do
    local key = q.sort == "BY_DATE" and r.date or r.id
    if not groups[key] then
      groups[key] = {}
      order[#order + 1] = key
    end
    local parts = {}
    for _, c in ipairs(cols) do
      local v = r.row[c]
      if v ~= nil then parts[#parts + 1] = cjson.encode(c) .. ":" .. json_value(v) end
    end
    local g = groups[key]
    g[#g + 1] = "{" .. table.concat(parts, ",") .. "}"
  end
  for i, key in ipairs(order) do
    buf[i] = cjson.encode(key) .. ":[" .. table.concat(groups[key], ",") .. "]"
  end
  return "{" .. table.concat(buf, ",") .. "}"
end

-- gzip without a compressor: deflate's stored blocks, and the CRC-32 -------

-- xor of two 32-bit numbers: LuaJIT's bit library in nginx; plain
-- arithmetic elsewhere (a spec computes a gzip on any Lua)
local has_bit, bit = pcall(require, "bit")
local XOR4 = {}
for a = 0, 15 do
  XOR4[a] = {}
  for b = 0, 15 do
    local r, m, x, y = 0, 1, a, b
    for _ = 1, 4 do
      if x % 2 ~= y % 2 then r = r + m end
      x, y, m = math.floor(x / 2), math.floor(y / 2), m * 2
    end
    XOR4[a][b] = r
  end
end
local function xor32(a, b)
  if has_bit then return bit.bxor(a, b) % 4294967296 end
  local r, m = 0, 1
  for _ = 1, 8 do
    r = r + XOR4[a % 16][b % 16] * m
    a, b, m = math.floor(a / 16), math.floor(b / 16), m * 16
  end
  return r
end

local CRC = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if c % 2 == 1 then c = xor32(0xEDB88320, math.floor(c / 2)) else c = math.floor(c / 2) end
  end
  CRC[i] = c
end

local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = xor32(CRC[xor32(c % 256, s:byte(i))], math.floor(c / 256))
  end
  return xor32(c, 0xFFFFFFFF)
end

local function le32(n)
  n = n % 4294967296
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

--- s as a gzip member (RFC 1952) of stored deflate blocks: valid gzip that
-- any reader inflates.
-- @string s
-- @treturn string
function M.gzip(s)
  local out = { "\31\139\8\0\0\0\0\0\0\255" }
  local i, n = 1, #s
  repeat
    local chunk = s:sub(i, i + 65534)
    i = i + #chunk
    local final = i > n and 1 or 0
    local len = #chunk
    out[#out + 1] = string.char(final, len % 256, math.floor(len / 256), 255 - len % 256, 255 - math.floor(len / 256))
    out[#out + 1] = chunk
  until i > n
  out[#out + 1] = le32(crc32(s) % 4294967296)
  out[#out + 1] = le32(n)
  return table.concat(out)
end

-- the routes -----------------------------------------------------------------------

local function files_port()
  local f = io.open(ngx.config.prefix() .. "files.port", "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s)
end

local function shared() return ngx.shared.sim end

local function create(ctl, args, today, acct, send)
  if next(args) ~= nil then
    bad("this endpoint takes its parameters as a JSON body, not as URL query parameters")
  end
  if not ads_data.account(acct) then
    error({ status = 404, code = 2, message = "Ad account not found." }, 0)
  end
  local text = body_text()
  local body = text and cjson.decode(text)
  if not body then bad("the body must be JSON") end
  local q = check(body, today)
  local n = shared():incr("ads_report_seq", 1, 0)
  local token = "sim-report-" .. n .. "-" .. data.hash(acct .. ":" .. n) % 1000000
  q.account = acct
  shared():set("ads_report:" .. token, cjson.encode(q), 3600)
  local _ = ctl
  return send(200, { report_status = "IN_PROGRESS", token = token, message = cjson.null })
end

local function status(ctl, args, _, acct, send)
  local token = args.token
  if type(token) == "table" then token = token[#token] end
  if type(token) ~= "string" or token == "" then bad("token is required") end
  local saved = shared():get("ads_report:" .. token)
  local q = saved and cjson.decode(saved)
  if not q or q.account ~= acct then
    return send(200, { report_status = "DOES_NOT_EXIST", url = cjson.null, size = cjson.null })
  end
  local polls = shared():incr("ads_report_polls:" .. token, 1, 0)
  local wanted = tonumber(ctl.ads_report_polls) or 1
  if polls <= wanted then
    return send(200, { report_status = "IN_PROGRESS", url = cjson.null, size = cjson.null })
  end
  local st = ctl.ads_report_status
  if st == "FAILED" or st == "EXPIRED" or st == "CANCELLED" then
    return send(200, { report_status = st, url = cjson.null, size = cjson.null })
  end
  local port = files_port()
  if not port then error("simulator: the file origin's port is unknown (no files.port)") end
  local ttl = tonumber(ctl.ads_report_link_ttl) or 300
  local expires = ngx.time() + (ctl.ads_report_link_expired and -1 or ttl)
  local ext = q.format == "CSV" and "csv" or "json"
  if ctl.ads_report_gzip == "file" then ext = ext .. ".gz" end
  local url = string.format("http://127.0.0.1:%d/reports/%s.%s?expires=%d", port, token, ext, expires)
  return send(200, { report_status = "FINISHED", url = url, size = cjson.null })
end

--- Registers the report routes with the server's route function.
-- @func route `route(method, pattern, handler)` of pinanalytics.simulator.server
-- @func send the server's `send(status, body, headers)`
function M.register(route, send)
  route("POST", "^/v5/ad_accounts/(%d+)/reports$", function(ctl, args, today, acct)
    return create(ctl, args, today, acct, send)
  end)
  route("GET", "^/v5/ad_accounts/(%d+)/reports$", function(ctl, args, today, acct)
    return status(ctl, args, today, acct, send)
  end)
end

-- the second origin -------------------------------------------------------------

local function control()
  local f = io.open(ngx.config.prefix() .. "control.json", "rb")
  if not f then return {} end
  local s = f:read("*a")
  f:close()
  return cjson.decode(s) or {}
end

local function log_file_request(status_code)
  local f = io.open(ngx.config.prefix() .. "logs/files.log", "a")
  if not f then return end
  f:write(ngx.req.get_method(), ' "', ngx.var.request_uri, '" ', status_code, " ",
    ngx.var.http_authorization and "1" or "0", "\n")
  f:close()
end

local function answer(status_code, body, headers)
  log_file_request(status_code)
  ngx.status = status_code
  for k, v in pairs(headers or {}) do ngx.header[k] = v end
  ngx.print(body or "")
end

local S3_EXPIRED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' ..
  "<Message>Request has expired</Message></Error>"

--- The second origin's handler (nginx's content phase): serves
-- `/reports/<token>.<csv|json>[.gz]?expires=<epoch>`, logs every request.
function M.serve_file()
  local ok, err = pcall(function()
    local ctl = control()
    local uri = ngx.var.uri
    local token, ext = uri:match("^/reports/([%w%-]+)%.(%a+[%.gz]*)$")
    local args = ngx.req.get_uri_args(20)
    if not token then return answer(404, "Not Found", { ["Content-Type"] = "text/plain" }) end
    local redirect = ctl.ads_report_redirect
    if redirect and not args.redirected then
      local loc = string.format("%s://127.0.0.1:%d%s?%s&redirected=1", redirect, ngx.var.server_port, uri,
        ngx.var.args or "")
      return answer(302, "", { Location = loc })
    end
    local expires = tonumber(args.expires)
    if not expires or ngx.time() > expires then
      return answer(403, S3_EXPIRED, { ["Content-Type"] = "application/xml" })
    end
    local saved = ngx.shared.sim:get("ads_report:" .. token)
    local q = saved and cjson.decode(saved)
    if not q then return answer(404, "NoSuchKey", { ["Content-Type"] = "text/plain" }) end
    local text = M.file(q.account, q)
    local headers = { ["Content-Type"] = q.format == "CSV" and "text/csv" or "application/json" }
    if ext:find("%.gz$") then
      text = M.gzip(text)
      headers["Content-Type"] = "application/gzip"
    elseif ctl.ads_report_gzip == "encoding" then
      text = M.gzip(text)
      headers["Content-Encoding"] = "gzip"
    end
    return answer(200, text, headers)
  end)
  if not ok then
    ngx.log(ngx.ERR, "simulator file origin: ", tostring(err))
    return answer(500, "Internal error", { ["Content-Type"] = "text/plain" })
  end
end

return M
