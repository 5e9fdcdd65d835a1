#!/usr/bin/env bash
# bench/bench-events.sh: what live events cost and what they are worth.
#
#   bench/bench-events.sh                 (after ./build.sh)
#   DATA=../shared/data/ml-latest-small bench/bench-events.sh
#
# Printed as one report on stdout (progress on stderr):
#
#  1. Speed, one nginx worker pinned to CPU 0, wrk pinned to CPU 1, each
#     scenario warmed up by one uncounted run (as bench.sh's: no round
#     pays for the worker's first reads of the model's pages and of the
#     zone's users), then run between two runs of its static counterpart
#     (static, B, static, B, ..., static; ROUNDS runs of B) and reported as
#     req/s over the mean of the static runs around it, and as the static
#     runs' CPU time per request (the worker's utime + stime) over B's
#     ("cpu": the same ratio on a CPU of the worker's own, less moved by
#     other load).  The four GET scenarios take turns within each round,
#     so that they share the host's minutes; before each run of a
#     scenario, bench/chase.c times a dependent read at random over 4 MiB
#     and over 64 MiB on the worker's CPU (the medians are printed, a
#     sample of how busy the shared host's caches and memory were):
#       post1    POST /event, one play event, 100,000 users per wrk thread
#                against the same bodies POSTed to `return 204`
#       live20   GET /recommend of 500 visitors with 20 live events each
#                against `return 200` of the median answer's size
#       nolive   GET /recommend of known users without live events, in a
#                server with an events zone, against the same static
#       today    the same requests to a server without recsys_events
#                (today's hybrid figure), against its static
#       known20  GET /recommend of the other known users (the last 500,
#                or half of fewer than 1,000), 20 live events each,
#                against the same static
#  2. Capacity: a zone of ZONE_MIB MiB (64) with per_user=20 is filled with
#     new users of 20 events each (one POST per user) until the first
#     eviction; the users and events it held then, and its bytes.
#  3. Online replay (with DATA, a MovieLens directory): for each user the
#     newest 6 rows are held out (bench/replay.pl split), the model is built
#     on the rest, and /recommend?n=10 is asked before and after the first
#     5 held-out rows are posted as play events: HR@10 and MRR@10 of the
#     6th row, without and with the live events.  Before that, each user's
#     newest 10 kept rows are asked as a visitor's history=, the first
#     held-out row predicted.  Both with the default bound on the walk
#     (recsys_session_neighbors) and without one (/unbounded).
#
#  4. With REQUESTS=N (0: skipped), the worker's RSS over N mixed
#     requests (POSTs of one event for 100,000 cycling users, GETs of the
#     live, known and history= paths), printed after each 10 s of load.
#  1b. Instructions per request under callgrind (CALLGRIND_REQUESTS=1000,
#     0 skips): POST /event vs return 204, live20 vs the same items as
#     history=, known users with and without recsys_events, and known20:
#     500 known users with 20 live events each (the session added to the
#     stored hybrid list); stable when the host is loaded and req/s is
#     not.
#
# Environment: DATA, DURATION=3 (seconds per wrk run), ROUNDS=3, REQUESTS=0,
# CONNECTIONS=64, ZONE_MIB=64, BUILD=build, KEEP=1.  Installs wrk and curl
# when missing.  Exits non-zero if nginx fails or logs an alert.

set -eu

BENCH_NAME=bench-events
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

DATA=${DATA:-}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
ZONE_MIB=${ZONE_MIB:-64}
CALLGRIND_REQUESTS=${CALLGRIND_REQUESTS:-1000}
REQUESTS=${REQUESTS:-0}

need_packages wrk curl
need_build
make_work

# ------------------------------------------------------- data and model

data_model
MODEL="$WORK/model.mdb"

awk -F, 'NR > 1 { print $2 }' "$RATINGS" | sort -u | head -5000 \
    > "$WORK/items.txt"
awk -F, 'NR > 1 { print $1 }' "$RATINGS" | sort -u | head -2000 \
    > "$WORK/users.txt"

if [ "$(nproc)" -ge 2 ]; then
    AFFINITY="worker_cpu_affinity 01;"
    WRK_PIN=(taskset -c 1)
    WORKER_PIN=(taskset -c 0)
else
    AFFINITY=""
    WRK_PIN=()
    WORKER_PIN=()
