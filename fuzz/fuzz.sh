#!/usr/bin/env bash
# fuzz.sh: builds the harnesses of fuzz/, their seed corpora, and runs each
# for SECONDS (default 60).  Called by `./build.sh fuzz [SECONDS [NAME...]]`
# after the normal build and the install of clang (recsys-build makes the
# seeds; nginx's configured tree gives the query-string harness its
# headers).  NAME... given: those fuzzers only.
#
# Outputs under build/fuzz/: the harnesses, seed/ (a generated log and the
# model built from it), seeds/NAME (the starting inputs), corpus/NAME (what
# the fuzzer found worth keeping), crashes/NAME-* (any crash, leak or
# timeout input) and logs/NAME.log.  Exits non-zero if any fuzzer failed.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build"
OUT="$BUILD/fuzz"
SECONDS_EACH=${1:-60}
shift || true
NAMES=${*:-"model model_resealed packed csv query args items manifest spark evjson filter overrides shard"}

say() { printf 'fuzz: %s\n' "$*"; }
die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }

case "$SECONDS_EACH" in
    ''|*[!0-9]*) die "SECONDS must be a whole number, not $SECONDS_EACH" ;;
esac

# A small model made by the builder itself: a generated log, every source.
make_seed_model() {
    local dir="$OUT/seed"
    [ -f "$dir/model.mdb" ] && [ "$dir/model.mdb" -nt "$BUILD/recsys-build" ] \
        && return 0
    rm -rf "$dir"
    mkdir -p "$dir"
    "$BUILD/recsys-build" gen --out "$dir/data" --users 150 --items 120 \
        --events 2500 --segments 3 --series 3 --bundles 3 --seed 7 >/dev/null
    "$BUILD/recsys-build" build --interactions "$dir/data/interactions.csv" \
        --items "$dir/data/items.csv" --out "$dir/model.mdb" --hmm --rnn both \
        --hmm-states 4 --gru-dim 8 --gru-hidden 8 --gru-epochs 1 \
        --user-top 20 --neighbors 20 --history 20 --explain-top 5 \
        --rule-support 0.1 --model-id fuzz-seed --quiet
}

