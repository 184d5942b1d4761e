-- Days that were not READY when fetched and that the API no longer serves
-- (more than 90 days back) can never be refreshed: a --from-store report says
-- so in the report itself, in every format, with when they were fetched;
-- "Pinterest may still change their numbers" is said only of days a sync
-- can still refresh.
local cjson = require "cjson"
local H = require "helpers.sim"
local C = require "helpers.cli"
local cli = require "pinanalytics.cli"
local dates = require "pinanalytics.dates"

local q = C.q

local function sink()
  local t = { parts = {} }
  function t.write(self, ...)
    for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
    return self
  end
  function t.flush() return true end
  function t.close() return true end
  function t.text(self) return table.concat(self.parts) end
  return t
end

describe("pinanalytics --from-store with days not final that can no longer be refreshed", function()
  local sim, D, dir, db, fetched, stale_line
  local pins = H.ids(2, 7970000)
  table.sort(pins)

  local function main(args, day)
    day = day or D
    sim:configure { today = dates.format(day) }
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function() return false end, clock = function() return day * 86400 + 43200 end })
    return code, out:text(), err:text()
  end

  local function with(base, ...)
    local out = {}
    for _, a in ipairs(base) do out[#out + 1] = a end
    for _, a in ipairs({ ... }) do out[#out + 1] = a end
    return out
  end

  setup(function()
    sim = H.start {}
    D = dates.parse(H.TODAY)
    local h = assert(io.popen("mktemp -d /tmp/pa-from-store-stale.XXXXXX"))
    dir = h:read("*l")
    h:close()
    db = dir .. "/store.db"
    -- synced 100 days ago: D-110..D-101, the last two not final then
    -- (D-102 ESTIMATE, D-101 PROCESSING); today: D-5..D-1 (D-2, D-1 pending)
    local code, _, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--account", "--days", "10" },
      D - 100)
    assert.equal(0, code, err)
    code, _, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--account", "--days", "5" })
    assert.equal(0, code, err)
    fetched = os.date("!%Y-%m-%dT%H:%M:%SZ", (D - 100) * 86400 + 43200)
    stale_line = "2 days not final when fetched (" .. dates.format(D - 102) .. " ESTIMATE, fetched " .. fetched ..
      "; " .. dates.format(D - 101) .. " PROCESSING, fetched " .. fetched .. ") and can no longer be refreshed"
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf " .. q(dir))
  end)

  local COMMANDS = { { "account" }, { "pin", pins[1] }, { "pin", pins[1], pins[2] }, { "top" },
    { "overview", "--pins", "0" } }

  it("a period of stale days alone: said in every format, and never 'may still change'", function()
    local first, last = dates.format(D - 110), dates.format(D - 95)
    for _, cmd in ipairs(COMMANDS) do
      local what = table.concat(cmd, " ")
      for _, fmt in ipairs({ "text", "markdown", "html" }) do
        local code, out, err = main(with(cmd, "--start", first, "--end", last, "--format", fmt, "--from-store", db))
        assert.equal(0, code, what .. ": " .. err)
        assert.truthy(out:find(stale_line, 1, true), what .. " " .. fmt .. ": " .. out)
        assert.is_nil(out:find("may still change", 1, true), what .. " " .. fmt .. ": " .. out)
      end
      local code, out, err = main(with(cmd, "--start", first, "--end", last, "--format", "json", "--from-store", db))
      assert.equal(0, code, what .. ": " .. err)
      local r = cjson.decode(out)
      assert.same({ { date = dates.format(D - 102), data_status = "ESTIMATE", fetched = fetched },
        { date = dates.format(D - 101), data_status = "PROCESSING", fetched = fetched } }, r.stale, what)
      assert.equal(0, r.refreshable, what)
      code, out, err = main(with(cmd, "--start", first, "--end", last, "--format", "csv", "--from-store", db))
      assert.equal(0, code, what .. ": " .. err)
      assert.truthy(out:find("can no longer be refreshed", 1, true), what .. " csv: " .. out)
      assert.truthy(out:find(fetched, 1, true), what .. " csv: " .. out)
    end
    -- csv of a day-by-day report: the note on the rows of those days alone
    local _, out = main({ "account", "--start", first, "--end", last, "--format", "csv", "--from-store", db })
    local rows = C.lines(out)
    assert.truthy(rows[1]:find(",note$"), rows[1])
    assert.equal(17, #rows)
    for i = 2, #rows do
      local date = rows[i]:match("^([^,]+)")
      if date == dates.format(D - 101) then
        assert.truthy(rows[i]:find(",PROCESSING,.*,not final when fetched " .. fetched:gsub("%-", "%%-") ..
          "; can no longer be refreshed$"), rows[i])
      elseif date ~= dates.format(D - 102) then
        assert.equal(",", rows[i]:sub(-1), rows[i])
      end
    end
  end)

  it("a period with both: the stale days named, 'may still change' said of the others only", function()
    local first, last = dates.format(D - 110), dates.format(D - 1)
    for _, cmd in ipairs(COMMANDS) do
      local what = table.concat(cmd, " ")
      local code, out, err = main(with(cmd, "--start", first, "--end", last, "--from-store", db))
      assert.equal(0, code, what .. ": " .. err)
      assert.truthy(out:find(stale_line, 1, true), what .. ": " .. out)
      assert.truthy(out:find("\nNot READY yet: 4 days (2 of them: Pinterest may still change their numbers)\n", 1,
        true), what .. ": " .. out)
      code, out, err = main(with(cmd, "--start", first, "--end", last, "--format", "json", "--from-store", db))
      assert.equal(0, code, err)
      local r = cjson.decode(out)
      assert.same({ 4, 2, 2 }, { r.not_ready, #r.stale, r.refreshable }, what)
    end
  end)

  it("a report from the API has no stale days and keeps its words", function()
    local code, out, err = main({ "account", "--last", "5" })
    assert.equal(0, code, err)
    assert.truthy(out:find("\nNot READY yet: 2 days (Pinterest may still change their numbers)\n", 1, true), out)
    assert.is_nil(out:find("can no longer be refreshed", 1, true), out)
  end)
end)
