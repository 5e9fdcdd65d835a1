#!/usr/bin/perl

# 09-session: history= (a session's items, most recent last) scored at
# request time with algo=itemcf, against the brute-force reference
# (RecsysRef::model_ref, session_hist, score_hist).
#
# t/data/sess-ratings.csv (8 users, 10 items, built with --neighbors 5
# --history 3) and its catalog t/data/sess-items.csv (items with several
# genres, one with none, 9 missing).  Location /s sets recsys_max_history 3,
# recsys_max_neighbors 3 and recsys_max_list 6 so that both truncations
# change the answers; /b sets recsys_session_neighbors 8 (each of n history
# items, the stored ones included, reads its first max(1, int(8 / n))
# neighbours); /d keeps the defaults (300 entries in all, which at most
# 50 history items of 5 neighbours never reach).  Checks: anonymous sessions
# (score = sum over the last max_history session items of sim over their
# first max_neighbors neighbours; session items never returned; unknown ids
# ignored; only unknown ids: the popular fallback), a known user's session
# (session items weight 1 first, then the stored history newest first
# scaled by its largest weight, capped together; seen items excluded),
# exclude=, genre= (OR, unknown names match nothing) with a session and
# with a known user, offset/n pagination, a history longer than
# recsys_max_list answered as its newest recsys_max_list ids, and
# recsys_session_neighbors past its range refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir check_items check_error
                  recsys_locations);
use RecsysRef qw(parse_interactions parse_catalog model_ref near_ties);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $csv = "$data/sess-ratings.csv";
my $cat = parse_catalog("$data/sess-items.csv");
my $m = model_ref(rows => parse_interactions($csv), K => 5, H => 3);

my %loc = (s => { mh => 3, mn => 3 }, d => { mh => 50, mn => 50 },
           b => { mh => 50, mn => 50, sn => 8 });

# ref_session(loc, session => [...], user => U, exclude => [...],
# genres => [...]): the expected item-CF ranking.
sub ref_session {
    my ($l, %o) = @_;
    # no session: the stored history as it is; with one, session_hist
    my $hist = $o{session}
        ? $m->session_hist($o{session}, user => $o{user},
                           max_history => $loc{$l}{mh})
        : [@{ $m->{hist}{ $o{user} } }];
    splice @$hist, $loc{$l}{mh} if @$hist > $loc{$l}{mh};
    # a session's walk: an even share of recsys_session_neighbors an item
    my $mn = $loc{$l}{mn};
    if ($o{session} && $loc{$l}{sn} && @$hist) {
        my $share = int($loc{$l}{sn} / @$hist) || 1;
        $mn = $share if $share < $mn;
    }
    my %skip = map { $_ => 1 } @{ $o{session} || [] }, @{ $o{exclude} || [] };
    my $seen = defined $o{user} ? $m->{seen}{ $o{user} } : {};
    my %g = map { $_ => 1 } @{ $o{genres} || [] };
    my $pass = sub {
        my ($i) = @_;
        return 0 if $skip{$i} || $seen->{$i};
        return 1 unless $o{genres};
        return scalar grep { $g{$_} } @{ $cat->{$i} ? $cat->{$i}{genres} : [] };
    };
    return $m->score_hist($hist, max_nbrs => $mn, pass => $pass);
}

sub f4 { join ' ', map { sprintf '%s:%.4f', @$_ } @{ $_[0] } }

# The reference by hand for one case.  Neighbours (K=5) of 1: 3 .8526,
# k .6466, 9 .5924, 7 .4926, ...; of 5: 6 .7428, k .6648, 3 .4075, 4 .3642.
# Session 1,5 on /s (3 neighbours each): 5 first, then 1:
#   k: .6648 + .6466 = 1.3114   3: .4075 + .8526 = 1.2601   6: .7428
#   9: .5924
is(f4(ref_session('s', session => [1, 5])),
   'k:1.3114 3:1.2601 6:0.7428 9:0.5924',
   'reference: session 1,5 by hand');
# s4's stored history (H=3): 9 (4), 6 (1), 5 (4): scaled 1, .25, 1; with
# session 2 on /s: 2 (1), 9 (1), 6 (.25), 5 cut by max_history 3
is(join(' ', map { "$_->[0]:$_->[1]" }
             @{ $m->session_hist([2], user => 's4', max_history => 3) }),
   '2:1 9:1 6:0.25', 'reference: s4 + session 2, capped at 3');

