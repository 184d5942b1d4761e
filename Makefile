# pinanalytics - build, test, demo, bench, lint, rock.
#
#   make demo       the main job against the built-in simulator (no token, no network)
#   make test       build, lint and run every spec on Lua 5.4; last line "N passed, N failed"
#   make test-all   `make test`, then every spec on Lua 5.3, Lua 5.1 and LuaJIT 2.1;
#                   last line "N passed, N failed" for all of them
#   make docs       the API reference from the code's doc comments, in build/docs/
#
# Both install the Debian packages they need when run as root; otherwise they
# print the one apt-get command to run and stop.
#
# LUA names the runtime (lua5.4, the default; lua5.3, lua5.1 or luajit): each
# has its own build directory, build/$(LUA), and the C module is
# build/$(LUA)/pinanalytics/core.so, compiled against that runtime's headers
# (a module built for one runtime does not load in another). The ASan build
# (build/asan) and the fuzz targets (build/fuzz) are Lua 5.4 ones.

LUA        ?= lua5.4
ifeq ($(LUA),luajit)
LUA_INC    ?= /usr/include/luajit-2.1
else
LUA_INC    ?= /usr/include/$(LUA)
endif
CC         ?= cc
CFLAGS     ?= -O2 -g
PA_WFLAGS   = -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
              -Wall -Wextra -Werror $(shell pkg-config --cflags libcurl 2>/dev/null)
PA_CFLAGS   = $(PA_WFLAGS) -I$(LUA_INC)
# the ASan and fuzz builds: Lua 5.4 whatever LUA is
PA_CFLAGS54 = $(PA_WFLAGS) -I/usr/include/lua5.4
PA_LIBS     = $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl) -lz -lm

