#!/usr/bin/env bash
# bench/bench.sh: what /recommend costs next to a static nginx answer.
#
#   ./build.sh bench                      (builds first, then runs this)
#   bench/bench.sh                        (uses what build/ holds)
#
# One run on 127.0.0.1, in four parts, printed as one report on stdout
# (progress goes to stderr):
#
#  1. Data and model.  By default the synthetic sample (`recsys-build gen`,
#     2000 users, 1500 items); with DATA=path/to/ml-latest-small its
#     ratings.csv and movies.csv.  Request paths are made from the data:
#     every "heavy" user (at least HEAVY=50 rows in the interactions file,
#     counted per user; all users if fewer than 20 have that many), every
#     item, each heavy user's last 10 distinct items as a history=, so
#     requests rotate over real ids and no single key is hot.
#  2. Throughput.  One nginx (worker_processes 1, worker pinned to CPU 0
#     by worker_cpu_affinity, wrk pinned to CPU 1 by taskset, access_log
#     off, keepalive_requests 1000000) with `location = /recommend
#     { recsys; }` and `location = /static { return 200 '...'; }`, whose
#     body has the median size of the hybrid answers (measured first with
#     curl over up to 200 users).  Each scenario is run as static,
#     scenario, static, scenario, ..., static (ROUNDS scenario runs, each
#     between two static runs) with
#       taskset -c 1 wrk -t1 -c64 -d${DURATION}s --latency -s bench/rotate.lua
#     and reported as the mean of its rounds: req/s, p50, p99, the worker's
#     CPU time per request (utime+stime from /proc), req/s over the mean of
#     the static runs just before and after it (a drift of the host's
#     speed cancels out, to first order; short runs, often alternated,
#     keep the two sides close in time), p99 and CPU per request likewise,
#     non-200 answers, and the range of the req/s ratios over the rounds.  A warning is printed when the load
#     average exceeds half the CPUs: then req/s and latency mostly measure
#     the other processes.
#     Scenarios: hybrid (default algo), itemcf, item= (similar items),
#     history= (10 items, no user), unknown user (popular fallback),
#     explain=1, n=100, popular, trending, and each other source for the
#     same users: usercf, content, cluster, assoc, markov, ease, rp3beta,
#     als; filter: hybrid under filter=year>=1990,regions~US|FR (two
#     clauses over the sample catalog's attributes); overrides (the hybrid
#     with an overrides file of 100,000 hidden items, every tenth item of
#     the log among them) and diversity (the hybrid with diversity=0.5).
#     n=100 answers are about ten times the median size, so n100 is
#     paired with /static-big, a file of the median n=100 answer's size
#     served by nginx's static module (open_file_cache on): the same bytes
#     on the wire; n100s runs the same requests against /static.  An
#     algorithm the model lacks
#     (a 400 "invalid argument: algo" to one curl) is skipped.
#  3. Instructions per request.  For static and every scenario, a fresh
#     single-process nginx (master_process off) under
#       valgrind --tool=callgrind --toggle-collect=ngx_process_events_and_timers
#     serves CALLGRIND_REQUESTS requests over one keep-alive curl
#     connection; callgrind_annotate --inclusive=yes gives the handler's
#     inclusive instructions (ngx_http_recsys_handler, for /items
#     ngx_http_recsys_items_handler) and the event loop's
#     total (everything nginx does for the requests: accept, read, parse,
#     handler, write; not startup or exit), each divided by the count.
#  4. Memory.  The worker's RSS (and its anonymous part) after a warm-up
#     (RSS_WARMUP_SECONDS of all scenarios' paths interleaved), then after
#     REQUESTS more requests of that mix, sent as wrk runs of
#     RSS_CHUNK_SECONDS each until the count is reached (at most
#     RSS_MAX_SECONDS), and the growth in KiB, with RssAnon after each
#     chunk so a steady climb shows.
#
# Environment:
#   DATA=dir             MovieLens-style dir (ratings.csv, movies.csv)
#   DURATION=4           seconds per wrk run
#   ROUNDS=4             runs of each scenario (ROUNDS + 1 static runs)
#   CONNECTIONS=64       wrk -c
#   HEAVY=50             rows a user needs to count as heavy
#   SCENARIOS="..."      subset, e.g. "hybrid item history"
#   BUILD_ARGS="--als"   extra flags for recsys-build build (the default adds
#                        ALS, off in a default model, so it is measured too)
#   CALLGRIND_REQUESTS=2000   requests per callgrind run (0 skips part 3)
#   REQUESTS=1000000     requests of the memory check (0 skips part 4)
#   RSS_MAX_SECONDS=600  time bound of the memory check
#   RSS_CHUNK_SECONDS=10 length of each wrk run of the memory check
#   RSS_WARMUP_SECONDS=5 warm-up before the first RSS reading
#   BUILD=build          where the module and recsys-build are
#   KEEP=1               keep the work directory (logs, model, paths)
#
# Installs wrk, valgrind and curl with apt-get if they are missing.  Exits
# non-zero if nginx fails to start, dies, or logs [alert]/[crit]/[emerg].

