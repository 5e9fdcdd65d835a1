#!/usr/bin/env bash
# bench/quality.sh: "served equals measured".
#
#   ./build.sh quality                    (builds first, then runs this)
#   DATA=gen PROTOCOL=loo bench/quality.sh
#
# `recsys-build eval` measures each algorithm on a train/test split with
# a model it builds in memory from the train rows.  This script checks that
# the same figures come out of a real nginx:
#
#  1. recsys-build eval --interactions F [--items C] --protocol P
#         --algos ALGOS --json eval.json --save-split split/
#     gives the measured figures and the split as split/train.csv and
#     split/test.csv (original ids, train rows in file order);
#  2. recsys-build build --interactions split/train.csv [--items C] makes a
#     model from the train rows only, and nginx serves it on 127.0.0.1;
#  3. bench/quality.pl asks GET /recommend?user=U&n=K&algo=A for every
#     user of test.csv and every algorithm (one keep-alive connection);
#  4. bench/served_score.c, compiled here against the engine's
#     recsys_metrics.c (the metrics code eval runs, not a copy), scores the
#     answers against test.csv: MAP, nDCG@K, P@K, R@K, HR@K;
#  5. both sets of figures are printed side by side; any difference of
#     0.00005 or more (beyond 4 decimals), or a different number of users,
#     fails the run (exit 1).
#
# A model built from train.csv has fewer ids than the one eval builds (eval
# keeps the whole log's id space, so users and items seen only in test
# exist in its model with no train rows).  Items without train rows are
# never recommended either way, and every ranking is relative, so known
# users get the same lists; a user with no train row is unknown to nginx
# (popular fallback).  The fetch step prints how many answers were
# fallbacks, so such a difference can be traced.
#
# Environment:
#   DATA=dir|file|gen   default ../shared/data/ml-latest-small next to the
#                       repository: a folder with ratings.csv (or
#                       interactions.csv) and optionally movies.csv (or
#                       items.csv), an interactions file, or "gen" for the
#                       synthetic sample (recsys-build gen defaults)
#   PROTOCOL=p1         p1, p2 or loo (kfold averages folds: not comparable)
#   ALGOS=popular,itemcf,usercf,content,rp3beta,ease,als,hybrid
#                       (with als, the served model is built with --als and
#                       --weights als=0, so its hybrid is the default one;
#                       with gru or lstm, with --rnn both)
#   RNN=                settings of the recurrent models, as eval reads
#                       them (e.g. gru_epochs=2,rnn_negatives=0): eval
#                       gets gru:RNN and lstm:RNN, the served model's
#                       build the same as flags (--gru-epochs 2 ...)
#   K=10                list length (eval --k and n=)
#   SEED=42             split seed
#   CATALOG=1           pass the catalog to eval and build (0: log only)
#   BUILD=build KEEP=1  as in bench/bench.sh
#
# Exits non-zero if a figure differs, nginx fails, or a request is not 200.

set -eu

BENCH_NAME=quality
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

DATA=${DATA:-$ROOT/../shared/data/ml-latest-small}
PROTOCOL=${PROTOCOL:-p1}
ALGOS=${ALGOS:-popular,itemcf,usercf,content,rp3beta,ease,als,hybrid}
K=${K:-10}
RNN=${RNN:-}
SEED=${SEED:-42}
CATALOG=${CATALOG:-1}

case "$PROTOCOL" in
    p1|p2|loo) ;;
    *) die "PROTOCOL must be p1, p2 or loo" ;;
esac

need_packages curl perl gcc
need_build
make_work

# ------------------------------------------------------------ data

ITEMS=""
if [ "$DATA" = gen ]; then
    "$RB" gen --out "$WORK/data" > "$WORK/logs/gen.log"
    INTERACTIONS="$WORK/data/interactions.csv"
    ITEMS="$WORK/data/items.csv"
elif [ -d "$DATA" ]; then
    for f in ratings.csv interactions.csv; do
        [ -f "$DATA/$f" ] && { INTERACTIONS="$DATA/$f"; break; }
    done
    [ -n "${INTERACTIONS:-}" ] || die "no ratings.csv or interactions.csv in $DATA"
    for f in movies.csv items.csv; do
        [ -f "$DATA/$f" ] && { ITEMS="$DATA/$f"; break; }
    done
elif [ -f "$DATA" ]; then
    INTERACTIONS="$DATA"
else
    die "DATA=$DATA: no such folder or file (the default needs ../shared/data/ml-latest-small)"
fi
[ "$CATALOG" = 1 ] || ITEMS=""

# ------------------------------------------------------- the scorer

