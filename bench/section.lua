--- Writes one section of bench/RESULTS.md: the text from `heading` up to
-- the next "## " heading (or the end) is replaced by `section`; a section
-- not there yet is appended. Used by the benchmarks that run in a process
-- of their own (soak.lua, runtimes.lua, store.lua).
local M = {}

function M.write(path, heading, section)
  local text = ""
  local rf = io.open(path, "rb")
  if rf then
    text = rf:read("*a")
    rf:close()
  end
  local s = text:find("\n" .. heading, 1, true)
  if s then
    local e = text:find("\n## ", s + 1, true)
    text = text:sub(1, s) .. section .. (e and text:sub(e) or "")
  else
    text = text:gsub("\n*$", "\n\n") .. section
  end
  local wf = assert(io.open(path, "wb"))
  wf:write(text)
  wf:close()
end

return M
