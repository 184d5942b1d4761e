-- sync --all-accounts on several hosts at once, played by three worker
-- processes on one PostgreSQL store (spec/helpers/pg.lua): they share the
-- accounts through the store's claims, every account is synced once in the
-- round; a worker killed with SIGKILL in the middle leaves its claims to
-- the others once its lease (2 s here) has run out.
local C = require "helpers.cli"
local H = require "helpers.sim"
local X = require "helpers.child"
local pa = require "pinanalytics"

local pg, why = require("helpers.pg").start()
if not pg then
  print("cli_sync_workers_pg_spec skipped: " .. why)
  describe("sync --all-accounts, three workers on PostgreSQL", function()
    pending("skipped: " .. why)
  end)
  return
end

local NACCOUNTS = 50
local NAMES = {}
for i = 1, NACCOUNTS do NAMES[i] = string.format("shop_%02d", i) end
local function token_of(name) return "tok-" .. name .. "-5e0f" end

local HOST = (function()
  local f = io.open("/proc/sys/kernel/hostname", "rb")
  local s = f and f:read("*l") or "localhost"
  if f then f:close() end
  return (s:gsub("[^%w_.%-]", ""))
end)()

local function sleep(s) os.execute("sleep " .. s) end

describe("sync --all-accounts, three workers on PostgreSQL", function()
  local sim, dir, creds
  setup(function()
    local accounts = {}
    for _, name in ipairs(NAMES) do accounts[name] = { token = token_of(name), pins_count = 3 } end
    sim = H.start { accounts = accounts, latency_ms = 100 }
    local h = assert(io.popen("mktemp -d"))
    dir = h:read("*l")
    h:close()
    creds = dir .. "/credentials.json"
    local cs = pa.credentials.open(creds)
    for _, name in ipairs(NAMES) do
      assert(cs:put(name, { access_token = token_of(name), refresh_token = "rt-" .. name, expires_in = 30 * 86400 }))
    end
  end)
  teardown(function()
    if sim then sim:stop() end
    if dir then os.execute("rm -rf " .. C.q(dir)) end
    pg.stop()
  end)

  -- Starts worker i in the background: its pid (the Lua process's), and the
  -- files its exit status and output go to.
  local function start_worker(uri, i, lease)
    local base = dir .. "/" .. uri:match("[^/]+$") .. "-w" .. i
    local cmd = C.CLEAN .. " PINTEREST_BASE_URL=" .. C.q(sim.pinterest_url) .. " " ..
      X.bounded(120, C.LUA) .. " bin/pinanalytics sync --all-accounts --credentials " .. C.q(creds) ..
      " --store " .. C.q(uri) .. " --account --all-pins --days 3 --jobs 2 --lease " .. lease
    -- the worker runs under timeout: its pid is timeout's child's
    os.execute("sh -c " .. C.q("(" .. cmd .. " >" .. base .. ".out 2>" .. base .. ".err; echo $? >" .. base ..
      ".rc) & echo $! >" .. base .. ".sh") .. " </dev/null")
    return base
  end
  local function wait_done(base)
    for _ = 1, 600 do
      if C.read(base .. ".rc") then return tonumber(C.read(base .. ".rc"):match("%d+")) end
      sleep(0.1)
    end
    error("worker " .. base .. " did not end")
  end
  local function claims_of(uri)
    local st = assert(pa.store.open(uri))
    local c = assert(st:claims { worker = "spec", round = pa.dates.today() })
    local status = assert(c:status(NAMES))
    st:close()
    return status
  end
  local function user_account_asks()
    local by = {}
    for _, r in ipairs(sim:requests()) do
      if r.path == "/v5/user_account" and r.status == 200 then by[r.account] = (by[r.account] or 0) + 1 end
    end
    return by
  end

  it("three workers and 50 accounts: every account synced once, the work shared", function()
    local uri = pg.uri("workers_once")
    assert(pa.store.open(uri)):close() -- the schema, made once
    sim:clear_log()
    local bases = {}
    for i = 1, 3 do bases[i] = start_worker(uri, i, 30) end
    for i = 1, 3 do
      local rc = wait_done(bases[i])
      assert.equal(0, rc, C.read(bases[i] .. ".err"))
    end
    local asks = user_account_asks()
    for _, name in ipairs(NAMES) do assert.equal(1, asks[name], name) end
    local status = claims_of(uri)
    local workers = {}
    for _, name in ipairs(NAMES) do
      assert.equal(pa.dates.today(), status[name].synced_round, name)
      assert.is_nil(status[name].worker)
      workers[status[name].synced_by] = (workers[status[name].synced_by] or 0) + 1
    end
    local n = 0
    for w in pairs(workers) do
      n = n + 1
      assert.truthy(w:find("^" .. HOST:gsub("%p", "%%%0") .. ":%d+$"), w)
    end
    assert.is_true(n >= 2, "the work was shared between workers")
    -- each worker's summary names all of them: synced there, or already elsewhere
    local here = 0
    for i = 1, 3 do
      local out = C.read(bases[i] .. ".out")
      local k = tonumber(out:match(": (%d+) accounts? of " .. NACCOUNTS .. " here, 0 failed"))
      assert.is_number(k, out)
      here = here + k
      for _, name in ipairs(NAMES) do assert.truthy(out:find("account " .. name .. "[ :]"), out) end
    end
    assert.equal(NACCOUNTS, here)
    -- the store holds each account's days
    local st = assert(pa.store.open(uri))
    assert.equal(NACCOUNTS, #st:accounts())
    st:close()
  end)

  it("a worker killed in the middle: its accounts are synced by the others once its lease runs out", function()
    local uri = pg.uri("workers_kill")
    assert(pa.store.open(uri)):close()
    sim:clear_log()
    local bases = {}
    for i = 1, 3 do bases[i] = start_worker(uri, i, 2) end
    -- wait until some worker holds a claim, then kill that one
    local victim, held
    for _ = 1, 200 do
      local status = claims_of(uri)
      for _, name in ipairs(NAMES) do
        local w = status[name] and status[name].worker
        if w and not victim then victim = w end
      end
      if victim then
        held = {}
        for _, name in ipairs(NAMES) do
          if status[name] and status[name].worker == victim then held[#held + 1] = name end
        end
        break
      end
      sleep(0.05)
    end
    assert.is_string(victim)
    local pid = victim:match(":(%d+)$")
    assert.truthy(C.succeeds("kill -KILL " .. pid))
    -- what it held when it died (it may have claimed more since the look
    -- above): read again at once, well within the lease
    local at_kill = claims_of(uri)
    for _, name in ipairs(NAMES) do
      if at_kill[name] and at_kill[name].worker == victim then
        local listed = false
        for _, h in ipairs(held) do if h == name then listed = true end end
        if not listed then held[#held + 1] = name end
      end
    end
    local killed_base
    for i = 1, 3 do
      local rc = wait_done(bases[i])
      if rc == 137 then
        killed_base = bases[i]
      else
        assert.equal(0, rc, "worker " .. i .. ": " .. C.read(bases[i] .. ".err"))
      end
    end
    assert.is_string(killed_base)
    local status = claims_of(uri)
    for _, name in ipairs(NAMES) do
      assert.equal(pa.dates.today(), status[name].synced_round, name)
      assert.are_not.equal(victim, status[name].synced_by)
    end
    -- the accounts the killed worker held were asked again by another; the
    -- others exactly once
    local asks = user_account_asks()
    local was_held = {}
    for _, name in ipairs(held) do was_held[name] = true end
    for _, name in ipairs(NAMES) do
      if was_held[name] then
        assert.is_true(asks[name] >= 1, name)
      else
        assert.equal(1, asks[name], name)
      end
    end
    local st = assert(pa.store.open(uri))
    assert.equal(NACCOUNTS, #st:accounts())
    st:close()
  end)
end)
