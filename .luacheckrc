std = "max"
max_line_length = 130
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["lua/pinanalytics/simulator/server.lua"] = { globals = { "ngx" } }
files["lua/pinanalytics/simulator/ads_reports.lua"] = { globals = { "ngx" } }
exclude_files = { "build/**", "luarocks-tree/**" }
-- host APIs, read only, in the files written for those hosts
files["examples/neovim.lua"] = { read_globals = { "vim" } }
files["examples/openresty/*.lua"] = { globals = { "ngx" } } -- ngx.status is set
