-- The transport of the C core (core.session, core.batch, core.sleep) against
-- hostile input: from the caller (options, arguments) and from a server
-- (header blocks, status lines, sizes).
local core = require "pinanalytics.core"
local H = require "helpers.sim"
local X = require "helpers.child"

local SECRET = "tok-\r\nX-Injected: yes"

-- f must raise; the message contains every `want` (plain text) and never
-- the secret.
local function refuses(f, want, secret)
  local ok, err = pcall(f)
  assert.is_false(ok, "did not raise")
  err = tostring(err)
  for _, w in ipairs(type(want) == "table" and want or { want }) do
    assert.truthy(err:find(w, 1, true), "expected '" .. w .. "' in: " .. err)
  end
  if secret then assert.falsy(err:find(secret, 1, true), "the message echoes the value: " .. err) end
  return err
end

describe("core.session and core.batch options", function()
  local function both(f)
    f(function(o) return core.session(o) end, "pinanalytics.core.session")
    f(function(o)
      if getmetatable(o) == nil and o.concurrency == nil then o.concurrency = 2 end
      return core.batch(o)
    end, "pinanalytics.core.batch")
  end

  it("refuse CR, LF, NUL and other control characters in what becomes a header", function()
    both(function(new, fn)
      local base = "http://127.0.0.1:1"
      for _, bad in ipairs({ SECRET, "tok\nX: y", "tok\rX", "tok\0x", "tok en", "tok\tx", "tok\127" }) do
        refuses(function() new { base_url = base, token = bad } end, { fn .. ": ", "option 'token'" }, bad)
      end
      for _, bad in ipairs({ "ua\r\nX-Injected: yes", "ua\0", "ua\n" }) do
        refuses(function() new { base_url = base, user_agent = bad } end, { fn .. ": ", "option 'user_agent'" }, bad)
      end
      refuses(function() new { base_url = base, username = "id\0x" } end, "option 'username'", "id\0x")
      refuses(function() new { base_url = base, username = "id:x" } end, "option 'username'", "id:x")
      refuses(function() new { base_url = base, username = "id", password = "pw\0x" } end, "option 'password'",
        "pw\0x")
      refuses(function() new { base_url = base, ca_file = "/etc/ssl\0/x" } end, "option 'ca_file'")
      -- what is allowed still is
      new { base_url = base, token = "ok-Token_1.2~3+4/5=", user_agent = "app/1.0 (Lua)",
        username = "id", password = "a b:c\r\n" }:close()
    end)
  end)

  it("refuse a base_url that is not http(s)://host[:port][/path]", function()
    both(function(new, fn)
      for _, bad in ipairs({ "ftp://127.0.0.1/", "127.0.0.1", "http:/127.0.0.1", "https://", "http://:80",
        "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:8a", "http://127.0.0.1:",
        "http://127.0.0.1/x?y=1", "http://127.0.0.1/x#f", "http://127.0.0.1/a b", "http://127.0.0.1/\r\nX: y",
        "http://127.0.0.1\0.evil.com", "http://127.0.0.1\\@evil.com", "http://[::1", "http://[fe80::1%25eth0]/",
        "http://exa mple.com", "http://example.com%2f@x" }) do
        refuses(function() new { base_url = bad, allow_plain_http = true } end, { fn .. ": ", "option 'base_url'" })
      end
      -- credentials in the URL are refused, and not echoed
      for _, bad in ipairs({ "http://user:pw-secret@127.0.0.1/", "http://127.0.0.1:1@evil.example/",
        "https://pw-secret@example.com" }) do
        refuses(function() new { base_url = bad, allow_plain_http = true } end, { "option 'base_url'", "'@'" },
          "pw-secret")
      end
    end)
  end)

  it("allow plain http:// only to loopback hosts unless allow_plain_http = true", function()
    both(function(new, fn)
      for _, ok in ipairs({ "http://127.0.0.1", "http://127.0.0.1:8080/v5", "http://127.255.3.4:1",
        "http://localhost:1/v5", "http://LOCALHOST", "http://[::1]:8080/", "https://example.com/v5",
        "https://api.pinterest.com", "https://127.0.0.1.example.com" }) do
        new { base_url = ok }:close()
      end
      for _, bad in ipairs({ "http://example.com", "http://127.0.0.1.evil.com", "http://localhost.evil",
        "http://128.0.0.1", "http://0127.0.0.1", "http://127.1", "http://127.0.0.256", "http://0x7f.0.0.1",
        "http://[::2]", "http://[::ffff:127.0.0.1]", "http://evil-localhost", "http://2130706433" }) do
        refuses(function() new { base_url = bad } end,
          { fn .. ": ", "option 'base_url'", "allow_plain_http", "loopback" })
        new { base_url = bad, allow_plain_http = true }:close()
      end
      refuses(function() new { base_url = "http://127.0.0.1", allow_plain_http = "yes" } end,
        "option 'allow_plain_http' must be a boolean")
    end)
  end)

  it("check the range of every number and say what is allowed", function()
    both(function(new, fn)
      local base = "http://127.0.0.1:1"
      for _, k in ipairs({ "timeout", "connect_timeout" }) do
        for _, bad in ipairs({ 0, -1, 0/0, math.huge, -math.huge, 1e300, 2147484 }) do
          refuses(function() new { base_url = base, [k] = bad } end,
            { fn .. ": option '" .. k .. "' must be a number of seconds in 0.001..2147483, got " })
        end
        new { base_url = base, [k] = 2147483 }:close()
        new { base_url = base, [k] = 0.001 }:close()
      end
      for _, bad in ipairs({ 0, -1, 0.5, 1.5, 0/0, math.huge, 1e19, 2^53 + 2, -math.huge }) do
        refuses(function() new { base_url = base, max_body = bad } end,
          { fn .. ": option 'max_body' must be a whole number of bytes in 1..9007199254740992, got " })
      end
      new { base_url = base, max_body = 2^53 }:close()
      new { base_url = base, max_body = 3e9 }:close()
      refuses(function() new { base_url = base, timeout = "5" } end,
        fn .. ": option 'timeout' must be a number, got string")
    end)
    for _, bad in ipairs({ 0, 1025, 1.5, 0/0, math.huge, 2^63, -2^63, 2^53 }) do
      refuses(function() core.batch { base_url = "http://127.0.0.1:1", concurrency = bad } end,
        "pinanalytics.core.batch: option 'concurrency' must be a whole number in 1..1024, got ")
    end
    refuses(function() core.batch { base_url = "http://127.0.0.1:1", concurrency = "8" } end,
      "pinanalytics.core.batch: option 'concurrency' must be a number, got string")
    assert.equal(1024, core.batch { base_url = "http://127.0.0.1:1", concurrency = 1024 }:capacity())
  end)

  it("read the options table raw and refuse unknown options", function()
    both(function(new, fn)
      local touched = false
      local opts = setmetatable({}, { __index = function() touched = true; return "http://127.0.0.1:1" end })
      refuses(function() new(opts) end, fn .. ": option 'base_url' is required")
      assert.is_false(touched)
      refuses(function() new { base_url = "http://127.0.0.1:1", allow_plain_htp = true } end,
        fn .. ": unknown option 'allow_plain_htp'")
      refuses(function() new { base_url = "http://127.0.0.1:1", [1] = "x" } end, fn .. ": option names must be strings")
    end)
    refuses(function() core.session { base_url = "http://127.0.0.1:1", concurrency = 2 } end,
      "pinanalytics.core.session: unknown option 'concurrency'")
  end)

  it("core.sleep refuses a wait it cannot keep", function()
    for _, bad in ipairs({ 0/0, math.huge, 1e20, 2^31 }) do
      refuses(function() core.sleep(bad) end, "pinanalytics.core.sleep: seconds must be a number in 0..2147483647, got ")
    end
    local t0 = core.now()
    core.sleep(-1)
    core.sleep(0)
    core.sleep(0.001)
    assert.is_true(core.now() - t0 < 5)
  end)
end)

