#!/usr/bin/perl

# 06-eval-golden: `recsys-build eval` reproduces the published MovieLens
# benchmark numbers.  On ml-latest-small (../shared/data, next to the
# repository; skipped when absent, a failure under CI) protocols P1 (stratified by item) and P2
# (stratified by user), 75% train, seed 42, must give the known row counts
# and MostPop's and SAR's MAP, nDCG@10, P@10 and R@10 to 6 decimals, read
# from the --json report.  The HTML report must be one self-contained page
# with an inline SVG chart, and bad options must be refused up front.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Spec;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time);
use RecsysTest qw(tmpdir slurp);

RecsysTest::skip_unless_built(builder_only => 1);

my $bin = RecsysTest::builder_path();
my $data = File::Spec->catfile(RecsysTest::need_movielens(), 'ratings.csv');

my $tmp = tmpdir();

# protocol => [train rows, test rows,
#              {algo => [MAP, nDCG@10, P@10, R@10]}]
my %golden = (
    p1 => [76882, 23954, {
        mostpop => ['0.038114', '0.212339', '0.187049', '0.070099'],
        sar     => ['0.066784', '0.230005', '0.202623', '0.113035'],
    }],
    p2 => [75630, 25206, {
        mostpop => ['0.036160', '0.207230', '0.182459', '0.066882'],
        sar     => ['0.060722', '0.216234', '0.193934', '0.108454'],
    }],
);
my @metrics = qw(map ndcg precision recall);

for my $protocol (sort keys %golden) {
    my ($train, $test, $want) = @{ $golden{$protocol} };
    my $json = "$tmp/$protocol.json";
    my $html = "$tmp/$protocol.html";

    my $t0 = time;
    my ($rc, $out, $err) = RecsysTest::run_cmd(300, $bin, 'eval',
        '--interactions', $data, '--protocol', $protocol, '--k', 10,
        '--seed', 42, '--algos', 'mostpop,sar', '--json', $json,
        '--html', $html);
    my $secs = time - $t0;

    is($rc, 0, "$protocol: eval exits 0") or diag $err;
    note sprintf("%s: eval took %.2f s wall", $protocol, $secs);
    note $out;

    my $r = eval { JSON::PP->new->decode(slurp($json) // '') };
    ok($r, "$protocol: --json wrote valid JSON") or diag $@;
    next unless $r;

    is($r->{protocol}, $protocol, "$protocol: JSON names the protocol");
    is($r->{rows}, 100836, "$protocol: 100836 rows read");
    is($r->{k}, 10, "$protocol: k 10");
    is($r->{splits}[0]{train_rows}, $train, "$protocol: $train train rows");
    is($r->{splits}[0]{test_rows}, $test, "$protocol: $test test rows");
    is($r->{splits}[0]{users_evaluated}, 610,
       "$protocol: all 610 users evaluated");

    my %by_algo = map { $_->{algo} => $_ } @{ $r->{results} || [] };
    is(join(',', map { $_->{algo} } @{ $r->{results} || [] }), 'mostpop,sar',
       "$protocol: results in --algos order");

    for my $algo (sort keys %$want) {
        my $m = $by_algo{$algo}{metrics} || {};
        for my $i (0 .. $#metrics) {
            my $got = defined $m->{$metrics[$i]}
                      ? sprintf('%.6f', $m->{$metrics[$i]}) : 'null';
            is($got, $want->{$algo}[$i], "$protocol $algo $metrics[$i]");
        }
        ok(!defined $m->{rmse} && !defined $m->{mae},
           "$protocol $algo: no rating errors for a ranking-only model");
        ok(defined $by_algo{$algo}{fit_seconds},
           "$protocol $algo: fit seconds reported");
        ok(defined $by_algo{$algo}{peak_mib},
           "$protocol $algo: peak memory reported");
    }

    like($out, qr/^algo\s+MAP\s+nDCG\@10\s+P\@10\s+R\@10\s+HR\@10\s+coverage
                  \s+fit\ s\s+peak\ MiB$/xm, "$protocol: the table's header");
    like($out, qr/^SAR\s+\Q$want->{sar}[0]\E\s/m,
         "$protocol: the table shows SAR's MAP");

    my $page = slurp($html) // '';
    like($page, qr/\A<!DOCTYPE html>/, "$protocol: --html wrote a page");
    like($page, qr/<svg\b.*<rect\b.*<\/svg>/s,
         "$protocol: with an inline SVG bar chart");
    unlike($page, qr/<(?:script|link|img|iframe)\b|\bsrc=|\bhref=|url\(/i,
           "$protocol: and no external assets");
}

# bad command lines are refused before any work, with one line on stderr
for my $args (['--algos', 'mostpop,nosuch'], ['--protocol', 'p9'],
              ['--k', '0'], ['--folds', '1'], ['--seed', '-1'],
              ['--bogus', '1']) {
    my ($rc, $out, $err) = RecsysTest::run_cmd(60, $bin, 'eval',
        '--interactions', $data, @$args);
    isnt($rc, 0, "eval @$args: non-zero exit");
    ok($rc < 128, "eval @$args: exits, not killed");
    like($err, qr/\Arecsys-build: \S/, "eval @$args: says why")
        or diag $err;
}

done_testing();
