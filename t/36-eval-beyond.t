#!/usr/bin/perl

# 36-eval-beyond: the beyond-accuracy figures, the per-user table, cold
# users and the comparisons against a baseline, read from `recsys-build
# eval` on a tiny log with a catalog, split by time (--protocol time
# --cutoff), and checked against a reference computed here from the rows:
#   - the split (train rows before the cutoff), the evaluated and the cold
#     users (test rows, no train rows);
#   - MostPop's lists (train items by train users, ties to the smaller id,
#     the user's train items left out) and from them, per user and as
#     means: MRR, novelty (-log2 of the share of train users), ILD over
#     genres (1 - cosine of the genre sets), ARP, APLT (long tail: after
#     the most popular items that reach 80% of the train rows),
#     serendipity against MostPop itself (0), and over all lists Gini,
#     entropy and distributional coverage of the exposure;
#   - --per-user: one row per user and algorithm, whose means are the
#     report's figures; the paired t statistic of SAR against MostPop
#     recomputed from those rows; the baseline against itself has p 1;
#   - under kfold every fold's users are pairs of their own;
#   - a held-out item the user also has in train is not relevant: under
#     loo a user whose newest row repeats a train item is not evaluated;
#   - a served list is as long as --k asks even past the model's
#     --user-top: `popular` with user_top=1 (each user's train items once,
#     so its order is MostPop's) gives, user by user, MostPop's values;
#   - the HTML page greys out what is not significant, and bad options
#     (--baseline not listed, --test-share out of range, --protocol time
#     on a log without timestamps) are refused up front.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use List::Util qw(sum);
use Test::More;
use RecsysTest qw(tmpdir slurp);

RecsysTest::skip_unless_built(builder_only => 1);

my $bin = RecsysTest::builder_path();
my $tmp = tmpdir();
my $k = 3;
my $cutoff = 1000;

my %genres = (
    1 => 'Action|Comedy', 2 => 'Action', 3 => 'Drama',
    4 => 'Drama|Romance', 5 => 'Comedy', 6 => 'Horror',
);
RecsysTest::write_file("$tmp/items.csv", "movieId,title,genres\n"
    . join('', map { "$_,Film $_ (1999),$genres{$_}\n" } sort keys %genres));

# user, item, time: e has test rows only (a cold user); d train rows only
my @rows = (
    [qw(a 1 100)], [qw(a 2 110)], [qw(a 3 120)], [qw(b 1 200)],
    [qw(b 3 210)], [qw(c 1 300)], [qw(c 2 310)], [qw(c 4 320)],
    [qw(d 5 400)], [qw(a 4 1000)], [qw(a 5 1010)], [qw(b 2 1100)],
    [qw(b 6 1110)], [qw(c 3 1200)], [qw(e 1 1300)], [qw(e 3 1310)],
);
RecsysTest::write_file("$tmp/log.csv", "userId,movieId,rating,timestamp\n"
    . join('', map { "$_->[0],$_->[1],4,$_->[2]\n" } @rows));

# ---- the reference --------------------------------------------------------

my (%train, %test, %pop);
for my $r (@rows) {
    my ($u, $i, $ts) = @$r;
    if ($ts < $cutoff) { $train{$u}{$i} = 1 } else { $test{$u}{$i} = 1 }
}
for my $u (keys %train) { $pop{$_}++ for keys %{ $train{$u} } }

my $n_train_users = keys %train;
my @users = sort keys %test;
my @cold = grep { !$train{$_} } @users;
my %is_cold = map { $_ => 1 } @cold;
my @cand = sort { $a <=> $b } keys %pop;
my @by_pop = sort { $pop{$b} <=> $pop{$a} || $a <=> $b } @cand;

# the short head: the most popular items until they reach 80% of train rows
my $total = sum(values %pop);
my ($acc, %tail) = (0);
for my $i (@by_pop) {
    if ($acc < 0.8 * $total) { $acc += $pop{$i} } else { $tail{$i} = 1 }
}

sub gset { my %s = map { $_ => 1 } split /\|/, $genres{ $_[0] }; \%s }

