-- Exercises the C core's paths for `make memcheck` (valgrind): decoding,
-- sessions, requests against the simulator, transport failures, close/gc.
local core = require "pinanalytics.core"
local pa = require "pinanalytics"

local function decode_cases()
  local cases = {
    '{"a":240,"b":1.5,"c":1.0,"d":2e3,"e":729090764583391194,"f":"x","g":null,"h":[1,2.0,[3]]}',
    "240", "1.0", '"s"', "[", "{\"a\":", "<html>", string.rep("[", 70) .. string.rep("]", 70),
    '{"a":"\\u0000pa:f:1","b":1.0}', "[" .. string.rep("1.0,", 5000) .. "1]",
  }
  local day = '{"date":"2026-11-01","data_status":"READY","metrics":{"IMPRESSION":240,"SAVE_RATE":0,"SAVE":2.5}}'
  local shaped = {
    '{"all":{"daily_metrics":[' .. day .. ',' .. day .. '],"summary_metrics":{"IMPRESSION":480}}}',
    '{"all":{"daily_metrics":[' .. day .. '],"extra":1}}', '{"all":{"summary_metrics":{"A":12345678901234567}}}',
    '{"all":{"daily_metrics":{"x":1}}}', '{"all":{"daily_metrics":[[1]]}}', '[1]', '{"all":', "7",
  }
  for _ = 1, 20 do
    for _, c in ipairs(cases) do core.decode(c) end
    for _, c in ipairs(shaped) do
      core.decode(c, "analytics")
      core.decode('{"1":' .. c .. '}', "pins_analytics")
    end
  end
end

local function sessions(url)
  for i = 1, 20 do
    local s = core.session { base_url = url, token = "t" .. i, timeout = 5 }
    s:request("GET", "/pins/1/analytics?start_date=" .. pa.dates.add_days(pa.dates.today(), -3) ..
      "&end_date=" .. pa.dates.today() .. "&metric_types=IMPRESSION,SAVE_RATE", nil, nil, i % 3 == 0 and "analytics" or nil)
    s:set_token("other")
    s:request("GET", "/pins/1/analytics")
    s:request("POST", "/nothing", "a=b", { "Content-Type: application/x-www-form-urlencoded" })
    if i % 2 == 0 then s:close() end
  end
  local s = core.session { base_url = url, token = "t", max_body = 10 }
  s:request("GET", "/pins/1/analytics")
  s:close()
  s:close()
  local dead = core.session { base_url = "http://127.0.0.1:1", timeout = 2 }
  dead:request("GET", "/x")
  collectgarbage()
  collectgarbage()
end

local function batches(url)
  local today = pa.dates.today()
  for round = 1, 3 do
    local b = core.batch { base_url = url, token = "t", concurrency = 4, timeout = 5 }
    for i = 1, 4 do
      b:add(i, "GET", "/pins/" .. i .. "/analytics?start_date=" .. today .. "&end_date=" .. today ..
        "&metric_types=SAVE", nil, i % 2 == 0 and { "X-Extra: " .. i } or nil, i % 3 == 0 and "analytics" or nil)
    end
    b:set_token("other") -- while requests are in flight
    if round < 3 then
      while b:inflight() > 0 do b:step(20) end
    end
    b:close() -- the last round closes with requests in flight
  end
end