BUILD      := build/$(LUA)
SO         := $(BUILD)/pinanalytics/core.so
SRCS       := $(wildcard csrc/*.c)
HDRS       := $(wildcard csrc/*.h)
OBJS       := $(patsubst csrc/%.c,$(BUILD)/obj/%.o,$(SRCS))

# Debian packages: what each target needs (command or file that proves it).
# Every spec runs on Lua 5.4; `make test` also builds the LuaJIT module (the
# specs that run inside nginx's Lua module and Neovim, both LuaJIT, load it),
# and `make test-all` runs the specs on Lua 5.3, 5.1 and LuaJIT too. Debian's
# lua-cjson, lua-luv and lua-busted (with what it depends on) serve every
# Lua version. LuaJIT is luajit2 (OpenResty's branch): Debian's luajit
# package conflicts with libluajit2-5.1-2, which nginx's Lua module needs.
# The store (pa.store) uses LuaSQL: its SQLite driver for a file; its
# PostgreSQL driver and a server for the PostgreSQL spec (test only).
DEB_STORE  := lua-sql-sqlite3:/usr/lib/x86_64-linux-gnu/lua/5.4/luasql/sqlite3.so
# The command-line tool's login listens on a loopback port with LuaSocket
# (Debian's serves Lua 5.1 to 5.4 and LuaJIT).
DEB_CLI    := lua-socket:/usr/lib/x86_64-linux-gnu/lua/5.4/socket/core.so
DEB_BUILD  := lua5.4:/usr/bin/lua5.4 liblua5.4-dev:/usr/include/lua5.4/lua.h \
              libcurl4-openssl-dev:/usr/bin/curl-config zlib1g-dev:/usr/include/zlib.h pkg-config:/usr/bin/pkg-config \
              gcc:/usr/bin/gcc lua-cjson:/usr/lib/x86_64-linux-gnu/lua/5.4/cjson.so \
              nginx:/usr/sbin/nginx libnginx-mod-http-lua:/usr/lib/nginx/modules/ngx_http_lua_module.so \
              $(DEB_CLI)
DEB_DOCS   := lua-ldoc:/usr/bin/ldoc lua-discount:/usr/lib/x86_64-linux-gnu/lua/5.1/discount.so
DEB_TEST   := $(DEB_BUILD) $(DEB_DOCS) lua-busted:/usr/bin/busted lua-check:/usr/bin/luacheck \
              luajit2:/usr/bin/luajit libluajit2-5.1-dev:/usr/include/luajit-2.1/lua.h \
              lua-luv:/usr/lib/x86_64-linux-gnu/lua/5.1/luv.so neovim:/usr/bin/nvim \
              luarocks:/usr/bin/luarocks valgrind:/usr/bin/valgrind openssl:/usr/bin/openssl $(DEB_STORE) \
              lua-sql-postgres:/usr/lib/x86_64-linux-gnu/lua/5.4/luasql/postgres.so \
              postgresql:/usr/lib/postgresql/15/bin/initdb
DEB_TEST_ALL := $(DEB_TEST) lua5.3:/usr/bin/lua5.3 liblua5.3-dev:/usr/include/lua5.3/lua.h \
              lua5.1:/usr/bin/lua5.1 liblua5.1-0-dev:/usr/include/lua5.1/lua.h
# for the spec that opens the html report in a browser; it skips, saying why,
# when the package cannot be installed
DEB_BROWSER := chromium:/usr/bin/chromium
DEB_BENCH  := $(DEB_BUILD) $(DEB_STORE) lua-socket:/usr/share/lua/5.4/socket.lua lua-dkjson:/usr/share/lua/5.4/dkjson.lua \
              python3:/usr/bin/python3

export LUA_PATH  := $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/spec/?.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;;

.PHONY: all build build-luajit deps deps-test deps-test-all deps-bench deps-docs test test-all demo bench lint \
        rock clean check-luajit memcheck asan docs

all: build

build: $(SO)

$(BUILD)/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PA_CFLAGS) -c $< -o $@

$(SO): $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $(OBJS) $(PA_LIBS)

deps:
	@sh tools/deps.sh $(DEB_BUILD)
deps-test:
	@sh tools/deps.sh $(DEB_TEST)
deps-test-all:
	@sh tools/deps.sh $(DEB_TEST_ALL)
deps-bench:
	@sh tools/deps.sh $(DEB_BENCH)
deps-docs:
	@sh tools/deps.sh $(DEB_DOCS)

# The LuaJIT module, build/luajit/pinanalytics/core.so, whatever LUA is:
# the specs that run inside nginx's Lua module or Neovim load it from there.
# A copy goes to lua/pinanalytics/core.so, where Neovim looks for it when the
# clone is on its runtimepath (lua/<module path>.so: a plugin manager's build
# step, `make build-luajit`, is all a Neovim plugin needs). No Lua but
# Neovim's loader looks there: every LUA_CPATH of the Makefile, the specs,
# bin/pinanalytics and the README puts build/<lua>/ first, and none names lua/.
# (cp then mv: a Neovim that has the old copy loaded keeps its file.)
NVIM_SO := lua/pinanalytics/core.so
build-luajit:
	@$(MAKE) --no-print-directory build LUA=luajit LUA_INC=/usr/include/luajit-2.1
	@cmp -s build/luajit/pinanalytics/core.so $(NVIM_SO) 2>/dev/null || \
	  { cp build/luajit/pinanalytics/core.so $(NVIM_SO).tmp && mv -f $(NVIM_SO).tmp $(NVIM_SO); }

# The same sources, warning-free against LuaJIT 2.1 / Lua 5.1 headers.
check-luajit: build-luajit
	@echo "C core compiles warning-free against LuaJIT 2.1 headers"

lint:
	luacheck -q lua spec examples $(wildcard bench) bin/pinanalytics

# the packages for the runtime LUA names: lua5.4 and LuaJIT are in DEB_TEST
ifeq ($(filter lua5.4 luajit,$(LUA)),)
TEST_DEPS  := deps-test-all
else
TEST_DEPS  := deps-test
endif

test: $(TEST_DEPS)
	@sh tools/deps.sh $(DEB_BROWSER) || echo "chromium is not installed: the html report's browser spec will skip"
	@$(MAKE) --no-print-directory build build-luajit
	@LUA=$(LUA) sh spec/run.sh

# `make test` on Lua 5.4, then the busted suite on each other runtime with
# its own build; one line "N passed, N failed" at the end for all of them.
TEST_ALL_LUAS := lua5.3 lua5.1 luajit
test-all: deps-test-all
	@sh tools/deps.sh $(DEB_BROWSER) || echo "chromium is not installed: the html report's browser spec will skip"
	@$(MAKE) --no-print-directory build build-luajit LUA=lua5.4 LUA_INC=/usr/include/lua5.4
	@LUA=lua5.4 sh spec/run.sh --all $(TEST_ALL_LUAS)

# The API reference (LDoc, config.ld) from the doc comments of every public
# module: open build/docs/index.html. `make test` checks that every public
# function has one (spec/docs_spec.lua).
# (config.ld writes it to build/docs: one reference whatever LUA is)
docs: deps-docs
	@rm -rf build/docs && mkdir -p build
	@ldoc . >build/ldoc.log 2>&1 || { cat build/ldoc.log; exit 1; }
	@grep -v '^reading configuration\|^found master module\|^\*\*\*closing section\|^output written' build/ldoc.log || true
	@echo "API reference: build/docs/index.html"

# docs/report.png, the html report as headless Chromium shows it (the
# README's picture): spec/report_browser_spec.lua takes it and keeps it there.
.PHONY: screenshot
screenshot: build
	@sh tools/deps.sh $(DEB_TEST) $(DEB_BROWSER)
	PINANALYTICS_SCREENSHOT=docs/report.png $(LUA) /usr/bin/busted spec/report_browser_spec.lua

demo: deps
	@$(MAKE) --no-print-directory build
	$(LUA) examples/demo.lua

bench: deps-bench
	@$(MAKE) --no-print-directory build
	$(LUA) bench/run.lua

memcheck: build
	valgrind -q --error-exitcode=1 --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite \
	  $(LUA) spec/helpers/memcheck.lua

# The C core built with AddressSanitizer and UndefinedBehaviorSanitizer, under
# the memcheck workload and the specs that drive the C paths hardest.
ASAN_SO    := build/asan/pinanalytics/core.so
ASAN_OBJS  := $(patsubst csrc/%.c,build/asan/obj/%.o,$(SRCS))
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_ENV    = LD_PRELOAD="$$($(CC) -print-file-name=libasan.so):$$($(CC) -print-file-name=libubsan.so)" \
              ASAN_OPTIONS=detect_leaks=0 LUA_CPATH="$(CURDIR)/build/asan/?.so;;"

build/asan/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(PA_CFLAGS54) -c $< -o $@

$(ASAN_SO): $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) -shared -o $@ $(ASAN_OBJS) $(PA_LIBS)

# the specs that drive the C paths hardest
ASAN_SPECS := spec/json_spec.lua spec/frame_spec.lua spec/frame_report_spec.lua spec/frame_csv_long_spec.lua \
              spec/session_spec.lua spec/bulk_spec.lua \
              spec/pin_analytics_spec.lua spec/frame_safety_spec.lua \
              spec/bulk_safety_spec.lua \
              spec/session_safety_spec.lua spec/transport_spec.lua spec/batch_events_spec.lua \
              spec/credentials_spec.lua spec/h1_spec.lua spec/ads_async_spec.lua

asan: $(ASAN_SO)
	$(ASAN_ENV) lua5.4 spec/helpers/memcheck.lua
	$(ASAN_ENV) lua5.4 /usr/bin/busted --cpath="build/asan/?.so" -o TAP \
	  $(ASAN_SPECS)

# The soak benchmark alone (bench/run.lua runs it last): 100,000 requests on
# one client and 100,000 through batches; writes section 5 of bench/RESULTS.md.
.PHONY: soak
soak: deps-bench
	@$(MAKE) --no-print-directory build
	$(LUA) bench/soak.lua

# The whole busted suite (every spec file, as `make test` runs it) with the
# C core built with ASan + UBSan; ends "N passed, N failed" like `make test`.
# The simulator's nginx is started through a wrapper that drops the sanitizer
# runtime from its environment: only the Lua process is instrumented. The
# specs start every other program without it too (spec/helpers/child.lua:
# curl, psql and others wait on a futex for good under the preload), and
# bound every wait on a child.
.PHONY: test-asan
test-asan: deps-test $(ASAN_SO)
	@$(MAKE) --no-print-directory build build-luajit LUA=lua5.4 LUA_INC=/usr/include/lua5.4
	@printf '#!/bin/sh\nunset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS\nexec \047%s\047 "$$@"\n' \
	  "$${PINANALYTICS_NGINX:-$$([ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || command -v nginx)}" >build/asan/nginx
	@chmod 0755 build/asan/nginx
	@PINANALYTICS_NGINX="$(CURDIR)/build/asan/nginx" ASAN_OPTIONS=detect_leaks=0 PA_TEST_BUILD=asan \
	  PA_TEST_PRELOAD="$$($(CC) -print-file-name=libasan.so):$$($(CC) -print-file-name=libubsan.so)" \
	  LUA=lua5.4 sh spec/run.sh --busted

# libFuzzer targets, one program each (fuzz/*.c), with the C core built by
# clang with -fsanitize=fuzzer-no-link,address,undefined. `make fuzz` runs
# each for FUZZ_SECONDS on its committed corpus fuzz/corpus/<target>/ (read
# only; what a run adds goes to build/fuzz/corpus/<target>/) and fails on a
# finding, whose input is left as build/fuzz/<target>-crash-* (or leak-,
# timeout-, oom-); rerun it with build/fuzz/<target> FILE. Dictionaries:
# fuzz/<target>.dict, else fuzz/json.dict. `make fuzz-merge`
# adds what the runs found to the committed corpora, minimised.
.PHONY: fuzz fuzz-merge deps-fuzz
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_BINS    := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
FUZZ_OBJS    := $(patsubst csrc/%.c,build/fuzz/obj/%.o,$(SRCS))
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_RUN     := -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
DEB_FUZZ     := $(DEB_BUILD) clang-14:/usr/bin/clang-14 \
                libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a

deps-fuzz:
	@sh tools/deps.sh $(DEB_FUZZ)

build/fuzz/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PA_CFLAGS54) -c $< -o $@

$(FUZZ_BINS): build/fuzz/%: fuzz/%.c fuzz/fuzz.h $(HDRS) $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PA_CFLAGS54) -o $@ $< $(FUZZ_OBJS) -llua5.4 $(PA_LIBS)

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; dict=fuzz/json.dict; [ ! -f fuzz/$$t.dict ] || dict=fuzz/$$t.dict; \
	  if build/fuzz/$$t $(FUZZ_RUN) -dict=$$dict -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/$$t- \
	      build/fuzz/corpus/$$t fuzz/corpus/$$t >build/fuzz/$$t.log 2>&1; then \
	    echo "fuzz $$t: no finding in $(FUZZ_SECONDS) s;" \
	      $$(grep -h '^stat::number_of_executed_units\|^stat::average_exec_per_sec' build/fuzz/$$t.log | \
	         sed 's/^stat::number_of_executed_units: */runs /; s/^stat::average_exec_per_sec: */exec\/s /'); \
	  else \
	    tail -n 60 build/fuzz/$$t.log; echo "fuzz $$t: FINDING (log: build/fuzz/$$t.log)"; \
	    failed="$$failed $$t"; \
	  fi; \
	done; [ -z "$$failed" ] || { echo "fuzz: findings in$$failed"; exit 1; }

fuzz-merge: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t build/fuzz/merged/$$t && rm -f build/fuzz/merged/$$t/* && \
	  build/fuzz/$$t $(FUZZ_RUN) -merge=1 build/fuzz/merged/$$t fuzz/corpus/$$t build/fuzz/corpus/$$t \
	    >build/fuzz/$$t-merge.log 2>&1 && rm -f fuzz/corpus/$$t/* && cp build/fuzz/merged/$$t/* fuzz/corpus/$$t/ && \
	  echo "fuzz-merge $$t: $$(ls fuzz/corpus/$$t | wc -l) inputs" || { tail -n 30 build/fuzz/$$t-merge.log; exit 1; }; \
	done

rock: deps-test
	@sh tools/rock.sh

clean:
	rm -rf build $(NVIM_SO)
