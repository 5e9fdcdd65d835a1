#!/usr/bin/perl

# 25-events-log: recsys_event_log, the durable log of accepted events, and
# the next build reading it.
#
# Checks: the log holds the header line and one CSV line per accepted
# event (ids quoted when they hold a comma or a quote, ts as given or the
# server's time), nothing of a refused body; two workers and four clients
# posting at once leave only whole lines, as many as were accepted;
# an emptied log written by six clients at once through both workers gets
# one header (40 rounds); nginx -s reopen (USR1) after a rename starts a
# new file with its own
# header; recsys-build build with the base log and both event logs
# (--interactions three times) gives a model whose `inspect MODEL user U`
# holds the posted events with the builder's weights summed per item (by
# hand: play 1 + like 3 = 4).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use POSIX qw(_exit);
use RecsysTest qw(build_model tmpdir write_file slurp);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my $base = "$tmp/base.csv";
write_file($base, join '', "user,item,event,timestamp\n",
           map { "$_\n" } 'a1,i1,play,100', 'a1,i2,play,101',
           'a2,i2,play,102', 'a2,i3,like,103', 'a3,i1,play,104',
           'a3,i3,play,105', 'a3,i4,play,106');
my $model = build_model(interactions => $base, model_id => 'log-1');
my $log = "$tmp/events.log";

my $port2 = RecsysTest::free_port();
my $srv = RecsysTest::start_nginx(
    workers => 2,
    http => "    recsys_events zone=live:1m;\n"
            . "    recsys_model $model;\n",
    server => "        listen 127.0.0.1:$port2 reuseport;\n",
    locations => <<"EOF");
        location = /event { recsys_event; recsys_event_log $log; }
EOF

my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
my $json = JSON::PP->new->utf8->canonical;

sub post {
    my ($body) = @_;
    return $http->request('POST', "http://127.0.0.1:$port2/event",
        { content => ref $body ? $json->encode($body) : $body,
          headers => { 'content-type' => 'application/json' } })->{status};
}

my $t0 = time;
is(post([{ user => 'a1', item => 'i3', type => 'play', ts => 1000 },
         { user => 'a1', item => 'i3', type => 'like', ts => 1001 },
         { user => 'n,"1', item => 'i2', type => 'play', ts => 1002 }]),
   204, 'three events: 204');
is(post('{"user":"a1","item":"i4","type":"teleport"}'), 400,
   'an unknown type: 400');
is(post({ user => 'z9', item => 'i9', type => 'play' }), 204,
   'an event without ts: 204');
my $t1 = time;

{
    my @l = split /\n/, slurp($log) // '';
    is($l[0], 'user,item,event,timestamp', 'the header line');
    is_deeply([@l[1 .. 3]],
              ['a1,i3,play,1000', 'a1,i3,like,1001', '"n,""1",i2,play,1002'],
              'one line per event, CSV quoting where needed');
    my ($ts) = ($l[4] // '') =~ /\Az9,i9,play,(\d+)\z/;
    ok(defined $ts && $ts >= $t0 && $ts <= $t1,
       'no ts: the server\'s time') or diag $l[4];
    is(scalar @l, 5, 'nothing of the refused body');
}

# four clients at once through both workers: whole lines only
{
    my @kids;
    for my $c (1 .. 4) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            for my $k (1 .. 25) {
                post([map { { user => "c$c-$k", item => "i$_", type => 'view',
                              ts => 2000 + $_ } } 1 .. 8]) == 204
                    or _exit(1);
            }
            _exit(0);
        }
        push @kids, $pid;
    }
    my $fail = 0;
    for (@kids) { waitpid $_, 0; $fail++ if $? }
    is($fail, 0, 'four clients, 100 posts of 8 events: all 204');
    my @l = split /\n/, slurp($log);
    my @c = grep { /\Ac\d/ } @l;
    is(scalar @c, 800, '800 lines');
    is(scalar(grep { !/\Ac\d-\d+,i\d,view,200\d\z/ } @c), 0,
       'every line whole');
}

