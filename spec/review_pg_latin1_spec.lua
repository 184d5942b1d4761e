-- Point 3 on a PostgreSQL database whose encoding is not UTF-8 (LATIN1, a
-- valid choice): text from the API that the database cannot hold must be
-- repaired or dropped with a warning, and never cost the figures.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local cjson = require "cjson"
local data = require "pinanalytics.simulator.data"

describe("store on a LATIN1 PostgreSQL database", function()
  local sim, pg, uri
  setup(function()
    sim = H.start {}
    local why
    pg, why = require("helpers.pg").start()
    if not pg then print("skipped: " .. why) return end
    local env = require("luasql.postgres").postgres()
    local con = assert(env:connect("postgresql://pa@127.0.0.1:" .. pg.port .. "/postgres"))
    assert(con:execute("CREATE DATABASE latin ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"))
    con:close()
    env:close()
    uri = "postgresql://pa@127.0.0.1:" .. pg.port .. "/latin"
  end)
  teardown(function()
    sim:stop()
    if pg then pg.stop() end
  end)

  for _, case in ipairs({ { "a CJK username", "日本語" }, { "a euro sign", "€uro" }, { "a Latin-1 byte", "caf\233" } }) do
    it(case[1] .. ": the sync writes its figures", function()
      if not pg then pending("no PostgreSQL") return end
      local me = data.user_account(H.TODAY)
      me.username, me.business_name = case[2], case[2]
      sim:configure { override = { ["/v5/user_account"] = { status = 200, body = cjson.encode(me),
        headers = { ["Content-Type"] = "application/json" } } } }
      local st = assert(pa.store.open(uri))
      local c = H.client(sim)
      local pin = H.ids(1, 7960000)
      local res, err = st:sync(c, { pins = pin, account = true, days = 3 })
      c:close()
      st.db:exec("DELETE FROM pin_days")
      st.db:exec("DELETE FROM account_days")
      st:close()
      assert.is_nil(err and tostring(err))
      assert.equal(6, res.days_written)
    end)
  end
end)
