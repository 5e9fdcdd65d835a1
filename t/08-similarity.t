#!/usr/bin/perl

# 08-similarity: the builder's item-CF options against the brute-force
# reference (RecsysRef::model_ref, written from the README's definitions).
#
# t/data/sim-ratings.csv (7 users, 8 items with numeric and bytewise ids,
# half-star ratings, a re-rating with an older timestamp that must not win)
# is built with --neighbors 3 --history 3 and each of --similarity cosine,
# adjusted, pearson, jaccard, with --shrink and --min-support, plus a full
# K=50 cosine model.  For every model: every item's neighbour list (ids,
# order, scores within 1e-4) and every user's algo=itemcf list scored from
# those neighbours.  Jaccard produces exact ties (natural id order decides);
# min-support removes pairs; shrink reorders.
#
# t/data/sim-events.csv (user,item,event,timestamp) exercises implicit
# events with the default weights (a user's rows for one item add up, to
# zero or below too) and with --event-weights; t/data/decay-ratings.csv
# (timestamps spread over four months) exercises --decay-days.  An unknown
# event name fails the build with FILE:LINE.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model builder tmpdir write_file check_items);
use RecsysRef qw(parse_interactions parse_event_log model_ref near_ties);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $ratings = "$data/sim-ratings.csv";
my $events = "$data/sim-events.csv";
my $decay = "$data/decay-ratings.csv";
my $r_rows = parse_interactions($ratings);
my $e_rows = parse_event_log($events);
my $d_rows = parse_interactions($decay);

sub f4 { join ' ', map { sprintf '%s:%.4f', @$_ } @{ $_[0] } }

# The reference checked by hand on a few pairs of sim-ratings.csv (u2's
# later line for item 2 is older, so r(u2,2) = 4):
#   item 2:   u1 5, u2 4, u3 2, u5 3, u7 1      |2|^2 = 55, mean 3
#   item Ace: u1 3.5, u3 1, u5 5, u7 2          |Ace| = 6.5
#   cosine(2,Ace) = (17.5 + 2 + 15 + 2) / (sqrt(55) * 6.5) = 0.75718
#   shrink 2, c = 4: 0.75718 * 4/6 = 0.50479
#   jaccard(2,Ace) = 4 / (5 + 4 - 4) = 0.8 = jaccard(2,b): tie, Ace first
#   pearson(2,7): 7's mean 3.5, co-users u1, u2: x2 = (2, 1),
#     x7 = (0.5, 1.5): 2.5 / sqrt(5 * 2.5) = 0.70711
#   adjusted(2,Ace): user means u1 3.1, u2 3.75, u3 3.2, u5 2.8, u7 2.75:
#     5.1525 / sqrt(8.215 * 10.4025) = 0.55737
{
    my %m = map { $_ => model_ref(rows => $r_rows, K => 50, similarity => $_) }
            qw(cosine adjusted pearson jaccard);
    my $sh = model_ref(rows => $r_rows, K => 50, shrink => 2);
    is(sprintf('%.5f', $m{cosine}{sim}{2}{Ace}), '0.75718',
       'reference: cosine(2,Ace) by hand');
    is(sprintf('%.5f', $sh->{sim}{2}{Ace}), '0.50479',
       'reference: cosine(2,Ace) shrunk by 4/6');
    is(join(' ', map { $_->[0] } @{ $m{jaccard}{nbrs}{2} }[0 .. 1]), 'Ace b',
       'reference: jaccard tie at 0.8 in natural id order');
    is(sprintf('%.5f', $m{pearson}{sim}{2}{7}), '0.70711',
       'reference: pearson(2,7) by hand');
    is(sprintf('%.5f', $m{adjusted}{sim}{2}{Ace}), '0.55737',
       'reference: adjusted(2,Ace) by hand');
}

