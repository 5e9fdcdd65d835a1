#!/usr/bin/perl

# 72-not-regular: a FIFO at the model path or at the overrides path is
# refused without blocking the worker.  One worker serves /recommend (a
# good model, an overrides file) and /missing (no model yet); a FIFO is
# made at the missing model's path and at the overrides path, and after a
# reload interval both locations must go on answering in time (/missing its
# JSON 503, /recommend 200 with the same items as before), and error.log
# must say that each path is not a regular file.  A reader that opened the
# FIFO with a blocking open() would hold the worker in its event loop: the
# requests would time out.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use HTTP::Tiny;
use POSIX qw(mkfifo);
use Test::More;
use Time::HiRes qw(sleep);
use RecsysTest qw(builder build_model tmpdir write_file decode_json_strict);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, undef, $err) = builder('gen', '--out', "$tmp/g", '--users', 100,
                                '--items', 300, '--events', 3000,
                                '--seed', 7);
die "gen: $err" if $rc;

my $model = build_model(interactions => "$tmp/g/interactions.csv",
                        items => "$tmp/g/items.csv", out => "$tmp/m.mdb",
                        model_id => 'fifo-1');
my $ovr = "$tmp/overrides.txt";
my $missing = "$tmp/missing.mdb";
write_file($ovr, "hide v00001\n");

my $srv = RecsysTest::start_nginx(locations =>
    RecsysTest::recsys_locations(
        ['/recommend', $model, "recsys_overrides $ovr",
         'recsys_reload_interval 200ms'],
        ['/missing', $missing, 'recsys_reload_interval 200ms']));

# a client that gives up long before a blocked worker would answer
my $http = HTTP::Tiny->new(timeout => 3);

sub get {
    my ($path) = @_;
    my $res = $http->get($srv->url($path));
    my $d = $res->{status} == 599 ? undef
          : eval { decode_json_strict($res->{content}, $path) };
    return ($res, $d);
}

my ($res, $before) = get('/recommend?user=u00003&n=5');
is($res->{status}, 200, 'before: /recommend 200');

# the overrides path first, then the model path: each on its own
unlink $ovr or die "unlink $ovr: $!";
mkfifo($ovr, 0644) or die "mkfifo $ovr: $!";
sleep 0.5;

for my $round (1, 2) {
    my ($r, $rd) = get('/recommend?user=u00003&n=5');
    is($r->{status}, 200, "FIFO overrides, round $round: /recommend 200")
        or diag $r->{content};
    is_deeply($rd, $before,
              "FIFO overrides, round $round: the previous rules still apply");
    sleep 0.3;
}

mkfifo($missing, 0644) or die "mkfifo $missing: $!";
sleep 0.5;

for my $round (1, 2) {
    my ($m, $md) = get('/missing?n=1');
    is($m->{status}, 503, "FIFO model, round $round: /missing answers 503")
        or diag $m->{content};
    is(ref $md eq 'HASH' ? $md->{error} : undef, 'unavailable',
       "FIFO model, round $round: JSON error unavailable");

    my ($r) = get('/recommend?user=u00003&n=5');
    is($r->{status}, 200, "FIFO model, round $round: /recommend 200");
    sleep 0.3;
}

my $log = $srv->error_log;
like($log, qr/model "\Q$missing\E" refused: [^\n]*not a regular file/,
     'error.log: the FIFO model is not a regular file');
like($log, qr/overrides "\Q$ovr\E" refused: not a regular file/,
     'error.log: the FIFO overrides file is not a regular file');

$srv->finish;

done_testing();
