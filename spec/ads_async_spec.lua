-- Async ads reports against the simulator: create, wait, download from the
-- second origin, rows typed and merged, and everything that can go wrong.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local async = require "pinanalytics.ads.async"
local core = require "pinanalytics.core"

local ACCT = ads.ACCOUNTS[1]
local FAST = { interval = 0.01, max_interval = 0.05 }
local INTEGERS = math.type ~= nil

local function is_integer(v)
  if INTEGERS then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

local function tmpfile(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
  return path
end

local function read_all(path, kinds, key_column)
  local r = assert(core.report_reader { path = path, kinds = kinds, key_column = key_column })
  local rows = {}
  while true do
    local batch, err = r:next(2)
    if not batch then r:close(); return nil, err end
    if #batch == 0 then break end
    for _, row in ipairs(batch) do rows[#rows + 1] = row end
  end
  r:close()
  return rows
end

describe("async ads reports", function()
  local sim, client
  setup(function()
    sim = H.start { ads_report_polls = 2 }
    client = H.client(sim)
  end)
  teardown(function()
    if client then client:close() end
    if sim then sim:stop() end
  end)
  before_each(function()
    sim:configure { ads_report_polls = 2 }
    sim:clear_log()
  end)

  it("a report over 400 days arrives as three reports whose rows agree day by day with the sync data", function()
    local cols = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH", "TOTAL_IMPRESSION", "CTR", "CPC_IN_MICRO_DOLLAR" }
    local seen = {}
    local c = H.client(sim, { on_progress = function(done, total, failed) seen[#seen + 1] = { done, total, failed } end })
    local res, err = c:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY", columns = cols,
      start_date = H.day(-400), end_date = H.day(-1) }, FAST)
    c:close()
    assert.is_nil(err)
    assert.are.equal(3, #res.reports)
    assert.are.same({ H.day(-400), H.day(-215) }, { res.reports[1].start_date, res.reports[1].end_date })
    assert.are.same({ H.day(-214), H.day(-29) }, { res.reports[2].start_date, res.reports[2].end_date })
    assert.are.same({ H.day(-28), H.day(-1) }, { res.reports[3].start_date, res.reports[3].end_date })
    assert.are.same({ { 0, 3, 0 }, { 1, 3, 0 }, { 2, 3, 0 }, { 3, 3, 0 } }, seen)
    local campaigns = ads.campaigns(ACCT)
    -- every campaign and day, in date order within a campaign, no day twice
    local by = {}
    for _, row in ipairs(res.rows) do
      by[row.CAMPAIGN_ID] = by[row.CAMPAIGN_ID] or {}
      assert.is_nil(by[row.CAMPAIGN_ID][row.DATE])
      by[row.CAMPAIGN_ID][row.DATE] = row
    end
    local compared = 0
    for _, camp in ipairs(campaigns) do
      for k = -400, -1 do
        local d = H.day(k)
        local want = ads.row("CAMPAIGN", camp.id, d, d, cols)
        local got = by[camp.id] and by[camp.id][d]
        if want.SPEND_IN_MICRO_DOLLAR ~= 0 or want.TOTAL_IMPRESSION ~= 0 then
          assert.is_table(got, camp.id .. " " .. d)
          assert.are.equal(want.SPEND_IN_MICRO_DOLLAR, got.SPEND_IN_MICRO_DOLLAR)
          assert.is_true(is_integer(got.SPEND_IN_MICRO_DOLLAR))
          assert.are.equal(want.TOTAL_CLICKTHROUGH, got.TOTAL_CLICKTHROUGH)
          assert.is_true(is_integer(got.TOTAL_CLICKTHROUGH))
          assert.are.equal(want.TOTAL_IMPRESSION, got.TOTAL_IMPRESSION)
          if want.CTR then assert.is_true(math.abs(want.CTR - got.CTR) <= 1e-12 * math.abs(want.CTR)) end
          assert.are.equal(want.CPC_IN_MICRO_DOLLAR, got.CPC_IN_MICRO_DOLLAR)
          compared = compared + 1
        end
      end
    end
    assert.is_true(compared > 1000)
    assert.are.equal(#res.rows, res.count)
    -- and with the sync endpoint itself, for the days it can give (90 back)
    local ids = {}
    for i, camp in ipairs(campaigns) do ids[i] = camp.id end
    local sync = assert(client:campaign_analytics(ACCT, ids, { start_date = H.day(-89), end_date = H.day(-1),
      granularity = "DAY", columns = cols }))
    local both = 0
    for _, row in ipairs(sync) do
      local got = by[row.CAMPAIGN_ID] and by[row.CAMPAIGN_ID][row.DATE]
      if row.SPEND_IN_MICRO_DOLLAR ~= 0 then
        assert.is_table(got, row.CAMPAIGN_ID .. " " .. row.DATE)
        for _, col in ipairs(cols) do
          if col == "CTR" then -- a rate: the same to the digits both carry
            assert.is_true(math.abs(row[col] - got[col]) <= 1e-12 * math.abs(row[col]), col .. " " .. row.DATE)
          else
            assert.are.equal(row[col], got[col], col .. " " .. row.DATE)
          end
        end
        both = both + 1
      end
    end
    assert.are.equal(89 * #campaigns, both)
  end)

  it("never sends the token to the second origin (its log), and the API requests carried it", function()
    local res = assert(client:ads_report(ACCT, { level = "AD_GROUP", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }, FAST))
    assert.is_true(#res.rows > 0)
    local files = sim:file_requests()
    assert.are.equal(1, #files)
    assert.are.equal(200, files[1].status)
    assert.is_false(files[1].auth)
    local api = sim:requests()
    assert.is_true(#api >= 4) -- POST, then GET IN_PROGRESS twice and FINISHED
    for _, r in ipairs(api) do assert.is_true(r.auth) end
    assert.are.equal("POST", api[1].method)
    assert.are.equal("/v5/ad_accounts/" .. ACCT .. "/reports", api[1].path)
  end)

  it("sums a month of daily micro-dollar spend exactly to the TOTAL report", function()
    local p = { level = "CAMPAIGN", columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH" },
      start_date = H.day(-30), end_date = H.day(-1) }
    p.granularity = "DAY"
    local daily = assert(client:ads_report(ACCT, p, FAST))
    p.granularity = "TOTAL"
    local total = assert(client:ads_report(ACCT, p, FAST))
    local sums = {}
    for _, row in ipairs(daily.rows) do
      sums[row.CAMPAIGN_ID] = (sums[row.CAMPAIGN_ID] or 0) + row.SPEND_IN_MICRO_DOLLAR
    end
    assert.is_true(#total.rows >= 2)
    for _, row in ipairs(total.rows) do
      assert.is_true(is_integer(row.SPEND_IN_MICRO_DOLLAR))
      assert.are.equal(sums[row.CAMPAIGN_ID], row.SPEND_IN_MICRO_DOLLAR)
      assert.is_true(row.SPEND_IN_MICRO_DOLLAR > 0)
    end
  end)

  it("reads CSV, JSON and gzip (as a file and as Content-Encoding) alike; CSV zero-fills", function()
    local p = { level = "PIN_PROMOTION", granularity = "DAY", range = "last_7_days",
      columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH", "CTR", "TOTAL_CONVERSIONS" } }
    local json = assert(client:ads_report(ACCT, p, FAST))
    assert.are.equal("json", json.reports[1].format)
    assert.is_false(json.reports[1].gzip)
    p.report_format = "CSV"
    local csv = assert(client:ads_report(ACCT, p, FAST))
    assert.are.equal("csv", csv.reports[1].format)
    sim:configure { ads_report_polls = 0, ads_report_gzip = "file" }
    local gz = assert(client:ads_report(ACCT, p, FAST))
    assert.is_true(gz.reports[1].gzip)
    sim:configure { ads_report_polls = 0, ads_report_gzip = "encoding" }
    local enc = assert(client:ads_report(ACCT, p, FAST))
    assert.is_true(enc.reports[1].gzip)
    assert.are.equal(#json.rows, #csv.rows)
    assert.is_true(#json.rows > 10)
    for i, row in ipairs(json.rows) do
      assert.are.equal(row.PIN_PROMOTION_ID, csv.rows[i].PIN_PROMOTION_ID)
      for _, c in ipairs(p.columns) do
        local want = row[c]
        if want == nil then want = 0 end -- zero-filled in CSV
        assert.are.equal(want, csv.rows[i][c])
      end
      assert.are.same(csv.rows[i], gz.rows[i])
      assert.are.same(csv.rows[i], enc.rows[i])
    end
  end)

  it("says clearly when the report FAILED, EXPIRED or was CANCELLED", function()
    for _, st in ipairs({ "FAILED", "EXPIRED", "CANCELLED" }) do
      sim:configure { ads_report_polls = 1, ads_report_status = st }
      local res, err = client:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
        columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }, FAST)
      assert.is_nil(res)
      assert.are.equal("report", err.kind)
      assert.are.equal(st, err.report_status)
      assert.matches(st, tostring(err), 1, true)
      assert.matches("again", err.message, 1, true)
      H.assert_no_secret(err)
    end
    assert.are.equal(0, #sim:file_requests())
  end)

  it("says the link ran out (ask again) when the storage host refuses an expired link", function()
    sim:configure { ads_report_polls = 0, ads_report_link_expired = true }
    local made = assert(client:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }))
    local st = assert(client:wait_ads_report(ACCT, made.token, FAST))
    assert.are.equal("FINISHED", st.report_status)
    local rows, err = client:download_ads_report(st.url)
    assert.is_nil(rows)
    assert.are.equal("link_expired", err.kind)
    assert.are.equal(403, err.status)
    assert.matches("ask for the report's status again", err.message, 1, true)
    -- asked again, a fresh link works
    sim:configure { ads_report_polls = 0 }
    st = assert(client:ads_report_status(ACCT, made.token))
    rows = assert(client:download_ads_report(st.url, nil, { level = "CAMPAIGN" }))
    assert.is_true(#rows > 0)
  end)

  it("refuses a redirect to plain http or to another scheme, and follows one to https", function()
    for _, scheme in ipairs({ "http", "ftp" }) do
      sim:configure { ads_report_polls = 0, ads_report_redirect = scheme }
      sim:clear_log()
      local res, err = client:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
        columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }, FAST)
      assert.is_nil(res)
      assert.are.equal("redirect", err.kind)
      assert.matches("refused", err.message, 1, true)
      local files = sim:file_requests()
      assert.are.equal(1, #files) -- the 302, not followed
      assert.are.equal(302, files[1].status)
    end
    sim:configure { ads_report_polls = 0, ads_report_redirect = "https" }
    sim:clear_log()
    local res, err = client:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }, FAST)
    assert.is_nil(res)
    -- followed: the second origin speaks no TLS, so the handshake fails
    assert.is_true(err.kind == "tls" or err.kind == "network", err.kind)
    assert.are.equal(302, sim:file_requests()[1].status)
  end)

  it("takes a plain http:// report URL only from a client set up for plain http on loopback", function()
    sim:configure { ads_report_polls = 0 }
    local made = assert(client:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }))
    local st = assert(client:wait_ads_report(ACCT, made.token, FAST))
    assert.matches("^http://127%.0%.0%.1:", st.url)
    sim:clear_log()
    local tls_client = require("pinanalytics").pinterest { token = H.TOKEN, base_url = "https://api.example.invalid/v5" }
    local rows, err = tls_client:download_ads_report(st.url)
    assert.is_nil(rows)
    assert.are.equal("redirect", err.kind)
    assert.matches("plain http", err.message, 1, true)
    assert.are.equal(0, #sim:file_requests())
    tls_client:close()
    local open = require("pinanalytics").pinterest { token = H.TOKEN, base_url = "https://api.example.invalid/v5",
      allow_plain_http = true }
    rows = assert(open:download_ads_report(st.url))
    assert.is_true(#rows > 0)
    open:close()
  end)

  it("checks every request before sending it", function()
    local function raises(p, pattern, method)
      local ok, e = pcall(client[method or "create_ads_report"], client, ACCT, p)
      assert.is_false(ok)
      assert.matches(pattern, e, 1, true)
    end
    local base = { level = "CAMPAIGN", granularity = "DAY", columns = { "SPEND_IN_MICRO_DOLLAR" } }
    local function with(t)
      local p = {}
      for k, v in pairs(base) do p[k] = v end
      for k, v in pairs(t) do p[k] = v end
      return p
    end
    raises(with { columns = { "SPEND_IN_MICRO_DOLAR" }, range = "last_7_days" }, "did you mean SPEND_IN_MICRO_DOLLAR?")
    raises(with { columns = { "link clicks" }, range = "last_7_days" }, "did you mean TOTAL_CLICKTHROUGH?")
    raises(with { start_date = H.day(-915), end_date = H.day(-900) }, "at most 914")
    raises(with { start_date = H.day(-200), end_date = H.day(-1) }, "at most 186 days a report")
    raises(with { granularity = "HOUR", start_date = H.day(-5), end_date = H.day(-1) }, "at most 3 days")
    raises(with { granularity = "HOUR", start_date = H.day(-9), end_date = H.day(-8) }, "at most 8")
    raises(with { level = "PRODUCT_ITEM", start_date = H.day(-40), end_date = H.day(-1) }, "at most 31 days")
    raises(with { level = "PRODUCT_ITEM", ad_ids = { "1" }, range = "last_7_days" }, "no ad_ids")
    raises(with { report_format = "XML", range = "last_7_days" }, "report_format = \"XML\" is not allowed")
    raises(with { level = "CAMPAIGNS", range = "last_7_days" }, "level = \"CAMPAIGNS\" is not allowed")
    raises(with { campaign_ids = { 12 }, range = "last_7_days" }, "campaign_ids[1] must be a string of digits")
    raises(with { start_hour = 3, range = "last_7_days" }, "only with granularity HOUR")
    raises(with { colums = { "CTR" }, range = "last_7_days" }, "unknown parameter \"colums\"")
    raises(with { range = "last_7_days", custom_conversion_event_metrics = { { custom_event_name = "x",
      custom_event_metrics_type = "ADE_NOPE" } } }, "custom_event_metrics_type = \"ADE_NOPE\" is not allowed")
    -- ads_report splits, but not beyond 914 days back
    raises(with { start_date = H.day(-915), end_date = H.day(-1) }, "at most 914", "ads_report")
    assert.are.equal(0, #sim:requests())
  end)

  it("the simulator refuses what the API refuses", function()
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    local path = "/ad_accounts/" .. ACCT .. "/reports"
    local body = async.json { level = "CAMPAIGN", granularity = "DAY", columns = { "SPEND_IN_MICRO_DOLLAR" },
      start_date = H.day(-7), end_date = H.day(-1) }
    local status, _, res = s:request("POST", path .. "?level=CAMPAIGN", body, { "Content-Type: application/json" })
    assert.are.equal(400, status)
    assert.matches("query", res.message, 1, true)
    status, _, res = s:request("POST", path, '{"level":"CAMPAIGN"}', { "Content-Type: application/json" })
    assert.are.equal(400, status)
    assert.matches("is required", res.message, 1, true)
    status, _, res = s:request("POST", path, body:gsub("SPEND_IN_MICRO_DOLLAR", "NOPE"),
      { "Content-Type: application/json" })
    assert.are.equal(400, status)
    assert.matches("unknown column NOPE", res.message, 1, true)
    status, _, res = s:request("POST", path, body, { "Content-Type: application/json" })
    assert.are.equal(200, status)
    assert.are.equal("IN_PROGRESS", res.report_status)
    status, _, res = s:request("GET", path .. "?token=nope")
    assert.are.equal(200, status)
    assert.are.equal("DOES_NOT_EXIST", res.report_status)
    s:close()
    local st, err = client:wait_ads_report(ACCT, "nope", FAST)
    assert.is_nil(st)
    assert.are.equal("DOES_NOT_EXIST", err.report_status)
  end)

  it("gives a frame per entity, built from the streamed rows", function()
    local res = assert(client:ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH", "CAMPAIGN_NAME" }, range = "last_30_days" }, FAST))
    local frames = async.frames(res)
    local n = 0
    for id, f in pairs(frames) do
      n = n + 1
      local want = ads.row("CAMPAIGN", id, H.day(-30), H.day(-1), { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH" })
      assert.are.equal(want.SPEND_IN_MICRO_DOLLAR, f:sum("SPEND_IN_MICRO_DOLLAR"))
      assert.are.equal(want.TOTAL_CLICKTHROUGH, f:sum("TOTAL_CLICKTHROUGH"))
      local m = {}
      for _, name in ipairs(f:metrics()) do m[name] = true end
      assert.is_nil(m.CAMPAIGN_NAME)
    end
    assert.are.equal(#ads.campaigns(ACCT), n)
  end)

  it("builds the frames as the rows stream (frame_sink), sorted by id or by date", function()
    for _, sort in ipairs({ "BY_ID", "BY_DATE" }) do
      local sink, finish = async.frame_sink("AD_GROUP_ID")
      local res = assert(client:ads_report(ACCT, { level = "AD_GROUP", granularity = "DAY", primary_sort = sort,
        columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_IMPRESSION" }, range = "last_30_days" },
        { interval = 0.01, sink = sink }))
      assert.is_nil(res.rows)
      assert.is_true(res.count > 0)
      local frames = finish()
      local n = 0
      for _, g in ipairs(ads.ad_groups(ACCT)) do
        local want = ads.row("AD_GROUP", g.id, H.day(-30), H.day(-1), { "SPEND_IN_MICRO_DOLLAR", "TOTAL_IMPRESSION" })
        local f = frames[g.id]
        assert.is_truthy(f, sort .. " " .. g.id)
        assert.are.equal(30, #f)
        assert.are.equal(want.SPEND_IN_MICRO_DOLLAR, f:sum("SPEND_IN_MICRO_DOLLAR"))
        assert.are.equal(want.TOTAL_IMPRESSION, f:sum("TOTAL_IMPRESSION"))
        n = n + 1
      end
      assert.are.equal(n, H.count(frames))
    end
  end)

  it("waits through the runtime: polls back off and every wait is the runtime's sleep", function()
    sim:configure { ads_report_polls = 4 }
    local c = H.client(sim)
    local slept = {}
    local sleep = c.rt.sleep
    c.rt.sleep = function(s) slept[#slept + 1] = s; return sleep(s) end
    local made = assert(c:create_ads_report(ACCT, { level = "CAMPAIGN", granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR" }, range = "last_7_days" }))
    local st = assert(c:wait_ads_report(ACCT, made.token, { interval = 0.01, max_interval = 0.03 }))
    assert.are.equal("FINISHED", st.report_status)
    assert.are.same({ 0.01, 0.02, 0.03, 0.03 }, slept)
    c:close()
  end)
end)

describe("the report reader (core.report_reader)", function()
  local kinds = { CAMPAIGN_ID = "text", DATE = "text", SPEND_IN_MICRO_DOLLAR = "int", CTR = "float" }

  it("keeps micro-dollars exact, ids as strings, rates as floats", function()
    local path = tmpfile("CAMPAIGN_ID,DATE,SPEND_IN_MICRO_DOLLAR,CTR,NAME\n" ..
      "626000000000798607,2026-01-01,9007199254740993,0.0125,\"a, \"\"b\"\"\"\r\n")
    local rows = assert(read_all(path, kinds))
    os.remove(path)
    assert.are.equal("626000000000798607", rows[1].CAMPAIGN_ID)
    if INTEGERS then
      assert.are.equal(math.tointeger("9007199254740993"), rows[1].SPEND_IN_MICRO_DOLLAR)
      assert.are.equal("integer", math.type(rows[1].SPEND_IN_MICRO_DOLLAR))
      assert.are.equal("float", math.type(rows[1].CTR))
    end
    assert.are.equal(0.0125, rows[1].CTR)
    assert.are.equal('a, "b"', rows[1].NAME)
  end)

  it("fills the key column of JSON rows from their key", function()
    local path = tmpfile('{"111":[{"DATE":"2026-01-01","SPEND_IN_MICRO_DOLLAR":1500000,"X":null},' ..
      '{"DATE":"2026-01-02","SPEND_IN_MICRO_DOLLAR":7.0}],"222":[],"333":[{"CAMPAIGN_ID":"9","CTR":1e-3}]}')
    local rows = assert(read_all(path, kinds, "CAMPAIGN_ID"))
    os.remove(path)
    assert.are.equal(3, #rows)
    assert.are.same({ "111", "111", "9" }, { rows[1].CAMPAIGN_ID, rows[2].CAMPAIGN_ID, rows[3].CAMPAIGN_ID })
    assert.are.equal(7, rows[2].SPEND_IN_MICRO_DOLLAR)
    assert.is_true(is_integer(rows[2].SPEND_IN_MICRO_DOLLAR))
    assert.is_nil(rows[1].X)
    assert.are.equal(0.001, rows[3].CTR)
  end)

  it("refuses a malformed or cut file, naming the row, and never gives fewer rows as if complete", function()
    local cases = {
      { "CAMPAIGN_ID,SPEND_IN_MICRO_DOLLAR\n1,2\n3\n", "row 2: fewer cells" },
      { "CAMPAIGN_ID,SPEND_IN_MICRO_DOLLAR\n1,2.5\n", "row 1: column SPEND_IN_MICRO_DOLLAR: not a whole number" },
      { "A,B\n\"x\"y,1\n", "text after a quoted cell" },
      { '{"1":[{"DATE":"2026-01-01"}', "expected , or ] between rows" },
      { '{"1":[{"DATE":{"a":1}}]}', "an object or array in a row" },
      { '{"1":[]} x', "more text after the report's object" },
      { "\31\139\8\0\0\0\0\0\0\255garbage", "gzip" },
    }
    for _, c in ipairs(cases) do
      local path = tmpfile(c[1])
      local rows, err = read_all(path, kinds, "CAMPAIGN_ID")
      os.remove(path)
      assert.is_nil(rows, c[1])
      assert.matches(c[2], err, 1, true)
    end
    -- a gzip file cut short
    local gz = require("pinanalytics.simulator.ads_reports").gzip("CAMPAIGN_ID,CTR\n" .. ("1,0.5\n"):rep(100))
    local path = tmpfile(gz:sub(1, #gz - 4)) -- the data whole, the end of the gzip member cut
    local rows, err = read_all(path, kinds)
    os.remove(path)
    assert.is_nil(rows)
    assert.matches("gzip", err, 1, true)
  end)

  it("streams a large file in batches of bounded size", function()
    local parts = { "CAMPAIGN_ID,DATE,SPEND_IN_MICRO_DOLLAR\n" }
    for i = 1, 20000 do parts[#parts + 1] = i .. ",2026-01-01," .. (i * 1000003) .. "\n" end
    local path = tmpfile(table.concat(parts))
    local r = assert(core.report_reader { path = path, kinds = kinds })
    local n, sum, batches = 0, 0, 0
    while true do
      local batch = assert(r:next(1000))
      if #batch == 0 then break end
      assert.is_true(#batch <= 1000)
      batches = batches + 1
      for _, row in ipairs(batch) do n = n + 1; sum = sum + row.SPEND_IN_MICRO_DOLLAR end
    end
    r:close()
    os.remove(path)
    assert.are.equal(20000, n)
    assert.are.equal(20, batches)
    assert.are.equal(1000003 * 20000 * 20001 / 2, sum)
  end)
end)
