#!/usr/bin/perl

# 48-fetch: models travel from an origin to an edge with `recsys-build
# fetch`.  The origin is a plain static nginx serving the directory the
# builder publishes into (model.mdb and model.mdb.manifest.json); the edge
# is an nginx with the module serving its own copy.  A request loop asks
# the edge for a known user the whole time.
#   - 20 successive publishes each reach the edge: fetch says it installed
#     the new id, and the edge answers with it within a few reload
#     intervals;
#   - an unchanged origin is answered 304 to the stored ETag (the origin's
#     log shows the If-None-Match) and nothing is downloaded;
#   - a truncated file, a wrong digest, a newer format version (refused
#     before the model is asked for), a file that is not a model, and an
#     origin that closes the connection mid-transfer each make fetch exit
#     1 with a message naming the problem, leave the edge's file as it was
#     (same digest, no PATH.fetch left) and the edge serving the previous
#     model;
#   - a missing manifest and a missing model whose 404 error page is larger
#     than fetch accepts are reported by their HTTP status;
#   - a directory in the way of PATH.manifest.json makes fetch exit 1 with
#     PATH unchanged; a manifest that cannot be stored after the model's
#     rename (ENOSPC injected by strace, when installed) makes it exit 1
#     saying PATH holds the new model, with no stale record left, and the
#     next fetch downloads the model again;
#   - of two overlapping fetches, the one held (by strace) between opening
#     PATH.fetch and locking it, while the other installs that very file,
#     never writes into the live model, and no worker dies;
#   - a manifest staged by a builder killed before its rename is removed by
#     the next build;
#   - the request loop saw 0 failed requests, and only published ids.
# Digests are computed here with Perl's Digest::SHA, sizes with -s.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time sleep);
use RecsysTest qw(build_model builder tmpdir write_file free_port);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/data", '--users', 300,
                               '--items', 200, '--events', 8000,
                               '--series', 5, '--bundles', 5);
die "gen: $err" if $rc;

my $odir = "$tmp/origin";
my $edir = "$tmp/edge";
mkdir $_ or die "mkdir $_: $!" for $odir, $edir;
my $live = "$edir/model.mdb";

# /gone/ holds nothing and /half/ only a manifest; both answer a miss with
# an error page of twice the 4096 bytes a manifest may take
my $big_page = 'x' x 8191 . "\n";
mkdir $_ or die "mkdir $_: $!" for "$tmp/gone", "$tmp/half", "$tmp/pages";
write_file("$tmp/pages/big404.html", $big_page);

sub publish_model {
    my ($id) = @_;
    build_model(interactions => "$tmp/data/interactions.csv",
                items => "$tmp/data/items.csv",
                out => "$odir/model.mdb", model_id => $id);
}

my $origin = RecsysTest::start_nginx(
    http => "    log_format fetch '\$request \$status [\$http_if_none_match]';",
    locations => "        location /m/ {\n"
               . "            alias $odir/;\n"
               . "            access_log $tmp/origin.log fetch;\n"
               . "        }\n"
               . "        location /gone/ {\n"
               . "            alias $tmp/gone/;\n"
               . "            error_page 404 /big404.html;\n"
               . "        }\n"
               . "        location /half/ {\n"
               . "            alias $tmp/half/;\n"
               . "            error_page 404 /big404.html;\n"
               . "        }\n"
               . "        location = /big404.html {\n"
               . "            root $tmp/pages;\n"
               . "            internal;\n"
               . "        }\n");
my $url = $origin->url('/m/model.mdb');

my $edge = RecsysTest::start_nginx(
    workers => 2,
    locations => RecsysTest::recsys_locations(
        ['/recommend', $live, 'recsys_reload_interval 100ms']));

sub fetch {
    my ($from) = @_;
    return builder('fetch', $from // $url, '--out', $live);
}

sub served_id {
    my $res = $edge->get('/recommend?user=u00001&n=3');
    return undef unless $res->{status} == 200;
    my $d = eval { decode_json($res->{content}) };
    return $d ? $d->{model} : undef;
}

sub wait_served {
    my ($id) = @_;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $got = served_id() // '';
        return 1 if $got eq $id;
        sleep 0.05;
    }
    return 0;
}

