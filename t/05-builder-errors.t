#!/usr/bin/perl

# 05-builder-errors: recsys-build refuses bad input without touching what is
# published.  Each bad file (non-numeric rating, a rating or a weighted
# rating past a float's range, missing field, empty id, over-long ids,
# non-numeric timestamp, a catalog with an unterminated quote, a missing
# file, bad options) must exit non-zero, name FILE:LINE:
# and a reason on stderr, leave the existing model byte-identical and leave
# no stray temp file next to it.  Options that only go together
# (--rnn-refit 1 without --rnn-valid; --rnn-skip 1 or --rnn-tie 1 with
# --gru-dim unlike --gru-hidden, for either cell) are refused with exit
# status 2 naming them, in a build and in eval's settings.  A good build
# afterwards replaces it.
# An empty log among several is no error; logs that are all empty are.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(builder build_model tmpdir write_file slurp);

RecsysTest::skip_unless_built(builder_only => 1);

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $pub = "$tmp/pub";
mkdir $pub or die "mkdir $pub: $!";
my $model = build_model(interactions => "$data/cf-interactions.csv",
                        items => "$data/cf-items.csv",
                        out => "$pub/model.mdb", model_id => 'good-1');
my $bytes = slurp($model);
my @ino = (stat $model)[1, 9];
ok(length $bytes, 'a model is published');

sub dir_listing {
    opendir my $dh, $pub or die "opendir $pub: $!";
    return join ' ', sort grep { !/\A\.\.?\z/ } readdir $dh;
}
my $listing = dir_listing();

my $head = "user,item,rating,timestamp\n";
my $long = 'x' x 257;

# [name, file name, content, line, extra build args]; line undef: any line
my @cases = (
    ['non-numeric rating', 'rating.csv',
     $head . "u1,i1,4,100\nu2,i2,abc,101\nu3,i3,5,102\n", 3],
    ['missing field', 'short.csv',
     $head . "u1,i1,4,100\nu2,i2,3,101\nu3\nu4,i4,2,103\n", 4],
    ['empty item id', 'empty.csv',
     $head . "u1,i1,4,100\nu2,,3,101\n", 3],
    ['over-long item id', 'longitem.csv',
     $head . "u1,i1,4,100\nu1,i2,4,101\nu2,i1,3,102\nu2,$long,3,103\n", 5],
    ['over-long user id', 'longuser.csv',
     $head . "$long,i1,4,100\nu1,i1,4,100\n", 2],
    ['non-numeric timestamp', 'ts.csv',
     $head . "u1,i1,4,100\nu2,i2,3,yesterday\n", 3],
    ['non-numeric rating in headerless TSV', 'bad.tsv',
     "u1\ti1\t4\t100\nu2\ti2\t4\t101\nu3\ti3\tfour\t102\n", 3],
    # values are floats: 1e40 (and 1e10 x a weight of 1e30) do not fit
    ['rating past the float range', 'huge.csv',
     $head . "u1,i1,4,100\nu2,i2,1" . ('0' x 40) . ",101\n", 3],
    ['rating past the float range in the first row', 'huge1.csv',
     "u1,i1,-1" . ('0' x 39) . ",100\nu2,i2,4,101\n", 1],
    ['rating x event weight past the float range', 'huge-ev.csv',
     "user,item,rating,event\nu1,i1,4,view\nu2,i2,10000000000,like\n", 3,
     '--event-weights', 'view=1,like=1e30'],
);

for my $c (@cases) {
    my ($name, $fname, $content, $line, @args) = @$c;
    my $file = write_file("$tmp/$fname", $content);
    my ($rc, $out, $err) = builder('build', '--interactions', $file,
                                   '--out', $model, '--model-id', 'bad-1',
                                   @args);
    check_refused($name, $rc, $err, $file, $line);
}

# a catalog with an unterminated quote (RFC 4180), line 3 opens it
{
    my $items = write_file("$tmp/items-bad.csv",
        "id,title,genres\n3,Three,Drama\n10,\"Toy Story (1995),Comedy\n"
        . "25,Other,Comedy\n");
    my ($rc, $out, $err) = builder('build', '--interactions',
                                   "$data/cf-interactions.csv",
                                   '--items', $items, '--out', $model);
    check_refused('catalog with an unterminated quote', $rc, $err, $items,
                  undef);
}

# several logs (a base and rotated event logs): one empty or header-only log
# among them is fine in any order, the build holding the base's 7 users,
# 9 items and 35 rows; only when no log holds a row is the build refused,
# naming them all
{
    my $empty = write_file("$tmp/empty.log", '');
    my $hdr = write_file("$tmp/header-only.csv", "user,item,rating\n");
    for my $order ([$empty, "$data/cf-interactions.csv", $hdr],
                   ["$data/cf-interactions.csv", $empty]) {
        my $what = join ' ', map { m{([^/]+)\z} } @$order;
        my ($rc, $out, $err) = builder('build', '--quiet', '--out',
                                       "$tmp/several.mdb",
                                       map { ('--interactions', $_) } @$order);
        is($rc, 0, "$what: builds") or diag $err;
        ($rc, $out, $err) = builder('inspect', "$tmp/several.mdb", 'stats');
        like($out, qr/"users":7,"items":9,"rows":35,/,
             "$what: the base's users, items and rows");
        unlink "$tmp/several.mdb", "$tmp/several.mdb.manifest.json";
    }
    my ($rc, $out, $err) = builder('build', '--interactions', $hdr,
                                   '--interactions', $empty, '--out', $model);
    isnt($rc, 0, 'only empty logs: non-zero exit');
    like($err, qr/\Q$hdr\E, \Q$empty\E: no interactions/,
         'only empty logs: stderr names them all') or diag $err;
    unchanged('only empty logs');
}

