--- Collects every string a run produces (errors, nested fields, tostring of
-- objects, reports, log files, printed output) and searches them for
-- credentials, whole or in part.
local S = {}

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Standard base64 (what HTTP Basic sends).
function S.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = {}
    for k = 3, 0, -1 do
      local v = math.floor(n / 64 ^ k) % 64
      q[#q + 1] = B64:sub(v + 1, v + 1)
    end
    if not b then q[3], q[4] = "=", "=" elseif not c then q[4] = "=" end
    out[#out + 1] = table.concat(q)
  end
  return table.concat(out)
end

local Collector = {}
Collector.__index = Collector

--- A collector: c:add(label, value) keeps every string reachable from value.
function S.collector()
  return setmetatable({ items = {} }, Collector)
end

local function add_string(self, label, s)
  self.items[#self.items + 1] = { label = label, text = s }
end

--- Keeps value's strings: a string itself; a table's keys and values,
-- nested (and its tostring when its metatable has __tostring); a userdata's
-- tostring. Functions and other values are left out.
function Collector:add(label, value)
  local seen = {}
  local function walk(v, path)
    local t = type(v)
    if t == "string" then
      add_string(self, path, v)
    elseif t == "number" or t == "boolean" then
      add_string(self, path, tostring(v))
    elseif t == "userdata" then
      add_string(self, "tostring(" .. path .. ")", tostring(v))
    elseif t == "table" and not seen[v] then
      seen[v] = true
      local mt = getmetatable(v)
      if type(mt) == "table" and mt.__tostring then add_string(self, "tostring(" .. path .. ")", tostring(v)) end
      for k, x in pairs(v) do
        walk(k, path .. "<key>")
        walk(x, path .. "." .. tostring(k))
      end
    end
  end
  walk(value, label)
end

--- Keeps a file's text (a missing file counts as empty).
function Collector:add_file(label, path)
  local f = io.open(path, "rb")
  if not f then return end
  add_string(self, label, f:read("*a"))
  f:close()
end

--- Runs fn() with print, io.write and writes to io.stdout/io.stderr
-- captured into the collector (under label), whatever fn raises.
function Collector:capture_output(label, fn)
  local out = {}
  local real_print, real_write = print, io.write
  local file_methods = getmetatable(io.stdout).__index
  local real_fwrite = file_methods.write
  local stdout, stderr = io.stdout, io.stderr
  _G.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    out[#out + 1] = table.concat(parts, "\t") .. "\n"
  end
  rawset(io, "write", function(...)
    for i = 1, select("#", ...) do out[#out + 1] = tostring((select(i, ...))) end
    return io.stdout
  end)
  file_methods.write = function(f, ...)
    if f == stdout or f == stderr then
      for i = 1, select("#", ...) do out[#out + 1] = tostring((select(i, ...))) end
      return f
    end
    return real_fwrite(f, ...)
  end
  local ok, err = pcall(fn)
  _G.print, file_methods.write = real_print, real_fwrite
  rawset(io, "write", real_write)
  add_string(self, label, table.concat(out))
  if not ok then error(err, 0) end
end

--- Where the secrets appear: a list of "<name> in <label>: <excerpt>".
-- secrets: array of { name, value, part = n }: value is looked for whole
-- and, when part is given, as any part of it n characters long (a secret
-- cut short still leaks).
function S.findings(collector, secrets)
  local found = {}
  for _, sec in ipairs(secrets) do
    local needles = { sec.value }
    if sec.part and #sec.value > sec.part then
      for i = 1, #sec.value - sec.part + 1 do needles[#needles + 1] = sec.value:sub(i, i + sec.part - 1) end
    end
    for _, item in ipairs(collector.items) do
      for _, needle in ipairs(needles) do
        local a = item.text:find(needle, 1, true)
        if a then
          local excerpt = item.text:sub(math.max(1, a - 40), a + #needle + 40):gsub("[\r\n]", " ")
          found[#found + 1] = sec.name .. (needle == sec.value and "" or " (part \"" .. needle .. "\")") ..
            " in " .. item.label .. ": ..." .. excerpt .. "..."
          break
        end
      end
    end
  end
  return found
end

return S
