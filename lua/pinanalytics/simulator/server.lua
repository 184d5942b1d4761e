--- The simulator's request handler, run by nginx's Lua module (LuaJIT).
--
-- Every request goes through M.handle(): it reads the control options the
-- wrapper wrote to <prefix>/control.json, applies faults (latency, overrides),
-- checks the bearer token and dispatches to a route. Answers are JSON with an
-- x-pinterest-rid header, errors {code, message} like the real API's.
local cjson = require "cjson.safe"
local data = require "pinanalytics.simulator.data"

local M = {}

local shared = ngx.shared.sim

if cjson.encode_empty_table_as_object then cjson.encode_empty_table_as_object(true) end

-- helpers -------------------------------------------------------------------

local function control()
  local f = io.open(ngx.config.prefix() .. "control.json", "rb")
  if not f then return {} end
  local s = f:read("*a")
  f:close()
  return cjson.decode(s) or {}
end

-- The request line's target as the log shows it: OneUp's apiKey (which
-- OneUp wants in the query) replaced, so that the log holds no credential.
local function logged_uri()
  local uri = ngx.var.request_uri
  if uri:sub(1, 5) == "/api/" then
    uri = uri:gsub("([?&][Aa][Pp][Ii][Kk][Ee][Yy]=)[^&]*", "%1[REDACTED]")
  end
  return uri
end

-- One line per answer in <prefix>/logs/requests.log, written before the
-- answer leaves, so a client that has its answer can already read the line.
-- Never a header: credentials stay out of it; the field after the status
-- only says whether the request carried an Authorization header (1) or not
-- (0), and the last one names the account its token is of ("-" when none:
-- no token, a refused one, or a route without one), its bytes other than
-- letters, digits, "_", "." and "-" as %XX.
local function log_request(status)
  local f = io.open(ngx.config.prefix() .. "logs/requests.log", "a")
  if not f then return end
  local account = ngx.ctx.account and tostring(ngx.ctx.account):gsub("[^%w_.%-]", function(c)
    return string.format("%%%02X", c:byte())
  end) or "-"
  f:write(ngx.var.connection, " ", ngx.var.connection_requests, " ", ngx.req.get_method(), ' "',
    logged_uri(), '" ', status, " ", ngx.var.http_authorization and "1" or "0", " ", account, "\n")
  f:close()
end

-- A bad server that repeats what it was sent: with ov.echo, "{authorization}"
-- in a body or header value becomes the request's Authorization header,
-- "{credentials}" the user:password decoded from HTTP Basic, "{query}" its
-- query string and "{body}" its body (not in raw answers).
local ECHO = {
  authorization = function() return ngx.var.http_authorization or "" end,
  credentials = function()
    local b64 = (ngx.var.http_authorization or ""):match("^Basic%s+(%S+)")
    return b64 and ngx.decode_base64(b64) or ""
  end,
  query = function() return ngx.var.args or "" end,
  body = function()
    local ok = pcall(ngx.req.read_body)
    return ok and ngx.req.get_body_data() or ""
  end,
}
local function echoed(ov, s)
  if not ov or not ov.echo or type(s) ~= "string" then return s end
  return (s:gsub("{(%a+)}", function(name) return ECHO[name] and ECHO[name]() end))
end

local function send(status, body, headers, ov)
  log_request(status)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  for k, v in pairs(headers or {}) do ngx.header[k] = echoed(ov, v) end
  ngx.print(type(body) == "string" and echoed(ov, body) or cjson.encode(body))
end

-- Sends exact bytes on the raw connection (a broken or hostile server):
-- ov.raw is a string or an array of strings sent one after another,
-- ov.raw_delay_ms apart; ov.hold_ms keeps the connection open afterwards.
-- The connection is then closed without anything else.
local function send_raw(ov)
  log_request(0)
  local sock, err = ngx.req.socket(true)
  if not sock then error("simulator: no raw socket: " .. tostring(err)) end
  local chunks = type(ov.raw) == "table" and ov.raw or { ov.raw }
  for i, chunk in ipairs(chunks) do
    if i > 1 and tonumber(ov.raw_delay_ms) then ngx.sleep(ov.raw_delay_ms / 1000) end
    if not sock:send(echoed(ov, chunk)) then break end
  end
  if tonumber(ov.hold_ms) then ngx.sleep(ov.hold_ms / 1000) end
  return ngx.exit(444)
end

