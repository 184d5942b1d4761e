local core = require "pinanalytics.core"
local schema = require "pinanalytics.schema"
local H = require "helpers.sim"

-- Each case {json, path, words}: the check says no at that path, with those words.
local function rejects(check, cases)
  for _, c in ipairs(cases) do
    local ok, path, why = check(assert(core.decode(c[1])))
    assert.is_false(ok, c[1])
    assert.equal(c[2], path, c[1])
    assert.truthy(why:find(c[3], 1, true), why)
  end
end

describe("schema.pin_analytics", function()
  it("rejects the seed's sample response at its first bad field", function()
    local body = assert(core.decode(H.read_file("spec/fixtures/seed_pin_analytics.json")))
    local ok, path, why = schema.pin_analytics(body)
    assert.is_false(ok)
    assert.equal("$.aliqua_8a6.daily_metrics[0].date", path)
    assert.equal("expected a date string YYYY-MM-DD, got object", why)
  end)

  it("accepts a well-formed answer and makes rates floats", function()
    local body = assert(core.decode([[{"all":{"daily_metrics":[{"date":"2026-10-01","data_status":"READY",
      "metrics":{"IMPRESSION":10,"SAVE":1,"SAVE_RATE":0}}],"summary_metrics":{"IMPRESSION":10,"SAVE_RATE":1},
      "lifetime_metrics":{"TOTAL_COMMENTS":3}}}]]))
    assert.is_true(schema.pin_analytics(body))
    if math.type then
      assert.equal("float", math.type(body.all.daily_metrics[1].metrics.SAVE_RATE))
      assert.equal("float", math.type(body.all.summary_metrics.SAVE_RATE))
      assert.equal("integer", math.type(body.all.summary_metrics.IMPRESSION))
    end
  end)

  it("names each kind of bad field", function()
    local cases = {
      { '[1,2]', "$", "expected an object keyed by split" },
      { '{"all":[1]}', "$.all", "expected an object {daily_metrics" },
      { '{"all":{"daily_metrics":{"a":1}}}', "$.all.daily_metrics", "expected an array of days, got object" },
      { '{"all":{"daily_metrics":[{"date":"2026-02-30","data_status":"READY","metrics":{}}]}}',
        "$.all.daily_metrics[0].date", 'expected a date YYYY-MM-DD, got "2026-02-30"' },
      { '{"all":{"daily_metrics":[{"date":"2026-02-03","data_status":null,"metrics":{}}]}}',
        "$.all.daily_metrics[0].data_status", "expected a status string (READY, PROCESSING, ...), got null" },
      { '{"all":{"daily_metrics":[{"date":"2026-02-03","data_status":"READY","metrics":{"SAVE":"1"}}]}}',
        "$.all.daily_metrics[0].metrics.SAVE", "expected a number, got string" },
      { '{"all":{"summary_metrics":{"SAVE":null}}}', "$.all.summary_metrics.SAVE", "expected a number, got null" },
      { '{"odd key":{"lifetime_metrics":[1]}}', '$["odd key"].lifetime_metrics', "expected an object of metric" },
    }
    rejects(schema.pin_analytics, cases)
  end)
end)

describe("schema.top_pins", function()
  it("accepts the documented shape and names a bad field", function()
    local good = assert(core.decode([[{"date_availability":{"is_realtime":false,"latest_available_timestamp":1649116799000},
      "pins":[{"pin_id":"642396334344813594","metrics":{"SAVE":3,"SAVE_RATE":0},"data_status":{"SAVE":"READY"}}],
      "sort_by":"SAVE"}]]))
    assert.is_true(schema.top_pins(good))
    if math.type then assert.equal("float", math.type(good.pins[1].metrics.SAVE_RATE)) end
    local cases = {
      { '{"pins":[{"pin_id":642396334344813594,"metrics":{}}]}', "$.pins[0].pin_id", "expected a string" },
      { '{"pins":[{"pin_id":"1","metrics":{},"data_status":"READY"}]}', "$.pins[0].data_status", "metric -> status" },
      { '{"pins":[{"pin_id":"1","metrics":{},"data_status":{"SAVE":1}}]}', "$.pins[0].data_status.SAVE",
        "expected a status string" },
      { '{"date_availability":{"is_realtime":"no"}}', "$.date_availability.is_realtime", "expected a boolean" },
      { '{"pins":{"a":1}}', "$.pins", "expected an array of pins" },
    }
    rejects(schema.top_pins, cases)
  end)
end)

