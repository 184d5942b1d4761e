-- Ctrl-C while a report's single request is in flight (GET
-- /pins/{id}/analytics, GET /user_account/analytics): the tool says it was
-- interrupted and exits 130, as it does for a bulk run. It must not turn the
-- interrupt into an answer that "is not valid JSON" (exit 1).
local H = require "helpers.sim"
local C = require "helpers.cli"

describe("pinanalytics on Ctrl-C during a single request", function()
  local sim, env
  setup(function()
    sim = H.start { latency_ms = 1500 }
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  local function in_flight() return sim:stats().inflight > 0 end

  for _, args in ipairs({ "pin 813744226420795884 --last 7", "account --last 7" }) do
    it(args .. ": exit 130, 'interrupted: nothing was written'", function()
      sim:clear_log()
      local t = C.spawn(args, env)
      assert.is_true(C.eventually(20, in_flight))
      t.signal("INT")
      local code, stdout, err = t.wait(30)
      assert.equal("", stdout)
      assert.equal("pinanalytics: interrupted: nothing was written\n", err)
      assert.equal(130, code, err)
    end)
  end

  it("sync: Ctrl-C during GET /user_account/analytics stops the sync (exit 130), no pin is fetched after it", function()
    local h = assert(io.popen("mktemp -d /tmp/pa-review-int.XXXXXX"))
    local dir = h:read("*l")
    h:close()
    sim:clear_log()
    local t = C.spawn("sync --store " .. C.q(dir .. "/s.db") .. " --pins " .. table.concat(H.ids(3, 7210000), ",") ..
      " --account", env)
    assert.is_true(C.eventually(20, function()
      for _, r in ipairs(sim:requests()) do if r.path == "/v5/user_account" then return in_flight() end end
      return false
    end))
    -- GET /user_account answered, GET /user_account/analytics in flight
    os.execute("sleep 1.7")
    t.signal("INT")
    local code, _, err = t.wait(30)
    os.execute("rm -rf " .. C.q(dir))
    assert.is_nil(err:find("not valid JSON", 1, true), err)
    assert.equal(130, code, err)
  end)
end)
