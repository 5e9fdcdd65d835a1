#!/usr/bin/env bash
# bench/bench-overrides.sh: takedowns under load.
#
#   ./build.sh bench-overrides            (builds first, then runs this)
#   DURATION=20 CHANGES=4 bench/bench-overrides.sh
#
# nginx with 2 workers serves the generated sample's model through a
# /recommend location with `recsys_overrides FILE` and a reload interval of
# INTERVAL_MS; wrk (2 threads, 16 connections, DURATION seconds, on
# 127.0.0.1 only) asks for every known user in turn (bench/overrides.lua).
# Before the load, the answers of the first 300 users are read and the
# CHANGES x HIDE items they show most are split into CHANGES sets; during
# the load the overrides file is replaced CHANGES times (written to a
# temporary name, then renamed), each time hiding the next set.  wrk's
# script reads every answer and counts, per change, the answers that
# arrive later than one reload interval (+ SLACK_MS for the answer's own
# time in flight) after the rename and still hold an item of the set that
# change hid: the violations, which must be 0.  It also counts the answers
# that held a set's items before it was hidden (they were being shown).
# Prints one summary; exits 1 on a violation, a failed request, a non-200
# answer, or an nginx alert.
#
# Environment: DURATION=14, CHANGES=3, HIDE=10, INTERVAL_MS=500,
# SLACK_MS=50, BUILD, KEEP=1.

set -eu

BENCH_NAME=bench-overrides
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

: "${DURATION:=14}" "${CHANGES:=3}" "${HIDE:=10}" "${INTERVAL_MS:=500}" \
    "${SLACK_MS:=50}"

need_packages wrk curl perl
need_build
make_work

say "gen and build (the sample data set)"
"$RB" gen --out "$WORK/data" > "$WORK/logs/gen.log" 2>&1 \
    || { cat "$WORK/logs/gen.log" >&2; die "gen failed"; }
"$RB" build --interactions "$WORK/data/interactions.csv" \
    --items "$WORK/data/items.csv" --out "$WORK/model.mdb" \
    > "$WORK/logs/build.log" 2>&1 \
    || { cat "$WORK/logs/build.log" >&2; die "build failed"; }

ovr="$WORK/overrides.txt"
: > "$ovr"                          # no rules yet
recommend="
        location = /recommend {
            recsys;
            recsys_model $WORK/model.mdb;
            recsys_overrides $ovr;
            recsys_reload_interval ${INTERVAL_MS}ms;
        }"
port=$(free_port)
small_conf "$WORK/nginx.conf" "$port" 2 on "$recommend"
start_nginx "$WORK/nginx.conf"
wait_ready "http://127.0.0.1:$port/recommend?user=nobody" 600

awk -F, 'NR > 1 && !seen[$1]++ { print "/recommend?user=" $1 }' \
    "$WORK/data/interactions.csv" > "$WORK/paths.txt"

# the items the first 300 users' answers show most, CHANGES sets of HIDE
perl -MHTTP::Tiny -MJSON::PP -e '
    my ($base, $paths, $sets, $per, $out) = @ARGV;
    my $http = HTTP::Tiny->new(keep_alive => 1);
    my (%n, @p);
    open my $fh, "<", $paths or die "$paths: $!\n";
    while (<$fh>) { chomp; push @p, $_; last if @p == 300 }
    for my $path (@p) {
        my $res = $http->get("$base$path");
        die "GET $path: $res->{status}\n" unless $res->{success};
        $n{ $_->{id} }++ for @{ decode_json($res->{content})->{items} };
    }
    my @top = (sort { $n{$b} <=> $n{$a} || $a cmp $b } keys %n)
              [0 .. $sets * $per - 1];
    die "fewer than ", $sets * $per, " distinct items in the answers\n"
        if grep { !defined } @top;
    for my $k (1 .. $sets) {
        open my $o, ">", "$out.$k" or die "$out.$k: $!\n";
        print $o "$_\n" for @top[($k - 1) * $per .. $k * $per - 1];
    }' "http://127.0.0.1:$port" "$WORK/paths.txt" "$CHANGES" "$HIDE" \
    "$WORK/set"

# change 0: no rules; the first set is the next to be hidden
rules="$WORK/phase.txt"
echo "0 $(date +%s%3N)" > "$rules.tmp" && mv "$rules.tmp" "$rules"
cp "$WORK/set.1" "$rules.next"

say "load: ${DURATION}s, $CHANGES changes of the overrides file"
BENCH_DIR="$ROOT/bench" PATHS="$WORK/paths.txt" RULES="$rules" \
    INTERVAL_MS="$INTERVAL_MS" SLACK_MS="$SLACK_MS" wrk -t2 -c16 -d"${DURATION}s" \
    -s "$ROOT/bench/overrides.lua" "http://127.0.0.1:$port" \
    > "$WORK/load.wrk" 2>&1 &
wrk_pid=$!

# the changes spread over the run, the last one DURATION / (CHANGES + 1)
# seconds before its end
gap=$(awk -v d="$DURATION" -v c="$CHANGES" 'BEGIN { printf "%.3f", d / (c + 1) }')
for k in $(seq 1 "$CHANGES"); do
    sleep "$gap"
    sed 's/^/hide /' "$WORK/set.$k" > "$ovr.tmp"
    mv "$ovr.tmp" "$ovr"
    { echo "$k $(date +%s%3N)"; cat "$WORK/set.$k"; } > "$rules.tmp"
    mv "$rules.tmp" "$rules"
    if [ "$k" -lt "$CHANGES" ]; then
        cp "$WORK/set.$((k + 1))" "$rules.next.tmp"
    else
        : > "$rules.next.tmp"
    fi
    mv "$rules.next.tmp" "$rules.next"
done
wait "$wrk_pid" || { cat "$WORK/load.wrk" >&2; die "wrk failed"; }
check_alive

line=$(grep '^overrides: ' "$WORK/load.wrk") \
    || { cat "$WORK/load.wrk" >&2; die "no result from wrk"; }

cat <<EOF

bench-overrides: 2 workers, wrk -t2 -c16 -d${DURATION}s over $(wc -l < "$WORK/paths.txt") users, reload interval ${INTERVAL_MS} ms
  $CHANGES changes of the overrides file, each hiding $HIDE of the items the answers showed most
  ${line#overrides: }
  (violations: answers later than ${INTERVAL_MS} + ${SLACK_MS} ms after a change holding an item it hid)
  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
EOF

echo "$line" | awk '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    exit !(v["violations"] == 0 && v["non200"] == 0 && v["errors"] == 0 \
           && v["changes"] == '"$((CHANGES + 1))"' && v["checked"] > 0)
}' || die "takedowns not honoured under load (above)"
