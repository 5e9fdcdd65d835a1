#!/usr/bin/perl

# 55-live-present: the events zone chains its users by bucket of user
# hashes, and /recommend reads an empty bucket without the zone's mutex.
#
# t/data/sess-ratings.csv, a zone of 64 pages (its smallest: 4,096
# buckets) with per_user=1.  Checks: 1,000 visitors with one event each
# are live; after every third is erased (DELETE /event), exactly the
# others are live (many share a bucket with an erased one); 6,000 more
# visitors posted (a user of one event takes a 64-byte chunk: the zone
# holds about 3,700) evict the least recently active: every earlier
# visitor is gone, the last 200 posted are live, and a visitor posted
# after the evictions is live at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use RecsysTest qw(build_model tmpdir);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $model = build_model(interactions => "$data/sess-ratings.csv",
                        out => "$tmp/m.mdb", model_id => 'present');
my $json = JSON::PP->new->utf8->canonical;

# the zone's smallest size, one event per user
my $zone = 'present:' . 64 * 4096 . ' per_user=1';
my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $model;\n    recsys_events zone=$zone;\n",
    locations => join("\n", map { "        location = $_" }
                                 '/r { recsys; }', '/event { recsys_event; }',
                                 '/recsys-status { recsys_status; }'));

# post(PREFIX, FROM, TO): one play event for each of PREFIX.FROM .. TO,
# 100 to a request; the count of answers that were not 204
sub post {
    my ($prefix, $from, $to) = @_;
    my $bad = 0;
    for (my $b = $from; $b <= $to; $b += 100) {
        my $last = $b + 99 < $to ? $b + 99 : $to;
        my $body = [map { { user => "$prefix$_", item => '1',
                            type => 'play' } } $b .. $last];
        $bad++ if $srv->request('POST', '/event',
            { content => $json->encode($body),
              headers => { 'content-type' => 'application/json' } }
            )->{status} != 204;
    }
    return $bad;
}

# live(USER): the user's live event is scored (no popular fallback)
sub live {
    my ($user) = @_;
    my $d = $srv->json("/r?user=$user&algo=itemcf&n=3");
    return !defined $d->{fallback};
}

# the users of PREFIX.FROM .. TO whose liveness is not as expected(k)
sub wrong {
    my ($prefix, $from, $to, $expected) = @_;
    my @wrong = grep { live("$prefix$_") != $expected->($_) } $from .. $to;
    return scalar @wrong;
}

is(post('p', 0, 999), 0, '1,000 visitors posted');
is($srv->json('/recsys-status')->{events}{users}, 1000,
   'the zone holds 1,000 users');
is(wrong('p', 0, 999, sub { 1 }), 0, 'every visitor is live');

my $erased = 0;
for (my $k = 0; $k < 1000; $k += 3) {
    $erased++ if $srv->request('DELETE', "/event?user=p$k")->{status} == 204;
}
is($erased, 334, 'every third visitor erased');
is(wrong('p', 0, 999, sub { $_[0] % 3 != 0 }), 0,
   'exactly the visitors not erased are live');

is(post('q', 0, 5999), 0, '6,000 more visitors posted');
my $s = $srv->json('/recsys-status')->{events};
ok($s->{evicted} > 0, "visitors evicted ($s->{evicted})");
is(wrong('p', 0, 999, sub { 0 }), 0, 'the earlier visitors are gone');
is(wrong('q', 5800, 5999, sub { 1 }), 0, 'the last 200 posted are live');
ok(!live('r0'), 'a new visitor without events is not live');
is(post('r', 0, 0), 0, 'the new visitor posts');
ok(live('r0'), 'and is live at once');

$srv->finish;
done_testing();