# [location, builder args, reference options]; all with K=3, H=3 unless
# the args say otherwise
my @sim_models = (
    ['cosine',   [], {}],
    ['cosine50', ['--neighbors', 50], { K => 50 }],
    ['adjusted', ['--similarity', 'adjusted'], { similarity => 'adjusted' }],
    ['pearson',  ['--similarity', 'pearson'], { similarity => 'pearson' }],
    ['jaccard',  ['--similarity', 'jaccard'], { similarity => 'jaccard' }],
    ['shrink',   ['--shrink', 2], { shrink => 2 }],
    ['pearson-s-m', ['--similarity', 'pearson', '--shrink', 1.5,
                     '--min-support', 2],
     { similarity => 'pearson', shrink => 1.5, min_support => 2 }],
    ['jaccard-m', ['--similarity', 'jaccard', '--min-support', 3],
     { similarity => 'jaccard', min_support => 3 }],
    ['adjusted-s-m', ['--similarity', 'adjusted', '--shrink', 1,
                      '--min-support', 2],
     { similarity => 'adjusted', shrink => 1, min_support => 2 }],
);

my %ew_custom = (view => 2, like => 1, purchase => 4, skip => -2,
                 dislike => -1, play => 1, watch => 1, share => 2,
                 click => 0.5, listen => 1, rate => 3, favorite => 6);
my $ew_spec = join ',', map { "$_=$ew_custom{$_}" } sort keys %ew_custom;

# [location, file, builder args, reference]
my @models;
for my $s (@sim_models) {
    my ($name, $args, $ro) = @$s;
    push @models, [$name, $ratings, ['--neighbors', 3, '--history', 3, @$args],
                   model_ref(rows => $r_rows, K => 3, H => 3, %$ro)];
}
push @models,
    ['events', $events, ['--neighbors', 3, '--history', 3],
     model_ref(events => $e_rows, K => 3, H => 3)],
    ['events50', $events, [],
     model_ref(events => $e_rows)],
    ['events-w', $events, ['--neighbors', 3, '--history', 3,
                           '--event-weights', $ew_spec],
     model_ref(events => $e_rows, K => 3, H => 3,
               event_weights => \%ew_custom)],
    ['plain', $decay, ['--neighbors', 3, '--history', 2],
     model_ref(rows => $d_rows, K => 3, H => 2)],
    ['decay', $decay, ['--neighbors', 3, '--history', 2, '--decay-days', 30],
     model_ref(rows => $d_rows, K => 3, H => 2, decay_days => 30)],
    ['decay50', $decay, ['--decay-days', 30],
     model_ref(rows => $d_rows, decay_days => 30)];

# events and decay together: each row's value halves with its own age, then
# a user's rows for the item add up (README: "each value halves for every D
# days between its row and the newest row of the log")
my $ev_decay = ['events-decay', $events,
                ['--neighbors', 3, '--history', 3, '--decay-days', 10],
                model_ref(events => $e_rows, K => 3, H => 3,
                          decay_days => 10)];

my %ref = map { $_->[0] => $_->[3] } @models, $ev_decay;

# the reference on the event log, by hand: e1 viewed and liked 1 (1 + 3),
# e2 liked and disliked 2 (3 - 3 = 0), e3 watched, viewed and listened to 3
# (1 + 1 + 1), e4 disliked 1 (-3), e5 skipped then liked 3 (-1 + 3)
is(join(' ', map { $ref{events}{value}{ $_->[0] }{ $_->[1] } }
             ['e1', 1], ['e2', 2], ['e3', 3], ['e4', 1], ['e5', 3]),
   '4 0 3 -3 2', 'reference: event values add up');
is(join(' ', map { $_->[0] } @{ $ref{events}{hist}{e2} }), '3 5 2',
   "reference: e2's history newest first (2's time is its latest row)");

# the options really change the answers on these fixtures
isnt(f4($ref{shrink}{nbrs}{7}), f4($ref{cosine}{nbrs}{7}),
     'fixture: shrinkage reorders item 7');
isnt(f4($ref{'pearson-s-m'}{nbrs}{ace}), f4($ref{pearson}{nbrs}{ace}),
     'fixture: min-support drops single co-user pairs');
isnt(f4($ref{decay}{nbrs}{10}), f4($ref{plain}{nbrs}{10}),
     'fixture: decay changes item 10');
