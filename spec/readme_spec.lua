-- Every instruction of the README (and of the guides under docs/, *.md) runs
-- as written, in a fresh copy of this checkout (the files git would commit,
-- and the builds, so that `make build` there has nothing to compile), in a
-- folder only its owner can read, as a clone in root's home is:
--   - every shell command: the indented command blocks, ```sh blocks, the
--     commands in the nginx.conf's comments, and the commands in `code`
--     spans of the text;
--   - every ```lua block, and the ```nginx configuration (nginx started as
--     the spec's user, root on the test machine, one worker).
-- A command that needs a token gets the simulator's through the variables
-- the text names (PINTEREST_ACCESS_TOKEN, PINTEREST_BASE_URL, ONEUP_*); the
-- placeholders the text names stand for the simulator's values (`...` for
-- the token, PIN_ID for a pin). Lua blocks that use names the text made
-- before (`pin`, `res`, `ov` ...) get them from a prelude, the simulator's.
-- What cannot run here is in NOT_RUN with the reason, and the spec prints
-- that list: an instruction that is neither run nor listed fails the spec,
-- and so does a listed one the documents no longer have.
local host = require "helpers.host"
local X = require "helpers.child"
local data = require "pinanalytics.simulator.data"
local dates = require "pinanalytics.dates"

local q = host.sh_quote
local PIN = "813744226420795884"

-- the documents ------------------------------------------------------------

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local DOCS = { "README.md" }
for f in host.capture("ls docs/*.md 2>/dev/null"):gmatch("[^\n]+") do DOCS[#DOCS + 1] = f end

local COMMAND = { "^make$", "^make ", "^lua5%.%d ", "^luajit ", "^nvim ", "^nginx ", "^curl ", "^pinanalytics ",
  "^pinanalytics$", "^bin/pinanalytics", "^export ", "^eval ", "^luarocks ", "^LUA_PATH=", "^PINTEREST_ACCESS_TOKEN=" }
local function is_command(s)
  for _, p in ipairs(COMMAND) do if s:find(p) then return true end end
  return false
end

-- { doc, line, kind = "lua"|"sh"|"nginx"|"inline", text }
local function instructions()
  local list = {}
  for _, doc in ipairs(DOCS) do
    local lines = {}
    for l in (read(doc) .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    local prose = {}
    local i = 1
    while i <= #lines do
      local l = lines[i]
      local indent, lang = l:match("^(%s*)```(%w*)%s*$")
      if indent then
        local body, j = {}, i + 1
        while j <= #lines and not lines[j]:match("^%s*```%s*$") do
          body[#body + 1] = lines[j]:sub(#indent + 1)
          j = j + 1
        end
        if lang == "lua" or lang == "sh" or lang == "nginx" then
          list[#list + 1] = { doc = doc, line = i, kind = lang, text = table.concat(body, "\n") .. "\n" }
        end
        prose[#prose + 1] = ""
        i = j + 1
      elseif l:match("^    %S") and (lines[i - 1] or "") == "" then
        local body, j = {}, i
        while j <= #lines and (lines[j]:match("^    ") or (lines[j] == "" and (lines[j + 1] or ""):match("^    %S"))) do
          body[#body + 1] = lines[j]:sub(5)
          j = j + 1
        end
        if is_command(body[1]) then
          list[#list + 1] = { doc = doc, line = i, kind = "sh", text = table.concat(body, "\n") .. "\n" }
        end
        i = j
      else
        prose[#prose + 1] = l
        i = i + 1
      end
    end
    local seen = {}
    for span in table.concat(prose, " "):gsub("%s+", " "):gmatch("`([^`]+)`") do
      if is_command(span) and not seen[span] then
        seen[span] = true
        list[#list + 1] = { doc = doc, kind = "inline", text = span }
      end
    end
  end
  return list
end

-- what is not run, and why (keys: the command, or a line of the block)
local TESTS = "run by `make test` itself (spec/run.sh), which runs this spec"
local NOT_RUN = {
  ["make test"] = "`make test` runs this spec: it cannot run itself",
  ["make test-all"] = "`make test` on four runtimes: it runs this spec",
  ["make test LUA=lua5.1"] = "`make test` on Lua 5.1: it runs this spec",
  ["make test-asan"] = "every spec under ASan, this one included (minutes)",
  ["make lint"] = TESTS,
  ["make check-luajit"] = TESTS,
  ["make memcheck"] = TESTS,
  ["make asan"] = TESTS,
  ["make bench"] = "about 7 minutes of measuring; never part of the tests",
  ["make soak"] = "200,000 requests; part of make bench, never of the tests",
  ["make fuzz"] = "minutes of fuzzing with clang; run on its own",
  ["make fuzz FUZZ_SECONDS=600"] = "40 minutes of fuzzing",
  ["make rock"] = "builds the rock twice with LuaRocks (a minute); the recipe of docs/install.md is what it runs",
  ["make screenshot"] = "spec/report_browser_spec.lua takes the picture when Chromium is installed",
  ["make clean"] = "would remove the builds the other commands here use",
  ["make docs"] = "spec/docs_spec.lua runs LDoc on the sources and checks the reference",
  ["luarocks --lua-version=5.4 make --local --deps-mode=none"] =
    "the LuaRocks recipe: `make rock` (tools/rock.sh) runs it word for word in a temporary HOME",
  ["luarocks path"] = "part of the LuaRocks recipe, run by `make rock`",
  ["lua5.4 liblua5.4-dev libcurl4-openssl-dev zlib1g-dev lua-cjson lua-socket nginx libnginx-mod-http-lua gcc pkg-config"] =
    "a list of Debian packages, not a command",
  ["lua5.4 liblua5.4-dev libcurl4-openssl-dev zlib1g-dev lua-cjson lua-socket gcc luarocks"] =
    "a list of Debian packages, not a command",
  ["lua5.3 liblua5.3-dev lua5.1 liblua5.1-0-dev"] = "a list of Debian packages, not a command",
  ["pinanalytics COMMAND --help"] = "COMMAND stands for any command: `pinanalytics pin --help` runs instead",
  ["pinanalytics logout ACCOUNT"] = "ACCOUNT stands for an account's name: the login test runs " ..
    "`pinanalytics logout simulated_account` on the account it logged in",
  ["pinanalytics sync --store ... --all-pins --account"] =
    "a message quoted, `...` for the store of the message; the sync commands with a store run in full",
  ["# daily, from cron: yesterday and the days not READY yet, for every pin and the account"] =
    "writes under /var/lib and needs PostgreSQL at db.internal; the same commands on analytics.db run",
  ["local b = pa.core.batch { base_url = ..., token = ..., concurrency = 8, events = true }"] =
    "a sketch for another event loop: watch, unwatch and set_timer are that loop's own",
  ["local pager = pin:list_pins{ page_size = 250 }"] =
    "`do ... end` stands for the code of one's own; spec/paginate_spec.lua runs each form",
  ["local f = pa.frame(res.all)                           -- one split of an analytics answer"] =
    "a list of the frame's methods, `...` for the code of one's own; spec/frame_spec.lua runs each",
}

-- the copy of the checkout, and the simulator ------------------------------

local clone, env, sim
local function sh(cmd, extra_env)
  return host.capture(X.plain("cd " .. q(clone) .. " && " .. (extra_env or "") .. env .. " sh -e -c " ..
    q(cmd) .. " 2>&1; echo \"[exit $?]\""))
end
local function ok(out, what)
  assert.truthy(out:find("%[exit 0%]\n$"), (what or "") .. "\n" .. out)
  return out
end
local LUA_ENV = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/lua5.4/?.so;;' "

local ran = {}
local function mark(key) ran[key] = true end

setup(function()
  host.need_luajit_build()
  local top = host.capture("mktemp -d /tmp/pa-readme-XXXXXX"):gsub("%s+$", "") -- mode 0700
  clone = top .. "/pinanalytics"
  assert(os.execute("mkdir -p " .. q(clone) .. " && git ls-files --cached --others --exclude-standard -z | " ..
    "xargs -0 -I{} sh -c '[ ! -f \"$1\" ] || { mkdir -p \"$2/$(dirname \"$1\")\" && cp -p \"$1\" \"$2/$1\"; }' _ {} " ..
    q(clone) .. " && mkdir -p " .. q(clone .. "/build") .. " && cp -pR build/lua5.4 build/luajit " ..
    q(clone .. "/build/")))
  sim = require("pinanalytics.simulator").start {}
  env = "env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT " ..
    "PINTEREST_ACCESS_TOKEN=" .. q(sim.token) .. " PINTEREST_BASE_URL=" .. q(sim.pinterest_url) ..
    " ONEUP_BASE_URL=" .. q(sim.url) .. " ONEUP_API_KEY=sim-oneup-key"
  ok(sh("make build build-luajit"), "make build build-luajit in the copy")
end)

teardown(function()
  if sim then sim:stop() end
  if clone then os.execute("rm -rf " .. q(clone:match("^(.*)/pinanalytics$"))) end
end)

local function find(kind, needle)
  for _, ins in ipairs(instructions()) do
    if (kind == nil or ins.kind == kind) and ins.text:find(needle, 1, true) then return ins end
  end
  error("no " .. (kind or "") .. " instruction with " .. needle .. " in " .. table.concat(DOCS, ", "))
end

local function sim_impressions(pin, range)
  return data.pin_analytics(pin, { start_date = range.start_date, end_date = range.end_date,
    metric_types = { "IMPRESSION" } }, dates.today()).all.summary_metrics.IMPRESSION
end

describe("the instructions of the README and the guides", function()
  it("the build commands: make build, make build LUA=luajit, make build LUA=lua5.1, make build-luajit, make demo", function()
    -- the first block: make demo, and make test (not run here: NOT_RUN)
    local first = find("sh", "make demo ")
    assert.truthy(first.text:find("\nmake test +#"), first.text)
    mark(first.text)
    for _, c in ipairs({ "make build", "make build LUA=luajit", "make build-luajit", "make demo" }) do
      find("inline", c)
      local out = ok(sh(c), c)
      if c == "make demo" then assert.truthy(out:find("build/demo/overview.html", 1, true), out) end
      mark(c)
    end
    -- lua5.1: built only when its headers are there (make test-all installs them)
    if io.open("/usr/include/lua5.1/lua.h", "rb") then ok(sh("make build LUA=lua5.1")) end
    mark("make build LUA=lua5.1")
    mark("make")
    -- the LuaJIT copy for Neovim is never what a plain Lua loads
    local out = ok(sh(LUA_ENV .. "lua5.4 -e 'print(package.searchpath(\"pinanalytics.core\", package.cpath))'"))
    assert.truthy(out:find("^build/lua5.4/pinanalytics/core.so\n"), out)
    assert.truthy(io.open(clone .. "/lua/pinanalytics/core.so", "rb"))
  end)

  it("the Quick start: the Lua block saved as quickstart.lua, run with the README's command", function()
    local block = find("lua", 'require("pinanalytics.simulator").start{}')
    local f = assert(io.open(clone .. "/quickstart.lua", "wb"))
    f:write(block.text)
    f:close()
    local cmd = assert(read(block.doc):match("run\n`(LUA_PATH=[^`]+ lua5%.4 quickstart%.lua)`"),
      "the command after 'then run'")
    local out = ok(sh(cmd), cmd)
    local r = dates.last(30)
    assert.truthy(out:find(tostring(r) .. "\t" .. sim_impressions(PIN, r) .. "\n", 1, true), out)
    mark(block.text) mark("lua5.4 quickstart.lua") mark(cmd)

    -- with a token: the two simulator lines left out, the client made as said
    local real = find("lua", 'os.getenv("PINTEREST_ACCESS_TOKEN")')
    local text = block.text:gsub("[^\n]*local sim = [^\n]*\n", ""):gsub("[^\n]*sim:stop%(%)[^\n]*\n", "")
    text = text:gsub("local pin = pa%.pinterest[^\n]*\n", function() return real.text end)
    assert.falsy(text:find("sim[.:]"), text)
    f = assert(io.open(clone .. "/quickstart.lua", "wb"))
    f:write(text)
    f:close()
    out = ok(sh(cmd), cmd)
    assert.truthy(out:find(tostring(r) .. "\t" .. sim_impressions(PIN, r) .. "\n", 1, true), out)
    mark(real.text)
  end)

  it("the example's command lines, the examples' and their placeholders", function()
    local block = find("sh", "examples/pin_analytics.lua --simulator")
    local text = block.text:gsub("PINTEREST_ACCESS_TOKEN=%.%.%.", "PINTEREST_ACCESS_TOKEN=\"$PINTEREST_ACCESS_TOKEN\"")
      :gsub("PIN_ID", PIN)
    local out = ok(sh(text), text)
    assert.equal(2, select(2, out:gsub("IMPRESSION", "")) >= 2 and 2 or 0, out)
    mark(block.text)
    local ex = find("sh", "examples/weekly_report.lua > week.md")
    ok(sh(ex.text .. "grep -q '^# Weekly report' week.md"), ex.text)
    mark(ex.text) mark("lua5.4 examples/weekly_report.lua > week.md")
  end)

  it("bin/pinanalytics from a clone: the PATH line, simulate, its export lines and the hints it prints", function()
    local block = find("sh", "pinanalytics simulate")
    -- simulate serves until SIGTERM: its first lines, then it is stopped
    local log = clone .. "/simulate.out"
    local out = ok(sh("unset PINTEREST_ACCESS_TOKEN PINTEREST_BASE_URL; (" .. block.text:gsub("\n$", "") ..
      ") >" .. q(log) .. " 2>&1 & pid=$!; for i in $(seq 100); do grep -q '^Stop it' " .. q(log) ..
      " && break; sleep 0.1; done; kill -TERM $pid; wait $pid || true; cat " .. q(log)), block.text)
    assert.truthy(out:find("simulator stopped", 1, true), out)
    local exports = {}
    for l in (out:match("^(.-)then, for example:") or ""):gmatch("\n  (export [^\n]+)") do exports[#exports + 1] = l end
    assert.equal(4, #exports, out)
    -- how to try the login: the sign-in page, the app, the command by its path
    local login = out:match("To try logging in against it[^\n]*\n(.-)\nLogs:") or ""
    local n = 0
    for _ in login:gmatch("  export [^\n]+") do n = n + 1 end
    assert.equal(3, n, out)
    assert.truthy(login:find("\n  /[^ ]*/bin/pinanalytics login %-%-no%-browser "), out)
    local hints = {}
    for l in (out:match("then, for example:\n(.-)\nTo try logging in") or ""):gmatch("  ([^\n]+)") do
      hints[#hints + 1] = l
    end
    assert.is_true(#hints >= 3, out)
    -- the simulator is gone with it: the hints go to the spec's, through
    -- the same export lines
    local path = block.text:match("(export PATH=[^\n]+)")
    for _, hint in ipairs(hints) do
      -- the tool names itself by the path it ran from: a hint runs as
      -- printed, in another terminal without the PATH line too
      assert.truthy(hint:find("^/[^ ]*/bin/pinanalytics "), hint)
      ok(sh("cd / && " .. hint .. " >/dev/null"), hint)
    end
    local then_ = find("sh", "pinanalytics pin 813744226420795884 --last 7")
    out = ok(sh(path .. "\n" .. then_.text), then_.text)
    assert.truthy(out:find("Impressions", 1, true) or out:find("IMPRESSION", 1, true), out)
    assert.truthy(io.open(clone .. "/overview.html", "rb"))
    mark(block.text) mark(then_.text) mark("pinanalytics simulate")
    -- the tool's other forms the text names
    for _, c in ipairs({ "bin/pinanalytics --help", "lua5.4 bin/pinanalytics --version",
        path .. "\npinanalytics --help", path .. "\npinanalytics pin --help",
        path .. "\npinanalytics top --sort-by SAVE --limit 25 --format csv",
        path .. "\npinanalytics overview --output overview.html" }) do
      ok(sh(c), c)
    end
    for _, k in ipairs({ "pinanalytics", "bin/pinanalytics", "lua5.4 bin/pinanalytics", "pinanalytics --help",
        "pinanalytics sync",
        "pinanalytics top --sort-by SAVE --limit 25 --format csv", "pinanalytics overview --output overview.html" }) do
      mark(k)
    end
  end)

  it("bin/pinanalytics runs on a Lua its C core is built for, whatever `lua` is, or says how to build it", function()
    -- `lua` on the PATH is Lua 5.1, which has no build here
    local fake = clone .. "/fakebin"
    ok(sh("mkdir -p fakebin && ln -sf /usr/bin/lua5.1 fakebin/lua"))
    local out = ok(sh("PATH=" .. q(fake) .. ":$PATH; lua -v; bin/pinanalytics --version"))
    assert.truthy(out:find("\npinanalytics %d+%.%d+%.%d+\n"), out)
    -- from elsewhere, through a symbolic link
    out = ok(sh("ln -sf \"$PWD/bin/pinanalytics\" fakebin/pa && cd / && " .. q(fake .. "/pa") .. " --version"))
    assert.truthy(out:find("^pinanalytics %d"), out)
    -- no build at all: one line, the command that makes one
    out = sh("mkdir -p nobuild && mv build nobuild/ && { bin/pinanalytics --version || echo \"rc $?\"; }; " ..
      "mv nobuild/build build")
    assert.truthy(out:find("^pinanalytics: the C core is not built in [^\n]+: run 'make build' there[^\n]*\nrc 1\n"), out)
  end)

  it("pinanalytics ads report, as docs/ads_reports.md has it", function()
    local block = find("sh", "pinanalytics ads report --account-id")
    local out = ok(sh("export PATH=\"$PWD/bin:$PATH\"\n" .. block.text), block.text)
    local f = assert(io.open(clone .. "/ads.json", "rb"))
    local doc = f:read("*a")
    f:close()
    assert.truthy(doc:find('^{"626%d+":%[{"CAMPAIGN_ID":"626%d+","DATE":"%d%d%d%d%-%d%d%-%d%d"'), doc:sub(1, 200))
    assert.equal("[exit 0]\n", out)
    mark(block.text) mark("pinanalytics ads report")
  end)

  it("the ads commands of the README and of docs/ads.md", function()
    local acct = "549000000000031337"
    local block = find("sh", "pinanalytics ads overview --account-id " .. acct .. " --last 30")
    local out = ok(sh("export PATH=\"$PWD/bin:$PATH\"\nrm -f ads.db\n" .. block.text), block.text)
    assert.truthy(out:find("Ads overview\n", 1, true), out)
    assert.truthy(out:find("\nrank,campaign_id,name,status,currency,spend,", 1, true), out)
    assert.truthy(out:find("synced ads into ads.db: 1 ad account, ", 1, true), out)
    local f = assert(io.open(clone .. "/ads.html", "rb"))
    assert.truthy(f:read("*a"):find("<svg", 1, true))
    f:close()
    mark(block.text)
    block = find("sh", "pinanalytics ads overview --account-id " .. acct .. " --last 14 --format markdown")
    out = ok(sh("export PATH=\"$PWD/bin:$PATH\"\nrm -f ads.db\n" .. block.text), block.text)
    assert.truthy(out:find("| Paid CTR |", 1, true), out)
    assert.truthy(out:find("Sorted by: Spend, highest first", 1, true), out)
    f = assert(io.open(clone .. "/campaigns.json", "rb"))
    assert.truthy(f:read("*a"):find('"sort_by":"ctr"', 1, true))
    f:close()
    mark(block.text)
  end)

  it("the local store's commands", function()
    local block = find("sh", "pinanalytics sync --store analytics.db --all-pins --account")
    local out = ok(sh("export PATH=\"$PWD/bin:$PATH\"\n" .. block.text:gsub("%s+# [^\n]*", "")), block.text)
    assert.truthy(out:find("synced analytics.db", 1, true), out)
    assert.truthy(io.open(clone .. "/q.html", "rb"))
    mark(block.text)
  end)

  it("logging in: login with a script as the browser, accounts, a report with no token, logout", function()
    local block = find("sh", "pinanalytics login\npinanalytics accounts\n")
    -- the browser: follows the sign-in page's redirect to the listener
    local f = assert(io.open(clone .. "/browser.sh", "wb"))
    f:write("#!/bin/sh\nexec curl -s -L -o /dev/null --max-time 20 \"$1\"\n")
    f:close()
    -- the port only is another free one (8085 may be taken on this machine)
    local socket = require "socket"
    local s = assert(socket.bind("127.0.0.1", 0))
    local _, port = s:getsockname()
    s:close()
    local text = block.text:gsub("pinanalytics login\n", "pinanalytics login --port " .. port .. "\n", 1)
    local creds = clone .. "/login-test/credentials.json"
    local out = ok(sh("chmod 755 browser.sh; export PATH=\"$PWD/bin:$PATH\"; unset PINTEREST_ACCESS_TOKEN\n" .. text ..
      "pinanalytics logout simulated_account\npinanalytics accounts\n",
      "PINTEREST_OAUTH_URL=" .. q(sim.url .. "/oauth/authorize") .. " PINTEREST_CLIENT_ID=sim-client-id " ..
      "PINTEREST_CLIENT_SECRET=sim-client-secret BROWSER=" .. q(clone .. "/browser.sh") ..
      " PINANALYTICS_CREDENTIALS=" .. q(creds) .. " "), block.text)
    assert.truthy(out:find("logged in as simulated_account: its tokens are saved in " .. creds, 1, true), out)
    assert.truthy(out:find("\nsimulated_account +%d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC"), out)
    assert.truthy(out:find("\nAccount\n=======\n", 1, true), out)
    assert.truthy(out:find("forgot simulated_account: its tokens are removed from " .. creds, 1, true), out)
    assert.truthy(out:find("no account in " .. creds .. ": `pinanalytics login` adds one", 1, true), out)
    mark(block.text) mark("pinanalytics login") mark("pinanalytics accounts")
  end)

  it("the OpenResty configuration: the guide's is the example's, and it runs as root with its commands", function()
    local block = find("nginx", "content_by_lua_block")
    assert.equal(read("examples/openresty/nginx.conf"), block.text)
    -- the commands in its comments, as written; only the port is another
    -- free one, as its comment says to do when 8089 is taken
    local cmds = {}
    for c in block.text:gmatch("\n#   ([^\n]+)") do cmds[#cmds + 1] = c end
    assert.equal(3, #cmds, block.text)
    local port
    local out
    for _ = 1, 20 do
      port = math.random(20000, 59999)
      local conf = block.text:gsub("listen 127%.0%.0%.1:8089;", "listen 127.0.0.1:" .. port .. ";")
      local f = assert(io.open(clone .. "/examples/openresty/nginx.conf", "wb"))
      f:write(conf)
      f:close()
      out = sh(cmds[1])
      if not out:find("Address already in use", 1, true) then break end
    end
    ok(out, cmds[1])
    out = sh((cmds[2]:gsub(":8089/", ":" .. port .. "/")))
    ok(sh(cmds[3]), cmds[3])
    local f = assert(io.open(clone .. "/examples/openresty/nginx.conf", "wb"))
    f:write(block.text)
    f:close()
    ok(out, cmds[2])
    assert.equal(sim_impressions(PIN, dates.last(30)), tonumber(out:match('"IMPRESSION":(%d+)')), out)
    assert.truthy(out:find('"pin_id":"' .. PIN .. '"', 1, true), out)
    -- nothing written outside the prefix
    assert.truthy(io.open(clone .. "/examples/openresty/logs/error.log", "rb"))
    mark(block.text)
  end)

  it("examples/openresty/try.lua as the README and the guide say it", function()
    local out = ok(sh("lua5.4 examples/openresty/try.lua"))
    assert.equal(2, select(2, out:gsub('"pin_id":"81374422642079588[45]"', "")), out)
    mark("lua5.4 examples/openresty/try.lua")
  end)

  it("Neovim: a clone on the runtimepath after make build-luajit, the snippet and the example headless", function()
    local block = find("lua", "vim.api.nvim_create_buf")
    local f = assert(io.open(clone .. "/snippet.lua", "wb"))
    f:write(block.text)
    f:close()
    -- the snippet shows its lines in a new buffer: wait for it, print them
    local out = ok(sh("cd / && timeout 30 nvim --headless -u NONE -i NONE -n --cmd " .. q("set rtp+=" .. clone) ..
      " -c " .. q("luafile " .. clone .. "/snippet.lua") .. " -c " ..
      q("lua vim.wait(20000, function() return vim.api.nvim_buf_get_lines(0, 0, -1, false)[1] ~= '' end, 50) " ..
        "io.stdout:write(table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\\n'), '\\n')") ..
      " -c 'qall!' </dev/null"), block.text)
    local r = dates.last(30)
    assert.truthy(out:find("impressions " .. sim_impressions(PIN, r) .. ", saves %d+"), out)
    mark(block.text)
    local c = "nvim --headless -u NONE -c \"luafile examples/neovim.lua\""
    out = ok(sh("unset PINTEREST_ACCESS_TOKEN; timeout 30 " .. c .. " </dev/null"), c)
    assert.truthy(out:find("pin " .. PIN .. ", ", 1, true), out)
    mark(c)
  end)

  -- the other Lua blocks: each with a prelude giving the names the text made
  -- before it (a guide's first block makes those its examples use: each is
  -- run too), against the simulator
  local PRELUDE = [[
local pa = require "pinanalytics"
local pin = pa.pinterest{ token = os.getenv("PINTEREST_ACCESS_TOKEN"), base_url = os.getenv("PINTEREST_BASE_URL"),
  clock = os.getenv("PA_TODAY") and function() return pa.dates.parse(os.getenv("PA_TODAY")) * 86400 + 43200 end }
local id = "813744226420795884"
local ids = { id, "729090764583391194", "1125968628950271" }
local range = pa.dates.last(30)
local res = assert(pin:pin_analytics(id, { range = range, metric_types = { "IMPRESSION", "SAVE" } }))
local results_by_pin = pin:pins_analytics(ids, { range = range, metric_types = { "IMPRESSION", "SAVE" } })
local results = results_by_pin
local ov = pa.report.overview(assert(pin:user_account_analytics{ range = range }),
  assert(pin:user_account_analytics{ range = range:previous() }))
local board_id = assert(pin:list_boards{}:all{ limit = 1 })[1].id
local function save(...) assert(select("#", ...) == 3) end
local _ = { res, results, ov, board_id, save }
]]
  local FRAGMENTS = {
    { 'print(pa.report.render("markdown", pa.report.overview(cur, prev)))' }, -- the README's script
    { 'local id = "813744226420795884"                       -- a pin' },        -- docs/library.md's names
    { "local results_by_pin = pin:pins_analytics(ids" },                     -- docs/reports.md's names
    { "clamp = true", today = "2026-11-23" },
    { "b:step(10)" },
    { "require(\"pinanalytics.simulator\").start{ missing_pins" },
    { "PINTEREST_APP_ID", env = "PINTEREST_APP_ID=sim-client-id PINTEREST_APP_SECRET=sim-client-secret " ..
      "PINTEREST_REFRESH_TOKEN=sim-refresh-token " },
    { "one:overview{ social_network_id = 123" },
    { "pa.report.overview(cur, prev, { pins = results_by_pin })" },
    { "template_name = \"weekly.txt\"" },
    { "pa.store.open(\"analytics.db\")" },
    { "store:analytics(\"account\", r)", store = true },
    { "store:snapshot_oneup(one", store = true },
    { "local acct = pin:ad_accounts():all()[1].id" },                       -- docs/ads.md
    { 'local columns = require "pinanalytics.ads.columns"' },
    { "pin:ads_report(\"549000000000031337\"" },               -- docs/ads_reports.md
    { "pin:create_ads_report(account, params)" },
    { "local ov = ar.overview(days(r), days(r:previous())" },             -- docs/ads.md's reports
  }
  it("the guides' Lua blocks, each with the names it uses from the text before it", function()
    for _, fr in ipairs(FRAGMENTS) do
      local block = find("lua", fr[1])
      local text = block.text:gsub("base_url = %.%.%.", "base_url = os.getenv('PINTEREST_BASE_URL')")
        :gsub("token = %.%.%.", "token = os.getenv('PINTEREST_ACCESS_TOKEN')")
      local pre = PRELUDE
      if fr.store then
        pre = pre .. "local store = assert(pa.store.open('analytics.db'))\nassert(store:sync(pin, { pins = ids, " ..
          "account = true, days = 30 }))\n"
      end
      if text:find("pa%.oneup") == nil and text:find("one:", 1, true) or text:find("store:snapshot_oneup", 1, true) then
        pre = pre .. "local one = pa.oneup{ api_key = os.getenv('ONEUP_API_KEY'), base_url = os.getenv('ONEUP_BASE_URL') }\n"
      end
      -- nothing may reach the internet: every client of the block is told where the simulator is
      for call in text:gmatch("pa%.pinterest%s*(%b{})") do assert.truthy(call:find("base_url", 1, true), call) end
      for call in text:gmatch("pa%.oneup%s*(%b{})") do assert.truthy(call:find("base_url", 1, true), call) end
      local f = assert(io.open(clone .. "/fragment.lua", "wb"))
      f:write("do\n", pre, "\n", text, "\nend\nprint('fragment done')\n")
      f:close()
      local extra = (fr.env or "")
      local s2
      if fr.today then
        s2 = require("pinanalytics.simulator").start { today = fr.today }
        extra = extra .. "PA_TODAY=" .. fr.today .. " "
      end
      local out = sh("rm -f analytics.db*; " .. (s2 and ("export PINTEREST_BASE_URL=" .. q(s2.pinterest_url) ..
        " PINTEREST_ACCESS_TOKEN=" .. q(s2.token) .. "; ") or "") .. extra .. LUA_ENV .. "lua5.4 fragment.lua")
      if s2 then s2:stop() end
      ok(out, fr[1] .. ":\n" .. text)
      assert.truthy(out:find("fragment done\n", 1, true), out)
      mark(block.text)
    end
  end)

  it("runs or names every instruction of the README and the guides", function()
    local missing, listed = {}, {}
    local keys = {}
    for k in pairs(NOT_RUN) do keys[k] = true end
    for _, ins in ipairs(instructions()) do
      local key
      for k in pairs(NOT_RUN) do
        if ins.text == k or ins.text:match("^[^\n]*") == k then key = k end
      end
      if key then
        keys[key] = nil
        listed[#listed + 1] = ("%s%s: %s\n    not run: %s"):format(ins.doc, ins.line and (":" .. ins.line) or "",
          ins.text:match("^[^\n]*"), NOT_RUN[key])
      elseif not ran[ins.text] then
        missing[#missing + 1] = ("%s%s (%s): %s"):format(ins.doc, ins.line and (":" .. ins.line) or "", ins.kind,
          ins.text:match("^[^\n]*"))
      end
    end
    io.stderr:write("\nThe README's instructions not run here, and why:\n  ", table.concat(listed, "\n  "), "\n")
    assert.same({}, missing)
    assert.same({}, keys) -- every reason still names an instruction
  end)
end)
