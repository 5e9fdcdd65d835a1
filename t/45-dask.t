#!/usr/bin/perl

# 45-dask: the sharded build (recsys-build shard split, stats, merge, the
# item models fitted once, a build per shard over its own rows, assemble)
# run by contrib/dask on a local Dask cluster of two worker processes,
# P = 2 shards.  The model it publishes holds the same users, items and
# lists, byte for byte, as the single build of the same log (mdb_dump of
# the users, items and blobs databases; the header differs by its build
# time only).  Each part holds only the lists of its shard's users (the
# other users' rows are empty).  The statistics are checked against counts
# made here from the log.  A step run again leaves the same bytes, and a
# worker killed in the middle of a stats task (the task waits, marking
# which process runs it) is replaced and the build ends with the same
# model.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use RecsysTest qw(build_model tmpdir builder);

*run_cmd = \&RecsysTest::run_cmd;

RecsysTest::skip_unless_built();

my $python = '/usr/bin/python3';
plan skip_all => 'python3-distributed is not installed (./build.sh test installs it)'
    unless system("$python -c 'import distributed' 2>/dev/null") == 0;

my $root = RecsysTest::repo_root();
my $driver = "$root/contrib/dask/recsys_dask.py";
my $data = "$FindBin::Bin/data";
my $log = "$data/cf-interactions.csv";
my $items = "$data/cf-items.csv";
my $tmp = tmpdir();
my @opts = ('--model-id', 'dask-1', '--als', '--als-factors', '4');

my $single = build_model(interactions => $log, items => $items,
                         out => "$tmp/single.mdb", args => [@opts]);

sub dump_db {
    my ($model, $db) = @_;
    my ($rc, $out) = run_cmd(60, "mdb_dump", "-n", "-s", $db, $model);
    die "mdb_dump $db $model: exit $rc" if $rc != 0;
    return $out =~ s/^mapsize=.*\n//mr;     # the file's size, not content
}

sub same_model {
    my ($model, $name) = @_;
    for my $db (qw(users items blobs)) {
        ok(dump_db($model, $db) eq dump_db($single, $db),
           "$name: the $db database equals the single build's");
    }
}

sub slurp_dir {
    my ($dir) = @_;
    return { map { s{.*/}{}r => RecsysTest::slurp($_) }
             grep { !/\.tmp\./ } glob "$dir/split/* $dir/stats/* $dir/merged/*" };
}

sub dask {
    my ($dir, $out, @extra) = @_;
    return run_cmd(240, $python, $driver, '--local', '2', '--dir', $dir,
                   '--shards', '2', '--out', $out, '--items', $items,
                   '--builder', RecsysTest::builder_path(), @extra, $log,
                   '--build-args', @opts);
}

my ($rc, $out, $err) = dask("$tmp/w1", "$tmp/dask.mdb");
is($rc, 0, 'the driver builds on a local cluster') or diag "$out\n$err";
like($out, qr/step stats: 2 tasks/, 'it reports the steps');
like($out, qr/^recsys-dask: users 1 .*peak/m, 'it reports wall time and peak');
same_model("$tmp/dask.mdb", 'P=2 through Dask');

# a part's user lists: the users of its shard only (the split sends a
# user's rows to the shard of the id's hash; the other users' rows are
# empty)
my @users = ('ann lee', map { "u$_" } 1 .. 6);
my %where;
for my $k (0, 1) {
    for (split /\n/, RecsysTest::slurp("$tmp/w1/split/shard-$k-of-2.csv")) {
        next if /^user,/;
        my ($user) = split /,/;
        $where{$user}{$k} = 1;
    }
}
for my $k (0, 1) {
    my $part = "$tmp/w1/parts/part-$k-of-2.mdb";
    for my $user (@users) {
        my (undef, $shown) = builder('inspect', $part, 'user', $user);
        my $has = $shown =~ /^hybrid \((\d+)/m && $1 > 0 ? 1 : 0;
        is($has, $where{$user}{$k} ? 1 : 0,
           "part $k: user $user has a hybrid list: $has");
    }
}
ok((grep { $where{$_}{0} } @users) && (grep { $where{$_}{1} } @users),
   'both shards have users');

# the merged statistics: rows per user and per item, counted here
my (%u, %i, $rows);
for (split /\n/, RecsysTest::slurp($log)) {
    next if /^user,/;
    my ($user, $item) = split /,/;
    $u{$user}++;
    $i{$item}++;
    $rows++;
}
my $st = JSON::PP->new->decode(RecsysTest::slurp("$tmp/w1/merged/stats.json"));
is($st->{rows}, $rows, 'merged rows');
is_deeply({ map { @$_ } @{ $st->{users} } }, \%u, 'merged rows per user');
is_deeply({ map { @$_ } @{ $st->{items} } }, \%i, 'merged rows per item');
my @natural = map { $_->[0] } @{ $st->{items} };
is_deeply(\@natural, [ sort { ($a =~ /^\d+\z/ ? 0 : 1) <=> ($b =~ /^\d+\z/ ? 0 : 1)
                              || ($a =~ /^\d+\z/ && $b =~ /^\d+\z/ ? $a <=> $b
                                                                   : $a cmp $b) }
                       keys %i ],
          'the dictionary is in natural id order');

# every user's rows in one shard
ok(!grep({ keys %{ $where{$_} } != 1 } keys %where),
   'each user is in exactly one shard');

# a step run again: the same bytes
my $before = slurp_dir("$tmp/w1");
for my $step (['split', $log], ['stats', '--shard', '1'], ['merge']) {
    my ($r, undef, $e) = builder('shard', $step->[0], '--dir', "$tmp/w1",
                                 '--shards', '2', @{$step}[1 .. $#$step]);
    is($r, 0, "shard $step->[0] again") or diag $e;
}
is_deeply(slurp_dir("$tmp/w1"), $before, 'steps run again leave the same bytes');

# a worker killed in the middle of a stats task
my $dir = "$tmp/w2";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$tmp/fault.out";
    open STDERR, '>', "$tmp/fault.err";
    exec $python, $driver, '--local', '2', '--dir', $dir, '--shards', '2',
        '--out', "$tmp/fault.mdb", '--items', $items, '--builder',
        RecsysTest::builder_path(), '--step-delay', '2', $log,
        '--build-args', @opts;
    exit 127;
}
my ($victim, $deadline) = (undef, time + 60);
while (!$victim && time < $deadline) {
    for my $m (glob "$dir/running/stats-*") {
        $victim = (RecsysTest::slurp($m) // '') =~ /^(\d+)/ ? $1 : undef;
        last if $victim;
    }
    select undef, undef, undef, 0.1 unless $victim;
}
ok($victim, 'a stats task started') or diag RecsysTest::slurp("$tmp/fault.err");
ok(kill('KILL', $victim), "its worker process $victim killed") if $victim;
waitpid $pid, 0;
is($?, 0, 'the build completes anyway')
    or diag RecsysTest::slurp("$tmp/fault.out"), RecsysTest::slurp("$tmp/fault.err");
same_model("$tmp/fault.mdb", 'after the kill');
is_deeply(slurp_dir($dir), $before, 'the same shard files after the kill');

done_testing();
