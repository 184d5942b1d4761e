-- `pinanalytics overview` sends its independent requests together: the
-- account's two periods and the list of its pins at once, then the pins'
-- figures (concurrently, paced, as bulk work is), with the same figures as
-- the requests one after another give.
local cjson = require "cjson"
local H = require "helpers.sim"
local C = require "helpers.cli"
local cli = require "pinanalytics.cli"
local core = require "pinanalytics.core"
local pa = require "pinanalytics"

local run = C.run

-- A file handle that keeps what is written to it.
local function sink()
  local t = { parts = {} }
  function t.write(self, ...)
    for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
    return self
  end
  function t.flush() return true end
  function t.text(self) return table.concat(self.parts) end
  return t
end

describe("pinanalytics overview: requests together", function()
  local sim, env
  setup(function()
    sim = H.start()
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  -- The overview as the library makes it with one request after another:
  -- both periods, the first n pins of GET /pins, their figures.
  local function sequential(last, n)
    local client = H.client(sim)
    local range = pa.dates.last(last, { clock = H.clock })
    local cur = assert(client:user_account_analytics { range = range })
    local prev_range = range:previous()
    local prev, _, info = client:user_account_analytics { range = prev_range, clamp = true }
    assert(prev)
    if info and info.range then prev_range = info.range end
    local ids, items = {}, {}
    for p in client:list_pins({ page_size = n }):items() do
      if #ids >= n then break end
      ids[#ids + 1] = p.id
      items[p.id] = p
    end
    local results, errs = client:pins_analytics(ids, { range = range,
      metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "TOTAL_COMMENTS", "TOTAL_REACTIONS" } })
    local meta = require("pinanalytics.pinmeta").fetch(client, ids, { items = items })
    client:close()
    assert.same({}, errs)
    assert.equal(n, #ids)
    local ov = pa.report.overview(cur, prev, { pins = results, range = range, previous_range = prev_range,
      meta = meta })
    return cjson.decode(pa.report.render("json", ov))
  end

  it("--last 7 --pins 20 with 1 s of latency: the requests overlap, the figures are the same", function()
    sim:configure { latency_ms = 1000 }
    sim:reset_stats()
    sim:clear_log()
    local t0 = core.now()
    local code, out, err = run("overview --last 7 --pins 20 --no-progress --format json", env)
    local took = core.now() - t0
    assert.equal(0, code, err)
    -- five requests: the two periods, one page of pins (not a page more), the
    -- board names, the 20 pins' figures in one request (GET /pins/analytics)
    local paths = {}
    for _, r in ipairs(sim:requests()) do paths[#paths + 1] = r.path end
    table.sort(paths)
    assert.same({ "/v5/boards", "/v5/pins", "/v5/pins/analytics", "/v5/user_account/analytics",
      "/v5/user_account/analytics" }, paths)
    -- the server saw four requests in flight at once: the two periods, the
    -- list and the board names (the pins' figures are one request, sent once
    -- the list is back)
    assert.equal(4, sim:stats().peak_inflight)
    -- one after another, four round trips of 1 s; together two (about 2.1 s
    -- here without load), under the 3.5 s that would leave room for a third
    assert.is_true(took < 3.5, string.format("took %.2f s", took))
    sim:configure { latency_ms = 0 }
    assert.same(sequential(7, 20), cjson.decode(out))
  end)

  it("--pins 0: the two periods are asked for at once", function()
    sim:configure { latency_ms = 300 }
    sim:reset_stats()
    local code, out, err = run("overview --last 14 --pins 0 --format json", env)
    sim:configure { latency_ms = 0 }
    assert.equal(0, code, err)
    assert.equal(2, sim:stats().peak_inflight)
    local r = cjson.decode(out)
    assert.equal("overview", r.kind)
    assert.is_true(#r.metrics > 0)
  end)

  it("without luv, one request after another: the same report", function()
    local saved_loaded, saved_preload = package.loaded.luv, package.preload.luv
    package.loaded.luv = nil
    package.preload.luv = function() error("module 'luv' not found (the spec hides it)") end
    local out, err = sink(), sink()
    local ok, code = pcall(cli.main, { "overview", "--last", "7", "--pins", "5", "--format", "json" },
      { getenv = function(k) return env[k] end, stdout = out, stderr = err, isatty = function() return false end,
        clock = H.clock })
    package.loaded.luv, package.preload.luv = saved_loaded, saved_preload
    assert.is_true(ok, tostring(code))
    assert.equal(0, code, err:text())
    assert.same(sequential(7, 5), cjson.decode(out:text()))
  end)

  it("Ctrl-C while the requests are in flight: stopped at once, exit 130, nothing written", function()
    sim:configure { latency_ms = 3000 }
    local err_file = C.tmpname()
    local t0 = core.now()
    local h = assert(io.popen(C.CLEAN .. " " .. C.envs(env) .. " " .. C.LUA .. " bin/pinanalytics overview --last 7 " ..
      "--pins 5 --no-progress >/dev/null 2>" .. err_file .. " </dev/null & pid=$!; sleep 1; kill -INT $pid; " ..
      "wait $pid; echo $?"))
    local code = tonumber(h:read("*a"):match("(%d+)%s*$"))
    h:close()
    local took = core.now() - t0
    sim:configure { latency_ms = 0 }
    local err = C.read(err_file)
    os.remove(err_file)
    assert.equal(130, code, err)
    assert.equal("pinanalytics: interrupted: nothing was written\n", err)
    assert.is_true(took < 2.5, string.format("took %.2f s", took)) -- the answers were 3 s away
  end)

  it("a request that fails fails the overview, naming it, once the others are back", function()
    sim:configure { override = { ["/v5/pins"] = { status = 500, body = '{"code":1,"message":"list down"}' } } }
    local code, _, err = run("overview --last 7 --pins 3 --retries 0", env)
    sim:configure { override = {} }
    assert.equal(1, code)
    assert.truthy(err:find("list down", 1, true), err)
    assert.falsy(err:find("internal error", 1, true), err)
  end)
end)