-- input that is wrong, changes under the reader, or outlives its frame
local function hostile_frames()
  local function day(date, metrics) return { date = date, data_status = "READY", metrics = metrics } end
  local ok_days = { day("2026-10-01", { SAVE = 1, [1] = 5 }), day("2026-10-02", { SAVE = 2, IMPRESSION = 4 }) }
  local moving = setmetatable({ metrics = { SAVE = 1 } }, { __index = function() return "2099-01-01" end })
  local raising = setmetatable({ metrics = {} }, { __index = function() error("no") end })
  local many = {}
  for i = 1, 300 do many[i] = day(pa.dates.add_days("1990-01-01", i), { ["m" .. i] = i }) end
  local cases = {
    { { daily = ok_days, metric = 1, name = "x" } }, { { daily = ok_days, prefix = {} } },
    { { daily = { ok_days[1], moving } } }, { { daily = { ok_days[1], raising } } },
    { { daily = { io.stdout } } }, { { daily = { day("2026-10-01", { SAVE = math.huge }) } } },
    { { daily = many }, { daily = many, prefix = "p/" } }, -- sparse: 300 dates x 600 series
    { { daily = { ok_days[1], nil, ok_days[2] } } }, 5, { 5 },
  }
  for _ = 1, 3 do
    for _, c in ipairs(cases) do pcall(core.frame, c) end
  end
  local sort = table.sort
  table.sort = function(t) for i = 1, #t do t[i] = nil end end -- luacheck: ignore
  local f = core.frame({ { daily = ok_days, prefix = "a/" }, { daily = { day("2026-10-03", { ["x\0y"] = 1 }) } } })
  local g = f:merge(core.frame({ { daily = ok_days, metric = "SAVE", name = string.rep("n", 300) } }))
  table.sort = sort -- luacheck: ignore
  tostring(g)
  pcall(f.merge, f, core.frame({ { daily = { day("2026-10-02", { SAVE = 9 }) }, prefix = "a/" } }))
  pcall(f.get, f, string.rep("9", 5000), "a/SAVE")
  pcall(f.slice, f, setmetatable({}, { __index = function() return "2026-10-01" end }))
  f:sum("a/SAVE", setmetatable({}, { __index = function() return true end }))
  -- a frame handed back by another finalizer after its own __gc (5.2+)
  local revived
  do
    local holder = setmetatable({}, { __gc = function(h) revived = h end })
    holder.f = core.frame({ { daily = ok_days } })
  end
  collectgarbage()
  collectgarbage()
  if revived then
    for _, use in ipairs({ "dates", "to_table", "rows", "resample", "to_csv", "to_string", "labels", "partial" }) do
      pcall(revived.f[use], revived.f, "week")
    end
    pcall(revived.f.top, revived.f, 3, "SAVE")
    pcall(tostring, revived.f)
    pcall(f.merge, f, revived.f)
  end
end

local function frames()
  local data = require "pinanalytics.simulator.data"
  local q = { start_date = "2026-09-01", end_date = "2026-10-20", metric_types = { "IMPRESSION", "SAVE", "SAVE_RATE" } }
  local results = {}
  for i = 1, 20 do results[tostring(i)] = data.pin_analytics(tostring(i), q, "2026-10-21") end
  for _ = 1, 3 do
    local f = pa.frame(results)
    local w = f:resample("week")
    local m = f:resample("month")
    tostring(w)
    f:slice("2026-09-10", "2026-09-20"):to_table()
    pa.frame(results, { metric = "SAVE" }):merge(pa.frame(results, { metric = "SAVE" }))
    for _ in f:rows() do end
    pcall(f.get, f, "nope", "SAVE")
    pcall(f.sum, pa.frame { daily_metrics = { { date = "2026-10-01", metrics = { SAVE_RATE = 1 } } } }, "SAVE_RATE")
    pcall(pa.frame, { daily_metrics = { { date = "2026-02-30", metrics = {} } } })
    m:sum("1/SAVE_RATE")
    -- the reporting methods: rankings, CSV, text, labels, derived rates
    f:top(5, "IMPRESSION")
    f:top(5, "SAVE_RATE", { order = "asc", ready_only = true })
    f:top(5, "1/SAVE")
    pa.frame(results, { metric = "SAVE" }):top(3)
    pcall(f.top, f, 3, "NOPE")
    pcall(f.top, f, -1, "SAVE")
    f:to_csv()
    w:to_csv { status = false }
    f:to_csv { shape = "long" }
    m:to_csv { shape = "long", status = false }
    pa.frame(results, { metric = "SAVE" }):to_csv { shape = "long", metric = "SAVE" }
    pcall(f.to_csv, f, { shape = "tall" })
    pcall(f.to_csv, f, { shape = "long", metric = true })
    pcall(f.to_csv, f, { metric = "SAVE" })
    f:to_string { max_rows = 4, max_series = 3 }
    tostring(m)
    w:labels()
    w:partial()
    m:partial(m:labels()[1])
    pcall(w.get, w, "2026-W99", "1/SAVE")
    pcall(w.merge, w, f)
    pcall(w.resample, w, "month")
    f:sum("2/SAVE_RATE")
    pcall(f.sum, f, "2/OUTBOUND_CLICK_RATE")
    f:column("3/SAVE_RATE")
  end
  hostile_frames()