sub origin_log { RecsysTest::slurp("$tmp/origin.log") // '' }

# the first model
publish_model('pub-0');
($rc, $out, $err) = fetch();
is($rc, 0, 'first fetch: exit 0') or diag $err;
like($out, qr/now holds model pub-0/, 'first fetch: says which model');
is(sha256_hex(RecsysTest::slurp($live)),
   sha256_hex(RecsysTest::slurp("$odir/model.mdb")),
   'first fetch: the edge file is the origin file');
ok(wait_served('pub-0'), 'the edge serves pub-0');
ok(-s "$live.etag", 'the ETag is stored beside the model');

# the request loop: counts answers that are not 200 and the ids seen
my $result = "$tmp/loop.result";
my $stop = "$tmp/loop.stop";
my $loop = fork // die "fork: $!";
if ($loop == 0) {
    my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 1);
    my ($ok, $bad, %ids) = (0, 0);
    my $u = 1;
    while (!-e $stop) {
        my $user = sprintf 'u%05d', $u++ % 300 + 1;
        my $res = $http->get($edge->url("/recommend?user=$user&n=5"));
        my $d = $res->{status} == 200
                ? eval { decode_json($res->{content}) } : undef;
        if ($d && $d->{model}) { $ok++; $ids{ $d->{model} }++ }
        else { $bad++ }
    }
    write_file($result, join("\n", "$ok $bad", sort keys %ids) . "\n");
    _exit(0);
}

# an unchanged origin: 304 to the stored ETag, nothing downloaded
my $before = origin_log();
($rc, $out, $err) = fetch();
is($rc, 0, 'unchanged origin: exit 0') or diag $err;
like($out, qr/up to date/, 'unchanged origin: up to date');
my $new = substr origin_log(), length $before;
like($new, qr{^GET /m/model\.mdb\.manifest\.json HTTP/1\.1 304 \[\S+\]$}m,
     'unchanged origin: the manifest asked with If-None-Match, 304');
unlike($new, qr{GET /m/model\.mdb HTTP}, 'unchanged origin: no download');

# 20 publishes
my ($reached, $slowest) = (0, 0);
for my $i (1 .. 20) {
    publish_model("pub-$i");
    my $t0 = time;
    ($rc, $out, $err) = fetch();
    if ($rc == 0 && $out =~ /now holds model pub-$i\b/ && wait_served("pub-$i")) {
        $reached++;
        $slowest = time - $t0 if time - $t0 > $slowest;
    } else {
        diag "publish $i: exit $rc: $out$err";
    }
}
is($reached, 20, '20 publishes reach the edge');
note sprintf 'slowest publish: %.2f s from fetch start to the edge serving it',
             $slowest;

# a manifest staged by a builder that died before its rename is removed by
# the next build, as its temporary model is
my $dead = fork // die "fork: $!";
_exit(0) if $dead == 0;
waitpid $dead, 0;
write_file("$odir/model.mdb.manifest.json.tmp.$dead", '{}');
publish_model('pub-20');
ok(!-e "$odir/model.mdb.manifest.json.tmp.$dead",
   'a dead builder\'s staged manifest is removed by the next build');

# the failures: each must leave the edge's file and answers alone
my $good_sha = sha256_hex(RecsysTest::slurp($live));

