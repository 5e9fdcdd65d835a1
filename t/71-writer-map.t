#!/usr/bin/perl

# 71-writer-map: the model file as the writer leaves it.  The builder
# writes through LMDB's map of the file (MDB_WRITEMAP), which LMDB sizes
# to the whole map (about twice the model) and the writer allocates: the
# published file must still be exactly its LMDB pages and the seal (the
# page count from mdb_stat, the seal's 64 bytes from recsys_seal.h), with
# no blocks allocated past its end, and no temporary file left.  That
# holds for a model written in one transaction (no explanations) and in
# two (the explanations are added after the file is read back), for the
# items part of the sharded build.  Two builds of one log write the same
# users, items and blobs (mdb_dump).  (A killed build's temporary file,
# allocated to the map's size, is removed by the next build:
# t/20-builder-faults.t.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model builder tmpdir);

RecsysTest::skip_unless_built(builder_only => 1);
plan skip_all => 'mdb_stat and mdb_dump (lmdb-utils) are needed'
    if system('command -v mdb_stat >/dev/null'
              . ' && command -v mdb_dump >/dev/null');

my $tmp = tmpdir();
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/data", '--users', 2000,
                               '--items', 800, '--events', 60000);
die "gen: $err" if $rc;
my %in = (interactions => "$tmp/data/interactions.csv",
          items => "$tmp/data/items.csv", model_id => 'map-1');

# the seal's size, read from the header that defines it
my ($seal) = RecsysTest::slurp(RecsysTest::repo_root()
                               . '/engine/serve/recsys_seal.h')
             =~ /#define RECSYS_SEAL_SIZE\s+(\d+)/;
is($seal, 64, 'the seal is 64 bytes');

sub pages {
    my ($model) = @_;
    my (undef, $stat) = RecsysTest::run_cmd(60, 'mdb_stat', '-n', '-e', $model);
    my ($psize) = $stat =~ /Page size: (\d+)/;
    my ($used) = $stat =~ /Number of pages used: (\d+)/;
    return ($psize // 0) * ($used // 0);
}

sub dump_dbs {
    my ($model) = @_;
    return join '', map {
        my (undef, $d) = RecsysTest::run_cmd(60, 'mdb_dump', '-n', '-s', $_,
                                             $model);
        $d =~ s/^mapsize=.*\n//mr;
    } qw(users items blobs);
}

sub check_file {
    my ($model, $name) = @_;
    my @st = stat $model;
    my $bytes = pages($model);
    ok($bytes > 0, "$name: LMDB pages ($bytes bytes)");
    is($st[7], $bytes + $seal, "$name: the file is its pages and the seal");
    ok($st[12] * 512 <= $st[7] + 65536,
       "$name: no blocks past its end ($st[12] blocks of 512 bytes)");
    my ($dir) = $model =~ m{(.*)/};
    is_deeply([ glob "$dir/*.tmp.*" ], [], "$name: no temporary file left");
}

my $one = build_model(%in, out => "$tmp/one.mdb",
                      args => ['--explain-top', '0', '--quiet']);
check_file($one, 'one transaction');

my $two = build_model(%in, out => "$tmp/two.mdb", args => ['--quiet']);
check_file($two, 'two transactions');
ok(-s $two > -s $one, '... the explanations make it larger');

my $again = build_model(%in, out => "$tmp/again.mdb", args => ['--quiet']);
ok(dump_dbs($again) eq dump_dbs($two),
   'a second build writes the same users, items and blobs');

mkdir "$tmp/items" or die;
my $part = build_model(%in, out => "$tmp/items/part.mdb",
                       args => ['--items-part', '--quiet']);
check_file($part, 'the items part');

done_testing();
