--- How a client waits: the runtime contract.
--
-- A client's logic (parameter checks, retries, pacing, token refresh, error
-- values) is written once, in pinterest.lua, oneup.lua and pacing.lua. What
-- differs between a plain script, an nginx worker and the Neovim editor is
-- only how a request is sent and how a wait is spent, and that lives in a
-- runtime (`Runtime`, made by `new` from a client's options).
--
-- The runtimes: "blocking" (`pinanalytics.core.session`, `pinanalytics.core.batch`
-- and nanosleep: the default in plain Lua), "ngx" (OpenResty: the request's
-- light thread yields while libcurl works on nginx's thread pool; the default
-- inside OpenResty) and "uv" (luv: Neovim's `vim.loop` or Debian's lua-luv; the
-- calling coroutine, started by `pinanalytics.async`, yields to the loop while
-- libcurl is driven by the loop's own socket and timer events; the default
-- inside Neovim). Where a call cannot yield, it blocks, on every runtime. To give a
-- client to another event loop, write a module with this contract.
local M = {}

--- A runtime instance: what a client uses to send requests and to wait.
-- @table Runtime
-- @field name "blocking", "ngx" or "uv"
-- @field session `function(opts)`: a transport for one request at a time, made from
-- `pinanalytics.core.session`'s options; its methods `request(method, target [, body [, headers
-- [, shape]]])` (returning what `pinanalytics.core.Session:request` returns), `set_token(token)`
-- and `close()`
-- @field batch `function(opts)`: a transport for many requests in flight (`pinanalytics.core.batch`'s
-- options, `concurrency` among them) with the methods of `pinanalytics.core.Batch`: `add`,
-- `step(ms)` (waits at most ms milliseconds for answers, in the host's way), `inflight`,
-- `capacity`, `cancel`, `set_token`, `close`, `is_closed`; and where a thread can end without a
-- trace (OpenResty), `sleep(seconds)` and `waiting()` (how many threads wait in `step` or `sleep` now),
-- by which the bulk engine tells a run whose thread is gone from one that waits (`pinanalytics.bulk.holder`)
-- @field sleep `function(seconds)`: waits without blocking the host
-- @field now `function()`: monotonic seconds (`pinanalytics.core.now`)
-- @field lost_after optional, seconds: where a thread can end without a trace and the Batch cannot
-- show who waits on it (no `waiting`), a bulk run that has not come back from a wait of the engine this
-- long after the wait was due, nor within a few turns of the loop after that, is taken for gone, and
-- its Batch for free (`pinanalytics.bulk.take`). No runtime of the library needs it.
-- @field buckets optional, `function(made, key)`: the client's pacing buckets (a function
-- category -> bucket from `pinanalytics.pacing.buckets`) shared more widely than one client
-- (all the clients of an nginx worker, or of every worker through a `lua_shared_dict`), under key

--- The runtimes' names.
M.NAMES = { "blocking", "ngx", "uv" }
local KNOWN = { blocking = true, ngx = true, uv = true }

--- The runtime a client gets when it names none: the host's own loop where
-- there is one, "ngx" inside OpenResty and "uv" inside Neovim (`vim.uv` or
-- `vim.loop`), else "blocking". On either loop a call yields where it can (a
-- request handler's light thread; a task of `pinanalytics.async`) and blocks
-- where it cannot (`init_by_lua*`; Neovim code outside `pinanalytics.async`).
-- @treturn string
function M.default_name()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.run_worker_thread) == "function" and type(ngx.get_phase) == "function" then
    return "ngx"
  end
  local vim = rawget(_G, "vim")
  if type(vim) == "table" and type(vim.uv or vim.loop) == "table" then return "uv" end
  return "blocking"
end

--- The options of the runtimes, by name, as a client's options.
M.OPTIONS = { runtime = "string", transport = "string", thread_pool = "string", shared_dict = "string" }

--- A runtime instance for a client. Raises (a message without a function
-- name, which the client adds) on an unknown runtime or one this host cannot give.
-- @tab opts the client's options
-- @string[opt] opts.runtime "blocking", "ngx" or "uv" (default: `default_name()`)
-- @string[opt] opts.transport "ngx" only: "cosocket" (the default) or "threads"
-- @string[opt] opts.thread_pool "ngx" only: the nginx thread pool of the "threads" transport (default "default")
-- @string[opt] opts.shared_dict "ngx" only: a `lua_shared_dict` for the pacing buckets
-- @treturn Runtime
function M.new(opts)
  local name = opts.runtime or M.default_name()
  if not KNOWN[name] then
    error(string.format("option runtime must be one of %s, got %q", table.concat(M.NAMES, ", "), tostring(name)), 0)
  end
  if name ~= "ngx" then
    for _, k in ipairs({ "transport", "thread_pool", "shared_dict" }) do
      if opts[k] ~= nil then
        error(string.format("option %s applies to runtime \"ngx\" only (this client's runtime is %q)", k, name), 0)
      end
    end
  end
  return require("pinanalytics.runtime." .. name).new(opts)
end

local unpack = table.unpack or unpack -- luacheck: ignore 143

-- Lua 5.1's pcall cannot be yielded across (LuaJIT's and 5.2+'s can): the
-- bulk engine runs under it and, on the "uv" runtime, yields from inside it. There, the function runs
-- in a coroutine of its own and its yields are passed on to the caller's
-- coroutine, and what the caller is resumed with is passed back in.
local PCALL_YIELDS = rawget(_G, "jit") ~= nil or _VERSION ~= "Lua 5.1"

local function pack(...) return { n = select("#", ...), ... } end

-- On Lua 5.1: the coroutine of an `M.pcall` -> the coroutine that called it
-- (which its yields go to).
local outer_of = setmetatable({}, { __mode = "k" })

--- `pcall`, across which a coroutine may yield on every Lua (on Lua 5.1, whose
-- `pcall` cannot be yielded across, f runs in a coroutine of its own whose
-- yields are passed on).
-- @func f
-- @param ... its arguments
-- @return what `pcall(f, ...)` returns
function M.pcall(f, ...)
  if PCALL_YIELDS then return pcall(f, ...) end
  local co = coroutine.create(f)
  local outer = coroutine.running()
  if outer then outer_of[co] = outer end
  local r = pack(coroutine.resume(co, ...))
  while true do
    if not r[1] then return false, r[2] end
    if coroutine.status(co) == "dead" then return unpack(r, 1, r.n) end
    r = pack(coroutine.resume(co, coroutine.yield(unpack(r, 2, r.n))))
  end
end

--- What the running code belongs to beyond its coroutine, where the host
-- recycles coroutines: inside OpenResty, the current request's `ngx.ctx`
-- (nginx gives the coroutine of a request that ended to a later request,
-- lua_thread_cache_max_entries); elsewhere, or where there is no request, nil.
-- @treturn[opt] table
function M.scope()
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" then return nil end
  local ok, ctx = pcall(function() return ngx.ctx end)
  if ok and type(ctx) == "table" then return ctx end
  return nil
end

--- The coroutine whose yields a coroutine's yields are: co itself, or on
-- Lua 5.1 the caller of the `pcall` co runs (and so on up).
-- @param co a coroutine (nil: the main thread)
-- @return a coroutine, or nil for the main thread
function M.yields_to(co)
  while co and outer_of[co] do co = outer_of[co] end
  return co
end

return M
