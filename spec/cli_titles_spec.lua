-- bin/pinanalytics names pins as people know them: top, pin A B and
-- overview show each pin's title (or the start of its description), board
-- and link, from the API and from a store a sync filled; a pin whose
-- metadata cannot be fetched is shown by id with a note; html pictures only
-- with --images.
local cjson = require "cjson"
local H = require "helpers.sim"
local C = require "helpers.cli"
local data = require "pinanalytics.simulator.data"

local run, q = C.run, C.q

local PINS = data.account_pins(6)

-- the rows of a json report's pins (or of all its rankings), by pin id
local function by_id(rows)
  local out = {}
  for _, p in ipairs(rows) do out[p.id] = p end
  return out
end

local function requests_to(sim, pattern)
  local n = 0
  for _, r in ipairs(sim:requests()) do if r.path:match(pattern) then n = n + 1 end end
  return n
end

describe("pinanalytics names pins by title, board and link", function()
  local sim, env, dir
  setup(function()
    sim = H.start { pins_count = 6, boards_count = 2 }
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local h = assert(io.popen("mktemp -d /tmp/pa-cli-titles-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf " .. q(dir))
  end)
  before_each(function() sim:configure { pins_count = 6, boards_count = 2 } end)

  local function json(args)
    local code, out, err = run(args .. " --format json", env)
    assert.equal(0, code, args .. ": " .. err)
    return cjson.decode(out), err
  end

  local function check_pin(p, i)
    local info = data.pin_info(i)
    if info.title ~= "" then
      assert.equal(info.title, p.title)
      assert.is_nil(p.title_from)
    else
      assert.equal("description", p.title_from)
      assert.equal(info.description:sub(1, 30), p.title:sub(1, 30))
    end
    assert.equal(data.board_name_of((i - 1) % 2 + 1), p.board)
    assert.equal("https://www.pinterest.com/pin/" .. p.id .. "/", p.url)
    assert.equal(info.image_url, p.image)
  end

  local function index_of(id)
    for i, x in ipairs(PINS) do if x == id then return i end end
  end

  it("top: each pin's title (or description), board, link; GET /pins/{id} a pin, the boards once", function()
    sim:clear_log()
    local r = json("top --limit 6")
    assert.equal(6, #r.pins)
    for _, p in ipairs(r.pins) do check_pin(p, index_of(p.id)) end
    assert.equal(6, requests_to(sim, "^/v5/pins/%d+$"))
    assert.equal(1, requests_to(sim, "^/v5/boards$"))
    local code, text = run("top --limit 6", env)
    assert.equal(0, code)
    assert.truthy(text:find("Lemon tart #1", 1, true), text)
    assert.truthy(text:find("Simulated board 1", 1, true), text)
    assert.truthy(text:find("https://www.pinterest.com/pin/" .. PINS[1] .. "/", 1, true), text)
  end)

  it("pin A B: the same, and a pin whose metadata cannot be fetched by id with a note, exit 0", function()
    sim:configure { pins_count = 6, boards_count = 2,
      override = { ["/v5/pins/" .. PINS[2]] = { status = 404, body = '{"code":50,"message":"Pin not found."}' } } }
    local code, text, err = run("pin " .. PINS[1] .. " " .. PINS[2] .. " " .. PINS[5] .. " --last 7", env)
    assert.equal(0, code, err)
    assert.truthy(text:find("Lemon tart #1", 1, true), text)
    assert.truthy(text:find(PINS[2] .. "  (unknown: not found (HTTP 404))", 1, true), text)
    assert.truthy(text:find("Cold brew coffee, idea number 5", 1, true), text)
    local r = json("pin " .. PINS[1] .. " " .. PINS[2] .. " --last 7")
    local rows = by_id(r.pins)
    check_pin(rows[PINS[1]], 1)
    assert.equal("unknown: not found (HTTP 404)", rows[PINS[2]].note)
  end)

  it("overview: the rankings name each pin, from GET /pins's items (no request a pin)", function()
    sim:clear_log()
    local r = json("overview --last 7 --pins 6")
    assert.truthy(#r.rankings > 0)
    for _, g in ipairs(r.rankings) do
      for _, p in ipairs(g.pins) do check_pin(p, index_of(p.id)) end
      if g.key == "most_clicked" then assert.equal("pin and outbound clicks", g.measure) end
      assert.is_nil(g.pins[1].engagement)
      assert.equal("number", type(g.pins[1].engagements))
    end
    assert.is_nil(r.total_followers)
    assert.equal(0, requests_to(sim, "^/v5/pins/%d+$"))
    assert.equal(1, requests_to(sim, "^/v5/boards$"))
  end)

  it("html: no picture without --images; with it, an https <img> a pin", function()
    local code, html = run("top --limit 3 --format html", env)
    assert.equal(0, code)
    assert.truthy(html:find("Lemon tart", 1, true) or html:find("idea number", 1, true), html)
    assert.is_nil(html:find("<img", 1, true))
    assert.is_nil(html:find("img-src", 1, true))
    local out
    code, out = run("top --limit 3 --format html --images", env)
    assert.equal(0, code)
    local n = 0
    for src in out:gmatch('<img src="([^"]*)"') do
      n = n + 1
      assert.truthy(src:match("^https://i%.pinimg%.com/150x150/"), src)
    end
    assert.equal(3, n)
    assert.truthy(out:find("img-src https:", 1, true))
    local _, help = run("top --help")
    assert.truthy(help:find("--images", 1, true))
  end)

  it("--from-store after a sync: top, pin A B and overview name the pins without a request", function()
    local db = dir .. "/store.db"
    local code, _, err = run("sync --store " .. q(db) .. " --all-pins --account --days 7", env)
    assert.equal(0, code, err)
    local function from_store(args)
      local c, out, e = run(args .. " --from-store " .. q(db) .. " --format json", {})
      assert.equal(0, c, args .. ": " .. e)
      return cjson.decode(out)
    end
    local top = from_store("top --last 7 --limit 6")
    assert.equal(6, #top.pins)
    for _, p in ipairs(top.pins) do check_pin(p, index_of(p.id)) end
    local pins = from_store("pin " .. PINS[1] .. " " .. PINS[5] .. " --last 7")
    local rows = by_id(pins.pins)
    check_pin(rows[PINS[1]], 1)
    check_pin(rows[PINS[5]], 5)
    local ov = from_store("overview --last 7")
    assert.truthy(#ov.rankings > 0)
    for _, g in ipairs(ov.rankings) do
      for _, p in ipairs(g.pins) do check_pin(p, index_of(p.id)) end
    end
  end)
end)
