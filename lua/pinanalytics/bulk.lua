--- The bulk engine: many requests through a runtime's Batch.
--
-- A run takes jobs (one GET each), starts them as the Batch has room and
-- the category's token bucket allows, hands every answer to its job, and
-- retries what the policy (pinanalytics.pacing) says may pass later. Waits
-- go through the runtime (ctx.sleep, and the Batch's own step): the engine
-- never blocks a host that does not block.
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local pacing = require "pinanalytics.pacing"
local runtime = require "pinanalytics.runtime"

local M = {}

-- Per Batch (weak keys: an entry goes with its Batch): the last request id
-- handed out, never reset, so that an answer left over from an earlier run
-- can never be taken for a request of a later one; and the run in progress
-- on it (a run owns its Batch until it returns): { ref = { owner coroutine,
-- held weakly }, main = owner is the main thread, due = when the owner's
-- wait in the engine ends (nil while it is not in one), traced = the Batch
-- shows who waits on it (waiting, sleep), progress = how many of the
-- engine's waits the owner came back from, scope = { the owner's
-- runtime.scope(), held weakly } and scoped = it had one, lost_after }.
local last_id = setmetatable({}, { __mode = "k" })
local running = setmetatable({}, { __mode = "k" })
local WEAK_VALUES = { __mode = "v" }

-- Before a run overdue by lost_after is taken for gone, the newcomer gives
-- the host's loop PROBE_TURNS turns of PROBE_STEP seconds: a live owner
-- whose wake was only late (a worker that blocked) comes back meanwhile.
local PROBE_TURNS, PROBE_STEP = 5, 0.02

-- Lua's own coroutine.status (OpenResty replaces coroutine.status with one
-- that knows only the threads of the current request, and keeps Lua's own
-- as coroutine._status).
local function raw_status(co)
  local f = rawget(coroutine, "_status") or coroutine.status
  return f(co)
end

--- Is a run in progress on this Batch?
-- @param batch
-- @treturn boolean
function M.in_progress(batch)
  return running[batch] ~= nil
end

