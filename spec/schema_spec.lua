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
