-- Every answer the official description allows is accepted by the helpers'
-- checks: answers are generated from the description (its schemas as the
-- fixture spec/fixtures/openapi_helper_schemas.json holds them, from
-- Pinterest's OpenAPI document v5.23.0) with nulls where a field is
-- nullable, optional fields absent, fields the description does not name,
-- and free objects (Pin.pin_metrics) of any content; what cannot be used
-- is named in warnings.
local core = require "pinanalytics.core"
local schema = require "pinanalytics.schema"

local null = core.null

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local DESC = assert(core.decode(read("spec/fixtures/openapi_helper_schemas.json")))

-- A small generator of its own (Park-Miller: its products stay below 2^53,
-- so the same answers on every Lua, doubles or integers).
local function prng(seed)
  local x = seed % 2147483646 + 1
  return function(n)
    x = (x * 16807) % 2147483647
    if n then return x % n + 1 end
    return x / 2147483647
  end
end

-- JSON text of a generated value (objects: arrays of {key, value} pairs
-- tagged object = true, so that {} and [] stay apart).
local function encode(v)
  if v == null then return "null" end
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    if v == math.floor(v) then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "boolean" then
    return tostring(v)
  elseif v.object then
    local out = {}
    for i, kv in ipairs(v) do out[i] = encode(kv[1]) .. ":" .. encode(kv[2]) end
    return "{" .. table.concat(out, ",") .. "}"
  end
  local out = {}
  for i, x in ipairs(v) do out[i] = encode(x) end
  return "[" .. table.concat(out, ",") .. "]"
end

local WORDS = { "", "x", "caf\195\169", "a\"b", "Salads", "2026-01-02", "null", "0" }
local KEYS = { "IMPRESSION", "SAVE", "SAVE_RATE", "90d", "lifetime_metrics", "pin_click", "odd key", "7" }

local function arbitrary(rand, depth)
  local k = rand(depth > 2 and 4 or 6)
  if k == 1 then return rand(1000) - 1 end
  if k == 2 then return WORDS[rand(#WORDS)] end
  if k == 3 then return rand(2) == 1 end
  if k == 4 then return null end
  if k == 5 then
    local a = {}
    for i = 1, rand(3) - 1 do a[i] = arbitrary(rand, depth + 1) end
    return a
  end
  local o = { object = true }
  for i = 1, rand(4) - 1 do o[i] = { KEYS[rand(#KEYS)] .. i, arbitrary(rand, depth + 1) } end
  return o
end

-- mode: "random"; "nulls" (every nullable field null, every optional one
-- present); "required" (only the required fields)
local function generate(s, rand, mode, depth)
  depth = depth or 0
  if s.nullable and (mode == "nulls" or (mode == "random" and rand() < 0.25)) then return null end
  if s.enum then return s.enum[rand(#s.enum)] end
  local t = s.type or (s.items and "array") or (s.properties and "object")
  if t == "string" then
    if s.format == "date" then return string.format("2026-%02d-%02d", rand(12), rand(28)) end
    if s.format == "date-time" then return string.format("2026-%02d-%02dT10:00:00", rand(12), rand(28)) end
    if s.pattern == "^\\d+$" then return tostring(rand(900000000) + 99999999) end
    return WORDS[rand(#WORDS)]
  elseif t == "integer" then
    return rand(1000000) - 1
  elseif t == "number" then
    if rand(2) == 1 then return rand(5000) - 1 end
    return (rand(100000) - 1) / 100
  elseif t == "boolean" then
    return rand(2) == 1
  elseif t == "array" then
    local a = {}
    if depth < 6 then
      for i = 1, rand(4) - 1 do a[i] = generate(s.items or {}, rand, mode, depth + 1) end
    end
    return a
  elseif t == "object" or t == nil then
    local o = { object = true }
    local required = {}
    for _, name in ipairs(s.required or {}) do required[name] = true end
    local names = {}
    for name in pairs(s.properties or {}) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      local keep = required[name] or mode == "nulls" or (mode == "random" and rand() < 0.7)
      if keep then o[#o + 1] = { name, generate(s.properties[name], rand, mode, depth + 1) } end
    end
    if type(s.additionalProperties) == "table" then
      for i = 1, rand(4) - 1 do
        o[#o + 1] = { KEYS[rand(#KEYS)] .. "_" .. i, generate(s.additionalProperties, rand, mode, depth + 1) }
      end
    elseif not s.properties then
      -- a free object ("type": "object" and nothing more): anything in it
      for i = 1, rand(4) - 1 do o[#o + 1] = { KEYS[rand(#KEYS)] .. i, arbitrary(rand, depth + 1) } end
    elseif mode == "random" and rand(2) == 1 then
      o[#o + 1] = { "field_the_description_does_not_name", arbitrary(rand, depth + 1) }
    end
    return o
  end
  error("the generator does not know " .. tostring(t))
end

-- helper check -> the description's name of its answer
local CHECKS = {
  { "user_account", schema.user_account }, { "pin", schema.pin }, { "pins_list", schema.pins_list },
  { "boards_list", schema.boards_list }, { "board_sections_list", schema.board_sections_list },
  { "ad_accounts_list", schema.ad_accounts_list }, { "top_pins", schema.top_pins },
  { "top_video_pins", schema.top_pins }, { "pin_analytics", schema.pin_analytics },
  { "user_account_analytics", schema.pin_analytics }, { "oauth_token", schema.oauth_token },
}

-- What the check of a pin's pin_metrics must take out: intervals that are
-- not objects, metrics that are not numbers (generated ones are all counts
-- below 2^53 or rates).
local function unusable(pm)
  if type(pm) ~= "table" or pm == null then return 0 end
  local n = 0
  for _, kv in ipairs(pm) do
    local v = kv[2]
    if type(v) ~= "table" or v == null or (not v.object and #v > 0) then
      n = n + 1
    elseif v.object then
      for _, m in ipairs(v) do
        if type(m[2]) ~= "number" then n = n + 1 end
      end
    end
  end
  return n
end

describe("answers the official description allows", function()
  for _, c in ipairs(CHECKS) do
    local name, check = c[1], c[2]
    it(name .. ": 25 generated answers, one with every nullable field null, one with only the required fields, " ..
      "all accepted", function()
      local rand = prng(#name * 7919)
      local refused = {}
      local n = 0
      local function try(mode)
        n = n + 1
        local text = encode(generate(DESC[name], rand, mode))
        local body = assert(core.decode(text))
        local ok, where, why = check(body)
        if not ok then refused[#refused + 1] = ("%s %s: %s\n  %s"):format(mode, tostring(where), tostring(why), text) end
      end
      for _ = 1, 25 do try("random") end
      try("nulls")
      try("required")
      assert.equal(27, n)
      assert.same({}, refused)
    end)
  end

  it("pin: what pin_metrics holds besides interval -> metric -> number is left out and named in warnings", function()
    local rand = prng(4242)
    local named, with_warnings = 0, 0
    for _ = 1, 200 do
      local g = generate(DESC.pin, rand, "random")
      local pm
      for _, kv in ipairs(g) do if kv[1] == "pin_metrics" then pm = kv[2] end end
      local body = assert(core.decode(encode(g)))
      assert.is_true((schema.pin(body)))
      local want = unusable(pm)
      local got = body.warnings and #body.warnings or 0
      assert.equal(want, got, encode(g))
      named = named + got
      if got > 0 then with_warnings = with_warnings + 1 end
      for _, w in ipairs(body.warnings or {}) do assert.truthy(w:find("^%$%.pin_metrics"), w) end
      if type(body.pin_metrics) == "table" and body.pin_metrics ~= null then
        for interval, metrics in pairs(body.pin_metrics) do
          assert.is_table(metrics, interval)
          for metric, v in pairs(metrics) do assert.is_number(v, interval .. "." .. metric) end
        end
      end
    end
    assert.is_true(with_warnings > 20, "pins with warnings: " .. with_warnings) -- the case is exercised
    assert.is_true(named > with_warnings - 1)
  end)

  it("user_account: nulls are kept as nulls, counts typed", function()
    local body = assert(core.decode('{"id":"1","username":"u","business_name":null,"board_count":null,' ..
      '"pin_count":3.0,"follower_count":null,"following_count":null,"monthly_views":null}'))
    assert.is_true((schema.user_account(body)))
    assert.equal(null, body.business_name)
    assert.equal(null, body.board_count)
    assert.equal(3, body.pin_count)
    if math.type then assert.equal("integer", math.type(body.pin_count)) end
    assert.is_nil(body.warnings)
  end)

  it("a pin's pin_metrics keeps its usable part typed and names the rest", function()
    local body = assert(core.decode('{"id":"1","pin_metrics":{"90d":{"pin_click":7.0,"impression":"2",' ..
      '"save_rate":1},"lifetime_metrics":[1,2],"all_time":{"reaction":{"like":3}}}}'))
    assert.is_true((schema.pin(body)))
    assert.same({ ["90d"] = { pin_click = 7, save_rate = 1.0 }, all_time = {} }, body.pin_metrics)
    if math.type then
      assert.equal("integer", math.type(body.pin_metrics["90d"].pin_click))
      assert.equal("float", math.type(body.pin_metrics["90d"].save_rate))
    end
    assert.same({
      '$.pin_metrics["90d"].impression: expected a number, got string (left out of pin_metrics)',
      '$.pin_metrics.all_time.reaction: expected a number, got object (left out of pin_metrics)',
      '$.pin_metrics.lifetime_metrics: expected an object of metric -> number, got array (left out of pin_metrics)',
    }, body.warnings)
    -- a page of pins: each item carries its own warnings
    local page = assert(core.decode('{"items":[{"id":"1"},{"id":"2","pin_metrics":{"90d":5}}],"bookmark":null}'))
    assert.is_true((schema.pins_list(page)))
    assert.is_nil(page.items[1].warnings)
    assert.same({ '$.items[1].pin_metrics["90d"]: expected an object of metric -> number, got number ' ..
      '(left out of pin_metrics)' }, page.items[2].warnings)
    -- still refused: what the description does not allow
    local ok, where = schema.pin(assert(core.decode('{"id":"1","pin_metrics":[1]}')))
    assert.is_false(ok)
    assert.equal("$.pin_metrics", where)
    ok, where = schema.user_account(assert(core.decode('{"about":null}')))
    assert.is_false(ok)
    assert.equal("$.about", where)
  end)
end)
