-- bin/pinanalytics, run as a user runs it: a subprocess of the Lua running
-- this spec, with the module paths this spec has, against the simulator.
local cjson = require "cjson"
local H = require "helpers.sim"
local cli = require "pinanalytics.cli"

local C = require "helpers.cli"
local X = require "helpers.child"

local LUA, q, read, tmpname, succeeds = C.LUA, C.q, C.read, C.tmpname, C.succeeds
local CLEAN, envs, run, lines = C.CLEAN, C.envs, C.run, C.lines

describe("pinanalytics (command line)", function()
  local sim, env
  setup(function()
    sim = H.start { missing_pins = { "404404" } }
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  describe("help", function()
    it("--help lists every subcommand, with an example, and exits 0", function()
      local code, out, err = run("--help")
      assert.equal(0, code)
      assert.equal("", err)
      assert.truthy(out:find("^usage: pinanalytics COMMAND"), out)
      for _, name in ipairs(cli.COMMANDS) do
        assert.truthy(out:find("\n  " .. name:gsub("%-", "%%-") .. " ", 1), name .. " missing in --help")
      end
      assert.truthy(out:find("Example", 1, true))
      assert.truthy(out:find("PINTEREST_ACCESS_TOKEN", 1, true))
    end)

    it("has --help for each subcommand, naming its options and giving an example", function()
      assert.same({ "pin", "account", "top", "overview", "sync", "oneup-overview", "oneup-posts", "login", "accounts",
        "logout", "simulate", "ads" },
        cli.COMMANDS)
      for _, name in ipairs(cli.COMMANDS) do
        for _, form in ipairs({ name .. " --help", "help " .. name, name .. " -h" }) do
          local code, out, err = run(form)
          assert.equal(0, code, form)
          assert.equal("", err, form)
          assert.truthy(out:find("^usage: pinanalytics " .. name:gsub("%-", "%%-") .. "[ \n]"), form .. ": " .. out)
          assert.truthy(out:find("\nExample", 1, true), form)
          assert.truthy(out:find("\n  pinanalytics " .. name:gsub("%-", "%%-") .. "[ \n]"), form .. ": " .. out)
        end
      end
      local _, pin_help = run("pin --help")
      for _, o in ipairs({ "--last", "--start", "--end", "--preset", "--metrics", "--format", "--output",
        "--base-url", "--token-file" }) do
        assert.truthy(pin_help:find(o, 1, true), o .. " not in pin --help")
      end
      local _, oneup_help = run("oneup-overview --help")
      assert.truthy(oneup_help:find("--social-network-id", 1, true))
      assert.truthy(oneup_help:find("ONEUP_API_KEY", 1, true))
    end)

    it("--version prints the library's version", function()
      local code, out = run("--version")
      assert.equal(0, code)
      assert.equal("pinanalytics " .. require("pinanalytics")._VERSION .. "\n", out)
    end)

    it("runs from a clone without LUA_PATH, from any directory: the script finds its lua/", function()
      local h = assert(io.popen("cd bin && env -u LUA_PATH LUA_CPATH=" .. q(package.cpath) .. " " .. X.bounded(120, LUA) ..
        " ./pinanalytics --version 2>&1; echo $?"))
      local out = h:read("*a")
      h:close()
      assert.equal("pinanalytics " .. require("pinanalytics")._VERSION .. "\n0\n", out)
    end)
  end)

  describe("exit codes", function()
    it("2 for a usage error, with the message and a hint to --help on stderr, nothing on stdout", function()
      local cases = {
        { "", "no command" },
        { "frobnicate", "unknown command 'frobnicate'" },
        { "pin", "pin needs at least one pin id" },
        { "pin 12ab", "'12ab' is not a pin id" },
        { "pin 1 --frobnicate", "unknown option --frobnicate" },
        { "pin 1 --format pdf", "--format pdf" },
        { "pin 1 --last 0", "--last" },
        { "pin 1 --last", "--last needs a value" },
        { "pin 1 --last 7 --start 2026-01-01", "--last" },
        { "pin 1 --preset yesterdayish", "yesterdayish" },
        { "pin 1 --start 2026-02-30 --end 2026-03-02", "2026-02-30" },
        { "pin 1 --end 2026-03-02", "--end" },
        { "pin 1 --metrics IMPRESSIONS", "IMPRESSIONS" },
        { "top --limit 0", "--limit" },
        { "overview --last 90", "the API serves the last 90 days" },
        { "oneup-overview", "--social-network-id" },
        { "account --social-network-id 3", "unknown option --social-network-id" },
      }
      for _, c in ipairs(cases) do
        local code, out, err = run(c[1], env)
        assert.equal(2, code, c[1] .. ": " .. err)
        assert.equal("", out, c[1])
        assert.truthy(err:find(c[2], 1, true), c[1] .. ": " .. err)
        assert.truthy(err:find("pinanalytics: ", 1, true), c[1] .. ": " .. err)
        assert.truthy(err:find("--help", 1, true), c[1] .. ": " .. err)
      end
    end)

    it("0 for a report, 1 for a run-time failure with a one-line error that holds no secret", function()
      local code, out, err = run("pin 813744226420795884", env)
      assert.equal(0, code, err)
      assert.truthy(out:find("^Pin 813744226420795884\n"), out)

      code, out, err = run("pin 404404", env)
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal(1, #lines(err), err)
      assert.truthy(err:find("^pinanalytics: not_found: "), err)
      assert.is_nil(err:find(H.TOKEN, 1, true))

      local bad = { PINTEREST_ACCESS_TOKEN = "not-the-token", PINTEREST_BASE_URL = sim.pinterest_url }
      code, out, err = run("account", bad)
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal(1, #lines(err), err)
      assert.truthy(err:find("^pinanalytics: auth: "), err)
      assert.is_nil(err:find("not-the-token", 1, true))

      -- nothing listens on port 1
      code, out, err = run("account --retries 0 --base-url http://127.0.0.1:1/v5", env)
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal(1, #lines(err), err)
      assert.truthy(err:find("^pinanalytics: network: "), err)
    end)

    it("1 when some pins of several fail: the report of the others, then each failure on stderr", function()
      local code, out, err = run("pin 813744226420795884 404404 --format csv", env)
      assert.equal(1, code)
      assert.truthy(out:find("\n813744226420795884,", 1, true), out)
      assert.is_nil(out:find("404404", 1, true))
      assert.truthy(err:find("pinanalytics: pin 404404: not_found: ", 1, true), err)
      assert.truthy(err:find("1 of 2 pins failed", 1, true), err)
    end)
  end)

  describe("the token", function()
    it("is refused as an argument, saying why, and is never echoed", function()
      for _, form in ipairs({ "--token s3cr3t-arg", "--token=s3cr3t-arg", "--access-token s3cr3t-arg",
        "--api-key s3cr3t-arg", "--api-key=s3cr3t-arg" }) do
        local code, out, err = run("account " .. form, env)
        assert.equal(2, code, form)
        assert.equal("", out)
        assert.is_nil(err:find("s3cr3t-arg", 1, true), form .. ": " .. err)
        assert.truthy(err:find("ps", 1, true), err)
        assert.truthy(err:find("other users", 1, true), err)
        assert.truthy(err:find("PINTEREST_ACCESS_TOKEN", 1, true), err)
        assert.truthy(err:find("--token-file", 1, true), err)
      end
    end)

    it("missing is a usage error that says where it comes from", function()
      local code, out, err = run("account", { PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("PINTEREST_ACCESS_TOKEN", 1, true), err)
      assert.truthy(err:find("--token-file", 1, true), err)
      code, out, err = run("oneup-overview --social-network-id 7", {})
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("ONEUP_API_KEY", 1, true), err)
    end)

    it("comes from PINTEREST_ACCESS_TOKEN or from --token-file (a file, or - for stdin)", function()
      local file = tmpname()
      local f = assert(io.open(file, "wb"))
      f:write(H.TOKEN, "\n")
      f:close()
      local code, out, err = run("account --format json --token-file " .. q(file),
        { PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(0, code, err)
      assert.equal("daily", cjson.decode(out).kind)
      code, out, err = run("account --format json --token-file -", { PINTEREST_BASE_URL = sim.pinterest_url }, file)
      assert.equal(0, code, err)
      assert.equal("daily", cjson.decode(out).kind)
      -- the file wins over the environment
      code, out, err = run("account --token-file " .. q(file),
        { PINTEREST_ACCESS_TOKEN = "wrong", PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(0, code, err)
      assert.truthy(out:find("^Account\n"), out)
      os.remove(file)
      code, out, err = run("account --token-file " .. q(file), { PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find("cannot read the token file", 1, true), err)
      -- an empty file
      f = assert(io.open(file, "wb"))
      f:close()
      code, out, err = run("account --token-file " .. q(file), { PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find("is empty", 1, true), err)
      os.remove(file)
    end)
  end)

  describe("formats and --output", function()
    local ID = "813744226420795884"
    it("text: an aligned report with its title, period and sparklines", function()
      local code, out = run("pin " .. ID .. " --last 14", env)
      assert.equal(0, code)
      assert.truthy(out:find("^Pin " .. ID .. "\n====", 1), out)
      local r = require("pinanalytics.dates").last(14)
      assert.truthy(out:find("Period: " .. r.start_date .. " .. " .. r.end_date .. " (14 days", 1, true), out)
      assert.truthy(out:find("Impressions", 1, true))
      assert.truthy(out:find("[▁▂▃▄▅▆▇█]"), out)
    end)

    it("markdown: a heading and tables", function()
      local code, out = run("pin " .. ID .. " --format markdown --metrics IMPRESSION,SAVE", env)
      assert.equal(0, code)
      assert.truthy(out:find("^# Pin " .. ID .. "\n"), out)
      assert.truthy(out:find("\n| Impressions |", 1, true), out)
      assert.is_nil(out:find("Pin clicks", 1, true))
    end)

    it("csv: a header, then one row a day with numbers as numbers", function()
      local code, out = run("pin " .. ID .. " --format csv --start 2026-01-01 --end 2026-01-01 " ..
        "--metrics IMPRESSION,SAVE_RATE", env)
      -- a fixed date out of the 90 days is refused by the library's own check: a usage error
      assert.equal(2, code)
      assert.equal("", out)
      local r = require("pinanalytics.dates").last(3)
      code, out = run("pin " .. ID .. " --format csv --start " .. r.start_date .. " --end " .. r.end_date ..
        " --metrics IMPRESSION,SAVE_RATE", env)
      assert.equal(0, code)
      local l = lines(out)
      assert.equal("pin_id,date,status,IMPRESSION,SAVE_RATE", l[1])
      assert.equal(4, #l, out)
      assert.equal(ID .. "," .. r.start_date .. ",", l[2]:sub(1, #ID + #r.start_date + 2))
      assert.truthy(l[2]:match("^%d+,[%d%-]+,%u+,%d+,0%.%d+$"), l[2])
    end)

    it("json: the report's data, arrays as arrays", function()
      local code, out = run("pin " .. ID .. " --format json --last 7", env)
      assert.equal(0, code)
      local r = cjson.decode(out)
      assert.equal("pin", r.kind)
      assert.equal(ID, r.pin_id)
      assert.equal(7, #r.days)
      assert.equal(7, r.current.days)
    end)

    it("html: one page with its charts and no URL to fetch", function()
      local code, out = run("pin " .. ID .. " --format html", env)
      assert.equal(0, code)
      assert.truthy(out:find("^<!DOCTYPE html>"), out:sub(1, 100))
      assert.truthy(out:find("<svg", 1, true))
      assert.is_nil(out:find("https?://"))
    end)

    it("--output writes the report to the file (its format from the name unless --format says)", function()
      local dir = tmpname()
      os.remove(dir)
      assert.is_true(succeeds("mkdir " .. q(dir)))
      local code, out, err = run("pin " .. ID .. " --output " .. q(dir .. "/r.html"), env)
      assert.equal(0, code, err)
      assert.equal("", out)
      assert.truthy(read(dir .. "/r.html"):find("^<!DOCTYPE html>"))
      code, out = run("pin " .. ID .. " --format json --output " .. q(dir .. "/r.txt"), env)
      assert.equal(0, code)
      assert.equal("", out)
      assert.equal("pin", cjson.decode(read(dir .. "/r.txt")).kind)
      code, out = run("pin " .. ID .. " --output " .. q(dir .. "/r.csv"), env)
      assert.equal(0, code)
      assert.equal("", out)
      assert.truthy(read(dir .. "/r.csv"):find("^pin_id,date,status,"))
      -- the same text as on stdout
      local _, text = run("pin " .. ID .. " --format csv", env)
      assert.equal(text, read(dir .. "/r.csv"))
      -- nothing is left behind when the file cannot be written
      code, out, err = run("pin " .. ID .. " --output " .. q(dir .. "/no/such/dir/r.csv"), env)
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find("^pinanalytics: the report was not written to "), err)
      local h = io.popen("ls -A " .. q(dir))
      local left = h:read("*a")
      h:close()
      assert.equal("r.csv\nr.html\nr.txt\n", left)
      os.execute("rm -rf " .. q(dir))
    end)
  end)

  describe("subcommands", function()
    it("pin with several ids: one row a pin", function()
      local code, out = run("pin 1 2 3 --format csv --metrics IMPRESSION,SAVE", env)
      assert.equal(0, code)
      local l = lines(out)
      -- in id order: no rank; what each pin is after its figures
      assert.equal("pin_id,title,date,status,IMPRESSION,SAVE,days,days_with_figures,title_from,board,board_id,url," ..
        "image_url,note", l[1])
      assert.equal(4, #l)
    end)

    it("account: the account day by day", function()
      local code, out = run("account --last 7 --format json --metrics IMPRESSION,SAVE", env)
      assert.equal(0, code)
      local r = cjson.decode(out)
      assert.equal("daily", r.kind)
      assert.equal("Account", r.title)
      assert.equal(7, #r.days)
      assert.equal(2, #r.metrics)
    end)

    it("top: the top pins, sorted and limited", function()
      local code, out = run("top --sort-by SAVE --limit 5 --format csv", env)
      assert.equal(0, code)
      local l = lines(out)
      assert.equal(6, #l, out)
      assert.truthy(l[1]:find("^rank,pin_id,"), l[1])
      local col
      local i = 0
      for name in (l[1] .. ","):gmatch("([^,]*),") do
        i = i + 1
        if name == "SAVE" then col = i end
      end
      local last = math.huge
      for k = 2, 6 do
        local cells = {}
        -- (a title may hold a comma: quoted, its quotes doubled)
        local row = l[k]:gsub('"([^"]*)"', function(quoted) return (quoted:gsub(",", ";")) end)
        for c in (row .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
        local v = tonumber(cells[col])
        assert.is_true(v <= last)
        last = v
      end
    end)

    it("overview: the current period against the previous one, with the rankings", function()
      local code, out = run("overview --last 14 --pins 5 --format json", env)
      assert.equal(0, code)
      local r = cjson.decode(out)
      assert.equal("overview", r.kind)
      local cur = require("pinanalytics.dates").last(14)
      local prev = cur:previous()
      assert.equal(cur.start_date, r.current.start_date)
      assert.equal(prev.start_date, r.previous.start_date)
      assert.equal(prev.end_date, r.previous.end_date)
      assert.is_false(r.periods_differ)
      assert.truthy(#r.rankings > 0)
      assert.equal(3, #r.rankings[1].pins)
      -- a previous period reaching past the 90 days is cut short, and the report says so
      code, out = run("overview --last 60 --pins 0 --format json", env)
      assert.equal(0, code)
      r = cjson.decode(out)
      assert.equal(60, r.current.days)
      assert.equal(require("pinanalytics.dates").add_days(H.TODAY, -90), r.previous.start_date)
      assert.equal(30, r.previous.days)
      assert.is_true(r.periods_differ)
      code, out = run("overview --last 14 --pins 0", env)
      assert.equal(0, code)
      assert.truthy(out:find("^Account overview\n"), out)
      assert.truthy(out:find("Previous period: " .. prev.start_date, 1, true), out)
      assert.is_nil(out:find("Post performance", 1, true))
    end)

    it("oneup-overview and oneup-posts: OneUp's data through the same reports", function()
      local one = { ONEUP_API_KEY = "sim-oneup-key", ONEUP_BASE_URL = sim.url }
      local code, out, err = run("oneup-overview --social-network-id 7 --preset last_30_days --format json", one)
      assert.equal(0, code, err)
      local r = cjson.decode(out)
      assert.equal("overview", r.kind)
      assert.equal("OneUp", r.source)
      assert.equal(require("pinanalytics.dates").preset("last_30_days").start_date, r.current.start_date)
      code, out, err = run("oneup-posts --social-network-id 7 --last 7 --format csv", one)
      assert.equal(0, code, err)
      assert.truthy(out:find("^pin_id,title,date,"), out)
      code, out, err = run("oneup-overview --social-network-id 7", { ONEUP_API_KEY = "wrong", ONEUP_BASE_URL = sim.url })
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find("^pinanalytics: auth: "), err)
      assert.is_nil(err:find("wrong", 1, true))
    end)
  end)

  describe("progress bar", function()
    local IDS = {}
    for i = 1, 30 do IDS[i] = tostring(7000000 + i) end
    local args = "pin " .. table.concat(IDS, " ") .. " 404404 --format csv --output /dev/null"

    it("is drawn on stderr when it is a terminal: pins done, failed, rate, time left", function()
      if not succeeds("command -v script >/dev/null 2>&1") then
        pending("needs script(1) from util-linux")
        return
      end
      local inner = CLEAN .. " " .. envs(env) .. " " .. LUA .. " bin/pinanalytics " .. args .. " 2>&1 >/dev/null"
      local h = assert(io.popen(X.bounded(120, "script") .. " -qfec " .. q(inner) .. " /dev/null </dev/null"))
      local tty = h:read("*a")
      h:close()
      assert.truthy(tty:find("0/31 pins", 1, true), tty)
      assert.truthy(tty:find("31/31 pins", 1, true), tty)
      assert.truthy(tty:find("1 failed", 1, true), tty)
      assert.truthy(tty:find("pins/s", 1, true), tty)
      assert.truthy(tty:find(" left", 1, true), tty)
      assert.truthy(tty:find("█", 1, true), tty)
      assert.truthy(tty:find("\r", 1, true), tty)
    end)

    it("is not drawn when stderr is not a terminal", function()
      local code, out, err = run(args, env)
      assert.equal(1, code) -- 404404 fails
      assert.equal("", out)
      assert.is_nil(err:find("pins/s", 1, true), err)
      assert.is_nil(err:find("█", 1, true), err)
      assert.is_nil(err:find("\r", 1, true), err)
      assert.truthy(err:find("1 of 31 pins failed", 1, true), err)
    end)
  end)
end)

-- A file handle that keeps what is written to it.
local function sink()
  local t = { parts = {} }
  function t.write(self, ...)
    for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
    return self
  end
  function t.flush() return true end
  function t.text(self) return table.concat(self.parts) end
  return t
end

describe("pinanalytics.cli.main in this process", function()
  local sim
  setup(function() sim = H.start {} end)
  teardown(function() sim:stop() end)

  local function main(args, tty)
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function(fd) return tty and fd == 2 end })
    return code, out:text(), err:text()
  end

  it("takes its environment, streams and terminal test from ctx", function()
    local code, out, err = main({ "pin", "1", "2", "3", "--format", "csv", "--metrics", "SAVE" }, true)
    assert.equal(0, code, err)
    assert.equal("pin_id,title,date,status,SAVE,days,days_with_figures,title_from,board,board_id,url,image_url,note\n",
      out:match("^[^\n]*\n"))
    -- the bar: first empty, last full, then a line break
    assert.truthy(err:find("^\r0/3 pins %[" .. ("░"):rep(24) .. "%] 0 failed, 0%.0 pins/s, %-%-:%-%- left\27%[K"), err)
    assert.truthy(err:find("\r3/3 pins %[" .. ("█"):rep(24) .. "%] 0 failed, [%d.]+ pins/s, done in 0:0%d\27%[K\n$"),
      err)
  end)

  it("draws no bar for one pin, with --no-progress, or without a terminal", function()
    local _, _, err = main({ "pin", "1", "--format", "csv" }, true)
    assert.equal("", err)
    _, _, err = main({ "pin", "1", "2", "--format", "csv", "--no-progress" }, true)
    assert.equal("", err)
    _, _, err = main({ "pin", "1", "2", "--format", "csv" }, false)
    assert.equal("", err)
  end)

  it("parse refuses a token argument without repeating it", function()
    local ok, e = pcall(cli.parse, { "pin", "1", "--token=abc123secret" })
    assert.is_false(ok)
    assert.is_nil(tostring(e.msg):find("abc123secret", 1, true))
    assert.same({ command = "pin", args = { "1", "2" }, opts = { ["--last"] = "7", ["--no-progress"] = true } },
      cli.parse({ "pin", "1", "--last=7", "2", "--no-progress" }))
    assert.same({ command = "pin", args = { "--odd" }, opts = {} }, cli.parse({ "pin", "--", "--odd" }))
    assert.same({ help = "top" }, cli.parse({ "top", "--limit", "3", "--help" }))
  end)
end)

-- Whether a process the spec started has ended, polling `tries` times 0.1 s
-- apart.
local function wait_gone(pid, tries)
  for _ = 1, tries do
    if not succeeds("kill -0 " .. pid .. " 2>/dev/null") then return true end
    os.execute("sleep 0.1")
  end
  return false
end

-- The processes whose command line holds s (read here, so that no helper
-- process with s in its own arguments is counted), as "pid: command line".
local function procs_naming(s)
  local h = io.popen("ls /proc")
  local pids = h:read("*a")
  h:close()
  local found = {}
  for pid in pids:gmatch("%d+") do
    local c = read("/proc/" .. pid .. "/cmdline")
    if c and c:find(s, 1, true) then found[#found + 1] = pid .. ": " .. c:gsub("%z", " ") end
  end
  return table.concat(found, "\n")
end

describe("pinanalytics simulate", function()
  local function simulate(init)
    local log = tmpname()
    local h = assert(io.popen(CLEAN .. (init and (" LUA_INIT=" .. q(init)) or "") .. " " .. LUA ..
      " bin/pinanalytics simulate >" .. log .. " 2>&1 </dev/null & echo $!"))
    local pid = h:read("*l")
    h:close()
    local text
    for _ = 1, 200 do
      text = read(log) or ""
      if text:find("Stop it with", 1, true) then break end
      os.execute("sleep 0.1")
    end
    return pid, log, text
  end

  local function check(init)
    local pid, log, text = simulate(init)
    local url = text:match("export PINTEREST_BASE_URL=(%S+)")
    local token = text:match("export PINTEREST_ACCESS_TOKEN=(%S+)")
    local prefix = text:match("Logs: (%S+)/logs/")
    assert.truthy(url and token and prefix, text)
    assert.truthy(url:find("^http://127%.0%.0%.1:%d+/v5$"), url)
    assert.truthy(text:find("export ONEUP_BASE_URL=http://127.0.0.1:%d+\n"), text)
    assert.truthy(text:find("export ONEUP_API_KEY=%S+\n"), text)
    -- and how to try the login against it: its sign-in page and the app it knows
    assert.truthy(text:find("export PINTEREST_OAUTH_URL=http://127.0.0.1:%d+/oauth/authorize\n"), text)
    assert.truthy(text:find("export PINTEREST_CLIENT_ID=sim%-client%-id\n"), text)
    assert.truthy(text:find("export PINTEREST_CLIENT_SECRET=sim%-client%-secret\n"), text)
    assert.truthy(text:find(" login %-%-no%-browser %-%-credentials %S+\n"), text)
    -- the printed URL and token work
    local code, out, err = run("pin 813744226420795884 --format json",
      { PINTEREST_BASE_URL = url, PINTEREST_ACCESS_TOKEN = token })
    assert.equal(0, code, err)
    assert.equal("pin", cjson.decode(out).kind)
    assert.truthy(procs_naming(prefix) ~= "", "no nginx for " .. prefix)
    os.execute("kill -TERM " .. pid)
    assert.is_true(wait_gone(pid, 100), "simulate did not end on SIGTERM")
    -- its nginx and the watchdog go too, and its directory
    local gone = false
    for _ = 1, 100 do
      if procs_naming(prefix) == "" and not read(prefix .. "/nginx.conf") then gone = true break end
      os.execute("sleep 0.1")
    end
    assert.is_true(gone, "nginx or its directory outlived simulate: " .. procs_naming(prefix))
    local after = read(log)
    os.remove(log)
    return after
  end

  it("prints the URL and token, serves until SIGTERM, then leaves no nginx behind", function()
    local after = check()
    if pcall(require, "luv") then
      -- with luv the signal is caught and the simulator stopped before the process ends
      assert.truthy(after:find("simulator stopped", 1, true), after)
    end
  end)

  it("does the same without luv (the simulator's watchdog stops nginx)", function()
    check("package.preload.luv = function() error('no luv here') end")
  end)

  it("stops on SIGINT (Ctrl-C) in plain Lua, saying so", function()
    local pid, log, text = simulate("package.preload.luv = function() error('no luv here') end")
    local prefix = text:match("Logs: (%S+)/logs/")
    assert.truthy(prefix, text)
    -- as Ctrl-C sends it; the interpreter (lua.c, luajit.c) sets its own
    -- handler, which raises "interrupted!", even in a background job
    os.execute("kill -INT " .. pid)
    local ended = wait_gone(pid, 100)
    if not ended then os.execute("kill -TERM " .. pid) end
    assert.is_true(ended, "simulate did not end on SIGINT")
    local after = read(log)
    os.remove(log)
    assert.truthy(after:find("simulator stopped", 1, true), after)
    assert.is_nil(read(prefix .. "/nginx.conf"))
  end)
end)

describe("examples", function()
  -- each starts the simulator itself when no token is set
  local function example(name, extra)
    local out, err = tmpname(), tmpname()
    local h = assert(io.popen(CLEAN .. " " .. X.bounded(120, LUA) .. " examples/" .. name .. " " .. (extra or "") ..
      " >" .. out .. " 2>" .. err .. "; echo $?"))
    local code = tonumber(h:read("*a"):match("(%d+)%s*$"))
    h:close()
    local o, e = read(out), read(err)
    os.remove(out)
    os.remove(err)
    return code, o, e
  end

  it("weekly_report.lua: the last 7 days against the 7 before, in markdown", function()
    local code, out, err = example("weekly_report.lua")
    assert.equal(0, code, err)
    local r = require("pinanalytics.dates").last(7)
    assert.truthy(out:find("^# Weekly report"), out)
    assert.truthy(out:find(r.start_date .. " .. " .. r.end_date, 1, true), out)
    assert.truthy(out:find("| Impressions |", 1, true), out)
    assert.truthy(out:find("## Top pins", 1, true), out)
  end)

  it("top_pins_csv.lua: a CSV of the top pins, numbers as numbers", function()
    local code, out, err = example("top_pins_csv.lua")
    assert.equal(0, code, err)
    local l = lines(out)
    assert.truthy(l[1]:find("^rank,pin_id,"), l[1])
    assert.equal(26, #l, out)
    assert.truthy(l[2]:find("^1,%d+,"), l[2])
  end)

  it("account_overview.lua: the account against the previous period, text and an html file", function()
    local file = tmpname()
    local code, out, err = example("account_overview.lua", q(file))
    assert.equal(0, code, err)
    assert.truthy(out:find("^Account overview\n"), out)
    assert.truthy(out:find("Previous period:", 1, true), out)
    assert.truthy(out:find("Most engaging", 1, true), out)
    assert.truthy(read(file):find("^<!DOCTYPE html>"))
    os.remove(file)
  end)

  it("demo.lua (make demo): text reports with sparklines, and the html report's path", function()
    local file = tmpname()
    local code, out, err = example("demo.lua", q(file))
    assert.equal(0, code, err)
    assert.truthy(out:find("[▁▂▃▄▅▆▇█]"), out)
    assert.truthy(out:find("Account overview", 1, true), out)
    assert.truthy(out:find("HTML report: " .. file .. "\n", 1, true), out)
    assert.truthy(read(file):find("<svg", 1, true))
    os.remove(file)
  end)
end)
