#!/usr/bin/env bash
# bench/dask-build.sh: the sharded build through Dask against the single
# build: the same model, and the time and memory of each.
#
#   bench/dask-build.sh                      ml-latest-small and 5M rows
#   SIZES="100M" SHARDS="16" bench/dask-build.sh      the scale run
#
# For ml-latest-small (DATA, "none" skips) and each gen size (SIZES, the
# MovieLens-20M shape scaled as in bench-build.sh): the single build
# (`recsys-build build`, under /usr/bin/time -v), then for each P in SHARDS
# (default "1 2 7") contrib/dask/recsys_dask.py on a local cluster of
# WORKERS (2) worker processes, each with MEMORY_LIMIT (4GiB) as Dask's
# memory_limit.  Prints, per data set and P: whether the users, items and
# blobs databases of the two models are byte for byte the same (mdb_dump:
# every id, list and score; only the header's build time may differ) and,
# from contrib/dask/compare_models.py, the largest relative difference of
# their answers (top lists identical, scores within 1e-6), the
# driver's wall time and peak RSS and each step's largest peak RSS, beside
# the single build's wall time and peak RSS.
#
# TASK_MEMORY (0: none) caps each builder process's data segment
# (the driver's --task-memory, RLIMIT_DATA).
#
# Environment: SIZES, SHARDS, WORKERS, MEMORY_LIMIT, TASK_MEMORY, DATA,
# BUILD_ARGS, BUILD (where recsys-build is), KEEP=1 (keep the work
# directory).
# Needs GNU time and python3-distributed (installed when missing).

set -eu

BENCH_NAME=dask-build
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZES=${SIZES-5M}
SHARDS=${SHARDS:-1 2 7}
WORKERS=${WORKERS:-2}
MEMORY_LIMIT=${MEMORY_LIMIT:-4GiB}
TASK_MEMORY=${TASK_MEMORY:-0}
DATA=${DATA:-$ROOT/../shared/data/ml-latest-small}
BUILD_ARGS=${BUILD_ARGS:-}

need_packages time python3-distributed lmdb-utils
[ -x "$RB" ] || die "$RB not found: run ./build.sh first"
make_work

# timed FILE CMD...: runs CMD under GNU time, FILE gets "wall_s peak_KiB"
timed() { local f="$1"; shift; /usr/bin/time -f '%e %M' -o "$f" "$@"; }
# figures FILE: "wall W s, peak RSS R MiB"
figures() { awk '{ printf "wall %.2f s, peak RSS %.1f MiB", $1, $2 / 1024 }' "$1"; }

# compare NAME LOG CATALOG
compare() {
    local name="$1" log="$2" cat="$3" p single="$WORK/$1-single.mdb" m db same
    # shellcheck disable=SC2086
    timed "$WORK/$name-single.time" "$RB" build --interactions "$log" \
        --items "$cat" --out "$single" --model-id bench --quiet $BUILD_ARGS \
        > "$WORK/$name-single.log" 2>&1 || { cat "$WORK/$name-single.log" >&2; die "$name: build failed"; }
    echo "$name: single build: $(figures "$WORK/$name-single.time")"
    for p in $SHARDS; do
        m="$WORK/$name-p$p.mdb"
        # shellcheck disable=SC2086
        timed "$WORK/$name-p$p.time" /usr/bin/python3 "$ROOT/contrib/dask/recsys_dask.py" \
            --local "$WORKERS" --memory-limit "$MEMORY_LIMIT" \
            --task-memory "$TASK_MEMORY" --dir "$WORK/$name-w$p" \
            --shards "$p" --out "$m" --items "$cat" --builder "$RB" "$log" \
            --build-args --model-id bench $BUILD_ARGS > "$WORK/$name-p$p.log" 2>&1 \
            || { cat "$WORK/$name-p$p.log" >&2; die "$name: P=$p failed"; }
        same=yes
        for db in users items blobs; do
            # the dump's mapsize line is the file's size, not its content
            mdb_dump -n -s "$db" "$single" | grep -v '^mapsize=' > "$WORK/a.dump"
            mdb_dump -n -s "$db" "$m" | grep -v '^mapsize=' > "$WORK/b.dump"
            cmp -s "$WORK/a.dump" "$WORK/b.dump" || same=no
        done
        rm -f "$WORK/a.dump" "$WORK/b.dump"
        echo "$name: P=$p through Dask ($WORKERS workers, $MEMORY_LIMIT each): same users, items and lists as the single build: $same; driver $(figures "$WORK/$name-p$p.time")"
        echo "    answers: $(/usr/bin/python3 "$ROOT/contrib/dask/compare_models.py" "$single" "$m" | tail -1)"
        grep '^recsys-dask: step' "$WORK/$name-p$p.log" | sed 's/^recsys-dask: /    /'
        [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK/$name-w$p" "$m"
    done
}

if [ "$DATA" != none ] && [ -f "$DATA/ratings.csv" ]; then
    compare ml-latest-small "$DATA/ratings.csv" "$DATA/movies.csv"
fi

for s in $SIZES; do
    n=$(awk -v s="$s" 'BEGIN {
        m = 1; u = toupper(substr(s, length(s)))
        if (u == "M") { m = 1000000; s = substr(s, 1, length(s) - 1) }
        else if (u == "K") { m = 1000; s = substr(s, 1, length(s) - 1) }
        printf "%.0f", s * m }')
    users=$(awk -v n="$n" 'BEGIN { v = int(138000 * n / 20000000 + 0.5); print (v < 10 ? 10 : v) }')
    items=$(awk -v n="$n" 'BEGIN { v = int(27000 * n / 20000000 + 0.5); print (v < 10 ? 10 : v) }')
    say "$s: recsys-build gen --users $users --items $items --events $n"
    "$RB" gen --out "$WORK/data-$s" --users "$users" --items "$items" --events "$n" \
        > "$WORK/gen-$s.log" 2>&1 || { cat "$WORK/gen-$s.log" >&2; die "$s: gen failed"; }
    compare "gen-$s" "$WORK/data-$s/interactions.csv" "$WORK/data-$s/items.csv"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK/data-$s"
done
