#!/usr/bin/perl

# 26-events-zone: the events zone's life: ttl expiry, eviction when full,
# nginx -s reload and a model swap.
#
# t/data/sess-ratings.csv.  Checks: a user not seen for the ttl (2 s) is
# gone (popular fallback again, counted as expired), also when a write
# finds them before the clean-up does (their old events do not come back);
# after a restart another state has another ETag; a zone of 64 pages
# with 6,000 users posted keeps answering 204, drops the least recently
# active users (the first posted are gone, the last are there, evictions
# counted, users held below the posted), and a user refreshed by a new
# event survives the users posted after; events survive nginx -s reload
# with the same zone and a published model that replaces the served one;
# a reload that changes per_user is refused with the events kept; three
# models of one fixed --model-id swapped in turn, the last with other item
# indexes, map a live item as history= does; past 15
# type names across model swaps, the names no held event uses are freed
# (while all are used, a new one weighs nothing and the log says so); the
# directive's errors are refused at startup.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use File::Copy qw(copy);
use RecsysTest qw(build_model tmpdir write_file slurp publish);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $csv = "$data/sess-ratings.csv";
my $m1 = build_model(interactions => $csv, out => "$tmp/m1.mdb",
                     model_id => 'zone-1');
my $m2 = build_model(interactions => $csv, out => "$tmp/m2.mdb",
                     model_id => 'zone-2');
my $model = "$tmp/model.mdb";
install($m1);

my $json = JSON::PP->new->utf8->canonical;

sub server {
    my ($zone) = @_;
    return RecsysTest::start_nginx(
        http => "    recsys_events $zone;\n"
                . "    recsys_model $model;\n"
                . "    recsys_reload_interval 100ms;\n",
        locations => <<'EOF');
        location = /event { recsys_event; }
        location = /r { recsys; }
        location = /recsys-status { recsys_status; }
EOF
}

sub post {
    my ($srv, $body) = @_;
    return $srv->request('POST', '/event',
        { content => $json->encode($body),
          headers => { 'content-type' => 'application/json' } })->{status};
}

sub live {
    my ($srv, $user) = @_;
    my $d = $srv->json("/r?user=$user&algo=itemcf&n=3");
    return !defined $d->{fallback};
}

sub status { $_[0]->json('/recsys-status')->{events} }

# the ids of an answer, in order
sub ids { join ' ', map { $_->{id} } @{ $_[0]{items} } }

# publishes a model file as the one the servers read
sub install {
    my ($file) = @_;
    copy($file, "$model.tmp") or die "copy: $!";
    publish("$model.tmp", $model);
}

# --- ttl ----------------------------------------------------------------
{
    my $srv = server('zone=ttl:1m ttl=2s');
    is(post($srv, { user => 't1', item => '1', type => 'play' }), 204,
       'ttl: an event');
    ok(live($srv, 't1'), 'ttl: the user is live');
    sleep 3;
    ok(!live($srv, 't1'), 'ttl: gone after 3 s');
    is(status($srv)->{expired}, 1, 'ttl: counted as expired');
    is(status($srv)->{users}, 0, 'ttl: no user left');
    $srv->finish;
}

# an expired user who is not among the least recently active two that a
# write's clean-up drops starts again with their new event alone
{
    my $srv = server('zone=ttl2:1m ttl=2s');
    is(post($srv, { user => "o$_", item => '3', type => 'play' }), 204,
       "ttl: o$_ plays 3") for 1, 2;
    is(post($srv, { user => 'a', item => '1', type => 'play' }), 204,
       'ttl: a plays 1');
    sleep 3;
    is(post($srv, { user => 'a', item => '2', type => 'play' }), 204,
       'ttl: a plays 2 after the ttl');
    is(ids($srv->json('/r?user=a&algo=itemcf&n=20')),
       ids($srv->json('/r?history=2&algo=itemcf&n=20')),
       'ttl: a answers as history=2, the expired 1 is gone');
    is(status($srv)->{events}, 1, 'ttl: one event held');
    is(status($srv)->{expired}, 3, 'ttl: o1, o2 and a counted as expired');
    $srv->finish;
}

