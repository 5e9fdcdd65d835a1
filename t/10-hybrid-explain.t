#!/usr/bin/perl

# 10-hybrid-explain: the hybrid blend, explanations and trending against the
# brute-force reference (RecsysRef::model_ref, blend, because).
#
# t/data/hyb-ratings.csv: 9 users, 11 items, timestamps over four months
# (low ids old, high ids recent, so trending differs from popular).  Models:
# /h built with --neighbors 3 --history 3 --user-top 3 and the blend
# itemcf=1 popular=0.05 (user_top 3 cuts both the item-CF list and the
# popular prior, so blends are short and popular fill shows); /w the same
# file with `recsys_weights itemcf=0.3 popular=1` (README's form), /wp with
# `recsys_weights popular=1`; /h100 --user-top 100 with --weights
# itemcf=0.8,popular=0.3; /t7 --trending-days 7.
#
# hybrid = sum over sources of w_s * score_s(i) / max_s over the user's
# item-CF list (first user_top) and popular's best user_top items, seen
# items dropped, then unseen popular items fill up.  Checked for every user
# with the model's, the location's and request (w_itemcf=, w_popular=,
# w_trending=) weights, at a deep offset, and with explain=1: the same
# items and scores as without (explain is blended at request time, so this
# also checks the precomputed list), "sources" equal to the reference's
# contributions and adding up to the score, "because" items from the
# history whose neighbour lists hold the item, at most 3, by contribution.
# Sessions (anonymous and with a user) with explain=1 likewise: with the
# model's blend an anonymous session is scored whole and scaled to the
# item-CF weight, and a known user's the same way, added to the user's
# stored hybrid list (RecsysRef known_session).
# algo=trending: sum over users of 0.5^((t_max - t) / (D days)) / users.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir check_items recsys_locations);
use RecsysRef qw(parse_interactions model_ref near_ties);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $csv = "$data/hyb-ratings.csv";
my $rows = parse_interactions($csv);

# the blend pinned in the model: sources the model may grow get weight 0
my $pin = 'usercf=0,content=0,trending=0,rp3beta=0,ease=0,als=0';
my %ref = (
    h => model_ref(rows => $rows, K => 3, H => 3, user_top => 3,
                   weights => { itemcf => 1, popular => 0.05 }),
    w => model_ref(rows => $rows, K => 3, H => 3, user_top => 3,
                   weights => { itemcf => 0.3, popular => 1 }),
    wp => model_ref(rows => $rows, K => 3, H => 3, user_top => 3,
                    weights => { itemcf => 1, popular => 1 }),
    h100 => model_ref(rows => $rows, K => 3, H => 3, user_top => 100,
                      weights => { itemcf => 0.8, popular => 0.3 }),
    t7 => model_ref(rows => $rows, K => 3, H => 3, user_top => 3,
                    trending_days => 7,
                    weights => { itemcf => 1, popular => 0.05 }),
);
my $m = $ref{h};
my @users = @{ $m->{users} };

sub f4 { join ' ', map { sprintf '%s:%.4f', @$_ } @{ $_[0] } }

# The reference by hand.  Popular: 2 4 6 8 10 at 5/9 (index order), so the
# prior with user_top 3 is 2, 4, 6.  h1 saw 4 7 8 10 z; its item-CF list
# is 6 1.8205, 9 .7330, 3 .6928 (2 .6769 and 5 .6480 cut by user_top 3):
#   6: 1 * 1.8205/1.8205 + 0.05 * (5/9)/(5/9) = 1.05
#   9: .7330/1.8205 = .4026   3: .6928/1.8205 = .3806   2: 0.05
# then the fill: unseen popular items not listed, 5 (3/9) and 1 (1/9).
is(f4($m->blend(user => 'h1')),
   '6:1.0500 9:0.4026 3:0.3806 2:0.0500 5:0.3333 1:0.1111',
   'reference: h1 hybrid by hand');
isnt(f4($m->{trending}), f4($m->{popular}), 'fixture: trending != popular');
isnt(f4($ref{t7}{trending}), f4($m->{trending}),
     'fixture: --trending-days 7 reorders trending');