end

-- Hostile answers (raw bytes), large bodies and refused input.
local function hostile(sim)
  local ok_head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
  local answers = {
    ok_head .. string.rep("X-Fill: " .. string.rep("a", 1000) .. "\r\n", 300) .. "\r\n{}",
    "HTTP/1.1 200 OK\r\nX-Endless: " .. string.rep("a", 200000),
    ok_head .. string.rep("N", 300) .. ": v\r\nX-F: a\r\n  b\r\n\tc\r\n" .. string.rep("X-R: 1\r\n", 2000) ..
      " \r\nX-G: 1\r\n\r\n{}",
    "HTTP/1.1 100 Continue\r\nX-E: 1\r\n\r\n" .. ok_head .. "\r\n{}",
    "HTTP/1.1 99999 OK\r\nContent-Length: 2\r\n\r\n{}",
    ok_head .. "X-Nul: a\0b\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n" .. string.rep("x", 2000000),
  }
  for i, a in ipairs(answers) do
    sim:configure { override = { ["/v5/x"] = { raw = a } } }
    local s = core.session { base_url = sim.url, timeout = 5, max_body = i == 7 and 1000 or 4000000 }
    s:request("GET", "/v5/x")
    s:request("HEAD", "/v5/x")
    s:close()
    local b = core.batch { base_url = sim.url, timeout = 5, concurrency = 2 }
    b:add(i, "GET", "/v5/x", nil, { "X-A: 1" })
    while b:inflight() > 0 do b:step(20) end
    b:close()
  end
  sim:configure { override = {} }
  local s = core.session { base_url = sim.url, token = "t" }
  local b = core.batch { base_url = sim.url, token = "t", concurrency = 1 }
  for _, f in ipairs({
    function() s:request("GET", "@x") end,
    function() s:request("GET /", "/x") end,
    function() s:request("GET", "/x", nil, { "X: 1", "Y: \r\n" }) end,
    function() s:request("GET", "/x?" .. string.rep("q", 9000000)) end,
    function() s:set_token("a\r\nb") end,
    function() b:add(1.5, "GET", "/x") end,
    function() b:add(1, "GET", "/x", nil, { "X: 1", "Y:\0" }) end,
    function() b:set_token("a b") end,
    function() b:step(0 / 0) end,
    function() core.session { base_url = "http://example.com" } end,
    function() core.session { base_url = "http://u:p@127.0.0.1" } end,
    function() core.session { base_url = sim.url, timeout = 0 / 0 } end,
    function() core.session { base_url = sim.url, nope = 1 } end,
    function() core.batch { base_url = sim.url, concurrency = 1.5 } end,
    function() core.sleep(0 / 0) end,
  }) do
    assert(not pcall(f))
  end
  s:close()
  b:close()
end