local function fail(status, code, message, headers)
  return send(status, { code = code, message = message }, headers)
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- One query value: the last of repeated keys; "" for a key without "=".
local function one(v)
  if type(v) == "table" then v = v[#v] end
  if v == true then return "" end
  return v
end

local function today_of(ctl)
  return ctl.today or os.date("!%Y-%m-%d", ngx.time())
end

local function split_csv(s)
  local out = {}
  for x in s:gmatch("[^,]+") do out[#out + 1] = x end
  return out
end

-- validation ----------------------------------------------------------------

local APP_TYPES = { "ALL", "MOBILE", "TABLET", "WEB" }
local ACCOUNT_METRICS = data.ACCOUNT_METRICS
local TOP_VIDEO_METRICS = {
  "IMPRESSION", "SAVE", "VIDEO_MRC_VIEW", "VIDEO_AVG_WATCH_TIME", "VIDEO_V50_WATCH_TIME",
  "QUARTILE_95_PERCENT_VIEW", "VIDEO_10S_VIEW", "VIDEO_START", "OUTBOUND_CLICK",
}
local ENUMS = {
  app_types = APP_TYPES,
  from_claimed_content = { "OTHER", "CLAIMED", "BOTH" },
  pin_format = { "ALL", "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO", "ADS_STANDARD", "ADS_PRODUCT",
    "ADS_VIDEO", "ADS_IDEA" },
  content_type = { "ALL", "PAID", "ORGANIC" },
  source = { "ALL", "YOUR_PINS", "OTHER_PINS" },
}

-- Raised (as a table) by the checks, answered as 400 by handle().
local function bad(prefix, param, what)
  error({ status = 400, code = 1, message = prefix .. ": " .. param .. " " .. what }, 0)
end

--- The date rules of every synchronous analytics endpoint.
local function check_dates(prefix, args, today)
  local s, e = one(args.start_date), one(args.end_date)
  if not s then bad(prefix, "start_date", "is required") end
  if not e then bad(prefix, "end_date", "is required") end
  local sn, en = data.parse_date(s), data.parse_date(e)
  if not sn then bad(prefix, "start_date", "must be a date YYYY-MM-DD, got " .. s) end
  if not en then bad(prefix, "end_date", "must be a date YYYY-MM-DD, got " .. e) end
  if sn > en then bad(prefix, "start_date", "must not be after end_date") end
  if en - sn > 90 then bad(prefix, "end_date", "cannot be more than 90 days past start_date") end
  if data.parse_date(today) - sn > 90 then
    bad(prefix, "start_date", "is too far back. You can only get data from the last 90 days")
  end
  return s, e
end

local function check_enum(prefix, args, name, allowed, dflt)
  local v = one(args[name])
  if v == nil then return dflt end
  if not set_of(allowed)[v] then bad(prefix, name, "must be one of " .. table.concat(allowed, ", ")) end
  return v
end

local function check_metrics(prefix, args, allowed, required)
  local v = one(args.metric_types)
  if v == nil or v == "" then
    if required then bad(prefix, "metric_types", "is required") end
    return allowed
  end
  local ok, list = set_of(allowed), split_csv(v)
  for _, m in ipairs(list) do
    if not ok[m] then bad(prefix, "metric_types", "has an unknown metric " .. m) end
  end
  return list
end

local function check_ad_account(prefix, args)
  local v = one(args.ad_account_id)
  if v ~= nil and (not v:match("^%d+$") or #v > 18) then bad(prefix, "ad_account_id", "must be digits") end
end

-- the account ---------------------------------------------------------------

-- The request's account (its token's): the simulator's own unless
-- ctl.accounts gives it pins_count of its own.
local function account_options(ctl)
  local name = ngx.ctx.account
  local a = name and type(ctl.accounts) == "table" and ctl.accounts[name]
  return type(a) == "table" and a or {}
end

local function pins_count(ctl)
  return tonumber(account_options(ctl).pins_count) or tonumber(ctl.pins_count) or data.PINS_COUNT
end
local function boards_count(ctl) return tonumber(ctl.boards_count) or data.BOARDS_COUNT end

-- routes --------------------------------------------------------------------

local routes = {}
M.routes = routes

local function route(method, pattern, handler)
  routes[#routes + 1] = { method = method, pattern = pattern, handler = handler }
end
require("pinanalytics.simulator.ads_reports").register(route, send) -- async ads reports

local PIN_METRICS = data.PIN_METRICS

local function pin_query(prefix, args, today)
  local s, e = check_dates(prefix, args, today)
  local metrics = check_metrics(prefix, args, PIN_METRICS, true)
  local app = check_enum(prefix, args, "app_types", APP_TYPES, "ALL")
  check_ad_account(prefix, args)
  return { start_date = s, end_date = e, metric_types = metrics, app_types = app }
end

route("GET", "^/v5/pins/analytics$", function(ctl, args, today)
  if ctl.refuse_multi then
    local st = tonumber(ctl.refuse_multi)
    if st == 403 then return fail(403, 7, "Not authorized to access this endpoint. It is not available to your app.") end
    return fail(404, 404, "Not found.")
  end
  local prefix = "Invalid multi_pins analytics parameters"
  local ids = args.pin_ids
  if type(ids) ~= "table" then ids = { ids } end
  if #ids == 0 then bad(prefix, "pin_ids", "is required") end
  if #ids > 100 then bad(prefix, "pin_ids", "has more than 100 ids") end
  for i, id in ipairs(ids) do
    id = one(id)
    ids[i] = id
    if not id:match("^%d+$") then bad(prefix, "pin_ids", "has an id that is not digits: " .. id) end
  end
  local q = pin_query(prefix, args, today)
  local theirs = set_of(ctl.forbidden_pins or {})
  for _, id in ipairs(ids) do
    if theirs[id] then
      if tonumber(ctl.forbidden_multi_status) == 403 then
        return fail(403, 403, "Not authorized to access board or Pin.")
      end
      return fail(401, 7, "Not authorized to access board or Pin.")
    end
  end
  local missing = set_of(ctl.missing_pins or {})
  local out = {}
  for _, id in ipairs(ids) do
    if not missing[id] then out[id] = data.pin_analytics(id, q, today) end
  end
  return send(200, out)
end)

route("GET", "^/v5/pins/([^/]+)/analytics$", function(ctl, args, today, pin_id)
  local prefix = "Invalid pins analytics parameters"
  if not pin_id:match("^%d+$") then bad(prefix, "pin_id", "must be digits") end
  local q = pin_query(prefix, args, today)
  q.split_field = check_enum(prefix, args, "split_field", { "NO_SPLIT", "APP_TYPE" }, "NO_SPLIT")
  if set_of(ctl.missing_pins or {})[pin_id] then return fail(404, 50, "Pin not found.") end
  if set_of(ctl.forbidden_pins or {})[pin_id] then
    if tonumber(ctl.forbidden_single_status) == 404 then return fail(404, 50, "Pin not found.") end
    return fail(403, 403, "Not authorized to access board or Pin.")
  end
  return send(200, data.pin_analytics(pin_id, q, today))
end)

route("GET", "^/v5/user_account/analytics$", function(ctl, args, today)
  local prefix = "Invalid user account analytics parameters"
  local s, e = check_dates(prefix, args, today)
  local q = { start_date = s, end_date = e, metric_types = check_metrics(prefix, args, ACCOUNT_METRICS, false),
    pins_count = pins_count(ctl) }
  for name, allowed in pairs(ENUMS) do q[name] = check_enum(prefix, args, name, allowed) end
  q.split_field = check_enum(prefix, args, "split_field",
    { "NO_SPLIT", "APP_TYPE", "OWNED_CONTENT", "SOURCE", "PIN_FORMAT" }, "NO_SPLIT")
  check_ad_account(prefix, args)
  return send(200, data.user_account_analytics(q, today))
end)

route("GET", "^/v5/user_account$", function(ctl, args, today)
  check_ad_account("Invalid user account parameters", args)
  return send(200, data.user_account(today, { pins_count = pins_count(ctl), boards_count = boards_count(ctl),
    username = ngx.ctx.account }))
end)

local function top(sorts, allowed_metrics, default_metrics)
  return function(ctl, args, today)
    local prefix = "Invalid top pins parameters"
    local s, e = check_dates(prefix, args, today)
    local sort_by = one(args.sort_by)
    if not sort_by then bad(prefix, "sort_by", "is required") end
    check_enum(prefix, args, "sort_by", sorts)
    local metrics = check_metrics(prefix, args, allowed_metrics, false)
    if one(args.metric_types) == nil then metrics = default_metrics end
    for name, allowed in pairs(ENUMS) do check_enum(prefix, args, name, allowed) end
    local n = tonumber(one(args.num_of_pins) or "10")
    if not n or n < 1 or n > 50 or n ~= math.floor(n) then bad(prefix, "num_of_pins", "must be 1..50") end
    local created = one(args.created_in_last_n_days)
    if created ~= nil and created ~= "30" then bad(prefix, "created_in_last_n_days", "must be 30") end
    check_ad_account(prefix, args)
    local app = one(args.app_types) or "ALL"
    local rows = {}
    for _, id in ipairs(data.account_pins(pins_count(ctl))) do
      local sum = data.summary(id, s, e, app, today)
      sum.ENGAGEMENT = sum.SAVE + sum.PIN_CLICK + sum.OUTBOUND_CLICK + sum.TOTAL_REACTIONS + sum.TOTAL_COMMENTS
      local imp = sum.IMPRESSION
      sum.ENGAGEMENT_RATE = imp > 0 and sum.ENGAGEMENT / imp or 0
      sum.OUTBOUND_CLICK_RATE = imp > 0 and sum.OUTBOUND_CLICK / imp or 0
      sum.PIN_CLICK_RATE = imp > 0 and sum.PIN_CLICK / imp or 0
      rows[#rows + 1] = { id = id, sum = sum }
    end
    table.sort(rows, function(a, b)
      if a.sum[sort_by] ~= b.sum[sort_by] then return a.sum[sort_by] > b.sum[sort_by] end
      return a.id < b.id
    end)
    local pins = {}
    local status = data.status(e, today)
    for i = 1, math.min(n, #rows) do
      local m, st = {}, {}
      for _, k in ipairs(metrics) do m[k] = rows[i].sum[k]; st[k] = status end
      pins[i] = { pin_id = rows[i].id, metrics = m, data_status = st }
    end
    local latest = (data.parse_date(today) - 2) * 86400 + 86399
    return send(200, {
      date_availability = { is_realtime = false, latest_available_timestamp = latest * 1000 },
      pins = pins, sort_by = sort_by,
    })
  end
end

route("GET", "^/v5/user_account/analytics/top_pins$",
  top({ "ENGAGEMENT", "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE" }, ACCOUNT_METRICS,
    { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "ENGAGEMENT" }))
route("GET", "^/v5/user_account/analytics/top_video_pins$",
  top({ "IMPRESSION", "SAVE", "OUTBOUND_CLICK", "VIDEO_MRC_VIEW", "VIDEO_AVG_WATCH_TIME", "VIDEO_V50_WATCH_TIME",
    "QUARTILE_95_PERCENT_VIEW", "VIDEO_10S_VIEW", "VIDEO_START" }, TOP_VIDEO_METRICS,
    { "IMPRESSION", "VIDEO_START", "VIDEO_MRC_VIEW", "VIDEO_AVG_WATCH_TIME" }))

--- One page of a list: items[offset+1 .. offset+page_size] with a bookmark.
local function page(ctl, args, items)
  local size = tonumber(one(args.page_size) or "25")
  if not size or size < 1 or size > 250 or size ~= math.floor(size) then
    bad("Invalid list parameters", "page_size", "must be 1..250")
  end
  local bm = one(args.bookmark)
  local offset = 0
  if bm then
    offset = tonumber(bm:match("^o(%d+)$") or "")
    if not offset then bad("Invalid list parameters", "bookmark", "is not a bookmark this server gave") end
  end
  local number = math.floor(offset / size) + 1
  if tonumber(ctl.fail_page) == number then
    return fail(500, 2787, "Sorry! Something went wrong on our end.")
  end
  local out = {}
  for i = offset + 1, math.min(offset + size, #items) do out[#out + 1] = items[i] end
  local next_bm = cjson.null
  if offset + size < #items then
    next_bm = ctl.repeat_bookmark and number >= 2 and ("o" .. size) or ("o" .. (offset + size))
  end
  return send(200, { items = out, bookmark = next_bm })
end

local function pin_item(i, board, want_metrics, today)
  local id = data.pin_id_of(i)
  local info = data.pin_info(i)
  local item = {
    id = id, title = info.title, description = info.description, link = info.link,
    board_id = data.board_id_of(board),
    created_at = data.add_days(today, -(i % 200)) .. "T12:00:00", creative_type = "REGULAR",
    media = { media_type = "image", images = { ["150x150"] = { width = 150, height = 150, url = info.image_url } } },
  }
  if want_metrics then
    local s = data.summary(id, data.add_days(today, -89), today, "ALL", today)
    item.pin_metrics = { ["90d"] = { pin_click = s.PIN_CLICK, impression = s.IMPRESSION, clickthrough = s.OUTBOUND_CLICK } }
  end
  return item
end

local function list_check(args)
  local prefix = "Invalid list parameters"
  check_ad_account(prefix, args)
  for _, b in ipairs({ "pin_metrics", "include_protected_pins" }) do
    local v = one(args[b])
    if v ~= nil and v ~= "true" and v ~= "false" then bad(prefix, b, "must be true or false") end
  end
  return one(args.pin_metrics) == "true"
end

route("GET", "^/v5/pins$", function(ctl, args, today)
  local want = list_check(args)
  local items = {}
  local nb = boards_count(ctl)
  for i = 1, pins_count(ctl) do items[i] = pin_item(i, (i - 1) % nb + 1, want, today) end
  return page(ctl, args, items)
end)

route("GET", "^/v5/boards$", function(ctl, args)
  list_check(args)
  local items = {}
  local n = pins_count(ctl)
  local nb = boards_count(ctl)
  for b = 1, nb do
    local count = 0
    for i = 1, n do if (i - 1) % nb + 1 == b then count = count + 1 end end
    items[b] = { id = data.board_id_of(b), name = data.board_name_of(b), privacy = "PUBLIC", pin_count = count }
  end
  return page(ctl, args, items)
end)

route("GET", "^/v5/boards/([^/]+)/pins$", function(ctl, args, today, board_id)
  if not board_id:match("^%d+$") then bad("Invalid list parameters", "board_id", "must be digits") end
  local want = list_check(args)
  local nb = boards_count(ctl)
  local board
  for b = 1, nb do if data.board_id_of(b) == board_id then board = b end end
  if not board then return fail(404, 404, "Board not found.") end
  local items = {}
  for i = 1, pins_count(ctl) do
    if (i - 1) % nb + 1 == board then items[#items + 1] = pin_item(i, board, want, today) end
  end
  return page(ctl, args, items)
end)

-- GET /v5/pins/{pin_id}: one of the account's pins (pin_metrics=true adds
-- its 90-day and lifetime metrics); any other id is 404 code 50.
route("GET", "^/v5/pins/(%d+)$", function(ctl, args, today, pin_id)
  local want = list_check(args)
  local nb = boards_count(ctl)
  for i = 1, pins_count(ctl) do
    if data.pin_id_of(i) == pin_id then
      local item = pin_item(i, (i - 1) % nb + 1, want, today)
      if want then
        -- lifetime: at least the last 90 days, plus reactions and comments
        local l, d90 = data.lifetime(pin_id), item.pin_metrics["90d"]
        item.pin_metrics.lifetime_metrics = { pin_click = d90.pin_click, impression = d90.impression,
          clickthrough = d90.clickthrough, reaction = l.TOTAL_REACTIONS, comment = l.TOTAL_COMMENTS }
      end
      return send(200, item)
    end
  end
  return fail(404, 50, "Pin not found.")
end)

-- GET /v5/ad_accounts: ad_accounts_count (default 2) ad accounts.
route("GET", "^/v5/ad_accounts$", function(ctl, args)
  local v = one(args.include_shared_accounts)
  if v ~= nil and v ~= "true" and v ~= "false" then
    bad("Invalid list parameters", "include_shared_accounts", "must be true or false")
  end
  local items = {}
  for i = 1, tonumber(ctl.ad_accounts_count) or 2 do
    items[i] = { id = data.ad_account_id_of(i), name = "Simulated ad account " .. i,
      owner = { username = "simulated_account", id = data.ACCOUNT_ID },
      country = "US", currency = "USD", permissions = { "OWNER" },
      created_time = 1700000000 + i * 86400, updated_time = 1750000000 + i * 86400 }
  end
  return page(ctl, args, items)
end)

-- the ads endpoints: analytics, targeting analytics, lists, GET /v5/ad_accounts/{id}
require("pinanalytics.simulator.ads").register(route, { send = send, fail = fail, bad = bad, one = one, page = page })

-- A board of the account, by id: its number, or nil.
local function board_of(ctl, board_id)
  if not board_id:match("^%d+$") then bad("Invalid list parameters", "board_id", "must be digits") end
  for b = 1, boards_count(ctl) do if data.board_id_of(b) == board_id then return b end end
end

-- GET /v5/boards/{id}/sections: each board has data.SECTIONS sections; a
-- board's pins go to its sections in turn.
route("GET", "^/v5/boards/([^/]+)/sections$", function(ctl, args, _, board_id)
  local board = board_of(ctl, board_id)
  check_ad_account("Invalid list parameters", args)
  if not board then return fail(404, 404, "Board not found.") end
  local items = {}
  for k = 1, data.SECTIONS do items[k] = { id = data.section_id_of(board, k), name = "Section " .. k } end
  return page(ctl, args, items)
end)

route("GET", "^/v5/boards/([^/]+)/sections/([^/]+)/pins$", function(ctl, args, today, board_id, section_id)
  local board = board_of(ctl, board_id)
  check_ad_account("Invalid list parameters", args)
  if not section_id:match("^%d+$") then bad("Invalid list parameters", "section_id", "must be digits") end
  if not board then return fail(404, 404, "Board not found.") end
  local section
  for k = 1, data.SECTIONS do if data.section_id_of(board, k) == section_id then section = k end end
  if not section then return fail(404, 404, "Section not found.") end
  local nb = boards_count(ctl)
  local items, n = {}, 0
  for i = 1, pins_count(ctl) do
    if (i - 1) % nb + 1 == board then
      n = n + 1
      if (n - 1) % data.SECTIONS + 1 == section then
        local item = pin_item(i, board, false, today)
        item.board_section_id = section_id
        items[#items + 1] = item
      end
    end
  end
  return page(ctl, args, items)
end)

-- OneUp ---------------------------------------------------------------------

local ONEUP_METRICS = {
  { "posts", "Posts", "Total number of posts in this period" },
  { "impressions", "Impressions", "Total number of times your pins were shown" },
  { "saves", "Saves", "The number of times your pins were saved" },
  { "comments", "Comments", "The number of comments on your pins" },
  { "repins", "Repins", "The number of times your pins were repinned" },
  { "clicks", "Clicks", "The number of clicks on your pins" },
}

local function oneup_fail(status, message)
  return send(status, { message = message })
end

-- The period of a OneUp request: start, end (strings) or raises a 422.
local function oneup_period(args, today)
  local function bad422(msg) error({ status = 422, message = msg, oneup = true }, 0) end
  if not one(args.social_network_id) or not one(args.social_network_id):match("^%d+$") then
    bad422("The social network id field is required.")
  end
  local preset = one(args.preset)
  local yesterday = data.parse_date(today) - 1
  if preset then
    local days = ({ last_7_days = 7, last_30_days = 30, last_90_days = 90 })[preset]
    if not days then bad422("The selected preset is invalid.") end
    return data.format_date(yesterday - days + 1), data.format_date(yesterday)
  end
  local s, e = one(args.start_date), one(args.end_date)
  if not s then bad422("The start date field is required when preset is not present.") end
  if not e then bad422("The end date field is required when preset is not present.") end
  local sn, en = data.parse_date(s), data.parse_date(e)
  if not sn then bad422("The start date does not match the format Y-m-d.") end
  if not en then bad422("The end date does not match the format Y-m-d.") end
  if en <= sn then bad422("The end date must be a date after start date.") end
  if en > yesterday then bad422("The end date must be a date before or equal to yesterday.") end
  return s, e
end

local function pct_string(cur, last)
  local v
  if last == 0 then v = cur == 0 and 0 or 100 else v = (cur - last) / last * 100 end
  local str = string.format("%.1f", v)
  if str == "-0.0" then str = "0.0" end
  if v >= 0 then str = "+" .. str end
  return str .. "%"
end

local function oneup_metrics(id, s, e)
  local len = data.parse_date(e) - data.parse_date(s) + 1
  local ps, pe = data.add_days(s, -len), data.add_days(s, -1)
  local cur, prev = data.oneup_totals(id, s, e), data.oneup_totals(id, ps, pe)
  local out = {}
  for _, m in ipairs(ONEUP_METRICS) do
    out[#out + 1] = { key = m[1], name = m[2], description = m[3], value_current_period = cur[m[1]],
      value_last_period = prev[m[1]], percentage_change = pct_string(cur[m[1]], prev[m[1]]) }
  end
  return out
end

local function oneup_route(kind)
  return function(ctl, args, today)
    if one(args.apiKey) ~= (ctl.oneup_api_key or "sim-oneup-key") then
      return oneup_fail(401, "Please provide a valid API key")
    end
    if ctl.oneup_fail then return send(200, { success = false, message = ctl.oneup_fail }) end
    local s, e = oneup_period(args, today)
    local id = one(args.social_network_id)
    local posts = data.oneup_posts(id, s, e)
    if kind == "posts" then
      return send(200, { success = true, data = { stats = oneup_metrics(id, s, e), posts = posts } })
    end
    local function ranked(field, desc)
      local list = {}
      for i, p in ipairs(posts) do list[i] = p end
      table.sort(list, function(a, b)
        local x, y = a.stats[field] or 0, b.stats[field] or 0
        if x ~= y then if desc then return x > y end return x < y end
        return a.id < b.id
      end)
      return { list[1], list[2], list[3] }
    end
    for _, p in ipairs(posts) do
      p.stats.engagement = p.stats.saves + p.stats.comments + p.stats.repins + p.stats.clicks
    end
    local perf = {
      most_engaging = ranked("engagement", true), least_engaging = ranked("engagement", false),
      most_views = ranked("impressions", true), least_views = ranked("impressions", false),
      most_repinned = ranked("repins", true), least_repinned = ranked("repins", false),
    }
    for _, p in ipairs(posts) do p.stats.engagement = nil end
    return send(200, { success = true, data = {
      metrics = oneup_metrics(id, s, e), total_followers = data.oneup_followers(id), post_performance = perf,
    } })
  end
end

route("GET", "^/api/pinterest/overview$", oneup_route("overview"))
route("GET", "^/api/pinterest/posts$", oneup_route("posts"))

-- OAuth ---------------------------------------------------------------------
--
-- Accounts: the simulator's own ("simulated_account": ctl.token and
-- ctl.refresh_token) and those of ctl.accounts, `{ [username] = { token,
-- refresh_token, pins_count } }`. Every token issued belongs to one account
-- (shared dict: "tok:<at>" its issue number, "tacct:<at>" its account,
-- "texp:<at>" when it expires with access_ttl; "rt:<rt>" the account of an
-- issued refresh token, "rtexp:<rt>" its expiry, "rtdead:<rt>" once a
-- continuous refresh has replaced it). One nginx worker: a get and a set
-- with no yield between them are one step.

local DEFAULT_ACCOUNT = data.ACCOUNT_USERNAME
local REFRESH_TTL = 5184000 -- 60 days: a continuous refresh token's life

local function accounts_of(ctl)
  local out = {}
  if type(ctl.accounts) == "table" then
    for name, a in pairs(ctl.accounts) do
      if type(name) == "string" and type(a) == "table" then out[name] = a end
    end
  end
  out[DEFAULT_ACCOUNT] = { token = ctl.token or "sim-token", refresh_token = ctl.refresh_token or "sim-refresh-token",
    pins_count = ctl.pins_count }
  return out
end

local function revoked(ctl, name)
  return set_of(type(ctl.revoked_accounts) == "table" and ctl.revoked_accounts or {})[name] == true
end

local function now_s()
  ngx.update_time()
  return ngx.now()
end

-- The account whose refresh token rt is, or nil (unknown, used up by a
-- continuous refresh, expired).
local function refresh_owner(ctl, rt)
  if rt == nil or rt == "" or shared:get("rtdead:" .. rt) then return nil end
  local owner = shared:get("rt:" .. rt)
  if owner then
    local exp = shared:get("rtexp:" .. rt)
    if exp and now_s() >= exp then return nil end
    return owner == true and DEFAULT_ACCOUNT or owner
  end
  for name, a in pairs(accounts_of(ctl)) do
    if a.refresh_token == rt then return name end
  end
  return nil
end

-- A new access token of the account: its string and its issue number.
local function issue_access(ctl, account, seed)
  local n = shared:incr("tokens_issued", 1, 0)
  local at = "sim-at-" .. n .. "-" .. data.hash(seed .. n)
  shared:set("tok:" .. at, n) -- its issue number, for expire_tokens_seq
  shared:set("tacct:" .. at, account)
  local ttl = tonumber(ctl.access_ttl)
  if ttl then shared:set("texp:" .. at, now_s() + ttl) end
  return at, n
end

-- A new refresh token of the account (a continuous one: REFRESH_TTL, or
-- ctl.refresh_ttl seconds). Returns it and its lifetime.
local function issue_refresh(ctl, account, seed, n)
  local rt = "sim-rt-" .. n .. "-" .. data.hash("rt" .. seed .. n)
  local ttl = tonumber(ctl.refresh_ttl) or REFRESH_TTL
  shared:set("rt:" .. rt, account)
  shared:set("rtexp:" .. rt, now_s() + ttl)
  return rt, ttl
end

local function expires_in(ctl)
  return tonumber(ctl.access_ttl) or tonumber(ctl.token_ttl) or 2592000
end

-- POST /v5/oauth/token, grant_type=refresh_token. ctl.continuous = true:
-- every refresh answers a new refresh token and the one used stops working
-- (Pinterest's continuous refresh tokens); "on_request": only when the body
-- has continuous_refresh=true (an app created before 2025-09-25), else the
-- legacy answer (no new refresh token). ctl.rotate_refresh: a new refresh
-- token each time, the old one still working.
local function refresh_grant(ctl, form)
  local rt = one(form.refresh_token)
  local asked = one(form.continuous_refresh) == "true"
  if asked then shared:incr("continuous_refresh", 1, 0) end
  local owner = refresh_owner(ctl, rt)
  if not owner or ctl.refuse_refresh or revoked(ctl, owner) then
    return fail(400, 1, "Invalid refresh_token.")
  end
  local at, n = issue_access(ctl, owner, rt)
  local body = {
    access_token = at, token_type = "bearer", expires_in = expires_in(ctl), response_type = "refresh_token",
    scope = "boards:read,pins:read,user_accounts:read",
  }
  if ctl.continuous == true or (ctl.continuous == "on_request" and asked) then
    -- the old one stops working before the answer leaves
    shared:set("rtdead:" .. rt, true)
    shared:delete("rt:" .. rt)
    local new_rt, ttl = issue_refresh(ctl, owner, rt, n)
    body.refresh_token = new_rt
    body.refresh_token_expires_in = ttl
    body.refresh_token_expires_at = math.floor(now_s()) + ttl
  elseif ctl.rotate_refresh then
    local new_rt = "sim-rt-" .. n .. "-" .. data.hash("rt" .. rt .. n)
    shared:set("rt:" .. new_rt, owner)
    body.refresh_token = new_rt
    body.refresh_token_expires_in = 31536000
    body.refresh_token_expires_at = ngx.time() + 31536000
  end
  return send(200, body)
end

-- POST /v5/oauth/token, grant_type=authorization_code: a code that
-- GET /oauth/authorize gave, once, with the same redirect_uri.
local function code_grant(ctl, form)
  local code = one(form.code)
  local rec = code and shared:get("code:" .. code)
  if code then shared:delete("code:" .. code) end -- a code is spent when it is presented
  rec = rec and cjson.decode(rec)
  if not rec then return fail(400, 1, "Invalid authorization code.") end
  if one(form.redirect_uri) ~= rec.redirect_uri then
    return fail(400, 1, "Invalid redirect_uri: it does not match the authorization request's.")
  end
  if revoked(ctl, rec.account) then return fail(400, 1, "Invalid authorization code.") end
  shared:incr("codes_exchanged", 1, 0)
  local at, n = issue_access(ctl, rec.account, code)
  local rt, ttl = issue_refresh(ctl, rec.account, code, n)
  return send(200, {
    access_token = at, token_type = "bearer", expires_in = expires_in(ctl), response_type = "authorization_code",
    scope = rec.scope, refresh_token = rt, refresh_token_expires_in = ttl,
    refresh_token_expires_at = math.floor(now_s()) + ttl,
  })
end

local function oauth_token(ctl)
  local auth = ngx.var.http_authorization or ""
  local b64 = auth:match("^Basic%s+(.+)$")
  local creds = b64 and ngx.decode_base64(b64)
  local want = (ctl.client_id or "sim-client-id") .. ":" .. (ctl.client_secret or "sim-client-secret")
  if creds ~= want then return fail(401, 2, "Authentication failed: bad client credentials.") end
  ngx.req.read_body()
  local form = ngx.req.get_post_args(20) or {}
  local grant = one(form.grant_type)
  if grant == "refresh_token" then return refresh_grant(ctl, form) end
  if grant == "authorization_code" then return code_grant(ctl, form) end
  return fail(400, 1, "Invalid grant_type: refresh_token or authorization_code.")
end

-- "a=b&c=d" from pairs, escaped
local function form_encode(pairs_list)
  local out = {}
  for _, kv in ipairs(pairs_list) do
    if kv[2] ~= nil then out[#out + 1] = ngx.escape_uri(kv[1]) .. "=" .. ngx.escape_uri(kv[2]) end
  end
  return table.concat(out, "&")
end

local function redirect_to(uri, query_pairs)
  local sep = uri:find("?", 1, true) and "&" or "?"
  return send(302, { message = "Redirecting." }, { Location = uri .. sep .. form_encode(query_pairs) })
end

-- GET /oauth/authorize: the consent page, approved at once for
-- ctl.authorize_account (default "simulated_account"): 302 to
-- redirect_uri?code=...&state=...; ctl.authorize_refuse: the user said no,
-- redirect_uri?error=access_denied&state=.... A client_id or redirect_uri
-- that is not the app's is a 400 (nowhere to redirect to).
route("GET", "^/oauth/authorize$", function(ctl, args)
  local client_id, redirect_uri = one(args.client_id), one(args.redirect_uri)
  local state, scope = one(args.state), one(args.scope)
  if client_id ~= (ctl.client_id or "sim-client-id") then
    return fail(400, 1, "Invalid client_id.")
  end
  if type(redirect_uri) ~= "string" or not redirect_uri:match("^https?://[^/?#]+") then
    return fail(400, 1, "Invalid redirect_uri: an http or https URL is required.")
  end
  if type(ctl.redirect_uris) == "table" and not set_of(ctl.redirect_uris)[redirect_uri] then
    return fail(400, 1, "Invalid redirect_uri: it is not registered for this app.")
  end
  if one(args.response_type) ~= "code" then
    return redirect_to(redirect_uri, { { "error", "unsupported_response_type" }, { "state", state } })
  end
  if type(scope) ~= "string" or scope == "" then
    return redirect_to(redirect_uri, { { "error", "invalid_scope" }, { "state", state } })
  end
  if ctl.authorize_refuse then
    return redirect_to(redirect_uri, { { "error", "access_denied" }, { "state", state } })
  end
  local account = ctl.authorize_account or DEFAULT_ACCOUNT
  local n = shared:incr("codes_issued", 1, 0)
  local code = "sim-code-" .. n .. "-" .. data.hash(redirect_uri .. (state or "") .. n .. now_s())
  shared:set("code:" .. code, cjson.encode({ redirect_uri = redirect_uri, account = account, scope = scope }), 600)
  return redirect_to(redirect_uri, { { "code", code }, { "state", state } })
end)

-- control routes ------------------------------------------------------------

local function stats_body()
  return {
    requests = shared:get("requests") or 0,
    inflight = shared:get("inflight") or 0,
    peak_inflight = shared:get("peak") or 0,
    tokens_issued = shared:get("tokens_issued") or 0,
    rate_limited = shared:get("rate_limited") or 0,
    continuous_refresh = shared:get("continuous_refresh") or 0,
    codes_issued = shared:get("codes_issued") or 0,
    codes_exchanged = shared:get("codes_exchanged") or 0,
  }
end

-- dispatch ------------------------------------------------------------------

-- The account the request's bearer token is of, or nil: unknown, expired
-- (access_ttl), refused by sim:expire_tokens(), or of a revoked account.
local function authorized(ctl)
  local auth = ngx.var.http_authorization
  local tok = auth and auth:match("^Bearer%s+(.+)$")
  if not tok then return nil end
  -- sim:expire_tokens() bumps expire_tokens_seq: every token issued before
  -- the server first sees the new number is refused from then on
  local seq = ctl.expire_tokens_seq
  if seq and shared:get("expire_seq") ~= seq then
    shared:set("expire_seq", seq)
    shared:set("expired_before", shared:get("tokens_issued") or 0)
  end
  local expired_before = shared:get("expired_before")
  local account
  if tok == (ctl.token or "sim-token") then
    if ctl.accept_static_token == false or expired_before then return nil end
    account = DEFAULT_ACCOUNT
  else
    local issued = shared:get("tok:" .. tok)
    if issued then
      if expired_before and issued <= expired_before then return nil end
      local exp = shared:get("texp:" .. tok)
      if exp and now_s() >= exp then return nil end
      account = shared:get("tacct:" .. tok) or DEFAULT_ACCOUNT
    else
      for name, a in pairs(accounts_of(ctl)) do
        if name ~= DEFAULT_ACCOUNT and a.token == tok then account = name end
      end
      if not account or expired_before then return nil end
    end
  end
  if revoked(ctl, account) then return nil end
  return account
end

-- rate limits ---------------------------------------------------------------

local RATE_LIMIT_MESSAGE = "This request exceeded a rate limit. This can happen if the client exceeds one\n" ..
  "of the published rate limits or if multiple write operations are applied to\n" ..
  "an object within a short time window."

local function category_of(path)
  if path:find("^/v5/ad_accounts") then return path:find("analytics", 1, true) and "ads_analytics" or "ads_read" end
  if path:find("analytics", 1, true) then return "org_analytics" end
  return "org_read"
end

-- The options of the request's account (ngx.ctx.account) in ctl.accounts,
-- or an empty table.
local function own_options(ctl)
  local name = ngx.ctx.account
  local a = name and type(ctl.accounts) == "table" and ctl.accounts[name]
  return type(a) == "table" and a or {}
end

--- Faults that come before the route: a quota that is used up, a rate
-- limit per account and category (a token bucket: Pinterest's limits are
-- per user and app, so every token of one account draws on one budget, and
-- each account has its own), the first n answers failing. An account of
-- ctl.accounts may have a rate_limit and a quota_reset_in of its own.
-- Returns true when it answered.
local function limits(ctl, path)
  local own = own_options(ctl)
  local reset_in = tonumber(own.quota_reset_in) or tonumber(ctl.quota_reset_in)
  if reset_in and category_of(path) == "org_analytics" then
    fail(429, 8, RATE_LIMIT_MESSAGE, {
      ["Retry-After"] = tostring(reset_in), ["X-RateLimit-Limit"] = "1000", ["X-RateLimit-Remaining"] = "0",
      ["X-RateLimit-Reset"] = tostring(reset_in),
    })
    return true
  end
  local ff = ctl.fail_first
  if type(ff) == "table" and tonumber(ff.count) then
    local n = shared:incr("fail_first_seen", 1, 0)
    if n <= tonumber(ff.count) then
      local st = tonumber(ff.status) or 503
      if ff.body then
        send(st, ff.body)
      else
        fail(st, st == 429 and 8 or 2787, st == 429 and RATE_LIMIT_MESSAGE or "Sorry! Something went wrong on our end.",
          ff.retry_after and { ["Retry-After"] = tostring(ff.retry_after) } or nil)
      end
      return true
    end
  end
  local rl = own.rate_limit
  if type(rl) ~= "table" then rl = ctl.rate_limit end
  if type(rl) ~= "table" then return false end
  local rate = tonumber(rl.per_second) or (tonumber(rl.per_minute) and tonumber(rl.per_minute) / 60)
  if not rate then return false end
  local burst = tonumber(rl.burst) or math.max(1, rate)
  local key = "rl:" .. tostring(ngx.ctx.account or "") .. ":" .. category_of(path)
  ngx.update_time()
  local now = ngx.now()
  -- no yield between get and set: one worker, so this is atomic
  local tokens = shared:get(key .. ":tokens") or burst
  local last = shared:get(key .. ":t") or now
  tokens = math.min(burst, tokens + (now - last) * rate)
  if tokens >= 1 then
    shared:set(key .. ":tokens", tokens - 1)
    shared:set(key .. ":t", now)
    ngx.header["X-RateLimit-Limit"] = tostring(math.floor(rate + 0.5))
    ngx.header["X-RateLimit-Remaining"] = tostring(math.floor(tokens - 1))
    return false
  end
  shared:set(key .. ":tokens", tokens)
  shared:set(key .. ":t", now)
  shared:incr("rate_limited", 1, 0)
  local wait = (1 - tokens) / rate
  local headers = {
    ["X-RateLimit-Limit"] = tostring(math.floor(rate + 0.5)), ["X-RateLimit-Remaining"] = "0",
    ["X-RateLimit-Reset"] = tostring(math.ceil(wait)),
  }
  if rl.retry_after ~= false then headers["Retry-After"] = tostring(math.ceil(wait)) end
  if rl.headers == false then headers = nil end
  fail(429, 8, RATE_LIMIT_MESSAGE, headers)
  return true
end

-- Whether this request gets the override ov of path: always, or with
-- ov.times = n only the first n requests of that path since the
-- configure() call that set it (counted here, in the shared dict).
local function taken(ctl, path, ov)
  local times = tonumber(ov.times)
  if not times then return true end
  local n = shared:incr("override_seen:" .. tostring(ctl.configure_seq or 0) .. ":" .. path, 1, 0)
  return n <= times
end

local function dispatch(ctl)
  local path = ngx.var.uri
  local method = ngx.req.get_method()
  if path == "/_sim/stats" then
    if method == "POST" then
      shared:set("requests", 0)
      shared:set("rate_limited", 0)
      shared:set("fail_first_seen", 0)
      shared:set("peak", shared:get("inflight") or 0)
    end
    return send(200, stats_body())
  end
  -- a failure of the simulator itself, for tests of what its user then sees
  if ctl.crash then error("crash = true: the simulator fails on purpose (control option crash)") end
  local latency = tonumber(ctl.latency_ms)
  if latency and latency > 0 then ngx.sleep(latency / 1000) end
  local ov = ctl.override and ctl.override[path]
  if ov and (ov.raw or ov.noauth) then
    if not taken(ctl, path, ov) then
      ov = nil -- its times are used up: the path answers as usual
    elseif ov.raw then
      return send_raw(ov)
    else
      return send(ov.status or 200, ov.body or "", ov.headers, ov)
    end
  end
  if path == "/v5/oauth/token" and method == "POST" then return oauth_token(ctl) end
  if path:sub(1, 4) == "/v5/" then ngx.ctx.account = authorized(ctl) end
  if path:sub(1, 4) == "/v5/" and not ngx.ctx.account then
    local msg = "Authentication failed."
    if ctl.echo_auth then msg = "Authentication failed for " .. tostring(ngx.var.http_authorization) end
    return fail(401, 2, msg)
  end
  if ov and taken(ctl, path, ov) then return send(ov.status or 200, ov.body or "", ov.headers, ov) end
  if path:sub(1, 4) == "/v5/" and limits(ctl, path) then return end
  local args = ngx.req.get_uri_args(1000)
  local today = today_of(ctl)
  for _, r in ipairs(routes) do
    if r.method == method then
      local caps = { path:match(r.pattern) }
      if caps[1] ~= nil then
        -- patterns without captures give the whole match
        if not r.pattern:find("%(") then caps = {} end
        return r.handler(ctl, args, today, caps[1], caps[2])
      end
    end
  end
  return fail(404, 404, "Not found: " .. path)
end

-- Credentials never leave in what the simulator says about itself: OneUp's
-- apiKey (a query value, so in nginx's own log lines that name the request)
-- and anything shaped like an Authorization header value.
local function scrub(s)
  s = s:gsub("([Aa][Pp][Ii][Kk][Ee][Yy]=)[^&%s\"]*", "%1[REDACTED]")
  s = s:gsub("([Bb][Ee][Aa][Rr][Ee][Rr]%s+)[^%s\",]+", "%1[REDACTED]")
  s = s:gsub("([Bb][Aa][Ss][Ii][Cc]%s+)[^%s\",]+", "%1[REDACTED]")
  return s
end

-- The last lines of nginx's error log (at most 8, 2000 bytes), or nil.
local function error_log_tail()
  local f = io.open(ngx.config.prefix() .. "logs/error.log", "rb")
  if not f then return nil end
  local size = f:seek("end")
  f:seek("set", math.max(0, size - 2000))
  local s = f:read("*a") or ""
  f:close()
  local lines = {}
  for line in s:gmatch("[^\n]+") do lines[#lines + 1] = line end
  if size > 2000 then table.remove(lines, 1) end -- cut: not a whole line
  while #lines > 8 do table.remove(lines, 1) end
  if #lines == 0 then return nil end
  return scrub(table.concat(lines, "\n"))
end

-- A Lua error of the handler: a 500 whose message has the error and the
-- end of nginx's error log before it (what nginx itself said), so that the
-- client's error says why; then one line in that log (written here, not
-- with ngx.log, whose line would name the request with its query string,
-- and so OneUp's apiKey).
local function crashed(err)
  local text = ngx.req.get_method() .. " " .. ngx.var.uri .. ": " .. scrub(tostring(err))
  local log = ngx.config.prefix() .. "logs/error.log"
  local tail = error_log_tail()
  local f = io.open(log, "ab")
  if f then
    f:write(os.date("!%Y/%m/%d %H:%M:%S"), " [error] simulator: ", (text:gsub("\n", " ")), "\n")
    f:close()
  end
  if ngx.headers_sent then return end
  ngx.header["x-pinterest-rid"] = ngx.var.request_id
  return send(500, { code = 2787, message = "Simulator error at " .. text .. "\n(this error is also in " .. log ..
    (tail and ", which ended with:\n" .. tail .. ")" or ", which was empty before)") })
end

local function handle(ctl)
  ngx.header["x-pinterest-rid"] = ngx.var.request_id
  -- the simulator's own control requests are not counted
  local counted = ngx.var.uri:sub(1, 6) ~= "/_sim/"
  if counted then
    shared:incr("requests", 1, 0)
    local now = shared:incr("inflight", 1, 0)
    if now > (shared:get("peak") or 0) then shared:set("peak", now) end
  end
  local ok, err = pcall(dispatch, ctl)
  if counted then shared:incr("inflight", -1, 0) end
  if not ok then
    if type(err) == "table" and err.status then
      if err.oneup then return send(err.status, { message = err.message }) end
      return send(err.status, { code = err.code, message = err.message })
    end
    error(err, 0)
  end
end

function M.handle()
  local ok, err = pcall(function() handle(control()) end)
  if not ok then return crashed(err) end
end

return M
