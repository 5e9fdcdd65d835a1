#!/usr/bin/perl

# 03-itemcf: item-based CF against the brute-force reference (RecsysRef) on
# the hand-made fixture t/data/cf-interactions.csv (7 users, 9 items, ratings
# and timestamps, a re-rating, an out-of-order older row, a timestamp tie, a
# user id with a space, a UTF-8 item id, ids ordered numerically and
# bytewise, two items with identical columns so cosines tie exactly) and
# its catalog t/data/cf-items.csv (quoted titles with a comma and with "",
# a UTF-8 title, one item missing).  With --neighbors 3 --history 2 the
# truncations change the answers.  Checks per user: itemcf ids, order,
# scores, titles/genres, seen items excluded, pagination; hybrid = itemcf
# then unseen popular; item= lists with and without a user; the same data
# as headerless TSV gives the same rankings; default K and H.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir write_file check_items
                  recsys_locations);
use RecsysRef qw(parse_interactions parse_catalog reference page);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $csv = "$data/cf-interactions.csv";
my $rows = parse_interactions($csv);
my $cat = parse_catalog("$data/cf-items.csv");
my $ref = reference($rows, K => 3, H => 2);
my $ref_full = reference($rows, K => 50, H => 100);

# The reference checked by hand on one user, u4.  Columns (latest values):
#   3: u1 5, u2 4, u4 1, ann 2         |3|   = sqrt(46)
#   25: u1 4, u2 4 (ts 300 beats the later line's ts 250), u5 3, u6 5
#                                      |25|  = sqrt(66)
#   100: u2 5, u3 3 (ts tie: later line wins), ann 4      |100| = sqrt(50)
#   zeta: u3 4, u4 2, ann 5, u6 3      |zeta| = sqrt(54)
#   cos(3,25) = (20 + 16) / sqrt(46 * 66) = 0.65336
#   cos(3,100) = (20 + 8) / sqrt(46 * 50) = 0.58385
#   cos(zeta,100) = (12 + 20) / sqrt(54 * 50) = 0.61584
# u4's history, newest first, H=2: 3 (ts 430, r 1), zeta (ts 420, r 2).
# Top-3 lists: 3 -> 25, 100, Alpha (Alpha and alpha tie at 0.5740, Alpha has
# the smaller index, alpha is cut); zeta -> 100, Alpha, alpha.  Unseen: 25,
# 100 (u4 saw Alpha, alpha, café, zeta, 3).
#   score(100) = 1 * 0.58385 + 2 * 0.61584 = 1.81553
#   score(25)  = 1 * 0.65336               = 0.65336
my $u4 = $ref->{itemcf}{u4};
is(join(' ', map { sprintf '%s:%.4f', @$_ } @$u4), '100:1.8155 25:0.6534',
   'reference agrees with the hand computation for u4');

# the same interactions as MovieLens-style headerless TSV
my $tsv = write_file("$tmp/cf.tsv",
    join '', map { join("\t", @$_[0 .. 3]) . "\n" } @$rows);

# hybrid here is item-CF, then popular items to fill (the other sources
# have tests of their own)
my @itemcf_only = ('--weights',
                   'itemcf=1,usercf=0,content=0,popular=0,rp3beta=0,ease=0,als=0');

my $m_csv = build_model(interactions => $csv, items => "$data/cf-items.csv",
                        out => "$tmp/cf.mdb", model_id => 'cf-1',
                        args => ['--neighbors', 3, '--history', 2,
                                 @itemcf_only]);
my $m_tsv = build_model(interactions => $tsv, out => "$tmp/cf-tsv.mdb",
                        model_id => 'cf-tsv',
                        args => ['--neighbors', 3, '--history', 2,
                                 '--user-top', 100, @itemcf_only]);
my $m_def = build_model(interactions => $csv, items => "$data/cf-items.csv",
                        out => "$tmp/cf-default.mdb", model_id => 'cf-default',
                        args => [@itemcf_only]);

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/recommend', $m_csv], ['= /tsv', $m_tsv], ['= /default', $m_def],
));

