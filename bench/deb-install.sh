#!/usr/bin/env bash
# bench/deb-install.sh: the packages of `./build.sh deb` installed on this
# machine with apt, used, removed and purged, each step shown:
#   apt install of both .debs; the modules-enabled link; `nginx -t` on the
#   system configuration (the module loaded through modules-enabled); the
#   packaged example site (port and model path changed) enabled; a model
#   made by the installed recsys-build; an nginx started on the system's
#   modules-enabled and sites-enabled answering /recommend; then the site
#   removed, `apt remove` of both, `nginx -t` again, and `apt purge` (the
#   machine as before: the script checks that modules-enabled and
#   sites-enabled list what they listed at the start).
# Needs root and build/deb/*.deb (./build.sh deb).  The nginx it starts
# listens on 127.0.0.1:${PORT:-18080} and is stopped by its pid.
set -euo pipefail

BENCH_NAME=deb-install
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (apt install)"
version=$(cat "$ROOT/VERSION")
arch=$(dpkg --print-architecture)
mod="$BUILD/deb/libnginx-mod-http-recsys_${version}_${arch}.deb"
rb="$BUILD/deb/recsys-build_${version}_${arch}.deb"
[ -f "$mod" ] && [ -f "$rb" ] || die "no packages in $BUILD/deb: run ./build.sh deb"
for p in libnginx-mod-http-recsys recsys-build; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        die "$p is installed already: this script installs and purges it"
    fi
done

port=${PORT:-18080}
work=$(mktemp -d /tmp/deb-install-XXXXXX)
site=/etc/nginx/sites-available/recsys-deb-check
before=$(ls /etc/nginx/modules-enabled /etc/nginx/sites-enabled)
pid=""

run() { printf '\n$ %s\n' "$*"; "$@"; }

cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -f /etc/nginx/sites-enabled/recsys-deb-check "$site"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
        libnginx-mod-http-recsys recsys-build >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
run apt-get install -y "$mod" "$rb"
run ls -l /etc/nginx/modules-enabled/
run cat /etc/nginx/modules-enabled/50-mod-http-recsys.conf
run nginx -t

# the example site, on a loopback port, serving a model in $work
sed -e "s|listen 8080;|listen 127.0.0.1:$port;|" -e '/listen \[::\]:8080;/d' \
    -e "s|/var/lib/recsys/model.mdb|$work/model.mdb|" \
    /usr/share/doc/libnginx-mod-http-recsys/examples/recsys.conf > "$site"
ln -s "$site" /etc/nginx/sites-enabled/recsys-deb-check
run recsys-build --version
run recsys-build gen --out "$work/data" --users 300 --items 200 --events 8000 \
    --series 5 --bundles 5
run recsys-build build --interactions "$work/data/interactions.csv" \
    --items "$work/data/items.csv" --out "$work/model.mdb" --model-id deb-check
run cat "$work/model.mdb.manifest.json"
run nginx -t

# an nginx on the system's modules-enabled and the example site
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<CONF
user root;
pid $work/nginx.pid;
error_log $work/logs/error.log;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include /etc/nginx/sites-enabled/recsys-deb-check;
}
CONF
run nginx -c "$work/nginx.conf" -e "$work/logs/error.log"
for _ in $(seq 50); do [ -s "$work/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$work/nginx.pid")
sleep 0.5
run curl -sS -w '\nHTTP %{http_code}\n' "http://127.0.0.1:$port/recommend?user=u00001&n=3"
kill -QUIT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
pid=""

rm -f /etc/nginx/sites-enabled/recsys-deb-check "$site"
run apt-get remove -y libnginx-mod-http-recsys recsys-build
run ls -l /etc/nginx/modules-enabled/
run nginx -t
run apt-get purge -y libnginx-mod-http-recsys recsys-build
after=$(ls /etc/nginx/modules-enabled /etc/nginx/sites-enabled)
if [ "$before" = "$after" ]; then
    say "restored: modules-enabled and sites-enabled as before"
else
    die "modules-enabled or sites-enabled changed: $before / $after"
fi