set -eu

BENCH_NAME=bench
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-4}
ROUNDS=${ROUNDS:-4}
CONNECTIONS=${CONNECTIONS:-64}
HEAVY=${HEAVY:-50}
CALLGRIND_REQUESTS=${CALLGRIND_REQUESTS:-2000}
REQUESTS=${REQUESTS:-1000000}
RSS_MAX_SECONDS=${RSS_MAX_SECONDS:-600}
RSS_CHUNK_SECONDS=${RSS_CHUNK_SECONDS:-10}
RSS_WARMUP_SECONDS=${RSS_WARMUP_SECONDS:-5}
ALL_SCENARIOS="hybrid itemcf item history unknown explain n100 n100s popular trending usercf content cluster assoc markov ease rp3beta als items filter overrides diversity"
SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
LUA="$ROOT/bench/rotate.lua"

need_packages wrk valgrind curl perl
need_build
make_work
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- 1. data

if [ -n "${DATA:-}" ]; then
    INTERACTIONS="$DATA/ratings.csv"
    ITEMS="$DATA/movies.csv"
    [ -f "$INTERACTIONS" ] || die "DATA=$DATA has no ratings.csv"
    [ -f "$ITEMS" ] || ITEMS=""
    DATA_NAME="$DATA"
else
    say "generating the sample data"
    "$RB" gen --out "$WORK/data" > "$WORK/logs/gen.log"
    INTERACTIONS="$WORK/data/interactions.csv"
    ITEMS="$WORK/data/items.csv"
    DATA_NAME="recsys-build gen (defaults)"
fi

MODEL="$WORK/model.mdb"
OVERRIDES="$WORK/overrides.txt"
say "building the model"
# shellcheck disable=SC2086
"$RB" build --interactions "$INTERACTIONS" ${ITEMS:+--items "$ITEMS"} \
    ${BUILD_ARGS-"--als"} --out "$MODEL" > "$WORK/logs/build.log" 2>&1 \
    || { cat "$WORK/logs/build.log" >&2; die "recsys-build build failed"; }

