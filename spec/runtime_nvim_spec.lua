-- The "uv" runtime inside Neovim (Debian's neovim, headless): a fetch in
-- pinanalytics.async does not freeze the editor. The script runs in nvim's
-- LuaJIT with the project's LuaJIT build (build/luajit).
local H = require "helpers.sim"
local host = require "helpers.host"
local X = require "helpers.child"

local PIN = "555000111"

local SCRIPT = [[
package.path = %q .. ";" .. package.path
package.cpath = %q .. ";" .. package.cpath
local URL, TOKEN, D1, D2, PIN, OUT = %q, %q, %q, %q, %q, %q
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
  local c = pa.pinterest { token = TOKEN, base_url = URL, runtime = "uv", retries = 2 }
  local res, err = c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
  c:close()
  if not res then return "error " .. tostring(err) end
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

  local function run_nvim()
    local dir = host.capture("mktemp -d /tmp/pa-nvim-XXXXXX"):gsub("%s+$", "")
    local out = dir .. "/result"
    host.write_file(dir .. "/script.lua", string.format(SCRIPT, host.LUA_PATH, host.LUAJIT_CPATH, sim.pinterest_url,
      H.TOKEN, H.day(-10), H.day(-1), PIN, out))
    local log = host.capture(X.plain("cd " .. host.sh_quote(dir) .. " && env -u LUA_PATH -u LUA_CPATH HOME=" ..
      host.sh_quote(dir) .. " timeout 30 nvim --headless -u NONE -i NONE -n -c " ..
      host.sh_quote("luafile " .. dir .. "/script.lua") .. " 2>&1 </dev/null"))
    local result = host.read_file(out)
    os.execute("rm -rf " .. host.sh_quote(dir))
    assert(result, "nvim wrote no result; it printed: " .. log)
    local ok, value, ticks, gap, took = result:match("^(%a+)|(.*)|(%d+)|(%d+)|(%d+)$")
    return ok, value, tonumber(ticks), tonumber(gap), tonumber(took)
  end

  it("a fetch at 1 s latency succeeds while a 50 ms timer keeps ticking (no gap over 150 ms)", function()
    sim:configure { latency_ms = 1000 }
    local ok, value, ticks, gap, took = run_nvim()
    assert.equal("true", ok, value)
    assert.equal(expected .. " fetched", value)
    assert.is_true(took >= 950, "took " .. took .. " ms")
    assert.is_true(ticks >= 15, "ticks " .. ticks)
    assert.is_true(gap < 150, "largest gap " .. gap .. " ms")
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
    assert.is_true(gap < 150, "largest gap " .. gap .. " ms")
  end)
end)
