#!/usr/bin/env bash
# docs/screenshots.sh: the README's pictures, made by a command, never by
# hand (`./build.sh screenshots` builds first and installs chromium):
#
#   docs/demo.png   the demo page (demo/) as ./build.sh run serves it, for a
#                   sample viewer with three titles watched and the first
#                   explanation open
#   docs/eval.png   the HTML report of `recsys-build eval` on the same
#                   sample data
#
# Both from `recsys-build gen` (defaults), in headless Chromium at a fixed
# window size; nginx runs from a temporary directory and is stopped by the
# process id it was started with (bench/lib.sh).

set -eu

BENCH_NAME=screenshots
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../bench/lib.sh"

OUT=${OUT:-$ROOT/docs}
CHROMIUM=${CHROMIUM:-chromium}

need_build
make_work

say "sample data and model"
"$RB" gen --out "$WORK/data" > /dev/null
"$RB" build --interactions "$WORK/data/interactions.csv" \
    --items "$WORK/data/items.csv" --out "$WORK/model.mdb" --quiet

PORT=$(free_port)
printf '{"events":false,"users":["u00001","u00002","u00003"]}\n' \
    > "$WORK/demo-config.json"
small_conf "$WORK/nginx.conf" "$PORT" 1 on "
        recsys_model $WORK/model.mdb;
        location = /recommend { recsys; }
        location = /items { recsys_items; }
        location = /recsys-status { recsys_status; allow 127.0.0.1; deny all; }
        location = /demo-config.json {
            default_type application/json;
            alias $WORK/demo-config.json;
        }
        location / {
            types { text/html html; text/css css; application/javascript js; }
            root $ROOT/demo;
        }"
start_nginx "$WORK/nginx.conf"
wait_ready "http://127.0.0.1:$PORT/items?meta=1" 30

# shot URL FILE WIDTH HEIGHT: the page after its scripts ran
shot() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$WORK/chromium" --window-size="$3,$4" \
        --virtual-time-budget=8000 --screenshot="$2" "$1" \
        > "$WORK/logs/chromium.log" 2>&1 \
        || { cat "$WORK/logs/chromium.log" >&2; die "chromium failed on $1"; }
    say "wrote $2 ($(wc -c < "$2") bytes)"
}

# three titles of the sample's first user's segment, watched in order
HISTORY=$(curl -s "http://127.0.0.1:$PORT/recommend?user=u00002&n=3" \
    | perl -MJSON::PP -e 'print join ",", map { $_->{id} }
                           @{ decode_json(join "", <STDIN>)->{items} }')
shot "http://127.0.0.1:$PORT/#user=u00002&history=$HISTORY&why=1" \
    "$OUT/demo.png" 1100 1350

say "eval report"
# from the work directory: the report names the data by the path given
(cd "$WORK" && "$RB" eval --interactions data/interactions.csv \
    --items data/items.csv --protocol p2 \
    --algos mostpop,popular,itemcf,usercf,ease,rp3beta,hybrid \
    --html eval.html --quiet)
shot "file://$WORK/eval.html" "$OUT/eval.png" 1100 900
