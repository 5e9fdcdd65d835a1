#!/usr/bin/perl

# 13-eval-tune: settings are chosen on validation rows carved from train,
# never on test rows.  On ml-latest-small (skipped when absent, a failure under CI):
#   - `eval --validation` splits P1's train rows again by P1: its row
#     counts equal, item by item, round-half-even(0.75 n) of the train
#     rows saved by --save-split (counted here from that file);
#   - a grid "itemcf:shrink=0|10,neighbors=20|50" becomes four
#     algorithms, the last setting varying fastest;
#   - `--tune` keeps the grid point with the best validation nDCG@10 (read
#     here from the validation JSON) and reports only it on the test rows,
#     with the test figures `eval` gives for that setting alone;
#   - settings after a colon may hold commas: "itemcf:shrink=10,
#     neighbors=50,mostpop" is two algorithms.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP;
use Test::More;
use RecsysTest qw(tmpdir slurp);

RecsysTest::skip_unless_built(builder_only => 1);

my $bin = RecsysTest::builder_path();
my $data = File::Spec->catfile(RecsysTest::need_movielens(), 'ratings.csv');

my $tmp = tmpdir();

sub run_eval {
    my ($rc, $out, $err) = RecsysTest::run_cmd(300, $bin, 'eval',
        '--interactions', $data, '--protocol', 'p1', @_);
    is($rc, 0, "eval @_: exit 0") or diag $err;
    return $out;
}

sub round_half_even {
    my ($x) = @_;
    my $f = int($x);
    my $d = $x - $f;
    return $d > 0.5 ? $f + 1 : $d < 0.5 ? $f : ($f % 2 ? $f + 1 : $f);
}

# the P1 train rows, as the split writes them
run_eval('--algos', 'mostpop', '--save-split', "$tmp/split", '--quiet');
my (%per_item, $train_rows);
open my $fh, '<', "$tmp/split/train.csv" or die "train.csv: $!";
<$fh>;
while (<$fh>) {
    my (undef, $item) = split /,/;
    $per_item{$item}++;
    $train_rows++;
}
close $fh;
is($train_rows, 76882, 'P1 train rows');

my ($vtrain, $vtest) = (0, 0);
for my $n (values %per_item) {
    my $t = round_half_even(0.75 * $n);
    $vtrain += $t;
    $vtest += $n - $t;
}

my $grid = 'itemcf:shrink=0|10,neighbors=20|50';
my $out = run_eval('--algos', "$grid,mostpop", '--validation',
                   '--json', "$tmp/val.json");
my $val = decode_json(slurp("$tmp/val.json"));

is_deeply([$val->{splits}[0]{train_rows}, $val->{splits}[0]{test_rows}],
          [$vtrain, $vtest],
          "validation rows: $vtrain train, $vtest test (P1 on P1's train)")
    or diag explain $val->{splits};
ok($val->{validation}, 'the report says it is validation');
like($out, qr/the test rows are not used/, 'the table says so too');

my @specs = map { $_->{spec} } @{ $val->{results} };
is_deeply(\@specs, ['itemcf:shrink=0,neighbors=20',
                    'itemcf:shrink=0,neighbors=50',
                    'itemcf:shrink=10,neighbors=20',
                    'itemcf:shrink=10,neighbors=50', 'mostpop'],
          'the grid expands, the last setting fastest');

# the best validation point, by this test's own reading of the report
my ($best) = sort { $b->{metrics}{ndcg} <=> $a->{metrics}{ndcg} }
             grep { $_->{spec} =~ /^itemcf/ } @{ $val->{results} };
my @ndcg = sort map { $_->{metrics}{ndcg} } @{ $val->{results} };
ok(@ndcg == 5 && $ndcg[0] != $ndcg[-1], 'the grid points score differently');

$out = run_eval('--algos', "$grid,mostpop", '--tune',
                '--json', "$tmp/tuned.json");
like($out, qr/^chosen on validation \(best nDCG\@10\): \Q$best->{spec}\E,mostpop$/m,
     "--tune chooses $best->{spec}");
my $tuned = decode_json(slurp("$tmp/tuned.json"));
is_deeply([map { $_->{spec} } @{ $tuned->{results} }],
          [$best->{spec}, 'mostpop'], '--tune reports the chosen settings');
ok(!$tuned->{validation}, 'and on the test rows');
is($tuned->{splits}[0]{test_rows}, 23954, 'P1 test rows');

run_eval('--algos', "$best->{spec},mostpop", '--json', "$tmp/plain.json");
my $plain = decode_json(slurp("$tmp/plain.json"));
is(sprintf('%.6f', $tuned->{results}[0]{metrics}{ndcg}),
   sprintf('%.6f', $plain->{results}[0]{metrics}{ndcg}),
   'the tuned figure is what eval gives for that setting');
is($plain->{results}[1]{spec}, 'mostpop',
   'a comma inside settings does not end the algorithm early');
is(sprintf('%.6f', $plain->{results}[1]{metrics}{map}), '0.038114',
   'MostPop after the settings is still the golden MostPop');

done_testing();