fi
cc -std=c99 -O2 -o "$WORK/bin/chase" "$ROOT/bench/chase.c" \
    || die "compiling bench/chase.c failed"

# conf FILE PORT HTTP_LINE LOCATIONS: lib.sh's small_conf (one worker) with
# the worker pinned, keep-alive, the model, HTTP_LINE in http, /recommend,
# the statics and LOCATIONS
conf() {
    small_conf "$1" "$2" 1 on "
        location = /recommend { recsys; }
        location = /static { default_type application/json;
            return 200 '$(head -c "${STATIC_LEN:-1}" /dev/zero | tr '\0' x)'; }
        location = /static204 { return 204; }
        $4"
    sed -i -e "s|^worker_processes 1;|&\n$AFFINITY|" \
        -e "s|^pid .*|pid $WORK/logs/nginx-$2.pid;|" \
        -e "s|^    access_log off;|&\n    keepalive_requests 1000000;\n    recsys_model $MODEL;\n    $3|" \
        "$1"
}

EVENT_LOCS="location = /event { recsys_event; }
        location = /recsys-status { recsys_status; }"

# wrk_once NAME PORT WORKER [ENV...]: one wrk run; "req/s non-2xx CPU
# microseconds per request" (the worker's utime + stime over the run's
# requests) appended to NAME
wrk_once() {
    local name=$1 port=$2 worker=$3 out t0 t1
    shift 3
    t0=$(cpu_ticks "$worker")
    out=$(env "$@" "${WRK_PIN[@]}" wrk -t1 -c"$CONNECTIONS" \
              -d"${DURATION}s" -s "$LUA" "http://127.0.0.1:$port")
    t1=$(cpu_ticks "$worker")
    echo "$out" | sed -n 's/^rotate: requests=\([0-9]*\).*rps=\([0-9.]*\).*non200=\([0-9]*\).*/\1 \2 \3/p' \
        | awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" \
              '{ printf "%s %s %.3f\n", $2, $3, $1 ? t * 1e6 / hz / $1 : 0 }' \
        >> "$WORK/rps.$name"
}

# chase_once NAME: the host's state just before one of NAME's runs, on
# the worker's CPU: nanoseconds per dependent read at random over 4 MiB
# and over 64 MiB (bench/chase.c), appended to chase.NAME
chase_once() {
    "${WORKER_PIN[@]}" "$WORK/bin/chase" 4 64 >> "$WORK/chase.$1"
}

# median COLUMN FILE: the median of a column of numbers (the lower middle
# of an even count), rounded
median() {
    sort -n -k"$1,$1" "$2" \
        | awk -v c="$1" '{ a[NR] = $c } END { printf "%.0f", a[int((NR + 1) / 2)] }'
}

# stats NAME: NAME's line of the report from its ROUNDS runs and the
# ROUNDS + 1 static runs around them.  Per round, B's req/s over the mean
# of the static runs around it and, less moved by what else the host
# runs, the static runs' mean CPU time per request over B's (what B's
# req/s would be, as a part of static's, on a CPU of its own); reported
# as the mean over the rounds and the range of the req/s ratios; then the
# median of the chase figures before B's runs.
stats() {
    local name=$1 chase
    chase="$(median 1 "$WORK/chase.$name") $(median 2 "$WORK/chase.$name")"
    paste -d' ' <(head -n "$ROUNDS" "$WORK/rps.$name.static") \
                <(tail -n "$ROUNDS" "$WORK/rps.$name.static") \
                "$WORK/rps.$name" | awk -v n="$name" -v chase="$chase" '
        { r = $7 / (($1 + $4) / 2); s += r; b += $7; st += ($1 + $4) / 2
          c += $9 ? (($3 + $6) / 2) / $9 : 0
          bad += $8; lo = (NR == 1 || r < lo) ? r : lo
          hi = (NR == 1 || r > hi) ? r : hi }
        END { split(chase, ch, " ")
              printf "%-8s %10.0f %10.0f %8.3f  %.3f..%.3f %8.3f %8d %6d %6d\n",
                     n, b / NR, st / NR, s / NR, lo, hi, c / NR, bad,
                     ch[1], ch[2] }' \
        >> "$WORK/speed.txt"
}

