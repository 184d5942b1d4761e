-- The checkout itself: no file holds a merge's conflict markers.
describe("the checkout", function()
  it("has no conflict markers in any file", function()
    local h = assert(io.popen("grep -rnI -E '^(<<<<<<< |>>>>>>> )' --exclude-dir=.git " ..
      "--exclude-dir=build --exclude-dir=luarocks-tree . 2>/dev/null"))
    local found = h:read("*a")
    h:close()
    assert.equal("", found)
  end)
end)
