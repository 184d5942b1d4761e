local errors = require "pinanalytics.errors"

describe("errors", function()
  it("prints one line with every known field", function()
    local e = errors.new { kind = "rate_limit", status = 429, code = 8,
      message = "This request exceeded a rate limit.\nTry later.", request_id = "abc123",
      retry_after = 30, endpoint = "GET /pins/1/analytics" }
    assert.equal("pinanalytics: rate_limit: This request exceeded a rate limit. Try later. " ..
      "(GET /pins/1/analytics, HTTP 429, code 8, retry after 30s, request_id abc123)", tostring(e))
    assert.is_true(errors.is(e))
    assert.is_false(errors.is({ kind = "x" }))
  end)

  it("defaults the message to the kind's description", function()
    local e = errors.new { kind = "timeout" }
    assert.equal(errors.KINDS.timeout, e.message)
  end)

  it("redacts secrets from every string, nested ones too", function()
    local e = errors.new({ kind = "auth", message = "bad token tok-123 here",
      body = { message = "tok-123", list = { "a tok-123 b" } }, raw = "tok-123tok-123" }, { "tok-123" })
    assert.equal("bad token [REDACTED] here", e.message)
    assert.equal("[REDACTED]", e.body.message)
    assert.equal("a [REDACTED] b", e.body.list[1])
    assert.equal("[REDACTED][REDACTED]", e.raw)
    assert.is_nil(tostring(e):find("tok-123", 1, true))
  end)

  it("maps statuses to kinds", function()
    assert.equal("bad_request", errors.kind_for_status(400))
    assert.equal("auth", errors.kind_for_status(401))
    assert.equal("forbidden", errors.kind_for_status(403))
    assert.equal("not_found", errors.kind_for_status(404))
    assert.equal("rate_limit", errors.kind_for_status(429))
    assert.equal("server", errors.kind_for_status(502))
    assert.equal("http", errors.kind_for_status(302))
  end)

  it("reads Retry-After in seconds", function()
    assert.equal(12, errors.retry_after({ ["retry-after"] = "12" }))
    assert.is_nil(errors.retry_after({ ["retry-after"] = "Wed, 21 Oct 2026 07:28:00 GMT" }))
    assert.is_nil(errors.retry_after({}))
  end)
end)
