#!/usr/bin/perl

# 41-ease-variants: EDLAE, DLAE and user weights in EASE (Steck 2020),
# served by nginx, against a reference written here from the formulas on
# a hand-made binary fixture (9 users, 8 items):
#   w_u  = |I_u|^-a                      (--ease-user-norm a)
#   k    = f + (1 - f) exp(-|t_ui - t_uj| / S), 1 when S is 0
#                                        (--ease-time-scale S,
#                                         --ease-time-floor f)
#   G    = sum_u w_u k x_u' x_u
#   L_j  = lambda + p / (1 - p) G[j][j]  (--ease-dropout p)
#   P    = (G + diag L)^-1, by Cholesky here (t/12 uses Gauss-Jordan)
#   B    = -P[i][j] / P[j][j] (EDLAE) or -P[i][j] L[j] (DLAE,
#          --ease-dlae 1), zero diagonal
# a user's list is x_u B, seen items out, positive scores only.  With p 0
# and a 0 the model is EASE^R's (the file's params say so too).
# `eval`'s dense adapters start from the builder's defaults: on a generated
# log, ease-dense, rp3beta-dense and als-dense without settings give the
# MAP and nDCG@10 of the served ease, rp3beta and als.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use RecsysTest qw(build_model tmpdir write_file check_items builder
                  recsys_locations slurp);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();

my %seen = (
    1 => [1, 2, 3],    2 => [1, 2, 4],    3 => [2, 3, 5],
    4 => [1, 3, 6, 7], 5 => [4, 5, 6],    6 => [5, 6, 7, 8],
    7 => [1, 8],       8 => [2, 4, 6, 8], 9 => [3, 7],
);
my @items = (1 .. 8);
my @users = sort { $a <=> $b } keys %seen;
my $n = @items;

# user u's k-th row at 1000 u + k^2 seconds
my %when = map { my $u = $_; my $k = 0;
                 ($u => { map { ($_ => 1000 * $u + $k++ ** 2) }
                          @{ $seen{$u} } }) } @users;
my $csv = write_file("$tmp/v.csv", "userId,itemId,rating,timestamp\n"
    . join('', map { my $u = $_;
                     map { "$u,$_,4,$when{$u}{$_}\n" } @{ $seen{$u} } }
               @users));

sub kernel {
    my ($o, $u, $i, $j) = @_;
    return 1 unless $o->{s};
    return $o->{f} + (1 - $o->{f})
           * exp(-abs($when{$u}{$i} - $when{$u}{$j}) / $o->{s});
}

# the inverse of a symmetric positive definite matrix: A = L L', then
# each column of A^-1 by forward and back substitution
sub spd_inverse {
    my ($a) = @_;
    my @l = map { [(0) x $n] } 1 .. $n;
    for my $i (0 .. $n - 1) {
        for my $j (0 .. $i) {
            my $s = $a->[$i][$j];
            $s -= $l[$i][$_] * $l[$j][$_] for 0 .. $j - 1;
            $l[$i][$j] = $i == $j ? sqrt($s) : $s / $l[$j][$j];
        }
    }
    my @inv = map { [(0) x $n] } 1 .. $n;
    for my $c (0 .. $n - 1) {
        my @y;
        for my $i (0 .. $n - 1) {
            my $s = $i == $c ? 1 : 0;
            $s -= $l[$i][$_] * $y[$_] for 0 .. $i - 1;
            $y[$i] = $s / $l[$i][$i];
        }
        for my $i (reverse 0 .. $n - 1) {
            my $s = $y[$i];
            $s -= $l[$_][$i] * $inv[$_][$c] for $i + 1 .. $n - 1;
            $inv[$i][$c] = $s / $l[$i][$i];
        }
    }
    return \@inv;
}

sub reference {
    my (%o) = @_;
    my @g = map { [(0) x $n] } 1 .. $n;
    for my $u (@users) {
        my $w = @{ $seen{$u} } ** -$o{a};
        for my $i (@{ $seen{$u} }) {
            $g[$i - 1][$_ - 1] += $w * kernel(\%o, $u, $i, $_)
                for @{ $seen{$u} };
        }
    }
    my @l = map { $o{lambda} + $o{p} / (1 - $o{p}) * $g[$_][$_] }
            0 .. $n - 1;
    $g[$_][$_] += $l[$_] for 0 .. $n - 1;
    my $p = spd_inverse(\@g);
    return [ map { my $i = $_;
                   [ map { $i == $_ ? 0
                           : $o{dlae} ? -$p->[$i][$_] * $l[$_]
                           : -$p->[$i][$_] / $p->[$_][$_] } 0 .. $n - 1 ] }
             0 .. $n - 1 ];
}