my %wset = (
    ''                          => {},
    'w_itemcf=0.5&w_popular=2'  => { itemcf => 0.5, popular => 2 },
    'w_popular=0'               => { popular => 0 },
    'w_itemcf=0'                => { itemcf => 0 },
    'w_trending=1'              => { trending => 1 },
    'w_itemcf=0.25&w_trending=3' => { itemcf => 0.25, trending => 3 },
);
{
    my @near;
    for my $u (@users) {
        push @near, near_ties(scalar $m->blend(user => $u, weights => $_))
            for values %wset;
        push @near, near_ties(scalar $ref{$_}->blend(user => $u))
            for qw(w wp h100);
    }
    push @near, near_ties($_->{trending}) for values %ref;
    ok(!@near, 'fixture: no near-ties in the blends') or diag join "\n", @near;
}

my %model;
$model{h} = build_model(interactions => $csv, out => "$tmp/h.mdb",
    model_id => 'hyb-3',
    args => ['--neighbors', 3, '--history', 3, '--user-top', 3,
             '--weights', "itemcf=1,popular=0.05,$pin"]);
$model{h100} = build_model(interactions => $csv, out => "$tmp/h100.mdb",
    model_id => 'hyb-100',
    args => ['--neighbors', 3, '--history', 3,
             '--weights', "itemcf=0.8,popular=0.3,$pin"]);
$model{t7} = build_model(interactions => $csv, out => "$tmp/t7.mdb",
    model_id => 'hyb-t7',
    args => ['--neighbors', 3, '--history', 3, '--user-top', 3,
             '--trending-days', 7, '--weights', "itemcf=1,popular=0.05,$pin"]);

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['= /h', $model{h}],
    ['= /w', $model{h}, 'recsys_weights itemcf=0.3 popular=1'],
    ['= /wp', $model{h}, 'recsys_weights popular=1'],
    ['= /e1', $model{h}, 'recsys_explain_history 1'],
    ['= /h100', $model{h100}],
    ['= /t7', $model{t7}],
));

sub q200 { $srv->ok200(@_) }

# item=: every item's neighbour list as served, to check "because" with
my %served_nbrs;
for my $i (@{ $m->{items} }) {
    my $d = q200("/h?item=$i&n=50", "item=$i", item => $i);
    check_items($d->{items}, $m->{nbrs}{$i}, "item=$i");
    $served_nbrs{$i} = { map { $_->{id} => 1 } @{ $d->{items} } };
}

# known_bug($why, sub { ... }): checks that once caught a product bug ($why
# says which); the bugs are fixed and these run as plain checks.
sub known_bug {
    my ($why, $code) = @_;
    return $code->();
}