# scenario NAME PORT MASTER STATIC_ENV... -- SCENARIO_ENV...: NAME's
# server, its worker, and the environments of its static and its own runs
# for interleave (no space inside a variable's value)
declare -A SC_PORT SC_WORKER SC_STATIC SC_ENV
scenario() {
    local name=$1
    SC_PORT[$name]=$2
    SC_WORKER[$name]=$(worker_pid "$3")
    shift 3
    SC_STATIC[$name]=""
    while [ "$1" != -- ]; do SC_STATIC[$name]+=" $1"; shift; done
    shift
    SC_ENV[$name]="$*"
    : > "$WORK/rps.$name.static"
    : > "$WORK/rps.$name"
    : > "$WORK/chase.$name"
}

# run NAME OUT ENV: one wrk run on NAME's server with ENV (a string of
# VAR=value words), its figures appended to rps.OUT
run() {
    # shellcheck disable=SC2086
    wrk_once "$2" "${SC_PORT[$1]}" "${SC_WORKER[$1]}" $3
}

# interleave NAME...: each scenario run once to warm up (not counted: no
# round pays for the worker's first reads of the model's pages and of the
# zone's users), then ROUNDS rounds, each of them every scenario in turn
# between two runs of its static (static, B, static, B, ..., static per
# scenario), so that the scenarios share the host's minutes and one is
# not measured in a quieter stretch than another
interleave() {
    local name r
    for name in "$@"; do
        say "$name: warm-up"
        run "$name" "$name.warm" "${SC_ENV[$name]}"
    done
    for r in $(seq 1 "$ROUNDS"); do
        say "$*: round $r of $ROUNDS"
        for name in "$@"; do
            run "$name" "$name.static" "${SC_STATIC[$name]}"
            chase_once "$name"
            run "$name" "$name" "${SC_ENV[$name]}"
        done
    done
    for name in "$@"; do
        run "$name" "$name.static" "${SC_STATIC[$name]}"
        stats "$name"
    done
}

# ------------------------------------------------------------- 1. speed

