-- The "uv" runtime inside Neovim (Debian's neovim, headless): a fetch in
-- pinanalytics.async does not freeze the editor. The script runs in nvim's
-- LuaJIT with the project's LuaJIT build (build/luajit).
local H = require "helpers.sim"
local host = require "helpers.host"
local X = require "helpers.child"

-- The longest pause allowed between two ticks of the editor's 50 ms timer.
-- A wait that blocked the loop would stop it for the whole wait (1 s: the
-- latency, a Retry-After, a poll's backoff); 500 ms leaves room for a
-- machine busy with other specs, and still tells the two apart.
local MAX_GAP_MS = 500

local PIN = "555000111"

local SCRIPT = [[
package.path = %q .. ";" .. package.path
package.cpath = %q .. ";" .. package.cpath
local URL, TOKEN, D1, D2, PIN, OUT, RUNTIME = %q, %q, %q, %q, %q, %q, %s
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
local function finish(line)
  local f = assert(io.open(OUT, "w"))
  f:write(line)
  f:close()
  vim.cmd("qall!")
end
local t0 = loop.hrtime()
pa.async(function()
  local c = pa.pinterest { token = TOKEN, base_url = URL, runtime = RUNTIME, retries = 2 }
  local res, err = c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
  local name = c.rt.name
  c:close()
  if not res then return "error " .. tostring(err) end
  if name ~= "uv" then return "runtime " .. name end
  -- back from a wait, the task runs where the whole editor API may be
  -- called (nvim_buf_set_lines is refused in a fast loop callback)
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { "fetched" })
  return res.all.summary_metrics.IMPRESSION .. " " .. vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
end, function(ok, value)
  timer:stop()
  timer:close()
  finish(string.format("%%s|%%s|%%d|%%.0f|%%.0f", tostring(ok), tostring(value), ticks, gap / 1e6,
    (loop.hrtime() - t0) / 1e6))
end)
]]

-- A call outside pa.async: it blocks (there is no task to yield), and answers.
local OUTSIDE = [[
package.path = %q .. ";" .. package.path
package.cpath = %q .. ";" .. package.cpath
local URL, TOKEN, D1, D2, PIN, OUT, RUNTIME = %q, %q, %q, %q, %q, %q, %s
local pa = require "pinanalytics"

local c = pa.pinterest { token = TOKEN, base_url = URL, runtime = RUNTIME, retries = 2 }
local p = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
local ok, value = pcall(function()
  local res = assert(c:pin_analytics(PIN, p))
  local many, errs = c:pins_analytics({ PIN, "555000112" }, p)
  if next(errs) then error(tostring(select(2, next(errs)))) end
  local n = 0
  for _ in pairs(many) do n = n + 1 end
  return c.rt.name .. " " .. res.all.summary_metrics.IMPRESSION .. " " .. many[PIN].all.summary_metrics.IMPRESSION ..
    " " .. n
end)
c:close()
local f = assert(io.open(OUT, "w"))
f:write(string.format("%%s|%%s|0|0|0", tostring(ok), tostring(value)))
f:close()
vim.cmd("qall!")
]]

-- Five tasks use one client (runtime "uv") at once.
local MANY = [[
package.path = %q .. ";" .. package.path
package.cpath = %q .. ";" .. package.cpath
local URL, TOKEN, D1, D2, PIN, OUT, RUNTIME = %q, %q, %q, %q, %q, %q, %s
local pa = require "pinanalytics"
local c = pa.pinterest { token = TOKEN, base_url = URL, runtime = RUNTIME, retries = 2 }
local p = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
local got, left = {}, 5
for i = 0, 4 do
  local id = tostring(tonumber(PIN) + i)
  pa.async(function()
    local res = assert(c:pin_analytics(id, p))
    return res.all.summary_metrics.IMPRESSION
  end, function(ok, v)
    got[i + 1] = ok and tostring(v) or ("error " .. tostring(v))
    left = left - 1
    if left == 0 then
      c:close()
      local f = assert(io.open(OUT, "w"))
      f:write(string.format("true|%%s|0|0|0", table.concat(got, ",")))
      f:close()
      vim.cmd("qall!")
    end
  end)
end
]]

describe("runtime uv in Neovim (headless)", function()
  local sim, expected

  setup(function()
    host.need_luajit_build()
    sim = H.start {}
    local c = H.client(sim)
    local res = assert(c:pin_analytics(PIN, { start_date = H.day(-10), end_date = H.day(-1),
      metric_types = { "IMPRESSION" } }))
    expected = res.all.summary_metrics.IMPRESSION
    c:close()
  end)
  teardown(function() if sim then sim:stop() end end)

  -- runtime: the client's option, as Lua source ("nil": none)
  local function run_nvim(runtime, script)
    local dir = host.capture("mktemp -d /tmp/pa-nvim-XXXXXX"):gsub("%s+$", "")
    local out = dir .. "/result"
    host.write_file(dir .. "/script.lua", string.format(script or SCRIPT, host.LUA_PATH, host.LUAJIT_CPATH,
      sim.pinterest_url, H.TOKEN, H.day(-10), H.day(-1), PIN, out, runtime or '"uv"'))
    local log = host.capture(X.plain("cd " .. host.sh_quote(dir) .. " && env -u LUA_PATH -u LUA_CPATH HOME=" ..
      host.sh_quote(dir) .. " timeout 30 nvim --headless -u NONE -i NONE -n -c " ..
      host.sh_quote("luafile " .. dir .. "/script.lua") .. " 2>&1 </dev/null"))
    local result = host.read_file(out)
    os.execute("rm -rf " .. host.sh_quote(dir))
    assert(result, "nvim wrote no result; it printed: " .. log)
    local ok, value, ticks, gap, took = result:match("^(%a+)|(.*)|(%d+)|(%d+)|(%d+)$")
    return ok, value, tonumber(ticks), tonumber(gap), tonumber(took)
  end

  it("a fetch at 1 s latency succeeds while a 50 ms timer keeps ticking (no gap near the latency)", function()
    sim:configure { latency_ms = 1000 }
    local ok, value, ticks, gap, took = run_nvim()
    assert.equal("true", ok, value)
    assert.equal(expected .. " fetched", value)
    assert.is_true(took >= 950, "took " .. took .. " ms")
    assert.is_true(ticks >= 15, "ticks " .. ticks)
    assert.is_true(gap < MAX_GAP_MS, "largest gap " .. gap .. " ms")
  end)

  it("a client made without a runtime option is on the editor's loop: the timer keeps ticking", function()
    sim:configure { latency_ms = 1000 }
    local ok, value, ticks, gap, took = run_nvim("nil")
    sim:configure { latency_ms = 0 }
    assert.equal("true", ok, value)
    assert.equal(expected .. " fetched", value)
    assert.is_true(took >= 950, "took " .. took .. " ms")
    assert.is_true(ticks >= 15, "ticks " .. ticks)
    assert.is_true(gap < MAX_GAP_MS, "largest gap " .. gap .. " ms")
  end)

  it("outside pa.async, a call blocks and answers (a single request, and pins_analytics)", function()
    sim:configure { latency_ms = 200 }
    local ok, value = run_nvim("nil", OUTSIDE)
    sim:configure { latency_ms = 0 }
    assert.equal("true", ok, value)
    assert.equal("uv " .. expected .. " " .. expected .. " 2", value)
  end)

  it("five tasks that use one client at once each get their own pin's answer", function()
    local c = H.client(sim)
    local want = {}
    for i = 0, 4 do
      local res = assert(c:pin_analytics(tostring(tonumber(PIN) + i), { start_date = H.day(-10),
        end_date = H.day(-1), metric_types = { "IMPRESSION" } }))
      want[i + 1] = tostring(res.all.summary_metrics.IMPRESSION)
    end
    c:close()
    sim:configure { latency_ms = 300 }
    local ok, value = run_nvim(nil, MANY)
    sim:configure { latency_ms = 0 }
    assert.equal("true", ok, value)
    assert.equal(table.concat(want, ","), value)
  end)

  it("a 503 with Retry-After: 1 is waited out on the loop too", function()
    sim:configure { latency_ms = 200, override = { ["/v5/pins/" .. PIN .. "/analytics"] = {
      status = 503, body = '{"code": 1, "message": "busy"}', headers = { ["Retry-After"] = "1" }, times = 1 } } }
    local ok, value, ticks, gap, took = run_nvim()
    sim:configure { latency_ms = 0 }
    assert.equal("true", ok, value)
    assert.equal(expected .. " fetched", value)
    assert.is_true(took >= 1350, "took " .. took .. " ms")
    assert.is_true(ticks >= 20, "ticks " .. ticks)
    assert.is_true(gap < MAX_GAP_MS, "largest gap " .. gap .. " ms")
  end)
end)