# no such input file: no line to name, but the file
{
    my $missing = "$tmp/does-not-exist.csv";
    my ($rc, $out, $err) = builder('build', '--interactions', $missing,
                                   '--out', $model);
    isnt($rc, 0, 'missing input: non-zero exit');
    like($err, qr/\Q$missing\E/, 'missing input: stderr names the file');
    unchanged('missing input');
}

# bad options
for my $args (['--neighbors', 'abc'], ['--neighbors', '-1'],
              ['--history', '0x'], ['--no-such-option']) {
    my ($rc, $out, $err) = builder('build', '--interactions',
                                   "$data/cf-interactions.csv",
                                   '--out', $model, @$args);
    isnt($rc, 0, "build @$args: non-zero exit");
    like($err, qr/\S/, "build @$args: says why");
    unchanged("build @$args");
}
{
    my ($rc, $out, $err) = builder('build', '--interactions',
                                   "$data/cf-interactions.csv");
    isnt($rc, 0, 'build without --out: non-zero exit');
}

# options that only go together are refused before any work, exit 2,
# naming them: as flags in a build (--lstm-dim is an old name of
# --gru-dim), as settings in eval
for my $case (
    [['--gru', '--rnn-refit', 1], qr/--rnn-refit\b.*--rnn-valid\b/],
    [['--rnn', 'lstm', '--rnn-refit', 1, '--rnn-valid', 0],
     qr/--rnn-refit\b.*--rnn-valid\b/],
    [['--gru', '--rnn-skip', 1, '--gru-dim', 8, '--gru-hidden', 16],
     qr/--rnn-skip\b.*--gru-dim\b.*--gru-hidden\b/],
    [['--rnn', 'lstm', '--rnn-tie', 1, '--lstm-dim', 8],
     qr/--rnn-tie\b.*--gru-dim\b.*--gru-hidden\b/],
) {
    my ($args, $names) = @$case;
    my ($rc, $out, $err) = builder('build', '--interactions',
                                   "$data/cf-interactions.csv",
                                   '--out', $model, '--quiet', @$args);
    is($rc, 2, "build @$args: exit status 2");
    like($err, qr/\Arecsys-build: .*$names/,
         "build @$args: names the options") or diag $err;
    unchanged("build @$args");
}
{
    my ($rc, $out, $err) = builder('eval', '--interactions',
        "$data/cf-interactions.csv", '--protocol', 'loo', '--algos',
        'gru:rnn_refit=1');
    is($rc, 2, 'eval gru:rnn_refit=1: exit status 2');
    like($err, qr/\brnn_refit\b.*\brnn_valid\b/,
         'eval gru:rnn_refit=1: names both settings') or diag $err;
    ($rc, $out, $err) = builder('eval', '--interactions',
        "$data/cf-interactions.csv", '--protocol', 'loo', '--algos',
        'lstm:rnn_tie=1,gru_hidden=8');
    is($rc, 2, 'eval lstm:rnn_tie=1,gru_hidden=8: exit status 2');
    like($err, qr/\brnn_tie\b.*\bgru_dim\b.*\bgru_hidden\b/,
         'eval lstm:rnn_tie=1,gru_hidden=8: names the settings') or diag $err;
}

# a good build still replaces the model
{
    my ($rc, $out, $err) = builder('build', '--interactions',
                                   "$data/cf-interactions.csv",
                                   '--out', $model, '--model-id', 'good-2');
    is($rc, 0, 'a good build afterwards exits 0') or diag $err;
    ok((slurp($model) // '') ne $bytes, 'and replaces the model');
    is(dir_listing(), $listing, 'and leaves no temp file behind');
    ($rc, $out, $err) = builder('inspect', $model, 'stats');
    like($out, qr/model_id\W+good-2\b/, 'inspect shows the new model id')
        or diag $err;
}

done_testing();


sub unchanged {
    my ($name) = @_;
    ok((slurp($model) // '') eq $bytes,
       "$name: published model byte-identical");
    is(join(' ', (stat $model)[1, 9]), join(' ', @ino),
       "$name: published model not replaced (same inode, mtime)");
    is(dir_listing(), $listing, "$name: no stray files next to the model");
}

sub check_refused {
    my ($name, $rc, $err, $file, $line) = @_;
    isnt($rc, 0, "$name: non-zero exit");
    ok($rc < 128, "$name: exits, not killed by a signal") or diag "rc $rc";
    my $ln = defined $line ? $line : '\d+';
    like($err, qr/\Q$file\E:$ln:\s*\S/, "$name: stderr says $file:"
         . ($line // 'LINE') . ': and why') or diag "stderr: $err";
    unchanged($name);
}