-- Is `M.run` on the stack of the coroutine co (nil, or the running one:
-- the running code's)? A run's record lives exactly while it is.
local run_on_stack
do
  local getinfo = debug.getinfo
  function run_on_stack(co)
    local here = co == nil or co == coroutine.running()
    local level = here and 2 or 0
    while true do
      local info
      if here then info = getinfo(level, "f") else info = getinfo(co, level, "f") end
      if not info then return false end
      if info.func == M.run then return true end
      level = level + 1
    end
  end
end

-- holder, and whether a "gone" rests only on the clock (lost_after)
local function verdict(batch)
  local rec = running[batch]
  if not rec then return nil end
  local co = rec.ref[1]
  if rec.main then
    -- the main thread is below whatever runs; its run is gone when `run`
    -- is no longer on its stack (an error, Ctrl-C's interrupt, landed
    -- between the record being made and dropped)
    if co == nil and coroutine.running() ~= nil then return "this" end -- Lua 5.1: cannot look
    return run_on_stack(co) and "this" or "gone"
  end
  if co == nil then return "gone" end
  -- the same coroutine in the same request: OpenResty gives the coroutine of
  -- a request that ended to a later one
  local ours = not rec.scoped or (rec.scope[1] ~= nil and rec.scope[1] == runtime.scope())
  if ours and runtime.yields_to(coroutine.running()) == co then return "this" end
  local status = raw_status(co)
  if status == "dead" or not run_on_stack(co) then return "gone" end
  if rec.due and rec.traced then
    -- in a wait of the engine, on the Batch: nginx undoes the wait of a
    -- light thread it kills or whose request ends; a live one is still there
    return batch:waiting() > 0 and "other" or "gone"
  end
  if ours and status == "normal" and not rec.lost_after and not rec.traced then return "this" end
  if rec.lost_after and rec.due and core.now() > rec.due + rec.lost_after then return "gone", true end
  return "other"
end

--- Who holds this Batch, as seen from the running code.
-- @param batch
-- @treturn[1] nil no run is in progress on it
-- @treturn[2] string "this": the running code is inside the run (a callback of it, in its coroutine or
-- one the run's coroutine resumed); "other": the run of another coroutine, which is alive (waiting);
-- "gone": the run's coroutine is dead or was collected; or, on a Batch that shows who waits on it
-- (`waiting`: the "ngx" runtime's, where a request's light thread can be killed or end with its request
-- and never run again), the run is in one of the engine's waits and no longer waits there; or (a Batch
-- that does not show it, with `lost_after`) the run has not come back from a wait of the engine
-- `lost_after` seconds after it was due. Such a run will never finish (for the last, `take` makes sure
-- first): `reclaim` frees the Batch.
function M.holder(batch)
  return (verdict(batch))
end

--- Frees a Batch whose run is gone (see `holder`): what that run had in flight is cancelled, and its
-- coroutine, should it ever be resumed, finishes every job it had not finished with an error of kind
-- "taken_over" and returns.
-- @param batch
function M.reclaim(batch)
  local rec = running[batch]
  if not rec then return end
  rec.lost = true
  running[batch] = nil
  errors.pass_interrupt(pcall(function() batch:cancel() end))
end

--- Frees the Batch if its run is gone, and says who holds it (as `holder`). A run taken for gone only
-- because it is overdue (`lost_after`) is given the host's loop first: the newcomer sleeps a few short
-- turns (0.1 s in all), and a run that came back from its wait meanwhile is alive.
-- @param batch
-- @func[opt] sleep `sleep(seconds)`, the runtime's (`pinanalytics.core.sleep` when absent)
-- @treturn[1] nil no run is in progress on it
-- @treturn[2] string "this", "other", or "gone": it was, and the Batch is free now
function M.take(batch, sleep)
  local held, by_clock = verdict(batch)
  if held == "gone" and by_clock then
    local rec = running[batch]
    local seen = rec.progress
    for _ = 1, PROBE_TURNS do
      (sleep or core.sleep)(PROBE_STEP)
      if running[batch] ~= rec or rec.progress ~= seen then return M.take(batch, sleep) end
    end
  end
  if held == "gone" then M.reclaim(batch) end
  return held
end

-- Waits of the engine: the owner's record says until when, and counts the
-- waits it came back from. True when the run was taken for gone meanwhile.
local function waited(rec, seconds, f, ...)
  rec.due = core.now() + seconds
  local r1 = f(...)
  rec.due = nil
  rec.progress = rec.progress + 1
  return r1, rec.lost
end

local function run_jobs(ctx, jobs, run, rec)
  local batch = ctx.batch
  local inflight, nflight = {}, 0 -- this run's requests on the Batch, by id
  local refreshed_at = -1
  -- ready jobs: one FIFO per category (head index, no shifting); jobs
  -- waiting for a retry time: a small list
  local ready, order, delayed = {}, {}, {}
  local held = {} -- category -> when the token reserved for its next request is due
  local pending = 0

  local function enqueue(job)
    local q = ready[job.category or ""]
    if not q then
      q = { head = 1, tail = 0 }
      ready[job.category or ""] = q
      order[#order + 1] = job.category or ""
    end
    q.tail = q.tail + 1
    q[q.tail] = job
  end

  function run.add(job)
    job.attempt = job.attempt or 0
    pending = pending + 1
    if job.not_before and job.not_before > core.now() then
      delayed[#delayed + 1] = job
    else
      enqueue(job)
    end
  end
  for _, j in ipairs(jobs) do run.add(j) end

  local function finish(job, ok, a, b)
    pending = pending - 1
    job.done(ok, a, b, run)
    if ctx.on_job_done then ctx.on_job_done(job, ok) end
  end

  local function again(job, at)
    pending = pending - 1 -- run.add counts it again
    job.not_before = at
    run.add(job)
  end

  local function handle(job, r)
    local ok, body, meta
    if r.status then
      ok, body, meta = http.result(r.status, r.headers, r.body, r.decode_error, r.raw,
        { secrets = ctx.secrets, endpoint = job.endpoint }, r.shape_ok)
    else
      ok, body = false, errors.new({ kind = r.kind, message = r.message, curl_code = r.curl_code,
        endpoint = job.endpoint }, ctx.secrets)
    end
    if ok then return finish(job, true, body, meta) end
    local err = body
    if err.kind == "auth" and ctx.refresh and not job.refreshed then
      job.refreshed = true
      if refreshed_at < (job.sent_at or 0) then
        local rok, rerr = ctx.refresh()
        if not rok then return finish(job, false, rerr) end
        refreshed_at = core.now()
      end
      return again(job, 0)
    end
    job.attempt = job.attempt + 1
    local what, x = pacing.after_failure(err, job.attempt, ctx.policy)
    if what == "retry" and not run.stopped then
      again(job, core.now() + x)
    elseif what == "quota" then
      run.stopped = run.stopped or x
      finish(job, false, x)
    else
      finish(job, false, pacing.tried(err, job.attempt, core.now() - (job.first_sent_at or job.sent_at or core.now())))
    end
  end

  -- every job queued or waiting for a retry gets err_for(job)
  local function drain(err_for)
    for _, cat in ipairs(order) do
      local q = ready[cat]
      while q.head <= q.tail do
        local job = q[q.head]
        q[q.head] = nil
        q.head = q.head + 1
        finish(job, false, err_for(job))
      end
    end
    local d = delayed
    delayed = {}
    for _, job in ipairs(d) do finish(job, false, err_for(job)) end
  end
  local function stopped() return run.stopped end

  -- Taken for gone while it waited: the Batch is another run's, and what
  -- this run had on it was cancelled. Every job not finished gets an error
  -- saying so (those its done() adds too), and the run returns.
  local function taken_over()
    local function err_for(job)
      return errors.new({ kind = "taken_over", endpoint = job.endpoint, message = "this bulk run was taken " ..
        "for gone while it waited (its thread did not come back from a wait of the engine in time) and its " ..
        "Batch was given to another run: this request was not finished" })
    end
    run.taken = err_for({})
    local left = {}
    for id, job in pairs(inflight) do left[#left + 1] = { id, job } end
    table.sort(left, function(a, b) return a[1] < b[1] end)
    inflight, nflight = {}, 0
    for _, e in ipairs(left) do finish(e[2], false, err_for(e[2])) end
    while pending > 0 do
      local before = pending
      drain(err_for)
      if pending >= before then break end -- nothing left that draining can finish
    end
    return run
  end

  local idle = ctx.sleep or core.sleep
  if rec.traced then
    -- the Batch's own sleep, where a wait is seen (holder)
    idle = function(s) return batch:sleep(s) end
  end

  while true do
    if run.stopped then drain(stopped) end
    local now = core.now()
    local wake = math.huge
    -- retries whose time has come
    if #delayed > 0 then
      local keep = {}
      for _, job in ipairs(delayed) do
        if job.not_before <= now then enqueue(job) else
          keep[#keep + 1] = job
          if job.not_before - now < wake then wake = job.not_before - now end
        end
      end
      delayed = keep
    end
    -- start what may start, category by category; a token is reserved
    -- (one step) and held until it is due, as the bucket may be shared
    for _, cat in ipairs(order) do
      local q = ready[cat]
      local bucket = ctx.buckets and ctx.buckets(cat ~= "" and cat or nil)
      while q.head <= q.tail and batch:inflight() < batch:capacity() do
        if bucket then
          local due = held[cat]
          if not due then
            due = now + bucket:reserve(now)
            held[cat] = due
          end
          if due > now then
            if due - now < wake then wake = due - now end
            break
          end
          held[cat] = nil
        end
        local job = q[q.head]
        q[q.head] = nil
        q.head = q.head + 1
        local id = (last_id[batch] or 0) + 1
        last_id[batch] = id
        job.sent_at = now
        job.first_sent_at = job.first_sent_at or now
        batch:add(id, "GET", job.target, nil, nil, job.shape)
        run.sent = run.sent + 1
        inflight[id] = job
        nflight = nflight + 1
      end
    end
    if pending == 0 then break end
    local on_batch = batch:inflight()
    if on_batch < nflight then
      -- a callback cancelled them or closed the Batch: their answers will never come
      error(string.format("pinanalytics.bulk.run: %d requests of this run are no longer on its Batch " ..
        "(cancelled or closed from a callback?)", nflight - on_batch), 0)
    end
    if on_batch == 0 then
      if wake == math.huge then
        error(string.format("pinanalytics.bulk.run: internal error: %d jobs are neither queued nor in flight",
          pending), 0)
      end
      if wake > 0 then
        local _, lost = waited(rec, wake, idle, wake)
        if lost then return taken_over() end
      end
    else
      -- wait for answers, or until a retry or a token is due: no fixed tick
      local ms = 1000
      if wake < math.huge then ms = math.max(1, math.min(1000, math.ceil(wake * 1000))) end
      local got, lost = waited(rec, ms / 1000, batch.step, batch, ms)
      if lost then return taken_over() end
      for _, r in ipairs(got) do
        local job = inflight[r.id]
        if job then
          inflight[r.id] = nil
          nflight = nflight - 1
          handle(job, r)
        else
          run.dropped = run.dropped + 1 -- not one of this run's requests: never given to a job
        end
      end
    end
  end
  return run
end

--- Runs jobs on a Batch. Requests are paced by the category's bucket,
-- retried by the policy; a quota error stops adding requests: what is in
-- flight finishes, every job not started gets the quota error.
--
-- One run at a time on a Batch, owned by the coroutine that started it: a run
-- started while another is in progress on it raises (from one of its
-- callbacks; from another coroutine while that run's is alive: give that one
-- a Batch of its own), unless the owner is gone (see `holder` and `take`):
-- its run is then cancelled and this one proceeds. A run taken for gone that
-- was not (a live owner past `lost_after`, on a Batch that does not show who
-- waits on it) never raises for it: when it comes back, every job it had
-- not finished gets an error of kind "taken_over", and it returns with
-- `taken` set. An error that escapes a run (from
-- `done`, `on_job_done` or `refresh`) cancels every request on the Batch before
-- it propagates, so no answer of this run can be collected by a later one.
-- @tab ctx
-- @tparam pinanalytics.core.Batch ctx.batch a core Batch, or a runtime's batch
-- @func[opt] ctx.buckets category -> token bucket or nil (`pinanalytics.pacing.buckets`)
-- @tab ctx.policy `{ retries, max_wait, secrets }` (`pinanalytics.pacing.after_failure`)
-- @tparam[opt] {string,...} ctx.secrets removed from errors
-- @func[opt] ctx.refresh `refresh() -> ok, err`: obtains a new token after a 401
-- @func[opt] ctx.on_job_done `on_job_done(job, ok)`, when a job is done
-- @func[opt] ctx.sleep `sleep(seconds)`, the runtime's (`pinanalytics.core.sleep` when absent)
-- @number[opt] ctx.lost_after the runtime's `lost_after` (see `holder`)
-- @tparam {table,...} jobs each `{ target = "/path?query", category = "org_analytics",
-- endpoint = "GET /path", done = function(ok, body_or_err, meta, run) }`; `done` may add more jobs
-- with `run.add(job)`
-- @treturn table the run: `stopped` (the quota error, or nil), `dropped` (answers on the Batch that
-- were not this run's, never used), `sent` (requests put on the Batch, retries included), `taken`
-- (the "taken_over" error, when the run was taken for gone)
function M.run(ctx, jobs)
  local batch = ctx.batch
  local held = M.take(batch, ctx.sleep)
  if held == "this" then
    error("pinanalytics.bulk.run: a bulk run is already in progress on this Batch " ..
      "(a run cannot start from a callback of another)", 0)
  elseif held == "other" then
    error("pinanalytics.bulk.run: a bulk run of another coroutine is in progress on this Batch " ..
      "(give each its own Batch)", 0)
  end
  local co, main = coroutine.running()
  local scope = runtime.scope()
  local rec = { ref = setmetatable({ co }, WEAK_VALUES), main = co == nil or main == true,
    scope = setmetatable({ scope }, WEAK_VALUES), scoped = scope ~= nil, lost_after = ctx.lost_after, progress = 0,
    traced = type(batch.waiting) == "function" and type(batch.sleep) == "function" }
  running[batch] = rec
  local run = { stopped = nil, dropped = 0, sent = 0 }
  local ok, err = runtime.pcall(run_jobs, ctx, jobs, run, rec)
  if running[batch] ~= rec then
    -- taken for gone while it waited: the Batch is another run's now, and
    -- not ours to cancel
    if ok then return run end
    error(err, 0)
  end
  running[batch] = nil
  if not ok then
    -- the error is what the caller must see, whatever happens here (but
    -- Ctrl-C): a closed Batch has nothing in flight
    errors.pass_interrupt(pcall(function() batch:cancel() end))
    error(err, 0)
  end
  return run
end

return M
