#!/usr/bin/env bash
# bench/bench-verify.sh: what checking a model file before use costs.
#
#   ./build.sh bench-verify               (builds first, then runs this)
#   SIZE=20M bench/bench-verify.sh        (a 20M-row model, about 1.3 GB)
#   MODEL=/path/to/model.mdb bench/bench-verify.sh
#
# A worker reads a new model file whole before LMDB touches it (the seal's
# checksum, LMDB's meta pages, every B-tree page: engine/serve/
# recsys_verify.c), in 4 MiB steps between requests while the old model
# serves.  This prints, on 127.0.0.1 only:
#   1. the file's size and the time of `recsys-build inspect MODEL stats`
#      (verify and open in one process, the page cache warm), best of 3;
#   2. a swap under load: nginx with 2 workers and wrk (-t1 -c16, known
#      users, DURATION seconds) run twice, once with the model left alone
#      and once with a fresh copy of it published (copy to a temporary
#      name, rename) every SWAP_EVERY seconds; for each: requests/s, p99,
#      the slowest request, non-200 answers; and for each swap the time
#      from the rename until both workers logged the new file as loaded.
#
# Environment: SIZE (gen's --events, default 1M; a K or M suffix), MODEL
# (an existing model instead), DURATION=20, SWAP_EVERY=5, BUILD, KEEP=1.

set -eu

BENCH_NAME=bench-verify
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-1M}
DURATION=${DURATION:-20}
SWAP_EVERY=${SWAP_EVERY:-5}

need_packages wrk curl perl
need_build
make_work

events=$(echo "$SIZE" | awk '/[Mm]$/ { printf "%d", $0 * 1000000; next }
                             /[Kk]$/ { printf "%d", $0 * 1000; next }
                             { printf "%d", $0 }')

if [ -n "${MODEL:-}" ]; then
    [ -f "$MODEL" ] || die "MODEL=$MODEL not found"
    cp "$MODEL" "$WORK/model.mdb"
    users=""
else
    # the MovieLens-20M shape scaled to the size (bench-build.sh's rule)
    users=$((events * 138000 / 20000000 + 100))
    items=$((events * 27000 / 20000000 + 100))
    say "gen: $events events, $users users, $items items"
    "$RB" gen --out "$WORK/data" --events "$events" --users "$users" \
        --items "$items" > "$WORK/logs/gen.log" 2>&1 \
        || { cat "$WORK/logs/gen.log" >&2; die "gen failed"; }
    say "build"
    "$RB" build --interactions "$WORK/data/interactions.csv" \
        --items "$WORK/data/items.csv" --out "$WORK/model.mdb" \
        > "$WORK/logs/build.log" 2>&1 \
        || { cat "$WORK/logs/build.log" >&2; die "build failed"; }
fi

bytes=$(stat -c %s "$WORK/model.mdb")

# ------------------------------------------------- 1. verify and open
best=""
for _ in 1 2 3; do
    t=$( { /usr/bin/env time -f %e "$RB" inspect "$WORK/model.mdb" stats \
           > /dev/null; } 2>&1 | tail -1)
    best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
done

# ------------------------------------------------- 2. a swap under load
port=$(free_port)
conf="$WORK/nginx.conf"
small_conf "$conf" "$port" 2 on "
        location = /recommend {
            recsys;
            recsys_model $WORK/model.mdb;
            recsys_reload_interval 100ms;
        }"
start_nginx "$conf"
wait_ready "http://127.0.0.1:$port/recommend?user=nobody" 600

# known users: the first 2,000 of the file, or ids the sample data uses
if [ -n "$users" ]; then
    awk -F, 'NR > 1 && !seen[$1]++ { print "/recommend?user=" $1 }' \
        "$WORK/data/interactions.csv" | head -2000 > "$WORK/paths.txt"
else
    seq -f '/recommend?user=%g' 1 2000 > "$WORK/paths.txt"
fi

run_load() {
    PATHS="$WORK/paths.txt" wrk -t1 -c16 -d"${DURATION}s" --latency \
        -s "$ROOT/bench/rotate.lua" "http://127.0.0.1:$port" > "$WORK/$1.wrk" 2>&1
}

summary() {
    local f="$WORK/$1.wrk" line max
    line=$(grep '^rotate: requests=' "$f") || { cat "$f" >&2; die "no wrk result"; }
    max=$(awk '/Latency/ && !done { print $4; done = 1 }' "$f")
    echo "$line max=$max" | sed 's/^rotate: //'
}

say "load without swaps"
run_load still

say "load with a swap every $SWAP_EVERY s"
loads_before=$(grep -c 'loaded, id' "$WORK/logs/error.log" || true)
run_load swaps &
wrk_pid=$!
: > "$WORK/swaps.txt"
start=$SECONDS
sleep 1
# (each swap leaves a few seconds of load after it: workers look at the
# path when requests come)
while [ $((SECONDS - start + SWAP_EVERY + 4)) -le "$DURATION" ]; do
    cp "$WORK/model.mdb" "$WORK/model.mdb.next"
    sleep "$SWAP_EVERY"
    n0=$(grep -c 'loaded, id' "$WORK/logs/error.log" || true)
    t0=$(date +%s.%N)
    mv "$WORK/model.mdb.next" "$WORK/model.mdb"
    # both workers loaded it (each loads on its next request after 100 ms)
    for _ in $(seq 1 2000); do
        n=$(grep -c 'loaded, id' "$WORK/logs/error.log" || true)
        [ "$n" -ge $((n0 + 2)) ] && break
        sleep 0.005
    done
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$WORK/swaps.txt"
done
wait "$wrk_pid"
check_alive

cat <<EOF

bench-verify: model $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)
  verify + open (recsys-build inspect stats, best of 3): ${best} s
  load without swaps:  $(summary still)
  load with swaps:     $(summary swaps)
  seconds from each rename until both workers serve the new file: $(tr '\n' ' ' < "$WORK/swaps.txt")
  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
EOF
