--- An LDoc filter (`ldoc --filter helpers.ldoc_model.print .`) that prints
-- what LDoc made of the doc comments, one line a thing, tab-separated:
--
--   module  <name>  <summary>
--   item    <module>  <type>  <name>  <summary>
--   field   <module>  <item name>  <field or sub-parameter>  <description>
--
-- spec/docs_spec.lua compares it with what the code defines. LDoc runs on
-- its own Lua (5.1 on Debian), so this file uses nothing else.
local M = {}

local function clean(s)
  return (tostring(s or ""):gsub("[\t\r\n]+", " "):gsub("^%s+", ""):gsub("%s+$", ""))
end

local function out(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = clean((select(i, ...))) end
  io.write(table.concat(parts, "\t"), "\n")
end

--- Prints the model (LDoc calls it with its list of modules).
function M.print(modules)
  for mod in modules:iter() do
    out("module", mod.name, mod.summary)
    for item in mod.items:iter() do
      out("item", mod.name, item.type, item.name, item.summary)
      local params = item.params or {}
      for _, p in ipairs(params) do
        out("field", mod.name, item.name, p, params.map and params.map[p] or "")
      end
      for p, subs in pairs(item.subparams or {}) do
        for _, s in ipairs(subs) do
          out("field", mod.name, item.name, s, params.map and params.map[s] or p)
        end
      end
    end
  end
end

return M