PORT=$(free_port)
PORT2=$(free_port)
conf "$WORK/probe.conf" "$PORT" "" ""
start_nginx "$WORK/probe.conf"
wait_ready "http://127.0.0.1:$PORT/static" 30
STATIC_LEN=$(head -200 "$WORK/users.txt" | while read -r u; do
    curl -s "http://127.0.0.1:$PORT/recommend?user=$u" | wc -c; done \
    | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
stop_pid "$NGINX_PID"

conf "$WORK/live.conf" "$PORT" \
    "recsys_events zone=live:${ZONE_MIB}m per_user=20 ttl=1h;" "$EVENT_LOCS"
conf "$WORK/today.conf" "$PORT2" "" ""

start_nginx "$WORK/live.conf"
LIVE_PID=$NGINX_PID
wait_ready "http://127.0.0.1:$PORT/static" 30
start_nginx "$WORK/today.conf"
TODAY_PID=$NGINX_PID
wait_ready "http://127.0.0.1:$PORT2/static" 30

# curl -K: each request its own options, the body's type included
CURL_NEXT='header = "Content-Type: application/json"
output = "/dev/null"
write-out = "%{http_code}\n"
next'
say "posting 20 live events for each of 500 visitors"
mkdir -p "$WORK/bodies"
: > "$WORK/preload.curl"
for v in $(seq 1 500); do
    awk -v u="L$v" -v v="$v" '
        { item[NR] = $1 }
        END { for (k = 0; k < 20; k++)
                  printf "%s{\"user\":\"%s\",\"item\":\"%s\",\"type\":\"play\"}",
                         k ? "," : "[", u, item[(v * 37 + k * 101) % NR + 1]
              print "]" }' "$WORK/items.txt" > "$WORK/bodies/L$v"
    printf 'url = "http://127.0.0.1:PORT/event"\ndata-binary = "@%s"\n%s\n' \
        "$WORK/bodies/L$v" "$CURL_NEXT" >> "$WORK/preload.curl"
done
# preload PORT [known]: the 500 visitors' events (or known20's users'),
# each answered 204
preload() {
    sed -e "s/PORT/$1/" -e '$d' "$WORK/preload${2:+.$2}.curl" \
        > "$WORK/preload.$1.curl"
    curl -s -K "$WORK/preload.$1.curl" > "$WORK/preload.codes"
    [ "$(grep -c '^204$' "$WORK/preload.codes")" \
      = "$(grep -c '^url' "$WORK/preload.$1.curl")" ] \
        || die "posting live events failed"
}
# known20: the last 500 known users (half of them when fewer than 1,000),
# 20 events each; nolive and today ask for the others, which have none
n_users=$(wc -l < "$WORK/users.txt")
n_known=$((n_users >= 1000 ? 500 : n_users / 2))
tail -n "$n_known" "$WORK/users.txt" > "$WORK/users.known20"
head -n "$((n_users - n_known))" "$WORK/users.txt" > "$WORK/users.nolive"
: > "$WORK/preload.known.curl"
v=0
while read -r u; do
    v=$((v + 1))
    sed "s/\"user\":\"L$v\"/\"user\":\"$u\"/g" "$WORK/bodies/L$v" \
        > "$WORK/bodies/K$v"
    printf 'url = "http://127.0.0.1:PORT/event"\ndata-binary = "@%s"\n%s\n' \
        "$WORK/bodies/K$v" "$CURL_NEXT" >> "$WORK/preload.known.curl"
done < "$WORK/users.known20"
sed 's|^|/recommend?user=|' "$WORK/users.known20" > "$WORK/paths.known20"
preload "$PORT"

sed 's|^|/recommend?user=|' "$WORK/users.nolive" > "$WORK/paths.nolive"
seq 1 500 | sed 's|^|/recommend?user=L|' > "$WORK/paths.live20"
echo /static > "$WORK/paths.static"
# the live20 visitors' items, oldest first, as history=
awk '{ item[NR] = $1 }
     END { for (v = 1; v <= 500; v++) {
               for (k = 0; k < 20; k++)
                   printf "%s%s", k ? "," : "/recommend?history=",
                          item[(v * 37 + k * 101) % NR + 1]
               print "" } }' "$WORK/items.txt" > "$WORK/paths.history20"

CLK_TCK=$(getconf CLK_TCK)
: > "$WORK/speed.txt"
LUA="$ROOT/bench/events.lua"
scenario post1 "$PORT" "$LIVE_PID" EVENTS_PATH=/static204 \
    EVENTS_ITEMS="$WORK/items.txt" -- EVENTS_PATH=/event \
    EVENTS_ITEMS="$WORK/items.txt"
interleave post1
LUA="$ROOT/bench/rotate.lua"
preload "$PORT" known
scenario live20 "$PORT" "$LIVE_PID" PATHS="$WORK/paths.static" -- \
    PATHS="$WORK/paths.live20"
scenario nolive "$PORT" "$LIVE_PID" PATHS="$WORK/paths.static" -- \
    PATHS="$WORK/paths.nolive"
scenario today "$PORT2" "$TODAY_PID" PATHS="$WORK/paths.static" -- \
    PATHS="$WORK/paths.nolive"
scenario known20 "$PORT" "$LIVE_PID" PATHS="$WORK/paths.static" -- \
    PATHS="$WORK/paths.known20"
interleave live20 nolive today known20

# 4. the worker's RSS over REQUESTS mixed requests: POSTs of one event for
# 100,000 cycling users, and GETs of live, known and history= users
RSS_REPORT="skipped (REQUESTS=0)"
if [ "$REQUESTS" -gt 0 ]; then
    cat "$WORK/paths.live20" "$WORK/paths.nolive" "$WORK/paths.history20" \
        > "$WORK/paths.mixed"
    w=$(worker_pid "$LIVE_PID")
    rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$w/status")
    done_n=0
    lines=""
    while [ "$done_n" -lt "$REQUESTS" ]; do
        for lua in events rotate; do
            n=$(env EVENTS_PATH=/event EVENTS_ITEMS="$WORK/items.txt" \
                    PATHS="$WORK/paths.mixed" "${WRK_PIN[@]}" wrk -t1 \
                    -c"$CONNECTIONS" -d5s -s "$ROOT/bench/$lua.lua" \
                    "http://127.0.0.1:$PORT" \
                | sed -n 's/^rotate: requests=\([0-9]*\).*/\1/p')
            done_n=$((done_n + n))
        done
        lines="$lines $(awk '/^VmRSS/ { print $2 }' "/proc/$w/status")"
        say "rss: $done_n requests"
    done
    RSS_REPORT="$done_n requests: VmRSS $rss0 KiB before, after each 10 s:$lines KiB"
fi

NGINX_PID=$LIVE_PID
check_alive
stop_pid "$LIVE_PID"
stop_pid "$TODAY_PID"

# ---------------------------------------------------------- 2. capacity

PORT3=$(free_port)
conf "$WORK/cap.conf" "$PORT3" \
    "recsys_events zone=cap:${ZONE_MIB}m per_user=20 ttl=1h;" "$EVENT_LOCS"
start_nginx "$WORK/cap.conf"
wait_ready "http://127.0.0.1:$PORT3/static" 30
CAP=""
for round in $(seq 1 200); do
    env EVENTS_PATH=/event EVENTS_ITEMS="$WORK/items.txt" EVENTS_PER=20 \
        EVENTS_USERS=0 EVENTS_PREFIX="c$round-" "${WRK_PIN[@]}" wrk -t1 \
        -c"$CONNECTIONS" -d2s -s "$ROOT/bench/events.lua" \
        "http://127.0.0.1:$PORT3" > /dev/null
    st=$(curl -s "http://127.0.0.1:$PORT3/recsys-status")
    evicted=$(echo "$st" | sed 's/.*"evicted":\([0-9]*\).*/\1/')
    users=$(echo "$st" | sed 's/.*"events":{[^}]*"users":\([0-9]*\).*/\1/')
    say "capacity: $users users held, $evicted evicted"
    if [ "$evicted" -gt 0 ]; then
        CAP="$st"
        break
    fi
done
check_alive
stop_pid "$NGINX_PID"

# ------------------------------------------------------------ 3. replay

REPLAY="skipped (set DATA to a MovieLens directory)"
if [ -n "$DATA" ]; then
    say "replay: splitting, building on the rest"
    perl "$ROOT/bench/replay.pl" split "$RATINGS" "$WORK/train.csv" \
        "$WORK/held.txt"
    "$RB" build --interactions "$WORK/train.csv" --items "$ITEMS" \
        --out "$WORK/replay.mdb" --quiet
    PORT4=$(free_port)
    MODEL="$WORK/replay.mdb"
    conf "$WORK/replay.conf" "$PORT4" \
        "recsys_events zone=replay:16m per_user=20 ttl=1h;" "$EVENT_LOCS
        location = /unbounded { recsys; recsys_session_neighbors 0; }"
    start_nginx "$WORK/replay.conf"
    wait_ready "http://127.0.0.1:$PORT4/static" 30
    REPLAY=$(perl "$ROOT/bench/replay.pl" session "$PORT4" "$WORK/train.csv" \
                 "$WORK/held.txt" /recommend /unbounded
             perl "$ROOT/bench/replay.pl" eval "$PORT4" "$WORK/held.txt" \
                 /recommend /unbounded)
    check_alive
    stop_pid "$NGINX_PID"
fi

# ------------------------------------------- 1b. instructions per request

# Under load req/s say little; instructions do not change with it.  A
# single-process nginx under callgrind (collecting inside the event loop)
# per scenario: /recommend scenarios report ngx_http_recsys_handler's
# inclusive instructions per request (the preloaded POSTs are another
# handler), POST scenarios the whole loop's.
CG_REPORT="skipped (CALLGRIND_REQUESTS=0)"
if [ "$CALLGRIND_REQUESTS" -gt 0 ]; then
    need_packages valgrind
    mkdir -p "$WORK/cg"
    # cg NAME CONF PRELOAD(0|1) METHOD PATHS_FILE FUNCTION
    cg() {
        local name=$1 conf=$2 pre=$3 method=$4 paths=$5 fn=$6 out
        out="$WORK/cg/$name.out"
        say "callgrind: $name ($CALLGRIND_REQUESTS requests)"
        sed -e 's/^master_process on;/master_process off;/' \
            -e '/worker_cpu_affinity/d' "$conf" > "$WORK/cg/$name.conf"
        start_nginx "$WORK/cg/$name.conf" valgrind --tool=callgrind \
            --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect=ngx_process_events_and_timers
        wait_ready "http://127.0.0.1:$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\);.*/\1/p' "$conf")/static" 120
        port=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\);.*/\1/p' "$conf")
        [ "$pre" = 1 ] && preload "$port"
        [ "$pre" = 2 ] && preload "$port" known
        awk -v b="http://127.0.0.1:$port" -v n="$CALLGRIND_REQUESTS" \
            -v m="$method" -v body="$WORK/bodies/L1" '
            { p[NR] = $0 }
            END { for (i = 0; i < n; i++) {
                      printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", b, p[i % NR + 1]
                      print "write-out = \"%{http_code}\\n\""
                      if (m == "POST")
                          printf "data-binary = \"@%s\"\nheader = \"Content-Type: application/json\"\n", body
                      if (i < n - 1) print "next" } }' \
            "$paths" > "$WORK/cg/$name.curl"
        curl -s -K "$WORK/cg/$name.curl" > "$WORK/cg/$name.codes"
        check_alive
        stop_pid "$NGINX_PID"
        callgrind_annotate --inclusive=yes --threshold=100 "$out" \
            > "$WORK/cg/$name.txt" 2>&1
        awk -v fn="$fn" -v n="$CALLGRIND_REQUESTS" -v s="$name" '
            /PROGRAM TOTALS/ && fn == "" { gsub(",", "", $1); v = $1 }
            fn != "" && $0 ~ "[: ]" fn "( |$)" && v == "" { gsub(",", "", $1); v = $1 }
            END { printf "%-10s %12.0f  %s\n", s, v / n, fn == "" ? "event loop" : fn }' \
            "$WORK/cg/$name.txt" >> "$WORK/cg/results.txt"
    }
    : > "$WORK/cg/results.txt"
    printf '%s\n' "/static204" > "$WORK/paths.static204"
    printf '%s\n' "/event" > "$WORK/paths.event"
    cg post-static "$WORK/live.conf" 0 POST "$WORK/paths.static204" ""
    cg post-event "$WORK/live.conf" 0 POST "$WORK/paths.event" ""
    cg live20 "$WORK/live.conf" 1 GET "$WORK/paths.live20" \
        ngx_http_recsys_handler
    cg history20 "$WORK/live.conf" 1 GET "$WORK/paths.history20" \
        ngx_http_recsys_handler
    cg known20 "$WORK/live.conf" 2 GET "$WORK/paths.known20" \
        ngx_http_recsys_handler
    cg nolive "$WORK/live.conf" 1 GET "$WORK/paths.nolive" \
        ngx_http_recsys_handler
    cg today "$WORK/today.conf" 0 GET "$WORK/paths.nolive" \
        ngx_http_recsys_handler
    CG_REPORT=$(cat "$WORK/cg/results.txt")
