#!/usr/bin/env bash
# bench/compare-answers.sh: random history=, live-session and known-user
# requests answered by two builds of the module, compared byte for byte.
#
#   OLD=/path/to/old/ngx_http_recsys_module.so bench/compare-answers.sh
#   DATA=../shared/data/ml-latest-small OLD=... bench/compare-answers.sh
#
# A change meant to keep every answer (a faster scorer) is checked against
# the build before it on many more requests than bench/answers.pl asks:
# both modules serve the same model (the sample, or the MovieLens directory
# DATA) side by side, each with an events zone; the same random events are
# posted to both (visitors and known users, every event type, negative
# weights included), then N (3000) random requests go to both: history= of
# 1 to 40 items, exclude=, genre=, n=, offset=, a few blend weights;
# visitors with live events; known users with and without them.  Prints
# the count of requests and of differing answers (the first few of them),
# and exits non-zero on any difference.
#
# Environment: OLD (required), MODULE (the new one, default build/), DATA,
# N=3000, SEED=1, KEEP=1.

set -eu

BENCH_NAME=compare-answers
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

OLD=${OLD:?set OLD to the module build to compare against}
N=${N:-3000}
SEED=${SEED:-1}
DATA=${DATA:-}

need_packages curl
need_build
make_work
cp "$OLD" "$WORK/bin/old.so"

data_model

awk -F, 'NR > 1 { print $2 }' "$RATINGS" | sort -u > "$WORK/items.txt"
awk -F, 'NR > 1 { print $1 }' "$RATINGS" | sort -u > "$WORK/users.txt"
GENRE=$("$RB" inspect "$WORK/model.mdb" stats \
        | sed -n 's/^genres *\["\([^"]*\)".*/\1/p')

# serve NAME MODULE: one nginx on its own port, its port in PORT_NAME
serve() {
    local port conf
    port=$(free_port)
    conf="$WORK/$1.conf"
    small_conf "$conf" "$port" 1 off "
        location = /recommend { recsys; recsys_max_n 100; }
        location = /event { recsys_event; }"
    sed -i -e "s|^load_module .*|load_module $2;|" \
        -e "s|^pid .*|pid $WORK/logs/$1.pid;|" \
        -e "s|^    access_log off;|&\n    recsys_model $WORK/model.mdb;\n    recsys_events zone=$1:16m per_user=20 ttl=1h;|" \
        "$conf"
    start_nginx "$conf"
    wait_ready "http://127.0.0.1:$port/recommend?n=1" 30
    eval "PORT_$1=$port"
}
serve old "$WORK/bin/old.so"
serve new "$MODULE"

# the events: 300 visitors and 100 known users, 1 to 20 events each, of
# every type; one POST per user
awk -v seed="$SEED" '
    FNR == 1 { f++ }
    f == 1 { item[++ni] = $1; next }
    f == 2 { user[++nu] = $1; next }
    END {
        srand(seed)
        nt = split("view,play,watch,click,like,share,favorite,purchase,skip,dislike,rate", type, ",")
        for (u = 1; u <= 400; u++) {
            who = u <= 300 ? "V" u : user[int(rand() * nu) + 1]
            ne = int(rand() * 20) + 1
            body = "["
            for (k = 0; k < ne; k++)
                body = body (k ? "," : "") sprintf("{\"user\":\"%s\",\"item\":\"%s\",\"type\":\"%s\"}",
                    who, item[int(rand() * ni) + 1], type[int(rand() * nt) + 1])
            print body "]"
            print who > "'"$WORK/live-users.txt"'"
        }
    }' "$WORK/items.txt" "$WORK/users.txt" > "$WORK/bodies.txt"

# the requests
awk -v seed="$SEED" -v n="$N" -v genre="$GENRE" '
    FNR == 1 { f++ }
    f == 1 { item[++ni] = $1; next }
    f == 2 { user[++nu] = $1; next }
    f == 3 { live[++nl] = $1; next }
    function it() { return item[int(rand() * ni) + 1] }
    END {
        srand(seed + 1)
        for (q = 0; q < n; q++) {
            r = rand()
            if (r < 0.45) {
                nh = int(rand() * 40) + 1
                u = "history="
                for (k = 0; k < nh; k++)
                    u = u (k ? "," : "") it()
            } else if (r < 0.8) {
                u = "user=" live[int(rand() * nl) + 1]
            } else {
                u = "user=" user[int(rand() * nu) + 1]
            }
            if (rand() < 0.15) u = u "&exclude=" it() "," it()
            if (rand() < 0.1 && genre != "") u = u "&genre=" genre
            if (rand() < 0.2) u = u "&n=" int(rand() * 60) + 1
            if (rand() < 0.1) u = u "&offset=" int(rand() * 20)
            if (rand() < 0.05) u = u "&w_content=" int(rand() * 3)
            print "/recommend?" u
        }
    }' "$WORK/items.txt" "$WORK/users.txt" "$WORK/live-users.txt" \
    > "$WORK/paths.txt"

# ask NAME: the events posted, then every request; bodies and statuses
ask() {
    local port
    port=$(eval echo "\$PORT_$1")
    : > "$WORK/$1.codes"
    while read -r body; do
        curl -s -o /dev/null -w '%{http_code}\n' \
            -H 'Content-Type: application/json' --data-binary "$body" \
            "http://127.0.0.1:$port/event" >> "$WORK/$1.codes"
    done < "$WORK/bodies.txt"
    awk -v b="http://127.0.0.1:$port" '
        { printf "url = \"%s%s\"\nwrite-out = \"\\n%%{http_code}\\n\"\n", b, $0
          print "next" }' "$WORK/paths.txt" | sed '$d' \
        > "$WORK/$1.curl"
    curl -s -K "$WORK/$1.curl" > "$WORK/$1.out"
}
ask old
ask new

grep -vc '^204$' "$WORK/old.codes" > "$WORK/bad" || true
[ "$(cat "$WORK/bad")" = 0 ] || die "posting events failed (old)"
cmp -s "$WORK/old.codes" "$WORK/new.codes" || die "the POSTs were answered differently"

# one answer a line: body and status
paste -d' ' - - < "$WORK/old.out" > "$WORK/old.lines"
paste -d' ' - - < "$WORK/new.out" > "$WORK/new.lines"
ok=$(grep -c ' 200$' "$WORK/new.lines" || true)
diff=$(paste -d'\n' "$WORK/paths.txt" /dev/null | sed '/^$/d' \
       | paste - "$WORK/old.lines" "$WORK/new.lines" \
       | awk -F'\t' '$2 != $3 { n++; if (n <= 3) print "  differs: " $1 > "/dev/stderr" } END { print n + 0 }')

echo "compare-answers: data ${DATA:-sample}, $(wc -l < "$WORK/paths.txt") requests ($ok answered 200), $diff answers differ"
check_alive
[ "$diff" = 0 ]
