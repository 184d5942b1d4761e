--- The rate-limit categories of Pinterest's REST API v5 (its
-- `x-ratelimit-category`): the client paces each category by a bucket of
-- its own (`pinanalytics.pacing`). Data, used by `pinanalytics.pinterest`
-- (`get_category`) and the endpoint tables. Internal.
local M = {}

--- The organic analytics endpoints' category.
M.ANALYTICS = "org_analytics"
--- The organic reads' (pins, boards, the account) category.
M.READ = "org_read"

-- GET path (after base_url, ids or {names} in it) -> rate-limit category,
-- first match wins; from x-ratelimit-category of every GET operation in the
-- official OpenAPI document (v5.23.0). Paths matching none are org_read, or
-- org_analytics when they have "analytics" in them (/pins/{id}/analytics,
-- /user_account/analytics...).
local GET_CATEGORIES = {
  { "^/ad_accounts/[^/]+/reports$", "ads_analytics" },
  { "^/ad_accounts/[^/]+/.*analytics$", "ads_analytics" }, -- analytics, campaigns/analytics, targeting_analytics...
  { "^/resources/metrics_ready_state$", "ads_analytics" },
  { "^/ad_accounts$", "ads_read" }, { "^/ad_accounts/", "ads_read" },
  { "^/businesses/", "ads_read" }, { "^/integrations$", "ads_read" }, { "^/integrations/", "ads_read" },
  { "^/resources/", "ads_read" }, { "^/terms/", "ads_read" }, { "^/user_account/followers$", "ads_read" },
  { "^/catalogs$", "catalogs_read" }, { "^/catalogs/", "catalogs_read" },
  { "^/trends/", "trends_read" },
}

--- The category of a GET of this path (see `pinanalytics.pinterest.get_category`).
-- @string path after `base_url`
-- @treturn string
function M.of(path)
  for _, e in ipairs(GET_CATEGORIES) do
    if path:find(e[1]) then return e[2] end
  end
  return path:find("analytics", 1, true) and M.ANALYTICS or M.READ
end

return M
