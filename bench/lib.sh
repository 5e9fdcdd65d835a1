# shellcheck shell=bash
# bench/lib.sh: helpers shared by bench/*.sh (sourced, not run).
#
# Sets ROOT (the repository), BUILD (${BUILD:-$ROOT/build}), NGINX_BIN,
# MODULE, RB (recsys-build) and WORK (a fresh temporary directory, removed
# at exit unless KEEP=1).  Starts and stops nginx by the process id it
# started, never by name.  Every network call goes to 127.0.0.1.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-$BUILD/ngx_http_recsys_module.so}
RB=${RB:-$BUILD/recsys-build}
BENCH_NAME=${BENCH_NAME:-bench}

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# need_packages PKG...: apt-get install the Debian packages that are missing
# (build.sh does it, for itself and for the benchmarks).
need_packages() {
    "$ROOT/build.sh" packages "$@"
}

need_build() {
    [ -x "$RB" ] || die "$RB not found: run ./build.sh first"
    [ -f "$MODULE" ] || die "$MODULE not found: run ./build.sh first"
}

# make_work: the work directory, and private copies of the module and the
# builder in it: build.sh copies over build/ngx_http_recsys_module.so in
# place, which would crash a running nginx that has it mapped when someone
# rebuilds during a run.
make_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/recsys-$BENCH_NAME.XXXXXX")
    mkdir -p "$WORK/tmp" "$WORK/logs" "$WORK/bin"
    NGINX_PIDS=""
    WORKER=""
    trap 'cleanup' EXIT
    trap 'exit 130' INT TERM
    if [ -f "$MODULE" ]; then
        cp "$MODULE" "$WORK/bin/ngx_http_recsys_module.so"
        MODULE="$WORK/bin/ngx_http_recsys_module.so"
    fi
    cp "$RB" "$WORK/bin/recsys-build"
    RB="$WORK/bin/recsys-build"
}

cleanup() {
    local pid
    for pid in $NGINX_PIDS; do
        stop_pid "$pid"
    done
    if [ "${KEEP:-0}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}

# stop_pid PID: SIGQUIT (graceful), then SIGKILL after 30 s.
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "process $pid did not stop on SIGQUIT; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    NGINX_PIDS=$(echo " $NGINX_PIDS " | sed "s/ $pid / /")
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                      LocalPort => 0, ReuseAddr => 1)
            or die "no free port: $!\n";
        print $s->sockport, "\n";'
}

# small_conf FILE PORT WORKERS MASTER(on|off) SERVER_BODY: an nginx.conf
#            for one server on 127.0.0.1:PORT whose server block holds
#            SERVER_BODY (locations), with everything else in $WORK
small_conf() {
    local file=$1 port=$2 workers=$3 master=$4 body=$5 user=""
    [ "$(id -u)" = 0 ] && user="user root;"
    cat > "$file" <<EOF
load_module $MODULE;
$user
worker_processes $workers;
daemon off;
master_process $master;
pid $WORK/logs/nginx.pid;
error_log $WORK/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
$body
    }
}
EOF
}

# write_conf FILE PORT MODEL MASTER(on|off) AFFINITY(line or "") STATIC_LEN
#            [BIG_FILE]: BIG_FILE, if given, is served as /static-big (a
#            static file of another size, through nginx's static module)
write_conf() {
    local file=$1 port=$2 model=$3 master=$4 affinity=$5 static_len=$6
    local big=${7:-} user="" body big_loc=
    [ "$(id -u)" = 0 ] && user="user root;"
    body=$(head -c "$static_len" /dev/zero | tr '\0' x)
    # OVERRIDES (a file), if set: /recommend-ovr answers with those rules
    [ -n "${OVERRIDES:-}" ] && big_loc="location = /recommend-ovr {
            recsys;
            recsys_overrides $OVERRIDES;
        }"
    [ -n "$big" ] && big_loc="$big_loc
        location = /static-big {
            default_type application/json;
            alias $big;
            open_file_cache max=16;
            open_file_cache_valid 1h;
        }"
    cat > "$file" <<EOF
