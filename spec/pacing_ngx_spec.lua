-- Pacing and what clients share in OpenResty, where a client is often made
-- per request and many handlers wait at once: `rate` holds for all of them
-- (one worker, and every worker through a lua_shared_dict) against a server
-- that enforces it, and what one client learnt about GET /pins/analytics
-- the next clients of the same server and token know.
local H = require "helpers.sim"
local host = require "helpers.host"

local PIN = "555000111"
-- 25 handlers at 10 a second: the last token is due 2.4 s after the first
local N, RATE = 25, 10

local NOT_PERMITTED = '{"code":29,"message":"You are not permitted to access that resource."}'

local function handler(sim, body)
  return "content_by_lua_block {\n" ..
    "local pa = require 'pinanalytics'\n" ..
    string.format("local URL, TOKEN, D1, D2, PIN, RATE = %q, %q, %q, %q, %q, %d\n", sim.pinterest_url, H.TOKEN,
      H.day(-10), H.day(-1), PIN, RATE) ..
    body .. "\n}"
end

-- The ids of the workers that answered, as a sorted list.
local function workers_of(r, n)
  local seen, list = {}, {}
  for i = 1, n do
    local w = r[i].body and r[i].body:match("worker (%d+)")
    if w and not seen[w] then
      seen[w] = true
      list[#list + 1] = w
    end
  end
  table.sort(list)
  return list
end

describe("pacing in OpenResty", function()
  local sim

  setup(function()
    -- the server's bucket holds 2: the client's burst (1 at 10/s) and one
    -- more for the jitter between leaving the client and reaching the server
    sim = H.start { rate_limit = { per_second = RATE, burst = 2 } }
  end)
  teardown(function() if sim then sim:stop() end end)

  local function paced_server(workers, shared)
    return host.nginx("lua_shared_dict pa_rate 1m;", "location = /paced { " .. handler(sim, string.format([[
      local c = pa.pinterest{ token = TOKEN, base_url = URL, retries = 0, rate = { per_second = RATE },
        shared_dict = %s }
      local res, err = c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
      c:close()
      if not res then ngx.status = 502; ngx.say("error ", tostring(err)); return end
      ngx.say("ok worker ", ngx.worker.id())]], shared and '"pa_rate"' or "nil")) .. " }", nil, workers)
  end

  local function at_once(server)
    sim:reset_stats()
    local reqs = {}
    for i = 1, N do reqs[i] = { path = "/paced", name = i } end
    local r = host.curl_many(server.url, reqs)
    return r, sim:stats()
  end

  local function check(server, r, st)
    local log = "\nnginx error log:\n" .. server:error_log():sub(-2000)
    for i = 1, N do
      assert.equal(200, r[i].status, tostring(r[i].body) .. log)
    end
    assert.equal(N, st.requests)
    assert.equal(0, st.rate_limited)
    -- paced: the last one cannot have left before 2.4 s (a bound, not a speed)
    assert.is_true(r.elapsed >= (N - 1) / RATE - 0.1, ("%d handlers took %.2f s"):format(N, r.elapsed))
  end

  it("25 handlers at once in one worker at 10/s: no 429, all succeed", function()
    local server = paced_server(1, false)
    local ok, err = pcall(function()
      local r, st = at_once(server)
      check(server, r, st)
    end)
    server:stop()
    assert(ok, err)
  end)

  it("25 handlers at once in two workers sharing a lua_shared_dict at 10/s: no 429, all succeed", function()
    local server = paced_server(2, true)
    local ok, err = pcall(function()
      local r, st = at_once(server)
      check(server, r, st)
      assert.same({ "0", "1" }, workers_of(r, N)) -- both workers took part
    end)
    server:stop()
    assert(ok, err)
  end)
end)

describe("the multi-pin endpoint's refusal in OpenResty", function()
  local sim, n_token = nil, 0

  before_each(function()
    n_token = n_token + 1
    sim = H.start { token = H.TOKEN .. "-n" .. n_token,
      override = { ["/v5/pins/analytics"] = { status = 403, body = NOT_PERMITTED } } }
  end)
  after_each(function() if sim then sim:stop() end end)

  -- a client per request, with the token the request names
  local function refusal_server(workers, shared)
    return host.nginx("lua_shared_dict pa_rate 1m;", "location = /multi { " .. handler(sim, string.format([[
      local c = pa.pinterest{ token = ngx.var.arg_token, base_url = URL, retries = 0, shared_dict = %s }
      local res, errs = c:pins_analytics({ "7500001", "7500002" }, { start_date = D1, end_date = D2,
        metric_types = { "IMPRESSION" } })
      c:close()
      local n = 0
      for _ in pairs(res) do n = n + 1 end
      if next(errs) then ngx.status = 502; ngx.say("error ", tostring(select(2, next(errs)))); return end
      ngx.say(n, " worker ", ngx.worker.id())]], shared and '"pa_rate"' or "nil")) .. " }", nil, workers)
  end

  local function multi_requests()
    local n = 0
    for _, r in ipairs(sim:requests()) do
      if r.path == "/v5/pins/analytics" then n = n + 1 end
    end
    return n
  end

  local function get(server, token, n)
    local reqs = {}
    for i = 1, n or 1 do reqs[i] = { path = "/multi?token=" .. token, name = i } end
    local r = host.curl_many(server.url, reqs)
    for i = 1, n or 1 do
      assert.equal(200, r[i].status, tostring(r[i].body) .. server:error_log():sub(-2000))
      assert.truthy(r[i].body:find("^2 worker"), r[i].body)
    end
    return r
  end

  it("a client made per request learns from the one before: 0 requests to GET /pins/analytics", function()
    local server = refusal_server(1, false)
    local ok, err = pcall(function()
      local tok = sim.token
      get(server, tok)
      assert.equal(1, multi_requests())
      sim:clear_log()
      get(server, tok)
      assert.equal(0, multi_requests())
      -- another token: its clients still ask
      local other = tok .. "-other"
      sim:configure { token = other }
      sim:clear_log()
      get(server, other)
      assert.equal(1, multi_requests())
    end)
    server:stop()
    assert(ok, err)
  end)

  it("with shared_dict every worker knows it", function()
    local server = refusal_server(2, true)
    local ok, err = pcall(function()
      local tok = sim.token
      get(server, tok)
      assert.equal(1, multi_requests())
      sim:clear_log()
      local r = get(server, tok, 10)
      assert.equal(0, multi_requests())
      assert.same({ "0", "1" }, workers_of(r, 10)) -- both workers answered
    end)
    server:stop()
    assert(ok, err)
  end)
end)
