-- JSON decoding in the C core (pinanalytics.core.decode, used for every body).
local core = require "pinanalytics.core"

local itype = math.type or function(x) return type(x) == "number" and "float" or nil end
local has_integers = math.type ~= nil

describe("core.decode", function()
  it("decodes integer literals as integers and fractions as floats", function()
    local t = assert(core.decode('{"IMPRESSION":240,"SAVE_RATE":0.18,"neg":-7,"zero":0}'))
    assert.equal(240, t.IMPRESSION)
    assert.equal(0.18, t.SAVE_RATE)
    assert.equal(-7, t.neg)
    if has_integers then
      assert.equal("integer", itype(t.IMPRESSION))
      assert.equal("integer", itype(t.neg))
      assert.equal("integer", itype(t.zero))
      assert.equal("float", itype(t.SAVE_RATE))
    end
  end)

  it("makes every whole number below 2^53 an integer, however it is written", function()
    local t = assert(core.decode('{"a":1.0,"b":2e3,"c":-0.0,"d":[3.0,4,4.5]}'))
    assert.equal(1, t.a)
    assert.equal(2000, t.b)
    if has_integers then
      assert.equal("integer", itype(t.a))
      assert.equal("integer", itype(t.b))
      assert.equal("integer", itype(t.c))
      assert.equal("integer", itype(t.d[1]))
      assert.equal("integer", itype(t.d[2]))
      assert.equal("float", itype(t.d[3]))
    end
  end)

  it("keeps integers from 2^53 on floats: a double that large may already be rounded", function()
    local t = assert(core.decode('{"id":729090764583391194,"s":"729090764583391194"}'))
    assert.equal("729090764583391194", t.s)
    assert.equal(7.29090764583391194e17, t.id)
    assert.equal("float", itype(t.id))
  end)

  it("decodes top-level scalars", function()
    assert.equal(240, core.decode("240"))
    assert.equal("x", core.decode('"x"'))
    if has_integers then
      assert.equal("integer", itype(core.decode("240")))
      assert.equal("integer", itype(core.decode("1.0")))
      assert.equal("float", itype(core.decode("1.5")))
    end
  end)

  it("does not touch strings that look like numbers", function()
    local t = assert(core.decode('{"a":"1.0","b":"x\\"2.0","c":3.0}'))
    assert.equal("1.0", t.a)
    assert.equal('x"2.0', t.b)
  end)

  it("gives JSON null as the documented sentinel", function()
    local t = assert(core.decode('{"a":null,"b":[1,null,3]}'))
    assert.equal(core.null, t.a)
    assert.equal(core.null, t.b[2])
    assert.equal(require("pinanalytics").null, core.null)
    assert.equal("userdata", type(core.null))
  end)

  it("returns nil and a message for invalid JSON", function()
    local v, msg = core.decode("{\"a\":")
    assert.is_nil(v)
    assert.is_string(msg)
    v, msg = core.decode("<html></html>")
    assert.is_nil(v)
    assert.truthy(msg:find("invalid token", 1, true), msg)
    v, msg = core.decode("[NaN]")
    assert.is_nil(v)
    assert.is_string(msg)
  end)

  it("enforces a nesting limit", function()
    local deep = string.rep("[", 65) .. string.rep("]", 65)
    local v, msg = core.decode(deep)
    assert.is_nil(v)
    assert.truthy(msg:find("nest", 1, true) or msg:find("depth", 1, true), msg)
    assert.is_table(core.decode(string.rep("[", 60) .. string.rep("]", 60)))
  end)

  it("is not affected by the caller's global cjson settings", function()
    local cjson = require "cjson"
    cjson.decode_max_depth(2)
    local ok, t = pcall(core.decode, '{"a":{"b":{"c":1}}}')
    cjson.decode_max_depth(1000)
    assert.is_true(ok)
    assert.equal(1, t.a.b.c)
  end)

  it("keeps strings that look like the number markers of earlier versions", function()
    local v = assert(core.decode('{"a":"\\u0000pa:f:1","b":1.0}'))
    assert.equal("\0pa:f:1", v.a)
    assert.equal(1, v.b)
  end)

  -- `make asan` runs this file: every shape, good and bad, goes through the
  -- C walk here too (spec/json_typing_spec.lua asserts what each gives)
  it("decodes with every shape, good and bad answers alike, without raising", function()
    local texts = {
      '{"all":{"daily_metrics":[{"date":"2026-11-01","data_status":"READY","metrics":{"SAVE":1.0,"SAVE_RATE":0}}]}}',
      '{"pins":[{"pin_id":"1","metrics":{"SAVE":2.0},"data_status":{"SAVE":"READY"}}],"sort_by":"SAVE"}',
      '{"items":[{"id":"1","pin_metrics":{"90d":{"impression":2.0}},"pin_count":5.0}],"bookmark":null}',
      '{"success":true,"data":{"metrics":[{"key":"a","value_current_period":1.0,"value_last_period":2}],' ..
        '"posts":[{"stats":{"saves":3.0}}]}}',
      '{"access_token":"t","expires_in":3600.0,"refresh_token":null}',
      '{"a":[1,2,{"b":[5.0000000000000001,0.99999999999999999,1e-400]}],"n":12345678901234567}',
      '[[[[1.0]]]]', '[]', '{}', '"x"', "1.0", "null", "[1,", '{"items":7}', '{"1":{"all":{"daily_metrics":[[]]}}}',
    }
    local shapes = { "analytics", "pins_analytics", "top_pins", "pins_list", "boards_list", "oneup_overview",
      "oneup_posts", "oauth_token" }
    for _, text in ipairs(texts) do
      local general, err = core.decode(text)
      for _, shape in ipairs(shapes) do
        local v, shape_ok = core.decode(text, shape)
        if general == nil then
          assert.is_nil(v)
          assert.equal(err, shape_ok)
        else
          assert.is_boolean(shape_ok)
        end
      end
    end
  end)

  describe("with the analytics shape", function()
    local function day(date, metrics)
      return '{"date":"' .. date .. '","data_status":"READY","metrics":' .. metrics .. '}'
    end
    local function answer(days, summary)
      return '{"all":{"daily_metrics":[' .. table.concat(days, ",") .. '],"summary_metrics":' .. summary .. '}}'
    end

    it("types numbers by the schema: counts integers, rates floats, whatever the literal", function()
      local text = answer({
        day("2026-11-01", '{"IMPRESSION":240,"SAVE":5.0,"SAVE_RATE":0,"VIDEO_AVG_WATCH_TIME":3,"OUTBOUND_CLICK_RATE":0.25}'),
        day("2026-11-02", '{"IMPRESSION":-0.0,"PIN_CLICK":7.5}'),
      }, '{"IMPRESSION":240,"SAVE_RATE":1}')
      local v, shape_ok = core.decode(text, "analytics")
      assert.is_true(shape_ok)
      local d1, d2 = v.all.daily_metrics[1].metrics, v.all.daily_metrics[2].metrics
      assert.equal(240, d1.IMPRESSION)
      assert.equal(5, d1.SAVE)
      assert.equal(0, d1.SAVE_RATE)
      assert.equal(3, d1.VIDEO_AVG_WATCH_TIME)
      assert.equal(0.25, d1.OUTBOUND_CLICK_RATE)
      assert.equal(7.5, d2.PIN_CLICK)
      assert.equal("2026-11-02", v.all.daily_metrics[2].date)
      if has_integers then
        assert.equal("integer", itype(d1.IMPRESSION))
        assert.equal("integer", itype(d1.SAVE))
        assert.equal("float", itype(d1.SAVE_RATE))
        assert.equal("float", itype(d1.VIDEO_AVG_WATCH_TIME))
        assert.equal("integer", itype(d2.IMPRESSION))
        assert.equal("float", itype(d2.PIN_CLICK)) -- not integral: left as it is
        assert.equal("integer", itype(v.all.summary_metrics.IMPRESSION))
        assert.equal("float", itype(v.all.summary_metrics.SAVE_RATE))
      end
    end)

    it("gives the same values as the general decoder for a well-formed answer", function()
      local text = answer({ day("2026-11-01", '{"IMPRESSION":12,"SAVE_RATE":0.5}') }, '{"IMPRESSION":12}')
      local shaped = assert(core.decode(text, "analytics"))
      local general = assert(core.decode(text))
      assert.same(general, shaped)
    end)

    it("types a field it does not name by the general rule, and still says yes", function()
      local v, shape_ok = core.decode('{"all":{"daily_metrics":[],"extra":{"n":1.0,"m":2,"r":0.5}}}', "analytics")
      assert.is_true(shape_ok)
      assert.same({ 1, 2, 0.5 }, { v.all.extra.n, v.all.extra.m, v.all.extra.r })
      if has_integers then
        assert.same({ "integer", "integer", "float" }, { itype(v.all.extra.n), itype(v.all.extra.m), itype(v.all.extra.r) })
      end
    end)

    it("says no and decodes the general way when the answer is not in the shape", function()
      local cases = {
        { answer({ day("2026-11-01", '{"IMPRESSION":"12"}') }, '{}'), function(v)
          assert.equal("12", v.all.daily_metrics[1].metrics.IMPRESSION)
        end },
        { answer({ '{"date":"2026-02-30","data_status":"READY","metrics":{}}' }, '{}'), function(v)
          assert.equal("2026-02-30", v.all.daily_metrics[1].date)
        end },
        { answer({ '{"date":"2026-11-01","metrics":{}}' }, '{}'), function(v)
          assert.is_nil(v.all.daily_metrics[1].data_status)
        end },
        { '{"all":{"daily_metrics":{"x":1}}}', function(v) assert.equal(1, v.all.daily_metrics.x) end },
        { '[1,2]', function(v) assert.same({ 1, 2 }, v) end },
      }
      for i, c in ipairs(cases) do
        local v, shape_ok = core.decode(c[1], "analytics")
        assert.is_table(v, "case " .. i)
        assert.is_false(shape_ok, "case " .. i)
        c[2](v)
      end
    end)

    it("says no to a count too long for a double, which the checker then names", function()
      local v, shape_ok = core.decode(answer({}, '{"IMPRESSION":12345678901234567}'), "analytics")
      assert.is_false(shape_ok)
      -- never a wrong integer: the general rule keeps it a float
      assert.equal("float", itype(v.all.summary_metrics.IMPRESSION))
      local ok, path, why = require("pinanalytics.schema").pin_analytics(v)
      assert.is_false(ok)
      assert.equal("$.all.summary_metrics.IMPRESSION", path)
      assert.truthy(why:find("below 2^53", 1, true), why)
    end)

    it("decodes pin id -> answer with the pins_analytics shape", function()
      local one = answer({ day("2026-11-01", '{"SAVE":3}') }, '{"SAVE":3}')
      local v, shape_ok = core.decode('{"111":' .. one .. ',"222":' .. one .. '}', "pins_analytics")
      assert.is_true(shape_ok)
      assert.equal(3, v["222"].all.daily_metrics[1].metrics.SAVE)
      if has_integers then assert.equal("integer", itype(v["111"].all.summary_metrics.SAVE)) end
      local _, not_ok = core.decode('{"111":{"all":7}}', "pins_analytics")
      assert.is_false(not_ok)
    end)

    it("returns nil and cjson's message for text that is not JSON", function()
      local v, msg = core.decode('{"all":', "analytics")
      assert.is_nil(v)
      assert.is_string(msg)
    end)

    it("refuses a shape it does not know", function()
      local ok, msg = pcall(core.decode, "{}", "pins")
      assert.is_false(ok)
      assert.truthy(msg:find("invalid option 'pins'", 1, true), msg)
    end)
  end)
end)
