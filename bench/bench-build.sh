#!/usr/bin/env bash
# bench/bench-build.sh: how the builder scales with the size of the log.
#
#   ./build.sh bench-build                (builds first, then runs this)
#   SIZES="1M 5M" bench/bench-build.sh
#
# For each size, `recsys-build gen` writes a synthetic log of that many
# interactions in the MovieLens-20M shape (20M: 138000 users, 27000 items;
# smaller sizes scale users and items in proportion: 1M is 6900 users and
# 1350 items), then `recsys-build build --interactions --items` turns it
# into a model.  Both run under /usr/bin/time -v.  Then, if
# ../shared/data/ml-latest-small exists (or DATA points at such a folder),
# the same build of its ratings.csv and movies.csv.
#
# Prints, per data set: the rows the log really has (gen deduplicates, so a
# little below the size asked for), the builder's own seconds per stage
# (ingest, prepare, itemcf, usercf, ..., ease, hybrid, write; wall time measured
# inside the builder) with ingest rows per second, and for the whole
# process wall time, CPU time (user + sys, and their ratio to wall: the
# builder's threads), peak RSS and the model file size; gen's wall time
# and peak RSS too.  A summary table ends the report.
#
# Environment:
#   SIZES="1M 5M 20M"  sizes: a number with an optional K or M suffix
#   DATA=dir           MovieLens-style folder (default ../shared/data/
#                      ml-latest-small next to the repository; "none" skips)
#   BUILD_ARGS="..."   extra flags for recsys-build build
#   BUILD=build        where recsys-build is
#   KEEP=1             keep the generated data and models
#
# Needs GNU time (package `time`, installed with apt-get if missing).
# Exits non-zero if gen or build fails.

set -eu

BENCH_NAME=bench-build
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZES=${SIZES:-1M 5M 20M}
DATA=${DATA:-$ROOT/../shared/data/ml-latest-small}
BUILD_ARGS=${BUILD_ARGS:-}

need_packages time
[ -x "$RB" ] || die "$RB not found: run ./build.sh first"
make_work

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$WORK/summary.txt"
REPORT="$WORK/report.txt"
: > "$REPORT"

# tv FILE KEY: a value from /usr/bin/time -v output.
tv() {
    awk -F': ' -v k="$2" 'index($0, k) { v = $NF } END { print v }' "$1"
}

# seconds H:MM:SS.ss or M:SS.ss -> seconds
wall_seconds() {
    awk -v t="$1" 'BEGIN { n = split(t, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }'
}

# measure NAME INTERACTIONS ITEMS: build a model and report it.
measure() {
    local name=$1 interactions=$2 items=$3 out model log tlog rows users nitems
    local wall user sys cpu rss size ingest rps
    out="$WORK/$name"
    mkdir -p "$out"
    model="$out/model.mdb"
    log="$out/build.log"
    tlog="$out/build.time"
    say "$name: recsys-build build"
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$tlog" "$RB" build --interactions "$interactions" \
        ${items:+--items "$items"} --out "$model" $BUILD_ARGS > "$log" 2>&1 \
        || { cat "$log" >&2; die "$name: recsys-build build failed"; }

    wall=$(wall_seconds "$(tv "$tlog" "Elapsed (wall clock)")")
    user=$(tv "$tlog" "User time")
    sys=$(tv "$tlog" "System time")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rss=$(tv "$tlog" "Maximum resident set size")
    size=$(stat -c %s "$model")
    # "  N users, M items (...), R rows, P user-item pairs"
    read -r users nitems rows <<< "$(awk '/ users, .* items/ {
        for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^users/) u = $i; if ($(i+1) ~ /^items/) it = $i; if ($(i+1) ~ /^rows/) r = $i }
        print u, it, r; exit }' "$log")"
    ingest=$(awk '/seconds:/ { for (i = 1; i <= NF; i++) if ($i == "ingest") { v = $(i+1); sub(",", "", v); print v; exit } }' "$log")
    rps=$(awk -v r="${rows:-0}" -v s="${ingest:-0}" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "-" }')

    {
        echo "== $name: ${rows:-?} rows, ${users:-?} users, ${nitems:-?} items ($(du -h "$interactions" | cut -f1) of CSV)"
        [ -n "${GEN_LINE:-}" ] && echo "  gen: $GEN_LINE"
        echo "  build stages (the builder's own wall seconds):"
        awk '/seconds:/ {
                sub(/^.*seconds: */, "")
                n = split($0, parts, ", ")
                for (i = 1; i <= n; i++) {
                    m = split(parts[i], w, " "); v = w[m]; label = parts[i]; sub(" " v "$", "", label)
                    printf "    %-14s %9.3f s\n", label, v
                }
            }' "$log"
        echo "    ingest rate    $rps rows/s"
        grep -i 'peak memory' "$log" | sed 's/^ */    builder says: /'
        printf '  build process: wall %.2f s, CPU %.2f s (user %.2f + sys %.2f; %.2fx wall), peak RSS %.1f MiB, model %.1f MiB\n' \
            "$wall" "$cpu" "$user" "$sys" "$(awk -v c="$cpu" -v w="$wall" 'BEGIN { print (w > 0 ? c / w : 0) }')" \
            "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(awk -v b="$size" 'BEGIN { print b / 1048576 }')"
        echo
    } >> "$REPORT"
    printf '%-16s %10s %8s %7s %9s %9s %9s %10s %12s\n' "$name" "${rows:-?}" "${users:-?}" "${nitems:-?}" \
        "$wall" "$cpu" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }')" "$rps" >> "$WORK/summary.txt"
    [ "${KEEP:-0}" = 1 ] || rm -f "$model"
}