-- Finalizers that close or use a handle while it builds its results: the
-- close waits, the use is refused, and the handle is released once.
local function finalizers(sim)
  if _VERSION ~= "Lua 5.4" then return end
  local lines = { "HTTP/1.1 200 OK", "Content-Length: 2" }
  for i = 1, 2000 do lines[#lines + 1] = "X-H" .. i .. ": " .. string.rep("v", 30) end
  sim:configure { override = { ["/v5/x"] = { raw = table.concat(lines, "\r\n") .. "\r\n\r\n{}" } } }
  for round = 1, 4 do
    local s = core.session { base_url = sim.url, timeout = 5 }
    local b = core.batch { base_url = sim.url, timeout = 5, concurrency = 1 }
    b:add(1, "GET", "/v5/x")
    local stop, n = false, 0
    local mt = {}
    mt.__gc = function()
      if stop then return end
      n = n + 1
      pcall(s.request, s, "GET", "/v5/x")
      pcall(b.add, b, 2, "GET", "/v5/x")
      if n == 3 * round then s:close(); b:close() end
      setmetatable({}, mt)
    end
    collectgarbage()
    collectgarbage("generational", 1, 1000)
    collectgarbage("step", 0)
    setmetatable({}, mt)
    for _ = 1, 3 do
      if not s:is_closed() then s:request("GET", "/v5/x") end
    end
    while not b:is_closed() and b:inflight() > 0 do b:step(20) end
    stop = true
    collectgarbage("incremental")
    s:close()
    b:close()
  end
  sim:configure { override = {} }
end

-- The file-system calls of a credentials file: stat, mkdir, a durable
-- write, a folder sync and locks, their refusals and failures.
local function files()
  local h = assert(io.popen("mktemp -d /tmp/pa-memcheck-fs.XXXXXX"))
  local dir = h:read("*l")
  h:close()
  assert(core.fs_mkdir(dir .. "/d", 448))
  assert(not core.fs_mkdir(dir .. "/d", 448)) -- there already: nil, message, errno
  assert(core.fs_stat(dir .. "/d").type == "directory")
  assert(not core.fs_stat(dir .. "/none"))
  local tmp = assert(core.fs_write_temp(dir .. "/d/creds.json.tmp-", string.rep("{}", 5000)))
  assert(os.rename(tmp, dir .. "/d/creds.json"))
  assert(core.fs_fsync_dir(dir .. "/d"))
  assert(not core.fs_write_temp(dir .. "/none/x.tmp-", "x"))
  assert(not core.fs_fsync_dir(dir .. "/none"))
  local a = assert(core.fs_lock(dir .. "/d/lock"))
  local b = assert(core.fs_lock(dir .. "/d/lock"))
  assert(a:try() == true and b:try() == false and a:held() and not b:held())
  a:unlock()
  assert(b:try() == true)
  tostring(b)
  b:close()
  b:close()
  assert(not pcall(b.try, b))
  assert(not core.fs_lock(dir .. "/none/lock"))
  for _, f in ipairs({
    function() core.fs_stat("") end,
    function() core.fs_stat("a\0b") end,
    function() core.fs_mkdir(dir .. "/e", 0 / 0) end,
    function() core.fs_mkdir(dir .. "/e", 4096) end,
    function() core.fs_write_temp(dir .. "/x", {}) end,
    function() core.fs_lock(string.rep("p", 5000)) end,
  }) do
    assert(not pcall(f))
  end
  collectgarbage() -- a, unlocked but open: closed by its __gc
  os.execute("rm -rf '" .. dir .. "'")
end

decode_cases()
frames()
files()
local sim = require("pinanalytics.simulator").start {}
local ok, err = pcall(function()
  sessions(sim.pinterest_url)
  batches(sim.pinterest_url)
  hostile(sim)
  finalizers(sim)
end)
sim:stop()
assert(ok, err)
collectgarbage()
collectgarbage()
print("memcheck workload done")
-- Leave without lua_close(): it would dlclose() the module and libcurl's
-- dependencies, and valgrind could no longer name what they hold. Every
-- session above was closed or collected, so a leak of ours still shows.
os.exit(0, false)
