--- The "ngx" runtime's cosocket transport: HTTP/1.1 over nginx's own
-- non-blocking sockets (`ngx.socket.tcp`), the default in the phases that
-- allow them (rewrite, access, content, timer).
--
-- The protocol work is the C core's H1 codec (`pinanalytics.core.h1`, no I/O
-- in it): it writes the request, with the C transport's checks, and reads the
-- answer fed to it in the pieces the socket gives (status, headers,
-- Content-Length or chunks, gzip, the limits on header block and body), then
-- decodes, checks and types the JSON in one walk, in the worker's own VM.
-- This module only moves bytes: connect (through nginx's keep-alive pool, one
-- pool per host, port, TLS and server name), TLS handshake with SNI and
-- verification, send, read, and the connection back to the pool when the
-- answer allows it. Errors are the C transport's: the same kinds ("network",
-- "timeout", "tls", "too_large", "invalid_response"), messages in libcurl's
-- words and libcurl's codes, so that the client's retries, Retry-After, token
-- refresh and refusal memory work unchanged. Redirects are answers, never
-- followed (as the C transport).
--
-- TLS verification is nginx's: `lua_ssl_trusted_certificate` names the CA
-- bundle (Debian's: /etc/ssl/certs/ca-certificates.crt) and
-- `lua_ssl_verify_depth` the chain's length; a failed verification says so.
-- A host name is looked up by nginx's `resolver`; an address or localhost is not.
local core = require "pinanalytics.core"

local M = {}

-- libcurl's codes for the errors that happen here (the codec gives its own)
local CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR = 7, 28, 55, 56
local CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_COULDNT_RESOLVE_HOST = 60, 35, 6

local READ_SIZE = 65536
local KEEPALIVE_MS = 60000 -- how long an idle connection stays in nginx's pool

local function ngx_api() return rawget(_G, "ngx") end

--- Is `ca_file` among the options? The cosocket transport cannot use it
-- (nginx verifies against lua_ssl_trusted_certificate): the message that says so.
-- @tab opts `pinanalytics.core.session`'s options
-- @treturn[opt] string
function M.refusal(opts)
  if opts.ca_file ~= nil then
    return "option ca_file cannot apply to the cosocket transport of runtime \"ngx\": nginx verifies " ..
      "certificates against the bundle nginx.conf names (lua_ssl_trusted_certificate " .. tostring(opts.ca_file) ..
      ";); name it there, or set transport = \"threads\""
  end
  return nil
end

--- A connection maker for one set of options: an H1 codec and where it connects.
-- @type Conn
local Conn = {}
Conn.__index = Conn

--- Replaces the bearer token of the requests that follow.
-- @string[opt] token
function Conn:set_token(token)
  self.h1:set_token(token)
end

--- Releases the codec. Idempotent.
function Conn:close()
  self.h1:close()
end

local function fail(kind, message, code)
  return nil, kind, message, code
end

-- Monotonic seconds (clock_gettime: cheaper than ngx.update_time, which
-- formats nginx's cached time strings at every call).
local now = core.now

local function ms_since(t) return math.floor((now() - t) * 1000) end

-- Connects (or takes a connection from the pool) and makes TLS; returns
-- sock, reused or nil, kind, message, code.
local function open(self, deadline, started)
  local ngx = ngx_api()
  local sock = ngx.socket.tcp()
  local left = math.max(math.floor((deadline - now()) * 1000), 1)
  sock:settimeouts(math.min(self.connect_timeout, left), left, left)
  local ok, err = sock:connect(self.addr, self.port, self.connect_opts)
  if not ok then
    if err == "timeout" then
      return fail("timeout", ("Connection timed out after %d milliseconds"):format(ms_since(started)),
        CURLE_OPERATION_TIMEDOUT)
    end
    if tostring(err):find("resolve", 1, true) or tostring(err):find("no resolver", 1, true) then
      return fail("network", ("Could not resolve host: %s (%s; nginx looks host names up with the resolver " ..
        "nginx.conf names: \"resolver 127.0.0.53;\" or your DNS server)"):format(self.host, tostring(err)),
        CURLE_COULDNT_RESOLVE_HOST)
    end
    return fail("network", ("Failed to connect to %s port %d after %d ms: %s"):format(self.host, self.port,
      ms_since(started), tostring(err)), CURLE_COULDNT_CONNECT)
  end
  local reused = (sock:getreusedtimes() or 0) > 0
  if self.tls and not reused then
    local session, herr = sock:sslhandshake(nil, self.host, self.verify)
    if not session then
      sock:close()
      if herr == "timeout" then
        return fail("timeout", ("Operation timed out after %d milliseconds during the TLS handshake"):format(
          ms_since(started)), CURLE_OPERATION_TIMEDOUT)
      end
      local e = tostring(herr)
      if self.verify and (e:find("certificate", 1, true) or e:find("verify", 1, true) or e:find("issuer", 1, true)) then
        return fail("tls", ("TLS certificate verification failed for %s: %s (nginx verifies against the CA " ..
          "bundle that nginx.conf names: \"lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;\" " ..
          "and \"lua_ssl_verify_depth 5;\" in http { })"):format(self.host, e), CURLE_PEER_FAILED_VERIFICATION)
      end
      return fail("tls", ("TLS connect error with %s: %s"):format(self.host, e), CURLE_SSL_CONNECT_ERROR)
    end
  end
  return sock, reused
end

-- what attempt returns when a connection taken from the pool turned out
-- closed by the server before it answered: another one is tried
local RETRY = {}

local function timed_out(sock, started, got)
  sock:close()
  return fail("timeout", ("Operation timed out after %d milliseconds with %d bytes received"):format(
    ms_since(started), got), CURLE_OPERATION_TIMEDOUT)
end

-- One attempt on one connection: RETRY, or the request's returns (at most
-- six: no table between the codec and the caller).
local function attempt(self, bytes, deadline, started)
  local sock, reused, msg, code = open(self, deadline, started)
  if not sock then return nil, reused, msg, code end
  local h = self.h1
  local sent, serr = sock:send(bytes)
  if not sent then
    sock:close()
    if reused then return RETRY end
    if serr == "timeout" then return timed_out(sock, started, 0) end
    return fail("network", "Failed sending data to the peer: " .. tostring(serr), CURLE_SEND_ERROR)
  end
  local got = 0
  while true do
    local left = math.floor((deadline - now()) * 1000)
    if left <= 0 then return timed_out(sock, started, got) end
    -- what has come, never a fixed count: nginx times a read from its last
    -- byte, so a server that trickles would hold receive(n) past the deadline
    sock:settimeout(left)
    local data, rerr = sock:receiveany(READ_SIZE)
    local s1, s2, s3, s4, s5, s6
    if data then
      got = got + #data
      s1, s2, s3, s4, s5, s6 = h:feed(data)
    elseif rerr == "closed" then
      if got == 0 and reused then
        sock:close()
        return RETRY
      end
      s1, s2, s3, s4, s5, s6 = h:eof()
    elseif rerr == "timeout" then
      return timed_out(sock, started, got)
    else
      sock:close()
      if got == 0 and reused then return RETRY end
      return fail("network", "Failure when receiving data from the peer: " .. tostring(rerr), CURLE_RECV_ERROR)
    end
    if s1 ~= false then
      if s1 ~= nil and h:keepalive() then
        if not sock:setkeepalive(KEEPALIVE_MS) then sock:close() end
      else
        sock:close()
      end
      return s1, s2, s3, s4, s5, s6
    end
  end
end

local MAX_ATTEMPTS = 4

local function go(self, n, started, deadline, method, target, body, headers, shape)
  -- (written again for another attempt: the codec then waits afresh)
  local bytes = self.h1:request(method, target, body, headers, shape)
  local s1, s2, s3, s4, s5, s6 = attempt(self, bytes, deadline, started)
  if s1 ~= RETRY then return s1, s2, s3, s4, s5, s6 end
  if n >= MAX_ATTEMPTS then
    return fail("network", "the server closed the connection before answering (kept-alive connections, four times)",
      CURLE_RECV_ERROR)
  end
  return go(self, n + 1, started, deadline, method, target, body, headers, shape)
end

--- As `pinanalytics.core.Session:request`, on a cosocket: the light thread
-- yields while it waits. A connection from the pool that the server closed
-- meanwhile is replaced by another, as libcurl replaces it.
-- @return what `pinanalytics.core.Session:request` returns
function Conn:request(method, target, body, headers, shape)
  local started = now()
  return go(self, 1, started, started + self.timeout / 1000, method, target, body, headers, shape)
end

--- Functions.
-- @section functions

--- One for `pinanalytics.core.session`'s options (token included).
-- @tab opts
-- @treturn Conn
function M.conn(opts)
  local h = core.h1(opts)
  local host, port, tls, verify = h:endpoint()
  local addr = host
  -- nginx looks a name up with its resolver (nginx.conf), which knows
  -- nothing of /etc/hosts: localhost is the loopback address
  if host:lower() == "localhost" then addr = "127.0.0.1" end
  if addr:find(":", 1, true) then addr = "[" .. addr .. "]" end
  local self = setmetatable({
    h1 = h, host = host, addr = addr, port = port, tls = tls, verify = verify,
    timeout = (opts.timeout or 30) * 1000, connect_timeout = (opts.connect_timeout or 10) * 1000,
  }, Conn)
  -- a pool per host, port, TLS and server name (and verification: a
  -- connection not verified is never handed to a client that verifies)
  self.pool = "pinanalytics:" .. addr .. ":" .. port .. (tls and (":tls:" .. host .. (verify and ":v" or ":nv")) or "")
  self.connect_opts = { pool = self.pool }
  return self
end

return M
