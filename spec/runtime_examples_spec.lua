-- The runtime examples run as the README says: examples/openresty/try.lua
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
    local out = run("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/lua5.4/?.so;;' timeout 60 " ..
      "lua5.4 examples/openresty/try.lua")
    local pins = 0
    -- each answer is a JSON line, then " [code in seconds s]" on the next
    for json, code, secs in out:gmatch('\n?({[^\n]*})\n? %[(%d+) in ([%d.]+) s%]') do
      local pin = json:match('"pin_id":"(%d+)"')
      pins = pins + 1
      assert.equal("200", code, out)
      assert.is_true(tonumber(secs) >= 0.95, out) -- the simulator answers after 1 s
      assert.truthy(pin:match("^81374422642079588[45]$"))
    end
    assert.equal(2, pins, out)
    assert.equal(2, select(2, out:gsub('"runtime":"ngx"', "")), out)
    local health = tonumber(out:match("^ok%s*%[200 in ([%d.]+) s%]"))
    assert.is_truthy(health, out)
    assert.is_true(health < 0.1, out)
  end)

  it("examples/neovim.lua: headless, it fetches from the simulator and prints the 30 days", function()
    local out = run("env -u LUA_PATH -u LUA_CPATH timeout 60 nvim --headless -u NONE -i NONE -n -c " ..
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
