#!/usr/bin/env bash
# build.sh: install what is missing, build, run, test.
#
#   ./build.sh                  build the module and recsys-build into build/
#   ./build.sh run              build, generate the sample data, build the
#                               model and run nginx in the foreground on
#                               127.0.0.1:${PORT:-8080} (Ctrl-C stops it)
#   ./build.sh test             build and run the whole suite with prove
#   ./build.sh test --sanitize  the same with ASan+UBSan builds
#   ./build.sh bench            serving speed beside a static location, on
#                               loopback (bench/bench.sh)
#   ./build.sh bench-build      builder speed at 1M/5M/20M rows
#                               (bench/bench-build.sh)
#   ./build.sh quality          served answers scored like `recsys-build
#                               eval` (bench/quality.sh)
#   ./build.sh bench-verify     what checking a model file costs: verify
#                               and open, a swap under load
#                               (bench/bench-verify.sh)
#   ./build.sh bench-events     live events: /event and /recommend beside
#                               static, the zone's capacity, an online
#                               replay (bench/bench-events.sh)
#   ./build.sh bench-overrides  takedowns under load: no hidden item one
#                               reload interval after the overrides file
#                               changed (bench/bench-overrides.sh)
#   ./build.sh valgrind         the module under valgrind's memcheck: 0
#                               errors and 0 bytes lost are required
#                               (bench/valgrind.sh)
#   ./build.sh screenshots      the README's pictures of the demo page and
#                               of an eval report, in headless chromium
#                               (docs/screenshots.sh)
#   ./build.sh fuzz [SECONDS]   the libFuzzer harnesses of fuzz/ (clang,
#                               installed when missing), each run SECONDS
#                               (60); fails on a crash, leak or timeout
#                               (fuzz/fuzz.sh, fuzz/README.md)
#   ./build.sh deb              the Debian packages libnginx-mod-http-recsys
#                               and recsys-build with dpkg-buildpackage
#                               (packaging/debian), checked by lintian,
#                               into build/deb/ (packaging/README.md)
#   ./build.sh clean            remove build/
#   ./build.sh packages PKG...  install the Debian packages that are missing
#
# NGINX_SRC=/path/to/nginx-x.y.z builds the module against that source tree
# instead of Debian's nginx-dev sources.  Nothing is written outside build/
# (and the system packages that the install step adds).

set -eu

ROOT=$(cd "$(dirname "$0")" && pwd)
BUILD="$ROOT/build"
DEBIAN_SRC=/usr/share/nginx/src
NGINX_SRC=${NGINX_SRC:-}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
PACKAGES="nginx nginx-dev libjansson-dev liblmdb-dev lmdb-utils libopenblas-dev liblapacke-dev zlib1g-dev gcc make perl curl"
# recsys-build fetch (libcurl) and the manifest's SHA-256 (libcrypto)
PACKAGES="$PACKAGES libcurl4-openssl-dev libssl-dev"
# what `./build.sh deb` needs beyond the build itself
DEB_PACKAGES="debhelper dpkg-dev lintian help2man"

