-- The runtime examples run as the README and docs/runtimes.md say: examples/openresty/try.lua
-- (the example nginx.conf against the simulator) and examples/neovim.lua
-- (headless Neovim, the simulator started from inside the editor).
local host = require "helpers.host"
local X = require "helpers.child"

local function run(cmd)
  -- neither loads the ASan build: both start without the sanitizer runtime
  return host.capture(X.plain("cd " .. host.sh_quote(host.ROOT) .. " && " .. cmd .. " 2>&1"))
end

describe("runtime examples", function()
  setup(function() host.need_luajit_build() end)

  it("examples/openresty/try.lua: two pins at once on the example's nginx.conf, /health answered meanwhile", function()
    -- as the guides say it: no LUA_PATH or LUA_CPATH (the script finds the
    -- clone from its own path), and port 8089 held by another program
    local holder = io.popen("exec timeout 60 lua5.4 -e " .. host.sh_quote([[
      local uv = require "luv"
      local s = uv.new_tcp()
      if not s:bind("127.0.0.1", 8089) or not s:listen(8) then os.exit(0) end
      io.stdout:write("held ", uv.os_getpid(), "\n") io.stdout:flush()
      uv.run()]]) .. " 2>/dev/null")
    local held = holder:read("*l")
    local out = run("env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 timeout 60 " ..
      "lua5.4 examples/openresty/try.lua")
    local pid = held and held:match("^held (%d+)$")
    if pid then os.execute("kill " .. pid) end
    holder:close()
    assert.is_truthy(pid or held == nil, out) -- nil: 8089 was already taken
    local pins = 0
    -- each answer is a JSON line, then " [code in seconds s]" on the next
    for json, code, secs in out:gmatch('\n?({[^\n]*})\n? %[(%d+) in ([%d.]+) s%]') do
      local pin = json:match('"pin_id":"(%d+)"')
      pins = pins + 1
      assert.equal("200", code, out)
      assert.is_true(tonumber(secs) >= 0.95, out) -- the simulator answers after 1 s
      assert.truthy(pin:match("^81374422642079588[45]$"))
      local r = require("pinanalytics.dates").last(30)
      local want = require("pinanalytics.simulator.data").pin_analytics(pin, { start_date = r.start_date,
        end_date = r.end_date, metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" } },
        require("pinanalytics.dates").today())
      assert.equal(want.all.summary_metrics.IMPRESSION, tonumber(json:match('"IMPRESSION":(%d+)')), out)
    end
    assert.equal(2, pins, out)
    local health = tonumber(out:match("^ok%s*%[200 in ([%d.]+) s%]"))
    assert.is_truthy(health, out)
    assert.is_true(health < 0.1, out) -- one worker: it served /health while both pins waited
  end)

  it("examples/neovim.lua: headless, it fetches from the simulator and prints the 30 days", function()
    -- Neovim finds the module on its runtimepath: lua/pinanalytics/core.so
    -- is the copy of the LuaJIT build that make build-luajit leaves there
    assert(io.open("lua/pinanalytics/core.so", "rb"), "lua/pinanalytics/core.so is missing: run make build-luajit"):close()
    local out = run("env -u LUA_PATH -u LUA_CPATH timeout 30 nvim --headless -u NONE -i NONE -n -c " ..
      "'luafile examples/neovim.lua' </dev/null")
    local start_date, end_date = out:match("pin 813744226420795884, (%d+%-%d+%-%d+) to (%d+%-%d+%-%d+)")
    assert.truthy(start_date, out)
    local dates = require "pinanalytics.dates"
    assert.equal(29, dates.parse(end_date) - dates.parse(start_date))
    for _, m in ipairs({ "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" }) do
      assert.truthy(out:match("\n  " .. m .. " +%d+"), m .. " missing in: " .. out)
    end
  end)
end)
