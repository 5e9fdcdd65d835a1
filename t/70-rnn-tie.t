#!/usr/bin/perl

# 70-rnn-tie: --rnn-tie 1 (rnn_tie=1 in eval) ties the recurrent models'
# output rows to their input embedding.  The served tied models equal the
# measured ones (bench/quality.sh, GRU and LSTM, alone and with the skip
# connection, on a log whose test-only items sit between the train items);
# a tied model's lists differ from the untied one's; the model's settings
# record the tie (and its absence); bad values are refused: 2, and a tie
# with dim other than hidden.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(tmpdir builder);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my $log = "$tmp/log.csv";

# 30 users walk the 25 train items (ids 2, 4, .. 50) in a cycle from
# their own start, with a detour now and then; every other user's newest
# row is an item of its own (an odd id), seen only in the test rows of
# leave-last-out
my @rows = ("user,item,rating,timestamp\n");
for my $u (1 .. 30) {
    my @walk = map { 2 * (($u + $_ + ($_ * $u) % 3) % 25) + 2 }
                   0 .. 6 + $u % 5;
    push @walk, $u % 2 ? 2 * $u + 1 : 2 * (($u + @walk) % 25) + 2;
    push @rows, map { "u$u,$walk[$_],4," . (1000 * $u + $_) . "\n" }
                    0 .. $#walk;
}
RecsysTest::write_file($log, join '', @rows);

my @common = ('--interactions', $log, '--rnn', 'both', '--gru-dim', '6',
              '--gru-hidden', '6', '--gru-epochs', '4', '--rnn-lr', '0.05',
              '--no-ease', '--no-rules');

# a model built with the common options and more; every user's GRU and
# LSTM lists, as inspect prints them (a head line, then indented rows)
sub lists_of {
    my ($name, @opts) = @_;
    my ($rc, undef, $err) = builder('build', @common, @opts, '--out',
                                    "$tmp/$name.mdb");
    is($rc, 0, "build $name") or diag($err);
    my $all = '';
    for my $u (1 .. 30) {
        my $out = (builder('inspect', "$tmp/$name.mdb", 'user', "u$u"))[1];
        $all .= join '', $out =~ /^((?:gru|lstm) \(.*\n(?:  .*\n)*)/mg;
    }
    return $all;
}

my $tied_lists = lists_of('tied', '--rnn-tie', '1');
like($tied_lists, qr/^gru \(/m, 'the tied model has GRU lists');
like($tied_lists, qr/^lstm \(/m, 'and LSTM lists');
isnt($tied_lists, lists_of('plain'), 'they are not the untied lists');

my ($rc, $out) = builder('inspect', "$tmp/tied.mdb", 'stats');
like($out, qr/"lstm":\{[^}]*"tie":1,"skip":0,"refit":0\}/,
     'the GRU settings record the tie');
like($out, qr/"lstmc":\{[^}]*"tie":1,"skip":0,"refit":0\}/, 'so do the LSTM ones');
($rc, $out) = builder('inspect', "$tmp/plain.mdb", 'stats');
like($out, qr/"lstm":\{[^}]*"tie":0,"skip":0/, 'an untied model records tie 0');

my $err;
($rc, undef, $err) = builder('build', @common, '--out', "$tmp/bad.mdb",
                             '--rnn-tie', '2');
isnt($rc, 0, '--rnn-tie 2 is refused');
like($err, qr/rnn-tie/, 'naming the option');
($rc, undef, $err) = builder('build', '--interactions', $log, '--out',
                             "$tmp/bad.mdb", '--rnn', 'gru', '--rnn-tie',
                             '1', '--gru-dim', '4', '--gru-hidden', '5');
isnt($rc, 0, '--rnn-tie 1 with dim 4 and hidden 5 is refused');
($rc, undef, $err) = builder('eval', '--interactions', $log, '--protocol',
                             'loo', '--algos', 'gru:rnn_tie=2');
isnt($rc, 0, 'rnn_tie=2 in eval is refused');
like($err, qr/rnn_tie/, 'naming the setting');

SKIP: {
    skip 'gcc and curl are needed by bench/quality.sh', 6
        if system('command -v gcc >/dev/null && command -v curl >/dev/null')
           != 0;

    for my $rnn ('gru_epochs=3,gru_dim=6,gru_hidden=6,rnn_negatives=0,'
                 . 'rnn_tie=1',
                 'gru_epochs=4,gru_dim=6,gru_hidden=6,rnn_negatives=4,'
                 . 'rnn_dropout=0.2,rnn_valid=0.3,rnn_patience=1,'
                 . 'rnn_skip=1,rnn_tie=1') {
        my %env = (DATA => $log, CATALOG => 0, PROTOCOL => 'loo',
                   ALGOS => 'gru,lstm', RNN => $rnn,
                   RB => RecsysTest::builder_path(),
                   MODULE => RecsysTest::module_path());
        local @ENV{keys %env} = values %env;
        my $q = `'$FindBin::Bin/../bench/quality.sh' 2>&1`;
        is($? >> 8, 0, "$rnn: quality.sh succeeds") or diag($q);
        like($q, qr/^OK \(served equals measured/m,
             "$rnn: the tied models served equal the ones measured");
        # the check means something: some test user's item is recommended
        my ($hr) = $q =~ /^gru\s+HR\@10\s+([0-9.]+)/m;
        ok(defined $hr && $hr > 0, "$rnn: the GRU hits some test items")
            or diag($q);
    }
}

done_testing();