# the sessions: [session, user]; each run on /s and /d
my @cases = (
    [[2]], [[1, 5]], [[2, 7, 4, 9, 1]], [['4', 'nope', '6']],
    [['k', 3]], [[8, 'zz', 2, 6, 'k', 5]],
    [[2], 's4'], [[6, 4], 's3'], [[1], 's6'], [[9, 3, 'nope'], 's8'],
    [[2, 7, 4], 's1'],
);

# the caps really change these answers
ok((grep { f4(ref_session('s', session => $_->[0], user => $_->[1]))
           ne f4(ref_session('d', session => $_->[0], user => $_->[1])) }
    @cases) >= 6, 'fixture: max_history/max_neighbors change most answers');
# Session 1,5 on /b: 8 entries over 2 items, the first 4 neighbours of
# each: 7 (1's fourth) and 4 (5's fourth) join; nothing past them
is(f4(ref_session('b', session => [1, 5])),
   'k:1.3114 3:1.2601 6:0.7428 9:0.5924 7:0.4926 4:0.3642',
   'reference: session 1,5 on /b by hand');
ok((grep { f4(ref_session('b', session => $_->[0], user => $_->[1]))
           ne f4(ref_session('d', session => $_->[0], user => $_->[1])) }
    @cases) >= 6, 'fixture: recsys_session_neighbors changes most answers');
isnt(f4(ref_session('s', session => [2, 7, 4, 9, 1])),
     f4($m->score_hist([[4, 1], [7, 1], [2, 1]], max_nbrs => 3,
                       pass => sub { $_[0] !~ /\A[27491]\z/ })),
     'fixture: keeping the last 3 session items differs from the first 3');
isnt(f4(ref_session('s', session => [1, 5])),
     f4($m->score_hist([[5, 1], [1, 1]], max_nbrs => 5,
                       pass => sub { $_[0] !~ /\A[15]\z/ })),
     'fixture: max_neighbors 3 cuts a neighbour that matters');
{
    my @near;
    for my $c (@cases) {
        for my $l (qw(s d b)) {
            push @near, near_ties(ref_session($l, session => $c->[0],
                                              user => $c->[1]));
        }
    }
    ok(!@near, 'fixture: no near-ties in the session rankings')
        or diag join "\n", @near;
}

my $model = build_model(interactions => $csv, items => "$data/sess-items.csv",
                        out => "$tmp/sess.mdb", model_id => 'sess-1',
                        args => ['--neighbors', 5, '--history', 3]);

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['= /s', $model, 'recsys_max_history 3', 'recsys_max_neighbors 3',
     'recsys_max_list 6'],
    ['= /d', $model],
    ['= /b', $model, 'recsys_session_neighbors 8'],
));

sub q200 {
    my ($path, $name, %want) = @_;
    return $srv->ok200($path, $name, model => 'sess-1', %want);
}