sub ild {
    my (@l) = @_;
    my ($s, $n) = (0, 0);
    for my $x (0 .. $#l) {
        for my $y ($x + 1 .. $#l) {
            my ($p, $q) = (gset($l[$x]), gset($l[$y]));
            my $common = grep { $q->{$_} } keys %$p;
            $s += 1 - $common / sqrt(keys(%$p) * keys(%$q));
            $n++;
        }
    }
    return $n ? $s / $n : undef;
}

my (%want, %count);
for my $u (@users) {
    my @list = grep { !($train{$u} && $train{$u}{$_}) } @by_pop;
    splice @list, $k if @list > $k;
    $count{$_}++ for @list;

    my ($rr, $dcg, $idcg) = (0, 0, 0);
    for my $p (0 .. $#list) {
        next unless $test{$u}{ $list[$p] };
        $rr ||= 1 / ($p + 1);
        $dcg += 1 / log(2 + $p);
    }
    my $nrel = keys %{ $test{$u} };
    $idcg += 1 / log(2 + $_) for 0 .. ($nrel < $k ? $nrel : $k) - 1;

    $want{$u} = {
        mrr => $rr,
        ndcg => $dcg / $idcg,
        novelty => sum(map { -log($pop{$_} / $n_train_users) / log(2) }
                       @list) / @list,
        arp => sum(map { $pop{$_} } @list) / @list,
        aplt => (grep { $tail{$_} } @list) / @list,
        ild_genre => ild(@list),
        serendipity => 0,
    };
}