SCORER="$WORK/served-score"
gcc -std=c99 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra \
    -I"$ROOT/engine/serve" -I"$ROOT/engine/data" -I"$ROOT/engine/eval" "$ROOT/bench/served_score.c" "$ROOT/engine/eval/recsys_metrics.c" \
    "$ROOT/engine/data/recsys_csv.c" "$ROOT/engine/data/recsys_dict.c" \
    "$ROOT/engine/data/recsys_release.c" \
    "$ROOT/engine/serve/recsys_status.c" -lm -o "$SCORER" \
    || die "compiling bench/served_score.c failed"

# ---------------------------------------------------- 1. measured

# the recurrent models' settings: gru:RNN for eval, --flags for build
EVAL_ALGOS=$ALGOS
RNN_FLAGS=""
if [ -n "$RNN" ]; then
    EVAL_ALGOS=$(echo ",$ALGOS," | sed -e "s/,gru,/,gru:$RNN,/" \
        -e "s/,lstm,/,lstm:$RNN,/" -e 's/^,//' -e 's/,$//')
    for kv in $(echo "$RNN" | tr ',' ' '); do
        k=${kv%%=*}
        RNN_FLAGS="$RNN_FLAGS --$(echo "$k" | tr _ -) ${kv#*=}"
    done
fi

say "recsys-build eval --protocol $PROTOCOL --algos $EVAL_ALGOS"
"$RB" eval --interactions "$INTERACTIONS" ${ITEMS:+--items "$ITEMS"} \
    --protocol "$PROTOCOL" --algos "$EVAL_ALGOS" --k "$K" --seed "$SEED" \
    --json "$WORK/eval.json" --save-split "$WORK/split" > "$WORK/logs/eval.log" 2>&1 \
    || { cat "$WORK/logs/eval.log" >&2; die "recsys-build eval failed"; }

# ---------------------------------------------------- 2. served model

say "recsys-build build from split/train.csv"
case ",$ALGOS," in
    *,als,*) EXTRA="--als --weights als=0" ;;
    *) EXTRA="" ;;
esac
case ",$ALGOS," in
    *,gru,*|*,lstm,*) EXTRA="$EXTRA --rnn both$RNN_FLAGS" ;;
esac
# shellcheck disable=SC2086
"$RB" build --interactions "$WORK/split/train.csv" ${ITEMS:+--items "$ITEMS"} \
    $EXTRA --out "$WORK/model.mdb" > "$WORK/logs/build.log" 2>&1 \
    || { cat "$WORK/logs/build.log" >&2; die "recsys-build build failed"; }

PORT=$(free_port)
write_conf "$WORK/nginx.conf" "$PORT" "$WORK/model.mdb" on "" 1
start_nginx "$WORK/nginx.conf"
wait_ready "http://127.0.0.1:$PORT/static" 30

# ---------------------------------------------------- 3. ask, 4. score

say "asking nginx for every test user ($ALGOS)"
FETCH=$(perl "$ROOT/bench/quality.pl" fetch "$PORT" "$WORK/split/test.csv" \
    "$ALGOS" "$K" "$WORK/answers.csv") || die "fetching the answers failed"
check_alive
stop_pid "$NGINX_PID"

"$SCORER" "$WORK/split/train.csv" "$WORK/split/test.csv" "$WORK/answers.csv" "$K" \
    > "$WORK/scores.txt" \
    || die "scoring the answers failed"

# users of test.csv without a train row: unknown to the served model
read -r TEST_USERS NO_TRAIN <<< "$(perl -e '
    my ($train, $test) = @ARGV;
    my (%tr, %te);
    for my $p ([$train, \%tr], [$test, \%te]) {
        open my $f, "<", $p->[0] or die "$p->[0]: $!\n";
        <$f>;
        while (my $l = <$f>) { my ($u) = $l =~ /\A("(?:[^"]|"")*"|[^,\r\n]*)/; $p->[1]{$u} = 1 }
    }
    print scalar(keys %te), " ", scalar(grep { !$tr{$_} } keys %te), "\n";
' "$WORK/split/train.csv" "$WORK/split/test.csv")"

# ---------------------------------------------------- 5. report

echo "== served equals measured ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "data      $INTERACTIONS${ITEMS:+ (catalog $ITEMS)}"
echo "split     $(grep -E '^protocol' "$WORK/logs/eval.log")"
grep -E 'train rows' "$WORK/logs/eval.log" | sed 's/^ */          /'
echo "          test users without a train row (unknown to the served model): $NO_TRAIN of $TEST_USERS"
echo "served    $(head -1 "$WORK/logs/build.log"); $(sed -n 2p "$WORK/logs/build.log" | sed 's/^ *//')"
echo "answers"
echo "$FETCH" | sed 's/^/          /'
echo
perl "$ROOT/bench/quality.pl" compare "$WORK/eval.json" "$WORK/scores.txt"
