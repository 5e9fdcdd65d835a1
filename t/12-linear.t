#!/usr/bin/perl

# 12-linear: the linear and factor sources (EASE^R, RP3beta, ALS) served by
# nginx, against references written here from the papers' formulas on a
# hand-made binary fixture (9 users, 8 items):
#   EASE   G = X'X + lambda I, P = G^-1 by Gauss-Jordan, B = -P / diag(P)
#          with a zero diagonal; a user's scores are x_u B (exact, seen
#          items out, positive scores only); a session's are the sum of the
#          positive B rows of its items.
#   RP3beta  W[i][j] = sum_u (x_ui/deg_i)^a (x_uj/deg_u)^a / deg_j^b,
#          zero diagonal, each row divided by its sum; a user's scores are
#          the sum of the rows of the items seen.
#   ALS    no closed form: the answers are checked for shape (the user's
#          items never come back, the list is stable, it differs from
#          popularity).
# The hybrid blend with these sources: with all other weights 0, the
# blend of EASE alone ranks as EASE does.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir write_file check_items
                  recsys_locations);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();

# user -> items (binary); ids are numbers, so index order is numeric
my %seen = (
    1 => [1, 2, 3],
    2 => [1, 2, 4],
    3 => [2, 3, 5],
    4 => [1, 3, 6, 7],
    5 => [4, 5, 6],
    6 => [5, 6, 7, 8],
    7 => [1, 8],
    8 => [2, 4, 6, 8],
    9 => [3, 7],
);
my @items = (1 .. 8);
my @users = sort { $a <=> $b } keys %seen;

my $csv = write_file("$tmp/lin.csv", "userId,itemId,rating,timestamp\n"
    . join('', map { my $u = $_; my $t = 1000 * $u;
                     map { "$u,$_,4," . $t++ . "\n" } @{ $seen{$u} } }
               @users));

my $lambda = 2;
# EASE^R itself, not the builder's default variant (t/41-ease-variants.t)
my @plain = qw(--ease-dlae 0 --ease-dropout 0 --ease-user-norm 0
               --ease-time-scale 0);

# --- EASE reference ---------------------------------------------------
my $n = @items;
my @g = map { [(0) x $n] } 1 .. $n;
for my $u (@users) {
    for my $a (@{ $seen{$u} }) {
        $g[$a - 1][$_ - 1]++ for @{ $seen{$u} };
    }
}
$g[$_][$_] += $lambda for 0 .. $n - 1;

# Gauss-Jordan with partial pivoting on [G | I]
my @m = map { [@{ $g[$_] }, (0) x $n] } 0 .. $n - 1;
for my $r (0 .. $n - 1) {
    @{ $m[$r] }[$n .. 2 * $n - 1] = map { $_ == $r ? 1 : 0 } 0 .. $n - 1;
}
for my $c (0 .. $n - 1) {
    my ($p) = sort { abs($m[$b][$c]) <=> abs($m[$a][$c]) } $c .. $n - 1;
    @m[$c, $p] = @m[$p, $c];
    my $d = $m[$c][$c];
    $_ /= $d for @{ $m[$c] };
    for my $r (0 .. $n - 1) {
        next if $r == $c;
        my $f = $m[$r][$c];
        next unless $f;
        $m[$r][$_] -= $f * $m[$c][$_] for 0 .. 2 * $n - 1;
    }
}
my @p = map { [@{ $m[$_] }[$n .. 2 * $n - 1]] } 0 .. $n - 1;

# the inverse really is one: G P = I
{
    my $worst = 0;
    for my $i (0 .. $n - 1) {
        for my $j (0 .. $n - 1) {
            my $s = 0;
            $s += $g[$i][$_] * $p[$_][$j] for 0 .. $n - 1;
            my $e = abs($s - ($i == $j ? 1 : 0));
            $worst = $e if $e > $worst;
        }
    }
    ok($worst < 1e-9, 'reference: G times its Gauss-Jordan inverse is I');
}

my @bm = map { my $i = $_;
               [map { $i == $_ ? 0 : -$p[$i][$_] / $p[$_][$_] } 0 .. $n - 1] }
         0 .. $n - 1;

sub ranked {
    my ($score, $exclude) = @_;
    my %x = map { $_ => 1 } @$exclude;
    return [map { [$_, $score->{$_}] }
            sort { $score->{$b} <=> $score->{$a} || $a <=> $b }
            grep { !$x{$_} && $score->{$_} > 1e-12 } keys %$score];
}

sub ease_user {
    my ($hist) = @_;
    my %s;
    for my $c (@items) {
        $s{$c} = 0;
        $s{$c} += $bm[$_ - 1][$c - 1] for @$hist;
    }
    return ranked(\%s, $hist);
}

sub ease_session {
    my ($hist) = @_;
    my %s;
    for my $c (@items) {
        $s{$c} = 0;
        for my $h (@$hist) {
            my $w = $bm[$h - 1][$c - 1];
            $s{$c} += $w if $w > 0;
        }
    }
    return ranked(\%s, $hist);
}