# --- a restarted zone's versions ------------------------------------------
# the ETag carries the user's live version: a new zone (here a restart)
# must not give a different state the version, and so the ETag, that an
# answer of the zone before had
{
    my @etag;
    for my $item ('1', '2') {
        my $srv = server('zone=ver:1m');
        is(post($srv, { user => 'e', item => $item, type => 'play' }), 204,
           "versions: e plays $item");
        my ($d, $res) = $srv->json('/r?user=e&algo=itemcf&n=3');
        push @etag, $res->{headers}{etag};
        $srv->finish;
        sleep 1;
    }
    isnt($etag[1], $etag[0],
         'versions: another state after a restart, another ETag');
}

# --- eviction -----------------------------------------------------------
{
    my $srv = server('zone=small:' . 64 * 4096 . ' per_user=20');
    my $bad = 0;
    for my $b (0 .. 59) {
        $bad++ if post($srv, [map { { user => "e$_", item => '1',
                                      type => 'play' } }
                              $b * 100 .. $b * 100 + 99]) != 204;
        # e0 stays active: an event every 1,000 users
        $bad++ if $b % 10 == 9
                  && post($srv, { user => 'e0', item => '2',
                                  type => 'play' }) != 204;
    }
    is($bad, 0, 'a full zone keeps answering 204');
    my $s = status($srv);
    ok($s->{evicted} > 0, "evictions counted ($s->{evicted})");
    ok($s->{users} < 6000 && $s->{users} > 100,
       "users held below the posted ($s->{users})");
    ok(!live($srv, 'e1'), 'the first posted user is gone');
    ok(live($srv, 'e5999'), 'the last posted is there');
    ok(live($srv, 'e0'), 'a user who stays active survives');
    $srv->finish;
}

# --- reload and model swap ----------------------------------------------
{
    my $srv = server('zone=keep:1m');
    is(post($srv, { user => 'r1', item => '1', type => 'play' }), 204,
       'reload: an event');
    my $before = $srv->json('/r?user=r1&algo=itemcf&n=5');

    kill 'HUP', $srv->{pid};
    sleep 1.5;
    my $after = $srv->json('/r?user=r1&algo=itemcf&n=5');
    is($json->encode($after->{items}), $json->encode($before->{items}),
       'events survive nginx -s reload');

    install($m2);
    my $d;
    for (1 .. 50) {
        $d = $srv->json('/r?user=r1&algo=itemcf&n=5');
        last if $d->{model} eq 'zone-2';
        select undef, undef, undef, 0.1;
    }
    is($d->{model}, 'zone-2', 'the new model is served');
    is($json->encode($d->{items}), $json->encode($before->{items}),
       'events survive the model swap');

    # per_user changed on reload: refused, the running zone kept
    my $conf = slurp($srv->dir . '/nginx.conf');
    $conf =~ s/zone=keep:1m;/zone=keep:1m per_user=10;/ or die;
    write_file($srv->dir . '/nginx.conf', $conf);
    $srv->expect_log(qr/holds per_user=20 events, not 10/);
    kill 'HUP', $srv->{pid};
    sleep 1.5;
    like(slurp($srv->dir . '/error.log'), qr/holds per_user=20 events/,
         'a reload changing per_user is refused');
    ok(live($srv, 'r1'), 'and the events are kept');
    $srv->finish;
}