sub esc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub q200 { $srv->ok200(@_) }

sub dec { my $s = $_[0]; utf8::decode($s); $s }

my @users = @{ $ref->{users} };
my @items = @{ $ref->{items} };

for my $u (@users) {
    my $q = esc($u);

    # itemcf: the whole ranking
    my $d = q200("/recommend?user=$q&algo=itemcf&n=50", "$u itemcf",
                 model => 'cf-1', algo => 'itemcf', user => $u,
                 fallback => undef);
    check_items($d->{items}, $ref->{itemcf}{$u}, "$u itemcf", catalog => $cat);
    my @seen = grep { $ref->{seen}{$u}{ do { my $i = $_->{id}; utf8::encode($i); $i } } }
               @{ $d->{items} || [] };
    ok(!@seen, "$u itemcf: no seen items");

    # hybrid: itemcf first, then unseen popular items to fill n
    for my $n (3, 10) {
        $d = q200("/recommend?user=$q&n=$n", "$u hybrid n=$n",
                  model => 'cf-1', algo => 'hybrid', user => $u,
                  fallback => undef);
        check_items($d->{items}, $ref->hybrid($u, $n), "$u hybrid n=$n",
                    scores => 0, catalog => $cat);
    }

    # the same data read as headerless TSV
    $d = q200("/tsv?user=$q&algo=itemcf&n=50", "$u itemcf (TSV model)",
              model => 'cf-tsv', user => $u, fallback => undef);
    check_items($d->{items}, $ref->{itemcf}{$u}, "$u itemcf (TSV model)");

    # default K = 50, H = 100
    $d = q200("/default?user=$q&algo=itemcf&n=50", "$u itemcf (defaults)",
              model => 'cf-default', user => $u, fallback => undef);
    check_items($d->{items}, $ref_full->{itemcf}{$u}, "$u itemcf (defaults)");
}

# pagination of a user's itemcf ranking (u6 has 5 items)
my @u6 = @{ $ref->{itemcf}{u6} };
is(scalar @u6, 5, 'reference: u6 has 5 itemcf items');
for my $p ([0, 2], [2, 2], [4, 2], [5, 2], [1, 3]) {
    my ($off, $n) = @$p;
    my $d = q200("/recommend?user=u6&algo=itemcf&n=$n&offset=$off",
                 "u6 itemcf offset=$off n=$n", user => 'u6');
    check_items($d->{items}, page(\@u6, $off, $n),
                "u6 itemcf offset=$off n=$n");
}

# item=: the neighbour list, alone, with a user, paginated
for my $i (@items) {
    my $q = esc($i);
    my $d = q200("/recommend?item=$q&n=10", "item=$i", model => 'cf-1',
                 item => dec($i), user => undef);
    check_items($d->{items}, $ref->{nbrs}{$i}, "item=$i", catalog => $cat);

    $d = q200("/recommend?item=$q&user=nobody&n=10", "item=$i, unknown user",
              item => dec($i));
    check_items($d->{items}, $ref->{nbrs}{$i}, "item=$i, unknown user");

    for my $u (@users) {
        # strict=1: an empty list stays empty (no popular fallback)
        $d = q200("/recommend?item=$q&user=" . esc($u) . '&n=10&strict=1',
                  "item=$i user=$u", item => dec($i), user => $u);
        check_items($d->{items}, $ref->similar($i, $u), "item=$i user=$u");
    }

    my @l = @{ $ref->{nbrs}{$i} };
    $d = q200("/recommend?item=$q&n=1&offset=1", "item=$i n=1 offset=1");
    check_items($d->{items}, [@l > 1 ? $l[1] : ()], "item=$i n=1 offset=1");
    $d = q200("/recommend?item=$q&offset=3", "item=$i offset=3");
    check_items($d->{items}, [], "item=$i offset=3 (K=3)");

    $d = q200("/default?item=$q&n=20", "item=$i (defaults)");
    check_items($d->{items}, $ref_full->{nbrs}{$i}, "item=$i (defaults)");
}

$srv->finish;

done_testing();
