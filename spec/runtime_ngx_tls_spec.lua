-- The "ngx" runtime's cosocket transport over HTTPS: the simulator behind a
-- TLS server of the same nginx, with a certificate for "localhost" that this
-- spec makes (openssl). Verification is on: against the bundle nginx.conf
-- names (lua_ssl_trusted_certificate), host name included; without it the
-- error names the line to add. nginx.conf has no thread_pool.
local H = require "helpers.sim"
local host = require "helpers.host"
local R = require "helpers.runtime"

local PIN = "555000111"
local CLIENT, SECRET, REFRESH = "app-1234", "app-secret-77f1", "sim-rt-initial-1"

describe("runtime ngx over HTTPS (cosockets)", function()
  local sim, ngx_server, dir, expected, tls_port

  local function log_tail()
    return "\nnginx error log:\n" .. ngx_server:error_log():sub(-3000)
  end

  local function handler(body)
    return "content_by_lua_block {\n" ..
      "local pa = require 'pinanalytics'\n" ..
      -- (TLS2: the same server on another port, whose connections no request
      -- with the trusted bundle put in nginx's pool)
      string.format("local TLS, TLS2, IP, TOKEN, D1, D2, PIN = %q, %q, %q, %q, %q, %q, %q\n",
        "https://localhost:" .. tls_port .. "/v5", "https://localhost:" .. (tls_port + 1) .. "/v5",
        "https://127.0.0.1:" .. tls_port .. "/v5", H.TOKEN,
        H.day(-10), H.day(-1), PIN) ..
      string.format("local CLIENT, SECRET, REFRESH = %q, %q, %q\n", CLIENT, SECRET, REFRESH) ..
      "local P = { start_date = D1, end_date = D2, metric_types = { 'IMPRESSION' } }\n" ..
      body .. "\n}"
  end

  setup(function()
    local out, code = R.run("command -v openssl")
    assert(code == 0, "openssl is not installed (Debian: openssl; make test installs it): " .. out)
    dir = host.capture("mktemp -d /tmp/pa-tls-XXXXXX"):gsub("%s+$", "")
    out, code = R.run("cd " .. host.sh_quote(dir) .. " && openssl req -x509 -newkey ec " ..
      "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 2 " ..
      "-subj /CN=localhost -addext subjectAltName=DNS:localhost 2>&1")
    assert(code == 0, "openssl could not make the certificate: " .. out)
    sim = H.start { client_id = CLIENT, client_secret = SECRET, refresh_token = REFRESH }
    local c = H.client(sim)
    local res = assert(c:pin_analytics(PIN, { start_date = H.day(-10), end_date = H.day(-1),
      metric_types = { "IMPRESSION" } }))
    expected = res.all.summary_metrics.IMPRESSION
    c:close()
    local origin = sim.pinterest_url:match("^(http://[^/]+)")
    local trust = "lua_ssl_trusted_certificate " .. dir .. "/cert.pem;"
    for _ = 1, 5 do
      tls_port = math.random(20000, 59998)
      local ok, srv = pcall(host.nginx, table.concat({
        "server {",
        "  listen 127.0.0.1:" .. tls_port .. " ssl;",
        "  listen 127.0.0.1:" .. (tls_port + 1) .. " ssl;",
        "  ssl_certificate " .. dir .. "/cert.pem;",
        "  ssl_certificate_key " .. dir .. "/key.pem;",
        "  location / { proxy_pass " .. origin .. "; proxy_http_version 1.1; proxy_set_header Connection \"\";",
        "    add_header X-Tls-Requests $connection_requests always; }",
        "}" }, "\n"), table.concat({
        "location = /fetch { " .. trust .. handler([[
          local c = pa.pinterest{ token = TOKEN, base_url = TLS }
          local res, err = c:pin_analytics(PIN, P)
          c:close()
          if not res then ngx.say("error ", tostring(err)) return end
          ngx.say(c.rt.transport, " ", res.all.summary_metrics.IMPRESSION)]]) .. " }",
        "location = /bulk { " .. trust .. handler([[
          local c = pa.pinterest{ token = TOKEN, base_url = TLS, concurrency = 3 }
          local res, errs = c:pins_analytics({ PIN, "555000112", "555000113" }, P)
          c:close()
          local n = 0
          for _ in pairs(res) do n = n + 1 end
          ngx.say(n, " ", tostring(select(2, next(errs)) or "none"), " ", res[PIN].all.summary_metrics.IMPRESSION)]]) ..
          " }",
        -- no token: the client refreshes it first (POST /oauth/token with HTTP Basic)
        "location = /refresh { " .. trust .. handler([[
          local c = pa.pinterest{ base_url = TLS, client_id = CLIENT, client_secret = SECRET, refresh_token = REFRESH }
          local res, err = c:user_account()
          c:close()
          ngx.say(res and ("ok " .. res.username) or ("error " .. tostring(err)))]]) .. " }",
        -- the connection is kept: the TLS server counts the requests it carried
        "location = /keep { " .. trust .. handler([[
          local rt = require("pinanalytics.runtime").new { runtime = "ngx" }
          local s = rt.session { base_url = TLS, token = TOKEN }
          local seen = {}
          for i = 1, 5 do
            local status, headers = s:request("GET", "/user_account")
            seen[i] = status .. ":" .. tostring(headers and headers["x-tls-requests"])
          end
          s:close()
          ngx.say(table.concat(seen, " "))]]) .. " }",
        "location = /untrusted { " .. handler([[
          local c = pa.pinterest{ token = TOKEN, base_url = TLS2 }
          local res, err = c:user_account()
          ngx.say(res and "ok" or (err.kind .. " " .. err.message))]]) .. " }",
        "location = /wrong_host { " .. trust .. handler([[
          local c = pa.pinterest{ token = TOKEN, base_url = IP }
          local res, err = c:user_account()
          ngx.say(res and "ok" or (err.kind .. " " .. err.message))]]) .. " }",
        "location = /no_verify { " .. handler([[
          local c = pa.pinterest{ token = TOKEN, base_url = IP, tls_verify = false }
          local res, err = c:user_account()
          ngx.say(res and ("ok " .. res.username) or ("error " .. tostring(err)))]]) .. " }",
        "location = /ca_file { " .. handler([[
          local ok, err = pcall(pa.pinterest, { token = TOKEN, base_url = TLS, ca_file = "/etc/x.pem" })
          ngx.say(tostring(ok), " ", tostring(err))]]) .. " }",
      }, "\n"), "")
      if ok then ngx_server = srv break end
      -- the TLS ports taken: host.nginx tried other ports for its own in vain
      if not (tostring(srv):find("Address already in use", 1, true) or tostring(srv):find("no free port", 1, true)) then
        error(srv, 0)
      end
    end
    assert(ngx_server, "no free port for the TLS server")
  end)

  teardown(function()
    if ngx_server then ngx_server:stop() end
    if sim then sim:stop() end
    if dir then os.execute("rm -rf " .. host.sh_quote(dir)) end
  end)

  it("fetches a pin's analytics over verified TLS, with no thread_pool in nginx.conf", function()
    local r = host.curl_many(ngx_server.url, { { path = "/fetch", name = "f" } })
    assert.equal("cosocket " .. expected .. "\n", r.f.body, log_tail())
    assert.is_nil(host.read_file(ngx_server.prefix .. "/nginx.conf"):find("thread_pool", 1, true))
  end)

  it("runs the bulk engine over TLS: light threads, one request each", function()
    local r = host.curl_many(ngx_server.url, { { path = "/bulk", name = "b" } })
    assert.equal("3 none " .. expected .. "\n", r.b.body, log_tail())
  end)

  it("refreshes the token with a POST (HTTP Basic) over TLS, then uses it", function()
    local r = host.curl_many(ngx_server.url, { { path = "/refresh", name = "r" } })
    assert.matches("^ok %S+\n$", r.r.body, log_tail())
    local posted
    for _, q in ipairs(sim:requests()) do
      if q.method == "POST" and q.path == "/v5/oauth/token" then posted = q end
    end
    assert.is_table(posted)
    assert.equal(200, posted.status)
  end)

  it("keeps the TLS connection in nginx's pool between requests", function()
    local r = host.curl_many(ngx_server.url, { { path = "/keep", name = "k" } })
    local seen = {}
    for status, n in r.k.body:gmatch("(%d+):(%d+)") do
      assert.equal("200", status)
      seen[#seen + 1] = tonumber(n)
    end
    assert.equal(5, #seen, r.k.body .. log_tail())
    for i = 2, 5 do assert.equal(seen[1] + i - 1, seen[i], r.k.body) end
  end)

  it("without lua_ssl_trusted_certificate the error is kind tls and names the line to add", function()
    local r = host.curl_many(ngx_server.url, { { path = "/untrusted", name = "u" } })
    assert.matches("^tls TLS certificate verification failed for localhost: ", r.u.body, log_tail())
    assert.truthy(r.u.body:find('"lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;"', 1, true),
      r.u.body)
  end)

  it("checks the host name: a certificate for localhost does not serve 127.0.0.1", function()
    local r = host.curl_many(ngx_server.url, { { path = "/wrong_host", name = "w" } })
    assert.matches("^tls ", r.w.body, log_tail())
    assert.truthy(r.w.body:find("127.0.0.1", 1, true), r.w.body)
  end)

  it("turns verification off only when asked by name (tls_verify = false)", function()
    local r = host.curl_many(ngx_server.url, { { path = "/no_verify", name = "n" } })
    assert.matches("^ok %S+\n$", r.n.body, log_tail())
  end)

  it("refuses ca_file on cosockets, naming nginx.conf's line and the threads transport", function()
    local r = host.curl_many(ngx_server.url, { { path = "/ca_file", name = "c" } })
    assert.equal("false pinanalytics.pinterest:new: option ca_file cannot apply to the cosocket transport of " ..
      "runtime \"ngx\": nginx verifies certificates against the bundle nginx.conf names " ..
      "(lua_ssl_trusted_certificate /etc/x.pem;); name it there, or set transport = \"threads\"\n", r.c.body)
  end)
end)
