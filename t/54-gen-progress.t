#!/usr/bin/perl

# 54-gen-progress: `recsys-build gen` at a size a user asks for (series
# and bundles scaled to a small catalogue; a clear error naming the flags
# when it cannot be done), and the progress lines of build and eval: on
# stderr under a terminal (script(1) gives the command a pty), never in a
# pipe, never with --quiet.  RECSYS_PROGRESS_AFTER=0 makes every step
# count as long, so that small data shows them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest;

RecsysTest::skip_unless_built(builder_only => 1);

my $bin = RecsysTest::builder_path();
my $dir = RecsysTest::tmpdir();

sub lines_of {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    my @l = <$fh>;
    return scalar @l;
}

# 300 users and 200 items: 20 series and 15 bundles per 1,500 items,
# rounded down: 2 series (of 8 episodes) and 2 bundles (of 3)
my ($rc, $out, $err) = RecsysTest::builder('gen', '--users', 300, '--items', 200,
                                           '--out', "$dir/small");
is($rc, 0, 'gen --users 300 --items 200 works') or diag($err);
is(lines_of("$dir/small/items.csv"), 201, '200 items');
is(lines_of("$dir/small/truth/series.csv"), 1 + 2 * 8, '2 series of 8 episodes');
is(lines_of("$dir/small/truth/bundles.csv"), 1 + 2, '2 bundles');

# explicit counts are kept, and one that does not fit says what to change
($rc, $out, $err) = RecsysTest::builder('gen', '--users', 300, '--items', 200,
                                        '--series', 3, '--bundles', 0,
                                        '--out', "$dir/three");
is($rc, 0, 'gen --series 3 --bundles 0');
is(lines_of("$dir/three/truth/series.csv"), 1 + 3 * 8, 'the 3 series asked for');
is(lines_of("$dir/three/truth/bundles.csv"), 1, 'no bundle');

($rc, $out, $err) = RecsysTest::builder('gen', '--items', 200, '--series', 30,
                                        '--out', "$dir/over");
isnt($rc, 0, '30 series of 8 in 200 items: refused');
like($err, qr/items: too few .*--items.*--series/, 'the error names the flags to change');

($rc, $out, $err) = RecsysTest::builder('gen', '--items', 20, '--out', "$dir/tiny");
isnt($rc, 0, '20 items for 6 segments: refused');
like($err, qr/--segments/, 'the error names --segments');

# progress under a terminal, in a pipe, with --quiet
SKIP: {
    skip 'script(1) is not installed (bsdutils)', 9
        unless -x '/usr/bin/script';

    my $data = "$dir/small";
    my $build = "$bin build --interactions $data/interactions.csv "
                . "--items $data/items.csv --out $dir/model.mdb";
    my $eval = "$bin eval --interactions $data/interactions.csv "
               . "--algos itemcf,popular --folds 2";

    local $ENV{RECSYS_PROGRESS_AFTER} = '0';
    my ($trc, $tty) = RecsysTest::run_cmd(300, 'script', '-qec', $build, '/dev/null');
    is($trc, 0, 'build under a terminal');
    like($tty, qr/recsys-build: ingest: \d+ rows, \d+ rows\/s/, 'ingest: rows and rows/s');
    like($tty, qr/recsys-build: hybrid: \d+ of 300 users/, 'scoring: users done');

    ($trc, $tty) = RecsysTest::run_cmd(300, 'script', '-qec', $eval, '/dev/null');
    is($trc, 0, 'eval under a terminal');
    like($tty, qr/recsys-build: eval itemcf: \d+ of \d+ users/,
         'eval: the algorithm being evaluated');

    my ($prc, $pout, $perr) = RecsysTest::run_cmd(300, 'sh', '-c', "$build 2>&1 | cat");
    is($prc, 0, 'build in a pipe');
    unlike($pout, qr/users\/s|rows\/s/, 'in a pipe: no progress');

    ($trc, $tty) = RecsysTest::run_cmd(300, 'script', '-qec', "$build --quiet", '/dev/null');
    unlike($tty, qr/users\/s|rows\/s/, 'under a terminal with --quiet: no progress');

    # without the override, a build of a few rows takes no step of 2 s
    delete local $ENV{RECSYS_PROGRESS_AFTER};
    ($trc, $tty) = RecsysTest::run_cmd(300, 'script', '-qec',
        "$bin build --interactions $FindBin::Bin/data/cf-interactions.csv "
        . "--out $dir/tiny.mdb", '/dev/null');
    unlike($tty, qr/users\/s|rows\/s/, 'short steps: no progress');
}

done_testing();