for s in $SIZES; do
    n=$(awk -v s="$s" 'BEGIN {
        m = 1; u = toupper(substr(s, length(s)))
        if (u == "M") { m = 1000000; s = substr(s, 1, length(s) - 1) }
        else if (u == "K") { m = 1000; s = substr(s, 1, length(s) - 1) }
        if (s !~ /^[0-9]+(\.[0-9]+)?$/) exit 1
        printf "%.0f", s * m }') || die "bad size $s (e.g. 1M, 500K, 20000000)"
    users=$(awk -v n="$n" 'BEGIN { v = int(138000 * n / 20000000 + 0.5); print (v < 10 ? 10 : v) }')
    items=$(awk -v n="$n" 'BEGIN { v = int(27000 * n / 20000000 + 0.5); print (v < 10 ? 10 : v) }')
    dir="$WORK/data-$s"
    say "$s: recsys-build gen --users $users --items $items --events $n"
    /usr/bin/time -v -o "$WORK/gen-$s.time" "$RB" gen --out "$dir" --users "$users" \
        --items "$items" --events "$n" > "$WORK/gen-$s.log" 2>&1 \
        || { cat "$WORK/gen-$s.log" >&2; die "$s: recsys-build gen failed"; }
    GEN_LINE=$(printf 'gen --users %s --items %s --events %s: wall %.2f s, peak RSS %.1f MiB' \
        "$users" "$items" "$n" "$(wall_seconds "$(tv "$WORK/gen-$s.time" "Elapsed (wall clock)")")" \
        "$(awk -v k="$(tv "$WORK/gen-$s.time" "Maximum resident set size")" 'BEGIN { print k / 1024 }')")
    measure "$s" "$dir/interactions.csv" "$dir/items.csv"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
done

GEN_LINE=""
if [ "$DATA" != none ] && [ -f "$DATA/ratings.csv" ]; then
    items=""
    [ -f "$DATA/movies.csv" ] && items="$DATA/movies.csv"
    measure "$(basename "$DATA")" "$DATA/ratings.csv" "$items"
elif [ "$DATA" != none ]; then
    say "no $DATA/ratings.csv: MovieLens timing skipped"
fi

{
    echo "== recsys builder scale ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo "host: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "builder: $RB ${BUILD_ARGS:+(extra flags: $BUILD_ARGS)}"
    echo
    cat "$REPORT"
    echo "-- summary (build process; rows/s = rows over the ingest stage)"
    printf '%-16s %10s %8s %7s %9s %9s %9s %10s %12s\n' data rows users items "wall s" "CPU s" "RSS MiB" "model MiB" "ingest r/s"
    cat "$WORK/summary.txt"
}
