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

CPPFLAGS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iengine
CFLAGS   := -std=c99 -Wall -Wextra -Werror -fopenmp $(OPT)
LDFLAGS  := -fopenmp $(OPT)
LDLIBS   := -llmdb -ljansson -llapacke -lopenblas -lm

ENGINE   := recsys_status recsys_text recsys_model recsys_query recsys_csv \
            recsys_dict recsys_ingest recsys_itemcf recsys_writer \
            recsys_build recsys_build_write recsys_build_explain \
            recsys_gen recsys_inspect \
            recsys_train recsys_mt19937 recsys_split recsys_metrics \
            recsys_baseline recsys_eval recsys_eval_main recsys_eval_served \
            recsys_usercf recsys_content recsys_predict recsys_cluster \
            recsys_rules recsys_rules_read recsys_markov recsys_hmm recsys_gru \
            recsys_ease recsys_als recsys_rp3 recsys_eval_models
OBJS     := $(ENGINE:%=$(BUILD)/obj/%.o)
UNITS    := test_gen test_text test_csv test_dict test_topk test_metrics \
            test_ingest test_model test_usercf test_content test_cluster \
            test_rules test_markov test_hmm test_gru test_ease test_als test_rp3
TESTS    := $(UNITS:%=$(BUILD)/tests/%)

all: $(BUILD)/recsys-build $(TESTS)

$(BUILD)/obj/%.o: engine/%.c $(wildcard engine/*.h) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/recsys-build: $(BUILD)/obj/recsys_main.o $(OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: t/engine/%.c $(wildcard t/engine/*.h) $(OBJS) $(wildcard engine/*.h) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -It/engine $(CFLAGS) $< $(OBJS) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

clean:
	rm -rf $(BUILD)

.PHONY: all clean
