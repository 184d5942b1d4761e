-- `pinanalytics sync` states what it did not do: the days it could no longer
-- ask for (midnight UTC passed during the sync), the texts it stored
-- repaired, the pins that failed, each in a bounded list; and its exit status
-- is 1 when a pin or the account failed or days are missing, for cron.
local H = require "helpers.sim"
local C = require "helpers.cli"
local cli = require "pinanalytics.cli"
local dates = require "pinanalytics.dates"
local pa = require "pinanalytics"

local q, lines = C.q, C.lines

-- A file handle that keeps what is written to it; on_write(text) is called
-- with each write.
local function sink(on_write)
  local t = { parts = {} }
  function t.write(self, ...)
    for _, x in ipairs({ ... }) do
      self.parts[#self.parts + 1] = tostring(x)
      if on_write then on_write(tostring(x)) end
    end
    return self
  end
  function t.flush() return true end
  function t.text(self) return table.concat(self.parts) end
  return t
end

local dir
local function fresh_db()
  if not dir then
    local h = assert(io.popen("mktemp -d /tmp/pa-cli-sync-summary.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end
  local h = assert(io.popen("mktemp -u " .. q(dir .. "/store.XXXXXX")))
  local p = h:read("*l") .. ".db"
  h:close()
  return p
end

teardown(function()
  if dir then os.execute("rm -rf " .. q(dir)) end
end)

describe("pinanalytics sync says what it did not do", function()
  local sim, D
  setup(function()
    sim = H.start { missing_pins = H.ids(15, 4040000) }
    D = dates.parse(H.TODAY)
  end)
  teardown(function() sim:stop() end)
  before_each(function() sim:configure {} end)

  -- cli.main with a clock that reads `day.n`; the progress bar on (a
  -- terminal), and on_stderr(text) called with what goes to stderr
  local function main(args, day, on_stderr)
    local out, err = sink(), sink(on_stderr)
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function(fd) return fd == 2 end, clock = function() return day.n * 86400 + 43200 end })
    return code, out:text(), err:text()
  end

  it("days a sync could no longer ask for (midnight passed): named, bounded, and exit 1", function()
    local db = fresh_db()
    local pins = H.ids(12, 7980000)
    table.sort(pins)
    local day = { n = D }
    sim:configure { today = dates.format(D) }
    -- midnight UTC passes once the window is planned, when the progress bar
    -- is first drawn (before the pins' first request): every pin loses the
    -- first day of its window, which the API no longer serves
    local code, out, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ",") }, day, function(s)
      if day.n == D and s:find("pins [", 1, true) then
        day.n = D + 1
        sim:configure { today = dates.format(D + 1) }
      end
    end)
    assert.equal(1, code, err)
    local summary = lines(out)
    assert.equal(1, #summary, out)
    assert.truthy(summary[1]:find(", 12 days not fetched (no longer served)", 1, true), summary[1])
    assert.truthy(summary[1]:find(" 0 errors", 1, true), summary[1])
    local l = lines(err:gsub("\r[^\n]*\27%[K", "")) -- without the bar
    local lost = dates.format(D - 90)
    -- the first ten pins, a line each, then how many more
    local listed = {}
    for _, s in ipairs(l) do
      local id, rest = s:match("^pinanalytics: pin (%d+): (.*)$")
      if id then
        listed[#listed + 1] = id
        assert.equal("1 day not fetched, no longer served by the API: " .. lost, rest)
      end
    end
    assert.same({ pins[1], pins[2], pins[3], pins[4], pins[5], pins[6], pins[7], pins[8], pins[9], pins[10] },
      listed)
    assert.truthy(err:find("\npinanalytics: and 2 more pins with days not fetched\n", 1, true), err)
    assert.equal("pinanalytics: 12 days of 12 pins could no longer be asked for and are not in the store (the API " ..
      "serves the last 90 days)", l[#l])
    -- what it did fetch is held
    local st = assert(pa.store.open(db))
    assert.equal(89, st:coverage(pins[1]).days)
    st:close()
  end)

  it("pins that failed: the first ten named, then how many more; exit 1", function()
    local db = fresh_db()
    local bad = H.ids(15, 4040000)
    local good = H.ids(1, 7981000)
    local all = { good[1] }
    for _, id in ipairs(bad) do all[#all + 1] = id end
    local code, out, err = main({ "sync", "--store", db, "--pins", table.concat(all, ","), "--days", "3",
      "--no-progress" }, { n = D })
    assert.equal(1, code)
    assert.truthy(out:find(" 15 errors", 1, true), out)
    local l = lines(err)
    local named = 0
    for _, s in ipairs(l) do
      if s:match("^pinanalytics: pin 404%d+: not_found: ") then named = named + 1 end
    end
    assert.equal(10, named, err)
    assert.truthy(err:find("\npinanalytics: and 5 more pins failed\n", 1, true), err)
    assert.equal("pinanalytics: 15 of 16 pins failed; the next sync asks for them again", l[#l])
  end)

  it("sends no control byte nor bidirectional control of the API's text to the terminal", function()
    local db = fresh_db()
    local HOSTILE = "\27]0;pwned\7\27[2J\194\155 \226\128\174exe.txt\226\128\172\226\129\167\216\156"
    local me = require("pinanalytics.simulator.data").user_account(H.TODAY)
    me.username = "name" .. HOSTILE
    local pin = H.ids(1, 7983000)[1]
    local json = require("pinanalytics.simulator").encode_json
    sim:configure { override = {
      ["/v5/user_account"] = { status = 200, body = json(me) },
      ["/v5/pins/" .. pin .. "/analytics"] = { status = 400, body = json({ code = 1, message = "refused" .. HOSTILE }) },
      ["/v5/pins/analytics"] = { status = 400, body = json({ code = 1, message = "refused" .. HOSTILE }) },
    } }
    local code, out, err = main({ "sync", "--store", db, "--pins", pin, "--account", "--days", "3", "--no-progress" },
      { n = D })
    assert.equal(1, code, err)
    assert.truthy(out:find("account name", 1, true), out)
    assert.truthy(err:find("refused", 1, true), err)
    for _, s in ipairs({ out, err }) do
      assert.is_nil(s:find("[%z\1-\9\11-\31\127]"), s)
      assert.is_nil(s:find("\194[\128-\159]"), s)
      assert.is_nil(s:find("\226\128[\142\143\170-\174]") or s:find("\226\129[\166-\169]") or s:find("\216\156"), s)
    end
    assert.truthy(out:find("exe.txt", 1, true), out)
  end)

  it("exit 0 when everything asked was done, with nothing more than the summary", function()
    local db = fresh_db()
    local code, out, err = main({ "sync", "--store", db, "--pins", table.concat(H.ids(2, 7982000), ","), "--account",
      "--no-progress" }, { n = D })
    assert.equal(0, code, err)
    assert.equal("", err)
    assert.equal(1, #lines(out))
    assert.is_nil(out:find("not fetched", 1, true))
  end)

  it("the help says what the exit status means", function()
    local help = cli.help("sync")
    assert.truthy(help:find("days it could no longer ask for", 1, true), help)
    assert.truthy(help:find("cron", 1, true), help)
  end)
end)

describe("pinanalytics sync on PostgreSQL with a text it stores repaired", function()
  local pg, why, sim
  setup(function()
    pg, why = require("helpers.pg").start()
    if pg then sim = H.start {} end
  end)
  teardown(function()
    if sim then sim:stop() end
    if pg then pg.stop() end
  end)

  it("names the repair after the summary and exits 0 (the figures are whole)", function()
    if not pg then
      pending("no PostgreSQL: " .. tostring(why))
      return
    end
    local me = require("pinanalytics.simulator.data").user_account(H.TODAY)
    me.username = "caf\233"
    sim:configure { override = { ["/v5/user_account"] = { status = 200,
      body = require("pinanalytics.simulator").encode_json(me) } } }
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main({ "sync", "--store", pg.uri("sync_summary"), "--account" }, { getenv = function(k)
      return env[k] end, stdout = out, stderr = err, isatty = function() return false end, clock = H.clock })
    assert.equal(0, code, err:text())
    assert.truthy(out:text():find(", 1 warning\n", 1, true), out:text())
    local l = lines(err:text())
    assert.equal(1, #l, err:text())
    assert.truthy(l[1]:find("^pinanalytics: warning: a text from the API was stored repaired"), l[1])
  end)
end)
