#!/usr/bin/perl

# 57-overrides-filter: the overrides with an attribute filter,
# `boost FILTER FACTOR` and `pin ITEM POSITION FILTER`, on a catalog of 8
# items whose answers are worked out here by hand.
#
# Item ik is played by users u1 .. u(9-k), so algo=popular ranks i1 .. i8
# with the scores 8/8, 7/8, ..., 1/8 (a user's share).  Their years and
# regions:
#
#     i1 1985 US      i2 1995 FR      i3 2001 US|FR   i4 1979 DE
#     i5 2010 FR      i6 1999 US      i7 2005 DE|FR   i8 1992 JP
#
# A boost by filter multiplies the score of every item passing it; a pin
# with a filter applies to the requests whose filter (recsys_filter and
# filter= together) has each of its clauses.  The expected lists below
# are computed in the comments beside them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir write_file recsys_locations);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();

my %attr = (i1 => [1985, 'US'], i2 => [1995, 'FR'], i3 => [2001, 'US|FR'],
            i4 => [1979, 'DE'], i5 => [2010, 'FR'], i6 => [1999, 'US'],
            i7 => [2005, 'DE|FR'], i8 => [1992, 'JP']);

write_file("$tmp/items.csv", "id,title,genres,year,regions\n"
    . join('', map { "$_,Title $_,Drama,$attr{$_}[0],$attr{$_}[1]\n" }
               sort keys %attr));

my $rows = "user,item\n";
for my $k (1 .. 8) {
    $rows .= "u$_,i$k\n" for 1 .. 9 - $k;
}
write_file("$tmp/rows.csv", $rows);

my $model = build_model(interactions => "$tmp/rows.csv",
                        items => "$tmp/items.csv", out => "$tmp/m.mdb",
                        model_id => 'ovr-filter');

# one file per location, so that no test waits for a reload
my %files = (
    # i1 1, i2 .875, i3 .75 x 1.9 = 1.425, i4 .625, i5 .5 x 1.9 = .95,
    # i6 .375, i7 .25 x 1.9 = .475, i8 .125
    boost => "boost year>=2000 1.9\n",
    # i1 1 x .7 = .7, i2 .875 x .5 = .4375, i3 .75 x 1.9 x .5 = .7125,
    # i4 .625, i5 .5 x 1.9 x .5 = .475, i6 .375, i7 .25 x 1.9 x .5 =
    # .2375, i8 .125; the rule on `language` names a field the model
    # lacks and the one on year a value it cannot take: both left out
    boost2 => "boost year>=2000 1.9\nboost regions~FR 0.5\nboost i1 0.7\n"
              . "boost language=en 3\nboost year>=soon 3\n",
    pin => "pin i7 1 year>=2000\n"
           . "pin i5 1 regions~FR,year>=2000\n"
           . "pin i7 2 regions~DE|FR\n"
           . "pin i4 1 year>=abc\n",
);

for my $name (keys %files) {
    write_file("$tmp/$name.txt", $files{$name});
}

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/boost', $model, "recsys_overrides $tmp/boost.txt"],
    ['/boost2', $model, "recsys_overrides $tmp/boost2.txt"],
    ['/pin', $model, "recsys_overrides $tmp/pin.txt"],
    ['/kids', $model, "recsys_overrides $tmp/pin.txt",
     'recsys_filter "year>=2000"'],
    ['/plain', $model]));

sub ids {
    my ($path) = @_;
    my ($d, $res) = $srv->json($path);
    is($res->{status}, 200, "$path answers 200") or diag $res->{content};
    return [ map { $_->{id} } @{ $d->{items} || [] } ];
}

my $pop = 'algo=popular';

is_deeply(ids("/plain?$pop&n=8"), [ map { "i$_" } 1 .. 8 ],
          'the fixture: popular ranks i1 .. i8');

# --- boost FILTER FACTOR ----------------------------------------------

is_deeply(ids("/boost?$pop&n=5"), [qw(i3 i1 i5 i2 i4)],
          'boost year>=2000: i3, i5 and i7 times 1.9');
is_deeply(ids("/boost?$pop&n=8"), [qw(i3 i1 i5 i2 i4 i7 i6 i8)],
          'boost year>=2000: the whole ranking');