# --- models of one fixed id ----------------------------------------------
# three models built with the same --model-id, each swapped in for the one
# before; the third lacks item 1, so the items after it have other indexes:
# a worker must read its item table again for it (a model opened where an
# earlier one was, with the same id, is still another model), and a live 5
# answers as history=5 does
{
    my @rows = split /\n/, slurp($csv);
    my %without;
    for my $drop ('9', '1') {
        write_file("$tmp/no$drop.csv", join("\n",
            grep { !/\A[^,]+,\Q$drop\E,/ } @rows) . "\n");
        $without{$drop} = build_model(interactions => "$tmp/no$drop.csv",
                                      out => "$tmp/fixed-no$drop.mdb",
                                      model_id => 'fixed');
    }
    my $fixed = build_model(interactions => $csv, out => "$tmp/fixed.mdb",
                            model_id => 'fixed');
    my $srv = server('zone=fixed:1m');
    my $popular = sub {
        join ' ', sort map { $_->{id} }
            @{ $srv->json('/r?algo=popular&n=20')->{items} };
    };
    my $serve = sub {
        my ($file, $lacks) = @_;
        install($file);
        for (1 .. 50) {
            my $p = $popular->();
            last if defined $lacks ? $p !~ /(?:\A| )\Q$lacks\E(?: |\z)/
                                   : $p =~ /(?:\A| )9(?: |\z)/;
            select undef, undef, undef, 0.1;
        }
    };
    $serve->($fixed, undef);
    is(post($srv, { user => 'f1', item => '5', type => 'play' }), 204,
       'fixed id: an event under the first model');
    $srv->json('/r?user=f1&algo=itemcf&n=3');
    $serve->($without{9}, '9');
    $serve->($without{1}, '1');
    unlike($popular->(), qr/(?:\A| )1(?: |\z)/,
           'fixed id: the third model (without item 1) is served');
    is(post($srv, { user => 'f2', item => '5', type => 'play' }), 204,
       'fixed id: an event under the third');
    is(ids($srv->json('/r?user=f2&algo=itemcf&n=20')),
       ids($srv->json('/r?history=5&algo=itemcf&n=20')),
       'fixed id: a live 5 answers as history=5');
    $srv->finish;
    install($m1);
}

# --- the zone's 15 type names across model swaps -------------------------
# a model with 15 names of its own, one event of each; then a model with
# other names: while those events are held, a new name has no slot (the
# event is kept as seen, without a weight, and said in the error log); once
# they are gone, the slots no event uses are named again
{
    my @t15 = map { "ta$_" } 1 .. 15;
    my $m15 = build_model(interactions => $csv, out => "$tmp/m15.mdb",
                          model_id => 'zone-15',
                          args => ['--event-weights',
                                   join(',', map { "$_=1" } @t15)]);
    my $mzap = build_model(interactions => $csv, out => "$tmp/mzap.mdb",
                           model_id => 'zone-zap',
                           args => ['--event-weights', 'play=1,zap=5']);
    my $swap = sub {
        my ($from, $id, $srv) = @_;
        install($from);
        for (1 .. 50) {
            last if $srv->json('/r?n=1')->{model} eq $id;
            select undef, undef, undef, 0.1;
        }
    };
    my $srv = server('zone=types:1m');
    $srv->expect_log(qr/type names are all in use/);
    $swap->($m15, 'zone-15', $srv);
    is(post($srv, [map { { user => 'x', item => '1', type => $_ } } @t15]),
       204, 'types: 15 events of 15 names');
    $swap->($mzap, 'zone-zap', $srv);
    my $h2 = ids($srv->json('/r?history=2&algo=itemcf&n=20'));
    is(post($srv, { user => 'b', item => '2', type => 'zap' }), 204,
       'types: a 16th name while the 15 are held: accepted');
    isnt(ids($srv->json('/r?user=b&algo=itemcf&n=20')), $h2,
         'types: it has no weight (not the answer of history=2)');
    like($srv->error_log, qr/type names are all in use; events of type "zap"/,
         'types: said in the error log');
    is($srv->request('DELETE', '/event?user=x')->{status}, 204,
       'types: the 15 events erased');
    is(post($srv, { user => 'c', item => '2', type => 'zap' }), 204,
       'types: zap again');
    is(ids($srv->json('/r?user=c&algo=itemcf&n=20')), $h2,
       'types: now weighted: the answer of history=2');
    is(post($srv, { user => 'd', item => '2', type => 'play' }), 204,
       'types: play');
    is(ids($srv->json('/r?user=d&algo=itemcf&n=20')), $h2,
       'types: play weighted too');
    $srv->finish;
    install($m1);
}

# --- configuration errors -----------------------------------------------
for my $c (['zone=a:1m per_user=0', qr/per_user must be from 1 to 255/],
           ['zone=a:1m ttl=0', qr/ttl must be from 1s to 30d/],
           ['zone=a:4k', qr/is too small/],
           ['zone=a:32769m', qr/is too large: at most 32768m/],
           ['zone=a', qr/invalid parameter/],
           ['per_user=5', qr/needs zone=NAME:SIZE/]) {
    my $ok = eval { server($c->[0]); 1 };
    ok(!$ok && $@ =~ $c->[1], "recsys_events $c->[0]: refused")
        or diag $@;
}

done_testing();
