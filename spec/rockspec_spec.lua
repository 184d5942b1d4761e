-- The rockspec installs every Lua module of the checkout, under the name
-- its path gives, so that an installed rock has what a clone has.
describe("rockspec", function()
  it("lists every file under lua/ as the module its path names", function()
    local f = assert(io.open("rockspec/pinanalytics-scm-1.rockspec", "rb"))
    local text = f:read("*a")
    f:close()
    local listed = {}
    for name, path in text:gmatch('%["([%w%._]+)"%]%s*=%s*"(lua/[^"]+%.lua)"') do listed[path] = name end
    local h = assert(io.popen("find lua -name '*.lua' | sort"))
    local n = 0
    for path in h:lines() do
      n = n + 1
      local want = path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/", ".")
      assert.equal(want, listed[path], path .. " is not installed by the rockspec")
    end
    h:close()
    assert.is_true(n >= 20)
  end)

  it("installs every script of bin/ as a command", function()
    local f = assert(io.open("rockspec/pinanalytics-scm-1.rockspec", "rb"))
    local text = f:read("*a")
    f:close()
    local bin = assert(text:match("\n%s*bin%s*=%s*(%b{})"), "no install.bin in the rockspec")
    local listed = {}
    for name, path in bin:gmatch('([%w_%-]+)%s*=%s*"(bin/[^"]+)"') do listed[path] = name end
    local h = assert(io.popen("find bin -type f | sort"))
    local n = 0
    for path in h:lines() do
      n = n + 1
      assert.equal(path:match("[^/]+$"), listed[path], path .. " is not installed by the rockspec")
    end
    h:close()
    assert.equal(1, n)
    assert.equal("pinanalytics", listed["bin/pinanalytics"])
  end)
end)
