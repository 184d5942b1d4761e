-- The simulator works wherever its user is: from a clone in a private
-- folder (as root, whose nginx workers would otherwise run as another user),
-- with another Lua's package paths in the environment, and it never outlives
-- the process that started it, however that process ends. When it fails
-- because of itself, its answer says why.
local H = require "helpers.sim"
local R = require "helpers.runtime"
local X = require "helpers.child"
local core = require "pinanalytics.core"

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function run(cmd)
  local ok, how, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end
  return ok == true and how == "exit" and code == 0
end

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

local function exists(path)
  return run("test -e " .. sh_quote(path))
end

local function sleep(s) os.execute("sleep " .. s) end

-- Polls cond() for up to `seconds`; returns its last value.
local function eventually(seconds, cond)
  for _ = 1, seconds * 10 do
    if cond() then return true end
    sleep(0.1)
  end
  return cond()
end

local CWD = (capture("pwd"):gsub("%s+$", ""))
local LUA = R.exe()

local BUILD = CWD .. "/" .. R.BUILD -- this runtime's build of the C module

-- Runs `source` in a new interpreter with the given environment assignments
-- ("NAME=value" strings, quoted here); returns what it printed (stdout and
-- stderr) and whether it exited 0.
local function child(source, env, args)
  local script = os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(source)
  f:close()
  local assigns = {}
  for _, kv in ipairs(env) do
    local k, v = kv:match("^([%w_]+)=(.*)$")
    assigns[#assigns + 1] = k .. "=" .. sh_quote(v)
  end
  local out, code = R.run("env " .. table.concat(assigns, " ") .. " " .. sh_quote(LUA) .. " " ..
    sh_quote(script) .. " " .. (args or "") .. " 2>&1")
  os.remove(script)
  return out, code == 0
end

local function paths(lua_dir, build_dir)
  return lua_dir .. "/?.lua;" .. lua_dir .. "/?/init.lua;;", build_dir .. "/?.so;;"
end

-- A child that starts a simulator, asks it several things (each must be a
-- 200, a configured 404 must come through, its request log must fill) and
-- prints "answers:" with the statuses, then the simulator's error log when
-- something was not as it should be.
local ASK = [[
  local simulator = require "pinanalytics.simulator"
  local core = require "pinanalytics.core"
  local sim = simulator.start { token = "tok", today = "2026-11-23" }
  local s = core.session { base_url = sim.url, timeout = 10 }
  local auth = { "Authorization: Bearer tok" }
  local got = {}
  local function ask(target, headers)
    local status = s:request("GET", target, nil, headers)
    got[#got + 1] = tostring(status)
  end
  local q = "?start_date=2026-11-01&end_date=2026-11-20&metric_types=IMPRESSION"
  ask("/v5/pins/123/analytics" .. q, auth)
  ask("/v5/user_account/analytics?start_date=2026-11-01&end_date=2026-11-20", auth)
  ask("/v5/user_account", auth)
  ask("/api/pinterest/overview?apiKey=sim-oneup-key&social_network_id=1&preset=last_7_days")
  sim:configure { missing_pins = { "123" } }
  ask("/v5/pins/123/analytics" .. q, auth)
  got[#got + 1] = tostring(#sim:requests())
  print("answers: " .. table.concat(got, " "))
  if got[1] ~= "200" then
    local f = io.open(sim.prefix .. "/logs/error.log")
    if f then print(f:read("*a")) f:close() end
  end
  s:close()
  sim:stop()
]]
local WANT = "answers: 200 200 200 200 404 5"

describe("simulator: where it runs", function()
  it("answers from a clone in a private (0700) folder", function()
    local dir = capture("mktemp -d"):gsub("%s+$", "")
    assert.is_true(run("chmod 0700 " .. sh_quote(dir) .. " && mkdir " .. sh_quote(dir .. "/clone") ..
      " && mkdir " .. sh_quote(dir .. "/clone/build") .. " && cp -R lua " .. sh_quote(dir .. "/clone/") ..
      " && cp -R " .. sh_quote(BUILD) .. " " .. sh_quote(dir .. "/clone/build/")))
    local lpath, cpath = paths(dir .. "/clone/lua", dir .. "/clone/" .. R.BUILD)
    local out, ok = child(ASK, { "LUA_PATH=" .. lpath, "LUA_CPATH=" .. cpath, "LUA_PATH_5_4=" .. lpath,
      "LUA_CPATH_5_4=" .. cpath })
    run("rm -rf " .. sh_quote(dir))
    assert.is_true(ok, out)
    assert.equal(WANT, out:match("answers: [^\n]*"), out)
  end)

  it("answers with another Lua's package paths in the environment (LuaRocks' 5.4 paths)", function()
    local lua = CWD .. "/lua"
    -- what `eval "$(luarocks --lua-version=5.4 path)"` sets, with this
    -- checkout first so that the child finds the module
    local lpath = lua .. "/?.lua;" .. lua .. "/?/init.lua;./?.lua;/usr/local/share/lua/5.4/?.lua;" ..
      "/usr/local/share/lua/5.4/?/init.lua;/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua"
    local cpath = BUILD .. "/?.so;./?.so;/usr/local/lib/lua/5.4/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;" ..
      "/usr/lib/lua/5.4/?.so;/usr/local/lib/lua/5.4/loadall.so"
    local env = {}
    for _, v in ipairs({ "", "_5_1", "_5_2", "_5_3", "_5_4" }) do
      env[#env + 1] = "LUA_PATH" .. v .. "=" .. lpath
      env[#env + 1] = "LUA_CPATH" .. v .. "=" .. cpath
    end
    -- the child itself searches this runtime's paths (on Lua 5.1 and LuaJIT,
    -- which read LUA_CPATH, a 5.4 module would not load); only the
    -- environment it hands on holds the 5.4 ones
    local own = string.format("package.path = %q\npackage.cpath = %q\n", package.path, BUILD .. "/?.so;" .. package.cpath)
    local out, ok = child(own .. ASK, env)
    assert.is_true(ok, out)
    assert.equal(WANT, out:match("answers: [^\n]*"), out)
  end)
end)

describe("simulator: a failure of its own", function()
  local KEY = "oneup-key-3f8a1c9e77"
  local sim
  setup(function() sim = H.start { crash = true, oneup_api_key = KEY } end)
  teardown(function() if sim then sim:stop() end end)

  it("answers 500 with the Lua error and the end of nginx's error log", function()
    local pin = H.client(sim)
    assert.is_nil(pin:get("/user_account"))
    local res, err = pin:pin_analytics("123", { start_date = H.day(-3), end_date = H.day(-1),
      metric_types = { "IMPRESSION" } })
    pin:close()
    assert.is_nil(res)
    assert.equal("server", err.kind)
    assert.equal(500, err.status)
    -- the Lua error, with where it happened
    assert.truthy(err.message:find("server.lua:%d+: crash = true"), err.message)
    -- where it was logged, and what that log held before it
    local log = sim.prefix .. "/logs/error.log"
    assert.truthy(err.message:find("this error is also in " .. log, 1, true), err.message)
    local lines = {}
    for line in H.read_file(log):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.truthy(lines[#lines]:find("crash = true", 1, true), lines[#lines])
    assert.truthy(lines[#lines]:find("GET /v5/pins/123/analytics", 1, true), lines[#lines])
    -- the request before this one crashed too: its line is the end the message shows
    assert.truthy(lines[#lines - 1], "a line before")
    assert.truthy(err.message:find(lines[#lines - 1], 1, true), err.message)
    H.assert_no_secret(err)
  end)

  it("keeps credentials out of that answer and out of the log", function()
    local s = core.session { base_url = sim.url, timeout = 10 }
    local status, _, body = s:request("GET", "/api/pinterest/overview?apiKey=" .. KEY ..
      "&social_network_id=1&preset=last_7_days", nil, { "Authorization: Bearer " .. H.TOKEN })
    s:close()
    assert.equal(500, status)
    assert.truthy(body.message:find("crash = true", 1, true), body.message)
    -- the request is named, its apiKey is not
    assert.truthy(body.message:find("GET /api/pinterest/overview", 1, true), body.message)
    assert.is_nil(body.message:find(KEY, 1, true))
    assert.is_nil(body.message:find(H.TOKEN, 1, true))
    local log = H.read_file(sim.prefix .. "/logs/error.log")
    assert.is_nil(log:find(KEY, 1, true))
    assert.is_nil(log:find(H.TOKEN, 1, true))
  end)

  it("scrubs credentials from the log lines it passes on", function()
    -- a line as nginx writes it, naming a request with its query string
    local f = assert(io.open(sim.prefix .. "/logs/error.log", "ab"))
    f:write('2026/11/30 12:00:00 [warn] 1#1: *9 something, client: 127.0.0.1, server: , request: ',
      '"GET /api/pinterest/posts?apiKey=', KEY, '&preset=last_7_days HTTP/1.1", Authorization: Bearer ', H.TOKEN, '\n')
    f:close()
    -- the answer itself, not a client's error (a client removes the secrets it knows)
    local s = core.session { base_url = sim.url, timeout = 10 }
    local status, _, body = s:request("GET", "/v5/user_account", nil, { "Authorization: Bearer " .. H.TOKEN })
    s:close()
    assert.equal(500, status)
    local msg = body.message
    assert.truthy(msg:find("something, client: 127.0.0.1", 1, true), msg)
    assert.truthy(msg:find("?apiKey=[REDACTED]&preset=last_7_days", 1, true), msg)
    assert.truthy(msg:find("Bearer [REDACTED]", 1, true), msg)
    assert.is_nil(msg:find(KEY, 1, true))
    assert.is_nil(msg:find(H.TOKEN, 1, true))
  end)

  it("answers as usual once crash is off again", function()
    sim:configure { crash = false }
    local pin = H.client(sim)
    local res = pin:pin_analytics("123", { start_date = H.day(-3), end_date = H.day(-1), metric_types = { "IMPRESSION" } })
    pin:close()
    assert.is_table(res)
    assert.equal(3, #res.all.daily_metrics)
    sim:configure { crash = true }
  end)
end)

---------------------------------------------------------------- its lifetime

local has_proc = exists("/proc/self/stat")

local function cmdline(pid)
  local f = io.open("/proc/" .. pid .. "/cmdline", "rb")
  if not f then return nil end
  local s = f:read("*a") or "" -- nothing when the process has just ended
  f:close()
  return (s:gsub("%z", " "))
end

-- Whether pid is a live process (not gone, not a zombie).
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "rb")
  if not f then return false end
  local s = f:read("*a") or ""
  f:close()
  local state = s:match("^.*%) (%a)")
  return state ~= nil and state ~= "Z" and state ~= "X"
end

-- Live processes whose command line names `prefix` (nginx's master and the
-- watchdog) or whose parent is `master` (nginx's workers).
local function processes(prefix, master)
  local out = {}
  for pid in capture("ls /proc"):gmatch("%d+") do
    if alive(pid) then
      local cl = cmdline(pid) or ""
      local f = io.open("/proc/" .. pid .. "/stat", "rb")
      local ppid = f and (f:read("*a") or ""):match("^.*%) %a (%d+)")
      if f then f:close() end
      if cl:find(prefix, 1, true) or (master and ppid == master) then out[#out + 1] = pid .. " " .. cl end
    end
  end
  return out
end

-- A child that starts a simulator, prints its pid, the prefix and nginx's
-- pid, waits for a line on a FIFO, then ends as told: "exit" (os.exit(1)) or
-- "error" (an uncaught error); killed, it never gets the line.
local ENDINGS = [[
  local simulator = require "pinanalytics.simulator"
  local how, fifo = arg[1], arg[2]
  local sim = simulator.start {}
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  f = assert(io.open(sim.prefix .. "/nginx.pid"))
  local nginx = f:read("*l")
  f:close()
  io.write("child ", pid, " ", sim.prefix, " ", nginx, "\n")
  io.stdout:flush()
  f = assert(io.open(fifo, "r"))
  f:read("*l")
  if how == "exit" then os.exit(1) end
  error("the script failed")
]]

describe("simulator: its lifetime", function()
  local run_it = has_proc and it or pending

  local function ending(how, signal)
    local fifo = os.tmpname()
    os.remove(fifo)
    assert.is_true(run("mkfifo " .. sh_quote(fifo)))
    local script = os.tmpname()
    local f = assert(io.open(script, "wb"))
    f:write(ENDINGS)
    f:close()
    local lpath, cpath = paths(CWD .. "/lua", BUILD)
    local p = assert(io.popen("env LUA_PATH=" .. sh_quote(lpath) .. " LUA_CPATH=" .. sh_quote(cpath) ..
      " LUA_PATH_5_4=" .. sh_quote(lpath) .. " LUA_CPATH_5_4=" .. sh_quote(cpath) .. " " ..
      X.bounded(120, sh_quote(LUA)) .. " " ..
      sh_quote(script) .. " " .. how .. " " .. sh_quote(fifo) .. " 2>/dev/null"))
    local line = p:read("*l") or ""
    local pid, prefix, master = line:match("^child (%d+) (%S+) (%d+)$")
    -- nginx's master has written its pid; its worker may still be starting
    local running = {}
    if master then eventually(5, function() running = processes(prefix, master); return #running >= 3 end) end
    if signal then
      if pid then run("kill -" .. signal .. " " .. pid) end
    else
      local w = assert(io.open(fifo, "w"))
      w:write("go\n")
      w:close()
    end
    p:read("*a")
    p:close()
    os.remove(script)
    os.remove(fifo)
    assert.truthy(pid, "the child said: " .. line)
    local gone = eventually(10, function()
      return #processes(prefix, master) == 0 and not exists(prefix)
    end)
    local left = table.concat(processes(prefix, master), "\n") .. (exists(prefix) and "\nand " .. prefix or "")
    if not gone then -- leave nothing behind, then fail
      run("kill -TERM " .. master .. " 2>/dev/null")
      eventually(5, function() return not alive(master) end)
      run("kill -KILL " .. master .. " 2>/dev/null; rm -rf " .. sh_quote(prefix))
    end
    -- while it ran, there were nginx's master, a worker and the watchdog
    assert.is_true(#running >= 3, table.concat(running, "\n"))
    assert.is_true(gone, "still there after the child ended:\n" .. left)
  end

  run_it("stops when the script ends with os.exit(1)", function() ending("exit") end)
  run_it("stops when the script ends with an uncaught error", function() ending("error") end)
  run_it("stops when the script is killed with SIGTERM", function() ending("wait", "TERM") end)
  run_it("stops when the script is killed with SIGKILL", function() ending("wait", "KILL") end)

  run_it("sim:stop() stops nginx and its watchdog and removes its folder", function()
    local sim = H.start()
    local master = H.read_file(sim.prefix .. "/nginx.pid"):match("%d+")
    local before = processes(sim.prefix, master)
    sim:stop()
    assert.is_true(#before >= 3, table.concat(before, "\n"))
    assert.is_false(exists(sim.prefix))
    assert.is_false(alive(master))
    -- the watchdog was killed: it is gone as soon as the kernel has reaped it
    assert.is_true(eventually(5, function() return #processes(sim.prefix, master) == 0 end),
      table.concat(processes(sim.prefix, master), "\n"))
  end)
end)