# --- RP3beta reference ------------------------------------------------
my ($alpha, $beta) = (0.4, 0.4);
my (%deg_i, %deg_u);
for my $u (@users) {
    $deg_u{$u} = @{ $seen{$u} };
    $deg_i{$_}++ for @{ $seen{$u} };
}
my %w;
for my $i (@items) {
    my %row;
    for my $u (@users) {
        next unless grep { $_ == $i } @{ $seen{$u} };
        for my $j (@{ $seen{$u} }) {
            next if $j == $i;
            $row{$j} += (1 / $deg_i{$i}) ** $alpha * (1 / $deg_u{$u}) ** $alpha;
        }
    }
    $row{$_} /= $deg_i{$_} ** $beta for keys %row;
    my $sum = 0;
    $sum += $_ for values %row;
    $w{$i} = { map { $_ => $row{$_} / $sum } keys %row };
}

sub rp3_user {
    my ($hist) = @_;
    my %s = map { $_ => 0 } @items;
    for my $h (@$hist) {
        $s{$_} += $w{$h}{$_} for keys %{ $w{$h} };
    }
    return ranked(\%s, $hist);
}

# --- the served answers ------------------------------------------------
my $model = build_model(interactions => $csv, out => "$tmp/lin.mdb",
    model_id => 'lin-1',
    args => ['--als', '--ease-lambda', $lambda, @plain, '--no-content',
             '--no-segments', '--no-rules', '--sparse-user', 0]);

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/recommend', $model],
    ['= /ease-only', $model, 'recsys_weights itemcf=0 usercf=0 popular=0 '
                             . 'trending=0 rp3beta=0 als=0 markov=0 ease=1'],
));

