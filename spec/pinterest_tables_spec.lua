-- The Pinterest client's endpoints are data (pinanalytics.pinterest.organic:
-- paths, parameters, enums, limits), checked by pinanalytics.pinterest.validate
-- and sent by the client's mechanics (Client:_call): each method sends what its
-- table says, the public names are the tables' own, and a table added beside
-- the organic ones (ads, say) goes through the same mechanics.
local H = require "helpers.sim"
local pinterest = require "pinanalytics.pinterest"
local organic = require "pinanalytics.pinterest.organic"
local ads = require "pinanalytics.ads"
local validate = require "pinanalytics.pinterest.validate"
local data = require "pinanalytics.simulator.data"

-- the client's methods that are mechanics, not endpoints of a table
local MECHANICS = { close = true, refresh = true, request_count = true, get = true }
-- nor are the async ads reports' (pinanalytics.ads.async: a POST, its polls, a download)
for _, name in ipairs(require("pinanalytics.ads.async").METHODS) do MECHANICS[name] = true end

local function raises(f, msg)
  local ok, err = pcall(f)
  assert.is_false(ok)
  assert.equal(msg, err)
end

describe("pinterest endpoint tables", function()
  it("describe every endpoint method of the client: path, parameters in order, answer, category", function()
    local sim = H.start {}
    local c = H.client(sim)
    local mt = getmetatable(c)
    c:close()
    sim:stop()
    local methods = {}
    for name, f in pairs(mt) do
      if type(f) == "function" and not name:match("^_") and not MECHANICS[name] then
        methods[#methods + 1] = name
      end
    end
    table.sort(methods)
    local names = {}
    for name in pairs(organic.endpoints) do names[#names + 1] = name end
    assert.equal(14, #names) -- pins_analytics's table is GET /pins/analytics; pins's GET /pins/{pin_id}
    for name in pairs(ads.METHODS) do names[#names + 1] = name end -- the ads tables, beside them
    table.sort(names)
    assert.same(methods, names)
    for name, ep in pairs(ads.METHODS) do
      local eps = ep.path and { ep } or ep -- targeting_analytics: a table by level
      for _, e in pairs(eps) do
        assert.equal(name, e.name)
        assert.truthy(e.path:match("^/ad_accounts/{ad_account_id}[%w_/]*$"), name)
        assert.truthy(e.category == "ads_analytics" or e.category == "ads_read", name)
      end
    end
    local answers = { analytics = true, object = true, pages = true, bulk = true }
    for name, ep in pairs(organic.endpoints) do
      assert.equal(name, ep.name)
      assert.truthy(ep.path:match("^/[%w_/{}]+$"), name)
      assert.is_true(answers[ep.answer], name)
      assert.truthy(ep.category == "org_analytics" or ep.category == "org_read", name)
      local listed = {}
      for _, p in ipairs(ep.order) do
        assert.is_nil(listed[p], name .. ": " .. p .. " twice in order")
        listed[p] = true
        assert.is_function(ep.params[p], name .. ": " .. p)
      end
      for p in pairs(ep.params) do assert.is_true(listed[p], name .. ": " .. p .. " not in order") end
      local n_ids = 0
      for _ in ep.path:gmatch("{[%w_]+}") do n_ids = n_ids + 1 end
      assert.equal(n_ids, #(ep.ids or {}), name)
    end
    assert.equal("/pins/{pin_id}/analytics", organic.endpoints.pin_analytics.path)
    assert.same({ "board_id", "section_id" }, organic.endpoints.board_section_pins.ids)
  end)

  it("are where the public names come from: one list, not a copy", function()
    for _, k in ipairs({ "PIN_METRICS_STANDARD", "PIN_METRICS_VIDEO", "PIN_METRICS", "ACCOUNT_METRICS",
      "TOP_VIDEO_METRICS", "APP_TYPES", "PIN_SPLIT_FIELDS", "ACCOUNT_SPLIT_FIELDS", "FROM_CLAIMED_CONTENT",
      "PIN_FORMATS", "CONTENT_TYPES", "SOURCES", "TOP_PINS_SORT", "TOP_VIDEO_PINS_SORT", "PIN_FILTERS",
      "PIN_TYPES", "CREATIVE_TYPES", "BOARD_PRIVACY" }) do
      assert.is_table(organic[k], k)
      assert.is_true(rawequal(organic[k], pinterest[k]), k)
    end
    for _, k in ipairs({ "MAX_LOOKBACK_DAYS", "MAX_RANGE_DAYS", "MAX_WINDOW_DAYS", "MULTI_PIN_MAX" }) do
      assert.equal(organic[k], pinterest[k], k)
    end
    assert.same({ 90, 90, 91, 100, 3600 }, { pinterest.MAX_LOOKBACK_DAYS, pinterest.MAX_RANGE_DAYS,
      pinterest.MAX_WINDOW_DAYS, pinterest.MULTI_PIN_MAX, pinterest.MULTI_REFUSAL_TTL })
    assert.equal(15, #pinterest.PIN_METRICS)
  end)

  describe("against the simulator", function()
    local sim, c, asked
    setup(function()
      sim = H.start {}
      c = H.client(sim)
      asked = {}
      c.buckets = function(cat) asked[#asked + 1] = cat end -- records, paces nothing
    end)
    teardown(function()
      if c then c:close() end
      if sim then sim:stop() end
    end)

    local board, section, pin = data.board_id_of(1), data.section_id_of(1, 1), data.pin_id_of(1)
    local dated = { start_date = H.day(-6), end_date = H.day(0) }
    local function with(extra)
      local t = {}
      for k, v in pairs(dated) do t[k] = v end
      for k, v in pairs(extra) do t[k] = v end
      return t
    end
    -- each method with the least it takes, and the path its table gives
    local calls = {
      { "pin_analytics", { pin, with { metric_types = { "IMPRESSION" } } }, "/pins/" .. pin .. "/analytics" },
      { "user_account_analytics", { dated }, "/user_account/analytics" },
      { "top_pins", { with { sort_by = "SAVE" } }, "/user_account/analytics/top_pins" },
      { "top_video_pins", { with { sort_by = "VIDEO_START" } }, "/user_account/analytics/top_video_pins" },
      { "list_pins", {}, "/pins" },
      { "list_boards", {}, "/boards" },
      { "list_board_pins", { board }, "/boards/" .. board .. "/pins" },
      { "pin", { pin }, "/pins/" .. pin },
      { "pins", { { pin } }, "/pins/" .. pin },
      { "user_account", {}, "/user_account" },
      { "ad_accounts", {}, "/ad_accounts" },
      { "board_sections", { board }, "/boards/" .. board .. "/sections" },
      { "board_section_pins", { board, section }, "/boards/" .. board .. "/sections/" .. section .. "/pins" },
    }

    it("each method sends the path and rate-limit category of its table", function()
      for _, call in ipairs(calls) do
        local name, args, path = call[1], call[2], call[3]
        local ep = organic.endpoints[name]
        sim:clear_log()
        asked = {}
        local res, err = c[name](c, (unpack or table.unpack)(args))
        if ep.answer == "pages" then
          local pager = res
          res = pager:next_page()
          err = pager.err
        elseif ep.answer == "bulk" then
          assert.same({}, err, name) -- errors by pin id: none
          err = nil
        end
        assert.is_nil(err, name)
        assert.is_table(res, name)
        local reqs = sim:requests()
        assert.equal(1, #reqs, name)
        assert.equal("/v5" .. path, reqs[1].path, name)
        if ep.answer == "bulk" then
          -- the bulk engine asks for its bucket as it starts requests
          for _, cat in ipairs(asked) do assert.equal(ep.category, cat, name) end
          assert.truthy(#asked >= 1, name)
        else
          assert.same({ ep.category }, asked, name)
        end
      end
    end)

    it("a table added beside the organic ones goes through the same mechanics", function()
      local P = validate.param
      -- a dated endpoint with rules of its own: 30 days back, 6 days long
      local ep = {
        name = "board_pins_lately", path = "/boards/{board_id}/pins", ids = { "board_id" },
        dated = { lookback = 30, range = 6 }, params = { page_size = P.int(1, 5) }, order = { "page_size" },
        answer = "pages", shape = "pins_list", schema = "pins_list", category = "org_read",
      }
      raises(function() c:_call(ep, dated, "b1") end,
        "pinanalytics.pinterest:board_pins_lately: board_id must be a string of digits, got \"b1\"")
      raises(function() c:_call(ep, { start_date = H.day(-31), end_date = H.day(-30) }, board) end,
        ("pinanalytics.pinterest:board_pins_lately: start_date %s is 31 days before today (%s UTC) (allowed: at " ..
          "most 30; earliest allowed date: %s; or pass clamp = true)"):format(H.day(-31), H.TODAY, H.day(-30)))
      raises(function() c:_call(ep, { start_date = H.day(-9), end_date = H.day(0) }, board) end,
        ("pinanalytics.pinterest:board_pins_lately: end_date %s is 9 days after start_date %s (allowed: at most " ..
          "6, a range of 7 days; split longer ranges with range:windows(7))"):format(H.day(0), H.day(-9)))
      raises(function() c:_call(ep, { page_size = 6 }, board) end,
        "pinanalytics.pinterest:board_pins_lately: start_date is required (a UTC date YYYY-MM-DD), or give range")
      sim:clear_log()
      asked = {}
      local pager = c:_call(ep, { start_date = H.day(-6), end_date = H.day(0), page_size = 5 }, board)
      local items = pager:next_page()
      assert.is_nil(pager.err)
      assert.equal(5, #items)
      local reqs = sim:requests()
      assert.equal(1, #reqs)
      assert.equal("/v5/boards/" .. board .. "/pins", reqs[1].path)
      assert.equal(("start_date=%s&end_date=%s&page_size=5"):format(H.day(-6), H.day(0)), reqs[1].args)
      assert.same({ "org_read" }, asked)
    end)
  end)
end)
