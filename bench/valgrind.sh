#!/usr/bin/env bash
# bench/valgrind.sh: the module under valgrind's memcheck.
#
#   ./build.sh valgrind                  (builds first, then runs this)
#
# One nginx process (master_process off) with the module, under
#   valgrind --leak-check=full (leaks counted apart from errors)
# serves REQUESTS (default 3000) requests of every kind over HTTP on
# 127.0.0.1 (known and unknown users, items, sessions, explanations,
# filters, every algo, bad arguments, HEAD, 304s), and a model swap in the
# middle (the new file verified and opened under valgrind too); then it is
# stopped with SIGQUIT, so the module's exit hooks run.  Prints the error
# count (invalid reads and writes, uninitialised values; nginx's own
# exit-time leaks are not ours) and the bytes "definitely lost" whose stack
# passes through the module, and fails if either is not zero.

set -eu

BENCH_NAME=valgrind
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REQUESTS=${REQUESTS:-3000}

need_packages valgrind curl
need_build
make_work

"$RB" gen --out "$WORK/data" --users 400 --items 600 --events 15000 \
    > "$WORK/logs/gen.log"
for id in one two; do
    "$RB" build --interactions "$WORK/data/interactions.csv" \
        --items "$WORK/data/items.csv" --out "$WORK/$id.mdb" --model-id "$id" \
        --hmm --gru --gru-epochs 1 --als --quiet
done
cp "$WORK/one.mdb" "$WORK/model.mdb"

port=$(free_port)
small_conf "$WORK/nginx.conf" "$port" 1 off "
        location /recommend {
            recsys;
            recsys_model $WORK/model.mdb;
            recsys_reload_interval 100ms;
            recsys_cache_ttl 10s;
        }
        location = /status { recsys_status; }"

start_nginx "$WORK/nginx.conf" valgrind --leak-check=full \
    --errors-for-leak-kinds=none --num-callers=30 \
    --log-file="$WORK/valgrind.log"
wait_ready "http://127.0.0.1:$port/recommend?user=nobody" 120

# the requests, rotating over every kind
awk -F, 'NR > 1 { print $1 "," $2 }' "$WORK/data/interactions.csv" \
    | head -200 > "$WORK/pairs.txt"
urls="$WORK/urls.txt"
: > "$urls"
while IFS=, read -r u i; do
    for a in hybrid itemcf usercf content popular trending cluster assoc \
             markov hmm gru ease rp3beta als next; do
        echo "/recommend?user=$u&algo=$a&n=7" >> "$urls"
    done
    echo "/recommend?item=$i&explain=1" >> "$urls"
    echo "/recommend?history=$i,$i&explain=1&n=20" >> "$urls"
    echo "/recommend?user=$u&genre=Drama&exclude=$i&offset=3" >> "$urls"
    echo "/recommend?user=$u&item=$i&predict=1" >> "$urls"
    echo "/recommend?user=$u&n=x" >> "$urls"
    echo "/recommend?user=$u&diversity=0.5&offset=2&n=12&explain=1" >> "$urls"
    echo "/recommend?history=$i&diversity=0.8&n=5" >> "$urls"
    echo "/recommend?user=$u&filter=year%3E%3D1990,regions~US%7CFR" >> "$urls"
    echo "/status?format=prometheus" >> "$urls"
done < "$WORK/pairs.txt"

say "sending $REQUESTS requests"
n=0
while [ "$n" -lt "$REQUESTS" ]; do
    while read -r path; do
        [ "$n" -lt "$REQUESTS" ] || break
        curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$port$path" || true
        n=$((n + 1))
        if [ "$n" = $((REQUESTS / 2)) ]; then
            cp "$WORK/two.mdb" "$WORK/model.mdb.next"
            mv "$WORK/model.mdb.next" "$WORK/model.mdb"
        fi
    done < "$urls"
done
curl -s -I "http://127.0.0.1:$port/recommend?user=u00001" > /dev/null
etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/recommend?user=u00001" \
       | awk -F': ' 'tolower($1) == "etag" { print $2 }' | tr -d '\r')
curl -s -o /dev/null -H "If-None-Match: $etag" \
    "http://127.0.0.1:$port/recommend?user=u00001"

grep -q 'loaded, id two' "$WORK/logs/error.log" \
    || die "the second model was not loaded"
stop_pid "$NGINX_PID"

errors=$(awk '/ERROR SUMMARY:/ { print $4 }' "$WORK/valgrind.log" | tail -1)
# definitely lost records whose stack passes through the module
lost=$(perl -ne '
    if (/(\d[\d,]*) bytes in [\d,]+ blocks are definitely lost/) {
        ($n = $1) =~ s/,//g; $cur = $n; $hit = 0; next;
    }
    if (defined $cur && /recsys/) { $hit = 1 }
    if (defined $cur && /^==\d+== $/) { $sum += $cur if $hit; undef $cur }
    END { print $sum // 0 }' "$WORK/valgrind.log")

cat <<EOF

valgrind: $n requests and one model swap under memcheck
  errors: $errors
  bytes definitely lost through the module: $lost
EOF

[ "$errors" = 0 ] && [ "$lost" = 0 ] \
    || { grep -A30 'definitely lost\|Invalid\|uninitialised' "$WORK/valgrind.log" | head -80 >&2; exit 1; }