sub refused {
    my ($name, $want, $from) = @_;
    my ($rc, $out, $err) = fetch($from);
    is($rc, 1, "$name: exit 1") or diag "$out$err";
    like($err, $want, "$name: the message says why");
    like($err, qr/\Q$live\E is unchanged/, "$name: says the model is kept");
    is(sha256_hex(RecsysTest::slurp($live) // ''), $good_sha,
       "$name: the edge file is unchanged");
    ok(!-e "$live.fetch", "$name: no temporary file left");
    sleep 0.3;
    is(served_id(), 'pub-20', "$name: the edge serves pub-20");
}

sub manifest {
    return decode_json(RecsysTest::slurp("$odir/model.mdb.manifest.json"));
}

# an edited manifest gets a modification time of its own, as the builder
# gives each it writes (a static server's ETag is size and whole seconds)
my $stamp = time + 1000;

sub put_manifest {
    my ($m) = @_;
    my $path = "$odir/model.mdb.manifest.json";
    write_file($path, JSON::PP->new->canonical->encode($m) . "\n");
    $stamp++;
    utime $stamp, $stamp, $path or die "utime $path: $!";
}

# a truncated file: the origin's model cut in half
publish_model('bad-1');
my $full = RecsysTest::slurp("$odir/model.mdb");
write_file("$odir/model.mdb", substr($full, 0, length($full) / 2));
refused('truncated download',
        qr/truncated: \d+ of the ${\ length $full} bytes/);

# a wrong checksum
publish_model('bad-2');
my $m = manifest();
$m->{sha256} =~ s/^(.)/$1 eq '0' ? '1' : '0'/e;
put_manifest($m);
refused('wrong checksum', qr/sha256 [0-9a-f]{64}, but the manifest gives/);

# a newer format: refused before the model is asked for
publish_model('bad-3');
$m = manifest();
$m->{format_version}++;
put_manifest($m);
$before = origin_log();
refused('newer format version',
        qr/model format $m->{format_version} is newer than this host reads/);
$new = substr origin_log(), length $before;
like($new, qr{GET /m/model\.mdb\.manifest\.json HTTP/1\.1 200},
     'newer format: the manifest was read');
unlike($new, qr{GET /m/model\.mdb HTTP}, 'newer format: no download');

# a file that is not a model, with a manifest that describes it exactly
my $junk = 'not a model ' x 1000;
write_file("$odir/model.mdb", $junk);
$m->{format_version}--;
$m->{size} = length $junk;
$m->{sha256} = sha256_hex($junk);
put_manifest($m);
refused('not a model', qr/not a valid model/);

# a missing manifest and a missing model, each answered 404 with an error
# page larger than the 4096 bytes a manifest may take and than the model's
# size: the HTTP status is what is reported
is(length $big_page, 8192, 'the origin\'s error page is 8192 bytes');
my $gone = $origin->url('/gone/model.mdb');
refused('missing manifest, large error page',
        qr{GET \Q$gone.manifest.json\E: HTTP status 404;}, $gone);
$m = manifest();
$m->{size} = 100;
write_file("$tmp/half/model.mdb.manifest.json",
           JSON::PP->new->canonical->encode($m) . "\n");
my $half = $origin->url('/half/model.mdb');
refused('missing model, large error page',
        qr{GET \Q$half\E: HTTP status 404;}, $half);

# an origin that closes the connection mid-transfer
publish_model('bad-4');
my $body = RecsysTest::slurp("$odir/model.mdb");
my $mbody = RecsysTest::slurp("$odir/model.mdb.manifest.json");
my $fport = free_port();
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $fport, Listen => 5,
                                   ReuseAddr => 1, Proto => 'tcp')
    or die "listen: $!";
my $fake = fork // die "fork: $!";
if ($fake == 0) {
    while (my $c = $listen->accept) {
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            sysread($c, $req, 4096, length $req) or last;
        }
        if ($req =~ m{^GET \S+\.manifest\.json }) {
            print {$c} "HTTP/1.1 200 OK\r\nContent-Length: "
                . length($mbody) . "\r\nETag: \"m\"\r\n"
                . "Connection: close\r\n\r\n$mbody";
        } else {
            print {$c} "HTTP/1.1 200 OK\r\nContent-Length: " . length($body)
                . "\r\nConnection: close\r\n\r\n"
                . substr($body, 0, length($body) / 3);
        }
        close $c;
    }
    _exit(0);
}
close $listen;
refused('origin closes mid-transfer', qr/GET \S+: .*(closed|remaining)/i,
        "http://127.0.0.1:$fport/m/model.mdb");
kill 'TERM', $fake;
waitpid $fake, 0;

