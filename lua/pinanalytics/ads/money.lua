--- Money of ads analytics: micro-units of an ad account's currency shown in
-- that currency with its decimals, exactly.
--
-- The `*_IN_MICRO_DOLLAR` columns are micro-units (1,000,000 = one unit of
-- the account's currency, whatever its name says). What is shown is made
-- with whole-number arithmetic: micro-units are turned into the currency's
-- minor units (cents; yen are whole) by a division rounded half away from
-- zero on whole numbers, then written as digits; no float rounding comes
-- between the wire and the text (a sum of whole micro-units is exact below
-- 2^53 on every Lua: 9 billion units). A price per unit (CPC, CPM) is made
-- from its parts the same way: spend over clicks rounded once, never a sum
-- of prices.
--
-- The decimals of a currency are ISO 4217's minor units (USD 2, JPY 0,
-- KWD 3); a currency not listed has 2.
-- @usage
-- local money = require "pinanalytics.ads.money"
-- money.text(12345678, "USD")        --> "12.35 USD"
-- money.units(12345678, "JPY")       --> "12"
-- money.per(10000000, 3, "USD")      --> "3.33" (10 units over 3 clicks)
local M = {}

local floor = math.floor

-- ISO 4217 currencies whose minor unit is not the cent.
local DECIMALS = {
  BIF = 0, CLP = 0, DJF = 0, GNF = 0, ISK = 0, JPY = 0, KMF = 0, KRW = 0, PYG = 0, RWF = 0, UGX = 0, UYI = 0,
  VND = 0, VUV = 0, XAF = 0, XOF = 0, XPF = 0,
  BHD = 3, IQD = 3, JOD = 3, KWD = 3, LYD = 3, OMR = 3, TND = 3,
}

local function fail(fn, fmt, ...)
  error("pinanalytics.ads.money." .. fn .. ": " .. string.format(fmt, ...), 0)
end

local function check_currency(fn, currency)
  if type(currency) ~= "string" or not currency:match("^%u%u%u$") then
    fail(fn, "currency must be an ISO 4217 code of three capital letters (\"USD\", \"JPY\"), got %s",
      type(currency) == "string" and string.format("%q", currency) or type(currency))
  end
  return currency
end

--- The decimals of a currency: ISO 4217's minor units (USD 2, JPY 0, KWD 3; others 2).
-- @string currency "USD", "JPY", ...
-- @treturn int
function M.decimals(currency)
  return DECIMALS[check_currency("decimals", currency)] or 2
end
local function decimals_for(fn, currency) return DECIMALS[check_currency(fn, currency)] or 2 end

-- Is v a whole number (integer or integral float)?
local function whole(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge and v == floor(v)
end

-- num / den rounded half away from zero, both whole numbers, den > 0: the
-- quotient from the float division corrected on whole numbers.
local function div_round(num, den)
  local neg = num < 0
  if neg then num = -num end
  local q = floor(num / den)
  local r = num - q * den
  while r < 0 do q = q - 1; r = r + den end
  while r >= den do q = q + 1; r = r - den end
  if 2 * r >= den then q = q + 1 end
  if neg then q = -q end
  return q
end
--- A whole number over another, rounded half away from zero, exactly
-- (the float quotient corrected on whole numbers).
-- @function div_round
-- @number num a whole number
-- @number den a whole number above 0
-- @treturn number the rounded quotient
M.div_round = div_round

-- the digits of a whole number (an integer, or a float holding one)
local function digits(n)
  if math.type and math.type(n) == "integer" then return string.format("%d", n) end
  return string.format("%.0f", n)
end

local function group(s)
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  if out:sub(1, 1) == "," then out = out:sub(2) end
  return out
end

-- minor units -> "1,234.56" (grouped) or "1234.56"
local function write_minor(minor, d, grouped)
  local neg = minor < 0
  if neg then minor = -minor end
  local s = digits(minor)
  local int, frac = s, ""
  if d > 0 then
    if #s <= d then s = string.rep("0", d - #s + 1) .. s end
    int, frac = s:sub(1, #s - d), "." .. s:sub(#s - d + 1)
  end
  if grouped then int = group(int) end
  return (neg and minor ~= 0 and "-" or "") .. int .. frac
end

-- micro-units -> the currency's minor units, rounded half away from zero
local function minor_of(fn, micro, d)
  if type(micro) ~= "number" or micro ~= micro then
    fail(fn, "micro must be a number of micro-units, got %s", type(micro))
  end
  local den = 10 ^ (6 - d)
  den = floor(den + 0.5)
  if whole(micro) then return div_round(micro, den) end
  -- a price in micro-units with a fraction (the API's CPC may have one): rounded once
  local x = micro / den
  local r = floor(math.abs(x) + 0.5)
  return x < 0 and -r or r
end

--- Micro-units as units of the currency with its decimals, digits only:
-- 12345678 -> "12.35" (USD), "12" (JPY). Exact for whole micro-units.
-- @number micro micro-units
-- @string currency
-- @tab[opt] opts `grouped = true`: thousands separators ("1,234.56")
-- @treturn string
function M.units(micro, currency, opts)
  local d = decimals_for("units", currency)
  return write_minor(minor_of("units", micro, d), d, opts and opts.grouped)
end

--- Micro-units as a reader sees them: "1,234.56 USD", "1,235 JPY".
-- @number micro
-- @string currency
-- @treturn string
function M.text(micro, currency)
  decimals_for("text", currency)
  return M.units(micro, currency, { grouped = true }) .. " " .. currency
end

--- A price per unit from its parts, exactly: `micro * scale / count` in
-- units of the currency (CPC: spend over clicks; CPM: scale 1000, spend
-- per thousand impressions), rounded once to the currency's decimals; nil
-- when count is 0 or a part is missing.
-- @number micro whole micro-units (a sum)
-- @number count what it is spent per (clicks, impressions): a whole number
-- @string currency
-- @int[opt=1] scale 1 or 1000
-- @tab[opt] opts `grouped = true`
-- @treturn ?string
function M.per(micro, count, currency, scale, opts)
  local d = decimals_for("per", currency)
  if type(micro) ~= "number" or type(count) ~= "number" or count == 0 then return nil end
  if not whole(micro) or not whole(count) or count < 0 then
    fail("per", "micro and count must be whole numbers (sums of micro-units and of a count), got %s and %s",
      tostring(micro), tostring(count))
  end
  scale = scale or 1
  if scale ~= 1 and scale ~= 1000 then fail("per", "scale must be 1 or 1000, got %s", tostring(scale)) end
  -- minor units = micro * scale / (count * 10^(6-d)); with scale 1000 and
  -- d <= 3, the denominator stays whole: count * 10^(3-d)
  local den
  if scale == 1000 then den = count * floor(10 ^ (3 - d) + 0.5) else den = count * floor(10 ^ (6 - d) + 0.5) end
  return write_minor(div_round(micro, den), d, opts and opts.grouped)
end

--- Micro-units as a number of units rounded to the currency's decimals, for
-- data (csv, json): the number that the digits of `units` read as.
-- @number micro
-- @string currency
-- @treturn number
function M.number(micro, currency)
  return tonumber(M.units(micro, currency))
end

return M
