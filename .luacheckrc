std = "max"
max_line_length = 130
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["lua/pinanalytics/simulator/server.lua"] = { globals = { "ngx" } }
exclude_files = { "build/**", "luarocks-tree/**" }
