-- The command-line tool speaks in its options: a usage error names the
-- option and the value typed (never a Lua function, a parameter name or
-- "pass x = y"), suggests the name meant when one is near, and every piece
-- of advice it gives runs as printed.
local H = require "helpers.sim"
local C = require "helpers.cli"
local pinterest = require "pinanalytics.pinterest"
local store = require "pinanalytics.store"
local dates = require "pinanalytics.dates"

local run, q = C.run, C.q
local PIN = "813744226420795884"
local J = table.concat

-- nothing of Lua in a message: no module, no function, no `x = y`
local function assert_speaks_options(msg, what)
  assert.is_nil(msg:find("pinanalytics.pinterest", 1, true), what .. ": " .. msg)
  assert.is_nil(msg:find("pinanalytics.oneup", 1, true), what .. ": " .. msg)
  assert.is_nil(msg:find("pinanalytics.report", 1, true), what .. ": " .. msg)
  assert.is_nil(msg:find("clamp", 1, true), what .. ": " .. msg)
  assert.is_nil(msg:find("[%w_%]]+ = "), what .. ": " .. msg)
  assert.is_nil(msg:find("range:windows", 1, true), what .. ": " .. msg)
  assert.is_nil(msg:find("allow_plain_http", 1, true), what .. ": " .. msg)
end