# Paths files, one per scenario, from the interactions file (first two
# columns user,item; a header is recognised by its first field).
mkdir -p "$WORK/paths"
perl -e '
    use strict; use warnings;
    my ($file, $dir, $heavy) = @ARGV;
    sub esc { my $s = shift; $s =~ s/([^A-Za-z0-9._~-])/sprintf("%%%02X", ord $1)/ge; $s }
    open my $in, "<", $file or die "$file: $!\n";
    my (%rows, @users, %items_seen, @items, %last);
    my ($first, $total) = (1, 0);
    while (my $line = <$in>) {
        $line =~ s/\r?\n\z//;
        my ($u, $i) = split /[,\t]/, $line, 3;
        next unless defined $i;
        if ($first) { $first = 0; next if $u =~ /^user/i; }
        $total++;
        push @users, $u unless $rows{$u}++;
        push @items, $i unless $items_seen{$i}++;
        my $l = $last{$u} ||= [];
        @$l = grep { $_ ne $i } @$l;
        push @$l, $i;
        shift @$l if @$l > 10;
    }
    my @heavy = grep { $rows{$_} >= $heavy } @users;
    my $note = "users with >= $heavy rows";
    if (@heavy < 20) { @heavy = @users; $note = "all users (fewer than 20 have >= $heavy rows)"; }
    my %files = (
        hybrid   => [ map { "/recommend?user=" . esc($_) } @heavy ],
        itemcf   => [ map { "/recommend?user=" . esc($_) . "&algo=itemcf" } @heavy ],
        item     => [ map { "/recommend?item=" . esc($_) } @items ],
        history  => [ map { "/recommend?history=" . join(",", map { esc($_) } @{$last{$_}}) }
                      grep { @{$last{$_}} == 10 } @heavy ],
        unknown  => [ map { "/recommend?user=bench-unknown-$_" } 1 .. 1000 ],
        explain  => [ map { "/recommend?user=" . esc($_) . "&explain=1" } @heavy ],
        n100     => [ map { "/recommend?user=" . esc($_) . "&n=100" } @heavy ],
        n100s    => [ map { "/recommend?user=" . esc($_) . "&n=100" } @heavy ],
        "static-n100" => [ "/static-big" ],
        popular  => [ map { "/recommend?user=" . esc($_) . "&algo=popular" } @heavy ],
        trending => [ map { "/recommend?user=" . esc($_) . "&algo=trending" } @heavy ],
        static   => [ "/static" ],
        # hybrid under a two-clause filter over the sample catalog attributes
        filter   => [ map { "/recommend?user=" . esc($_)
                            . "&filter=year%3E%3D1990,regions~US%7CFR" } @heavy ],
        overrides => [ map { "/recommend-ovr?user=" . esc($_) } @heavy ],
        diversity => [ map { "/recommend?user=" . esc($_) . "&diversity=0.5" } @heavy ],
    );
    # the overrides of /recommend-ovr: 100,000 hidden items, every tenth
    # item of the log among them, the rest ids the model does not have
    open my $ov, ">", "$dir/../overrides.txt" or die "overrides: $!\n";
    my $n = 0;
    for (my $k = 0; $k < @items; $k += 10) { print $ov "hide $items[$k]\n"; $n++ }
    print $ov "hide bench-absent-$_\n" for 1 .. 100000 - $n;
    close $ov;
    for my $algo (qw(usercf content cluster assoc markov ease rp3beta als)) {
        $files{$algo} = [ map { "/recommend?user=" . esc($_) . "&algo=$algo" } @heavy ];
    }
    for my $name (keys %files) {
        open my $out, ">", "$dir/$name.txt" or die "$dir/$name.txt: $!\n";
        print $out "$_\n" for @{$files{$name}};
        close $out;
    }
    printf "%d users, %d items, %d rows; scenario users: %d, %s\n",
        scalar @users, scalar @items, $total, scalar @heavy, $note;
' "$INTERACTIONS" "$WORK/paths" "$HEAVY" > "$WORK/paths/summary.txt"
# /items (the catalogue): title searches, half of them a word's first
# three letters, half three letters from inside a word, from the catalogue
perl -e '
    use strict; use warnings;
    srand(7);
    my @q;
    if (open my $in, "<", $ARGV[0]) {
        <$in>;
        while (my $line = <$in>) {
            my ($t) = $line =~ /^[^,]*,("(?:[^"]|"")*"|[^,]*)/ or next;
            push @q, map { lc } grep { length >= 4 } $t =~ /([A-Za-z]+)/g;
        }
    }
    @q = ("the") unless @q;
    for my $k (1 .. 1000) {
        my $w = $q[rand @q];
        my $at = $k % 2 ? 0 : 1 + int rand(length($w) - 3);
        print "/items?q=", substr($w, $at, 3), "&n=10\n";
    }
' "${ITEMS:-/dev/null}" > "$WORK/paths/items.txt"
PATHS_SUMMARY=$(cat "$WORK/paths/summary.txt")
say "paths: $PATHS_SUMMARY"

# --------------------------------------------------------- 2. throughput

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then
    AFFINITY="worker_cpu_affinity 01;"
    WRK_PIN=(taskset -c 1)
    PINNING="nginx worker on CPU 0 (worker_cpu_affinity 01), wrk on CPU 1 (taskset -c 1)"
