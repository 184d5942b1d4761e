--- The small template language of the reports.
--
-- A template is text with values, filters, loops and conditions in it. Its
-- output is escaped by its format. An error (in the syntax when compiling;
-- a missing variable, a filter's failure when rendering) raises
-- "pinanalytics.template: NAME:LINE:COL: what", NAME being `opts.name`
-- ("template" by default), LINE and COL counted from 1 (COL in characters).
--
-- Syntax:
--
--     {{ pin.title }}                   a value; a dotted path (list.1, a[b] also)
--     {{ m.current | number }}          filters, left to right; arguments in ()
--     {{ m.rate | percent(1) }}         literals: "text", 'text', 12, 1.5, true, false
--     {% if x %} .. {% elif y %} .. {% else %} .. {% end %}
--     {% if m.kind == "rate" and not m.missing %}    == != < <= > >=, and, or, not;
--                                       null is JSON null (a missing variable equals it)
--     {% for m in metrics %} .. {% else %} (empty list) .. {% end %}
--                                       loop.index, loop.first, loop.last, loop.length, loop.parent
--     {% align "lrr" %} .. {% end %}    a table: cells split by tabs, columns padded to
--                                       the widest (l left, c centred, r right, a auto:
--                                       right when the column holds numbers alone ("1,234",
--                                       "5.92 %", "-"; its heading aside), left otherwise; a
--                                       column without a letter is auto);
--                                       a line "-" is a rule; a line without a
--                                       tab is kept as it is
--     {# a comment #}
--
-- A tag or comment alone on its line takes the whole line with it.
--
-- What is false: nil, false, JSON null, 0, "" and an empty table.
-- A variable that is not there is an error when it is output or looped over
-- (use `| default("-")` where it may be missing), and false in a condition.
-- JSON null outputs as "" and as "-" through a number filter.
--
-- Output is escaped by the template's format (`opts.format`):
--
-- - "html": `& < > " '` become entities; control characters but the line
--   break become spaces
-- - "csv": a value with a comma, quote or line break (or a space at either end)
--   is quoted RFC 4180's way; each `{{ }}` is one field; numbers are never
--   quoted; CR and every other control character become spaces (a line break
--   stays); text that begins with `= + - @` (a formula to a spreadsheet), after
--   any spaces, gets a leading '
-- - "markdown": a backslash goes before each `|` (a table cell stays one cell),
--   backslash, backtick, `*`, `_`, `[`, `]`, `<` and `>` (no link, markup or HTML
--   from a pin's title); control characters, a line break too, become spaces;
--   numbers are left as they are
-- - "text": control characters (tab, newline, ESC, the C1 controls ...) become
--   spaces, so a title cannot break a table or send escape codes to a terminal;
--   in every format but "json" and "none" the Unicode bidirectional controls
--   (U+202E ...) are taken out, so a title cannot show itself reordered
-- - "json": a value becomes a JSON value: a string quoted (control characters
--   escaped, C1 ones and the bidirectional controls too), a number as it is
--
-- In every format but "none", ill-formed UTF-8 in a value is repaired: each bad
-- sequence becomes U+FFFD (`pinanalytics.format.clean`).
-- - "none": nothing is escaped
--
-- `| raw` at the end of a chain outputs the value as it is, in any format.
--
-- Filters (`FILTERS`): number(d) fixed(d) percent(d) change(d) pp(d) signed(d)
-- value(kind) delta plain date(fmt) pad(n) lpad(n) center(n) truncate(n)
-- default(v) upper lower len join(sep) count(noun) underline(char)
-- spark(missing) json raw; `opts.filters` adds or replaces filters
-- (`function(value, args...) -> value`). See `pinanalytics.format` for the numbers.
-- @usage
-- local template = require "pinanalytics.template"
-- local t = template.compile(source, { name = "weekly.md", format = "markdown" })
-- local text = t:render(data)
-- -- or at once: template.render(source, data, { name = ..., format = ... })
local errors = require "pinanalytics.errors"
local format = require "pinanalytics.format"

local M = {}

local concat = table.concat
local unpack = table.unpack or unpack -- luacheck: ignore 143
local NULL = format.null

-- the literal null: JSON null, or where there is none a value equal to nothing else
local NULL_LIT = NULL
if NULL_LIT == nil then NULL_LIT = {} end

local FORMATS = { html = true, csv = true, markdown = true, text = true, json = true, none = true }

-- errors --------------------------------------------------------------------

-- line and column (in UTF-8 characters) of byte position pos
local function where(src, pos)
  local line, start = 1, 1
  local i = 1
  while true do
    local nl = src:find("\n", i, true)
    if not nl or nl >= pos then break end
    line = line + 1
    start = nl + 1
    i = nl + 1
  end
  return line, format.width(src:sub(start, pos - 1)) + 1
end

local function raise(tpl, pos, fmt, ...)
  local line, col = where(tpl.source, pos)
  error(string.format("pinanalytics.template: %s:%d:%d: %s", tpl.name, line, col, string.format(fmt, ...)), 0)
end

-- escaping ------------------------------------------------------------------

local HTML = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- A C1 control (U+0080..U+009F) as a JSON escape: never a raw byte a terminal may act on.
local function c1_escape(b) return string.format("\\u%04x", b:byte()) end

local function json_string(s)
  s = format.utf8(s)
  return '"' .. format.json_bidi((s:gsub('[%c"\\\127]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\"
    elseif c == "\n" then return "\\n" elseif c == "\r" then return "\\r" elseif c == "\t" then return "\\t" end
    return string.format("\\u%04x", c:byte())
  end):gsub("\194([\128-\159])", c1_escape))) .. '"'
end
--- A string as a JSON string literal, quotes included.
-- @function json_string
-- @string s
-- @treturn string
M.json_string = json_string

local clean = format.clean

local ESCAPE = {
  html = function(s) return (clean(s, "\n"):gsub("[&<>\"']", HTML)) end,
  csv = function(s, v)
    if type(v) == "number" then return s end
    -- a line break stays (quoted); CR and every other control character go
    s = clean((s:gsub("\r\n", "\n")), "\n")
    -- text a spreadsheet would take for a formula is kept as text
    if s:find("^%s*[=+%-@]") then s = "'" .. s end
    if s:find('[,"\n]') or s:find("^%s") or s:find("%s$") then return '"' .. s:gsub('"', '""') .. '"' end
    return s
  end,
  markdown = function(s) return (clean(s):gsub("[\\`*_%[%]<>|]", "\\%0")) end,
  text = function(s) return clean(s) end,
  json = function(s, v)
    if type(v) == "number" or type(v) == "boolean" then return s end
    if v == NULL and NULL ~= nil then return "null" end
    return json_string(s)
  end,
  none = function(s) return s end,
}

--- The escaping of a format, as a function.
-- @string f "html", "csv", "markdown", "text", "json" or "none"
-- @treturn function `function(string) -> string`
function M.escaper(f)
  local e = ESCAPE[f]
  if not e then error("pinanalytics.template.escaper: unknown format " .. tostring(f), 2) end
  return function(s) return e(tostring(s), s) end
end

-- values --------------------------------------------------------------------

local function truthy(v)
  if v == nil or v == false or v == 0 or v == "" then return false end
  if NULL ~= nil and v == NULL then return false end
  if type(v) == "table" and next(v) == nil then return false end
  return true
end

local function tostr(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return format.plain(v) end
  if t == "boolean" then return tostring(v) end
  if v == nil or (NULL ~= nil and v == NULL) then return "" end
  return nil
end

local function json_value(v, depth)
  depth = depth or 0
  if depth > 50 then error("nested too deep", 0) end
  local t = type(v)
  if t == "string" then return json_string(v) end
  if t == "number" then return v ~= v and "null" or format.plain(v) end
  if t == "boolean" then return tostring(v) end
  if v == nil or (NULL ~= nil and v == NULL) then return "null" end
  if t ~= "table" then error("cannot encode a " .. t .. " as JSON", 0) end
  local n = #v
  if n > 0 or next(v) == nil then
    local out = {}
    for i = 1, n do out[i] = json_value(v[i], depth + 1) end
    return "[" .. concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local x = v[k]
    if x == nil then x = v[tonumber(k)] end
    out[#out + 1] = json_string(k) .. ":" .. json_value(x, depth + 1)
  end
  return "{" .. concat(out, ",") .. "}"
end

-- filters -------------------------------------------------------------------

local function len(v)
  if type(v) == "string" then return format.width(v) end
  if type(v) == "table" then return #v end
  return 0
end

local FILTERS = {
  number = format.number, fixed = format.fixed, percent = format.percent, change = format.change,
  pp = format.pp, signed = format.signed, value = format.value, plain = format.plain,
  date = format.date, truncate = format.truncate,
  pad = function(v, n) return format.pad(tostr(v) or tostring(v), n) end,
  lpad = function(v, n) return format.lpad(tostr(v) or tostring(v), n) end,
  center = function(v, n)
    local s = tostr(v) or tostring(v)
    local room = (tonumber(n) or 0) - format.width(s)
    if room <= 0 then return s end
    local left = math.floor(room / 2)
    return string.rep(" ", left) .. s .. string.rep(" ", room - left)
  end,
  delta = function(row)
    if type(row) ~= "table" then error("delta: expected a metric row { kind, change, change_pp }", 0) end
    if row.kind == "rate" then return format.pp(row.change_pp) end
    return format.change(row.change)
  end,
  default = function(v, d) if v == nil or (NULL ~= nil and v == NULL) or v == "" then return d end return v end,
  upper = function(v) return (tostring(v):upper()) end,
  lower = function(v) return (tostring(v):lower()) end,
  len = len,
  join = function(v, sep)
    if type(v) ~= "table" then error("join: expected a list, got " .. type(v), 0) end
    local out = {}
    for i = 1, #v do out[i] = tostr(v[i]) or tostring(v[i]) end
    return concat(out, sep or ", ")
  end,
  spark = function(v, missing) return format.sparkline(v, { missing = missing }) end,
  json = function(v) return json_value(v) end,
  count = function(v, noun)
    if format.is_missing(v) then return format.MISSING end
    noun = tostring(noun or "")
    return format.number(v) .. " " .. (v == 1 and noun or noun .. "s")
  end,
  underline = function(v, ch) return string.rep(ch or "=", format.width(tostr(v) or "")) end,
  raw = function(v) return v end,
}
--- The built-in filters by name: function(value, args...) -> value.
M.FILTERS = FILTERS

-- lexing --------------------------------------------------------------------

local OPS = { "==", "!=", "~=", "<=", ">=", "}}", "%}", "<", ">", "|", ".", "[", "]", "(", ")", ",", "=" }

-- the next token of an expression at position p: kind, value, start, next position
local function token(tpl, p)
  local src = tpl.source
  p = src:find("[^ \t\r\n]", p) or #src + 1
  if p > #src then return "eof", nil, p, p end
  local c = src:sub(p, p)
  local name = src:match("^[%a_][%w_]*", p)
  if name then return "name", name, p, p + #name end
  -- after a '.' (list.1.2) a number is a list index: digits alone
  local numtext = src:sub(p - 1, p - 1) ~= "." and src:match("^%-?%d+%.%d+", p) or src:match("^%-?%d+", p)
  if numtext then return "number", tonumber(numtext), p, p + #numtext end
  if c == '"' or c == "'" then
    local out, i = {}, p + 1
    while true do
      local ch = src:sub(i, i)
      if ch == "" or ch == "\n" then raise(tpl, p, "unfinished string") end
      if ch == c then break end
      if ch == "\\" then
        local e = src:sub(i + 1, i + 1)
        out[#out + 1] = e == "n" and "\n" or e == "t" and "\t" or e
        i = i + 2
      else
        out[#out + 1] = ch
        i = i + 1
      end
    end
    return "string", concat(out), p, i + 1
  end
  for _, op in ipairs(OPS) do
    if src:sub(p, p + #op - 1) == op then return "op", op, p, p + #op end
  end
  raise(tpl, p, "unexpected character %q", c)
end

-- a cursor over the tokens of one tag
local function cursor(tpl, p)
  local cur = { tpl = tpl }
  local function advance()
    cur.kind, cur.value, cur.pos, cur.next = token(tpl, p)
    p = cur.next
  end
  advance()
  cur.advance = advance
  function cur.is(kind, value) return cur.kind == kind and (value == nil or cur.value == value) end
  function cur.expect(kind, value, what)
    if not cur.is(kind, value) then
      raise(tpl, cur.pos, "expected %s, found %s", what or ("'" .. tostring(value) .. "'"),
        cur.kind == "eof" and "the end of the template" or ("'" .. tostring(cur.value) .. "'"))
    end
    local v = cur.value
    advance()
    return v
  end
  return cur
end

-- parsing expressions -------------------------------------------------------

local parse_expr

local function parse_primary(cur)
  local pos = cur.pos
  if cur.is("string") or cur.is("number") then
    local v = cur.value
    cur.advance()
    return { t = "lit", v = v, pos = pos }
  end
  if cur.is("name", "true") or cur.is("name", "false") then
    local v = cur.value == "true"
    cur.advance()
    return { t = "lit", v = v, pos = pos }
  end
  if cur.is("name", "null") then
    cur.advance()
    return { t = "lit", v = NULL_LIT, pos = pos }
  end
  if cur.is("op", "(") then
    cur.advance()
    local e = parse_expr(cur)
    cur.expect("op", ")")
    return e
  end
  if not cur.is("name") then
    cur.expect("name", nil, "a variable or a value")
  end
  local text = { cur.value }
  local node = { t = "path", root = cur.value, steps = {}, pos = pos }
  cur.advance()
  while true do
    if cur.is("op", ".") then
      cur.advance()
      if cur.is("name") then
        node.steps[#node.steps + 1] = { key = cur.value }
        text[#text + 1] = "." .. cur.value
      elseif cur.is("number") and cur.value >= 1 and cur.value == math.floor(cur.value) then
        node.steps[#node.steps + 1] = { key = cur.value }
        text[#text + 1] = "." .. cur.value
      else
        cur.expect("name", nil, "a name or a list index after '.'")
      end
      cur.advance()
    elseif cur.is("op", "[") then
      cur.advance()
      local e = parse_expr(cur)
      cur.expect("op", "]")
      node.steps[#node.steps + 1] = { expr = e }
      text[#text + 1] = "[...]"
    else
      break
    end
  end
  node.text = concat(text)
  return node
end

local function parse_filtered(cur)
  local e = parse_primary(cur)
  while cur.is("op", "|") do
    cur.advance()
    local pos = cur.pos
    local name = cur.expect("name", nil, "a filter's name after '|'")
    local fn = cur.tpl.filters[name]
    if not fn then
      local known = {}
      for k in pairs(cur.tpl.filters) do known[#known + 1] = k end
      table.sort(known)
      raise(cur.tpl, pos, "unknown filter '%s' (filters: %s)", name, concat(known, " "))
    end
    local args = {}
    if cur.is("op", "(") then
      cur.advance()
      if not cur.is("op", ")") then
        args[1] = parse_expr(cur)
        while cur.is("op", ",") do
          cur.advance()
          args[#args + 1] = parse_expr(cur)
        end
      end
      cur.expect("op", ")")
    end
    e = { t = "filter", e = e, name = name, fn = fn, args = args, pos = pos }
  end
  return e
end

local CMP = { ["=="] = true, ["!="] = true, ["~="] = true, ["<"] = true, ["<="] = true, [">"] = true, [">="] = true }

local function parse_cmp(cur)
  if cur.is("name", "not") then
    local pos = cur.pos
    cur.advance()
    return { t = "not", e = parse_cmp(cur), pos = pos }
  end
  local a = parse_filtered(cur)
  if cur.kind == "op" and CMP[cur.value] then
    local op, pos = cur.value, cur.pos
    cur.advance()
    return { t = "cmp", op = op, a = a, b = parse_filtered(cur), pos = pos }
  end
  return a
end

local function parse_and(cur)
  local a = parse_cmp(cur)
  while cur.is("name", "and") do
    cur.advance()
    a = { t = "and", a = a, b = parse_cmp(cur) }
  end
  return a
end

parse_expr = function(cur)
  local a = parse_and(cur)
  while cur.is("name", "or") do
    cur.advance()
    a = { t = "or", a = a, b = parse_and(cur) }
  end
  return a
end

-- parsing the template ------------------------------------------------------

local BLOCKS = { ["if"] = true, ["for"] = true, align = true }

-- Splits the source into nodes; returns the root body.
local function parse(tpl)
  local src = tpl.source
  local root = { t = "root", body = {} }
  local stack = { root }
  local body = root.body
  local p = 1

  local function text(s)
    if s ~= "" then body[#body + 1] = { t = "text", s = s } end
  end

  -- a tag alone on its line: drop the line's indentation before it and the
  -- rest of the line after it; returns the position after the tag
  local function standalone(start, stop)
    local ls = start
    while ls > 1 and src:sub(ls - 1, ls - 1):match("[ \t]") do ls = ls - 1 end
    if ls > 1 and src:sub(ls - 1, ls - 1) ~= "\n" then return stop, nil end
    local e = stop
    while src:sub(e, e):match("^[ \t]$") do e = e + 1 end
    local c = src:sub(e, e)
    if c == "\r" and src:sub(e + 1, e + 1) == "\n" then return e + 2, ls end
    if c == "\n" then return e + 1, ls end
    if c == "" then return e, ls end
    return stop, nil
  end

  while p <= #src do
    local s, _, kind = src:find("{([{%%#])", p)
    if not s then
      text(src:sub(p))
      break
    end
    if kind == "{" then
      text(src:sub(p, s - 1))
      local cur = cursor(tpl, s + 2)
      local pos = cur.pos
      if cur.is("op", "}}") then raise(tpl, s, "empty {{ }}") end
      local e = parse_expr(cur)
      if not cur.is("op", "}}") then cur.expect("op", "}}", "'}}' or '|'") end
      body[#body + 1] = { t = "out", e = e, pos = pos, raw = e.t == "filter" and e.name == "raw" }
      p = cur.next
    elseif kind == "#" then
      local close = src:find("#}", s + 2, true)
      if not close then raise(tpl, s, "comment {# is never closed with #}") end
      local after, ls = standalone(s, close + 2)
      text(src:sub(p, (ls or s) - 1))
      p = after
    else
      local cur = cursor(tpl, s + 2)
      local word, wpos = cur.value, cur.pos
      if not cur.is("name") then raise(tpl, cur.pos, "expected a tag name (if, elif, else, for, align, end)") end
      cur.advance()
      local node
      local top = stack[#stack]
      if word == "if" then
        node = { t = "if", pos = s, branches = { { cond = parse_expr(cur), body = {} } } }
      elseif word == "for" then
        local var = cur.expect("name", nil, "a loop variable after 'for'")
        if var == "loop" then raise(tpl, wpos, "'loop' is the loop's own variable; name yours otherwise") end
        cur.expect("name", "in", "'in'")
        node = { t = "for", pos = s, var = var, iter = parse_expr(cur), body = {} }
      elseif word == "align" then
        local spec = cur.is("string") and cur.value or nil
        if spec then
          if not spec:match("^[lrca]*$") then raise(tpl, cur.pos, "align takes letters l, r, c, a, got %q", spec) end
          cur.advance()
        end
        node = { t = "align", pos = s, spec = spec, body = {} }
      elseif word == "elif" or word == "else" then
        if top.t ~= "if" and not (word == "else" and top.t == "for") then
          raise(tpl, wpos, "'%s' outside an if%s", word, word == "else" and " or a for" or "")
        end
        if top.else_body then raise(tpl, wpos, "'%s' after the block's else", word) end
      elseif word == "end" then
        if #stack == 1 then raise(tpl, wpos, "'end' with no block open") end
      else
        raise(tpl, wpos, "unknown tag '%s' (tags: if, elif, else, for, align, end)", word)
      end
      local cond
      if word == "elif" then cond = parse_expr(cur) end
      if not cur.is("op", "%}") then cur.expect("op", "%}", "'%}'") end
      local after, ls = standalone(s, cur.next)
      text(src:sub(p, (ls or s) - 1))
      p = after
      if BLOCKS[word] then
        body[#body + 1] = node
        stack[#stack + 1] = node
        body = node.t == "if" and node.branches[1].body or node.body
      elseif word == "elif" then
        local b = { cond = cond, body = {} }
        top.branches[#top.branches + 1] = b
        body = b.body
      elseif word == "else" then
        top.else_body = {}
        body = top.else_body
      else -- end
        stack[#stack] = nil
        local new = stack[#stack]
        if new.t == "root" then
          body = new.body
        elseif new.t == "if" then
          body = new.else_body or new.branches[#new.branches].body
        else
          body = new.else_body or new.body
        end
      end
    end
  end
  if #stack > 1 then
    local open = stack[#stack]
    raise(tpl, open.pos, "'%s' is never closed with {%% end %%}", open.t)
  end
  return root.body
end

-- rendering -----------------------------------------------------------------

local eval

local function describe(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    if #keys == 0 then return "an empty table" end
    if #keys > 8 then keys[9] = "..."; for i = #keys, 10, -1 do keys[i] = nil end end
    return "it has: " .. concat(keys, ", ")
  end
  return "it is " .. (v == NULL and NULL ~= nil and "null" or type(v))
end

-- value, or nil and why it is missing
local function lookup(ctx, node)
  local v
  local scope = ctx.scope
  while scope do
    if scope.name == node.root then
      v = scope.value
      break
    end
    scope = scope.parent
  end
  if not scope then
    local data = ctx.data
    if type(data) == "table" then v = data[node.root] end
    if v == nil then return nil, string.format("no '%s' in the data", node.root) end
  end
  local sofar = node.root
  for _, step in ipairs(node.steps) do
    local key = step.key
    if step.expr then
      key = eval(ctx, step.expr)
      if type(key) ~= "string" and type(key) ~= "number" then
        return nil, string.format("an index of %s is %s", sofar, key == nil and "missing" or type(key))
      end
    end
    if type(v) ~= "table" then
      return nil, string.format("%s is not a table (%s)", sofar, describe(v))
    end
    local x = v[key]
    if x == nil and type(key) == "string" and tonumber(key) then x = v[tonumber(key)] end
    if x == nil then
      return nil, string.format("%s has no '%s' (%s)", sofar, tostring(key), describe(v))
    end
    v = x
    sofar = sofar .. "." .. tostring(key)
  end
  return v
end

local function compare(ctx, node, a, b)
  local op = node.op
  if a == nil and b == NULL_LIT then a = NULL_LIT elseif b == nil and a == NULL_LIT then b = NULL_LIT end
  if op == "==" then return a == b end
  if op == "!=" or op == "~=" then return a ~= b end
  if type(a) ~= type(b) or (type(a) ~= "number" and type(a) ~= "string") then
    if a == nil or b == nil or a == NULL or b == NULL then return false end
    raise(ctx.tpl, node.pos, "cannot compare %s with %s", type(a), type(b))
  end
  if op == "<" then return a < b elseif op == "<=" then return a <= b
  elseif op == ">" then return a > b else return a >= b end
end

-- value and, when it is missing, why (a string)
eval = function(ctx, node)
  local t = node.t
  if t == "lit" then return node.v end
  if t == "path" then
    local v, why = lookup(ctx, node)
    if v == nil then return nil, { node = node, why = why } end
    return v
  end
  if t == "filter" then
    local v, miss = eval(ctx, node.e)
    if v == nil and node.name ~= "default" then return nil, miss end
    local args = {}
    for i, a in ipairs(node.args) do
      local x, m = eval(ctx, a)
      if x == nil and m then
        raise(ctx.tpl, m.node.pos, "missing variable '%s' (%s)", m.node.text, m.why)
      end
      args[i] = x
    end
    local ok, r = errors.pass_interrupt(pcall(node.fn, v, unpack(args, 1, #node.args)))
    if not ok then
      raise(ctx.tpl, node.pos, "filter '%s': %s", node.name, (tostring(r):gsub("^pinanalytics%.format%.%w+: ", "")))
    end
    return r
  end
  if t == "not" then return not truthy((eval(ctx, node.e))) end
  if t == "and" then
    local a = eval(ctx, node.a)
    if not truthy(a) then return false end
    return truthy((eval(ctx, node.b)))
  end
  if t == "or" then
    local a = eval(ctx, node.a)
    if truthy(a) then return true end
    return truthy((eval(ctx, node.b)))
  end
  if t == "cmp" then
    return compare(ctx, node, (eval(ctx, node.a)), (eval(ctx, node.b)))
  end
  error("unknown node " .. tostring(t))
end

local render_body

-- the lines of s as rows of cells, padded to the widest of each column
local function align(spec, s)
  local lines = {}
  for line in (s .. "\n"):gmatch("(.-)\r?\n") do lines[#lines + 1] = line end
  if lines[#lines] == "" then lines[#lines] = nil end
  local rows, width = {}, {}
  for i, line in ipairs(lines) do
    if line == "-" then
      rows[i] = "rule"
    elseif line:find("\t", 1, true) then
      local cells = {}
      for c in (line .. "\t"):gmatch("(.-)\t") do cells[#cells + 1] = c end
      rows[i] = cells
      for j, c in ipairs(cells) do width[j] = math.max(width[j] or 0, format.width(c)) end
    else
      rows[i] = line
    end
  end
  -- "a" (auto): right when every cell below a heading (a row above a rule)
  -- is a number ("1,234", "+0.13 pp", "5.92 %") or empty or "-"; left otherwise
  local numeric = {}
  for j = 1, #width do
    numeric[j] = true
    for i, r in ipairs(rows) do
      if type(r) == "table" and rows[i + 1] ~= "rule" then
        local c = r[j] or ""
        if not (c == "" or c == "-" or c:match("^[+-]?%d")) then numeric[j] = false end
      end
    end
  end
  local out = {}
  for i, r in ipairs(rows) do
    if type(r) == "string" and r ~= "rule" then
      out[i] = r
    else
      local cells = {}
      for j = 1, #width do
        local how = spec and spec:sub(j, j) or ""
        if how == "" or how == "a" then how = numeric[j] and "r" or "l" end
        local c = r == "rule" and string.rep("-", width[j]) or (r[j] or "")
        if how == "l" then
          cells[j] = format.pad(c, width[j])
        elseif how == "c" then
          cells[j] = FILTERS.center(c, width[j])
        else
          cells[j] = format.lpad(c, width[j])
        end
      end
      -- trailing spaces off, in one pass (a "%s+$" pattern backtracks over every run of spaces)
      out[i] = concat(cells, "  "):match("^(.*%S)") or ""
    end
  end
  return concat(out, "\n") .. "\n"
end

render_body = function(ctx, body, out)
  for _, node in ipairs(body) do
    local t = node.t
    if t == "text" then
      out[#out + 1] = node.s
    elseif t == "out" then
      local v, miss = eval(ctx, node.e)
      if v == nil and miss then
        raise(ctx.tpl, miss.node.pos, "missing variable '%s' (%s)", miss.node.text, miss.why)
      end
      local s = tostr(v)
      if s == nil then
        raise(ctx.tpl, node.pos, "cannot output %s (a %s): loop over it or pick a field", node.e.text or "a value",
          type(v))
      end
      if node.raw then out[#out + 1] = s else out[#out + 1] = ctx.escape(s, v) end
    elseif t == "if" then
      local done = false
      for _, b in ipairs(node.branches) do
        if truthy((eval(ctx, b.cond))) then
          render_body(ctx, b.body, out)
          done = true
          break
        end
      end
      if not done and node.else_body then render_body(ctx, node.else_body, out) end
    elseif t == "for" then
      local list, miss = eval(ctx, node.iter)
      if list == nil and miss then
        raise(ctx.tpl, miss.node.pos, "missing variable '%s' (%s)", miss.node.text, miss.why)
      end
      if NULL ~= nil and list == NULL then list = {} end
      if type(list) ~= "table" then
        raise(ctx.tpl, node.iter.pos, "cannot loop over %s (a %s)", node.iter.text or "a value", type(list))
      end
      local n = #list
      if n == 0 and node.else_body then render_body(ctx, node.else_body, out) end
      local outer = ctx.scope
      local parent_loop
      local s = outer
      while s do
        if s.name == "loop" then parent_loop = s.value break end
        s = s.parent
      end
      for i = 1, n do
        local loop = { index = i, index0 = i - 1, first = i == 1, last = i == n, length = n, parent = parent_loop }
        ctx.scope = { name = node.var, value = list[i], parent = { name = "loop", value = loop, parent = outer } }
        render_body(ctx, node.body, out)
      end
      ctx.scope = outer
    elseif t == "align" then
      local inner = {}
      render_body(ctx, node.body, inner)
      out[#out + 1] = align(node.spec, concat(inner))
    end
  end
end

-- API -----------------------------------------------------------------------

local Template = {}
Template.__index = Template

--- Compiles a template. Raises on a syntax error, naming the template, line and column.
-- @string source the template's text
-- @tab[opt] opts
-- @string[opt="template"] opts.name the template's name in error messages
-- @string[opt="text"] opts.format the escaping of its output: "text", "html", "csv", "markdown",
-- "json" or "none"
-- @tab[opt] opts.filters more filters, by name: `function(value, args...) -> value` (they may
-- replace built-in ones)
-- @treturn Template
function M.compile(source, opts)
  opts = opts or {}
  if type(source) ~= "string" then
    error("pinanalytics.template.compile: source must be a string, got " .. type(source), 2)
  end
  if type(opts) ~= "table" then error("pinanalytics.template.compile: opts must be a table", 2) end
  local fmt = opts.format or "text"
  if not FORMATS[fmt] then
    error("pinanalytics.template.compile: unknown format " .. tostring(fmt) ..
      " (formats: csv, html, json, markdown, none, text)", 2)
  end
  local filters = {}
  for k, v in pairs(FILTERS) do filters[k] = v end
  if opts.filters ~= nil then
    if type(opts.filters) ~= "table" then error("pinanalytics.template.compile: opts.filters must be a table", 2) end
    for k, v in pairs(opts.filters) do
      if type(k) ~= "string" or type(v) ~= "function" then
        error("pinanalytics.template.compile: opts.filters maps names to functions", 2)
      end
      filters[k] = v
    end
  end
  local tpl = setmetatable({ source = source, name = tostring(opts.name or "template"), format = fmt,
    filters = filters }, Template)
  tpl.body = parse(tpl)
  return tpl
end

--- `compile(source, opts):render(data)` at once.
-- @string source
-- @tab[opt] data
-- @tab[opt] opts as for `compile`
-- @treturn string
function M.render(source, data, opts)
  return M.compile(source, opts):render(data)
end

--- Is x a compiled template?
-- @param x any value
-- @treturn boolean
function M.is_template(x)
  return getmetatable(x) == Template
end

--- A value as JSON text (keys sorted; an empty table is []).
-- @function json
-- @param v
-- @treturn string
M.json = json_value

--- A compiled template, made by `compile`.
-- @type Template

--- The text of the template with data. Raises on a missing variable or a
-- failing filter, naming the template, line and column.
-- @tab[opt] data the template's variables
-- @treturn string
function Template:render(data)
  if data ~= nil and type(data) ~= "table" then
    error("pinanalytics.template: render(data): data must be a table, got " .. type(data), 2)
  end
  local out = {}
  render_body({ tpl = self, data = data or {}, escape = ESCAPE[self.format] }, self.body, out)
  return concat(out)
end

return M