-- args with the text `from` replaced by `to` (plain)
local function replaced(args, from, to)
  local at = assert(args:find(from, 1, true), from .. " not in " .. args)
  return args:sub(1, at - 1) .. to .. args:sub(at + #from)
end

describe("pinanalytics's messages", function()
  local sim, env, dir, db
  local E0 = H.day(-90) -- the earliest day the API serves
  setup(function()
    sim = H.start {}
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url,
      ONEUP_API_KEY = "sim-oneup-key", ONEUP_BASE_URL = sim.url }
    local h = assert(io.popen("mktemp -d /tmp/pa-cli-messages-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
    db = dir .. "/analytics.db"
    -- a store that holds the account and a pin: what --from-store advice reads
    local code, _, err = run("sync --store " .. q(db) .. " --pins " .. PIN .. " --account --days 3 --no-progress", env)
    assert.equal(0, code, err)
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf " .. q(dir))
  end)

  -- { args, the message (after "pinanalytics: "), { { typed, advised }, ... } }:
  -- the advice, each a replacement of what was typed, must run as printed
  local function cases()
    local PINS, ACCOUNT = J(pinterest.PIN_METRICS, ", "), J(pinterest.ACCOUNT_METRICS, ", ")
    local SORTS, VSORTS = J(pinterest.TOP_PINS_SORT, ", "), J(pinterest.TOP_VIDEO_PINS_SORT, ", ")
    local FROM = " --from-store " .. q(db)
    local old = H.day(-100)
    return {
      -- metrics, against the lists of what each command asks for
      { "pin " .. PIN .. " --metrics IMPRESSIONS", "--metrics IMPRESSIONS: IMPRESSIONS is not a pin metric; did you " ..
        "mean --metrics IMPRESSION? (pin metrics: " .. PINS .. ")", { { "--metrics IMPRESSIONS", "--metrics IMPRESSION" } } },
      { "pin " .. PIN .. " 729090764583391194 --metrics save,Impresion", "--metrics save,Impresion: Impresion is not a " ..
        "pin metric; did you mean --metrics save,IMPRESSION? (pin metrics: " .. PINS .. ")",
        { { "--metrics save,Impresion", "--metrics save,IMPRESSION" } } },
      { "pin " .. PIN .. FROM .. " --metrics SAVES", "--metrics SAVES: SAVES is not a pin metric the store keeps; did you " ..
        "mean --metrics SAVE? (pin metrics the store keeps: " .. J(store.PIN_METRICS, ", ") .. ")",
        { { "--metrics SAVES", "--metrics SAVE" } } },
      { "account --metrics save,IMPRESSIONS", "--metrics save,IMPRESSIONS: IMPRESSIONS is not an account metric; did " ..
        "you mean --metrics save,IMPRESSION? (account metrics: " .. ACCOUNT .. ")",
        { { "--metrics save,IMPRESSIONS", "--metrics save,IMPRESSION" } } },
      { "account --metrics TOTAL_COMMENTS", "--metrics TOTAL_COMMENTS: TOTAL_COMMENTS is not an account metric " ..
        "(account metrics: " .. ACCOUNT .. ")", {} },
      { "account --last 30" .. FROM .. " --metrics engagment", "--metrics engagment: engagment is not an account " ..
        "metric the store keeps; did you mean --metrics ENGAGEMENT? (account metrics the store keeps: " ..
        J(store.ACCOUNT_METRICS, ", ") .. ")", { { "--metrics engagment", "--metrics ENGAGEMENT" } } },
      { "top --metrics ENGAGMENT", "--metrics ENGAGMENT: ENGAGMENT is not a metric of top pins; did you mean " ..
        "--metrics ENGAGEMENT? (metrics of top pins: " .. ACCOUNT .. ")", { { "--metrics ENGAGMENT", "--metrics ENGAGEMENT" } } },
      { "overview --last 7 --pins 3 --metrics Impressions", "--metrics Impressions: Impressions is not an account " ..
        "metric; did you mean --metrics IMPRESSION? (account metrics: " .. ACCOUNT .. ")",
        { { "--metrics Impressions", "--metrics IMPRESSION" } } },
      -- sort keys
      { "top --sort-by SAVES", "--sort-by SAVES: SAVES is not a sort key of top; did you mean --sort-by SAVE? " ..
        "(top sorts by: " .. SORTS .. "; with --video by: " .. VSORTS .. ")", { { "--sort-by SAVES", "--sort-by SAVE" } } },
      { "top --sort-by video_start", "--sort-by video_start ranks video pins; did you mean --video --sort-by " ..
        "video_start? (top sorts by: " .. SORTS .. "; with --video by: " .. VSORTS .. ")",
        { { "--sort-by video_start", "--video --sort-by video_start" } } },
      { "top --video --sort-by VIDEO_STARTS", "--sort-by VIDEO_STARTS: VIDEO_STARTS is not a sort key of top " ..
        "--video; did you mean --sort-by VIDEO_START? (top --video sorts by: " .. VSORTS .. ")",
        { { "--sort-by VIDEO_STARTS", "--sort-by VIDEO_START" } } },
      { "top" .. FROM .. " --sort-by saves", "--sort-by saves: saves is not a pin metric the store keeps; did you " ..
        "mean --sort-by SAVE? (pin metrics the store keeps: " .. J(store.PIN_METRICS, ", ") .. ")",
        { { "--sort-by saves", "--sort-by SAVE" } } },
      -- periods the API does not serve
      { "pin " .. PIN .. " --last 100", "--last 100 reaches 100 days back; the API serves the last 90: use --last 90, " ..
        "or --from-store STORE for older days", { { "--last 100", "--last 90" }, { "--last 100", "--last 100" .. FROM } } },
      { "account --last 91", "--last 91 reaches 91 days back; the API serves the last 90: use --last 90, or " ..
        "--from-store STORE for older days", { { "--last 91", "--last 90" }, { "--last 91", "--last 91" .. FROM } } },
      { "top --last 365", "--last 365 reaches 365 days back; the API serves the last 90: use --last 90, or " ..
        "--from-store STORE for older days", { { "--last 365", "--last 90" }, { "--last 365", "--last 365" .. FROM } } },
      { "account --start " .. old .. " --end " .. H.day(-80), "--start " .. old .. " is 100 days back; the API serves " ..
        "the last 90 (from " .. E0 .. "): use --start " .. E0 .. ", or --from-store STORE for older days",
        { { "--start " .. old, "--start " .. E0 }, { "--start " .. old, "--start " .. old .. FROM } } },
      { "pin " .. PIN .. " --start 2020-01-01 --end 2020-02-01", "--start 2020-01-01 --end 2020-02-01 is older than " ..
        "the 90 days the API serves (from " .. E0 .. "): use --last 90, or --from-store STORE for older days",
        { { "--start 2020-01-01 --end 2020-02-01", "--last 90" }, { "--end 2020-02-01", "--end 2020-02-01" .. FROM } } },
      { "pin " .. PIN .. " --start " .. H.day(-2) .. " --end " .. H.day(100), "--start " .. H.day(-2) .. " --end " ..
        H.day(100) .. " spans 103 days; the API serves at most 91 at once: use --end " .. H.day(88) ..
        ", or --from-store STORE", { { "--end " .. H.day(100), "--end " .. H.day(88) } } },
      { "overview --last 90", "overview compares the period with the one before it, and the API serves the last 90 " ..
        "days (from " .. E0 .. "): --last 90 reaches 180 days back; use --last 89 or less (up to --last 45 both " ..
        "periods are whole), or --from-store STORE for older days",
        { { "--last 90", "--last 89", " --pins 3" }, { "--last 90", "--last 90" .. FROM } } },
      { "overview --preset last_90_days", "overview compares the period with the one before it, and the API serves " ..
        "the last 90 days (from " .. E0 .. "): --preset last_90_days reaches 180 days back; use --last 89 or less " ..
        "(up to --last 45 both periods are whole), or --from-store STORE for older days",
        { { "--preset last_90_days", "--last 89", " --pins 3" } } },
      { "overview --start " .. E0 .. " --end " .. H.day(-60), "overview compares the period with the one before it, " ..
        "and the API serves the last 90 days (from " .. E0 .. "): --start " .. E0 .. " reaches 121 days back; use " ..
        "--start " .. H.day(-89) .. ", or --from-store STORE for older days",
        { { "--start " .. E0, "--start " .. H.day(-89), " --pins 3" } } },
      -- formats, options, pin ids
      { "pin " .. PIN .. " --format jsn", "--format jsn: not a format; did you mean --format json? (formats: text, " ..
        "markdown, csv, json, html)", { { "--format jsn", "--format json" } } },
      { "oneup-posts --social-network-id 1 --format pdf", "--format pdf: not a format (formats: text, markdown, csv, " ..
        "json, html)", {} },
      { "pin " .. PIN .. " --lats 7", "unknown option --lats; did you mean --last?", { { "--lats", "--last" } } },
      { "account --metric SAVE", "unknown option --metric; did you mean --metrics?", { { "--metric", "--metrics" } } },
      { "sync --store " .. q(db) .. " --pin " .. PIN, "unknown option --pin; did you mean --pins?",
        { { "--pin", "--pins", " --no-progress" } } },
      { "simulate --latncy 5", "unknown option --latncy; did you mean --latency?", {} },
      { "oneup-overview --social-network-id 1 --time-zone UTC", "unknown option --time-zone; did you mean --timezone?",
        { { "--time-zone", "--timezone" } } },
      { "account --pins 3", "unknown option --pins for account (account takes " ..
        J(require("pinanalytics.cli.account").account.options, ", ") .. ")", {} },
      { "pin 12ab", "'12ab' is not a pin id (pin ID...: pin ids are strings of digits, like 813744226420795884)", {} },
      { "sync --store " .. q(db) .. " --pins 1,1a", "--pins 1,1a: '1a' is not a pin id (pin ids are strings of " ..
        "digits, like 813744226420795884)", { { "1,1a", "1" } } },
      -- the library's own checks, in the tool's words
      { "oneup-posts --social-network-id 1 --last 7 --timezone 'Bad Zone'", "--timezone 'Bad Zone' is not a time " ..
        "zone name like Europe/Paris or UTC", { { "'Bad Zone'", "Europe/Paris" } } },
      { "pin " .. PIN .. " --base-url http://example.com/v5", "--base-url http://example.com/v5 is plain http:// to " ..
        "a host that is not loopback: the token would travel unencrypted; use https://", {} },
      { "pin " .. PIN .. " --base-url foo", "--base-url must be http:// or https:// followed by a host, got foo", {} },
    }
  end

  it("name the option and the value typed, exit 2, and their advice runs as printed", function()
    for _, c in ipairs(cases()) do
      local code, out, err = run(c[1], env, nil, 30)
      assert.equal(2, code, c[1] .. ": " .. tostring(err))
      assert.equal("", out, c[1])
      assert.equal("pinanalytics: " .. c[2] .. "\nTry 'pinanalytics " .. c[1]:match("^%S+") .. " --help'.\n", err)
      assert_speaks_options(c[2], c[1])
      for _, fix in ipairs(c[3]) do
        -- the advice as printed (a store for STORE), then what the run adds (a bound on its work)
        local advised = fix[2]:gsub(" %-%-from%-store .*$", " --from-store STORE")
        if advised ~= fix[2] then advised = "--from-store STORE" end
        assert.truthy(c[2]:find(advised, 1, true), "the advice " .. advised .. " is not in: " .. c[2])
        local again = replaced(c[1], fix[1], fix[2]) .. (fix[3] or "")
        local code2, _, err2 = run(again, env, nil, 60)
        assert.equal(0, code2, again .. ": " .. tostring(err2))
      end
    end
  end)

  it("a library check that still surfaces is told in the tool's words", function()
    local E = require "pinanalytics.cli.errors"
    for _, c in ipairs({
      { 'pinanalytics.pinterest:pin_analytics: metric_types[1] = "IMPRESSIONS" is not allowed (allowed: IMPRESSION, SAVE)',
        "--metrics IMPRESSIONS is not allowed (allowed: IMPRESSION, SAVE)" },
      { "pinanalytics.pinterest:top_pins: start_date 2026-01-01 is 100 days before today (2026-04-11 UTC) (allowed: " ..
        "at most 90; earliest allowed date: 2026-01-11; or pass clamp = true)",
        "--start 2026-01-01 is 100 days before today (2026-04-11 UTC) (allowed: at most 90; earliest allowed date: " ..
        "2026-01-11; or --from-store STORE for older days)" },
      { "pinanalytics.pinterest:top_pins: start_date 2026-01-01 is 100 days before today (2026-04-11 UTC) (allowed: " ..
        "at most 90; earliest allowed date: 2026-01-11; clamp = true cannot help: the whole range is earlier)",
        "--start 2026-01-01 is 100 days before today (2026-04-11 UTC) (allowed: at most 90; earliest allowed date: " ..
        "2026-01-11; or --from-store STORE for older days)" },
      { "pinanalytics.pinterest:pin_analytics: end_date 2026-06-01 is 182 days after start_date 2026-01-01 (allowed: " ..
        "at most 90, a range of 91 days; split longer ranges with range:windows(91))",
        "--end 2026-06-01 is 182 days after --start 2026-01-01 (allowed: at most 90, a range of 91 days; or " ..
        "--from-store STORE for longer periods)" },
      { 'pinanalytics.pinterest:top_pins: sort_by = "SAVES" is not allowed (allowed: SAVE)',
        "--sort-by SAVES is not allowed (allowed: SAVE)" },
      { "pinanalytics.pinterest:top_pins: num_of_pins = 51 (number) is not allowed (allowed: a whole number 1..50)",
        "--limit 51 is not allowed (allowed: a whole number 1..50)" },
      { 'pinanalytics.report:pins: opts.sort_by = "x": no such figure (allowed: a, b)',
        "--sort-by x: no such figure (allowed: a, b)" },
      { "pinanalytics.oneup:posts: social_network_id must be a positive whole number or a string of digits, got " ..
        '"x y"', "--social-network-id must be a positive whole number or a string of digits, got 'x y'" },
      { 'pinanalytics.pinterest:pin_analytics: pin_id must be a string of digits, got "1a"',
        "the pin id must be a string of digits, got 1a" },
      { "lua/pinanalytics/report.lua:12: pinanalytics.report:pins: opts.metrics[2] = \"X\" is not allowed",
        "--metrics X is not allowed" },
    }) do
      assert.equal(c[2], E.in_options(c[1]))
      assert_speaks_options(E.in_options(c[1]), c[1])
    end
    -- as the tool prints it: a usage error, exit 2
    local ok, e = pcall(E.call, "top", function() error(
      'pinanalytics.pinterest:top_pins: sort_by = "SAVES" is not allowed (allowed: SAVE)', 0) end)
    assert.is_false(ok)
    assert.equal(E.Usage, getmetatable(e))
    assert.equal("--sort-by SAVES is not allowed (allowed: SAVE)", e.msg)
  end)

  it("the advice of a failure runs as printed too: a store to fill", function()
    local fresh = dir .. "/fresh.db"
    local code, out, err = run("account --last 7 --from-store " .. q(fresh), env)
    assert.equal(1, code, err)
    assert.equal("", out)
    local advice = err:match("`pinanalytics (sync [^`]+)` fills it")
    assert.equal("sync --store " .. fresh .. " --all-pins --account", advice, err)
    local synced, _, why = run(advice .. " --days 2 --no-progress", env)
    assert.equal(0, synced, why)
    local read, _, why2 = run("account --last 7 --from-store " .. q(fresh), env)
    assert.equal(0, read, why2)
  end)

  it("suggests by case and by edit distance, and nothing when no name is near", function()
    local O = require "pinanalytics.cli.options"
    local L = { "IMPRESSION", "SAVE", "SAVE_RATE", "PIN_CLICK", "OUTBOUND_CLICK" }
    assert.equal("IMPRESSION", O.suggest("impression", L))
    assert.equal("IMPRESSION", O.suggest("IMPRESSIONS", L))
    assert.equal("SAVE", O.suggest("saves", L))
    assert.equal("PIN_CLICK", O.suggest("PINCLICK", L))
    assert.equal("OUTBOUND_CLICK", O.suggest("outbound-clicks", L))
    assert.is_nil(O.suggest("TOTAL_COMMENTS", L))
    assert.is_nil(O.suggest("X", L))
    assert.equal("--last", O.suggest("--lats", { "--last", "--start", "--end" }))
  end)

  it("every period the tool accepts from the API is one the API serves", function()
    -- the bounds: --last 90 (overview 89), and --start the earliest day
    for _, args in ipairs({ "account --last 90", "top --last 90 --limit 3", "overview --last 89 --pins 2",
      "pin " .. PIN .. " --start " .. E0, "overview --last 45 --pins 2", "account --preset last_90_days" }) do
      local code, _, err = run(args, env, nil, 60)
      assert.equal(0, code, args .. ": " .. tostring(err))
    end
    assert.equal(dates.add_days(H.TODAY, -90), E0)
  end)
end)
