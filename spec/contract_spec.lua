-- Pinterest's official contract (OpenAPI v5.23.0): what its answers mean and
-- which answers it allows.
local H = require "helpers.sim"
local count = H.count
local function ids(n, base) return H.ids(n, base or 7100000) end

local function params()
  return { start_date = H.day(-6), end_date = H.day(0), metric_types = { "IMPRESSION", "SAVE" } }
end

-- requests seen, counted by path
local function paths(sim)
  local n = {}
  for _, r in ipairs(sim:requests()) do
    local p = r.path:gsub("^/v5/pins/%d+/analytics$", "/v5/pins/{id}/analytics")
    n[p] = (n[p] or 0) + 1
  end
  return n
end

describe("contract: GET /pins/analytics 401 code 7", function()
  local sim
  local OAUTH = { token = nil, client_id = "sim-client-id", client_secret = "sim-client-secret",
    refresh_token = "sim-refresh-token" }

  setup(function() sim = H.start {} end)
  teardown(function() if sim then sim:stop() end end)

  it("falls back per pin, reports only the pins not the caller's, refreshes no token", function()
    local all = ids(150)
    local theirs = { all[7], all[120] }
    sim:configure { forbidden_pins = theirs }
    local c = H.client(sim, OAUTH)
    assert.is_true((c:refresh())) -- the first token
    local issued = sim:stats().tokens_issued
    sim:clear_log()
    local results, errs = c:pins_analytics(all, params())
    local st, seen = sim:stats(), paths(sim)
    c:close()
    assert.equal(148, count(results))
    assert.equal(2, count(errs))
    for _, id in ipairs(theirs) do
      assert.is_table(errs[id], id)
      assert.equal("forbidden", errs[id].kind)
      assert.equal(403, errs[id].status)
    end
    assert.equal(issued, st.tokens_issued)
    assert.is_nil(seen["/v5/oauth/token"])
    -- the first chunk (100 pins, one of them not the caller's) asked pin by
    -- pin; the second (50) as well: it has the other one
    assert.equal(2, seen["/v5/pins/analytics"])
    assert.equal(150, seen["/v5/pins/{id}/analytics"])
  end)

  it("a batch of the caller's pins alone still goes in one request", function()
    local all = ids(150)
    sim:configure { forbidden_pins = { all[7] } }
    local c = H.client(sim)
    sim:clear_log()
    local results, errs = c:pins_analytics(all, params())
    local seen = paths(sim)
    c:close()
    assert.equal(149, count(results))
    assert.equal("forbidden", errs[all[7]].kind)
    assert.equal(2, seen["/v5/pins/analytics"])
    assert.equal(100, seen["/v5/pins/{id}/analytics"])
  end)

  it("a 403 for a pin of one batch does not stop later calls using the multi-pin endpoint", function()
    local all = ids(150)
    sim:configure { forbidden_pins = { all[7] }, forbidden_multi_status = 403 }
    local c = H.client(sim)
    sim:clear_log()
    local results, errs = c:pins_analytics(all, params())
    assert.equal(149, count(results))
    assert.equal("forbidden", errs[all[7]].kind)
    assert.equal(100, paths(sim)["/v5/pins/{id}/analytics"])
    sim:clear_log()
    results, errs = c:pins_analytics(ids(50, 7200000), params())
    local seen = paths(sim)
    c:close()
    assert.equal(50, count(results))
    assert.is_nil(next(errs))
    assert.equal(1, seen["/v5/pins/analytics"])
    assert.is_nil(seen["/v5/pins/{id}/analytics"])
  end)

  it("a 403 saying the endpoint is not available to the app is remembered", function()
    sim:configure { refuse_multi = 403 }
    local c = H.client(sim)
    sim:clear_log()
    c:pins_analytics(ids(3), params())
    sim:clear_log()
    local results = c:pins_analytics(ids(3, 7300000), params())
    local seen = paths(sim)
    c:close()
    assert.equal(3, count(results))
    assert.is_nil(seen["/v5/pins/analytics"])
    assert.equal(3, seen["/v5/pins/{id}/analytics"])
  end)

  -- last: expire_tokens also refuses the static token from now on
  it("a 401 for the token itself on GET /pins/analytics still refreshes it, once", function()
    sim:configure {}
    local c = H.client(sim, OAUTH)
    assert.is_true((c:refresh()))
    sim:expire_tokens()
    local issued = sim:stats().tokens_issued
    local results, errs = c:pins_analytics(ids(250), params())
    local st = sim:stats()
    c:close()
    assert.is_nil(next(errs))
    assert.equal(250, count(results))
    assert.equal(issued + 1, st.tokens_issued)
  end)

end)

describe("contract: answers the official schema allows", function()
  local sim
  local pa = require "pinanalytics"

  setup(function() sim = H.start {} end)
  teardown(function() if sim then sim:stop() end end)

  local function serve(path, body)
    sim:configure { override = { [path] = { status = 200, body = body } } }
  end

  local DAYS = '{"all":{"daily_metrics":[' ..
    '{"data_status":"READY","metrics":{"IMPRESSION":4}},' .. -- no date
    '{"date":"2026-11-01","metrics":{"IMPRESSION":5}},' .. -- no data_status
    '{"date":"2026-11-02","data_status":"READY"}' .. -- no metrics
    '],"summary_metrics":{"IMPRESSION":9}}}'

  it("accepts days without date, data_status or metrics; names the undated day in warnings", function()
    serve("/v5/pins/123/analytics", DAYS)
    local c = H.client(sim)
    local res, err = c:pin_analytics("123", params())
    c:close()
    assert.is_nil(err)
    local all = res.all
    assert.equal(3, #all.daily_metrics)
    assert.equal(4, all.daily_metrics[1].metrics.IMPRESSION)
    assert.equal("2026-11-01", all.daily_metrics[2].date)
    assert.is_nil(all.daily_metrics[2].data_status)
    assert.is_nil(all.daily_metrics[3].metrics)
    assert.equal(9, all.summary_metrics.IMPRESSION)
    assert.equal(1, #all.warnings)
    assert.truthy(all.warnings[1]:find("$.all.daily_metrics[0]", 1, true), all.warnings[1])
    assert.truthy(all.warnings[1]:find("without a date", 1, true), all.warnings[1])
    -- a frame skips the day it cannot place
    local f = pa.frame(res)
    assert.same({ "2026-11-01", "2026-11-02" }, f:dates())
    assert.equal(5, f:get("2026-11-01", "IMPRESSION"))
  end)

  it("user_account_analytics accepts them too", function()
    serve("/v5/user_account/analytics", DAYS)
    local c = H.client(sim)
    local res, err = c:user_account_analytics(params())
    c:close()
    assert.is_nil(err)
    assert.equal(3, #res.all.daily_metrics)
    assert.equal(1, #res.all.warnings)
  end)

  it("pins_analytics names the undated day with the pin's path", function()
    serve("/v5/pins/analytics", '{"555":' .. DAYS .. '}')
    local c = H.client(sim)
    local results, errs = c:pins_analytics({ "555" }, params())
    c:close()
    assert.is_nil(next(errs))
    assert.equal(3, #results["555"].all.daily_metrics)
    assert.truthy(results["555"].all.warnings[1]:find('$["555"].all.daily_metrics[0]', 1, true))
  end)

  it("a type error stays invalid_response with its path", function()
    serve("/v5/pins/123/analytics", '{"all":{"daily_metrics":[{"date":"2026-11-01","metrics":{"IMPRESSION":"5"}}]}}')
    local c = H.client(sim)
    local res, err = c:pin_analytics("123", params())
    assert.is_nil(res)
    assert.equal("invalid_response", err.kind)
    assert.equal("$.all.daily_metrics[0].metrics.IMPRESSION", err.path)
    serve("/v5/pins/123/analytics", '{"all":{"daily_metrics":[{"date":7,"metrics":{}}]}}')
    res, err = c:pin_analytics("123", params())
    c:close()
    assert.is_nil(res)
    assert.equal("$.all.daily_metrics[0].date", err.path)
  end)

  it("top pins: a pin without pin_id or metrics is accepted; one without pin_id is named", function()
    serve("/v5/user_account/analytics/top_pins", '{"pins":[{"metrics":{"IMPRESSION":3}},{"pin_id":"9"},' ..
      '{"pin_id":"8","metrics":{"IMPRESSION":1}}],"sort_by":"IMPRESSION"}')
    local c = H.client(sim)
    local res, err = c:top_pins({ start_date = H.day(-6), end_date = H.day(0), sort_by = "IMPRESSION" })
    assert.is_nil(err)
    assert.equal(3, #res.pins)
    assert.equal(3, res.pins[1].metrics.IMPRESSION)
    assert.is_nil(res.pins[2].metrics)
    assert.same({ "$.pins[0]: a pin without a pin_id" }, res.warnings)
    serve("/v5/user_account/analytics/top_pins", '{"pins":[{"pin_id":9}]}')
    res, err = c:top_pins({ start_date = H.day(-6), end_date = H.day(0), sort_by = "IMPRESSION" })
    c:close()
    assert.is_nil(res)
    assert.equal("$.pins[0].pin_id", err.path)
  end)
end)

describe("contract: client:get paces by the official rate-limit category", function()
  local pinterest = require "pinanalytics.pinterest"

  it("gives every GET path of the official document its x-ratelimit-category", function()
    local n = 0
    for line in io.lines("spec/fixtures/openapi_get_categories.txt") do
      local path, cat = line:match("^(/%S*) (%S+)$")
      if path then
        n = n + 1
        assert.equal(cat, pinterest.get_category(path), path)
        -- with ids in place of the names, as a caller writes it
        local real = path:gsub("{[%w_]+}", "123")
        assert.equal(cat, pinterest.get_category(real), real)
      end
    end
    assert.equal(125, n)
  end)

  it("client:get takes the bucket of that category", function()
    local sim = H.start {}
    local c = H.client(sim)
    local asked = {}
    c.buckets = function(cat) asked[#asked + 1] = cat end -- records, paces nothing
    c:get("/ad_accounts")
    c:get("/ad_accounts/123/campaigns/analytics", { start_date = H.day(-1) })
    c:get("/ad_accounts/123/analytics")
    c:get("/user_account")
    c:get("/user_account/analytics")
    c:close()
    sim:stop()
    assert.same({ "ads_read", "ads_analytics", "ads_analytics", "org_read", "org_analytics" }, asked)
  end)
end)

describe("contract: typed helpers to find one's data", function()
  local sim, c
  local data = require "pinanalytics.simulator.data"

  setup(function()
    sim = H.start { pins_count = 12, boards_count = 2 }
    c = H.client(sim)
  end)
  teardown(function()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  local function all_items(pager)
    local out = {}
    for item in pager:items() do out[#out + 1] = item end
    return out
  end

  it("client:pin gives the pin with its 90-day and lifetime metrics", function()
    local id = data.pin_id_of(3)
    local pin, err = c:pin(id, { pin_metrics = true })
    assert.is_nil(err)
    assert.equal(id, pin.id)
    assert.equal(data.board_id_of(1), pin.board_id)
    local s = data.summary(id, H.day(-89), H.day(0), "ALL", H.TODAY)
    assert.equal(s.IMPRESSION, pin.pin_metrics["90d"].impression)
    assert.equal(math.type and "integer" or "number", math.type and math.type(pin.pin_metrics["90d"].impression)
      or type(pin.pin_metrics["90d"].impression))
    assert.equal(data.lifetime(id).TOTAL_COMMENTS, pin.pin_metrics.lifetime_metrics.comment)
    assert.is_true(pin.pin_metrics.lifetime_metrics.impression >= pin.pin_metrics["90d"].impression)
    pin = assert(c:pin(id))
    assert.is_nil(pin.pin_metrics)
    local none
    none, err = c:pin("123")
    assert.is_nil(none)
    assert.equal("not_found", err.kind)
  end)

  it("client:pin checks its arguments", function()
    assert.has_error(function() c:pin(123) end,
      "pinanalytics.pinterest:pin: pin_id must be a string of digits, got 123 (number)")
    assert.error_matches(function() c:pin("1", { pin_metric = true }) end, "unknown parameter \"pin_metric\"")
    assert.error_matches(function() c:pin("1", { pin_metrics = "yes" }) end, "pin_metrics must be true or false")
  end)

  it("client:user_account and client:pin accept what the description allows: nulls, free pin_metrics", function()
    local json = { ["Content-Type"] = "application/json" }
    sim:configure { pins_count = 12, boards_count = 2, override = {
      ["/v5/user_account"] = { status = 200, headers = json, body = '{"id":"1","username":"u","business_name":null,' ..
        '"board_count":null,"pin_count":null,"follower_count":null,"following_count":null,"monthly_views":null}' },
      ["/v5/pins/42"] = { status = 200, headers = json,
        body = '{"id":"42","pin_metrics":{"90d":{"impression":2,"note":"n/a"},"lifetime_metrics":"soon"}}' },
    } }
    local acc, err = c:user_account()
    local pin, perr = c:pin("42", { pin_metrics = true })
    sim:configure { pins_count = 12, boards_count = 2 }
    assert.is_nil(err)
    assert.equal("u", acc.username)
    assert.equal(require("pinanalytics").null, acc.business_name)
    assert.equal(require("pinanalytics").null, acc.follower_count)
    assert.is_nil(perr)
    assert.same({ ["90d"] = { impression = 2 } }, pin.pin_metrics)
    assert.same({ '$.pin_metrics["90d"].note: expected a number, got string (left out of pin_metrics)',
      "$.pin_metrics.lifetime_metrics: expected an object of metric -> number, got string (left out of pin_metrics)" },
      pin.warnings)
  end)

  it("client:user_account gives the account, counts as integers", function()
    local acc, err = c:user_account()
    assert.is_nil(err)
    assert.equal(data.ACCOUNT_ID, acc.id)
    assert.equal("simulated_account", acc.username)
    assert.equal(12, acc.pin_count)
    assert.equal(2, acc.board_count)
    if math.type then assert.equal("integer", math.type(acc.follower_count)) end
    assert(c:user_account({ ad_account_id = 12345 }))
    assert.error_matches(function() c:user_account({ ad_account_id = -1 }) end,
      "user_account: ad_account_id must be a string of digits")
  end)

  it("client:ad_accounts pages over the ad accounts", function()
    sim:configure { pins_count = 12, boards_count = 2, ad_accounts_count = 5 }
    local items = all_items(c:ad_accounts({ page_size = 2 }))
    assert.equal(5, #items)
    assert.equal(data.ad_account_id_of(5), items[5].id)
    assert.equal(data.ACCOUNT_ID, items[1].owner.id)
    if math.type then assert.equal("integer", math.type(items[1].created_time)) end
    assert.error_matches(function() c:ad_accounts({ page_size = 0 }) end, "page_size")
    assert.error_matches(function() c:ad_accounts({ ad_account_id = "1" }) end, "unknown parameter")
  end)

  it("client:board_sections and client:board_section_pins page over a board's sections and their pins", function()
    sim:configure { pins_count = 12, boards_count = 2 }
    local board = data.board_id_of(2)
    local sections = all_items(c:board_sections(board, { page_size = 1 }))
    assert.equal(2, #sections)
    assert.equal(data.section_id_of(2, 1), sections[1].id)
    local seen = 0
    for _, sec in ipairs(sections) do
      local pins = all_items(c:board_section_pins(board, sec.id, { page_size = 2 }))
      assert.equal(3, #pins)
      for _, p in ipairs(pins) do
        assert.equal(board, p.board_id)
        assert.equal(sec.id, p.board_section_id)
      end
      seen = seen + #pins
    end
    assert.equal(6, seen) -- the board's 6 pins, each in one section
    assert.error_matches(function() c:board_sections(5) end, "board_sections: board_id must be a string of digits")
    assert.error_matches(function() c:board_section_pins(board, nil) end,
      "board_section_pins: section_id must be a string of digits")
  end)

  it("ad_account_id takes a whole number as well as a string of digits", function()
    local function sent(id)
      sim:clear_log()
      assert(c:pin_analytics(data.pin_id_of(1), { start_date = H.day(-2), end_date = H.day(0),
        metric_types = { "IMPRESSION" }, ad_account_id = id }))
      local r = sim:requests()
      return r[#r].uri:match("ad_account_id=(%d+)")
    end
    assert.equal("549000031337", sent(549000031337))
    assert.equal("9007199254740991", sent(2 ^ 53 - 1))
    if math.type then
      -- an integer is exact whatever its size
      assert.equal("549000000000031337", sent(549000000000031337))
    end
    -- a float from 2^53 on (every number on Lua 5.1 and LuaJIT) may be rounded
    -- already: 549000000000031337 as a double is 549000000000031360
    assert.error_matches(function() sent(549000000000031337.0) end,
      "pin_analytics: ad_account_id must be a string of digits %(at most 18%), got 5%.49")
    assert.error_matches(function() c:list_pins({ ad_account_id = 1.5 }) end,
      "list_pins: ad_account_id must be a string of digits %(at most 18%), got 1.5 %(number%) " ..
      "%(a whole number >= 0 is taken too%)")
  end)
end)

describe("contract: ads requests and answers conform to the official description", function()
  -- the operations, their parameters and answers, from Pinterest's OpenAPI
  -- document v5.23.0 (spec/fixtures/openapi_ads_operations.json)
  local core = require "pinanalytics.core"
  local ads = require "pinanalytics.simulator.ads_data"
  local OPS = assert(core.decode(H.read_file("spec/fixtures/openapi_ads_operations.json"))).operations
  local ACCT = ads.ACCOUNTS[1]
  local sim, c

  setup(function()
    sim = H.start {}
    c = H.client(sim)
  end)
  teardown(function()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  local function template(path)
    return (path:gsub("^/v5", ""):gsub("^/ad_accounts/%d+", "/ad_accounts/{ad_account_id}"))
  end
  local function unescape(s)
    return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
  end
  local function split(s)
    local out = {}
    for x in s:gmatch("[^,]+") do out[#out + 1] = x end
    return out
  end
  local function member(list, v)
    for _, x in ipairs(list) do if tostring(x) == v then return true end end
    return false
  end

  -- one value against a schema (an item of an array, or a scalar)
  local function value_ok(s, v, what)
    if s.enum then assert.is_true(member(s.enum, v), what .. " = " .. v .. " is not in the enum") end
    if s.type == "integer" then assert.truthy(v:match("^%-?%d+$"), what .. " = " .. v .. " is not an integer") end
    if s.type == "boolean" then assert.truthy(v == "true" or v == "false", what .. " = " .. v) end
    if s.format == "date" then assert.truthy(v:match("^%d%d%d%d%-%d%d%-%d%d$"), what .. " = " .. v) end
    if s.pattern then
      -- the description's regular expressions here: only ^\d+$
      assert.equal("^\\d+$", s.pattern)
      assert.truthy(v:find("^%d+$"), what .. " = " .. v .. " does not match " .. s.pattern)
    end
    if s.maxLength then assert.is_true(#v <= s.maxLength, what) end
    if s.minimum then assert.is_true(tonumber(v) >= s.minimum, what) end
    if s.maximum then assert.is_true(tonumber(v) <= s.maximum, what) end
  end

  -- a request of the log against its operation
  local function conforms(req)
    local name = template(req.path)
    local op = OPS[name]
    assert.is_table(op, "an operation of the description: " .. name)
    local by_name = {}
    for _, p in ipairs(op.parameters) do by_name[p.name] = p end
    value_ok(by_name.ad_account_id.schema, req.path:match("^/v5/ad_accounts/(%d+)"), "ad_account_id")
    local got = {}
    for pair in req.args:gmatch("[^&]+") do
      local k, v = pair:match("^([^=]*)=?(.*)$")
      k, v = unescape(k), unescape(v)
      got[k] = got[k] or {}
      table.insert(got[k], v)
    end
    for k, vals in pairs(got) do
      local p = by_name[k]
      assert.is_table(p, name .. ": parameter " .. k .. " is not in the description")
      assert.equal("query", p["in"])
      local s = p.schema
      if s.type == "array" then
        local items = vals
        if p.explode == false then
          assert.equal(1, #vals, k .. " is sent once, comma-separated (explode: false)")
          items = split(vals[1])
        end
        if s.minItems then assert.is_true(#items >= s.minItems, k) end
        if s.maxItems then assert.is_true(#items <= s.maxItems, name .. ": " .. k .. " has " .. #items) end
        for _, v in ipairs(items) do value_ok(s.items, v, k) end
      else
        assert.equal(1, #vals, k .. " is sent once")
        value_ok(s, vals[1], k)
      end
    end
    for _, p in ipairs(op.parameters) do
      if p.required and p["in"] == "query" then assert.is_table(got[p.name], name .. " needs " .. p.name) end
    end
    return name
  end

  -- a row of an answer against the description's row schema
  local function row_conforms(op, row)
    local items = op.response.items
    for _, k in ipairs(items.required or {}) do assert.is_not_nil(row[k], k) end
    for k, s in pairs(items.properties) do
      if row[k] ~= nil then
        assert.equal("string", type(row[k]), k)
        value_ok(s, row[k], k)
      end
    end
  end

  it("every request of every ads method and option does", function()
    local camps, groups, adlist = {}, {}, ads.ads(ACCT)
    local ad_ids, pin_ids = {}, {}
    for _, x in ipairs(ads.campaigns(ACCT)) do camps[#camps + 1] = x.id end
    for _, x in ipairs(ads.ad_groups(ACCT)) do groups[#groups + 1] = x.id end
    for _, x in ipairs(adlist) do ad_ids[#ad_ids + 1] = x.id; pin_ids[#pin_ids + 1] = x.pin_id end
    local many = H.digits(300, "6260000000")
    local function p(over)
      local t = { start_date = H.day(-13), end_date = H.day(0), granularity = "DAY",
        columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH", "CTR", "TOTAL_CHECKOUT", "CAMPAIGN_NAME" },
        click_window_days = 7, engagement_window_days = 1, view_window_days = 0,
        conversion_report_time = "TIME_OF_CONVERSION" }
      for k, v in pairs(over or {}) do t[k] = v end
      return t
    end
    sim:clear_log()
    local rowsets = {}
    local function keep(op, rows) rowsets[#rowsets + 1] = { op, assert(rows) } end
    keep("/ad_accounts/{ad_account_id}/analytics", c:ad_account_analytics(ACCT,
      p { reporting_timezone = "AD_ACCOUNT_TIME_ZONE" }))
    keep("/ad_accounts/{ad_account_id}/analytics", c:ad_account_analytics(ACCT,
      p { granularity = "HOUR", start_date = H.day(-8) }))
    keep("/ad_accounts/{ad_account_id}/campaigns/analytics", c:campaign_analytics(ACCT, many,
      p { granularity = "TOTAL", aggregate_report_rows = false }))
    keep("/ad_accounts/{ad_account_id}/campaigns/analytics", c:campaign_analytics(ACCT, camps, p()))
    keep("/ad_accounts/{ad_account_id}/ad_groups/analytics", c:ad_group_analytics(ACCT, groups,
      p { granularity = "MONTH", aggregate_report_rows = true, reporting_timezone = "PINTEREST_TIME_ZONE" }))
    keep("/ad_accounts/{ad_account_id}/ads/analytics", c:ad_analytics(ACCT, p { ad_ids = ad_ids, granularity = "WEEK" }))
    keep("/ad_accounts/{ad_account_id}/ads/analytics", c:ad_analytics(ACCT,
      p { campaign_ids = camps, pin_ids = H.digits(120, "9100000000") }))
    keep("/ad_accounts/{ad_account_id}/pins/analytics", c:ad_pin_analytics(ACCT, pin_ids,
      p { campaign_id = adlist[1].campaign_id }))
    keep("/ad_accounts/{ad_account_id}/product_groups/analytics", c:product_group_analytics(ACCT,
      { ads.product_groups(ACCT)[1].id }, p { reporting_timezone = "PINTEREST_TIME_ZONE" }))
    for level, list in pairs({ ADVERTISER = false, CAMPAIGN = camps, AD_GROUP = groups, AD = ad_ids }) do
      assert(c:targeting_analytics(level, ACCT, list or nil, p { granularity = "TOTAL",
        targeting_types = { "APPTYPE", "GENDER", "AGE_BUCKET" }, attribution_types = { "INDIVIDUAL", "HOUSEHOLD" },
        reporting_timezone = "PINTEREST_TIME_ZONE" }))
    end
    assert.equal(3, #c:list_campaigns(ACCT, { page_size = 1, order = "DESCENDING", campaign_ids = camps }):all())
    assert.is_true(#c:list_ad_groups(ACCT, { page_size = 5, entity_statuses = { "ACTIVE", "PAUSED", "ARCHIVED" },
      campaign_ids = camps, ad_group_ids = groups, translate_interests_to_names = true }):all() > 0)
    assert.is_true(#c:list_ads(ACCT, { page_size = 7, ad_ids = ad_ids, ad_group_ids = groups, campaign_ids = camps,
      order = "ASCENDING" }):all() > 0)
    assert(c:ad_account(ACCT))
    local seen = {}
    for _, req in ipairs(sim:requests()) do
      assert.equal(200, req.status, req.uri)
      seen[conforms(req)] = true
    end
    local n = 0
    for name in pairs(OPS) do
      assert.is_true(seen[name], name .. " was asked")
      n = n + 1
    end
    assert.equal(14, n)
    -- and the simulator's rows have the documented shape
    local rows_seen = 0
    for _, set in ipairs(rowsets) do
      for _, r in ipairs(set[2]) do
        if not (set[1]:find("/campaigns/") or set[1]:find("/ad_groups/")) or r.CAMPAIGN_ID or r.AD_GROUP_ID then
          row_conforms(OPS[set[1]], r)
        end
        rows_seen = rows_seen + 1
      end
    end
    assert.is_true(rows_seen > 100)
  end)

  it("accepts the description's own example answers, typed by the catalogue", function()
    local methods = {
      ["/ad_accounts/{ad_account_id}/analytics"] = function(p) return c:ad_account_analytics(ACCT, p) end,
      ["/ad_accounts/{ad_account_id}/campaigns/analytics"] = function(p) return c:campaign_analytics(ACCT, { "1" }, p) end,
      ["/ad_accounts/{ad_account_id}/ad_groups/analytics"] = function(p) return c:ad_group_analytics(ACCT, { "1" }, p) end,
      ["/ad_accounts/{ad_account_id}/ads/analytics"] = function(p)
        p.ad_ids = { "1" }
        return c:ad_analytics(ACCT, p)
      end,
      ["/ad_accounts/{ad_account_id}/pins/analytics"] = function(p)
        p.campaign_id = "1"
        return c:ad_pin_analytics(ACCT, { "1" }, p)
      end,
      ["/ad_accounts/{ad_account_id}/product_groups/analytics"] = function(p)
        return c:product_group_analytics(ACCT, { "1" }, p)
      end,
      ["/ad_accounts/{ad_account_id}/targeting_analytics"] = function(p)
        p.targeting_types = { "KEYWORD" }
        return c:targeting_analytics("ADVERTISER", ACCT, nil, p)
      end,
      ["/ad_accounts/{ad_account_id}/campaigns/targeting_analytics"] = function(p)
        p.targeting_types = { "KEYWORD" }
        return c:targeting_analytics("CAMPAIGN", ACCT, { "1" }, p)
      end,
      ["/ad_accounts/{ad_account_id}/ad_groups/targeting_analytics"] = function(p)
        p.targeting_types = { "KEYWORD" }
        return c:targeting_analytics("AD_GROUP", ACCT, { "1" }, p)
      end,
      ["/ad_accounts/{ad_account_id}/ads/targeting_analytics"] = function(p)
        p.targeting_types = { "KEYWORD" }
        return c:targeting_analytics("AD", ACCT, { "1" }, p)
      end,
    }
    local n = 0
    for name, call in pairs(methods) do
      local op = OPS[name]
      local example = op.example
      local body = name:find("targeting") and example or { example }
      local json = require("cjson").encode(body)
      local path = "/v5" .. name:gsub("{ad_account_id}", ACCT)
      sim:configure { override = { [path] = { status = 200, body = json } } }
      local rows, err = call({ start_date = H.day(-6), end_date = H.day(0), granularity = "DAY",
        columns = { "SPEND_IN_DOLLAR", "TOTAL_CLICKTHROUGH" } })
      assert.is_nil(err, name)
      local row = name:find("targeting") and rows[1].metrics or rows[1]
      assert.equal(name:find("targeting") and 240 or 30, row.SPEND_IN_DOLLAR)
      if math.type then assert.equal("float", math.type(row.SPEND_IN_DOLLAR), name) end
      if name:find("targeting") then
        assert.equal("2680067996745", row.AD_GROUP_ID) -- a number in the example: an id, so its digits
        assert.equal(#example.data, #rows)
      else
        assert.equal(216, row.TOTAL_CLICKTHROUGH)
        if math.type then assert.equal("integer", math.type(row.TOTAL_CLICKTHROUGH)) end
      end
      n = n + 1
    end
    sim:configure {}
    assert.equal(10, n)
  end)
end)