for my $u (@users) {
    my $want = ease_user($seen{$u});
    my $got = $srv->json("/recommend?user=$u&algo=ease&n=8");
    check_items([@{ $got->{items} }[0 .. $#$want]], $want,
                "user $u algo=ease");

    my $blend = $srv->json("/ease-only?user=$u&n=8");
    is(join(' ', map { $_->{id} } @{ $blend->{items} }[0 .. $#$want]),
       join(' ', map { $_->[0] } @$want),
       "user $u: the hybrid with only EASE weighted ranks as EASE");

    $want = rp3_user($seen{$u});
    $got = $srv->json("/recommend?user=$u&algo=rp3beta&n=8");
    check_items([@{ $got->{items} }[0 .. $#$want]], $want,
                "user $u algo=rp3beta");

    $got = $srv->json("/recommend?user=$u&algo=als&n=4");
    my %mine = map { $_ => 1 } @{ $seen{$u} };
    my @ids = map { $_->{id} } @{ $got->{items} };
    ok(@ids >= 1 && !grep({ $mine{$_} } @ids),
       "user $u algo=als: answers, none of the user's items");
    is(join(' ', map { $_->{id} }
                 @{ $srv->json("/recommend?user=$u&algo=als&n=4")->{items} }),
       join(' ', @ids), "user $u algo=als: the same list twice");
}

for my $h ([1, 2], [3, 7], [4, 5, 8]) {
    my $want = ease_session($h);
    my $q = join ',', @$h;
    my $got = $srv->json("/recommend?history=$q&algo=ease&n=8");
    check_items([@{ $got->{items} }[0 .. $#$want]], $want,
                "history=$q algo=ease");

    $want = rp3_user($h);
    $got = $srv->json("/recommend?history=$q&algo=rp3beta&n=8");
    check_items([@{ $got->{items} }[0 .. $#$want]], $want,
                "history=$q algo=rp3beta");
}

# --- an anonymous session with the default blend: the session list ---
# A model whose default blend is ease=1, rp3beta=0.5, popular=0.05.  The
# builder folds EASE and RP3beta into one row per item:
#   c_s = weight_s / mean over items of the best score of s's row
#   row_h(i) = c_ease B+[h][i] + c_rp3 W[h][i]   (all entries: 8 items)
# and a session scores S(i) = sum over its items of row_h(i), its items
# left out, scaled so that the best scores 1.5 (the blended weights), plus
# the popular prior 0.05 x pop(i) / pop(best).
my $sess_model = build_model(interactions => $csv, out => "$tmp/sess.mdb",
    model_id => 'lin-sess',
    args => ['--ease-lambda', $lambda, @plain, '--no-content', '--no-segments',
             '--no-rules', '--sparse-user', 0, '--weights',
             'ease=1,rp3beta=0.5,popular=0.05,itemcf=0,usercf=0,markov=0']);
my $sess_srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/recommend', $sess_model],
    ['= /e2', $sess_model, 'recsys_explain_history 2'],
));

my %bpos = map { my $h = $_;
                 ($h => { map { $bm[$h - 1][$_ - 1] > 0
                                ? ($_ => $bm[$h - 1][$_ - 1]) : () } @items }) }
           @items;
sub best_mean {
    my ($rows) = @_;
    my ($sum, $n) = (0, 0);
    for my $h (@items) {
        my @v = sort { $b <=> $a } values %{ $rows->{$h} };
        next unless @v && $v[0] > 0;
        $sum += $v[0];
        $n++;
    }
    return $sum / $n;
}
my %c = (ease => 1 / best_mean(\%bpos), rp3beta => 0.5 / best_mean(\%w));
my %pop = map { $_ => $deg_i{$_} / @users } @items;
my $pop_best = (sort { $b <=> $a } values %pop)[0];

# (ranking with fill, { item => { source => part } }, { item => [[h, credit]] })
sub session_ref {
    my ($ids) = @_;
    my %in = map { $_ => 1 } @$ids;
    my @hist = reverse @$ids;           # newest first
    my (%s, %part);
    for my $h (@hist) {
        for my $i (@items) {
            my $e = $c{ease} * ($bpos{$h}{$i} // 0);
            my $r = $c{rp3beta} * ($w{$h}{$i} // 0);
            next unless $e + $r > 0;
            $s{$i} += $e + $r;
            $part{$i}{ease} += $e if $e;
            $part{$i}{rp3beta} += $r if $r;
        }
    }
    delete $s{$_} for keys %in;
    my ($best) = sort { $b <=> $a } values %s;
    my $scale = 1.5 / $best;
    my (%final, %why, %credit);
    for my $i (keys %s) {
        $final{$i} = $scale * $s{$i};
        $why{$i}{$_} = $scale * $part{$i}{$_} for keys %{ $part{$i} };
    }
    for my $i (@items) {
        next if $in{$i};
        $final{$i} += 0.05 * $pop{$i} / $pop_best;
        $why{$i}{popular} = 0.05 * $pop{$i} / $pop_best;
    }
    for my $i (keys %final) {
        my $k = 0;
        $credit{$i} = [map { [$_->[0], $_->[1]] }
                       sort { $b->[1] <=> $a->[1] || $a->[2] <=> $b->[2] }
                       map { my $h = $_;
                             my $v = $c{ease} * ($bpos{$h}{$i} // 0)
                                     + $c{rp3beta} * ($w{$h}{$i} // 0);
                             [$h, $scale * $v, $k++] } @hist];
    }
    my $rank = [map { [$_, $final{$_}] }
                sort { $final{$b} <=> $final{$a} || $a <=> $b } keys %final];
    return ($rank, \%why, \%credit);
}

for my $h ([1, 2], [3, 7], [4, 5, 8], [6]) {
    my $q = join ',', @$h;
    my ($want, $why, $credit) = session_ref($h);
    my $got = $sess_srv->json("/recommend?history=$q&n=8");
    check_items($got->{items}, $want, "history=$q (default blend)");

    my $e = $sess_srv->json("/recommend?history=$q&n=8&explain=1");
    is(join(' ', map { $_->{id} } @{ $e->{items} }),
       join(' ', map { $_->{id} } @{ $got->{items} }),
       "history=$q: explain=1 answers the same items");
    my @bad;
    for my $it (@{ $e->{items} }) {
        my ($id, $src) = ($it->{id}, $it->{sources} || {});
        my $sum = 0;
        $sum += $_ for values %$src;
        push @bad, "$id: sources add up to $sum, score $it->{score}"
            if abs($sum - $it->{score}) > 1e-4;
        for my $k (sort keys %{ { %$src, %{ $why->{$id} || {} } } }) {
            my ($g, $w) = ($src->{$k} // 0, $why->{$id}{$k} // 0);
            push @bad, "$id: $k got $g, want $w" if abs($g - $w) > 1e-4;
        }
        my @cr = grep { $_->[1] > 1e-12 } @{ $credit->{$id} || [] };
        my $wb = join ' ', map { $_->[0] } @cr[0 .. ($#cr < 2 ? $#cr : 2)];
        push @bad, "$id: because [@{ $it->{because} }], want [$wb]"
            if join(' ', @{ $it->{because} }) ne $wb;
    }
    ok(!@bad, "history=$q&explain=1: sources and because from the reference")
        or diag join "\n", @bad;

    # recsys_explain_history 2: only the two newest session items are named
    my @newest = (reverse @$h)[0 .. ($#$h < 1 ? $#$h : 1)];
    my %ok = map { $_ => 1 } @newest;
    my $e2 = $sess_srv->json("/e2?history=$q&n=8&explain=1");
    ok(!grep({ !$ok{$_} } map { @{ $_->{because} } } @{ $e2->{items} }),
       "history=$q: recsys_explain_history 2 names only @newest");
}
$sess_srv->finish;

# every answer of ALS for user 1 differs from plain popularity somewhere
{
    my @als = map { join ' ', map { $_->{id} }
                    @{ $srv->json("/recommend?user=$_&algo=als&n=3")->{items} } }
              @users;
    my @pop = map { join ' ', map { $_->{id} }
                    @{ $srv->json("/recommend?user=$_&algo=popular&n=3")->{items} } }
              @users;
    ok(join('/', @als) ne join('/', @pop), 'ALS answers are not popularity');
}

$srv->finish;
done_testing();