say() { printf 'build.sh: %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

# install_packages PKG...: apt-get install the Debian packages that are
# missing (also `./build.sh packages PKG...`, which the benchmarks use).
install_packages() {
    local missing="" p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
            || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The module, through nginx's own build system.  Debian's nginx-dev tree is
# copied into build/ because configure writes its Makefile into the tree.
# build_module OUTDIR [EXTRA_CFLAGS]: OUTDIR/ngx_http_recsys_module.so
build_module() {
    local out="$1" extra="${2:-}" src objdir flags stamp want
    objdir="$out/nginx"
    if [ -n "$NGINX_SRC" ]; then
        src="$NGINX_SRC"
        [ -x "$src/configure" ] || die "NGINX_SRC=$src has no configure script"
        flags=(--with-compat)
    else
        [ -f "$DEBIAN_SRC/conf_flags" ] || die "$DEBIAN_SRC/conf_flags not found (is nginx-dev installed?)"
        mkdir -p "$objdir"
        if [ ! -x "$objdir/src/configure" ] || [ "$DEBIAN_SRC/conf_flags" -nt "$objdir/src/configure" ]; then
            rm -rf "$objdir/src"
            cp -a "$DEBIAN_SRC" "$objdir/src"
        fi
        src="$objdir/src"
        # shellcheck disable=SC1091
        . "$DEBIAN_SRC/conf_flags"
        flags=("${NGX_CONF_FLAGS[@]}")
    fi
    if [ -n "$extra" ]; then
        flags+=("--with-cc-opt=$extra" "--with-ld-opt=$extra")
    else
        # nginx compiles with -O unless told otherwise; the request path is
        # worth -O2 (flags that change code, not the module ABI)
        flags+=("--with-cc-opt=-O2")
    fi

    stamp="$objdir/configured"
    # the files config globs are part of what was configured: a new or
    # removed engine/serve file needs a new objs/Makefile
    want="$src ${flags[*]} $(cksum < "$ROOT/config") $(cd "$ROOT" \
        && ls ngx_http_recsys_module/*.[ch] engine/serve/*.[ch] | cksum)"
    mkdir -p "$objdir"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$src/objs/Makefile" ]; then
        say "configuring nginx module build in $src"
        (cd "$src" && ./configure "${flags[@]}" --add-dynamic-module="$ROOT" \
            > "$objdir/configure.log" 2>&1) \
            || { tail -20 "$objdir/configure.log"; die "nginx configure failed (log: $objdir/configure.log)"; }
        echo "$want" > "$stamp"
    fi

    (cd "$src" && make -s -f objs/Makefile modules > "$objdir/make.log" 2>&1) \
        || { tail -40 "$objdir/make.log"; die "module build failed (log: $objdir/make.log)"; }
    # a new file renamed into place: a running nginx keeps its mapping
    cp -p "$src/objs/ngx_http_recsys_module.so" "$out/ngx_http_recsys_module.so.tmp"
    mv -f "$out/ngx_http_recsys_module.so.tmp" "$out/ngx_http_recsys_module.so"
}

build_engine() {
    make -s -C "$ROOT" BUILD="$1" ${2:+SANITIZE=$2} -j"$(nproc)" all
}

build_all() {
    # shellcheck disable=SC2086
    install_packages $PACKAGES
    mkdir -p "$BUILD"
    build_engine "$BUILD" ""
    build_module "$BUILD"
    say "built $BUILD/ngx_http_recsys_module.so and $BUILD/recsys-build"
}

# write_demo_config INTERACTIONS: the settings the demo page reads
# (demo/app.js): a few sample viewers, the first users of the log, and
# whether POST /event is configured (conf/nginx.conf.in has it).
write_demo_config() {
    local users
    users=$(awk -F, 'NR > 1 && !seen[$1]++ { printf "%s\"%s\"", n++ ? "," : "", $1 }
                     n == 5 { exit }' "$1")
    printf '{"events":true,"users":[%s]}\n' "$users"
}

cmd_run() {
    local port=${PORT:-8080} dir="$BUILD/run" user
    build_all
    mkdir -p "$dir/logs" "$dir/tmp"
    if [ ! -f "$dir/sample/interactions.csv" ]; then
        "$BUILD/recsys-build" gen --out "$dir/sample"
    fi
    "$BUILD/recsys-build" build --interactions "$dir/sample/interactions.csv" \
        --items "$dir/sample/items.csv" --out "$dir/model.mdb"
    user=""
    [ "$(id -u)" = 0 ] && user="user root;"
    sed -e "s|@MODULE@|$BUILD/ngx_http_recsys_module.so|" \
        -e "s|@MODEL@|$dir/model.mdb|" \
        -e "s|@PORT@|$port|" \
        -e "s|@USER@|$user|" \
        -e "s|@DEMO@|$ROOT/demo|" \
        -e "s|@DIR@|$dir|" \
        "$ROOT/conf/nginx.conf.in" > "$dir/nginx.conf"
    write_demo_config "$dir/sample/interactions.csv" > "$dir/demo-config.json"
    "$NGINX_BIN" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
    cat <<EOF

recsys is serving on http://127.0.0.1:$port (Ctrl-C stops it)
  the demo page:  http://127.0.0.1:$port/
  status:         http://127.0.0.1:$port/recsys-status (loopback only)
try:
  curl -s 'http://127.0.0.1:$port/recommend?user=u00001&n=5'
  curl -s 'http://127.0.0.1:$port/recommend?item=v00120&n=5'
  curl -s 'http://127.0.0.1:$port/recommend?user=nobody&n=5'
  curl -s 'http://127.0.0.1:$port/recommend?user=u00001&algo=popular&n=3'
  curl -s 'http://127.0.0.1:$port/items?q=shadow&n=3'
  curl -s -H 'Content-Type: application/json' \
       -d '{"user":"u00001","item":"v00120","type":"play"}' http://127.0.0.1:$port/event
error log: $dir/logs/error.log
EOF
    exec "$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
}

cmd_test() {
    local sanitize=0 arg
    for arg in "$@"; do
        case "$arg" in
            --sanitize) sanitize=1 ;;
            *) die "unknown test option $arg" ;;
        esac
    done
    build_all
    # the demo page's test drives Debian's chromium; the progress test
    # runs the builder under script(1) for a terminal
    install_packages chromium bsdutils
    install_packages python3-distributed    # t/45: the Dask driver
    install_packages strace                 # t/22: an open held while a worker exits
    if [ "$sanitize" = 1 ]; then
        say "sanitizer build (ASan+UBSan) in $BUILD/sanitize"
        build_engine "$BUILD/sanitize" 1
        # the module too: an instrumented .so in the stock nginx, with the
        # sanitizer runtime preloaded into nginx (nginx itself is not
        # instrumented, and its deliberate exit-time leaks are not ours)
        build_module "$BUILD/sanitize" "-fsanitize=address,undefined -fno-omit-frame-pointer"
        export RECSYS_BUILD_DIR="$BUILD/sanitize"
        export RECSYS_MODULE="$BUILD/sanitize/ngx_http_recsys_module.so"
        export RECSYS_NGINX_PRELOAD
        RECSYS_NGINX_PRELOAD=$(gcc -print-file-name=libasan.so)
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
        export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    else
        export RECSYS_BUILD_DIR="$BUILD"
    fi
    export RECSYS_BUILD="$RECSYS_BUILD_DIR/recsys-build"
    cd "$ROOT"
    prove t/*.t "$RECSYS_BUILD_DIR"/tests/test_*
}

# The packages, built by Debian's tools from a copy of the tree with
# packaging/debian as its debian/ and a changelog made from VERSION, the one
# place the version is written.  lintian must report no error.
cmd_deb() {
    local version src out date
    # shellcheck disable=SC2086
    install_packages $PACKAGES $DEB_PACKAGES
    version=$(cat "$ROOT/VERSION")
    out="$BUILD/deb"
    src="$out/recsys-$version"
    rm -rf "$out"
    mkdir -p "$src"
    (cd "$ROOT" && tar cf - --exclude=./build --exclude=./.git \
        --exclude=./packaging .) | (cd "$src" && tar xf -)
    cp -a "$ROOT/packaging/debian" "$src/debian"
    date=$(cd "$ROOT" && git log -1 --format=%aD -- VERSION 2>/dev/null) \
        || date=""
    [ -n "$date" ] || date=$(date -R)
    cat > "$src/debian/changelog" <<EOF
recsys ($version) unstable; urgency=medium

  * Version $version (from the VERSION file).

 -- recsys maintainers <recsys@example.org>  $date
EOF
    say "dpkg-buildpackage in $src (log: $out/build.log)"
    (cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)") \
        > "$out/build.log" 2>&1 \
        || { tail -40 "$out/build.log"; die "dpkg-buildpackage failed (log: $out/build.log)"; }
    lintian --info --display-info "$out"/*.changes > "$out/lintian.txt" 2>&1 || true
    cat "$out/lintian.txt"
    if grep -q '^E: ' "$out/lintian.txt"; then
        die "lintian reports errors ($out/lintian.txt)"
    fi
    say "built:" "$out"/*.deb
}

case "${1:-build}" in
    build) build_all ;;
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    bench) shift; build_all; exec "$ROOT/bench/bench.sh" "$@" ;;
    bench-build) shift; build_all; exec "$ROOT/bench/bench-build.sh" "$@" ;;
    quality) shift; build_all; exec "$ROOT/bench/quality.sh" "$@" ;;
    bench-verify) shift; build_all; exec "$ROOT/bench/bench-verify.sh" "$@" ;;
    bench-events) shift; build_all; exec "$ROOT/bench/bench-events.sh" "$@" ;;
    bench-overrides) shift; build_all; exec "$ROOT/bench/bench-overrides.sh" "$@" ;;
    valgrind) shift; build_all; exec "$ROOT/bench/valgrind.sh" "$@" ;;
    screenshots) shift; PACKAGES="$PACKAGES chromium"; build_all
        exec "$ROOT/docs/screenshots.sh" "$@" ;;
    fuzz) shift; PACKAGES="$PACKAGES clang libclang-rt-14-dev"; build_all
        NGX_TREE="${NGINX_SRC:-$BUILD/nginx/src}" exec "$ROOT/fuzz/fuzz.sh" "$@" ;;
    deb) shift; cmd_deb "$@" ;;
    clean) rm -rf "$BUILD" ;;
    packages) shift; install_packages "$@" ;;
    *) die "unknown command $1 (build, run, test, bench, bench-build, quality, bench-verify, bench-events, bench-overrides, valgrind, screenshots, fuzz, deb, clean, packages)" ;;
esac