# check_explain($d, $plain, $name, $ref, $contrib, $scale, $hist,
# $todo_ref): one explain=1 answer against the same request without explain
# and the reference's contributions and credits ($todo_ref: the comparisons
# with the reference once caught a product bug for this reason).
sub check_explain {
    my ($d, $plain, $name, $r, $contrib, $scale, $hist, $todo_ref) = @_;
    my @items = @{ $d->{items} || [] };

    is(join(' ', map { "$_->{id}:$_->{score}" } @items),
       join(' ', map { "$_->{id}:$_->{score}" } @{ $plain->{items} || [] }),
       "$name: same items and scores as without explain");

    my %in_hist = map { $_->[0] => 1 } @$hist;
    my (@shape, @sum, @src, @fill, @hist_bad, @nbr_bad, @order_bad, @why,
        @why_fill);
    for my $it (@items) {
        my $id = $it->{id};
        if (ref $it->{sources} ne 'HASH' || ref $it->{because} ne 'ARRAY'
            || grep { ref || !defined } values %{ $it->{sources} || {} })
        {
            push @shape, "$id: sources/because missing or mistyped";
            next;
        }
        my $s = $it->{sources};
        my $total = 0;
        $total += $_ for values %$s;
        my $want = $contrib->{$id} || {};
        my $blended = %$want ? 1 : 0;

        if ($blended) {
            push @sum, "$id: sources add up to $total, score $it->{score}"
                if abs($total - $it->{score}) > 1e-4;
            for my $k (sort keys %{ { %$s, %$want } }) {
                my ($g, $w) = ($s->{$k} // 0, $want->{$k} // 0);
                push @src, "$id: $k got $g, want $w" if abs($g - $w) > 1e-4;
            }
        } else {
            # a popular fill item: its score is its popularity
            push @fill, "$id: sources {" . join(',', map { "$_:$s->{$_}" }
                                                     sort keys %$s)
                        . "} add up to $total, score $it->{score}"
                if abs($total - $it->{score}) > 1e-4;
        }

        my @b = @{ $it->{because} };
        push @shape, "$id: " . scalar(@b) . ' because items' if @b > 3;
        for my $h (@b) {
            push @hist_bad, "$id: because $h is not in the history"
                unless $in_hist{$h};
            push @nbr_bad, "$id: because $h, but $id is not among its "
                           . 'served and reference neighbours'
                unless $served_nbrs{$h}{$id}
                       && grep { $_->[0] eq $id } @{ $r->nb($h) };
        }
        my $cr = $r->because($id, $hist, $scale);
        my %credit = map { $_->[0] => $_->[1] } @$cr;
        for my $k (1 .. $#b) {
            push @order_bad, "$id: because @b not by contribution"
                if ($credit{ $b[$k] } // 0) > ($credit{ $b[$k - 1] } // 0)
                                               + 1e-9;
        }
        # the history items behind the item-CF part of the score: none when
        # item-CF gave the item nothing
        my $w = ($want->{itemcf} // 0) > 0 ? join(' ', map { $_->[0] } @$cr)
                                           : '';
        if (join(' ', @b) ne $w) {
            if ($blended) {
                push @why, "$id: because [@b], want [$w]";
            } else {
                push @why_fill, "$id: because [@b], want [$w]";
            }
        }
    }
    ok(!@shape, "$name: sources and because present, at most 3 because")
        or diag join "\n", @shape;
    ok(!@sum, "$name: blended items' sources add up to their score")
        or diag join "\n", @sum;
    known_bug($todo_ref, sub {
        ok(!@src, "$name: sources equal the reference's contributions")
            or diag join "\n", @src;
    });
    ok(!@hist_bad, "$name: because items are history items")
        or diag join "\n", @hist_bad;
    ok(!@nbr_bad, "$name: because items have the item as a neighbour")
        or diag join "\n", @nbr_bad;
    ok(!@order_bad, "$name: because ordered by contribution")
        or diag join "\n", @order_bad;
    # checks that once caught product bugs (fixed)
    my $fill_bug = 'explain on popular fill items: "sources" is empty, so '
                   . 'it does not add up to the score (the popularity), '
                   . 'and "because" names item-CF history items';
    known_bug(@why && !grep(!/want \[\]\z/, @why)
         ? 'because names history items for items item-CF gave nothing '
           . '(cut from the user_top list; only popular scored them)'
         : undef, sub {
        ok(!@why, "$name: because = the reference's top credits (blended)")
            or diag join "\n", @why;
    });
    known_bug(@fill && !grep(!/sources \{\}/, @fill) ? $fill_bug : undef, sub {
        ok(!@fill, "$name: fill items' sources add up to their score")
            or diag join "\n", @fill;
    });
    known_bug(@why_fill ? $fill_bug : undef, sub {
        ok(!@why_fill, "$name: fill items have no because")
            or diag join "\n", @why_fill;
    });
}

# every user, every weight setting: the model's blend (precomputed), the
# request's, the location's; explain=1 blended at request time
for my $u (@users) {
    for my $q (sort keys %wset) {
        my $path = "/h?user=$u&n=20" . ($q ne '' ? "&$q" : '');
        my $plain = q200($path, $path, model => 'hyb-3', algo => 'hybrid',
                         user => $u, fallback => undef);
        my ($want, $contrib, $scale, $hist) =
            $m->blend(user => $u, weights => $wset{$q});
        check_items($plain->{items}, $want, $path);

        my $d = q200("$path&explain=1", "$path&explain=1", user => $u);
        check_explain($d, $plain, "$path&explain=1", $m, $contrib, $scale,
                      $hist);
    }

    # a deep offset past the precomputed list (user_top 3)
    my @all = @{ $m->blend(user => $u) };
    my $d = q200("/h?user=$u&n=4&offset=3", "/h?user=$u&n=4&offset=3");
    check_items($d->{items}, [@all[3 .. ($#all < 6 ? $#all : 6)]],
                "/h?user=$u&n=4&offset=3");

    my $multi = 'recsys_weights with two SOURCE=W pairs on one line keeps '
                . 'only the first (popular=1 is ignored)';
    for my $c (['/w', $ref{w}, {}, 'hyb-3', undef, $multi],
               ['/w', $ref{w}, { itemcf => 2 }, 'hyb-3', 'w_itemcf=2',
                $multi],
               ['/wp', $ref{wp}, {}, 'hyb-3'],
               ['/wp', $ref{wp}, { itemcf => 0.5 }, 'hyb-3', 'w_itemcf=0.5'],
               ['/h100', $ref{h100}, {}, 'hyb-100'],
               ['/h100', $ref{h100}, { popular => 0.01 }, 'hyb-100',
                'w_popular=0.01']) {
        my ($loc, $r, $w, $id, $q, $bug) = @$c;
        my $path = "$loc?user=$u&n=20" . ($q ? "&$q" : '');
        my $plain = q200($path, $path, model => $id, user => $u);
        my ($want, $contrib, $scale, $hist) = $r->blend(user => $u,
                                                        weights => $w);
        # the known bug only where it changes this answer: the ids, or
        # only the scores
        my $as_bug = $bug && $r->blend(user => $u,
                                       weights => { popular => 0.05, %$w });
        $bug = undef if $bug && f4($want) eq f4($as_bug);
        if ($bug && join(' ', map { $_->[0] } @$want)
                    eq join(' ', map { $_->[0] } @$as_bug)) {
            check_items($plain->{items}, $want, $path, scores => 0);
            my @bad = grep { abs($plain->{items}[$_]{score} - $want->[$_][1])
                             > 1e-4 } 0 .. $#$want;
            known_bug($bug, sub {
                ok(!@bad, "$path: scores")
                    or diag join "\n", map { "$want->[$_][0]: got "
                        . "$plain->{items}[$_]{score}, want $want->[$_][1]" }
                        @bad;
            });
        } else {
            known_bug($bug, sub { check_items($plain->{items}, $want, $path) });
        }
        my $e = q200("$path&explain=1", "$path&explain=1", user => $u);
        check_explain($e, $plain, "$path&explain=1", $r, $contrib, $scale,
                      $hist, $bug);
    }
}

# sessions with explain: anonymous and with a known user
my $many = 0;
for my $c ([[10, 8]], [[1, 3, 5]], [[9]], [[2, 'nope', 7], 'h4'],
           [[6], 'h8'], [[3, 5], 'h2'], [[1, 2, 3, 4, 5], 'h1']) {
    my ($s, $u) = @$c;
    my $path = '/h?history=' . join(',', @$s) . '&n=20'
               . (defined $u ? "&user=$u" : '');
    my %skip = map { $_ => 1 } @$s;
    my ($want, $contrib, $scale, $hist) =
        $m->blend(user => $u, session => $s, need => 20,
                  pass => sub { !$skip{ $_[0] } });
    my $plain = q200($path, $path, algo => 'hybrid', user => $u,
                     fallback => undef);
    check_items($plain->{items}, $want, $path);

    # n=2: the first two of the same ranking (the scored part is chosen
    # by selection, not sorted whole)
    my $path2 = '/h?history=' . join(',', @$s) . '&n=2'
                . (defined $u ? "&user=$u" : '');
    my ($want2) = $m->blend(user => $u, session => $s, need => 2,
                            pass => sub { !$skip{ $_[0] } });
    my $two = q200($path2, $path2, algo => 'hybrid', user => $u,
                   fallback => undef);
    check_items($two->{items}, [grep { defined } @$want2[0, 1]], $path2);

    my $d = q200("$path&explain=1", "$path&explain=1", user => $u);
    check_explain($d, $plain, "$path&explain=1", $m, $contrib, $scale, $hist);
    for my $it (@$want) {
        $many++ if 3 < grep { $m->sim_in_row($_->[0], $it->[0]) > 0 } @$hist;
    }
}
ok($many, 'fixture: some item has more than 3 history items behind it');

# algo=itemcf&explain=1: the single source's score, because from history
for my $u (@users) {
    my $path = "/h?user=$u&algo=itemcf&n=20&explain=1&strict=1";
    my $d = q200($path, $path, algo => 'itemcf', user => $u);
    check_items($d->{items}, $m->{itemcf}{$u}, $path);
    my (@bad);
    for my $it (@{ $d->{items} }) {
        my @k = keys %{ $it->{sources} || {} };
        push @bad, "$it->{id}: sources {@k}"
            unless @k == 1 && $k[0] eq 'itemcf'
                   && abs($it->{sources}{itemcf} - $it->{score}) <= 1e-4;
        my $w = join ' ', map { $_->[0] }
                @{ $m->because($it->{id}, $m->{hist}{$u}, { itemcf => 1 }) };
        push @bad, "$it->{id}: because [@{ $it->{because} || [] }], want [$w]"
            if join(' ', @{ $it->{because} || [] }) ne $w;
    }
    ok(!@bad, "$path: sources = {itemcf: score}, because = top credits")
        or diag join "\n", @bad;
}

# algo=trending for known users: unseen items by decayed popularity
for my $c (['/h', $ref{h}, 'hyb-3'], ['/t7', $ref{t7}, 'hyb-t7']) {
    my ($loc, $r, $id) = @$c;
    my $d = q200("$loc?user=nobody&algo=trending&n=20",
                 "$loc unknown user algo=trending", fallback => 'popular');
    check_items($d->{items}, $r->{popular}, "$loc unknown user: popular");
    for my $u (@users) {
        my $path = "$loc?user=$u&algo=trending&n=20";
        $d = q200($path, $path, model => $id, algo => 'trending', user => $u,
                  fallback => undef);
        check_items($d->{items},
                    [grep { !$r->{seen}{$u}{ $_->[0] } } @{ $r->{trending} }],
                    $path);
    }
    my $path = "$loc?history=10,9&algo=trending&n=20";
    $d = q200($path, $path, algo => 'trending', user => undef);
    check_items($d->{items},
                [grep { $_->[0] !~ /\A(?:10|9)\z/ } @{ $r->{trending} }],
                "$path: session items left out");
}

# recsys_explain_history 1: only the newest history item can be named
{
    my ($cut, @bad) = (0);
    for my $u (@users) {
        my $path = "/e1?user=$u&algo=itemcf&n=20&explain=1&strict=1";
        my $d = q200($path, $path, algo => 'itemcf', user => $u);
        my $newest = $m->{hist}{$u}[0][0];
        for my $it (@{ $d->{items} }) {
            my @got = @{ $it->{because} || [] };
            my $w = join ' ', map { $_->[0] }
                    @{ $m->because($it->{id}, $m->{hist}{$u}, { itemcf => 1 },
                                   explain_history => 1) };
            my $all = $m->because($it->{id}, $m->{hist}{$u}, { itemcf => 1 });
            $cut++ if @$all > 1;
            push @bad, "$path $it->{id}: because [@got], want [$w]"
                if join(' ', @got) ne $w || grep { $_ ne $newest } @got;
        }
    }
    ok(!@bad, 'recsys_explain_history 1: because is the newest history '
              . 'item when it contributes, nothing else') or diag join "\n", @bad;
    ok($cut, 'fixture: the cut drops history items that contribute');
}

$srv->finish;

done_testing();
