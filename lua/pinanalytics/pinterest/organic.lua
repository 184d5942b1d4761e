--- The organic endpoints of Pinterest's REST API v5, as data: their limits,
-- their enums (metric types, splits, filters) and, for each method of the
-- client, the endpoint's path, parameters and answer.
--
-- Nothing here sends a request: `pinanalytics.pinterest` reads these tables
-- (its `Client:_call` checks the arguments with
-- `pinanalytics.pinterest.validate` and sends). The public names
-- (`pinanalytics.pinterest.PIN_METRICS`, `.MAX_LOOKBACK_DAYS`, ...) are
-- these tables. Internal.
--
-- An endpoint: `name` (the method, named in errors), `path` (after
-- `base_url`, `{name}` for an id given as an argument), `ids` (those
-- arguments, in order: strings of digits), `params` (name -> parameter kind),
-- `order` (the query's order), `required`, `hint` (what a missing required
-- parameter's message adds), `dated` (the date rules, when it takes
-- `start_date`, `end_date`, `range`, `clamp`), `params_required` (params must
-- be given), `answer` ("analytics": one answer; "object": one object;
-- "pages": a pager), `shape` (the shape the C core checks while decoding),
-- `schema` (the function of `pinanalytics.schema` that names a bad field) and
-- `category` (the rate-limit category, `pinanalytics.pinterest.categories`).
local categories = require "pinanalytics.pinterest.categories"
local validate = require "pinanalytics.pinterest.validate"

local P = validate.param
local ANALYTICS, READ = categories.ANALYTICS, categories.READ

local M = {}

-- limits --------------------------------------------------------------------

--- How far back `start_date` may be (days before today, UTC).
M.MAX_LOOKBACK_DAYS = 90
--- How many days `end_date` may be after `start_date`.
M.MAX_RANGE_DAYS = 90
--- The most days one request may span, both ends included.
M.MAX_WINDOW_DAYS = M.MAX_RANGE_DAYS + 1
--- Pins per GET /pins/analytics request.
M.MULTI_PIN_MAX = 100

--- The date rules of the organic analytics endpoints (`pinanalytics.pinterest.validate.dates`).
M.DATES = { lookback = M.MAX_LOOKBACK_DAYS, range = M.MAX_RANGE_DAYS }

-- enums ---------------------------------------------------------------------

--- Metric types of the pin analytics endpoints, the standard list.
M.PIN_METRICS_STANDARD = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS",
  "TOTAL_REACTIONS", "USER_FOLLOW", "PROFILE_VISIT",
}
--- Metric types of the pin analytics endpoints, the video list.
M.PIN_METRICS_VIDEO = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "VIDEO_MRC_VIEW",
  "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME", "VIDEO_START",
  "VIDEO_AVG_WATCH_TIME", "TOTAL_COMMENTS", "TOTAL_REACTIONS",
}
--- Metric types of `user_account_analytics` and `top_pins`.
M.ACCOUNT_METRICS = {
  "ENGAGEMENT", "ENGAGEMENT_RATE", "IMPRESSION", "OUTBOUND_CLICK", "OUTBOUND_CLICK_RATE",
  "PIN_CLICK", "PIN_CLICK_RATE", "SAVE", "SAVE_RATE",
}
--- Metric types of `top_video_pins`.
M.TOP_VIDEO_METRICS = {
  "IMPRESSION", "SAVE", "VIDEO_MRC_VIEW", "VIDEO_AVG_WATCH_TIME", "VIDEO_V50_WATCH_TIME",
  "QUARTILE_95_PERCENT_VIEW", "VIDEO_10S_VIEW", "VIDEO_START", "OUTBOUND_CLICK",
}
--- Values of `app_types`.
M.APP_TYPES = { "ALL", "MOBILE", "TABLET", "WEB" }
--- Values of `split_field` for a pin.
M.PIN_SPLIT_FIELDS = { "NO_SPLIT", "APP_TYPE" }
--- Values of `split_field` for the account.
M.ACCOUNT_SPLIT_FIELDS = { "NO_SPLIT", "APP_TYPE", "OWNED_CONTENT", "SOURCE", "PIN_FORMAT" }
--- Values of `from_claimed_content`.
M.FROM_CLAIMED_CONTENT = { "OTHER", "CLAIMED", "BOTH" }
--- Values of `pin_format`.
M.PIN_FORMATS = {
  "ALL", "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO", "ADS_STANDARD", "ADS_PRODUCT", "ADS_VIDEO", "ADS_IDEA",
}
--- Values of `content_type`.
M.CONTENT_TYPES = { "ALL", "PAID", "ORGANIC" }
--- Values of `source`.
M.SOURCES = { "ALL", "YOUR_PINS", "OTHER_PINS" }
--- Values of `sort_by` for `top_pins`.
M.TOP_PINS_SORT = { "ENGAGEMENT", "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE" }
--- Values of `sort_by` for `top_video_pins`.
M.TOP_VIDEO_PINS_SORT = {
  "IMPRESSION", "SAVE", "OUTBOUND_CLICK", "VIDEO_MRC_VIEW", "VIDEO_AVG_WATCH_TIME", "VIDEO_V50_WATCH_TIME",
  "QUARTILE_95_PERCENT_VIEW", "VIDEO_10S_VIEW", "VIDEO_START",
}
--- Values of `pin_filter` (`list_pins`).
M.PIN_FILTERS = { "exclude_native", "exclude_repins", "has_been_promoted" }
--- Values of `pin_type` (`list_pins`).
M.PIN_TYPES = { "PRIVATE" }
--- Values of `creative_types` (`list_pins`, `list_board_pins`).
M.CREATIVE_TYPES = {
  "REGULAR", "VIDEO", "SHOPPING", "CAROUSEL", "MAX_VIDEO", "SHOP_THE_PIN", "COLLECTION", "IDEA", "SHOWCASE",
  "QUIZ", "COLLAGE", "MAX_WIDTH_REGULAR_COLLECTION", "MAX_WIDTH_VIDEO_COLLECTION",
}
--- Values of `privacy` (`list_boards`).
M.BOARD_PRIVACY = { "ALL", "PUBLIC", "PROTECTED", "SECRET", "PUBLIC_AND_SECRET" }