describe("counts and rates", function()
  it("a count is a number below 2^53 in magnitude, an integer when whole; a rate a float", function()
    local m = { IMPRESSION = 240.0, PIN_CLICK = 7.5, SAVE_RATE = 0, save_rate = 1, VIDEO_AVG_WATCH_TIME = 3 }
    assert.is_true(schema.metrics_object(m, "$"))
    assert.same({ 240, 7.5, 0, 1, 3 }, { m.IMPRESSION, m.PIN_CLICK, m.SAVE_RATE, m.save_rate, m.VIDEO_AVG_WATCH_TIME })
    if math.type then
      assert.same({ "integer", "float", "float", "float", "float" }, { math.type(m.IMPRESSION), math.type(m.PIN_CLICK),
        math.type(m.SAVE_RATE), math.type(m.save_rate), math.type(m.VIDEO_AVG_WATCH_TIME) })
    end
    rejects(function(v) return schema.metrics_object(v, "$") end, {
      { '{"SAVE":9007199254740992}', "$.SAVE", "expected a count below 2^53 in magnitude" },
      { '{"A":1,"SAVE":-1e300}', "$.SAVE", "got -1e+300" },
    })
    -- a rate that large is still a rate
    assert.is_true(schema.metrics_object({ SAVE_RATE = 1e300 }, "$"))
  end)
end)

describe("schema.pins_list and schema.boards_list", function()
  it("accept the documented pages and type their counts", function()
    local page = assert(core.decode('{"items":[{"id":"1","board_id":"2","board_section_id":null,' ..
      '"pin_metrics":{"90d":{"impression":2.0,"save_rate":0}}},{"id":"3","pin_metrics":null}],"bookmark":"b"}'))
    assert.is_true(schema.pins_list(page))
    local boards = assert(core.decode('{"items":[{"id":"1","pin_count":5,"follower_count":0,"owner":{}}]}'))
    assert.is_true(schema.boards_list(boards))
    if math.type then
      assert.equal("integer", math.type(page.items[1].pin_metrics["90d"].impression))
      assert.equal("float", math.type(page.items[1].pin_metrics["90d"].save_rate))
      assert.equal("integer", math.type(boards.items[1].pin_count))
    end
  end)

  it("leave a page without an items array to the pager", function()
    for _, text in ipairs({ '[1]', '{"items":{"a":1}}', '{"bookmark":1}', '{}' }) do
      assert.is_true(schema.pins_list(assert(core.decode(text))), text)
    end
  end)

  it("name each kind of bad field", function()
    rejects(schema.pins_list, {
      { '{"items":[{"id":1}]}', "$.items[0].id", "expected a string, got number" },
      { '{"items":[{"id":"1","board_section_id":7}]}', "$.items[0].board_section_id", "expected a string" },
      { '{"items":[{"id":"1","parent_pin_id":[]}]}', "$.items[0].parent_pin_id", "expected a string, got empty" },
      { '{"items":[{"id":"1","pin_metrics":"x"}]}', "$.items[0].pin_metrics", "expected an object, got string" },
      { '{"items":[1,"x"]}', "$.items[0]", "expected a pin object, got number" },
    })
    rejects(schema.boards_list, {
      { '{"items":[{"id":"1","pin_count":null}]}', "$.items[0].pin_count", "expected a number (a count), got null" },
      { '{"items":[{"collaborator_count":1e20}]}', "$.items[0].collaborator_count", "below 2^53" },
    })
  end)

  it("leave out, with a warning, what the description allows but cannot be used", function()
    -- pin_metrics is only "object" in the description
    local page = assert(core.decode('{"items":[{"id":"1","pin_metrics":{"90d":[1]}}]}'))
    assert.is_true(schema.pins_list(page))
    assert.same({}, page.items[1].pin_metrics)
    assert.same({ '$.items[0].pin_metrics["90d"]: expected an object of metric -> number, got array ' ..
      '(left out of pin_metrics)' }, page.items[1].warnings)
  end)
end)

describe("schema.oauth_token", function()
  it("accepts the documented answer, types its counts, names a bad field", function()
    local t = assert(core.decode('{"access_token":"a","token_type":"bearer","expires_in":3600.0,"scope":"s",' ..
      '"refresh_token":null,"refresh_token_expires_in":31536000,"refresh_token_expires_at":1.7e9}'))
    assert.is_true(schema.oauth_token(t))
    if math.type then
      assert.same({ "integer", "integer" }, { math.type(t.expires_in), math.type(t.refresh_token_expires_at) })
    end
    rejects(schema.oauth_token, {
      { '[1]', "$", "expected an object {access_token" },
      { '{"access_token":null}', "$.access_token", "expected a string, got null" },
      { '{"expires_in":"3600"}', "$.expires_in", "expected a number (a count), got string" },
      { '{"token_type":1}', "$.token_type", "expected a string" },
    })
  end)
end)