sub req {
    my ($l, %o) = @_;
    my @q;
    push @q, 'user=' . $o{user} if defined $o{user};
    push @q, 'history=' . join(',', @{ $o{session} }) if $o{session};
    push @q, 'exclude=' . join(',', @{ $o{exclude} }) if $o{exclude};
    push @q, 'genre=' . join(',', @{ $o{genre_q} || $o{genres} })
        if $o{genre_q} || $o{genres};
    push @q, 'algo=itemcf', 'n=' . ($o{n} // 50);
    push @q, "offset=$o{offset}" if defined $o{offset};
    return "/$l?" . join '&', @q;
}

# sessions, anonymous and with a known user
for my $c (@cases) {
    my ($s, $u) = @$c;
    for my $l (qw(s d b)) {
        my $path = req($l, session => $s, user => $u);
        my $d = q200($path, $path, algo => 'itemcf', user => $u,
                     fallback => undef);
        check_items($d->{items}, ref_session($l, session => $s, user => $u),
                    $path, catalog => $cat);
    }
}

# exclude=, with unknown ids in it too
for my $c ([[1, 5], undef, ['k', 'nope']], [[1, 5], undef, [3, 6]],
           [[2], 's4', ['k', 8]], [[6, 4], 's3', [3]]) {
    my ($s, $u, $x) = @$c;
    for my $l (qw(s d)) {
        my $path = req($l, session => $s, user => $u, exclude => $x);
        my $d = q200($path, $path, algo => 'itemcf', user => $u);
        check_items($d->{items},
                    ref_session($l, session => $s, user => $u, exclude => $x),
                    $path);
    }
}

# genre=: any of the names; unknown names match nothing
for my $c ([[1, 5], undef, ['Comedy']],
           [[1, 5], undef, ['Comedy', 'Horror']],
           [[2, 7, 4, 9, 1], undef, ['Drama', 'Sci-Fi']],
           [[1, 5], undef, ['Nope', 'Action']],
           [[2], 's4', ['Comedy', 'Sci-Fi']],
           [[6, 4], 's3', ['Drama']],
           [undef, 's6', ['Drama']],
           [undef, 's4', ['Horror', 'Action']],
           [undef, 's5', ['Comedy']]) {
    my ($s, $u, $g) = @$c;
    my @known = grep { $_ ne 'Nope' } @$g;
    for my $l (qw(s d)) {
        # a known user without a session: the stored list, built with the
        # whole history, so only the default caps give the reference
        next if !$s && $l eq 's';
        my $path = req($l, session => $s, user => $u, genre_q => $g);
        my $d = q200($path, $path, algo => 'itemcf', user => $u);
        my $want = ref_session($l, session => $s, user => $u,
                               genres => \@known);
        check_items($d->{items}, $want, $path, catalog => $cat);
        ok(@$want > 0, "$path: the reference is not empty");
    }
}
for my $c ([[1, 5], undef], [[2], 's4'], [undef, 's6']) {
    my ($s, $u) = @$c;
    for my $g (['Nope'], ['Nope', 'Nada']) {
        my $path = req('d', session => $s, user => $u, genre_q => $g);
        my $d = q200($path, $path, user => $u);
        check_items($d->{items}, [], "$path: an unknown genre matches nothing");
    }
}

# pagination: page 2 of n=2 is items 3-4 of n=4
for my $c ([[2, 7, 4, 9, 1], undef], [[1, 5], undef], [[4, 6], undef],
           [[2], 's4'], [[8, 'zz', 2, 6, 'k', 5], undef]) {
    my ($s, $u) = @$c;
    for my $l (qw(s d)) {
        my $want = ref_session($l, session => $s, user => $u);
        my $p4 = req($l, session => $s, user => $u, n => 4);
        my $d4 = q200($p4, $p4, user => $u);
        check_items($d4->{items}, [@$want[0 .. ($#$want < 3 ? $#$want : 3)]],
                    $p4);
        my $p2 = req($l, session => $s, user => $u, n => 2, offset => 2);
        my $d2 = q200($p2, $p2, user => $u);
        is(join(' ', map { "$_->{id}:$_->{score}" } @{ $d2->{items} }),
           join(' ', map { "$_->{id}:$_->{score}" }
                     @{ $d4->{items} }[2 .. $#{ $d4->{items} }]),
           "$p2: equals items 3-4 of n=4");
        ok(@$want >= 4, "$p2: the reference has at least 4 items");
    }
}

# a session of unknown ids only is no session: the popular fallback
{
    my $d = q200('/s?history=nope,zz&algo=itemcf&n=50',
                 'history of unknown ids', user => undef,
                 fallback => 'popular');
    check_items($d->{items}, $m->{popular}, 'history of unknown ids');
}

# recsys_max_list 6 on /s: of 7 ids the newest 6 are kept (the oldest,
# dropped, is no session item and may be recommended), 6 are taken whole
{
    my $path = req('s', session => [1 .. 7]);
    my $d = q200($path, "$path (7 ids > recsys_max_list 6)",
                 algo => 'itemcf');
    check_items($d->{items}, ref_session('s', session => [2 .. 7]),
                "$path: the newest 6");
    $path = req('s', session => [1, 2, 3, 4, 'nope', 6, 7]);
    $d = q200($path, "$path (one unknown)", algo => 'itemcf');
    check_items($d->{items},
                ref_session('s', session => [2, 3, 4, 'nope', 6, 7]),
                "$path: the newest 6");
}
check_error($srv, 'GET', '/s?history=%zz,2,3,4,5,6,7', 400, 'bad_request',
            'history', 'history of 7 ids, the dropped one invalid: 400');
{
    my $s = [1, 2, 3, 4, 5, 6];
    my $path = req('s', session => $s);
    my $d = q200($path, "$path (6 ids = recsys_max_list)", algo => 'itemcf');
    check_items($d->{items}, ref_session('s', session => $s), $path);
}

$srv->finish;

# recsys_session_neighbors: 0 (no bound) to 1000000
my $ok = eval {
    RecsysTest::start_nginx(locations => recsys_locations(
        ['= /x', $model, 'recsys_session_neighbors 1000001']));
    1;
};
ok(!$ok && $@ =~ /recsys_session_neighbors must be from 0/,
   'recsys_session_neighbors 1000001: refused') or diag $@;

done_testing();