load_module $MODULE;

$user
worker_processes 1;
$affinity
daemon off;
master_process $master;
pid $WORK/logs/nginx-$port.pid;
error_log $WORK/logs/error.log notice;

events {
    worker_connections 1024;
}

http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;

    recsys_model $model;

    server {
        listen 127.0.0.1:$port;

        location = /recommend {
            recsys;
            recsys_default_n 10;
            recsys_max_n 100;
        }

        location = /items {
            recsys_items;
        }

        location = /static {
            default_type application/json;
            return 200 '$body';
        }

        $big_loc
    }
}
EOF
}

# start_nginx CONF [WRAPPER...]: starts nginx in the background (daemon off)
# and sets NGINX_PID; the pid of the wrapper (valgrind, taskset) if any.
# Under `./build.sh test --sanitize` (RECSYS_NGINX_PRELOAD set) the module
# is a sanitizer build: its runtime is preloaded into the stock nginx.
start_nginx() {
    local conf=$1
    shift
    if [ -n "${RECSYS_NGINX_PRELOAD:-}" ]; then
        set -- env LD_PRELOAD="$RECSYS_NGINX_PRELOAD" \
            ASAN_OPTIONS=detect_leaks=0 "$@"
    fi
    "$@" "$NGINX_BIN" -p "$WORK" -c "$conf" -e "$WORK/logs/error.log" \
        >> "$WORK/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    NGINX_PIDS="$NGINX_PIDS $NGINX_PID"
}

# wait_ready URL SECONDS: until URL answers 200; fails if NGINX_PID dies.
wait_ready() {
    local url=$1 secs=$2 code
    for _ in $(seq 1 $((secs * 10))); do
        kill -0 "$NGINX_PID" 2>/dev/null \
            || { tail -n 20 "$WORK/logs/error.log" "$WORK/logs/stdout.log" >&2 || true; die "nginx exited"; }
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
        [ "$code" = 200 ] && return 0
        sleep 0.1
    done
    die "nginx did not answer $url within $secs s"
}

# check_alive: nginx (and WORKER, if set) still running and no
# [alert]/[crit]/[emerg] logged.
check_alive() {
    kill -0 "$NGINX_PID" 2>/dev/null \
        || { tail -n 20 "$WORK/logs/error.log" >&2 || true; die "nginx (pid $NGINX_PID) died"; }
    if [ -n "$WORKER" ] && ! kill -0 "$WORKER" 2>/dev/null; then
        tail -n 20 "$WORK/logs/error.log" >&2 || true
        die "the nginx worker (pid $WORKER) died"
    fi
    if grep -E '\[(alert|crit|emerg)\]' "$WORK/logs/error.log" >&2; then
        die "nginx logged alerts (above)"
    fi
}

# worker_pid MASTER: the single worker of a master process.
worker_pid() {
    local w
    w=$(pgrep -P "$1" | head -1)
    [ -n "$w" ] || die "no worker process under $1"
    echo "$w"
}

# cpu_ticks PID: utime + stime in clock ticks.
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# data_model: RATINGS and ITEMS of DATA (a MovieLens directory) or of the
# generated sample, and the model built from them, $WORK/model.mdb
data_model() {
    if [ -n "${DATA:-}" ]; then
        RATINGS="$DATA/ratings.csv"
        ITEMS="$DATA/movies.csv"
    else
        say "generating the sample data set"
        "$RB" gen --out "$WORK/data" > /dev/null
        RATINGS="$WORK/data/interactions.csv"
        ITEMS="$WORK/data/items.csv"
    fi
    say "building the model"
    "$RB" build --interactions "$RATINGS" --items "$ITEMS" \
        --out "$WORK/model.mdb" --quiet
}
