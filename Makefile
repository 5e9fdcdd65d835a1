# Builds recsys-build and the engine's unit tests (the nginx module is built
# by build.sh through nginx's own build system, from the `config` script).
#
#   make BUILD=build                         optimised
#   make BUILD=build/sanitize SANITIZE=1     ASan + UBSan

BUILD    ?= build
CC       ?= gcc
OPT      ?= -O3 -g

ifeq ($(SANITIZE),1)
OPT      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif

# engine/ in layers (README, "Architecture"): serve <- data <- algo <- builder
# <- eval, gen, cli.  Headers are included by bare name; t/16-layers.t checks
# that each layer includes only from itself and the layers below.
LAYERS   := serve data algo builder eval gen cli
CPPFLAGS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            $(LAYERS:%=-Iengine/%)
CFLAGS   := -std=c99 -Wall -Wextra -Werror -fopenmp $(OPT)
LDFLAGS  := -fopenmp $(OPT)
LDLIBS   := -llmdb -ljansson -llapacke -lopenblas -lz -lm
# the manifest's digest (libcrypto) and `recsys-build fetch` (libcurl)
LDLIBS   += -lcurl -lcrypto
# the one version number: VERSION, also read by the Debian packaging
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0)
CPPFLAGS += -DRECSYS_VERSION='"$(VERSION)"'

ENGINE   := $(filter-out recsys_main,\
              $(basename $(notdir $(wildcard $(LAYERS:%=engine/%/*.c)))))
HEADERS  := $(wildcard $(LAYERS:%=engine/%/*.h))
OBJS     := $(ENGINE:%=$(BUILD)/obj/%.o)
UNITS    := $(basename $(notdir $(wildcard t/engine/test_*.c)))
TESTS    := $(UNITS:%=$(BUILD)/tests/%)

all: $(BUILD)/recsys-build $(TESTS)

vpath %.c $(LAYERS:%=engine/%)

$(BUILD)/obj/%.o: %.c $(HEADERS) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/recsys_main.o $(BUILD)/obj/recsys_fetch.o: VERSION

$(BUILD)/recsys-build: $(BUILD)/obj/recsys_main.o $(OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: t/engine/%.c $(wildcard t/engine/*.h) $(OBJS) $(HEADERS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -It/engine $(CFLAGS) $< $(OBJS) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

clean:
	rm -rf $(BUILD)

.PHONY: all clean