else
    AFFINITY=""
    WRK_PIN=()
    PINNING="one CPU only: nginx and wrk share it (no pinning)"
fi

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"

# A first nginx with a placeholder /static, to measure the answer size.
write_conf "$WORK/nginx.conf" "$PORT" "$MODEL" on "$AFFINITY" 1
start_nginx "$WORK/nginx.conf"
wait_ready "$BASE/static" 30

head -200 "$WORK/paths/hybrid.txt" \
    | awk -v b="$BASE" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", b, $0 }' \
    > "$WORK/sizes.curl"
curl -s -K "$WORK/sizes.curl" -w '%{http_code} %{size_download}\n' > "$WORK/sizes.txt"
awk '$1 != 200 { bad++ } END { exit bad > 0 }' "$WORK/sizes.txt" \
    || die "hybrid answers that are not 200 while measuring sizes"
STATIC_LEN=$(awk '{ print $2 }' "$WORK/sizes.txt" | sort -n \
    | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')
SIZE_RANGE=$(awk '{ print $2 }' "$WORK/sizes.txt" | sort -n | sed -n '1p;$p' | paste -sd- -)
[ "$STATIC_LEN" -lt 4000 ] || STATIC_LEN=4000   # nginx caps a config token at 4 KiB

# n=100 answers are ten times larger: their scenario is paired with a static
# file of their median size (n100s keeps the small /static, for comparison)
head -200 "$WORK/paths/n100.txt" \
    | awk -v b="$BASE" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", b, $0 }' \
    > "$WORK/sizes-n100.curl"
curl -s -K "$WORK/sizes-n100.curl" -w '%{http_code} %{size_download}\n' > "$WORK/sizes-n100.txt"
BIG_LEN=$(awk '$1 == 200 { print $2 }' "$WORK/sizes-n100.txt" | sort -n \
    | awk '{ v[NR] = $1 } END { print NR ? ((NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) : 1 }')
head -c "$BIG_LEN" /dev/zero | tr '\0' x > "$WORK/static-big.json"
stop_pid "$NGINX_PID"

write_conf "$WORK/nginx.conf" "$PORT" "$MODEL" on "$AFFINITY" "$STATIC_LEN" \
    "$WORK/static-big.json"
: > "$WORK/logs/error.log"
start_nginx "$WORK/nginx.conf"
MASTER=$NGINX_PID
wait_ready "$BASE/static" 30
WORKER=$(worker_pid "$MASTER")
[ "$(curl -s "$BASE/static" | wc -c)" = "$STATIC_LEN" ] || die "/static body size is not $STATIC_LEN"

# Which scenarios can run: one curl for each algorithm.
RUN=""
SKIPPED=""
for s in $SCENARIOS; do
    [ -f "$WORK/paths/$s.txt" ] || die "unknown scenario $s (known: $ALL_SCENARIOS)"
    if [ ! -s "$WORK/paths/$s.txt" ]; then
        SKIPPED="$SKIPPED $s(no paths)"
        continue
    fi
    p=$(head -1 "$WORK/paths/$s.txt")
    body=$(curl -s -w '\n%{http_code}' "$BASE$p")
    code=${body##*$'\n'}
    if [ "$code" = 400 ] && printf '%s' "$body" | grep -q 'invalid argument: algo'; then
        SKIPPED="$SKIPPED $s(algo absent from the model)"
        continue
    fi
    [ "$code" = 200 ] || die "scenario $s: $p answered $code: ${body%$'\n'*}"
    RUN="$RUN $s"
done
say "scenarios:$RUN${SKIPPED:+; skipped:$SKIPPED}"

CLK_TCK=$(getconf CLK_TCK)

# run_wrk NAME PATHSFILE SECONDS: one wrk run; appends a result line
# "name rps p50 p99 cpu_us_per_req non200 errors requests" to RESULT.
run_wrk() {
    local name=$1 paths=$2 secs=$3 out t0 t1 line
    out="$WORK/logs/wrk-$name-$(date +%s%N).txt"
    t0=$(cpu_ticks "$WORKER")
    PATHS="$paths" "${WRK_PIN[@]}" wrk -t1 -c"$CONNECTIONS" \
        -d"${secs}s" --latency -s "$LUA" "$BASE" > "$out" 2>&1 \
        || { cat "$out" >&2; check_alive; die "wrk failed"; }
    check_alive
    t1=$(cpu_ticks "$WORKER")
    line=$(grep '^rotate: requests=' "$out") || { cat "$out" >&2; die "no result from wrk"; }
    RESULT=$(echo "$line" | awk -v n="$name" -v dt=$((t1 - t0)) -v hz="$CLK_TCK" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s %.1f %d %d %.2f %d %d %d\n", n, v["rps"], v["p50_us"], v["p99_us"],
            v["requests"] ? dt / hz * 1e6 / v["requests"] : 0, v["non200"], v["errors"], v["requests"] }')
}

say "warm-up (2 s)"
run_wrk warmup "$WORK/paths/hybrid.txt" 2

: > "$WORK/results.txt"
for s in $RUN; do
    static_paths="$WORK/paths/static.txt"
    [ -f "$WORK/paths/static-$s.txt" ] && static_paths="$WORK/paths/static-$s.txt"
    say "wrk: static, then $s and static again, $ROUNDS time(s) (${DURATION}s each)"
    run_wrk static "$static_paths" "$DURATION"
    echo "$s 0 $RESULT" >> "$WORK/results.txt"
    for r in $(seq 1 "$ROUNDS"); do
        run_wrk "$s" "$WORK/paths/$s.txt" "$DURATION"
        echo "$s $r $RESULT" >> "$WORK/results.txt"
        run_wrk static "$static_paths" "$DURATION"
        echo "$s $r $RESULT" >> "$WORK/results.txt"
    done
done

# ------------------------------------------------------------ 4. memory
# (run on the same nginx before it is stopped; reported after callgrind)

RSS_REPORT="skipped (REQUESTS=0)"
if [ "$REQUESTS" -gt 0 ] && [ -n "$RUN" ]; then
    # all scenarios' paths interleaved, so each request differs from the last
    # shellcheck disable=SC2046
    perl -e '
        my @l = map { open my $f, "<", $_ or die; [ map { chomp; $_ } <$f> ] } @ARGV;
        my $max = 0; for (@l) { $max = @$_ if @$_ > $max }
        for my $i (0 .. $max - 1) { for (@l) { print $_->[$i % @$_], "\n" } }
    ' $(for s in $RUN; do echo "$WORK/paths/$s.txt"; done) > "$WORK/paths/mixed.txt"
    rss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
    say "memory: warm-up, ${RSS_WARMUP_SECONDS}s of the mixed scenarios"
    run_wrk rss-warmup "$WORK/paths/mixed.txt" "$RSS_WARMUP_SECONDS"
    RSS0=$(rss "$WORKER" VmRSS); ANON0=$(rss "$WORKER" RssAnon)
    # wrk runs by time only: chunks of RSS_CHUNK_SECONDS until REQUESTS
    # requests are done or RSS_MAX_SECONDS have passed
    done_n=0; done_s=0; non200=0; errs=0; chunks=0; trail="$ANON0"
    say "memory: $REQUESTS requests (at most ${RSS_MAX_SECONDS}s)"
    while [ "$done_n" -lt "$REQUESTS" ] && [ "$done_s" -lt "$RSS_MAX_SECONDS" ]; do
        run_wrk rss "$WORK/paths/mixed.txt" "$RSS_CHUNK_SECONDS"
        read -r _ _ _ _ _ c_non200 c_err c_n <<< "$RESULT"
        done_n=$((done_n + c_n)); done_s=$((done_s + RSS_CHUNK_SECONDS))
        non200=$((non200 + c_non200)); errs=$((errs + c_err)); chunks=$((chunks + 1))
        trail="$trail $(rss "$WORKER" RssAnon)"
    done
    RSS1=$(rss "$WORKER" VmRSS); ANON1=$(rss "$WORKER" RssAnon)
    RSS_REPORT=$(printf '%s requests of the mixed scenarios in %s s (%s non-200, %s errors), after a %s s warm-up\n  worker VmRSS   %8s KiB -> %8s KiB  growth %+d KiB\n  worker RssAnon %8s KiB -> %8s KiB  growth %+d KiB\n  RssAnon after each %s s chunk (KiB): %s' \
        "$done_n" "$done_s" "$non200" "$errs" "$RSS_WARMUP_SECONDS" \
        "$RSS0" "$RSS1" $((RSS1 - RSS0)) "$ANON0" "$ANON1" $((ANON1 - ANON0)) \
        "$RSS_CHUNK_SECONDS" "$trail")
    [ "$done_n" -ge "$REQUESTS" ] \
        || RSS_REPORT="$RSS_REPORT
  (stopped by RSS_MAX_SECONDS=$RSS_MAX_SECONDS before $REQUESTS requests)"
fi

check_alive
stop_pid "$MASTER"
WORKER=""

# ------------------------------------------------- 3. callgrind per request

CG_REPORT="skipped (CALLGRIND_REQUESTS=0)"
if [ "$CALLGRIND_REQUESTS" -gt 0 ]; then
    mkdir -p "$WORK/cg"
    write_conf "$WORK/nginx-cg.conf" "$PORT" "$MODEL" off "" "$STATIC_LEN"
    : > "$WORK/cg/results.txt"
    for s in static $RUN; do
        say "callgrind: $s ($CALLGRIND_REQUESTS requests)"
        out="$WORK/cg/$s.out"
        : > "$WORK/logs/error.log"
        start_nginx "$WORK/nginx-cg.conf" valgrind --tool=callgrind \
            --callgrind-out-file="$out" --collect-atstart=no \
            --toggle-collect=ngx_process_events_and_timers
        wait_ready "$BASE/static" 120
        awk -v b="$BASE" -v n="$CALLGRIND_REQUESTS" '
            { p[NR] = $0 }
            END { for (i = 0; i < n; i++)
                      printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", b, p[i % NR + 1] }' \
            "$WORK/paths/$s.txt" > "$WORK/cg/$s.curl"
        curl -s -K "$WORK/cg/$s.curl" -w '%{http_code}\n' > "$WORK/cg/$s.codes"
        check_alive
        stop_pid "$NGINX_PID"
        [ -s "$out" ] || die "callgrind wrote no $out"
        callgrind_annotate --inclusive=yes --threshold=100 "$out" > "$WORK/cg/$s.txt" 2>&1
        ok=$(grep -c '^200$' "$WORK/cg/$s.codes" || true)
        total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$WORK/cg/$s.txt")
        handler=$(awk '/[: ]ngx_http_recsys_(items_)?handler( |$)/ { gsub(",", "", $1); print $1; exit }' "$WORK/cg/$s.txt")
        # the readiness probe (one or more GET /static) is in the total too
        echo "$s ${total:-0} ${handler:-0} $ok" >> "$WORK/cg/results.txt"
    done
    n=$CALLGRIND_REQUESTS
    CG_REPORT=$(awk -v n="$n" '
        BEGIN { printf "%-10s %14s %14s %12s %8s\n", "scenario", "handler Ir/req", "process Ir/req", "vs static", "200s" }
        $1 == "static" { st = $2 / n }
        { t = $2 / n; h = $3 / n
          printf "%-10s %14s %14.0f %12s %8d\n", $1, ($1 == "static" ? "-" : sprintf("%.0f", h)), t,
                 (st > 0 ? sprintf("%+.0f", t - st) : "-"), $4 }' "$WORK/cg/results.txt")
fi

# ----------------------------------------------------------------- report

# Each scenario run is compared with the mean of the static runs just
# before and just after it (static, B, static, B, ..., static): a drift of
# the host's speed over the run cancels out, to first order.  The ratios
# are averaged over the rounds; their range is printed beside them.
report_table() {
    awk '
    {
        s = $1; name = $3
        if (!(s in seen)) { seen[s] = 1; order[++k] = s }
        m = ++cnt[s]
        nm[s, m] = name; rp[s, m] = $4; p5[s, m] = $5; p9[s, m] = $6; cp[s, m] = $7
        bd[s, m] = $8 + $9
    }
    END {
        printf "%-10s %8s %8s %8s %9s %9s %9s %9s %8s  %s\n", "scenario", "req/s", "p50 us", "p99 us",
            "CPU us/r", "rps/stat", "p99/stat", "CPU/stat", "non-200", "rps/stat range"
        for (i = 1; i <= k; i++) {
            s = order[i]
            srps = sp50 = sp99 = scpu = sn = 0
            rps = p50 = p99 = cpu = n = ratio = p99r = cpur = bad = 0
            lo = hi = ""
            for (m = 1; m <= cnt[s]; m++) {
                if (nm[s, m] == "static") {
                    srps += rp[s, m]; sp50 += p5[s, m]; sp99 += p9[s, m]; scpu += cp[s, m]; sn++
                    continue
                }
                # the static runs around it
                b = rp[s, m - 1] / 2 + rp[s, m + 1] / 2
                b99 = p9[s, m - 1] / 2 + p9[s, m + 1] / 2
                bcpu = cp[s, m - 1] / 2 + cp[s, m + 1] / 2
                r = b > 0 ? rp[s, m] / b : 0
                rps += rp[s, m]; p50 += p5[s, m]; p99 += p9[s, m]; cpu += cp[s, m]; n++
                ratio += r
                p99r += b99 > 0 ? p9[s, m] / b99 : 0
                cpur += bcpu > 0 ? cp[s, m] / bcpu : 0
                bad += bd[s, m]
                if (lo == "" || r < lo) lo = r
                if (hi == "" || r > hi) hi = r
            }
            printf "%-10s %8.0f %8.0f %8.0f %9.2f %9s %9s %9s %8s\n", "static", srps / sn,
                sp50 / sn, sp99 / sn, scpu / sn, "1", "1", "1", "-"
            printf "%-10s %8.0f %8.0f %8.0f %9.2f %9.3f %9.2f %9.2f %8d  %.3f-%.3f\n", s, rps / n,
                p50 / n, p99 / n, cpu / n, ratio / n, p99r / n, cpur / n, bad, lo, hi
        }
    }' "$WORK/results.txt"
}

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY=$(awk -v a="${LOAD_START%% *}" -v b="${LOAD_END%% *}" -v n="$NCPU" \
    'BEGIN { print ((a > n / 2 || b > n / 2) ? 1 : 0) }')

{
    echo "== recsys bench ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo "host      $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "nginx     $("$NGINX_BIN" -v 2>&1 | sed 's/.*version: //'), module $MODULE"
    echo "wrk       $(wrk -v 2>&1 | head -1 | awk '{ print $2 }'): -t1 -c$CONNECTIONS -d${DURATION}s, static and $ROUNDS run(s) of each scenario alternating"
    echo "pinning   $PINNING"
    echo "load      load average $LOAD_START at the start, $LOAD_END at the end"
    if [ "$BUSY" = 1 ]; then
        echo "WARNING   the host is busy (load average above half the CPUs): other processes"
        echo "          share nginx's and wrk's CPUs, so req/s, latency and their ratios measure"
        echo "          that contention; CPU us/r and the callgrind counts hold up better"
    fi
    echo "data      $DATA_NAME: $PATHS_SUMMARY"
    echo "model     $(grep -E '^model ' "$WORK/logs/build.log" | head -1)"
    sed -n 's/^  /          /p' "$WORK/logs/build.log"
    echo "          sources: $("$RB" inspect "$MODEL" stats | awk '$1 == "sources" { $1 = ""; print substr($0, 2) }')"
    echo "static    /static returns $STATIC_LEN bytes = median hybrid answer (sample of $(wc -l < "$WORK/sizes.txt"): $SIZE_RANGE bytes)"
    echo "          n100 is paired with /static-big, a $BIG_LEN-byte file (the median n=100 answer)"
    echo "          served by nginx's static module; n100s is the same scenario against /static"
    [ -n "$SKIPPED" ] && echo "skipped  $SKIPPED"
    echo
    echo "-- throughput (mean of rounds; each ratio against the mean of the static runs just"
    echo "   before and after that scenario run)"
    report_table
    echo
    echo "-- instructions per request (callgrind, $CALLGRIND_REQUESTS keep-alive requests each;"
    echo "   process = everything inside the event loop; vs static = process minus static)"
    echo "$CG_REPORT"
    echo
    echo "-- memory"
    echo "$RSS_REPORT"
}