# a good model after all that
publish_model('pub-21');
($rc, $out, $err) = fetch();
is($rc, 0, 'after the failures a good model is fetched') or diag $err;
ok(wait_served('pub-21'), 'and served');

# PATH.manifest.json is a directory: the record of the model in place
# cannot be replaced, so the new model is not installed either
publish_model('pub-22');
$good_sha = sha256_hex(RecsysTest::slurp($live));
unlink "$live.manifest.json" or die "unlink: $!";
mkdir "$live.manifest.json" or die "mkdir: $!";
($rc, $out, $err) = fetch();
is($rc, 1, 'manifest path is a directory: exit 1') or diag "$out$err";
like($err,
     qr/\Q$live.manifest.json\E: Is a directory; \Q$live\E is unchanged/,
     'manifest path is a directory: names it, and the model is kept');
is(sha256_hex(RecsysTest::slurp($live)), $good_sha,
   'manifest path is a directory: the edge file is unchanged');
ok(!-e "$live.fetch", 'manifest path is a directory: no temporary file left');
sleep 0.3;
is(served_id(), 'pub-21', 'manifest path is a directory: pub-21 served');
rmdir "$live.manifest.json" or die "rmdir: $!";
($rc, $out, $err) = fetch();
like($out, qr/now holds model pub-22\b/,
     'the directory removed, the next fetch installs pub-22') or diag $err;
ok(wait_served('pub-22'), 'and serves it');

# the manifest cannot be stored once the model is in place (the rename of
# the staged manifest fails: strace injects ENOSPC into the second rename
# of the run, the model's being the first): the message says so, no stale
# record describes the file, and the next fetch downloads it again
my $strace = (grep { -x "$_/strace" } split /:/, $ENV{PATH})[0];
# a sanitizer build's leak check cannot run under ptrace: off for the
# fetches strace holds (the later option wins)
my $asan_traced = join ':', grep { length } $ENV{ASAN_OPTIONS} // '',
                                           'detect_leaks=0';
SKIP: {
    skip 'strace is not installed', 15 unless defined $strace;
    local $ENV{ASAN_OPTIONS} = $asan_traced;
    publish_model('pub-23');
    my $sys = 'rename,renameat,renameat2';
    ($rc, $out, $err) = RecsysTest::run_cmd(120, "$strace/strace", '-f',
        '-o', '/dev/null', '-e', "trace=$sys",
        '-e', "inject=$sys:error=ENOSPC:when=2",
        RecsysTest::builder_path(), 'fetch', $url, '--out', $live);
    is($rc, 1, 'manifest not stored after the rename: exit 1')
        or diag "$out$err";
    is($err, "recsys-build: fetch: writing $live.manifest.json: No space "
             . "left on device; $live holds the new model, but not its "
             . "manifest: the next fetch downloads it again\n",
       'manifest not stored after the rename: says the model is in place');
    is(sha256_hex(RecsysTest::slurp($live)),
       sha256_hex(RecsysTest::slurp("$odir/model.mdb")),
       'manifest not stored after the rename: the edge file is the new one');
    ok(!-e "$live.manifest.json" && !-e "$live.etag",
       'manifest not stored after the rename: no record of the old model');
    ok(!-e "$live.fetch",
       'manifest not stored after the rename: no temporary file left');
    ok(wait_served('pub-23'), 'manifest not stored after the rename: served');
    $before = origin_log();
    ($rc, $out, $err) = fetch();
    is($rc, 0, 'the next fetch: exit 0') or diag $err;
    like(substr(origin_log(), length $before),
         qr{GET /m/model\.mdb HTTP/1\.1 200},
         'the next fetch downloads the model again');
    is(RecsysTest::slurp("$live.manifest.json"),
       RecsysTest::slurp("$odir/model.mdb.manifest.json"),
       'the next fetch stores the manifest');

    # the third rename, the ETag's, fails: the manifest is stored, and the
    # next fetch reads it in full and downloads nothing
    publish_model('pub-24');
    ($rc, $out, $err) = RecsysTest::run_cmd(120, "$strace/strace", '-f',
        '-o', '/dev/null', '-e', "trace=$sys",
        '-e', "inject=$sys:error=ENOSPC:when=3",
        RecsysTest::builder_path(), 'fetch', $url, '--out', $live);
    is($rc, 1, 'ETag not stored after the rename: exit 1') or diag "$out$err";
    is($err, "recsys-build: fetch: writing $live.etag: No space left on "
             . "device; $live holds the new model and its manifest, but not "
             . "its ETag: the next fetch reads the manifest in full\n",
       'ETag not stored after the rename: says what is in place');
    ok(-e "$live.manifest.json" && !-e "$live.etag",
       'ETag not stored after the rename: the manifest only');
    $before = origin_log();
    ($rc, $out, $err) = fetch();
    like($out, qr/up to date/, 'the next fetch: up to date') or diag $err;
    unlike(substr(origin_log(), length $before), qr{GET /m/model\.mdb HTTP},
           'the next fetch: no download');
    ok(-s "$live.etag", 'the next fetch stores the ETag');
}