my $last_only = model_ref(
    rows => [map { [@$_[0, 1], $RecsysRef::DEFAULT_EVENT_WEIGHTS{ $_->[2] },
                    @$_[3, 4]] } @$e_rows], K => 3, H => 3);
isnt(join(';', map { f4($ref{events}{nbrs}{$_}) } @{ $ref{events}{items} }),
     join(';', map { f4($last_only->{nbrs}{$_}) } @{ $ref{events}{items} }),
     'fixture: summing events differs from keeping the latest row');

# no adjacent scores so close that float rounding could swap them
for my $name (sort keys %ref) {
    my $m = $ref{$name};
    my @near = map { near_ties($_) } (values %{ $m->{nbrs} }),
                                     (values %{ $m->{itemcf} });
    ok(!@near, "fixture $name: no near-ties") or diag join "\n", @near;
}

my %model_file;
for my $m (@models, $ev_decay) {
    my ($name, $file, $args) = @$m;
    $model_file{$name} = build_model(interactions => $file,
                                     out => "$tmp/$name.mdb",
                                     model_id => "sim-$name", args => $args);
}

my $locations = join '', map { <<"EOF" } sort keys %model_file;
        location = /$_ {
            recsys;
            recsys_model $model_file{$_};
        }
EOF
my $srv = RecsysTest::start_nginx(locations => $locations);

sub q200 { $srv->ok200(@_) }

for my $m (@models) {
    my ($name) = @$m;
    my $r = $ref{$name};

    for my $i (@{ $r->{items} }) {
        # strict=1: an empty list stays empty (no popular fallback)
        my $d = q200("/$name?item=$i&n=50&strict=1", "$name item=$i",
                     model => "sim-$name", item => $i, user => undef);
        check_items($d->{items}, $r->{nbrs}{$i}, "$name item=$i");
    }

    for my $u (@{ $r->{users} }) {
        my $d = q200("/$name?user=$u&algo=itemcf&n=50&strict=1",
                     "$name user=$u itemcf",
                     model => "sim-$name", user => $u, algo => 'itemcf',
                     fallback => undef);
        check_items($d->{items}, $r->{itemcf}{$u}, "$name user=$u itemcf");
    }
}

{
    my ($name) = @$ev_decay;
    my $r = $ref{$name};
    for my $i (@{ $r->{items} }) {
        my $d = q200("/$name?item=$i&n=50", "$name item=$i", item => $i);
        check_items($d->{items}, $r->{nbrs}{$i}, "$name item=$i",
                    scores => 0);
        my @want = map { $_->[1] } @{ $r->{nbrs}{$i} };
        my @got = map { $_->{score} } @{ $d->{items} };
        my @bad = grep { !defined $got[$_] || abs($got[$_] - $want[$_]) > 1e-4 }
                  0 .. $#want;
        ok(!@bad, "$name item=$i: scores (each row decayed, then summed)")
            or diag join "\n", map { "$r->{nbrs}{$i}[$_][0]: got "
                                     . ($got[$_] // 'none')
                                     . ", want $want[$_]" } @bad;
    }
}

$srv->finish;

# an unknown event name fails the build, naming the file and line
{
    my $bad = write_file("$tmp/bad-event.csv",
        "user,item,event,timestamp\n"
        . "a,1,view,100\n"
        . "a,2,like,101\n"
        . "b,1,teleport,102\n"
        . "b,2,view,103\n");
    my ($rc, $out, $err) = builder('build', '--interactions', $bad,
                                   '--out', "$tmp/bad-event.mdb", '--quiet');
    isnt($rc, 0, 'unknown event: build fails');
    like($err, qr/\Q$bad\E:4:/, 'unknown event: stderr names FILE:4')
        or diag $err;
    ok(!-e "$tmp/bad-event.mdb", 'unknown event: no model written');

    # a weight given with --event-weights makes the same name valid
    ($rc, $out, $err) = builder('build', '--interactions', $bad,
                                '--out', "$tmp/ok-event.mdb", '--quiet',
                                '--event-weights', 'view=1,like=3,teleport=2');
    is($rc, 0, 'the same log with --event-weights teleport=2 builds')
        or diag $err;
}

done_testing();
