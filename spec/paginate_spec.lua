local paginate = require "pinanalytics.paginate"
local errors = require "pinanalytics.errors"
local core = require "pinanalytics.core"

-- A fake list endpoint: pages[i] is what the i-th call answers.
local function fake(pages)
  local calls = {}
  local function fetch(bookmark)
    calls[#calls + 1] = bookmark or "<none>"
    local p = pages[#calls]
    if p == nil then error("fetched past the last page") end
    if errors.is(p) then return false, p end
    return true, p
  end
  return fetch, calls
end

describe("paginate", function()
  local three = {
    { items = { 1, 2 }, bookmark = "b1" },
    { items = { 3, 4 }, bookmark = "b2" },
    { items = { 5 }, bookmark = core.null },
  }

  it("follows bookmarks over 3 pages", function()
    local fetch, calls = fake(three)
    local pager = paginate.new(fetch)
    local got = {}
    for item in pager:items() do got[#got + 1] = item end
    assert.same({ 1, 2, 3, 4, 5 }, got)
    assert.same({ "<none>", "b1", "b2" }, calls)
    assert.is_nil(pager.err)
    assert.equal(3, pager.pages_fetched)
  end)

  it("iterates page by page", function()
    local pager = paginate.new((fake(three)))
    local sizes = {}
    for items, n in pager:pages() do sizes[n] = #items end
    assert.same({ 2, 2, 1 }, sizes)
  end)

  it("collects with all{limit} and stops fetching at the limit", function()
    local fetch, calls = fake(three)
    local items = assert(paginate.new(fetch):all { limit = 3 })
    assert.same({ 1, 2, 3 }, items)
    assert.equal(2, #calls)
    assert.same({ 1, 2, 3, 4, 5 }, paginate.new((fake(three))):all())
  end)

  it("handles an empty list and an absent bookmark", function()
    local fetch, calls = fake({ { items = {} } })
    local items, err = paginate.new(fetch):all()
    assert.same({}, items)
    assert.is_nil(err)
    assert.equal(1, #calls)
  end)

  it("stops on a repeated bookmark with an error instead of looping", function()
    local fetch = fake({
      { items = { 1 }, bookmark = "same" },
      { items = { 2 }, bookmark = "other" },
      { items = { 3 }, bookmark = "same" },
    })
    local items, err = paginate.new(fetch, { endpoint = "GET /pins" }):all()
    assert.is_nil(items)
    assert.equal("invalid_response", err.kind)
    assert.truthy(err.message:find("page 3 returned a bookmark already seen on page 1", 1, true))
    assert.same({ 1, 2, 3 }, err.items)
    assert.equal("GET /pins", err.endpoint)
  end)

  it("reports an error on page 2 with the items of page 1 kept", function()
    local boom = errors.new { kind = "server", status = 503, message = "down" }
    local fetch = fake({ { items = { "a", "b" }, bookmark = "b1" }, boom })
    local pager = paginate.new(fetch)
    local got = {}
    for item in pager:items() do got[#got + 1] = item end
    assert.same({ "a", "b" }, got)
    assert.equal(boom, pager.err)
    local items, err = paginate.new((fake({ { items = { "a", "b" }, bookmark = "b1" }, boom }))):all()
    assert.is_nil(items)
    assert.equal("server", err.kind)
    assert.same({ "a", "b" }, err.items)
  end)

  it("rejects a page without an items array", function()
    local items, err = paginate.new((fake({ { bookmark = "x" } }))):all()
    assert.is_nil(items)
    assert.equal("invalid_response", err.kind)
    assert.equal("$.items", err.path)
  end)
end)
