# pinanalytics - build, test, demo, bench, lint, rock.
#
#   make demo   the main job against the built-in simulator (no token, no network)
#   make test   build, lint and run every spec; last line "N passed, N failed"
#
# Both install the Debian packages they need when run as root; otherwise they
# print the one apt-get command to run and stop.

LUA        ?= lua5.4
LUA_INC    ?= /usr/include/lua5.4
CC         ?= cc
CFLAGS     ?= -O2 -g
PA_CFLAGS   = -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden \
              -Wall -Wextra -Werror -I$(LUA_INC) $(shell pkg-config --cflags libcurl 2>/dev/null)
PA_LIBS     = $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl) -lm

BUILD      := build
SO         := $(BUILD)/pinanalytics/core.so
SRCS       := $(wildcard csrc/*.c)
HDRS       := $(wildcard csrc/*.h)
OBJS       := $(patsubst csrc/%.c,$(BUILD)/obj/%.o,$(SRCS))

# Debian packages: what each target needs (command or file that proves it).
DEB_BUILD  := lua5.4:/usr/bin/lua5.4 liblua5.4-dev:/usr/include/lua5.4/lua.h \
              libcurl4-openssl-dev:/usr/bin/curl-config pkg-config:/usr/bin/pkg-config \
              gcc:/usr/bin/gcc lua-cjson:/usr/lib/x86_64-linux-gnu/lua/5.4/cjson.so \
              nginx:/usr/sbin/nginx libnginx-mod-http-lua:/usr/lib/nginx/modules/ngx_http_lua_module.so
DEB_TEST   := $(DEB_BUILD) lua-busted:/usr/bin/busted lua-check:/usr/bin/luacheck \
              libluajit2-5.1-dev:/usr/include/luajit-2.1/lua.h luarocks:/usr/bin/luarocks \
              valgrind:/usr/bin/valgrind
DEB_BENCH  := $(DEB_BUILD) lua-socket:/usr/share/lua/5.4/socket.lua lua-dkjson:/usr/share/lua/5.4/dkjson.lua \
              python3:/usr/bin/python3

export LUA_PATH  := $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(CURDIR)/spec/?.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;;

.PHONY: all build deps deps-test deps-bench test demo bench lint rock clean check-luajit memcheck asan

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
deps-bench:
	@sh tools/deps.sh $(DEB_BENCH)

# The same sources, warning-free against LuaJIT / Lua 5.1 headers (compile only).
check-luajit:
	@mkdir -p $(BUILD)/luajit
	@for f in $(SRCS); do \
	  $(CC) $(CFLAGS) -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
	    -I/usr/include/luajit-2.1 $(shell pkg-config --cflags libcurl 2>/dev/null) -c $$f \
	    -o $(BUILD)/luajit/$$(basename $$f .c).o || exit 1; \
	done; echo "C core compiles warning-free against LuaJIT 2.1 headers"

lint:
	luacheck -q lua spec examples $(wildcard bench)

test: deps-test
	@$(MAKE) --no-print-directory build
	@sh spec/run.sh

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
ASAN_SO    := $(BUILD)/asan/pinanalytics/core.so
ASAN_OBJS  := $(patsubst csrc/%.c,$(BUILD)/asan/obj/%.o,$(SRCS))
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_ENV    = LD_PRELOAD="$$($(CC) -print-file-name=libasan.so):$$($(CC) -print-file-name=libubsan.so)" \
              ASAN_OPTIONS=detect_leaks=0 LUA_CPATH="$(CURDIR)/$(BUILD)/asan/?.so;;"

$(BUILD)/asan/obj/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(PA_CFLAGS) -c $< -o $@

$(ASAN_SO): $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) -shared -o $@ $(ASAN_OBJS) $(PA_LIBS)

# the specs that drive the C paths hardest
ASAN_SPECS := spec/json_spec.lua spec/frame_spec.lua spec/session_spec.lua spec/bulk_spec.lua \
              spec/pin_analytics_spec.lua spec/frame_safety_spec.lua \
              spec/bulk_safety_spec.lua \
              spec/session_safety_spec.lua spec/transport_spec.lua

asan: $(ASAN_SO)
	$(ASAN_ENV) $(LUA) spec/helpers/memcheck.lua
	$(ASAN_ENV) $(LUA) /usr/bin/busted --cpath="$(BUILD)/asan/?.so" -o TAP \
	  $(ASAN_SPECS)

rock: deps-test
	@sh tools/rock.sh

clean:
	rm -rf $(BUILD)
