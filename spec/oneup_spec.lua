-- OneUp's Pinterest analytics: the client, its checks, and the seed's samples.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local oneup = require "pinanalytics.oneup"

local KEY = "oneup-key-7c9e6679f4a1"

describe("oneup", function()
  local sim, one

  setup(function()
    sim = H.start { oneup_api_key = KEY }
    one = pa.oneup { api_key = KEY, base_url = sim.url, clock = H.clock }
  end)
  teardown(function()
    if one then one:close() end
    if sim then sim:stop() end
  end)

  local function serve(path, body, status)
    sim:configure { override = { [path] = { status = status or 200, body = body, noauth = true } } }
  end

  it("unwraps the seed's overview sample and enriches every metric", function()
    serve("/api/pinterest/overview", H.read_file("spec/fixtures/oneup_overview.json"))
    local ov = assert(one:overview { social_network_id = 123, preset = "last_30_days" })
    sim:configure {}
    assert.equal(3200, ov.total_followers)
    assert.equal(6, #ov.metrics)
    local saves = ov.metrics[3]
    assert.equal("saves", saves.key)
    assert.equal("+18.4%", saves.percentage_change)
    assert.equal(18.4, saves.percentage_change_value)
    assert.near(18.421052631579, saves.percentage_change_computed, 1e-9)
    assert.is_false(saves.percentage_change_mismatch)
    local clicks = ov.metrics[6]
    assert.equal(23.1, clicks.percentage_change_value)
    assert.near(23.076923076923, clicks.percentage_change_computed, 1e-9)
    assert.is_false(clicks.percentage_change_mismatch)
    assert.same({}, ov.post_performance.most_engaging)
  end)

  it("unwraps the seed's posts sample", function()
    serve("/api/pinterest/posts", H.read_file("spec/fixtures/oneup_posts.json"))
    local data = assert(one:posts { social_network_id = 123, preset = "last_30_days" })
    sim:configure {}
    assert.equal(1, #data.posts)
    assert.equal("pin_123456", data.posts[1].id)
    assert.equal(3000, data.posts[1].stats.impressions)
    assert.equal("2025-05-01 09:00:00", data.posts[1].timestamp)
    assert.equal(25.0, data.stats[1].percentage_change_value)
  end)

  it("flags a percentage that disagrees with its values", function()
    local body = H.read_file("spec/fixtures/oneup_overview.json"):gsub('"%+18%.4%%"', '"+12.0%%"', 1)
    serve("/api/pinterest/overview", body)
    local ov = assert(one:overview { social_network_id = 123, preset = "last_7_days" })
    sim:configure {}
    assert.is_true(ov.metrics[3].percentage_change_mismatch)
    assert.equal(12.0, ov.metrics[3].percentage_change_value)
  end)

  it("fetches the simulator's overview and posts, the period before computed alike", function()
    local ov = assert(one:overview { social_network_id = 42, start_date = H.day(-14), end_date = H.day(-1),
      timezone = "Europe/Paris" })
    for _, m in ipairs(ov.metrics) do
      assert.is_false(m.percentage_change_mismatch, m.key)
      assert.equal(oneup.format_percentage(oneup.percentage_change(m.value_current_period, m.value_last_period)),
        m.percentage_change)
    end
    assert.equal(3, #ov.post_performance.most_views)
    local a, b = ov.post_performance.most_views[1], ov.post_performance.most_views[2]
    assert.is_true(a.stats.impressions >= b.stats.impressions)
    local data = assert(one:posts { social_network_id = 42, range = "last_7_days" })
    assert.equal(#require("pinanalytics.simulator.data").oneup_posts(42, H.day(-7), H.day(-1)), #data.posts)
    local reqs = sim:requests()
    assert.truthy(reqs[#reqs - 1].args:find("timezone=Europe%2FParis", 1, true))
  end)

  it("parses, computes and formats percentages", function()
    assert.same({ 25.0, 1 }, { oneup.parse_percentage("+25.0%") })
    assert.same({ -3.4, 2 }, { oneup.parse_percentage("-3.40%") })
    assert.is_nil(oneup.parse_percentage("25"))
    assert.equal(100.0, oneup.percentage_change(5, 0))
    assert.equal(0.0, oneup.percentage_change(0, 0))
    assert.equal(-50.0, oneup.percentage_change(5, 10))
    assert.equal("+0.0%", oneup.format_percentage(-0.01))
    assert.equal("-3.40%", oneup.format_percentage(-3.4, 2))
  end)

  it("turns success = false and a bad key into errors, never showing the key", function()
    sim:configure { oneup_fail = "Analytics endpoints are not available on the Starter plan" }
    local res, err = one:overview { social_network_id = 1, preset = "last_7_days" }
    sim:configure {}
    assert.is_nil(res)
    assert.equal("api", err.kind)
    assert.truthy(err.message:find("Starter plan", 1, true))
    H.assert_no_secret(err, KEY)

    local bad = pa.oneup { api_key = "wrong-oneup-key-123", base_url = sim.url }
    res, err = bad:overview { social_network_id = 1, preset = "last_7_days" }
    bad:close()
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.equal("Please provide a valid API key", err.message)
    H.assert_no_secret(err, "wrong-oneup-key-123")
    assert.equal("GET /api/pinterest/overview", err.endpoint)

    local dead = pa.oneup { api_key = KEY, base_url = "http://127.0.0.1:1" }
    res, err = dead:posts { social_network_id = 1, preset = "last_7_days" }
    dead:close()
    assert.is_nil(res)
    assert.equal("network", err.kind)
    H.assert_no_secret(err, KEY)
    assert.is_nil(tostring(one):find(KEY, 1, true))
  end)

  it("a server echoing the key in an error still never shows it", function()
    serve("/api/pinterest/overview", '{"message":"bad request for apiKey=' .. KEY .. '"}', 422)
    local _, err = one:overview { social_network_id = 1, preset = "last_7_days" }
    sim:configure {}
    assert.equal("http", err.kind)
    assert.truthy(err.message:find("[REDACTED]", 1, true))
    H.assert_no_secret(err, KEY)
  end)

  it("checks its parameters", function()
    local function rejects(pattern, p)
      local ok, msg = pcall(one.overview, one, p)
      assert.is_false(ok)
      assert.truthy(msg:find(pattern, 1, true), msg)
    end
    rejects("social_network_id is required", { preset = "last_7_days" })
    rejects("give exactly one of preset", { social_network_id = 1 })
    rejects("give exactly one of preset", { social_network_id = 1, preset = "last_7_days", start_date = H.day(-3),
      end_date = H.day(-1) })
    rejects('preset = "last_14_days" is not allowed', { social_network_id = 1, preset = "last_14_days" })
    rejects("must be after start_date", { social_network_id = 1, start_date = H.day(-3), end_date = H.day(-3) })
    rejects("is after yesterday", { social_network_id = 1, start_date = H.day(-3), end_date = H.day(0) })
    rejects("timezone", { social_network_id = 1, preset = "last_7_days", timezone = "Paris time" })
    assert.has_error(function() pa.oneup {} end)
  end)
end)
