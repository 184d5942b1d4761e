-- An async ads report waits (its polls, its download) without blocking the
-- host: in OpenResty ("ngx" runtime) other requests are answered meanwhile,
-- in Neovim ("uv" runtime, inside pinanalytics.async) a timer keeps ticking.
local H = require "helpers.sim"
local host = require "helpers.host"
local X = require "helpers.child"
local ads = require "pinanalytics.simulator.ads_data"

-- The longest pause allowed between two ticks of the editor's 50 ms timer.
-- A wait that blocked the loop would stop it for the whole wait (1 s: the
-- latency, a Retry-After, a poll's backoff); 500 ms leaves room for a
-- machine busy with other specs, and still tells the two apart.
local MAX_GAP_MS = 500

local ACCT = ads.ACCOUNTS[1]

-- Lua source of the call both hosts make: rows of 400 days in three reports
local CALL = [[
  local res, err = c:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
    columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH" }, start_date = D1, end_date = D2 },
    { interval = 0.4, max_interval = 0.4 })
  local spend = 0
  if res then for _, row in ipairs(res.rows) do spend = spend + row.SPEND_IN_MICRO_DOLLAR end end
  local result = res and (c.rt.name .. " " .. #res.reports .. " " .. #res.rows .. " " .. string.format("%.0f", spend))
    or ("error " .. tostring(err))
]]

-- what the call must give: runtime, reports, rows, spend
local function expected(sim, runtime)
  local c = H.client(sim)
  sim:configure { ads_report_polls = 0 }
  local res = assert(c:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
    columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH" }, start_date = H.day(-400), end_date = H.day(-1) },
    { interval = 0.01 }))
  c:close()
  local spend = 0
  for _, row in ipairs(res.rows) do spend = spend + row.SPEND_IN_MICRO_DOLLAR end
  return runtime .. " 3 " .. #res.rows .. " " .. string.format("%.0f", spend)
end

describe("an async ads report in OpenResty", function()
  local sim, ngx_server

  setup(function()
    host.need_luajit_build()
    sim = H.start {}
    ngx_server = host.nginx("", table.concat({
      "location = /ok { return 200 'ok'; }",
      "location = /report { content_by_lua_block {\n" ..
        "local pa = require 'pinanalytics'\n" ..
        string.format("local URL, TOKEN, ACCT, D1, D2 = %q, %q, %q, %q, %q\n", sim.pinterest_url, H.TOKEN, ACCT,
          H.day(-400), H.day(-1)) ..
        "local c = pa.pinterest{ token = TOKEN, base_url = URL, retries = 0 }\n" ..
        CALL .. "\nc:close()\nngx.say(result)\n} }",
    }, "\n"))
  end)
  teardown(function()
    if ngx_server then ngx_server:stop() end
    if sim then sim:stop() end
  end)

  it("polls and downloads three reports while the worker answers other requests", function()
    local want = expected(sim, "ngx")
    -- each report: two polls IN_PROGRESS, 0.4 s apart; three reports: at least 2.4 s of waiting
    sim:configure { ads_report_polls = 2 }
    local r = host.curl_many(ngx_server.url, {
      { path = "/report", name = "report" },
      { path = "/ok", name = "ok1", delay = 0.3 }, { path = "/ok", name = "ok2", delay = 1.2 },
      { path = "/ok", name = "ok3", delay = 2.0 },
    })
    assert.equal(200, r.report.status, r.report.body .. ngx_server:error_log():sub(-2000))
    assert.equal(want .. "\n", r.report.body)
    assert.is_true(r.report.time >= 2.3, ("the report took %.3f s"):format(r.report.time))
    for _, k in ipairs({ "ok1", "ok2", "ok3" }) do
      assert.equal(200, r[k].status)
      assert.is_true(r[k].time <= 0.1, ("%s took %.3f s while the report waited"):format(k, r[k].time))
    end
  end)
end)

local SCRIPT = [[
package.path = %q .. ";" .. package.path
package.cpath = %q .. ";" .. package.cpath
local URL, TOKEN, ACCT, D1, D2, OUT = %q, %q, %q, %q, %q, %q
local pa = require "pinanalytics"
local loop = vim.loop
local ticks, gap, last = 0, 0, loop.hrtime()
local timer = loop.new_timer()
timer:start(50, 50, function()
  local now = loop.hrtime()
  ticks = ticks + 1
  if now - last > gap then gap = now - last end
  last = now
end)
local t0 = loop.hrtime()
pa.async(function()
  local c = pa.pinterest { token = TOKEN, base_url = URL, retries = 0 }
]] .. CALL:gsub("%%", "%%%%") .. [[
  c:close()
  return result
end, function(ok, value)
  timer:stop()
  timer:close()
  local f = assert(io.open(OUT, "w"))
  f:write(string.format("%%s|%%s|%%d|%%.0f|%%.0f", tostring(ok), tostring(value), ticks, gap / 1e6,
    (loop.hrtime() - t0) / 1e6))
  f:close()
  vim.cmd("qall!")
end)
]]

describe("an async ads report in Neovim (headless)", function()
  local sim

  setup(function()
    host.need_luajit_build()
    sim = H.start {}
  end)
  teardown(function() if sim then sim:stop() end end)

  it("polls and downloads three reports in pinanalytics.async while a 50 ms timer keeps ticking", function()
    local want = expected(sim, "uv")
    sim:configure { ads_report_polls = 2 }
    local dir = host.capture("mktemp -d /tmp/pa-nvim-XXXXXX"):gsub("%s+$", "")
    local out = dir .. "/result"
    host.write_file(dir .. "/script.lua", string.format(SCRIPT, host.LUA_PATH, host.LUAJIT_CPATH,
      sim.pinterest_url, H.TOKEN, ACCT, H.day(-400), H.day(-1), out))
    local log = host.capture(X.plain("cd " .. host.sh_quote(dir) .. " && env -u LUA_PATH -u LUA_CPATH HOME=" ..
      host.sh_quote(dir) .. " timeout 60 nvim --headless -u NONE -i NONE -n -c " ..
      host.sh_quote("luafile " .. dir .. "/script.lua") .. " 2>&1 </dev/null"))
    local result = host.read_file(out)
    os.execute("rm -rf " .. host.sh_quote(dir))
    assert(result, "nvim wrote no result; it printed: " .. log)
    local ok, value, ticks, gap, took = result:match("^(%a+)|(.*)|(%d+)|(%d+)|(%d+)$")
    assert.equal("true", ok, value)
    assert.equal(want, value)
    took, ticks, gap = tonumber(took), tonumber(ticks), tonumber(gap)
    assert.is_true(took >= 2300, "took " .. took .. " ms")
    assert.is_true(ticks >= 35, "ticks " .. ticks)
    assert.is_true(gap < MAX_GAP_MS, "largest gap " .. gap .. " ms")
  end)
end)
