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

  it("keeps integral float literals as floats", function()
    local t = assert(core.decode('{"a":1.0,"b":2e3,"c":-0.0,"d":[3.0,4]}'))
    assert.equal(1.0, t.a)
    assert.equal(2000, t.b)
    if has_integers then
      assert.equal("float", itype(t.a))
      assert.equal("float", itype(t.b))
      assert.equal("float", itype(t.c))
      assert.equal("float", itype(t.d[1]))
      assert.equal("integer", itype(t.d[2]))
    end
  end)

  it("decodes long integers exactly on 5.3+", function()
    local t = assert(core.decode('{"id":729090764583391194,"s":"729090764583391194"}'))
    assert.equal("729090764583391194", t.s)
    if has_integers then
      assert.equal(729090764583391194, t.id)
      assert.equal("integer", itype(t.id))
    end
  end)

  it("decodes top-level scalars", function()
    assert.equal(240, core.decode("240"))
    assert.equal("x", core.decode('"x"'))
    if has_integers then
      assert.equal("integer", itype(core.decode("240")))
      assert.equal("float", itype(core.decode("1.0")))
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

  it("rejects strings that imitate its internal number markers", function()
    local v, msg = core.decode('{"a":"\\u0000pa:f:1","b":1.0}')
    assert.is_nil(v)
    assert.truthy(msg:find("marker", 1, true))
  end)
end)