sub user_list {
    my ($bm, $hist) = @_;
    my %mine = map { $_ => 1 } @$hist;
    my %s;
    for my $c (grep { !$mine{$_} } @items) {
        $s{$c} = 0;
        $s{$c} += $bm->[$_ - 1][$c - 1] for @$hist;
    }
    return [ map { [$_, $s{$_}] }
             sort { $s{$b} <=> $s{$a} || $a <=> $b }
             grep { $s{$_} > 1e-12 } keys %s ];
}

my @cases = (
    [ 'EDLAE p 0.4', { lambda => 0.5, p => 0.4, dlae => 0, a => 0 } ],
    [ 'DLAE p 0.5', { lambda => 0.3, p => 0.5, dlae => 1, a => 0 } ],
    [ 'DLAE, users weighted', { lambda => 0.3, p => 0.5, dlae => 1,
                                a => 0.5 } ],
    [ 'EASE, users weighted', { lambda => 0.2, p => 0, dlae => 0,
                                a => 0.75 } ],
    [ 'DLAE, time kernel', { lambda => 0.3, p => 0.5, dlae => 1, a => 0.2,
                             s => 3, f => 0.25 } ],
);

my (@loc, %model);
for my $k (0 .. $#cases) {
    my $o = $cases[$k][1];
    $model{$k} = build_model(interactions => $csv, out => "$tmp/v$k.mdb",
        model_id => "var-$k",
        args => ['--ease-lambda', $o->{lambda}, '--ease-dropout', $o->{p},
                 '--ease-dlae', $o->{dlae}, '--ease-user-norm', $o->{a},
                 '--ease-time-scale', $o->{s} // 0,
                 '--ease-time-floor', $o->{f} // 1,
                 '--no-content', '--no-segments', '--no-rules',
                 '--no-rp3beta', '--user-neighbors', 0,
                 '--sparse-user', 0]);
    push @loc, ["/v$k", $model{$k}];
}

my (undef, $stats) = builder('inspect', $model{2}, 'stats');
like($stats, qr/"ease":\{"lambda":0\.[23]\d*,"items":\d+,"dropout":0\.5,"dlae":1,"user_norm":0\.5,"time_scale":0(?:\.0)?,"time_floor":1(?:\.0)?\}/,
     'the params keep the variant');

# the dense adapters fit the served models: same figures, to 6 decimals
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/gen", '--users', 200,
    '--items', 150, '--events', 4000, '--seed', 1);
is($rc, 0, 'gen exits 0') or diag $err;
($rc, $out, $err) = builder('eval', '--interactions',
    "$tmp/gen/interactions.csv", '--protocol', 'p2', '--algos',
    'ease,ease-dense,rp3beta,rp3beta-dense,als,als-dense',
    '--json', "$tmp/dense.json");
is($rc, 0, 'eval of the dense adapters exits 0') or diag $err;
my $r = eval { JSON::PP->new->decode(slurp("$tmp/dense.json") // '') } || {};
my %by_algo = map { $_->{algo} => $_->{metrics} } @{ $r->{results} || [] };
for my $algo (qw(ease rp3beta als)) {
    for my $m (qw(map ndcg)) {
        my ($served, $dense) = map { sprintf '%.6f', $_->{$m} // -1 }
                               $by_algo{$algo}, $by_algo{"$algo-dense"};
        ok($served > 0, "eval $algo: $m measured");
        is($dense, $served, "eval $algo-dense: the served ${algo}'s $m");
    }
}

my $srv = RecsysTest::start_nginx(locations => recsys_locations(@loc));

for my $k (0 .. $#cases) {
    my ($name, $o) = @{ $cases[$k] };
    my $bm = reference(%$o);
    for my $u (@users) {
        my $want = user_list($bm, $seen{$u});
        my $got = $srv->json("/v$k?user=$u&algo=ease&n=8");
        check_items([@{ $got->{items} }[0 .. $#$want]], $want,
                    "$name: user $u algo=ease");
    }
}

$srv->finish;
done_testing();