is_deeply(ids("/boost?$pop&n=2&offset=2"), [qw(i5 i2)],
          'boost year>=2000: a page of the boosted ranking');
is_deeply(ids("/boost?$pop&n=8&filter=regions~FR"), [qw(i3 i5 i2 i7)],
          'boost under a request filter: i2 i3 i5 i7 pass, i3 and i5 '
          . 'and i7 boosted');
is_deeply(ids("/boost2?$pop&n=8"), [qw(i3 i1 i4 i5 i2 i6 i7 i8)],
          'boosts by filter and by id multiply');

# --- pin ITEM POSITION FILTER -------------------------------------------

is_deeply(ids("/pin?$pop&n=4"), [qw(i1 i2 i3 i4)],
          'pins with filters: a request without a filter has none');
# year>=2000 passes i3 i5 i7; the first pin applies (i7 first)
is_deeply(ids("/pin?$pop&filter=year%3E%3D2000"), [qw(i7 i3 i5)],
          'pin i7 1 year>=2000 applies under filter=year>=2000');
# the same items pass, but the clause is not the pin's
is_deeply(ids("/pin?$pop&filter=year%3E%3D2001"), [qw(i3 i5 i7)],
          'pin i7 1 year>=2000 does not apply under year>=2001');
# both clauses of the second pin are there, in another order: i7 then i5
# at position 1 (file order), i3 after them
is_deeply(ids("/pin?$pop&filter=regions~FR,year%3E%3D2000"),
          [qw(i7 i5 i3)],
          'two pins at one position, in file order');
# regions~FR|DE passes i2 i3 i4 i5 i7; the third pin's alternatives are
# the same set written the other way: i7 at position 2
is_deeply(ids("/pin?$pop&n=5&filter=regions~FR%7CDE"),
          [qw(i2 i7 i3 i4 i5)],
          'pin i7 2 regions~DE|FR applies under regions~FR|DE');
is_deeply(ids("/pin?$pop&n=5&filter=regions~FR"),
          [qw(i2 i3 i5 i7)],
          'a pin whose alternatives are not the request\'s does not apply');
# the location's recsys_filter counts as the request's filter
is_deeply(ids("/kids?$pop"), [qw(i7 i3 i5)],
          'recsys_filter year>=2000: the pin on that clause applies');
is_deeply(ids("/kids?$pop&filter=regions~FR"), [qw(i7 i5 i3)],
          'recsys_filter and filter= together: both pins');

# --- the rules the model cannot take are logged, with their line ---------

my $log = $srv->error_log;
like($log, qr/boost2\.txt": 2 filter\(s\) name a field or a value model "ovr-filter" does not take \(the first on line 4\)/,
     'boost2: the two rules left out are logged with the first line');
like($log, qr/pin\.txt": 1 filter\(s\) .* \(the first on line 4\)/,
     'pin: the rule left out is logged with its line');

# --- bad filters refuse the file, naming the line --------------------------

write_file("$tmp/bad1.txt", "hide i1\npin i2 1 year\n");
write_file("$tmp/bad2.txt", "boost =5 2\n");
write_file("$tmp/bad3.txt", "\npin i2 1 regions~FR| \n\nboost i3 2\n");
my $bad = RecsysTest::start_nginx(locations => recsys_locations(
    ['/a', $model, "recsys_overrides $tmp/bad1.txt"],
    ['/b', $model, "recsys_overrides $tmp/bad2.txt"],
    ['/c', $model, "recsys_overrides $tmp/bad3.txt"]));
my ($d) = $bad->json("/a?$pop&n=2");
is_deeply([ map { $_->{id} } @{ $d->{items} } ], [qw(i1 i2)],
          'a refused file: no rule of it applies (i1 not hidden)');
$log = $bad->error_log;
like($log, qr/bad1\.txt" refused: line 2: bad filter/,
     'pin without an operator: refused at line 2');
like($log, qr/bad2\.txt" refused: line 1: bad filter/,
     'boost filter without a field: refused at line 1');
like($log, qr/bad3\.txt" refused: line 2: bad filter/,
     'an empty alternative: refused at line 2');
$bad->stop;

done_testing();
