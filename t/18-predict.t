#!/usr/bin/perl

# 18-predict: predict=1, the two predicted ratings of a (user, item) pair
# (with an ETag, as an answer has).
# On t/data/predict-ratings.csv (6 users, 6 rated items, one catalog item
# nobody rated; chosen so that predictions get clipped at both ends of the
# 1..5 range and some pairs have no neighbour to go on) every user and
# every catalog item is asked for, and user_knn, item_knn, user_mean,
# item_mean and both supports must equal the brute-force reference
# RecsysRef::Model::predict, written from the README's definition.  Then
# the errors: no item, an unknown user or none, an unknown item, a bad
# predict value; predict=0 is an ordinary request.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model check_shape check_error is_number
                  recsys_locations);
use RecsysRef qw(parse_interactions parse_catalog model_ref);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/predict-ratings.csv",
                        items => "$data/predict-items.csv",
                        model_id => 'predict-1');
my $ref = model_ref(rows => parse_interactions("$data/predict-ratings.csv"));
my @items = sort keys %{ parse_catalog("$data/predict-items.csv") };
my @values = qw(user_knn item_knn user_mean item_mean);
my @supports = qw(user_support item_support);

# The reference, checked by hand where it is short: all 16 values sum to
# 52, so i7 (nobody rated it) has the mean 3.25 and no neighbours; u3's
# only neighbour with i3 is u1, whose i3 is u1's own mean, so user_knn is
# u3's mean 2.5; u6 shares no item with anybody: both predictions are
# the means.
my %hand = (
    'u1 i7' => [5, 3.25, 5, 3.25, 0, 0],
    'u3 i3' => [2.5, undef, 2.5, 4.5, 1, undef],
    'u6 i1' => [3, 10 / 3, 3, 10 / 3, 0, 0],
);
for my $pair (sort keys %hand) {
    my $p = $ref->predict(split ' ', $pair);
    my @want = @{ $hand{$pair} };
    my @bad = grep {
        my $k = $_;
        defined $want[$k]
            && abs($p->{ (@values, @supports)[$k] } - $want[$k]) > 1e-9;
    } 0 .. $#want;
    ok(!@bad, "reference: $pair by hand");
}

my $srv = RecsysTest::start_nginx(
    locations => recsys_locations(['/recommend', $model]));

my ($clipped, $no_user_nb, $no_item_nb, @bad) = (0, 0, 0);
for my $u (@{ $ref->{users} }) {
    for my $i (@items) {
        my $path = "/recommend?user=$u&item=$i&predict=1";
        my ($d, $res) = $srv->json($path);
        my $w = $ref->predict($u, $i);
        my $p = ref $d eq 'HASH' ? $d->{prediction} : undef;

        $clipped += $w->{clipped};
        $no_user_nb += $w->{user_support} == 0;
        $no_item_nb += $w->{item_support} == 0;

        if ($res->{status} != 200 || ref $p ne 'HASH') {
            push @bad, "$path: status $res->{status}: $res->{content}";
            next;
        }
        push @bad, "$path: model, user, item are "
                   . join(', ', map { $d->{$_} // 'null' } qw(model user item))
            if ($d->{model} // '') ne 'predict-1' || ($d->{user} // '') ne $u
               || ($d->{item} // '') ne $i;
        for my $k (@values) {
            push @bad, "$path: $k " . ($p->{$k} // 'null') . ", want $w->{$k}"
                unless is_number($p->{$k}) && abs($p->{$k} - $w->{$k}) <= 1e-4;
        }
        for my $k (@supports) {
            push @bad, "$path: $k " . ($p->{$k} // 'null') . ", want $w->{$k}"
                unless is_number($p->{$k}) && $p->{$k} == $w->{$k};
        }
    }
}
ok(!@bad, 'predict=1 for ' . @{ $ref->{users} } . ' users x ' . @items
          . ' items equals the reference') or diag join "\n", @bad;
ok($clipped > 0 && $no_user_nb > 0 && $no_item_nb > 0,
   "the fixture clips ($clipped) and lacks neighbours "
   . "($no_user_nb user-kNN, $no_item_nb item-kNN)");

# an ETag, revalidated with a 304, as for an answer; another pair, another
{
    my $r = $srv->get('/recommend?user=u1&item=i1&predict=1');
    my $tag = $r->{headers}{etag};
    like($tag // '', qr/\A"[^"]+-[0-9a-f]{8}"\z/, 'predict=1: an ETag');
    is($srv->get('/recommend?user=u1&item=i1&predict=1',
                 { 'If-None-Match' => $tag })->{status},
       304, 'predict=1: If-None-Match gets a 304');
    isnt($srv->get('/recommend?user=u1&item=i2&predict=1')->{headers}{etag},
         $tag, 'predict=1: another item, another ETag');
}

# errors
check_error($srv, 'GET', '/recommend?user=u1&predict=1', 400, 'bad_request',
            'item', 'predict=1 without item: 400 naming item');
check_error($srv, 'GET', '/recommend?user=nobody&item=i1&predict=1', 404,
            'not_found', undef, 'predict=1 for an unknown user: 404');
check_error($srv, 'GET', '/recommend?item=i1&predict=1', 404, 'not_found',
            undef, 'predict=1 without user: 404');
check_error($srv, 'GET', '/recommend?user=u1&item=nope&predict=1', 404,
            'not_found', undef, 'predict=1 for an unknown item: 404');
for my $v ('2', 'yes', '', '01') {
    check_error($srv, 'GET', "/recommend?user=u1&item=i1&predict=$v", 400,
                'bad_request', 'predict', "predict=$v: 400 naming predict");
}

# predict=0: the item's similar items, as without predict
my ($d0, $r0) = $srv->json('/recommend?user=u1&item=i1&predict=0');
my ($d1, $r1) = $srv->json('/recommend?user=u1&item=i1');
is($r0->{status}, 200, 'predict=0: 200');
check_shape($d0, 'predict=0', model => 'predict-1', item => 'i1');
is($r0->{content}, $r1->{content}, 'predict=0: the answer without predict');

$srv->finish;
done_testing();