my @exp = sort { $a <=> $b } map { $count{$_} // 0 } @cand;
my $shown = sum(@exp);
my $gini = sum(map { (2 * ($_ + 1) - @exp - 1) * $exp[$_] } 0 .. $#exp)
           / (@exp * $shown);
my $entropy = -sum(map { my $p = $_ / $shown; $p * log($p) / log(2) }
                   grep { $_ } @exp);

# ---- the run --------------------------------------------------------------

my ($rc, $out, $err) = RecsysTest::run_cmd(120, $bin, 'eval',
    '--interactions', "$tmp/log.csv", '--items', "$tmp/items.csv",
    '--protocol', 'time', '--cutoff', $cutoff, '--k', $k,
    '--algos', 'mostpop,sar', '--json', "$tmp/r.json",
    '--html', "$tmp/r.html", '--per-user', "$tmp/users.csv");
is($rc, 0, 'eval --protocol time exits 0') or diag $err;
note $out;

my $r = eval { decode_json(slurp("$tmp/r.json") // '') };
ok($r, 'valid JSON') or BAIL_OUT($@);

is($r->{protocol}, 'time', 'protocol time');
is($r->{cutoff}, $cutoff, "cutoff $cutoff");
is($r->{splits}[0]{train_rows}, (grep { $_->[2] < $cutoff } @rows),
   'train rows: those before the cutoff');
is($r->{splits}[0]{users_evaluated}, scalar @users,
   scalar(@users) . ' users with test rows');
is($r->{cold_users}, scalar @cold, scalar(@cold) . ' of them cold');
is($r->{splits}[0]{cold_users}, scalar @cold, 'and the split says so');
like($out, qr/^  \d+ of the users evaluated are cold/m,
     'the table names the cold users');
is($r->{baseline}, 'mostpop', 'the first algorithm is the baseline');

my ($mp, $sar) = @{ $r->{results} };
my $b = $mp->{beyond};

sub mean_of { my ($m) = @_; sum(map { $want{$_}{$m} } @users) / @users }

for my $m (qw(mrr novelty arp aplt serendipity)) {
    is(sprintf('%.9f', $b->{$m}), sprintf('%.9f', mean_of($m)),
       "MostPop $m");
}
my @ild = grep { defined } map { $want{$_}{ild_genre} } @users;
is(sprintf('%.9f', $b->{ild_genre}), sprintf('%.9f', sum(@ild) / @ild),
   'MostPop ILD over genres');
ok(defined $b->{ild_content} && $b->{ild_content} >= 0
   && $b->{ild_content} <= 1, 'ILD over content vectors in [0, 1]');
is(sprintf('%.9f', $b->{gini}), sprintf('%.9f', $gini), 'MostPop Gini');
is(sprintf('%.9f', $b->{entropy}), sprintf('%.9f', $entropy),
   'MostPop entropy');
is(sprintf('%.9f', $b->{dist_coverage}),
   sprintf('%.9f', $entropy / (log(@cand) / log(2))),
   'MostPop distributional coverage');
is(sprintf('%.9f', $mp->{ndcg_cold}),
   sprintf('%.9f', sum(map { $want{$_}{ndcg} } @cold) / @cold),
   'MostPop nDCG of the cold users');

# the per-user table
open my $fh, '<', "$tmp/users.csv" or die "users.csv: $!";
chomp(my $head = <$fh>);
my @cols = split /,/, $head;
my @csv;
while (<$fh>) {
    chomp;
    my %row;
    @row{@cols} = split /,/, $_, -1;
    push @csv, \%row;
}
close $fh;

is(scalar @csv, 2 * @users, 'per-user: a row per user and algorithm');
is_deeply([map { $_->{user} } grep { $_->{algo} eq 'mostpop' } @csv],
          \@users, 'per-user: the users in id order');
for my $row (grep { $_->{algo} eq 'mostpop' } @csv) {
    my $w = $want{ $row->{user} };
    my $bad = grep { abs($row->{$_} - $w->{$_}) > 1e-6 }
              qw(mrr ndcg novelty arp aplt);
    is($bad, 0, "per-user: MostPop's values of user $row->{user}");
    is($row->{cold}, $is_cold{ $row->{user} } ? 1 : 0,
       "per-user: user $row->{user} cold flag");
}

# the paired t statistic of SAR - MostPop from the per-user nDCG
my %nd;
push @{ $nd{ $_->{algo} } }, $_->{ndcg} for @csv;
my @d = map { $nd{sar}[$_] - $nd{mostpop}[$_] } 0 .. $#users;
my $md = sum(@d) / @d;
my $sd = sqrt(sum(map { ($_ - $md) ** 2 } @d) / (@d - 1));
my $vs = $sar->{vs_baseline}{ndcg};
is(sprintf('%.9f', $vs->{diff}), sprintf('%.9f', $md),
   'SAR - MostPop: the mean nDCG difference');
if ($sd > 0) {
    is(sprintf('%.6f', $vs->{t}), sprintf('%.6f', $md / ($sd / sqrt @d)),
       'SAR - MostPop: the paired t statistic');
} else {
    ok(1, 'SAR - MostPop: no spread, t by the degenerate rule');
}
ok($vs->{ci95}[0] <= $vs->{diff} && $vs->{diff} <= $vs->{ci95}[1],
   'the bootstrap interval holds the difference');
is($mp->{vs_baseline}{ndcg}{p_t}, 1, 'MostPop against itself: p 1');
ok(exists $sar->{vs_baseline}{map}{p_wilcoxon}, 'MAP is compared too');

my $page = slurp("$tmp/r.html") // '';
like($page, qr/Beyond accuracy.*Against the baseline/s,
     'the HTML page has both tables');
like($page, qr/<td class="ns"[^>]*>[+-]\d/,
     'a difference not significant at 0.05 is marked');

# --baseline by name; refusals
($rc, $out, $err) = RecsysTest::run_cmd(120, $bin, 'eval',
    '--interactions', "$tmp/log.csv", '--protocol', 'time',
    '--cutoff', $cutoff, '--k', $k, '--algos', 'mostpop,sar',
    '--baseline', 'sar', '--json', "$tmp/b.json");
is($rc, 0, '--baseline sar') or diag $err;
$r = decode_json(slurp("$tmp/b.json") // '{}');
is($r->{baseline}, 'sar', 'the report names SAR the baseline');
like($out, qr/^against SAR, paired over/m, 'the table says so');
ok(!defined $r->{results}[0]{beyond}{ild_genre},
   'no catalog: no ILD over genres');

# kfold: every fold's users are pairs of their own
($rc, $out, $err) = RecsysTest::run_cmd(120, $bin, 'eval',
    '--interactions', "$tmp/log.csv", '--protocol', 'kfold', '--folds', 2,
    '--k', $k, '--algos', 'mostpop,sar', '--json', "$tmp/k.json",
    '--per-user', "$tmp/k.csv");
is($rc, 0, 'eval --protocol kfold') or diag $err;
$r = decode_json(slurp("$tmp/k.json") // '{}');
my $pairs = sum(map { $_->{users_evaluated} } @{ $r->{splits} });
is($r->{results}[1]{vs_baseline}{ndcg}{n}, $pairs,
   "kfold: $pairs (fold, user) pairs compared");
my @k = grep { /^\d/ } split /\n/, slurp("$tmp/k.csv") // '';
is(scalar @k, 2 * $pairs, 'kfold: a per-user row per pair and algorithm');
is(scalar(grep { /^1,/ } @k), 2 * $r->{splits}[1]{users_evaluated},
   'kfold: the second fold\'s rows say fold 1');

# repeats: a's newest row is item 1 again, which a has in train, so a has
# no relevant item and is not evaluated.  Train counts 1:3 2:2 3:2 4:1;
# MostPop at k 2 without the user's train items: b [2 4] holds 2 at rank
# 1, c [1 4] holds 4 at rank 2, d [2 3] holds 3 at rank 2, so MAP
# (1 + 1/2 + 1/2) / 3, nDCG (1 + 2 / log2 3) / 3, P@2 1/2, R@2 and HR 1
RecsysTest::write_file("$tmp/rep.csv", "user,item,rating,timestamp\n"
    . "a,1,4,100\na,2,4,110\na,1,4,120\nb,1,4,100\nb,3,4,110\n"
    . "b,2,4,120\nc,2,4,100\nc,3,4,110\nc,4,4,120\nd,1,4,100\n"
    . "d,4,4,110\nd,3,4,120\n");
($rc, $out, $err) = RecsysTest::run_cmd(120, $bin, 'eval',
    '--interactions', "$tmp/rep.csv", '--protocol', 'loo', '--k', 2,
    '--algos', 'mostpop', '--json', "$tmp/rep.json");
is($rc, 0, 'eval --protocol loo, a repeated item held out') or diag $err;
$r = decode_json(slurp("$tmp/rep.json") // '{}');
is($r->{splits}[0]{test_rows}, 4, 'repeats: 4 test rows');
is($r->{splits}[0]{users_evaluated}, 3,
   'repeats: the user whose held-out item is a train item is not evaluated');
my $rm = $r->{results}[0]{metrics} || {};
my %rep_want = (map => 2 / 3, ndcg => (1 + 2 * log(2) / log(3)) / 3,
                precision => 0.5, recall => 1, hit_rate => 1);
for my $m (sort keys %rep_want) {
    is(sprintf('%.9f', $rm->{$m} // -1), sprintf('%.9f', $rep_want{$m}),
       "repeats: MostPop $m");
}

# --k past --user-top: the rest of the list is scored at request time,
# as served, not cut at user_top
($rc, $out, $err) = RecsysTest::run_cmd(120, $bin, 'eval',
    '--interactions', "$tmp/log.csv", '--protocol', 'time',
    '--cutoff', $cutoff, '--k', $k, '--algos', 'popular:user_top=1',
    '--per-user', "$tmp/top.csv");
is($rc, 0, "eval --k $k popular:user_top=1") or diag $err;
my @top = grep { /^\d/ } split /\n/, slurp("$tmp/top.csv") // '';
is(scalar @top, scalar @users, 'popular:user_top=1: a row per user');
for my $line (@top) {
    my %row;
    @row{@cols} = split /,/, $line, -1;
    my $w = $want{ $row{user} };
    my $bad = grep { abs($row{$_} - $w->{$_}) > 1e-6 }
              qw(mrr ndcg novelty arp aplt);
    is($bad, 0, "popular:user_top=1 at k $k: MostPop's values of user "
       . $row{user}) or diag $line;
}

RecsysTest::write_file("$tmp/nots.csv", "user,item\na,1\nb,2\n");
for my $case (
    [['--interactions', "$tmp/log.csv", '--baseline', 'als'],
     qr/--baseline/],
    [['--interactions', "$tmp/log.csv", '--protocol', 'time',
      '--test-share', '1.5'], qr/--test-share/],
    [['--interactions', "$tmp/nots.csv", '--protocol', 'time'],
     qr/timestamp/],
) {
    my ($args, $why) = @$case;
    ($rc, $out, $err) = RecsysTest::run_cmd(60, $bin, 'eval', @$args);
    ok($rc != 0 && $rc < 128, "eval @$args[2 .. $#$args]: refused");
    like($err, $why, "  and says why") or diag $err;
}

done_testing();