# seeds/NAME: what each fuzzer starts from
make_seeds() {
    local s="$OUT/seeds" data="$OUT/seed/data" name
    rm -rf "$s"
    for name in model model_resealed packed csv query args items manifest spark evjson filter overrides shard; do
        mkdir -p "$s/$name" "$OUT/corpus/$name"
    done
    export RECSYS_FUZZ_MODEL="$OUT/seed/model.mdb"

    cp "$RECSYS_FUZZ_MODEL" "$s/model/model.mdb"
    for name in model_resealed packed query items filter overrides shard; do
        RECSYS_FUZZ_SEED_DIR="$s/$name" "$OUT/fuzz_$name" >/dev/null 2>&1 \
            || die "fuzz_$name could not write its seeds"
    done

    # csv: the mode byte (fuzz_csv.c), then a file's first lines
    { printf '\000'; head -40 "$data/interactions.csv"; } > "$s/csv/csv"
    { printf '\004'; head -40 "$data/tags.csv"; } > "$s/csv/csv-comma"
    { printf '\001'; head -40 "$data/interactions.csv"; } > "$s/csv/log"
    { printf '\101'; printf 'userId,itemId,event,timestamp\n';
      printf 'u1,v1,view,1700000000\nu1,v2,buy,1700000100\n'; } \
        > "$s/csv/log-events"
    { printf '\100'; printf '\357\273\277u00001\r\nu00002\n\nu00003\n'; } \
        > "$s/csv/erase"
    { printf '\002'; head -40 "$data/items.csv"; } > "$s/csv/catalog"
    { printf '\006'; head -20 "$data/items.csv" | tr ',' '\t'; } \
        > "$s/csv/catalog-tsv"
    { printf '\012'
      printf '{"itemId":"v1","title":"A \\"quoted\\" title","genres":["Drama","Crime"]}\n'
      printf '{"itemId":"v2","title":"B","genres":"Comedy|Drama"}\n'; } \
        > "$s/csv/catalog-jsonl"
    head -c 400 "$data/items.csv" > "$OUT/seed/cat"
    { printf '\003'; printf "\\$(printf '%03o' "$(($(wc -c < "$OUT/seed/cat") % 256))")"
      printf "\\$(printf '%03o' "$(($(wc -c < "$OUT/seed/cat") / 256))")"
      cat "$OUT/seed/cat"; head -30 "$data/interactions.csv"; } > "$s/csv/both"

    # manifest: the mode byte (fuzz_manifest.c), then the seed model's
    # manifest or a header line
    { printf '\000'; cat "$OUT/seed/model.mdb.manifest.json"; } \
        > "$s/manifest/manifest"
    printf '\001ETag: "6931a4c7-aa"\r\n' > "$s/manifest/etag"
    # spark: the mode byte (fuzz_spark.c), then Spark's JSON Lines
    local sp="$ROOT/t/data/spark"
    { printf '\000'; cat "$sp"/als/part-*; } > "$s/spark/als"
    { printf '\004'; cat "$sp"/similar/part-*; } > "$s/spark/similar"
    { printf '\001'; cat "$sp"/rules/part-*; } > "$s/spark/rules"
    { printf '\002'; cat "$sp"/als/part-* | gzip -c; } > "$s/spark/als-gz"
    # evjson: the events allowed, then a body
    printf '\144{"user":"u1","item":"v1","type":"play"}' > "$s/evjson/one"
    printf '\003[{"user":"u\\u00e9","item":"v\\ud83d\\ude00","type":"like",'\
'"ts":1700000000},{"item":"v2","type":"skip"}]' > "$s/evjson/array"
    printf '\001 [ {"item":"v\\"\\\\\\/\\b\\f\\n\\r\\t","type":"view"} ] ' \
        > "$s/evjson/escapes"

    # args: max_n and max_list less one, then a query string
    printf '\143\143user=u00001&n=5' > "$s/args/user"
    printf '\143\143q=sha%%20d&genre=Drama&id=v00001,v00002&n=5' \
        > "$s/args/items"
    printf '\143\143item=v00120&n=5&offset=10&algo=itemcf' > "$s/args/item"
    printf '\143\143history=v1,v2,v3&exclude=v4&genre=Drama&explain=1' \
        > "$s/args/session"
    printf '\143\143user=%%75%%30+1&w_itemcf=0.5&w_als=10&predict=0' \
        > "$s/args/weights"
}

# run NAME: one fuzzer for SECONDS_EACH; prints a summary line
run_one() {
    local name="$1" log="$OUT/logs/$1.log" rc execs cov ft result len=""
    mkdir -p "$OUT/logs" "$OUT/crashes"
    # whole model files are longer than libFuzzer's default 1 MiB cap
    [ "$name" = model ] \
        && len="-max_len=$(($(wc -c < "$RECSYS_FUZZ_MODEL") + 65536))"
    set +e
    "$OUT/fuzz_$name" "$OUT/corpus/$name" "$OUT/seeds/$name" $len \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$OUT/crashes/$name-" \
        > "$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$rc" = 0 ]; then
        result=ok
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        result=timeout
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then
        result=leak
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
        result=out-of-memory
    else
        result=crash
    fi
    printf 'fuzz: %-15s %10s execs  cov %6s  ft %6s  %s\n' "$name" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    if [ "$result" != ok ]; then
        grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" >&2 || true
        ls "$OUT/crashes/$name-"* 2>/dev/null | sed 's/^/fuzz:   input: /' >&2
        printf 'fuzz:   log: %s\n' "$log" >&2
        return 1
    fi
}

command -v clang >/dev/null || die "clang is missing (./build.sh fuzz installs it)"
make -s -C "$ROOT" -f fuzz/Makefile FUZZ="$OUT" NGX="${NGX_TREE:-$BUILD/nginx/src}" \
    -j"$(nproc)" all
make_seed_model
make_seeds

say "each fuzzer runs ${SECONDS_EACH}s (-timeout=10 -rss_limit_mb=2048)"
failed=0
for name in $NAMES; do
    run_one "$name" || failed=1
done

if [ "$failed" != 0 ]; then
    say "FAILED (reproduce: RECSYS_FUZZ_MODEL=$RECSYS_FUZZ_MODEL $OUT/fuzz_NAME INPUT)"
    exit 1
fi
say "all fuzzers ran clean"
