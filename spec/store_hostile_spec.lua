-- Hostile text from the API through the store, on SQLite and PostgreSQL:
-- SQL is never built from text (a username that ends its quote under
-- standard_conforming_strings = off runs nothing), and every text comes
-- back exactly, or repaired to U+FFFD with a warning where the database
-- cannot hold it (PostgreSQL: NUL bytes, invalid UTF-8); on a database
-- whose encoding is not UTF-8 (LATIN1, a valid choice) what the encoding
-- cannot hold becomes "?", with a warning naming the encoding. The figures
-- are always written.
local H = require "helpers.sim"
local S = require "helpers.store"
local pa = require "pinanalytics"
local cjson = require "cjson"
local data = require "pinanalytics.simulator.data"

local FFFD = "\239\191\189"
local INJECTION = "\\', $$t$$, ...); CREATE TABLE pwned (x int); --"

-- { name, text, what PostgreSQL holds (nil: the text itself) }
local CASES = {
  { "a quote-ending injection", INJECTION },
  { "a classic injection", "Robert'); DROP TABLE pin_days; --" },
  { "backslashes and quotes", "C:\\new\\table\\' \\\\'' \\x41 E'\\n'" },
  { "markup", "<script>alert(\"x\")</script><b>&amp;</b>" },
  { "control bytes", "\27[2J\27]0;title\7\r\n\t\8\127end" },
  { "a formula", "=HYPERLINK(\"http://example.com\",\"x\")" },
  { "valid UTF-8", "日本語 😀 über" },
  { "a euro sign", "€uro" },
  { "a Latin-1 name", "caf\233", "caf" .. FFFD },
  { "broken sequences", "\255\254\237\160\128\192\175\226\130", string.rep(FFFD, 9) },
  { "a NUL byte", "a\0b", "a" .. FFFD .. "b" },
  { "100 KB of quotes and backslashes", string.rep("é'\\\";<x>", 10240) },
  { "20 KB of quotes and backslashes only", string.rep("'\\", 10240) },
  { "an empty text", "" },
  { "100 KB with invalid bytes", string.rep("x\233", 51200), string.rep("x" .. FFFD, 51200) },
}

local NETWORK = 4242

-- What a LATIN1 database holds of a text PostgreSQL holds as UTF-8 (t, valid
-- UTF-8 without NUL): each character above U+00FF (a lead byte above C3)
-- becomes "?".
local function latin1(t)
  return (t:gsub("[\194-\244][\128-\191]*", function(ch)
    return ch:byte() <= 195 and ch or "?"
  end))
end

-- The simulator's GET /v5/user_account with username and business_name
-- set to text.
local function account_body(text)
  local me = data.user_account(H.TODAY)
  me.username, me.business_name = text, text
  return cjson.encode(me)
end

local function dialects()
  local list = {}
  local dir = assert(io.popen("mktemp -d /tmp/pa-hostile.XXXXXX")):read("*l")
  local n = 0
  list[1] = {
    name = "SQLite",
    fresh = function()
      n = n + 1
      return dir .. "/s" .. n .. ".db"
    end,
    holds = function(case) return case[2] end,
    warns = "U+FFFD",
    stop = function() os.execute("rm -rf " .. S.quote(dir)) end,
  }
  local pg, why = require("helpers.pg").start()
  if pg then
    list[2] = {
      name = "PostgreSQL (standard_conforming_strings = off)",
      fresh = function()
        n = n + 1
        return pg.uri("hostile" .. n, { standard_conforming_strings = "off" })
      end,
      holds = function(case) return case[3] or case[2] end,
      warns = "U+FFFD",
    }
    list[3] = {
      name = "PostgreSQL (a LATIN1 database)",
      fresh = function()
        n = n + 1
        return pg.uri("latin" .. n, nil, "LATIN1")
      end,
      holds = function(case) return latin1(case[3] or case[2]) end,
      warns = "LATIN1",
      stop = function() pg.stop() end,
    }
  else
    print("store_hostile_spec: PostgreSQL cases skipped: " .. why)
  end
  return list
end

local function tables(st)
  local sql = st.dialect == "sqlite" and "SELECT name FROM sqlite_master WHERE type = 'table'"
    or "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
  local out = {}
  for _, r in ipairs(st.db:rows(sql)) do out[r[1]] = true end
  return out
end

local function warned(list, what)
  for _, w in ipairs(list or {}) do
    if w:find(what, 1, true) then return true end
  end
  return false
end

