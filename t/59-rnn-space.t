#!/usr/bin/perl

# 59-rnn-space: the recurrent models served equal the ones measured.
# `recsys-build eval` trains the GRU and the LSTM inside the whole log's
# index space (items seen only in test rows included), the served model is
# built from the split's train rows alone; bench/quality.sh asks nginx for
# every test user and scores the answers like eval.  On a log whose
# test-only items sit between the train items (every other id), the two
# must agree to 4 decimals: with the full softmax and with sampled
# negatives, dropout and early stopping, and with the skip connection.
# The skip connection needs dim = hidden, which the builder enforces.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(tmpdir builder);

RecsysTest::skip_unless_built();

plan skip_all => 'gcc and curl are needed by bench/quality.sh'
    if system('command -v gcc >/dev/null && command -v curl >/dev/null') != 0;

my $tmp = tmpdir();
my $log = "$tmp/log.csv";

# 30 users walk the 25 train items (ids 2, 4, .. 50) in a cycle from
# their own start; every other user's newest row is an item of its own
# (an odd id), seen only in the test rows of leave-last-out
open my $fh, '>', $log or die "$log: $!\n";
print $fh "user,item,rating,timestamp\n";
for my $u (1 .. 30) {
    my $len = 8 + $u % 5;
    for my $t (0 .. $len - 1) {
        my $item = 2 * (($u + $t) % 25) + 2;
        $item = 2 * $u + 1 if $t == $len - 1 && $u % 2;
        printf $fh "u%d,%d,4,%d\n", $u, $item, 1000 * $u + $t;
    }
}
close $fh;

sub quality {
    my ($rnn) = @_;
    local $ENV{DATA} = $log;
    local $ENV{CATALOG} = 0;
    local $ENV{PROTOCOL} = 'loo';
    local $ENV{ALGOS} = 'gru,lstm';
    local $ENV{RNN} = $rnn;
    local $ENV{RB} = RecsysTest::builder_path();
    local $ENV{MODULE} = RecsysTest::module_path();
    my $out = `'$FindBin::Bin/../bench/quality.sh' 2>&1`;
    return ($? >> 8, $out);
}

for my $rnn ('gru_epochs=3,gru_dim=6,gru_hidden=6,rnn_negatives=0',
             'gru_epochs=3,gru_dim=6,gru_hidden=6,rnn_negatives=4,'
             . 'rnn_dropout=0.2,rnn_valid=0.3,rnn_patience=1',
             'gru_epochs=3,gru_dim=6,gru_hidden=6,rnn_negatives=0,'
             . 'rnn_skip=1') {
    my ($rc, $out) = quality($rnn);
    is($rc, 0, "$rnn: quality.sh succeeds") or diag($out);
    like($out, qr/^OK \(served equals measured/m,
         "$rnn: served equals measured");
    # the check means something: some test user's item is recommended
    my ($hr) = $out =~ /^gru\s+HR\@10\s+([0-9.]+)/m;
    ok(defined $hr && $hr > 0, "$rnn: the GRU hits some test items")
        or diag($out);
}

my ($rc, undef, $err) = builder('build', '--interactions', $log, '--out',
                                "$tmp/bad.mdb", '--rnn', 'gru',
                                '--rnn-skip', '1', '--gru-dim', '4',
                                '--gru-hidden', '5');
isnt($rc, 0, '--rnn-skip 1 with dim 4 and hidden 5 is refused');

done_testing();
