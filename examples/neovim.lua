-- pinanalytics in Neovim: a pin's last 30 days in a scratch buffer, fetched
-- without freezing the editor (the "uv" runtime: the fetch yields to
-- Neovim's loop while it waits).
--
-- From a clone, after `make build-luajit` (Neovim runs LuaJIT; the build
-- puts the C core at lua/pinanalytics/core.so, where Neovim looks for it):
--   PINTEREST_ACCESS_TOKEN=... nvim -c "luafile examples/neovim.lua"
-- Against the built-in simulator (no token, no network): leave the token
-- unset, and the script starts the simulator itself (it needs nginx with its
-- Lua module). Headless, printing the result and quitting:
--   nvim --headless -u NONE -c "luafile examples/neovim.lua"
--
-- Neovim finds the module on its runtimepath, as it finds a plugin's: the
-- clone is put there below, as a plugin manager does (with lazy.nvim,
-- { dir = "/path/to/pinanalytics", build = "make build-luajit" }). No
-- package.path or package.cpath is set.
local root = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h")
vim.opt.runtimepath:append(root)

local pa = require "pinanalytics"

local token, base_url, sim = vim.env.PINTEREST_ACCESS_TOKEN, vim.env.PINTEREST_BASE_URL, nil
if not token or token == "" then
  sim = require("pinanalytics.simulator").start { latency_ms = 500 }
  token, base_url = sim.token, sim.pinterest_url
end
local pin_id = vim.env.PIN_ID or "813744226420795884"

local client = pa.pinterest { token = token, base_url = base_url, runtime = "uv" }

local function show(lines)
  if #vim.api.nvim_list_uis() == 0 then -- headless: print and quit
    io.stdout:write(table.concat(lines, "\n") .. "\n")
    vim.cmd("qall!")
    return
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_set_current_buf(buf)
end

-- The task runs in a coroutine; each client call yields to the loop while
-- it waits. Neovim calls luv's callbacks where most of its API may not be
-- used; pinanalytics resumes the task through vim.schedule, so the code in
-- the task and in on_done may call vim.api freely. (Callbacks of your own on
-- vim.loop handles run in that restricted context: wrap them with
-- vim.schedule_wrap before touching the editor.)
pa.async(function()
  local range = pa.dates.last(30)
  local res, err = client:pin_analytics(pin_id, {
    range = range, metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" },
  })
  if not res then return { "pin " .. pin_id .. ": " .. tostring(err) } end
  local lines = { string.format("pin %s, %s to %s", pin_id, range.start_date, range.end_date) }
  for _, metric in ipairs({ "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" }) do
    lines[#lines + 1] = string.format("  %-15s %8d", metric, res.all.summary_metrics[metric] or 0)
  end
  return lines
end, function(ok, lines)
  client:close()
  if sim then sim:stop() end
  show(ok and lines or { "error: " .. tostring(lines) })
end)
