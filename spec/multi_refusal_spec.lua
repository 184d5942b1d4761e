-- GET /pins/analytics (beta) refused to the app: the client learns it from
-- the outcome (and, where clients share a pacing budget, they share it too:
-- spec/pacing_ngx_spec.lua).
local H = require "helpers.sim"
local count = H.count

local function params()
  return { start_date = H.day(-6), end_date = H.day(0), metric_types = { "IMPRESSION", "SAVE" } }
end

-- Pinterest's answer for an endpoint the app may not use.
local NOT_PERMITTED = '{"code":29,"message":"You are not permitted to access that resource."}'

-- requests seen, counted by path
local function paths(sim)
  local n = {}
  for _, r in ipairs(sim:requests()) do
    local p = r.path:gsub("^/v5/pins/%d+/analytics$", "/v5/pins/{id}/analytics")
    n[p] = (n[p] or 0) + 1
  end
  return n
end

describe("GET /pins/analytics refused with 403 code 29", function()
  local sim
  local refused = { ["/v5/pins/analytics"] = { status = 403, body = NOT_PERMITTED } }

  -- every spec uses its own token, so that what one client learnt is not
  -- what the next spec's clients know already
  local n_token = 0
  local function token()
    n_token = n_token + 1
    return H.TOKEN .. "-r" .. n_token
  end

  before_each(function()
    if sim then sim:stop() end
    sim = nil
  end)
  teardown(function() if sim then sim:stop() end end)

  local function start(tok, override)
    sim = H.start { token = tok, override = override }
  end

  it("falls back pin by pin, then asks the multi-pin endpoint no more: every pin passed alone", function()
    local tok = token()
    start(tok, refused)
    local c = H.client(sim, { token = tok })
    local results, errs = c:pins_analytics(H.ids(3, 7400000), params())
    local seen = paths(sim)
    assert.equal(3, count(results))
    assert.is_nil(next(errs))
    assert.equal(1, seen["/v5/pins/analytics"])
    assert.equal(3, seen["/v5/pins/{id}/analytics"])
    sim:clear_log()
    results, errs = c:pins_analytics(H.ids(4, 7410000), params())
    seen = paths(sim)
    c:close()
    assert.equal(4, count(results))
    assert.is_nil(next(errs))
    assert.is_nil(seen["/v5/pins/analytics"]) -- 0 requests to the multi-pin endpoint
    assert.equal(4, seen["/v5/pins/{id}/analytics"])
  end)

  it("a pin refused alone with the same answer was the cause: the endpoint is asked again", function()
    local tok = token()
    local ids = H.ids(3, 7420000)
    local override = { ["/v5/pins/analytics"] = refused["/v5/pins/analytics"],
      ["/v5/pins/" .. ids[2] .. "/analytics"] = { status = 403, body = NOT_PERMITTED } }
    start(tok, override)
    local c = H.client(sim, { token = tok })
    local results, errs = c:pins_analytics(ids, params())
    assert.equal(2, count(results))
    assert.equal(403, errs[ids[2]].status)
    assert.equal(29, errs[ids[2]].code)
    sim:clear_log()
    c:pins_analytics(ids, params())
    local seen = paths(sim)
    c:close()
    assert.equal(1, seen["/v5/pins/analytics"])
    -- and another client of the same server and token asks it too
    sim:clear_log()
    local other = H.client(sim, { token = tok })
    other:pins_analytics(ids, params())
    seen = paths(sim)
    other:close()
    assert.equal(1, seen["/v5/pins/analytics"])
  end)

  -- clients that share a pacing budget (OpenResty) share what they learnt:
  -- spec/pacing_ngx_spec.lua; in plain Lua each client learns for itself
  it("in plain Lua a client learns for itself", function()
    local tok = token()
    start(tok, refused)
    local first = H.client(sim, { token = tok })
    first:pins_analytics(H.ids(2, 7450000), params())
    first:close()
    sim:clear_log()
    local second = H.client(sim, { token = tok })
    local results = second:pins_analytics(H.ids(2, 7460000), params())
    local seen = paths(sim)
    second:close()
    assert.equal(2, count(results))
    assert.equal(1, seen["/v5/pins/analytics"])
  end)
end)
