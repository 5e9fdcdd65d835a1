#!/usr/bin/perl

# 00-sanity: the builder's gen/build/inspect commands work end to end on a
# small generated sample, nginx loads the module, and /recommend answers a
# known user (n=5 -> 5 unseen catalog items) and an item= query.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(builder build_model tmpdir slurp check_shape);
use RecsysRef qw(parse_interactions parse_catalog);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
# the smallest sizes the generator accepts with its default series/bundles
my @gen = ('--users', 100, '--items', 300, '--events', 3000, '--seed', 7);

# gen: files, headers, determinism for a seed
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/a", @gen);
is($rc, 0, 'gen exits 0') or diag $err;
if ($rc != 0) {
    done_testing();
    exit;
}
for my $f (qw(items.csv interactions.csv tags.csv)) {
    ok(-s "$tmp/a/$f", "gen wrote $f");
}
ok(scalar(() = glob "$tmp/a/truth/*.csv"), 'gen wrote truth/*.csv');
like(slurp("$tmp/a/items.csv") // '', qr/\AitemId,title,genres,year,maturity,regions,series,season,episode\r?\n/,
     'items.csv header');
like(slurp("$tmp/a/interactions.csv") // '',
     qr/\AuserId,itemId,rating,timestamp\r?\n/, 'interactions.csv header');

($rc, undef, $err) = builder('gen', '--out', "$tmp/b", @gen);
is($rc, 0, 'gen again exits 0') or diag $err;
for my $f (qw(items.csv interactions.csv tags.csv)) {
    ok(slurp("$tmp/a/$f") eq (slurp("$tmp/b/$f") // ''),
       "gen is deterministic for a seed: $f");
}

# build and inspect
my $model = "$tmp/model.mdb";
($rc, $out, $err) = builder('build', '--interactions', "$tmp/a/interactions.csv",
                            '--items', "$tmp/a/items.csv", '--out', $model,
                            '--model-id', 'sanity-1');
is($rc, 0, 'build exits 0') or diag $err;
ok(-s $model, 'model file written');
like($out, qr/\S/, 'build prints a summary');

($rc, $out, $err) = builder('inspect', $model, 'stats');
is($rc, 0, 'inspect stats exits 0') or diag $err;
like($out, qr/model_id\W+sanity-1\b/, 'inspect stats shows the model id');

# serve
my $rows = parse_interactions("$tmp/a/interactions.csv");
my $cat = parse_catalog("$tmp/a/items.csv");
my (%seen, %count);
for my $r (@$rows) {
    $count{ $r->[1] }{ $r->[0] } = 1;
    $seen{ $r->[0] }{ $r->[1] } = 1;
}
my $user = $rows->[0][0];
my ($top) = sort { keys %{ $count{$b} } <=> keys %{ $count{$a} } || $a cmp $b }
            keys %count;

my $srv = RecsysTest::start_nginx(locations => <<"EOF");
        location /recommend {
            recsys;
            recsys_model $model;
        }
EOF

my ($d, $res) = $srv->json("/recommend?user=$user&n=5");
is($res->{status}, 200, "user=$user: 200");
like($res->{headers}{'content-type'} // '', qr{^application/json},
     'content type is JSON');
check_shape($d, "user=$user", model => 'sanity-1', algo => 'hybrid',
            user => $user, fallback => undef);
is(scalar @{ $d->{items} || [] }, 5, 'n=5 gives 5 items');
my @seen = grep { $seen{$user}{ $_->{id} } } @{ $d->{items} || [] };
ok(!@seen, 'no item the user has seen') or diag explain \@seen;
my @unknown = grep { !$cat->{ $_->{id} } } @{ $d->{items} || [] };
ok(!@unknown, 'every item is in the catalog') or diag explain \@unknown;
my @badtitle = grep { $cat->{ $_->{id} }
                      && ($_->{title} // '') ne $cat->{ $_->{id} }{title} }
               @{ $d->{items} || [] };
ok(!@badtitle, 'titles come from the catalog') or diag explain \@badtitle;

($d, $res) = $srv->json("/recommend?item=$top&n=5");
is($res->{status}, 200, "item=$top: 200");
check_shape($d, "item=$top", model => 'sanity-1', item => $top);
my @items = @{ $d->{items} || [] };
ok(@items >= 1 && @items <= 5, 'item= gives 1..5 similar items')
    or diag scalar @items;
ok(!grep({ $_->{id} eq $top } @items), 'the item is not similar to itself');
my @bad = grep { $_->{score} <= 0 || $_->{score} > 1 + 1e-4 } @items;
ok(!@bad, 'similarity scores are cosines in (0, 1]') or diag explain \@bad;
my @dec = grep { $items[$_]{score} > $items[$_ - 1]{score} + 1e-6 } 1 .. $#items;
ok(!@dec, 'similar items best first');

$srv->finish;

done_testing();