describe("store: hostile text from the API", function()
  local sim, list, posts_data
  local pin = H.ids(1, 7950000)
  setup(function()
    sim = H.start {}
    list = dialects()
    local one = pa.oneup { api_key = "sim-oneup-key", base_url = sim.url, clock = H.clock }
    posts_data = assert(one:posts { social_network_id = NETWORK, preset = "last_7_days" })
    one:close()
  end)
  teardown(function()
    sim:stop()
    for _, d in ipairs(list) do if d.stop then d.stop() end end
  end)

  -- one sync and one OneUp snapshot with text as the account's names and
  -- a post's text; returns the store (reopened), the sync's and the
  -- snapshot's results
  local function run(d, text)
    local posts = {}
    for i, p in ipairs(posts_data.posts) do posts[i] = p end
    local first = {}
    for k, v in pairs(posts_data.posts[1]) do first[k] = v end
    first.text = text
    posts[1] = first
    sim:configure { override = {
      ["/v5/user_account"] = { status = 200, body = account_body(text), headers = { ["Content-Type"] = "application/json" } },
      ["/api/pinterest/posts"] = { status = 200, headers = { ["Content-Type"] = "application/json" },
        body = cjson.encode({ success = true, data = { stats = posts_data.stats, posts = posts } }) },
    } }
    local target = d.fresh()
    local st = assert(pa.store.open(target))
    local c = H.client(sim)
    local res, err = st:sync(c, { pins = pin, account = true, days = 3 })
    c:close()
    assert.is_nil(err)
    local one = pa.oneup { api_key = "sim-oneup-key", base_url = sim.url, clock = H.clock }
    local info, oerr = st:snapshot_oneup(one, { social_network_id = NETWORK, preset = "last_7_days" })
    one:close()
    assert.is_nil(oerr)
    st:close()
    return assert(pa.store.open(target)), res, info
  end

  for _, case in ipairs(CASES) do
    it("round-trips " .. case[1] .. " exactly, or repaired with a warning, and keeps the figures", function()
      for _, d in ipairs(list) do
        local st, res, info = run(d, case[2])
        local want = d.holds(case)
        local acc = st:accounts()[1]
        assert.equal(want, acc.username, d.name)
        assert.equal(want, acc.business_name, d.name)
        -- the figures: 3 days of the pin and of the account
        assert.equal(6, res.days_written, d.name)
        assert.equal(3, st:coverage(pin[1]).days, d.name)
        assert.equal(3, st:coverage("account").days, d.name)
        assert.equal(3, #assert(st:analytics(pin[1])).all.daily_metrics, d.name)
        -- the OneUp post's text
        local snap = assert(st:oneup(NETWORK))
        assert.equal(want, snap.posts.posts[1].text, d.name)
        assert.equal(#posts_data.posts, #snap.posts.posts, d.name)
        assert.equal(posts_data.posts[1].stats.impressions, snap.posts.posts[1].stats.impressions, d.name)
        -- a repair is said; an exact copy says nothing
        assert.equal(want ~= case[2], warned(res.warnings, d.warns), d.name)
        assert.equal(want ~= case[2], warned(info.warnings, d.warns), d.name)
        if want ~= case[2] then
          assert.matches(d.warns, res.warnings[1], 1, true)
          assert.is_true(#res.warnings[1] < 400, d.name) -- a 100 KB text is not repeated whole
        end
        -- nothing ran: no table made, none dropped
        local t = tables(st)
        assert.is_nil(t.pwned, d.name)
        assert.is_true(t.pin_days and t.accounts and true or false, d.name)
        st:close()
      end
    end)
  end

  it("writes every text literal through the driver's escaping for the connection", function()
    for _, d in ipairs(list) do
      local st = assert(pa.store.open(d.fresh()))
      local db = st.db
      db:exec("CREATE TABLE t (k INTEGER, s TEXT)")
      for i, case in ipairs(CASES) do
        db:exec("INSERT INTO t (k, s) VALUES (" .. i .. ", " .. db:lit(case[2]) .. ")")
      end
      for i, case in ipairs(CASES) do
        local rows = db:rows("SELECT s FROM t WHERE k = " .. i)
        assert.equal(d.holds(case), rows[1][1], d.name .. ": " .. case[1])
        -- and finds it again: a literal of the same text is equal to it
        assert.equal(1, S.num(db:rows("SELECT COUNT(*) FROM t WHERE s = " .. db:lit(case[2]))[1][1]), case[1])
      end
      assert.is_nil(tables(st).pwned)
      st:close()
    end
  end)
end)