--- Every metric type of the pin analytics endpoints: the ordered union of
-- the standard and video lists.
M.PIN_METRICS = {}
do
  local seen = {}
  for _, list in ipairs({ M.PIN_METRICS_STANDARD, M.PIN_METRICS_VIDEO }) do
    for _, m in ipairs(list) do
      if not seen[m] then seen[m] = true; M.PIN_METRICS[#M.PIN_METRICS + 1] = m end
    end
  end
end

-- endpoints -----------------------------------------------------------------

local function with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

--- The endpoints by method name.
local E = {}
M.endpoints = E

E.pin_analytics = {
  path = "/pins/{pin_id}/analytics", ids = { "pin_id" }, params_required = true,
  dated = M.DATES,
  params = {
    metric_types = P.list(M.PIN_METRICS, ","), app_types = P.enum(M.APP_TYPES),
    split_field = P.enum(M.PIN_SPLIT_FIELDS), ad_account_id = P.account_id,
  },
  order = { "metric_types", "app_types", "split_field", "ad_account_id" },
  required = { "metric_types" },
  hint = { metric_types = "a non-empty array; allowed: " .. table.concat(M.PIN_METRICS, ", ") },
  answer = "analytics", shape = "analytics", schema = "pin_analytics", category = ANALYTICS,
}

-- GET /pins/analytics: the pins go as repeated pin_ids (at most
-- MULTI_PIN_MAX); the answer is keyed by pin id, each entry shaped as
-- pin_analytics's. Sent by the bulk engine (Client:pins_analytics).
E.pins_analytics = {
  path = "/pins/analytics", params_required = true,
  dated = M.DATES,
  params = {
    metric_types = E.pin_analytics.params.metric_types, app_types = E.pin_analytics.params.app_types,
    ad_account_id = E.pin_analytics.params.ad_account_id,
  },
  order = { "metric_types", "app_types", "ad_account_id" },
  required = { "metric_types" },
  hint = E.pin_analytics.hint,
  answer = "bulk", shape = "pins_analytics", entry_schema = "pin_analytics", category = ANALYTICS,
}

local ACCOUNT_FILTERS = {
  from_claimed_content = P.enum(M.FROM_CLAIMED_CONTENT), pin_format = P.enum(M.PIN_FORMATS),
  app_types = P.enum(M.APP_TYPES), content_type = P.enum(M.CONTENT_TYPES), source = P.enum(M.SOURCES),
  ad_account_id = P.account_id,
}

E.user_account_analytics = {
  path = "/user_account/analytics",
  dated = M.DATES,
  params = with(ACCOUNT_FILTERS, {
    metric_types = P.list(M.ACCOUNT_METRICS, ","), split_field = P.enum(M.ACCOUNT_SPLIT_FIELDS),
  }),
  order = { "from_claimed_content", "pin_format", "app_types", "content_type", "source", "metric_types",
    "split_field", "ad_account_id" },
  answer = "analytics", shape = "analytics", schema = "pin_analytics", category = ANALYTICS,
}

local function top_endpoint(path, sorts, metrics)
  return {
    path = path,
    dated = M.DATES,
    params = with(ACCOUNT_FILTERS, {
      sort_by = P.enum(sorts), metric_types = P.list(metrics, ","), num_of_pins = P.int(1, 50),
      created_in_last_n_days = P.int(30, 30, { 30 }),
    }),
    order = { "sort_by", "from_claimed_content", "pin_format", "app_types", "content_type", "source",
      "metric_types", "num_of_pins", "created_in_last_n_days", "ad_account_id" },
    required = { "sort_by" },
    hint = { sort_by = "allowed: " .. table.concat(sorts, ", ") },
    answer = "analytics", shape = "top_pins", schema = "top_pins", category = ANALYTICS,
  }
end
E.top_pins = top_endpoint("/user_account/analytics/top_pins", M.TOP_PINS_SORT, M.ACCOUNT_METRICS)
E.top_video_pins = top_endpoint("/user_account/analytics/top_video_pins", M.TOP_VIDEO_PINS_SORT,
  M.TOP_VIDEO_METRICS)

local PAGE = { page_size = P.int(1, 250) }

E.list_pins = {
  path = "/pins",
  params = with(PAGE, {
    pin_filter = P.enum(M.PIN_FILTERS), pin_metrics = P.bool, include_protected_pins = P.bool,
    pin_type = P.enum(M.PIN_TYPES), creative_types = P.list(M.CREATIVE_TYPES), ad_account_id = P.account_id,
  }),
  order = { "pin_filter", "pin_metrics", "include_protected_pins", "pin_type", "creative_types",
    "ad_account_id", "page_size" },
  answer = "pages", shape = "pins_list", schema = "pins_list", category = READ,
}
E.list_boards = {
  path = "/boards",
  params = with(PAGE, { ad_account_id = P.account_id, privacy = P.enum(M.BOARD_PRIVACY) }),
  order = { "ad_account_id", "privacy", "page_size" },
  answer = "pages", shape = "boards_list", schema = "boards_list", category = READ,
}
E.list_board_pins = {
  path = "/boards/{board_id}/pins", ids = { "board_id" },
  params = with(PAGE, {
    creative_types = P.list(M.CREATIVE_TYPES), ad_account_id = P.account_id, pin_metrics = P.bool,
  }),
  order = { "creative_types", "ad_account_id", "pin_metrics", "page_size" },
  answer = "pages", shape = "pins_list", schema = "pins_list", category = READ,
}
E.pin = {
  path = "/pins/{pin_id}", ids = { "pin_id" },
  params = { pin_metrics = P.bool, ad_account_id = P.account_id }, order = { "pin_metrics", "ad_account_id" },
  answer = "object", schema = "pin", category = READ,
}
-- many pins at once (Client:pins): GET /pins/{pin_id} a pin, through the bulk engine
E.pins = {
  path = "/pins/{pin_id}", ids = { "pin_id" },
  params = E.pin.params, order = E.pin.order,
  answer = "bulk", schema = "pin", category = READ,
}
E.user_account = {
  path = "/user_account",
  params = { ad_account_id = P.account_id }, order = { "ad_account_id" },
  answer = "object", schema = "user_account", category = READ,
}
E.ad_accounts = {
  path = "/ad_accounts",
  params = with(PAGE, { include_shared_accounts = P.bool }), order = { "include_shared_accounts", "page_size" },
  answer = "pages", schema = "ad_accounts_list", category = READ,
}
local SECTIONS = with(PAGE, { ad_account_id = P.account_id })
E.board_sections = {
  path = "/boards/{board_id}/sections", ids = { "board_id" },
  params = SECTIONS, order = { "ad_account_id", "page_size" },
  answer = "pages", schema = "board_sections_list", category = READ,
}
E.board_section_pins = {
  path = "/boards/{board_id}/sections/{section_id}/pins", ids = { "board_id", "section_id" },
  params = SECTIONS, order = { "ad_account_id", "page_size" },
  answer = "pages", shape = "pins_list", schema = "pins_list", category = READ,
}

for name, ep in pairs(E) do ep.name = name end

return M
