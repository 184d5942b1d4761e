-- The fault matrix (spec/helpers/faults.lua) on the "ngx" runtime's cosocket
-- transport: each broken answer or transport gives the error of the same
-- kind, status and words as on libcurl (fault_matrix_spec), after as many
-- tries, for one pin and for the bulk engine; no secret in any of it.
local H = require "helpers.sim"
local F = require "helpers.faults"
local host = require "helpers.host"

local PIN = F.PIN
local ONE_PATH = "/v5/pins/" .. PIN .. "/analytics"
local BULK_PATH = "/v5/pins/analytics"

describe("fault matrix on runtime ngx, transport cosocket", function()
  local sim, other, ngx_server

  local function log_tail()
    return "\nnginx error log:\n" .. ngx_server:error_log():sub(-2000)
  end

  local dead_url

  setup(function()
    sim = H.start {}
    other = H.start {} -- the host a redirect points to
    local dead = H.start {} -- a port where nothing listens any more
    dead_url = dead.url
    dead:stop()
    local cases = {}
    for i, case in ipairs(F.cases) do
      local o = F.client_opts(case, { retries = 1 })
      local fields = {}
      for k, v in pairs(o) do fields[#fields + 1] = string.format("%s = %s", k, tostring(v)) end
      cases[i] = "{ " .. table.concat(fields, ", ") .. " }"
    end
    ngx_server = host.nginx(nil, "location = /dead { content_by_lua_block {\n" ..
      "local pa = require 'pinanalytics'\n" ..
      string.format("local c = pa.pinterest { token = %q, base_url = %q, retries = 1, timeout = 1 }\n", H.TOKEN,
        dead_url .. "/v5") .. [[
      local res, err = c:user_account()
      ngx.say(res and "an answer" or (err.kind .. " " .. tostring(err)))]] .. "\n} }\n" ..
      "location = /run { content_by_lua_block {\n" ..
      "local pa = require 'pinanalytics'\n" ..
      string.format("local URL, TOKEN, PIN, D1, D2 = %q, %q, %q, %q, %q\n", sim.pinterest_url, H.TOKEN, PIN,
        H.day(-13), H.day(0)) ..
      "local CASES = { " .. table.concat(cases, ", ") .. " }\n" .. [[
      local o = CASES[tonumber(ngx.var.arg_case)]
      o.token, o.base_url = TOKEN, URL
      local c = pa.pinterest(o)
      local P = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION", "SAVE", "SAVE_RATE" } }
      local errs = {}
      if ngx.var.arg_bulk then
        local res, es = c:pins_analytics({ PIN, "900000000000007919", "900000000000015838" }, P)
        if next(res) then ngx.say("results ", tostring(next(res))) return end
        for _, e in pairs(es) do errs[#errs + 1] = e end
      else
        local res, err = c:pin_analytics(PIN, P)
        if res then ngx.say("an answer") return end
        errs[1] = err
      end
      c:close()
      ngx.say(c.rt.transport, " ", #errs)
      for _, e in ipairs(errs) do
        ngx.say(e.kind, "\t", tostring(e.status), "\t", tostring(e), "\t", e.raw and ngx.encode_base64(e.raw) or "-")
      end]] .. "\n} }", "")
  end)

  teardown(function()
    if ngx_server then ngx_server:stop() end
    if sim then sim:stop() end
    if other then other:stop() end
  end)

  local function arm(case, path)
    local ov = case.fault { redirect_to = other.url .. path .. "?{query}" }
    sim:configure { override = { [path] = ov } }
    sim:clear_log()
    other:clear_log()
  end

  it("a port where nothing listens: kind network, libcurl's words, after the retries", function()
    local r = host.curl_many(ngx_server.url, { { path = "/dead", name = "d" } })
    local port = dead_url:match(":(%d+)$")
    assert.matches("^network pinanalytics: network: Failed to connect to 127%.0%.0%.1 port " .. port ..
      " after %d+ ms: connection refused %(after 2 tries", r.d.body, log_tail())
  end)

  for i, case in ipairs(F.cases) do
    for _, bulk in ipairs({ false, true }) do
      local path = bulk and BULK_PATH or ONE_PATH
      local tries = case.transient and 2 or 1
      it(case.name .. (bulk and ", pins_analytics" or ", pin_analytics") .. ": kind " .. case.kind .. " after " ..
        tries .. " tries", function()
        arm(case, path)
        local r = host.curl_many(ngx_server.url, { { path = "/run?case=" .. i .. (bulk and "&bulk=1" or ""),
          name = "r" } })
        assert.equal(200, r.r.status, tostring(r.r.body) .. log_tail())
        local n = tonumber(r.r.body:match("^cosocket (%d+)\n"))
        assert.equal(bulk and 3 or 1, n, r.r.body .. log_tail())
        for line in r.r.body:gmatch("\n([^\n]+)") do
          local kind, status, text, raw = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
          assert.equal(case.kind, kind, line)
          assert.equal(tostring(case.status), status, line)
          assert.equal("pinanalytics: " .. kind .. ": ", text:sub(1, #kind + 16), line)
          if case.says then assert.truthy(text:lower():find(case.says:lower(), 1, true), line) end
          if case.raw then assert.equal(require("pinanalytics.http").base64(case.raw), raw) end
          assert.is_nil(text:find(H.TOKEN, 1, true))
        end
        assert.equal(tries, F.tries(sim, path))
        assert.equal(0, #other:requests())
      end)
    end
  end
end)