# USR1: the renamed file is kept, a new one begins.  Each worker reopens
# when the signal reaches it, so an event posted in between may still go to
# the renamed file: the events posted once the new file exists and both
# workers had a second to reopen must all be in the new file
{
    rename $log, "$log.1" or die "rename: $!";
    kill 'USR1', $srv->{pid};
    my $deadline = time + 5;
    my $ok = 0;
    while (time < $deadline) {
        post({ user => 'a2', item => 'i1', type => 'play', ts => 3000 });
        if (-s $log) { $ok = 1; last }
        select undef, undef, undef, 0.1;
    }
    ok($ok, 'after USR1 the log is a new file');
    select undef, undef, undef, 1.0;
    post({ user => 'a2', item => 'i1', type => 'play', ts => 3001 })
        for 1 .. 6;
    my @l = split /\n/, slurp($log);
    is($l[0], 'user,item,event,timestamp', 'the new file has its header');
    ok(!(grep { !/\Aa2,i1,play,300[01]\z/ } @l[1 .. $#l]),
       'and the events since');
    is(scalar(grep { $_ eq 'a2,i1,play,3001' } @l), 6,
       'the events posted after the reopen are all in the new file');
    ok(!(grep { /a2,i1,play,3001/ } split /\n/, slurp("$log.1")),
       'the renamed file has none of them');
}

$srv->finish;

# the next build: the base log and both event logs
{
    my $out = "$tmp/next.mdb";
    my ($rc, undef, $err) = RecsysTest::builder(
        'build', '--interactions', $base, '--interactions', "$log.1",
        '--interactions', $log, '--out', $out, '--quiet');
    is($rc, 0, 'recsys-build reads the base log and two event logs')
        or diag $err;
    my (undef, $a1) = RecsysTest::run_cmd(60, RecsysTest::builder_path(),
                                          'inspect', $out, 'user', 'a1');
    my %h = $a1 =~ /^\s+(\S+)\s+(-?[\d.]+)\s/mg;
    is($h{i3}, '4.000000', 'a1: i3 play + like = 4 in the history');
    is($h{i1}, '1.000000', 'a1: i1 from the base log');
    my (undef, $n1) = RecsysTest::run_cmd(60, RecsysTest::builder_path(),
                                          'inspect', $out, 'user', 'n,"1');
    like($n1, qr/^\s+i2\s+1\.000000\s/m, 'the quoted user has i2');
    my (undef, $a2) = RecsysTest::run_cmd(60, RecsysTest::builder_path(),
                                          'inspect', $out, 'user', 'a2');
    like($a2, qr/^\s+i1\s+\d+\.000000\s/m,
         'a2: i1 from the reopened log');
}

# an empty log written by two workers at once gets one header: each worker
# writes to the descriptor the master opened, so the lock that orders the
# first writers must be the process's own (a flock on the shared open file
# let a second worker through); 40 rounds of emptying the log and six
# clients posting at once through both workers
{
    my $log2 = "$tmp/race.log";
    my $port3 = RecsysTest::free_port();
    my $s2 = RecsysTest::start_nginx(
        workers => 2,
        http => "    recsys_events zone=race:1m;\n"
                . "    recsys_model $model;\n",
        server => "        listen 127.0.0.1:$port3 reuseport;\n",
        locations => <<"EOF");
        location = /event { recsys_event; recsys_event_log $log2; }
EOF
    my ($bad, $rounds) = (0, 40);
    for my $round (1 .. $rounds) {
        truncate $log2, 0 or die "truncate: $!";
        my @kids;
        for my $c (1 .. 6) {
            my $pid = fork // die "fork: $!";
            if ($pid == 0) {
                my $h = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
                my $st = $h->request('POST', "http://127.0.0.1:$port3/event",
                    { content => $json->encode(
                          { user => "r$round-$c", item => 'i1',
                            type => 'play', ts => 5000 }),
                      headers => { 'content-type' => 'application/json' } })
                    ->{status};
                _exit($st == 204 ? 0 : 1);
            }
            push @kids, $pid;
        }
        for (@kids) { waitpid $_, 0; $bad++ if $? }
        my @l = split /\n/, slurp($log2) // '';
        my $headers = grep { $_ eq 'user,item,event,timestamp' } @l;
        if ($headers != 1 || $l[0] ne 'user,item,event,timestamp'
            || @l != 7)
        {
            diag("round $round: " . join(' | ', @l));
            $bad++;
        }
    }
    is($bad, 0, "$rounds rounds of an empty log and six posts at once: one "
                . 'header first, six lines');
    $s2->finish;
}

done_testing();
