#!/usr/bin/perl

# 19-corrupt-publish: damaged model files published under load.  Two
# workers serve a good model while a request loop asks for known users;
# variants of the same file are renamed over the live path one after the
# other, each live for a few reload intervals: cut at many offsets (what an
# interrupted copy leaves), a meta page, a data page or the seal with
# flipped bytes, a zeroed page, a page of zeros added, and files of other
# kinds (empty, random bytes, text).  RECSYS_FAULT_VARIANTS=200
# RECSYS_FAULT_LIVE=1 makes it the long run: 200 files, each live for a
# second.  `recsys-build inspect` must refuse each with a message (exit 1,
# never a signal).  Every one must be refused with a log line, no worker
# may die (no "exited on signal" in the log), every
# request must answer 200 from the good model, and a second good model
# published at the end must be served within a few reload intervals.  The
# corruptions LMDB itself cannot survive are made here byte by byte, not
# by the code under test; the C unit test test_verify adds thousands of
# resealed structural ones.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(time sleep);
use RecsysTest qw(build_model builder tmpdir write_file publish
                  decode_json_strict);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, undef, $err) = builder('gen', '--out', "$tmp/data", '--users', 400,
                                '--items', 600, '--events', 12000);
die "gen: $err" if $rc;

for my $id (qw(good1 good2)) {
    build_model(interactions => "$tmp/data/interactions.csv",
                items => "$tmp/data/items.csv",
                out => "$tmp/$id.mdb", model_id => $id);
}

my $good = RecsysTest::slurp("$tmp/good1.mdb");
my $size = length $good;
my $page = 4096;
my $live = "$tmp/model.mdb";

my @inspect_bad;

sub put {
    my ($name, $bytes) = @_;
    write_file("$tmp/stage.mdb", $bytes);
    if ($name !~ /^good/) {
        my ($rc, undef, $err) = builder('inspect', "$tmp/stage.mdb", 'stats');
        push @inspect_bad, "$name: exit $rc: $err"
            if $rc != 1 || $err !~ /^recsys-build: \S/;
    }
    publish("$tmp/stage.mdb", $live);
}

# the variants, each (name, bytes): RECSYS_FAULT_VARIANTS of them (default
# 32), each kind in turn at a fresh random place
my $count = $ENV{RECSYS_FAULT_VARIANTS} || 32;
my @kinds = (
    sub { my $cut = int rand $size; ["cut at $cut", substr($good, 0, $cut)] },
    sub { my $cut = $size - 64 - int rand 4096;
          ["cut at $cut", substr($good, 0, $cut)] },
    sub { my $v = $good; my $off = int rand(2 * $page);
          substr($v, $off, 1) = chr(ord(substr($v, $off, 1)) ^ 0xff);
          ["meta byte $off flipped", $v] },
    sub { my $v = $good; my $off = 2 * $page + int rand($size - 2 * $page - 64);
          substr($v, $off, 1) = chr(ord(substr($v, $off, 1)) ^ 0x10);
          ["byte $off flipped", $v] },
    sub { my $v = $good; my $p = 2 + int rand(int(($size - 64) / $page) - 2);
          substr($v, $p * $page, $page) = "\0" x $page; ["page $p zeroed", $v] },
    sub { ["a page added", substr($good, 0, $size - 64) . ("\0" x $page)
                           . substr($good, $size - 64)] },
    sub { my $v = $good; my $off = $size - 64 + int rand 64;
          substr($v, $off, 1) = chr(ord(substr($v, $off, 1)) ^ 0x01);
          ["seal byte $off flipped", $v] },
    sub { ["empty", ''] },
    sub { ["random bytes", join '', map { chr rand 256 } 1 .. 50_000] },
    sub { ["text", "user,item\n" x 1000] },
);
srand(17);
my @variants = map { $kinds[$_ % @kinds]->() } 0 .. $count - 1;

my $interval = 0.1;
my $live_for = $ENV{RECSYS_FAULT_LIVE} || 3 * $interval;   # seconds each
put('good', $good);

my $srv = RecsysTest::start_nginx(workers => 2, locations => <<"EOF2");
        location /recommend {
            recsys;
            recsys_model $live;
            recsys_reload_interval 100ms;
        }
EOF2

my @users = map { sprintf 'u%05d', $_ } 1 .. 50;

# the load: a child asking for known users until told to stop (bounded)
my $stop = "$tmp/stop";
my $report = "$tmp/load";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    my ($n, $bad, %models) = (0, 0);
    my $deadline = time + 60 + $count * $live_for * 2;
    my $http = HTTP::Tiny->new(timeout => 5, keep_alive => 1);
    my $slow = 0;
    while (!-e $stop && time < $deadline) {
        my $u = $users[$n % @users];
        my $t0 = time;
        my $r = $http->get($srv->url("/recommend?user=$u&n=5"));
        $slow = time - $t0 if time - $t0 > $slow;
        $n++;
        if ($r->{status} != 200) { $bad++; next }
        my ($id) = $r->{content} =~ /"model":"([^"]*)"/;
        $models{$id // '?'}++;
    }
    open my $fh, '>', $report or _exit(1);
    print {$fh} join(' ', $n, $bad, sprintf('%.3f', $slow),
                     map { "$_=$models{$_}" } sort keys %models), "\n";
    close $fh;
    _exit(0);
}

sleep 3 * $interval;
for my $v (@variants) {
    put($v->[0], $v->[1]);
    sleep $live_for;
}

# a new good model comes back and is served within a few intervals
put('good2', RecsysTest::slurp("$tmp/good2.mdb"));
my $t0 = time;
my $seen = 0;
while (time - $t0 < 20 * $interval) {
    my $r = $srv->get('/recommend?user=u00001');
    if ($r->{status} == 200 && $r->{content} =~ /"model":"good2"/) {
        # both workers: a few more answers all from good2
        $seen = 1;
        last;
    }
    sleep 0.02;
}
ok($seen, 'a good model published after the damaged ones is served')
    or diag($srv->error_log);
sleep 3 * $interval;

write_file($stop, '');
waitpid $pid, 0;
my ($n, $bad, $slow, @models) = split ' ', RecsysTest::slurp($report) // '';

ok($n > 100, "the load sent $n requests") or diag(RecsysTest::slurp($report));
is($bad, 0, 'no request failed while damaged files were published');
ok(!grep({ !/^good[12]=/ } @models), "answers came from the good models only (@models)");
cmp_ok($slow, '<', 1, "no request waited a second or more (slowest $slow s)");

is(scalar @inspect_bad, 0, 'recsys-build inspect refused each damaged file '
   . 'with a message (exit 1)') or diag join "\n", @inspect_bad;

my $log = $srv->error_log;
my $refused = () = $log =~ /model "\Q$live\E" refused/g;
cmp_ok($refused, '>=', scalar @variants,
       "each damaged file refused with a log line ($refused lines, "
       . scalar(@variants) . " files, two workers)");
unlike($log, qr/exited on signal|\[alert\]/, 'no worker died');
$srv->expect_log(qr/refused/);
$srv->finish;

done_testing();
