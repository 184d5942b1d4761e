-- pinanalytics ads report: an async ads report written as csv or json.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local cli = require "pinanalytics.cli"

local ACCT = ads.ACCOUNTS[1]

local function sink()
  local parts = {}
  return {
    write = function(self, ...)
      for _, s in ipairs({ ... }) do parts[#parts + 1] = s end
      return self
    end,
    flush = function(self) return self end,
    text = function() return table.concat(parts) end,
  }
end

describe("pinanalytics ads report", function()
  local sim
  setup(function() sim = H.start { ads_report_polls = 0 } end)
  teardown(function() if sim then sim:stop() end end)

  local function run(args)
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      clock = H.clock, isatty = function() return false end })
    return code, out.text(), err.text()
  end

  it("writes json keyed by entity id, each a list of row objects, money exact", function()
    local code, out, err = run({ "ads", "report", "--account-id", ACCT, "--level", "CAMPAIGN", "--columns",
      "SPEND_IN_MICRO_DOLLAR,TOTAL_CLICKTHROUGH,CTR,CAMPAIGN_NAME", "--last", "3", "--format", "json" })
    assert.are.equal(0, code, err)
    local doc = require("pinanalytics.core").decode(out)
    local n = 0
    for _, camp in ipairs(ads.campaigns(ACCT)) do
      local rows = doc[camp.id]
      assert.is_table(rows, camp.id)
      assert.are.equal(3, #rows)
      for i, row in ipairs(rows) do
        local d = H.day(i - 4)
        local want = ads.row("CAMPAIGN", camp.id, d, d, { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH" })
        assert.are.equal(d, row.DATE)
        assert.are.equal(camp.id, row.CAMPAIGN_ID)
        assert.matches("^" .. camp.name:match("^%a+"), row.CAMPAIGN_NAME) -- a text column, as the simulator names it
        assert.are.equal(want.SPEND_IN_MICRO_DOLLAR, row.SPEND_IN_MICRO_DOLLAR)
        assert.are.equal(want.TOTAL_CLICKTHROUGH, row.TOTAL_CLICKTHROUGH)
        n = n + 1
      end
    end
    assert.are.equal(3 * #ads.campaigns(ACCT), n)
    -- the micro-dollars as digits on the wire, never a float
    assert.is_nil(out:find('"SPEND_IN_MICRO_DOLLAR":[%d]+%.', 1))
    assert.is_nil(out:find(H.TOKEN, 1, true))
  end)

  it("writes csv with a header, zero-filled metrics, to -o FILE", function()
    local path = os.tmpname()
    local code, out, err = run({ "ads", "report", "--account-id", ACCT, "--level", "AD_GROUP", "--columns",
      "SPEND_IN_MICRO_DOLLAR,TOTAL_CONVERSIONS", "--start", H.day(-2), "--end", H.day(-1), "-o", path })
    assert.are.equal(0, code, err)
    assert.are.equal("", out)
    local f = assert(io.open(path, "rb"))
    local text = f:read("*a")
    f:close()
    os.remove(path)
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.equal("AD_GROUP_ID,DATE,SPEND_IN_MICRO_DOLLAR,TOTAL_CONVERSIONS", lines[1])
    assert.are.equal(1 + 2 * #ads.ad_groups(ACCT), #lines)
    for i = 2, #lines do
      local id, date, spend, conv = lines[i]:match("^(%d+),(%d%d%d%d%-%d%d%-%d%d),(%d+),(%d+)$")
      assert.is_string(id, lines[i])
      local want = ads.row("AD_GROUP", id, date, date, { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CONVERSIONS" })
      assert.are.equal(tostring(want.SPEND_IN_MICRO_DOLLAR), spend)
      assert.are.equal(tostring(want.TOTAL_CONVERSIONS or 0), conv)
    end
  end)

  it("refuses what the library refuses, as a usage error, before anything is sent", function()
    sim:clear_log()
    local code, _, err = run({ "ads", "report", "--account-id", ACCT, "--level", "CAMPAIGN", "--columns",
      "link clicks", "--last", "3" })
    assert.are.equal(2, code)
    assert.matches("did you mean TOTAL_CLICKTHROUGH?", err, 1, true)
    code, _, err = run({ "ads", "report", "--account-id", ACCT, "--level", "CAMPAIGN", "--columns", "CTR",
      "--last", "915" })
    assert.are.equal(2, code)
    assert.matches("at most 914", err, 1, true)
    code, _, err = run({ "ads", "report", "--level", "CAMPAIGN", "--columns", "CTR" })
    assert.are.equal(2, code)
    assert.matches("--account-id is required", err, 1, true)
    code, _, err = run({ "ads", "report", "--account-id", ACCT, "--level", "CAMPAIGN", "--columns", "CTR",
      "--format", "html" })
    assert.are.equal(2, code)
    assert.matches("csv, json", err, 1, true)
    code, _, err = run({ "ads", "reprot" })
    assert.are.equal(2, code)
    assert.matches("unknown subcommand 'reprot' (subcommands: report, overview, campaigns)", err, 1, true)
    assert.are.equal(0, #sim:requests())
  end)

  it("says a report that FAILED in one line, exit status 1", function()
    sim:configure { ads_report_polls = 0, ads_report_status = "FAILED" }
    local code, out, err = run({ "ads", "report", "--account-id", ACCT, "--level", "CAMPAIGN", "--columns", "CTR",
      "--last", "3" })
    sim:configure { ads_report_polls = 0 }
    assert.are.equal(1, code)
    assert.are.equal("", out)
    assert.matches("^pinanalytics: report: report 1 of 1 .* FAILED", err)
    assert.is_nil(err:find(H.TOKEN, 1, true))
  end)

  it("has help naming its options", function()
    local code, out = run({ "ads", "--help" })
    assert.are.equal(0, code)
    for _, o in ipairs({ "--account-id", "--level", "--columns", "--granularity", "--format", "-o FILE" }) do
      assert.truthy(out:find(o, 1, true), o)
    end
  end)
end)
