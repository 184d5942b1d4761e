-- Async ads reports against the official description (OpenAPI 5.23.0,
-- spec/fixtures/openapi_ads_reports.json): every request body the client
-- sends is an AdsAnalyticsCreateAsyncRequest, and every answer the
-- description allows is taken.
local H = require "helpers.sim"
local core = require "pinanalytics.core"
local ads = require "pinanalytics.simulator.ads_data"

local DOC = assert(core.decode(H.read_file("spec/fixtures/openapi_ads_reports.json")))
local ACCT = ads.ACCOUNTS[1]
local PATH = "/v5/ad_accounts/" .. ACCT .. "/reports"

-- v (decoded JSON) against the schema s; what: where, for messages
local function conforms(s, v, what)
  if v == core.null then
    assert.is_true(s.nullable == true, what .. " is null")
    return
  end
  if s.enum then
    local found = false
    for _, x in ipairs(s.enum) do if x == v then found = true end end
    assert.is_true(found, what .. " = " .. tostring(v) .. " is not in the enum")
  end
  if s.type == "object" then
    assert.is_table(v, what)
    for _, k in ipairs(s.required or {}) do assert.is_not_nil(v[k], what .. "." .. k .. " is required") end
    for k, x in pairs(v) do
      local ps = s.properties and s.properties[k]
      assert.is_table(ps, what .. "." .. tostring(k) .. " is not a property of the description")
      conforms(ps, x, what .. "." .. k)
    end
  elseif s.type == "array" then
    assert.is_table(v, what)
    if s.minItems then assert.is_true(#v >= s.minItems, what .. " has fewer items than " .. s.minItems) end
    if s.maxItems then assert.is_true(#v <= s.maxItems, what .. " has more items than " .. s.maxItems) end
    for i, x in ipairs(v) do conforms(s.items, x, what .. "[" .. i .. "]") end
  elseif s.type == "string" then
    assert.equal("string", type(v), what)
    if s.pattern == "^(\\d{4})-(\\d{2})-(\\d{2})$" then
      assert.truthy(v:match("^%d%d%d%d%-%d%d%-%d%d$"), what .. " = " .. v)
    elseif s.pattern == "^\\d+$" then
      assert.truthy(v:match("^%d+$"), what .. " = " .. v)
    else
      assert.is_nil(s.pattern, what .. ": a pattern this spec does not know")
    end
  elseif s.type == "integer" then
    assert.equal("number", type(v), what)
    assert.equal(math.floor(v), v, what)
  elseif s.type == "number" then
    assert.equal("number", type(v), what)
  elseif s.type == "boolean" then
    assert.equal("boolean", type(v), what)
  end
  if s.minimum then assert.is_true(v >= s.minimum, what) end
  if s.maximum then assert.is_true(v <= s.maximum, what) end
end

describe("contract: async ads reports", function()
  local sim, c
  setup(function()
    sim = H.start {}
    c = H.client(sim)
  end)
  teardown(function()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  -- the body the client sends for params: the simulator echoes it back
  local function sent(params)
    sim:configure { override = { [PATH] = { status = 400, body = '{"code":1,"echo":{body}}', echo = true } } }
    local res, err = c:create_ads_report(ACCT, params)
    sim:configure {}
    assert.is_nil(res)
    assert.is_table(err.body, tostring(err))
    return err.body.echo
  end

  it("every request body conforms to AdsAnalyticsCreateAsyncRequest", function()
    local cases = {
      { level = "CAMPAIGN", granularity = "DAY", columns = { "SPEND_IN_MICRO_DOLLAR", "CTR" }, range = "last_7_days" },
      { level = "AD_GROUP", granularity = "TOTAL", columns = "SPEND_IN_MICRO_DOLLAR,TOTAL_CLICKTHROUGH",
        start_date = H.day(-186), end_date = H.day(-1), report_format = "CSV",
        campaign_ids = { "626000000000798607" }, ad_group_ids = { "1", "2" },
        campaign_statuses = { "RUNNING", "PAUSED" }, ad_group_statuses = { "ARCHIVED" },
        campaign_objective_types = { "AWARENESS" }, click_window_days = 7, engagement_window_days = 14,
        view_window_days = 1, conversion_report_time = "TIME_OF_CONVERSION", attribution_types = { "INDIVIDUAL" },
        reporting_timezone = "AD_ACCOUNT_TIME_ZONE", primary_sort = "BY_DATE",
        metrics_filters = { { field = "SPEND_IN_DOLLAR", operator = "GREATER_THAN", values = { 1.5 } } },
        campaign_brand_label = "brand" },
      { level = "PIN_PROMOTION_TARGETING", granularity = "HOUR", columns = { "TOTAL_IMPRESSION" },
        start_date = H.day(-2), end_date = H.day(-1), start_hour = 3, end_hour = 20,
        targeting_types = { "KEYWORD", "GENDER" }, combine_targeting_types = true, ad_ids = { "9" },
        ad_statuses = { "APPROVED" } },
      { level = "PRODUCT_ITEM", granularity = "WEEK", columns = { "SPEND_IN_MICRO_DOLLAR" },
        start_date = H.day(-31), end_date = H.day(-1), product_group_ids = { "5" }, product_item_ids = { "6" },
        product_group_statuses = { "RUNNING" },
        custom_conversion_event_metrics = { { custom_event_name = "signup",
          custom_event_metrics_type = "ADE_TOTAL_CONVERSIONS" } } },
    }
    for i, p in ipairs(cases) do
      local body = sent(p)
      conforms(DOC.request, body, "case " .. i)
      assert.equal(p.level, body.level)
      assert.equal(p.report_format or "JSON", body.report_format)
    end
  end)

  it("polls with the token in the query, as the description has it", function()
    sim:configure { ads_report_polls = 1 }
    sim:clear_log()
    local made = assert(c:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }))
    conforms(DOC.post_response, { report_status = made.report_status, token = made.token }, "POST answer")
    assert(c:wait_ads_report(ACCT, made.token, { interval = 0.01 }))
    local polls = 0
    for _, r in ipairs(sim:requests()) do
      if r.method == "GET" then
        polls = polls + 1
        assert.equal(PATH, r.path)
        assert.equal("token=" .. made.token, r.args)
      end
    end
    assert.equal(2, polls)
    sim:configure {}
  end)

  it("takes every answer the description allows", function()
    local function answer(body)
      sim:configure { override = { [PATH] = { status = 200, body = body } } }
    end
    -- POST: message null or absent, another field beside them
    answer('{"report_status":"IN_PROGRESS","token":"t-1","message":null,"later":1}')
    local made = assert(c:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "CTR" }, range = "last_7_days" }))
    assert.same({ token = "t-1", report_status = "IN_PROGRESS" }, { token = made.token,
      report_status = made.report_status })
    assert.is_nil(made.message)
    answer('{"token":"t-2"}')
    assert.equal("t-2", assert(c:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "CTR" }, range = "last_7_days" })).token)
    -- GET: url and size null or absent while it runs; size a number with a fraction
    for _, body in ipairs({ '{"report_status":"IN_PROGRESS","url":null,"size":null}', '{"report_status":"IN_PROGRESS"}' }) do
      answer(body)
      local st = assert(c:ads_report_status(ACCT, "t-1"))
      assert.equal("IN_PROGRESS", st.report_status)
      assert.is_nil(st.url)
      assert.is_nil(st.size)
    end
    answer('{"report_status":"FINISHED","url":"https://storage.example/r.json","size":1234.5}')
    local st = assert(c:ads_report_status(ACCT, "t-1"))
    assert.same({ report_status = "FINISHED", url = "https://storage.example/r.json", size = 1234.5 }, st)
    -- every status of the enum is taken, the ends of a report said as such
    for _, s in ipairs(DOC.get_response.properties.report_status.enum) do
      answer('{"report_status":"' .. s .. '"}')
      assert.equal(s, assert(c:ads_report_status(ACCT, "t-1")).report_status)
    end
    -- FINISHED without a url: allowed by the description, unusable: said, not a crash
    answer('{"report_status":"FINISHED","url":null}')
    local none, err = c:wait_ads_report(ACCT, "t-1", { interval = 0.01 })
    assert.is_nil(none)
    assert.equal("invalid_response", err.kind)
    assert.matches("no url", err.message, 1, true)
    -- a status the description does not have is refused, naming it
    answer('{"report_status":"DONE"}')
    none, err = c:ads_report_status(ACCT, "t-1")
    assert.is_nil(none)
    assert.equal("invalid_response", err.kind)
    sim:configure {}
  end)
end)
