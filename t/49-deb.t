#!/usr/bin/perl

# 49-deb: the Debian packages of `./build.sh deb`, installed into a
# throwaway root with dpkg -x (no change to this machine), then used as an
# installed system would use them:
#   - the packages hold what Debian's nginx modules hold: the .so in
#     /usr/lib/nginx/modules, mod-http-recsys.conf in modules-available
#     loading it, the nginx ABI dependency, the postinst linking it into
#     modules-enabled (dh_nginx's way); recsys-build with its man page,
#     systemd units, defaults and logrotate file;
#   - the modules-enabled link the postinst makes (made here under the
#     throwaway root), `nginx -t` on a configuration that loads modules the
#     way Debian's nginx.conf does (include modules-enabled/*.conf, paths
#     relative to a prefix whose modules/ is the packaged directory) and
#     the packaged example site, with its port and model path changed;
#   - the packaged recsys-build makes the model, that nginx serves
#     /recommend from it, and `recsys-build --version` gives VERSION.
# Skipped when build/deb holds no packages (`./build.sh deb` makes them:
# minutes of work, so it is not part of `./build.sh test`).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use HTTP::Tiny;
use Test::More;
use RecsysTest qw(tmpdir write_file free_port);

*run_cmd = \&RecsysTest::run_cmd;

