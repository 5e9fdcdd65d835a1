#!/usr/bin/perl

# 37-eval-time: the global temporal split and the paired comparisons on
# ml-latest-small (../shared/data, next to the repository; skipped when
# absent, a failure under CI).  `eval --protocol time --test-share 0.2`
# must cut at the timestamp this test finds itself (the m-th newest, m =
# round-half-even(0.2 n)), put every row from that time on in test, and
# count as cold exactly the users whose rows all lie after it.  From the
# --per-user table of MostPop and SAR this test recomputes the mean
# nDCG@10 difference and the paired t statistic the report gives, and
# the validation pass splits the train rows again by the same share.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP;
use List::Util qw(sum);
use Test::More;
use RecsysTest qw(tmpdir slurp);

RecsysTest::skip_unless_built(builder_only => 1);

my $bin = RecsysTest::builder_path();
my $data = File::Spec->catfile(RecsysTest::need_movielens(), 'ratings.csv');
my $tmp = tmpdir();

# the reference split
open my $fh, '<', $data or die "$data: $!";
<$fh>;
my @rows;
while (<$fh>) {
    s/\s+\z//;
    my ($u, $i, undef, $ts) = split /,/;
    push @rows, [$u, $ts];
}
close $fh;

# C's printf rounds half to even
sub round_half_even { sprintf('%.0f', $_[0]) }

my @ts = sort { $a <=> $b } map { $_->[1] } @rows;
my $m = round_half_even(0.2 * @rows);
my $cutoff = $ts[@ts - $m];
my (%train_users, %test_users);
for my $r (@rows) {
    if ($r->[1] < $cutoff) { $train_users{ $r->[0] } = 1 }
    else { $test_users{ $r->[0] } = 1 }
}
my $test_rows = grep { $_->[1] >= $cutoff } @rows;
my $cold = grep { !$train_users{$_} } keys %test_users;

my ($rc, $out, $err) = RecsysTest::run_cmd(300, $bin, 'eval',
    '--interactions', $data, '--protocol', 'time', '--test-share', '0.2',
    '--algos', 'mostpop,sar', '--json', "$tmp/r.json",
    '--per-user', "$tmp/users.csv");
is($rc, 0, 'eval --protocol time --test-share 0.2 exits 0') or diag $err;
note $out;

my $r = decode_json(slurp("$tmp/r.json") // '{}');
is($r->{cutoff}, $cutoff, "the cutoff is the ${m}th newest time, $cutoff");
is($r->{splits}[0]{test_rows}, $test_rows, "$test_rows test rows");
is($r->{splits}[0]{train_rows}, @rows - $test_rows, 'the rest train');
is($r->{splits}[0]{users_evaluated}, scalar keys %test_users,
   'every user with a row from the cutoff on is evaluated');
is($r->{cold_users}, $cold, "$cold of them cold");

# the paired comparison, from the per-user rows
open $fh, '<', "$tmp/users.csv" or die "users.csv: $!";
chomp(my $head = <$fh>);
my @cols = split /,/, $head;
my %nd;
while (<$fh>) {
    chomp;
    my %row;
    @row{@cols} = split /,/, $_, -1;
    push @{ $nd{ $row{algo} } }, $row{ndcg};
}
close $fh;

is(scalar @{ $nd{sar} }, scalar keys %test_users, 'a SAR row per user');
my @d = map { $nd{sar}[$_] - $nd{mostpop}[$_] } 0 .. $#{ $nd{sar} };
my $md = sum(@d) / @d;
my $sd = sqrt(sum(map { ($_ - $md) ** 2 } @d) / (@d - 1));
my $vs = $r->{results}[1]{vs_baseline}{ndcg};

is(sprintf('%.9f', $vs->{diff}), sprintf('%.9f', $md),
   'SAR - MostPop: mean nDCG@10 difference');
is(sprintf('%.6f', $vs->{t}), sprintf('%.6f', $md / ($sd / sqrt @d)),
   'SAR - MostPop: paired t statistic');
is(sprintf('%.6f', $r->{results}[1]{metrics}{ndcg}),
   sprintf('%.6f', sum(@{ $nd{sar} }) / @{ $nd{sar} }),
   "the per-user nDCG's mean is the report's");
ok($vs->{ci95}[0] < $vs->{diff} && $vs->{diff} < $vs->{ci95}[1],
   'the bootstrap interval holds the difference');
ok($vs->{p_t} >= 0 && $vs->{p_t} <= 1 && $vs->{p_wilcoxon} >= 0
   && $vs->{p_wilcoxon} <= 1, 'p-values are probabilities');

# validation: the train rows split again by the share
($rc, $out, $err) = RecsysTest::run_cmd(300, $bin, 'eval',
    '--interactions', $data, '--protocol', 'time', '--test-share', '0.2',
    '--algos', 'mostpop', '--validation', '--json', "$tmp/v.json");
is($rc, 0, 'eval --validation exits 0') or diag $err;
my $v = decode_json(slurp("$tmp/v.json") // '{}');
my @tt = @ts[0 .. @ts - $test_rows - 1];
my $vm = round_half_even(0.2 * @tt);
my $vcut = $tt[@tt - $vm];
is($v->{cutoff}, $vcut, "validation cuts the train rows at $vcut");
is($v->{splits}[0]{test_rows}, scalar(grep { $_ >= $vcut } @tt),
   'validation test rows: the train rows from that time on');

done_testing();