fi

# ------------------------------------------------------------ report

cat <<EOF

bench-events: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), data ${DATA:-sample}
wrk -t1 -c$CONNECTIONS -d${DURATION}s x $ROUNDS rounds, nginx worker on CPU 0, wrk on CPU 1

scenario  req/s      static     ratio   range           cpu  non-2xx  4MiB  64MiB
$(cat "$WORK/speed.txt")
  post1: POST /event of one event / POST to return 204 (the same bodies)
  live20: /recommend of visitors with 20 live events / return 200 of $STATIC_LEN bytes
  nolive: /recommend of known users without live events (zone configured) / static
  today: the same without recsys_events / static
  known20: /recommend of known users with 20 live events each / static
  ratio and range: req/s over static's, the mean and range over the rounds;
  cpu: static's CPU time per request over the scenario's, the mean
  4MiB, 64MiB: ns per dependent read at random over that much memory just
  before the scenario's runs, the median (the host's caches and memory)

capacity of a ${ZONE_MIB} MiB zone, per_user=20, 20 events per user, at the first eviction:
  $(echo "$CAP" | sed 's/.*"events":\({[^}]*}\).*/\1/')

instructions per request (callgrind, $CALLGRIND_REQUESTS requests each):
$CG_REPORT
  post-static: POST of a 20-event body to return 204; post-event: the same to /event
  live20 / history20: a visitor's 20 live events / the same 20 items as history=
  known20: a known user's 20 live events, added to the stored hybrid list
  nolive / today: known users without live events, with / without recsys_events

worker memory over mixed requests:
  $RSS_REPORT

online replay (newest 6 rows held out; the model built on the rest):
  session: the newest 10 kept rows as history= of a visitor, the 1st held-out row predicted;
  replay: the user's first 5 held-out rows posted as live events, the 6th predicted;
  /recommend walks recsys_session_neighbors entries at most (default), /unbounded all
$(printf '%s\n' "$REPLAY" | sed 's/^/  /')
EOF
