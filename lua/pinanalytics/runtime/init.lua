--- How a client waits: the runtime contract.
--
-- A client's logic (parameter checks, retries, pacing, token refresh, error
-- values) is written once, in pinterest.lua, oneup.lua and pacing.lua. What
-- differs between a plain script, an nginx worker and the Neovim editor is
-- only how a request is sent and how a wait is spent, and that lives in a
-- runtime. A runtime instance (runtime.new(name, opts)) has:
--
--   rt.name                   "blocking" | "ngx" | "uv"
--   rt.session(opts)          a transport for one request at a time, made from
--                             core.session's options; its methods:
--                               request(method, target [, body [, headers [, shape]]])
--                                 -> the returns of core Session:request
--                               set_token(token | nil), close()
--   rt.batch(opts)            a transport for many requests in flight (core.batch's
--                             options, concurrency among them); its methods are those
--                             of core Batch: add, step(ms), inflight, capacity, cancel,
--                             set_token, close, is_closed. step(ms) waits at most ms
--                             milliseconds for answers, in the host's way.
--   rt.sleep(seconds)         waits without blocking the host
--   rt.now()                  monotonic seconds (core.now)
--   rt.buckets(fn, key)       optional: the client's pacing buckets (a function
--                             category -> bucket from pacing.buckets) shared more widely
--                             than one client (all the clients of an nginx worker, or of
--                             every worker through a lua_shared_dict), under key
--
-- The runtimes: "blocking" (core.session, core.batch and nanosleep: the
-- default in plain Lua), "ngx" (OpenResty: the request's light thread yields
-- while libcurl works on nginx's thread pool; the default inside OpenResty)
-- and "uv" (luv: Neovim's vim.loop or Debian's lua-luv; the calling coroutine,
-- started by pinanalytics.async, yields to the loop while libcurl is driven
-- by the loop's own socket and timer events).
local M = {}

M.NAMES = { "blocking", "ngx", "uv" }
local KNOWN = { blocking = true, ngx = true, uv = true }

--- The runtime a client gets when it names none: "ngx" inside OpenResty,
-- else "blocking" ("uv" is chosen by name: its calls must run inside
-- pinanalytics.async).
function M.default_name()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.run_worker_thread) == "function" and type(ngx.get_phase) == "function" then
    return "ngx"
  end
  return "blocking"
end

--- The options of the runtimes, by name, as a client's options.
M.OPTIONS = { runtime = "string", thread_pool = "string", shared_dict = "string" }

--- A runtime instance for a client. opts: the client's options (runtime,
-- thread_pool, shared_dict). Raises (a message without a function name) on
-- an unknown runtime or one this host cannot give.
function M.new(opts)
  local name = opts.runtime or M.default_name()
  if not KNOWN[name] then
    error(string.format("option runtime must be one of %s, got %q", table.concat(M.NAMES, ", "), tostring(name)), 0)
  end
  if name ~= "ngx" then
    for _, k in ipairs({ "thread_pool", "shared_dict" }) do
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

--- pcall, across which a coroutine may yield on every Lua.
function M.pcall(f, ...)
  if PCALL_YIELDS then return pcall(f, ...) end
  local co = coroutine.create(f)
  local r = pack(coroutine.resume(co, ...))
  while true do
    if not r[1] then return false, r[2] end
    if coroutine.status(co) == "dead" then return unpack(r, 1, r.n) end
    r = pack(coroutine.resume(co, coroutine.yield(unpack(r, 2, r.n))))
  end
end

return M