# two overlapping fetches: B opens PATH.fetch and is held before its flock
# (strace delays that call 3 s); meanwhile A locks the same file, downloads
# pub-25 into it and renames it over PATH; then the origin's file becomes
# pub-26 (its manifest still pub-25's).  B's lock is on the live model now:
# B must not write into it, but lock a PATH.fetch of its own, whose
# download then fails on the manifest's size or digest
SKIP: {
    skip 'strace is not installed', 7 unless defined $strace;
    local $ENV{ASAN_OPTIONS} = $asan_traced;
    publish_model('pub-25');
    my $spare = build_model(interactions => "$tmp/data/interactions.csv",
                            items => "$tmp/data/items.csv",
                            model_id => 'pub-26');
    my $b = fork // die "fork: $!";
    if ($b == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$tmp/b.out" or _exit(126);
        open STDERR, '>', "$tmp/b.err" or _exit(126);
        exec "$strace/strace", '-f', '-o', '/dev/null', '-e', 'trace=flock',
             '-e', 'inject=flock:delay_enter=3000000:when=1',
             RecsysTest::builder_path(), 'fetch', $url, '--out', $live
            or _exit(127);
    }
    my $deadline = time + 10;
    sleep 0.01 until -e "$live.fetch" || time > $deadline;
    ok(-e "$live.fetch", 'overlapping fetches: B has opened PATH.fetch');
    ($rc, $out, $err) = fetch();
    like($out, qr/now holds model pub-25\b/,
         'overlapping fetches: A installs pub-25') or diag $err;
    my $a_sha = sha256_hex(RecsysTest::slurp($live));
    rename $spare, "$odir/model.mdb" or die "rename: $!";
    waitpid $b, 0;
    my $b_err = RecsysTest::slurp("$tmp/b.err") // '';
    note "B: $b_err";
    is($? >> 8, 1, 'overlapping fetches: B exits 1') or diag $b_err;
    my $why = qr/truncated|sha256|more than/;
    like($b_err, qr/GET \Q$url\E: (?:$why).*; \Q$live\E is unchanged$/m,
         'overlapping fetches: B fails on the download') or diag $b_err;
    is(sha256_hex(RecsysTest::slurp($live)), $a_sha,
       'overlapping fetches: the live model is A\'s, unwritten by B');
    ok(!-e "$live.fetch", 'overlapping fetches: no temporary file left');
    ok(wait_served('pub-25'), 'overlapping fetches: pub-25 served');
}

write_file($stop, '');
waitpid $loop, 0;
my ($counts, @ids) = split /\n/, RecsysTest::slurp($result) // "0 -1\n";
my ($ok, $bad) = split / /, $counts;
is($bad, 0, 'request loop: 0 failed requests');
cmp_ok($ok, '>', 100, "request loop: $ok requests answered");
is_deeply([grep { !/^pub-\d+$/ } @ids], [],
          'request loop: only published models were served');

$edge->finish;
$origin->finish;

done_testing();