my $root = RecsysTest::repo_root();
my $version = RecsysTest::slurp("$root/VERSION") // '';
chomp $version;
my $debs = $ENV{RECSYS_DEB_DIR} || "$root/build/deb";
my %deb = map { $_ => "$debs/${_}_${version}_" . `dpkg --print-architecture` =~ s/\s+//r . '.deb' }
          qw(libnginx-mod-http-recsys recsys-build);
plan skip_all => "no packages in $debs (./build.sh deb makes them)"
    if grep { !-f } values %deb;

my $tmp = tmpdir();
my $sys = "$tmp/root";
for my $p (sort keys %deb) {
    my ($rc, undef, $err) = run_cmd(60, 'dpkg-deb', '-x', $deb{$p}, $sys);
    is($rc, 0, "dpkg-deb -x $p") or diag $err;
}

sub field {
    my ($p, $f) = @_;
    my (undef, $out) = run_cmd(30, 'dpkg-deb', '-f', $deb{$p}, $f);
    chomp $out;
    return $out;
}

sub control_file {
    my ($p, $name) = @_;
    my $dir = "$tmp/control-$p";
    run_cmd(30, 'dpkg-deb', '-e', $deb{$p}, $dir) unless -d $dir;
    return RecsysTest::slurp("$dir/$name") // '';
}

# what the module package holds
my $so = "$sys/usr/lib/nginx/modules/ngx_http_recsys_module.so";
ok(-f $so, 'the module in /usr/lib/nginx/modules');
my $conf = RecsysTest::slurp("$sys/usr/share/nginx/modules-available/mod-http-recsys.conf") // '';
is($conf, "load_module modules/ngx_http_recsys_module.so;\n",
   'mod-http-recsys.conf in modules-available loads it');
my $abi = RecsysTest::slurp('/usr/share/nginx/src/debian/libnginx-mod.abisubstvars') // '';
my ($want_abi) = $abi =~ /^nginx:abi=(\S+)/m;
like(field('libnginx-mod-http-recsys', 'Depends'), qr/(^|, )\Q$want_abi\E(,|$)/,
     "depends on this nginx's ABI ($want_abi)");
my $postinst = control_file('libnginx-mod-http-recsys', 'postinst');
like($postinst, qr{ln -sf /usr/share/nginx/modules-available/\$from\s*\\\s*/etc/nginx/modules-enabled/\$to},
     'postinst links modules-available into modules-enabled');
my ($pair) = $postinst =~ /for confpair in (\S+)/;
is($pair, 'mod-http-recsys.conf:50-mod-http-recsys.conf',
   'as 50-mod-http-recsys.conf');
like(control_file('libnginx-mod-http-recsys', 'postrm'),
     qr{rm /etc/nginx/modules-enabled/\$to}, 'postrm removes the link on purge');
my $example = "$sys/usr/share/doc/libnginx-mod-http-recsys/examples/recsys.conf";
ok(-f $example, 'the example site configuration');
ok(-f "$sys/usr/share/doc/libnginx-mod-http-recsys/README.md.gz", 'the README');

# what the builder package holds
my $bin = "$sys/usr/bin/recsys-build";
ok(-x $bin, 'recsys-build in /usr/bin');
my (undef, $v) = run_cmd(10, $bin, '--version');
like($v, qr/^recsys-build \Q$version\E \(model format \d+\)$/m,
     "--version gives VERSION ($version)");
my (undef, $man) = run_cmd(10, 'sh', '-c',
                           "zcat '$sys/usr/share/man/man1/recsys-build.1.gz'");
like($man, qr/^\.TH RECSYS-BUILD "1"/m, 'the man page');
like($man, qr/fetch URL \\-\\-out PATH/, 'the man page has help fetch');
like($man, qr/\\-\\-interactions FILE/, 'the man page has help build');
for my $u (qw(recsys-build.service recsys-build.timer recsys-fetch.service
              recsys-fetch.timer)) {
    ok(-f "$sys/lib/systemd/system/$u", "systemd unit $u");
}
like(RecsysTest::slurp("$sys/lib/systemd/system/recsys-fetch.service") // '',
     qr{^ExecStart=/usr/bin/recsys-build fetch \$\{RECSYS_FETCH_URL\} --out \$\{RECSYS_FETCH_OUT\}}m,
     'the fetch service runs recsys-build fetch');
ok(-x "$sys/usr/libexec/recsys-build/rebuild", 'the rebuild script');
ok(-f "$sys/etc/default/$_", "/etc/default/$_") for qw(recsys-build recsys-fetch);
like(RecsysTest::slurp("$sys/etc/logrotate.d/recsys-build") // '',
     qr{^/var/log/recsys/events\.log \{}m, 'the logrotate file');

# the postinst's link, under the throwaway root
mkdir "$sys/etc/nginx";
mkdir "$sys/etc/nginx/modules-enabled";
symlink "$sys/usr/share/nginx/modules-available/mod-http-recsys.conf",
        "$sys/etc/nginx/modules-enabled/50-mod-http-recsys.conf"
    or die "symlink: $!";

# a model made by the packaged builder, with its rebuild script
my ($rc, $out, $err) = run_cmd(120, $bin, 'gen', '--out', "$tmp/data",
                               '--users', 300, '--items', 200,
                               '--events', 8000, '--series', 5,
                               '--bundles', 5);
is($rc, 0, 'packaged recsys-build gen') or diag $err;
mkdir "$tmp/lib";
{
    local $ENV{RECSYS_INTERACTIONS} = "$tmp/data/interactions.csv";
    local $ENV{RECSYS_ITEMS} = "$tmp/data/items.csv";
    local $ENV{RECSYS_OUT} = "$tmp/lib/model.mdb";
    local $ENV{RECSYS_BUILD_ARGS} = '--model-id packaged-1';
    local $ENV{PATH} = "$sys/usr/bin:$ENV{PATH}";
    # the script calls /usr/bin/recsys-build: run it with the extracted one
    my $script = RecsysTest::slurp("$sys/usr/libexec/recsys-build/rebuild");
    $script =~ s{/usr/bin/recsys-build}{$bin}g;
    write_file("$tmp/rebuild", $script);
    ($rc, $out, $err) = run_cmd(120, 'sh', "$tmp/rebuild");
}
is($rc, 0, 'the rebuild script builds') or diag $err;
ok(-f "$tmp/lib/model.mdb" && -f "$tmp/lib/model.mdb.manifest.json",
   'the model and its manifest are published');

# nginx as Debian's nginx.conf loads modules, with the example site
my $port = free_port();
my $site = RecsysTest::slurp($example);
$site =~ s/listen 8080;/listen 127.0.0.1:$port;/ or die 'example: no listen 8080';
$site =~ s/^\s*listen \[::\]:8080;\n//m;
$site =~ s{/var/lib/recsys/model\.mdb}{$tmp/lib/model.mdb} or die 'example: no model';
write_file("$tmp/site.conf", $site);
mkdir "$tmp/prefix";
symlink "$sys/usr/lib/nginx/modules", "$tmp/prefix/modules" or die "symlink: $!";
my $user = $> == 0 ? 'user root;' : '';
write_file("$tmp/nginx.conf", <<"EOF");
$user
pid $tmp/nginx.pid;
error_log $tmp/error.log;
include $sys/etc/nginx/modules-enabled/*.conf;
events { worker_connections 64; }
http {
    access_log off;
@{[ join '', map { "    $_ $tmp/$_;\n" } RecsysTest::temp_path_directives() ]}
    include $tmp/site.conf;
}
EOF
my @nginx = (RecsysTest::nginx_bin(), '-p', "$tmp/prefix/", '-c', "$tmp/nginx.conf",
             '-e', "$tmp/error.log");
($rc, $out, $err) = run_cmd(30, @nginx, '-t');
is($rc, 0, 'nginx -t with the module enabled through modules-enabled')
    or diag $err;

($rc, $out, $err) = run_cmd(30, @nginx);
is($rc, 0, 'nginx starts') or diag $err;
my $http = HTTP::Tiny->new(timeout => 10);
my $res;
for (1 .. 50) {
    $res = $http->get("http://127.0.0.1:$port/recommend?user=u00001&n=3");
    last if $res->{status} == 200;
    select undef, undef, undef, 0.1;
}
is($res->{status}, 200, 'the example site answers /recommend')
    or diag $res->{content};
like($res->{content}, qr/"model":"packaged-1"/,
     'from the model the packaged builder made');
run_cmd(30, @nginx, '-s', 'quit');
for (1 .. 100) {
    last unless -e "$tmp/nginx.pid";
    select undef, undef, undef, 0.05;
}
ok(!-e "$tmp/nginx.pid", 'nginx stopped');

done_testing();
