-- The ads column catalogue: every column of the official enums, its kind,
-- readable name and description; suggestions; and the C core's typing by
-- the same kinds.
local columns = require "pinanalytics.ads.columns"
local core = require "pinanalytics.core"

local function is_integer(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

describe("ads columns", function()
  it("holds the 175 sync and 613 async columns of the official description, each once", function()
    assert.equal(175, #columns.SYNC)
    assert.equal(613, #columns.ASYNC)
    for _, list in ipairs({ columns.SYNC, columns.ASYNC }) do
      local seen = {}
      for _, n in ipairs(list) do
        assert.is_nil(seen[n], n)
        seen[n] = true
        assert.truthy(n:match("^[A-Z0-9_]+$"), n)
      end
    end
    -- every sync column but one is an async column too
    local only_sync = {}
    for _, n in ipairs(columns.SYNC) do
      if not columns.get(n).async then only_sync[#only_sync + 1] = n end
    end
    assert.same({ "QUIZ_PIN_RESULT_OPEN" }, only_sync)
    assert.equal(614, #columns.ALL)
  end)

  it("gives every column a kind, a readable name and a one-line description", function()
    local kinds = {}
    for _, k in ipairs(columns.KINDS) do kinds[k] = true end
    for _, n in ipairs(columns.ALL) do
      local c = columns.get(n)
      assert.equal(n, c.name)
      assert.is_true(kinds[c.kind], n)
      assert.is_true(#c.label > 0 and not c.label:find("\n"), n)
      assert.is_true(#c.description > 10 and not c.description:find("\n"), n)
      assert.is_nil(c.label:find("_", 1, true), n) -- readable, not the API's name
    end
    assert.equal(175, (function()
      local k = 0
      for _, n in ipairs(columns.ALL) do if columns.get(n).sync then k = k + 1 end end
      return k
    end)())
  end)

  it("kinds: ids strings, counts, money in micro-units, money, rates, text", function()
    local want = {
      AD_ACCOUNT_ID = "id", CAMPAIGN_ID = "id", PIN_ID = "id", AD_ID = "id",
      TOTAL_CLICKTHROUGH = "count", TOTAL_IMPRESSION = "count", TOTAL_CONVERSIONS = "count",
      SPEND_IN_MICRO_DOLLAR = "money_micro", TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR = "money_micro",
      CPC_IN_MICRO_DOLLAR = "money_micro", CAMPAIGN_DAILY_SPEND_CAP = "money_micro",
      SPEND_IN_DOLLAR = "money", ECPC_IN_DOLLAR = "money", PAGE_VISIT_COST_PER_ACTION = "money",
      CTR = "rate", ECTR = "rate", ENGAGEMENT_RATE = "rate", CHECKOUT_ROAS = "rate",
      TOTAL_IMPRESSION_FREQUENCY = "rate", TOTAL_VIDEO_AVG_WATCHTIME_IN_SECOND = "float",
      CAMPAIGN_NAME = "string", CAMPAIGN_ENTITY_STATUS = "string", PRODUCT_ITEM_BRAND = "string",
      PRODUCT_ITEM_PRICE = "money",
    }
    for n, k in pairs(want) do assert.equal(k, columns.kind(n), n) end
    assert.is_nil(columns.kind("NOT_A_COLUMN"))
    assert.is_true(columns.get("CPC_IN_MICRO_DOLLAR").ratio)
    assert.is_true(columns.get("CTR").ratio)
    assert.is_false(columns.get("SPEND_IN_MICRO_DOLLAR").ratio)
    assert.is_true(columns.get("TOTAL_CHECKOUT").conversion)
    assert.is_false(columns.get("TOTAL_CLICKTHROUGH").conversion)
  end)

  it("names columns as Ads Manager shows them", function()
    assert.equal("Link clicks", columns.label("TOTAL_CLICKTHROUGH"))
    assert.equal("Impressions", columns.label("TOTAL_IMPRESSION"))
    assert.equal("Spend", columns.label("SPEND_IN_DOLLAR"))
    assert.equal("CTR", columns.label("ECTR"))
    assert.equal("Checkouts", columns.label("TOTAL_CHECKOUT"))
    assert.equal("Paid video p100 complete", columns.label("VIDEO_P100_COMPLETE_1"))
    assert.equal("ROAS (web checkouts)", columns.label("WEB_CHECKOUT_ROAS"))
    assert.equal("Value of web checkouts after a click (micro-units)",
      columns.label("TOTAL_WEB_CLICK_CHECKOUT_VALUE_IN_MICRO_DOLLAR"))
    assert.truthy(columns.get("SPEND_IN_MICRO_DOLLAR").description:find("micro-units", 1, true))
  end)

  it("suggests the nearest column by edit distance and by readable name", function()
    assert.equal("TOTAL_CLICKTHROUGH", (columns.suggest("TOTAL_CLICKTROUGH")))
    assert.equal("TOTAL_CLICKTHROUGH", (columns.suggest("link clicks")))
    assert.equal("TOTAL_CLICKTHROUGH", (columns.suggest("Link-Clicks")))
    assert.equal("SPEND_IN_MICRO_DOLLAR", (columns.suggest("spend_in_micro_dolar")))
    assert.equal("TOTAL_IMPRESSION", (columns.suggest("impressions")))
    assert.equal("CTR", (columns.suggest("ctr")))
    assert.is_nil((columns.suggest("xyzzy plugh")))
    assert.is_nil((columns.suggest("")))
    -- among the sync columns only
    local best = columns.suggest("TOTAL_CONVERSION", columns.SYNC)
    assert.equal("TOTAL_CONVERSIONS", best)
    assert.equal(1, columns.distance("CTR", "CTRS", 3))
    assert.equal(1, columns.distance("ab", "ba", 3)) -- a transposition
  end)

  it("the C core types by the same kinds (its table generated from the catalogue)", function()
    for _, n in ipairs(columns.ALL) do
      assert.equal(columns.kind(n), core.ads_column_kind(n), n)
    end
    assert.is_nil(core.ads_column_kind("NOT_A_COLUMN"))
    assert.is_nil(core.ads_column_kind("CTR_"))
    assert.is_nil(core.ads_column_kind(""))
  end)

  it("decodes rows typed by kind, never by value", function()
    local rows, ok = core.decode('[{"AD_ACCOUNT_ID":"547602124502","CAMPAIGN_ID":2680067996745,' ..
      '"DATE":"2021-04-01","SPEND_IN_DOLLAR":30,"SPEND_IN_MICRO_DOLLAR":30000000.0,"TOTAL_CLICKTHROUGH":216,' ..
      '"CTR":1,"CPC_IN_MICRO_DOLLAR":12.5,"CAMPAIGN_NAME":"Spring","ECTR":null,"UNKNOWN_COLUMN":7}]', "ads_rows")
    assert.is_true(ok)
    local r = rows[1]
    assert.equal("547602124502", r.AD_ACCOUNT_ID)
    assert.equal("2680067996745", r.CAMPAIGN_ID) -- an id sent as a number becomes its digits
    assert.equal("2021-04-01", r.DATE)
    assert.is_true(is_integer(r.SPEND_IN_MICRO_DOLLAR))
    assert.equal(30000000, r.SPEND_IN_MICRO_DOLLAR)
    assert.is_true(is_integer(r.TOTAL_CLICKTHROUGH))
    if math.type then
      assert.equal("float", math.type(r.SPEND_IN_DOLLAR)) -- money in units: a float even when whole
      assert.equal("float", math.type(r.CTR)) -- a rate: a float even when whole
      assert.equal("integer", math.type(r.UNKNOWN_COLUMN)) -- the general rule
    end
    assert.equal(12.5, r.CPC_IN_MICRO_DOLLAR)
    assert.equal(core.null, r.ECTR)
    -- what the walk refuses: an id that cannot be exact, a count that is a string
    local _, bad = core.decode('[{"AD_ID":12345678901234567890}]', "ads_rows")
    assert.is_false(bad)
    _, bad = core.decode('[{"TOTAL_CLICKTHROUGH":"3"}]', "ads_rows")
    assert.is_false(bad)
    _, bad = core.decode('[{"CTR":"0.1"}]', "ads_rows")
    assert.is_false(bad)
    _, bad = core.decode('{"CTR":0.1}', "ads_rows")
    assert.is_false(bad)
    -- the targeting answer: rows under data[].metrics
    local t
    t, ok = core.decode('{"data":[{"targeting_type":"APPTYPE","targeting_value":"iphone","metrics":' ..
      '{"AD_GROUP_ID":2680067996745,"SPEND_IN_DOLLAR":240,"TOTAL_IMPRESSION":10}}]}', "ads_targeting")
    assert.is_true(ok)
    assert.equal("2680067996745", t.data[1].metrics.AD_GROUP_ID)
    assert.is_true(is_integer(t.data[1].metrics.TOTAL_IMPRESSION))
    if math.type then assert.equal("float", math.type(t.data[1].metrics.SPEND_IN_DOLLAR)) end
  end)
end)
