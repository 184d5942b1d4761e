-- The H1 codec of the C core (csrc/h1.c): HTTP/1.1 with no I/O. Requests
-- written as bytes with the C transport's refusals; answers read from bytes
-- fed in pieces of any size, with its limits, error kinds and messages.
local core = require "pinanalytics.core"
local R = require "helpers.runtime"

local BASE = "http://127.0.0.1:8080/v5"

local function codec(opts)
  local o = { base_url = BASE, token = "tok-123" }
  for k, v in pairs(opts or {}) do o[k] = v end
  return core.h1(o)
end

local function pack(...) return { n = select("#", ...), ... } end

-- Feeds the answer in the given pieces; returns what the last feed (or eof) returned.
local function feed(h, pieces, eof)
  local r
  for i, p in ipairs(pieces) do
    r = pack(h:feed(p))
    if r[1] ~= false then
      assert(i == #pieces or r[1] == nil, "the answer ended before its last piece")
      return r
    end
  end
  if eof then return pack(h:eof()) end
  return r
end

local function gzip(s)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(s)
  f:close()
  local out = R.run("gzip -c -n " .. name)
  os.remove(name)
  return out
end

-- The answer fed whole, split in two at every byte boundary, and byte by
-- byte: the same result every time. Returns it (and the last codec).
local function every_split(h, method, answer, shape, eof)
  local results = {}
  local function one(pieces)
    h:request(method or "GET", "/x", nil, nil, shape)
    local r = feed(h, pieces, eof)
    results[#results + 1] = { r = r, keep = h:keepalive() }
  end
  one({ answer })
  for i = 1, #answer - 1 do one({ answer:sub(1, i), answer:sub(i + 1) }) end
  local bytes = {}
  for i = 1, #answer do bytes[i] = answer:sub(i, i) end
  one(bytes)
  local first = results[1]
  for i = 2, #results do
    local r = results[i]
    assert.equal(first.r.n, r.r.n, "split " .. (i - 1))
    assert.equal(first.r[1], r.r[1], "split " .. (i - 1))
    assert.same(first.r[2], r.r[2], "split " .. (i - 1))
    assert.same(first.r[3], r.r[3], "split " .. (i - 1))
    assert.equal(first.keep, r.keep, "split " .. (i - 1))
  end
  return first.r, first.keep
end

describe("core.h1", function()
  it("checks its options as core.session does", function()
    assert.has_error(function() core.h1 {} end, "pinanalytics.core.h1: option 'base_url' is required")
    assert.has_error(function() core.h1 { base_url = "http://example.com" } end)
    assert.has_error(function() core.h1 { base_url = BASE, token = "a\r\nX: y" } end,
      "pinanalytics.core.h1: option 'token' must not contain control characters (CR, LF, NUL...) or spaces: " ..
      "it goes into the Authorization header")
    assert.has_error(function() core.h1 { base_url = BASE, concurrency = 2 } end,
      "pinanalytics.core.h1: unknown option 'concurrency'")
  end)

  it("says where to connect", function()
    assert.same({ "127.0.0.1", 8080, false, true }, { codec():endpoint() })
    assert.same({ "api.pinterest.com", 443, true, true },
      { core.h1({ base_url = "https://api.pinterest.com/v5" }):endpoint() })
    assert.same({ "::1", 9000, false, false }, { core.h1({ base_url = "http://[::1]:9000", tls_verify = false }):endpoint() })
  end)

  it("writes a GET with the default headers and the token, the path of base_url before the target", function()
    local h = codec()
    assert.equal("GET /v5/pins/1/analytics?a=b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" ..
      "User-Agent: pinanalytics/" .. core.version .. "\r\nAccept-Encoding: gzip, deflate\r\n" ..
      "Accept: application/json\r\nAuthorization: Bearer tok-123\r\n\r\n", h:request("GET", "/pins/1/analytics?a=b"))
    h:set_token(nil)
    assert.equal("GET /v5/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: pinanalytics/" .. core.version ..
      "\r\nAccept-Encoding: gzip, deflate\r\nAccept: application/json\r\n\r\n", h:request("GET", "/x"))
    local https = core.h1 { base_url = "https://api.pinterest.com/v5/", user_agent = "ua/1" }
    assert.equal("GET /v5/x HTTP/1.1\r\nHost: api.pinterest.com\r\nUser-Agent: ua/1\r\n" ..
      "Accept-Encoding: gzip, deflate\r\nAccept: application/json\r\n\r\n", https:request("GET", "/x"))
  end)

  it("writes a POST with its body, Content-Length, a form Content-Type unless given, and HTTP Basic", function()
    local h = core.h1 { base_url = BASE, username = "id", password = "sec:ret" }
    assert.equal("POST /v5/oauth/token HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: pinanalytics/" ..
      core.version .. "\r\nAccept-Encoding: gzip, deflate\r\nAccept: application/json\r\n" ..
      "Authorization: Basic aWQ6c2VjOnJldA==\r\nContent-Type: application/x-www-form-urlencoded\r\n" ..
      "Content-Length: 9\r\n\r\na=1&b=2&c", h:request("POST", "/oauth/token", "a=1&b=2&c"))
    local req = codec():request("POST", "/r", "{}", { "Content-Type: application/json", "X-A: 1" })
    local tail = "\r\nContent-Type: application/json\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}"
    assert.equal(tail, req:sub(-#tail))
    assert.is_nil(req:find("x-www-form", 1, true))
    assert.equal("\r\nContent-Length: 0\r\n\r\n", codec():request("DELETE", "/r"):sub(-23))
  end)

  it("refuses CR, LF and NUL in the target and the header lines, as the C transport does", function()
    local h = codec()
    assert.has_error(function() h:request("GET", "/x\r\nHost: evil") end,
      "h1:request: argument 'target' must not contain spaces or control characters (byte 13 at position 3)")
    for _, bad in ipairs({ "X-A: 1\r\nX-B: 2", "X-A: 1\n", "X-A: a\0b", "X A: 1", "NoColon" }) do
      assert.has_error(function() h:request("GET", "/x", nil, { bad }) end,
        "h1:request: headers[1] must be \"Name: value\" with a token name and no control characters " ..
        "(CR, LF, NUL...) in the value")
    end
    assert.has_error(function() h:request("G T", "/x") end)
    assert.has_error(function() h:request("GET", "/x", nil, nil, "nope") end)
    assert.has_error(function() h:set_token("a\nb") end)
    -- nothing waits: feeding raises
    assert.has_error(function() codec():feed("HTTP/1.1 200 OK\r\n") end,
      "h1:feed: no request waits for its answer (h1:request writes one)")
  end)

  it("reads a Content-Length answer split at every byte, with lower-case headers and the decoded body", function()
    local body = '{"a":1,"b":[1,2.5,"x"],"c":null}'
    local ans = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pinterest-RID: r1\r\nX-A: 1\r\n" ..
      "x-a: 2\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
    local r, keep = every_split(codec(), "GET", ans)
    assert.equal(3, r.n)
    assert.equal(200, r[1])
    assert.same({ ["content-type"] = "application/json", ["x-pinterest-rid"] = "r1", ["x-a"] = "1, 2",
      ["content-length"] = tostring(#body) }, r[2])
    assert.same(core.decode(body), r[3])
    assert.is_true(keep)
  end)

  it("says how many body bytes a Content-Length answer still needs", function()
    local h = codec()
    h:request("GET", "/x")
    assert.is_nil(h:want())
    assert.is_false(h:feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1,"))
    assert.equal(7, h:want())
    assert.is_false(h:feed("2,3"))
    assert.equal(4, h:want())
    assert.equal(200, (h:feed(",45]")))
    assert.is_nil(h:want())
    h:request("GET", "/x")
    assert.is_false(h:feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
    assert.is_nil(h:want())
  end)

  it("reads chunked answers, with extensions, trailers and LF-only lines, split at every byte", function()
    local ans = "HTTP/1.1 201 Created\nTransfer-Encoding: chunked\n\n" ..
      "4;ext=1\r\n{\"a\"\r\n3\r\n:12\r\n1\n}\n0\r\nX-Trailer: t\r\n\r\n"
    local r, keep = every_split(codec(), "POST", ans)
    assert.equal(201, r[1])
    assert.equal("t", r[2]["x-trailer"])
    assert.same({ a = 12 }, r[3])
    if R.INTEGERS then assert.equal("integer", math.type(r[3].a)) end
    assert.is_true(keep)
  end)

  it("reads gzip answers (Content-Length and chunked), split at every byte", function()
    local body = '{"items":[' .. string.rep('{"id":"1","n":2},', 40) .. '{"id":"2","n":3}]}'
    local z = gzip(body)
    assert.is_true(#z < #body)
    local r = every_split(codec(), "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " .. #z ..
      "\r\n\r\n" .. z)
    assert.same(core.decode(body), r[3])
    local half = math.floor(#z / 2)
    -- (concatenated: Lua 5.1's string.format cuts a %s at its first NUL byte)
    r = every_split(codec(), "GET", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" ..
      ("%x"):format(half) .. "\r\n" .. z:sub(1, half) .. "\r\n" .. ("%x"):format(#z - half) .. "\r\n" ..
      z:sub(half + 1) .. "\r\n0\r\n\r\n")
    assert.same(core.decode(body), r[3])
  end)

  it("reads an answer that ends with the connection, and never keeps that connection", function()
    local r, keep = every_split(codec(), "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n[1,2]", nil, true)
    assert.equal(200, r[1])
    assert.same({ 1, 2 }, r[3])
    assert.is_false(keep)
  end)

  it("tells when the connection may carry the next request", function()
    local function keep(ans, method)
      local h = codec()
      h:request(method or "GET", "/x")
      local r = pack(h:feed(ans))
      assert.is_number(r[1], ans)
      return h:keepalive()
    end
    assert.is_true(keep("HTTP/1.1 204 No Content\r\n\r\n"))
    assert.is_true(keep("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"))
    assert.is_true(keep("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}"))
    assert.is_false(keep("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
    assert.is_false(keep("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\n{}"))
    assert.is_false(keep("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n"))
  end)

  it("skips interim answers (100 Continue, 103) and returns the final one", function()
    local r = every_split(codec(), "POST", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n" ..
      "HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 27\r\n\r\n{\"code\":8,\"message\":\"slow\"}")
    assert.equal(429, r[1])
    assert.same({ ["retry-after"] = "7", ["content-length"] = "27" }, r[2])
    assert.same({ code = 8, message = "slow" }, r[3])
  end)

  it("types an answer with the endpoint's shape in the same walk, and keeps a body that is not JSON", function()
    local h = codec()
    local body = '{"all":{"daily_metrics":[{"date":"2026-01-01","data_status":"READY","metrics":{"IMPRESSION":3,' ..
      '"SAVE_RATE":1}}],"summary_metrics":{"IMPRESSION":3.0}}}'
    h:request("GET", "/x", nil, nil, "analytics")
    local r = pack(h:feed("HTTP/1.1 200 OK\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body))
    assert.equal(6, r.n)
    assert.is_true(r[6])
    if R.INTEGERS then
      assert.equal("integer", math.type(r[3].all.summary_metrics.IMPRESSION))
      assert.equal("float", math.type(r[3].all.daily_metrics[1].metrics.SAVE_RATE))
    end
    h:request("GET", "/x")
    r = pack(h:feed("HTTP/1.1 502 Bad\r\nContent-Length: 9\r\n\r\n<html>no!"))
    assert.equal(5, r.n)
    assert.equal(502, r[1])
    assert.is_nil(r[3])
    assert.is_string(r[4])
    assert.equal("<html>no!", r[5])
  end)

  it("holds the decoded body to max_body: Content-Length, chunks, and gzip (a bomb stops there)", function()
    local msg = "response larger than max_body (100 bytes)"
    local h = codec { max_body = 100 }
    h:request("GET", "/x")
    assert.same({ n = 4, nil, "too_large", msg, 63 }, pack(h:feed("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n")))
    h:request("GET", "/x")
    assert.same({ n = 4, nil, "too_large", msg, 63 },
      pack(h:feed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n")))
    h:request("GET", "/x")
    assert.is_false(h:feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" .. ("x"):rep(100) .. "\r\n"))
    assert.same({ n = 4, nil, "too_large", msg, 63 }, pack(h:feed("1\r\nx\r\n")))
    local bomb = gzip(("0"):rep(10 * 1024 * 1024))
    assert.is_true(#bomb < 20000)
    local big = codec { max_body = 1024 * 1024 }
    big:request("GET", "/x")
    assert.same({ n = 4, nil, "too_large", "response larger than max_body (1048576 bytes)", 63 },
      pack(big:feed("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " .. #bomb .. "\r\n\r\n" .. bomb)))
    assert.is_false(big:keepalive())
  end)

  it("holds the header block to 256 KiB, in pieces or whole", function()
    local h = codec()
    h:request("GET", "/x")
    local line = "X-Pad: " .. ("p"):rep(1000) .. "\r\n"
    local r = pack(h:feed("HTTP/1.1 200 OK\r\n"))
    for _ = 1, 300 do
      r = pack(h:feed(line))
      if r[1] ~= false then break end
    end
    assert.same({ n = 4, nil, "too_large", "response headers larger than 256 KiB (the limit for a header block)", 23 }, r)
    h:request("GET", "/x")
    r = pack(h:feed("HTTP/1.1 200 OK\r\nX: " .. ("y"):rep(300 * 1024)))
    assert.equal("too_large", r[2])
  end)

  it("refuses hostile answers with kind invalid_response or network, as the C transport names them", function()
    local function err(ans, eof)
      local h = codec()
      h:request("GET", "/x")
      local r = pack(h:feed(ans))
      if r[1] == false and eof then r = pack(h:eof()) end
      assert.is_nil(r[1], ans)
      assert.is_false(h:keepalive())
      return r[2] .. ": " .. r[3]
    end
    local weird = "invalid_response: "
    assert.equal(weird .. "the response does not start with an HTTP/1.x status line", err("SSH-2.0-OpenSSH\r\n\r\n"))
    assert.equal(weird .. "the response does not start with an HTTP/1.x status line", err("HTTP/2 200\r\n\r\n"))
    assert.equal(weird .. "the response's status code is not three digits", err("HTTP/1.1 20x OK\r\n\r\n"))
    assert.equal(weird .. "the response's status code is not three digits", err("HTTP/1.1 2000 OK\r\n\r\n"))
    assert.equal(weird .. "the response's status code is below 100", err("HTTP/1.1 099 OK\r\n\r\n"))
    assert.equal(weird .. "the response's Content-Length is not a number",
      err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"))
    assert.equal(weird .. "the response's Content-Length is not a number",
      err("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n"))
    assert.equal(weird .. "the response has two different Content-Length headers",
      err("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"))
    assert.equal(weird .. "a response header holds a NUL byte", err("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n"))
    assert.equal(weird .. "a chunk size of the response is too large",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"))
    assert.equal(weird .. "a chunk of the response has no size",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n"))
    assert.equal(weird .. "a chunk-size line of the response is malformed",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2x\r\n"))
    assert.equal(weird .. "a chunk of the response does not end where its size says",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}}\r\n0\r\n\r\n"))
    assert.equal(weird .. "a chunk-size line of the response is longer than 4096 bytes",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;" .. ("e"):rep(5000)))
    assert.equal(weird .. "the server sent more than 16 interim (1xx) answers",
      err(("HTTP/1.1 100 Continue\r\n\r\n"):rep(17)))
    assert.equal("network: the response body's content encoding (gzip/deflate) is corrupt: Error while processing " ..
      "content unencoding: unrecognized content encoding (the request accepts gzip and deflate)",
      err("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n"))
    assert.equal("network: the response body's content encoding (gzip/deflate) is corrupt: Error while processing " ..
      "content unencoding: incorrect header check",
      err("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n{}{}"))
    assert.equal("network: the response body's content encoding (gzip/deflate) is corrupt: Error while processing " ..
      "content unencoding: the compressed stream ended before its end",
      err("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n" .. gzip("{}"):sub(1, 4)))
    -- the connection closes early: libcurl's words
    assert.equal("network: Empty reply from server", err("", true))
    assert.equal("network: the connection closed before the end of the response headers",
      err("HTTP/1.1 200 OK\r\nX: 1", true))
    assert.equal("network: transfer closed with 8 bytes remaining to read",
      err("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", true))
    assert.equal("network: transfer closed with outstanding read data remaining",
      err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}", true))
  end)

  it("a chunk size of 15 hex digits is a size like any other, held to max_body", function()
    local h = codec { max_body = 10 }
    h:request("GET", "/x")
    assert.is_false(h:feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n"))
    assert.equal("too_large", select(2, h:feed(("x"):rep(11))))
  end)

  it("closes idempotently, refuses use after close, and survives finalizers that close it mid-call", function()
    local h = codec()
    h:close()
    h:close()
    assert.is_true(h:is_closed())
    assert.equal("pinanalytics.H1 (closed)", tostring(h))
    assert.has_error(function() h:request("GET", "/x") end, "pinanalytics: attempt to use a closed h1 codec")
    -- finalizers that close the codec run while it decodes a large answer
    local body = "[" .. string.rep('{"a":1,"b":"xx"},', 2000) .. "1]"
    local ans = "HTTP/1.1 200 OK\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
    R.with_eager_gc(function()
      for _ = 1, 20 do
        local c = codec()
        c:request("GET", "/x")
        for _ = 1, 50 do R.finalizable(function() c:close() end) end
        -- closed before the feed began: it says so; closed during it: the
        -- feed ends whole and the codec is released after
        local ok, status, _, value = pcall(c.feed, c, ans)
        if ok then
          assert.equal(200, status)
          assert.equal(2001, #value)
        else
          assert.equal("pinanalytics: attempt to use a closed h1 codec", status)
        end
      end
    end)
  end)
end)
