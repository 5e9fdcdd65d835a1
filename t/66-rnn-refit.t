#!/usr/bin/perl

# 66-rnn-refit: --rnn-refit 1 trains the recurrent models again, after
# early stopping has picked the epoch count E, on every row for E epochs.
# The refit model's per-user lists (GRU and LSTM, skip connection on)
# equal those of a model built for E epochs without early stopping, for
# some E within the epoch budget, and differ from the early-stopped
# model's; the model's settings record the skip connection and the refit;
# the served refit model equals the measured one (bench/quality.sh).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(tmpdir builder);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my $log = "$tmp/log.csv";

# 30 users walk 25 items in a cycle from their own start, with a detour
# now and then so that the models have something to learn
my @rows = map {
    my $u = $_;
    map { sprintf "u%d,%d,4,%d\n", $u,
                  2 * (($u + $_ + ($_ * $u) % 3) % 25) + 2, 1000 * $u + $_ }
        0 .. 7 + $u % 5
} 1 .. 30;
open my $fh, '>', $log or die "$log: $!\n";
print $fh "user,item,rating,timestamp\n", @rows;
close $fh;

my @common = ('--interactions', $log, '--rnn', 'both', '--gru-dim', '6',
              '--gru-hidden', '6', '--rnn-negatives', '0', '--rnn-skip', '1',
              '--rnn-lr', '0.05', '--no-ease', '--no-rules');

sub build_model {
    my ($name, @opts) = @_;
    my ($rc, undef, $err) = builder('build', @common, '--out',
                                    "$tmp/$name.mdb", @opts);
    is($rc, 0, "build $name") or diag($err);
    return "$tmp/$name.mdb";
}

# every user's GRU and LSTM lists, as inspect prints them: { gru => text,
# lstm => text }
sub rnn_lists {
    my ($model) = @_;
    my %all = (gru => '', lstm => '');
    for my $u (1 .. 30) {
        my ($rc, $out) = builder('inspect', $model, 'user', "u$u");
        my $cell;
        for my $line (split /\n/, $out) {
            $cell = $line =~ /^(gru|lstm) \(/ ? $1
                  : $line =~ /^\S/            ? undef : $cell;
            $all{$cell} .= "u$u $line\n" if defined $cell;
        }
    }
    return \%all;
}

my @stop = ('--rnn-valid', '0.3', '--rnn-patience', '1', '--gru-epochs', '8');
my $refit = rnn_lists(build_model('refit', @stop, '--rnn-refit', '1'));
my $stopped = rnn_lists(build_model('stopped', @stop));

like($refit->{gru}, qr/^u1 gru \(/m, 'the refit model has GRU lists');
like($refit->{lstm}, qr/^u1 lstm \(/m, 'and LSTM lists');

my %same = (gru => [], lstm => []);
for my $e (1 .. 8) {
    my $plain = rnn_lists(build_model("plain$e", '--gru-epochs', $e));
    for my $cell ('gru', 'lstm') {
        push @{ $same{$cell} }, $e if $plain->{$cell} eq $refit->{$cell};
    }
}

# each cell stops on its own validation scores
for my $cell ('gru', 'lstm') {
    isnt($refit->{$cell}, $stopped->{$cell},
         "$cell: the refit model is not the early-stopped one");
    ok(@{ $same{$cell} } >= 1, "$cell: the refit model equals a model "
       . 'trained for E epochs without early stopping (E = '
       . join(',', @{ $same{$cell} }) . ')');
}

my ($rc, $out) = builder('inspect', "$tmp/refit.mdb", 'stats');
like($out, qr/"lstm":\{[^}]*"skip":1,"refit":1\}/,
     'the GRU settings record the skip connection and the refit');
like($out, qr/"lstmc":\{[^}]*"skip":1,"refit":1\}/, 'so do the LSTM ones');
like($out, qr/"lstm":\{[^}]*"dropout":0\.0,"valid":0\.3/,
     'and the GRU its dropout and validation share');

($rc, undef, my $err) = builder('build', @common, '--out', "$tmp/bad.mdb",
                                '--rnn-refit', '2');
isnt($rc, 0, '--rnn-refit 2 is refused');

SKIP: {
    skip 'gcc and curl are needed by bench/quality.sh', 2
        if system('command -v gcc >/dev/null && command -v curl >/dev/null')
           != 0;

    local $ENV{DATA} = $log;
    local $ENV{CATALOG} = 0;
    local $ENV{PROTOCOL} = 'loo';
    local $ENV{ALGOS} = 'gru';
    local $ENV{RNN} = 'gru_epochs=4,gru_dim=6,gru_hidden=6,rnn_negatives=4,'
                      . 'rnn_valid=0.3,rnn_patience=1,rnn_skip=1,rnn_refit=1';
    local $ENV{RB} = RecsysTest::builder_path();
    local $ENV{MODULE} = RecsysTest::module_path();
    my $q = `'$FindBin::Bin/../bench/quality.sh' 2>&1`;
    is($? >> 8, 0, 'quality.sh with the refit succeeds') or diag($q);
    like($q, qr/^OK \(served equals measured/m,
         'the refit model served equals the one measured');
}

done_testing();
