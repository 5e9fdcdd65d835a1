#!/usr/bin/perl

# 02-fallback: popularity and the unknown-user fallback.  On t/data/pop.csv
# (user,item only, so every value is 1; a duplicate row; count ties between
# numeric and non-numeric ids) the popular ranking, scores (distinct users /
# users), tie order (numeric ids first, numerically; others bytewise) and
# pagination must equal the brute-force reference in RecsysRef, for an
# unknown user, no user, and a known user asking algo=popular.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model check_items recsys_locations);
use RecsysRef qw(parse_interactions parse_catalog reference page);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/pop.csv",
                        items => "$data/pop-items.csv",
                        model_id => 'pop-1');
my $ref = reference(parse_interactions("$data/pop.csv"));
my $cat = parse_catalog("$data/pop-items.csv");
my @pop = @{ $ref->{popular} };

# The reference itself, worked out by hand from pop.csv: 6 users; counts
# 9:5 10:5 café:4 100:3 B:3 a:3 2:2 x-1:2 7:1 42:1 Z:1 b:1 (p1's duplicate
# row for 9 counts once).
is(join(' ', map { $_->[0] } @pop),
   join(' ', '9', '10', "caf\xc3\xa9", qw(100 B a 2 x-1 7 42 Z b)),
   'reference: popular order');
is(sprintf('%.4f', $pop[0][1]), '0.8333', 'reference: 5 of 6 users');

my $srv = RecsysTest::start_nginx(
    locations => recsys_locations(['/recommend', $model]));

sub q200 {
    my ($path, $name, %want) = @_;
    return $srv->ok200($path, $name, model => 'pop-1', %want);
}

# unknown user and no user: all popular items, fallback "popular"
for my $case (['user=nobody', 'nobody'], ['', undef], ['user=p7', 'p7']) {
    my ($q, $u) = @$case;
    my $d = q200('/recommend?' . join('&', grep { length } $q, 'n=20'),
                 "fallback ($q)", user => $u, fallback => 'popular');
    check_items($d->{items}, \@pop, "fallback ($q)", catalog => $cat);
    $d = q200("/recommend?$q", "fallback ($q), default n", user => $u,
              fallback => 'popular');
    check_items($d->{items}, [@pop[0 .. 9]], "fallback ($q), default n");
}

# the fallback whatever the algo asked for
for my $algo (qw(hybrid itemcf popular)) {
    my $d = q200("/recommend?user=nobody&algo=$algo&n=5",
                 "unknown user, algo=$algo", user => 'nobody',
                 fallback => 'popular');
    check_items($d->{items}, [@pop[0 .. 4]], "unknown user, algo=$algo");
    ok(($d->{algo} // '') eq $algo || ($d->{algo} // '') eq 'popular',
       "unknown user, algo=$algo: algo says $algo or popular")
        or diag "algo: " . ($d->{algo} // 'null');
}

# pagination of the fallback
for my $p ([0, 4], [3, 4], [8, 4], [11, 3], [12, 3], [100, 1]) {
    my ($off, $n) = @$p;
    my $d = q200("/recommend?user=nobody&n=$n&offset=$off",
                 "fallback offset=$off n=$n", fallback => 'popular');
    check_items($d->{items}, page(\@pop, $off, $n),
                "fallback offset=$off n=$n");
}

# a known user asking for popular items: unseen ones, no fallback
for my $u ('p1', 'p4', 'ann lee') {
    (my $q = $u) =~ s/ /+/g;
    my $d = q200("/recommend?user=$q&algo=popular&n=20", "$u algo=popular",
                 user => $u, fallback => undef, algo => 'popular');
    check_items($d->{items}, $ref->popular_for($u), "$u algo=popular",
                catalog => $cat);
    $d = q200("/recommend?user=$q&algo=popular&n=2&offset=1",
              "$u algo=popular offset=1 n=2", user => $u, fallback => undef);
    my @l = @{ $ref->popular_for($u) };
    check_items($d->{items}, [@l[1 .. 2]], "$u algo=popular offset=1 n=2");
}

$srv->finish;

done_testing();