describe("the transport", function()
  local sim
  local ok_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"

  setup(function() sim = H.start() end)
  teardown(function() if sim then sim:stop() end end)
  before_each(function() sim:configure { override = {} } end)

  local function raw(answer, opts)
    sim:configure { override = { ["/v5/x"] = { raw = answer } } }
    local o = { base_url = sim.url, timeout = 10 }
    for k, v in pairs(opts or {}) do o[k] = v end
    local s = core.session(o)
    local r = { s:request("GET", "/v5/x") }
    s:close()
    return r
  end

  it("refuses CR, LF and NUL in the method, the target, header lines and a new token", function()
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 2 }
    sim:clear_log()
    for _, m in ipairs({ "GET /x HTTP/1.1\r\nX-Injected: yes\r\n\r\nGET", "GE T", "GET\0", "", "G-ET", "GET\r\n",
      string.rep("A", 21), "GET1" }) do
      refuses(function() s:request(m, "/pins") end, { "session:request: ", "argument 'method'" }, "X-Injected")
      refuses(function() b:add(1, m, "/pins") end, { "batch:add: ", "argument 'method'" }, "X-Injected")
    end
    for _, t in ipairs({ "/x HTTP/1.1\r\nX-Injected: yes", "/x\n", "/x\0y", "/x y", "/x\t", "/x\127" }) do
      refuses(function() s:request("GET", t) end, { "session:request: ", "argument 'target'" }, "X-Injected")
      refuses(function() b:add(1, "GET", t) end, { "batch:add: ", "argument 'target'" }, "X-Injected")
    end
    for _, h in ipairs({ "X-A: 1\r\nX-Injected: yes", "X-A: 1\n", "X-A: \0", "X-A 1", ": x", "X A: 1", "X-A:\r" }) do
      refuses(function() s:request("GET", "/pins", nil, { "Accept: x", h }) end,
        { "session:request: ", "headers[2]" }, "X-Injected")
      refuses(function() b:add(1, "GET", "/pins", nil, { h }) end, { "batch:add: ", "headers[1]" }, "X-Injected")
    end
    refuses(function() s:request("GET", "/pins", nil, { 1 }) end, "session:request: headers[1] must be a string")
    local many = {}
    for i = 1, 65 do many[i] = "X-N" .. i .. ": 1" end
    refuses(function() s:request("GET", "/pins", nil, many) end, "session:request: argument 'headers' has 65 lines")
    for _, t in ipairs({ SECRET, "x\0y", "x y", "x\n" }) do
      refuses(function() s:set_token(t) end, { "session:set_token: ", "argument 'token'" }, t)
      refuses(function() b:set_token(t) end, { "batch:set_token: ", "argument 'token'" }, t)
    end
    -- nothing of it reached the server, and the handles still work with what they had
    assert.same({}, sim:requests())
    assert.is_true(s:info().has_token)
    assert.equal(400, (s:request("GET", "/pins/1/analytics"))) -- the token is good, the query is not
    local st, _, body = s:request("GET", "/pins/1/analytics?start_date=" .. H.day(0) .. "&end_date=" .. H.day(0) ..
      "&metric_types=SAVE", nil, { "X-Extra:\tfine", "X-Empty:" })
    assert.equal(200, st)
    assert.is_table(body.all)
    assert.equal(0, b:inflight())
    s:close()
    b:close()
  end)

  it("answers HEAD without waiting for a body that never comes", function()
    sim:configure { override = { ["/v5/h"] = { status = 200, body = '{"a":1}' } } }
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN, timeout = 5 }
    local status, headers, body = s:request("HEAD", "/h")
    assert.equal(200, status)
    assert.equal("application/json", headers["content-type"])
    assert.is_nil(body)
    local st2, _, body2 = s:request("GET", "/h") -- the same connection, a normal request again
    assert.equal(200, st2)
    assert.same({ a = 1 }, body2)
    s:close()
  end)

  it("refuses a target that does not start with /", function()
    local s = core.session { base_url = "http://127.0.0.1:1", token = H.TOKEN }
    local b = core.batch { base_url = "http://127.0.0.1:1", token = H.TOKEN }
    for _, t in ipairs({ "@127.0.0.1:2/x", "", "x", ":2/x", "?a=1", ".evil.com/x", "#x" }) do
      refuses(function() s:request("GET", t) end, "session:request: argument 'target' must start with \"/\"")
      refuses(function() b:add(1, "GET", t) end, "batch:add: argument 'target' must start with \"/\"")
    end
    assert.equal(0, b:inflight())
    s:close()
    b:close()
  end)

  it("never answers a request with the previous request's answer (a URL libcurl refuses)", function()
    sim:configure { override = { ["/v5/a"] = { status = 200, body = '{"which":"a"}' } } }
    local s = core.session { base_url = sim.url, token = H.TOKEN }
    local st, _, body = s:request("GET", "/v5/a")
    assert.equal(200, st)
    assert.equal("a", body.which)
    local long = "/v5/b?q=" .. string.rep("x", 9000000)
    local ok, a, b2, c = pcall(s.request, s, "GET", long)
    if ok then -- either an error result...
      assert.is_nil(a)
      assert.is_string(b2)
      assert.is_string(c)
    else -- ...or a clear error, not the answer of /v5/a
      assert.truthy(tostring(a):find("session:request: ", 1, true), tostring(a))
      assert.falsy(tostring(a):find("xxxxxxxx", 1, true))
    end
    s:close()
  end)

  it("batch:add checks its id and refuses an id already in flight", function()
    local b = core.batch { base_url = sim.url, concurrency = 4, timeout = 10 }
    sim:configure { override = { ["/v5/x"] = { raw = ok_head .. "\r\n{}", hold_ms = 0 } } }
    for _, bad in ipairs({ 1.5, 0/0, math.huge, 2^63, "1" }) do
      refuses(function() b:add(bad, "GET", "/v5/x") end, "batch:add: argument 'id' must be a whole number")
    end
    assert.is_true(b:add(5, "GET", "/v5/x"))
    refuses(function() b:add(5, "GET", "/v5/x") end, "batch:add: id 5 is already in flight")
    assert.equal(1, b:inflight())
    local got = {}
    while b:inflight() > 0 do
      for _, r in ipairs(b:step(50)) do got[#got + 1] = r end
    end
    assert.equal(1, #got)
    assert.equal(5, got[1].id)
    assert.equal(200, got[1].status)
    assert.is_true(b:add(5, "GET", "/v5/x")) -- finished: the id is free again
    b:close()
  end)

  it("batch:step checks its timeout", function()
    local b = core.batch { base_url = sim.url, concurrency = 1 }
    for _, bad in ipairs({ 2^32 + 5, 2^31, 0/0, math.huge }) do
      refuses(function() b:step(bad) end, "batch:step: argument 'timeout_ms' must be a number of milliseconds in " ..
        "0..2147483647, got ")
    end
    assert.same({}, b:step(-5)) -- a wait already over: no wait
    assert.same({}, b:step(2147483647)) -- nothing in flight: returns at once
    b:close()
  end)

  it("reports sizes over max_body exactly", function()
    local r = raw("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{}", { max_body = 3e9 })
    assert.same({ nil, "too_large", "response larger than max_body (3000000000 bytes)", 63 }, r)
    r = raw("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{}", { max_body = 2^53 })
    assert.equal("network", r[2]) -- fits max_body; the connection closes early
    r = raw("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" .. string.rep("x", 5000), { max_body = 1000 })
    assert.same({ nil, "too_large", "response larger than max_body (1000 bytes)", 63 }, r)
    r = raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" .. string.rep("x", 5000), { max_body = 1000 })
    assert.same({ nil, "too_large", "response larger than max_body (1000 bytes)", 23 }, r)
  end)

  it("says what is wrong with a header block over 256 KiB, without retrying it as transient", function()
    local line = "X-Fill: " .. string.rep("a", 1000) .. "\r\n"
    local r = raw(ok_head .. string.rep(line, 300) .. "\r\n{}")
    assert.is_nil(r[1])
    assert.equal("too_large", r[2])
    assert.truthy(r[3]:find("response headers larger than 256 KiB", 1, true), r[3])
    assert.falsy(r[3]:find("max_body", 1, true), r[3])
    -- just under the limit is fine
    r = raw(ok_head .. string.rep(line, 250) .. "\r\n{}")
    assert.equal(200, r[1])
    assert.equal(string.rep("a", 1000) .. string.rep(", " .. string.rep("a", 1000), 249), r[2]["x-fill"])
  end)

  it("reports an endless header line as too_large, not as a network failure", function()
    local r = raw("HTTP/1.1 200 OK\r\nX-Endless: " .. string.rep("a", 400000))
    assert.is_nil(r[1])
    assert.equal("too_large", r[2])
    assert.truthy(r[3]:find("header line", 1, true), r[3])
  end)

  it("keeps header names of any length, folded lines and repeated headers", function()
    local long = string.rep("N", 200)
    local r = raw(ok_head .. long .. ": v\r\nX-Folded: a\r\n  b\r\n\tc\r\nX-R: 1\r\nX-R: 2\r\nx-r: 3\r\n" ..
      "Set-Cookie: a=1\r\nX-Empty:\r\n\r\n{}")
    assert.equal(200, r[1])
    assert.equal("v", r[2][long:lower()])
    assert.equal("a b c", r[2]["x-folded"])
    assert.equal("1, 2, 3", r[2]["x-r"])
    assert.equal("a=1", r[2]["set-cookie"])
    assert.equal("", r[2]["x-empty"])
    assert.is_nil(r[2]["http/1.1 200 ok"])
    -- many repeats of one name: all kept, in order
    local lines = {}
    for i = 1, 15000 do lines[i] = "X-Many: " .. i .. "\r\n" end
    r = raw(ok_head .. table.concat(lines) .. "\r\n{}")
    assert.equal(200, r[1])
    local parts = {}
    for v in r[2]["x-many"]:gmatch("[^, ]+") do parts[#parts + 1] = tonumber(v) end
    assert.equal(15000, #parts)
    for i = 1, 15000 do assert(parts[i] == i) end
  end)

  it("keeps the headers of the final answer after 1xx blocks, and reads a status line the server got wrong", function()
    local r = raw("HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n" .. ok_head .. "X-Late: 2\r\n\r\n{}")
    assert.equal(200, r[1])
    assert.is_nil(r[2]["x-early"])
    assert.equal("2", r[2]["x-late"])
    for _, bad in ipairs({ "HTTP/1.1 99999999999999 OK", "HTTP/1.1 000 OK", "HTTP/1.1 1000 OK", "HTTP/1.1 -200 OK",
      "HTTP/1.1 20 OK" }) do
      r = raw(bad .. "\r\nContent-Length: 2\r\n\r\n{}")
      assert.is_nil(r[1], bad)
      assert.equal("invalid_response", r[2], bad)
      assert.is_string(r[3])
    end
    r = raw(ok_head .. "X-Nul: a\0b\r\n\r\n{}")
    assert.is_nil(r[1])
    assert.equal("invalid_response", r[2])
  end)
end)

-- RSS of a fresh interpreter that fetches a large body and drops it: the
-- Session (or Batch) must not keep a buffer of that size afterwards.
describe("body buffers", function()
  local sim, file, page
  local SIZE = 24 * 1024 * 1024

  local function interpreter()
    local f = assert(io.open("/proc/self/stat"))
    local pid = f:read("*l"):match("^(%d+)")
    f:close()
    local p = assert(io.popen("readlink /proc/" .. pid .. "/exe"))
    local exe = p:read("*l")
    p:close()
    return exe
  end

  setup(function()
    file = os.tmpname()
    local f = assert(io.open(file, "wb"))
    f:write(string.rep("x", SIZE))
    f:close()
    os.execute("chmod 0644 " .. file)
    sim = H.start { static_file = file }
    local p = io.popen("getconf PAGESIZE")
    page = tonumber(p:read("*l")) or 4096
    p:close()
  end)
  teardown(function()
    if sim then sim:stop() end
    if file then os.remove(file) end
  end)

  local CHILD = [[
    local core = require "pinanalytics.core"
    local url, kind, page = arg[1], arg[2], tonumber(arg[3])
    local function rss()
      local f = assert(io.open("/proc/self/statm"))
      local r = f:read("*l"):match("^%d+%s+(%d+)")
      f:close()
      return tonumber(r) * page
    end
    local opts = { base_url = url, token = arg[4], max_body = 32 * 1024 * 1024, timeout = 30 }
    collectgarbage()
    local before = rss()
    local got = {}
    local h
    if kind == "session" then
      h = core.session(opts)
      for i = 1, 2 do
        local status, _, _, _, raw = h:request("GET", "/v5/static/pins/" .. i .. "/analytics")
        got[#got + 1] = status .. ":" .. #raw
      end
    else
      opts.concurrency = 2
      h = core.batch(opts)
      h:add(1, "GET", "/v5/static/pins/1/analytics")
      h:add(2, "GET", "/v5/static/pins/2/analytics")
      while h:inflight() > 0 do
        for _, r in ipairs(h:step(100)) do got[#got + 1] = r.status .. ":" .. #r.raw end
      end
    end
    collectgarbage()
    collectgarbage()
    io.write(table.concat(got, ","), " ", before, " ", rss(), "\n")
    h:close()
  ]]

  local function run(kind)
    local script = os.tmpname()
    local f = assert(io.open(script, "wb"))
    f:write("package.path = " .. string.format("%q", package.path) .. "\npackage.cpath = " ..
      string.format("%q", package.cpath) .. "\n" .. CHILD)
    f:close()
    -- glibc raises its mmap threshold after large blocks are freed, and then
    -- keeps later ones in the heap, where freeing does not lower RSS: a fixed
    -- threshold makes what is freed show
    local p = assert(io.popen("MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 " .. X.bounded(300, interpreter()) ..
      " " .. script .. " " .. sim.url .. " " .. kind .. " " .. page .. " " .. H.TOKEN))
    local out = p:read("*a")
    p:close()
    os.remove(script)
    local got, before, after = out:match("^(%S+) (%d+) (%d+)")
    assert(got, "child said: " .. out)
    return got, tonumber(before), tonumber(after)
  end

  -- AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
  local measure = os.getenv("ASAN_OPTIONS") and pending or it

  measure("a Session does not keep a large body buffer after the request", function()
    local got, before, after = run("session")
    assert.equal("200:" .. SIZE .. ",200:" .. SIZE, got)
    assert.is_true(after - before < 8 * 1024 * 1024, ("RSS grew by %.1f MiB"):format((after - before) / 2^20))
  end)

  measure("a Batch does not keep a large body buffer per slot", function()
    local got, before, after = run("batch")
    assert.equal("200:" .. SIZE .. ",200:" .. SIZE, got)
    assert.is_true(after - before < 8 * 1024 * 1024, ("RSS grew by %.1f MiB"):format((after - before) / 2^20))
  end)
end)
