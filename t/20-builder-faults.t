#!/usr/bin/perl

# 20-builder-faults: what the builder does when its output cannot be
# written, and after it was killed.
#   - An --out that is a directory, or in a directory that does not exist,
#     is refused before any input is read (the error names the path, exit
#     1, nothing created).
#   - kill -9 of the builder at several moments leaves the published model
#     byte-identical; its temporary file ("MODEL.tmp.PID") is removed by
#     the next build, which publishes normally; temporary files of live
#     processes and other names are left alone.
#   - A full file system (a 3 MiB tmpfs, when this runs as root and may
#     mount one) is reported as "no space left on device", exit 1, with no
#     file left behind.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);
use RecsysTest qw(build_model builder builder_path tmpdir write_file);

RecsysTest::skip_unless_built(builder_only => 1);

my $tmp = tmpdir();
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/data", '--users', 3000,
                               '--items', 1500, '--events', 150000);
die "gen: $err" if $rc;
my @in = ('--interactions', "$tmp/data/interactions.csv",
          '--items', "$tmp/data/items.csv");

# output paths checked first
mkdir "$tmp/dir" or die;
my $t0 = time;
($rc, $out, $err) = builder('build', @in, '--out', "$tmp/dir");
is($rc, 1, 'an --out that is a directory fails');
like($err, qr/\Q$tmp\E\/dir: is a directory/, '... naming it');
($rc, $out, $err) = builder('build', @in, '--out', "$tmp/none/m.mdb");
is($rc, 1, 'an --out in a missing directory fails');
like($err, qr/the directory \Q$tmp\E\/none does not exist/, '... naming it');
unlike($err, qr/ingest/, '... before reading the inputs');

# a published model, then builds killed at several moments
my $live = "$tmp/model.mdb";
my $t_build = time;
build_model(interactions => "$tmp/data/interactions.csv",
            items => "$tmp/data/items.csv", out => $live, model_id => 'first');
$t_build = time - $t_build;
my $before = RecsysTest::slurp($live);

# killed while reading and training (a third of a build in), and while
# writing: just after its temporary file appears, and a little later
my $killed = 0;
# (the file lives a tenth of a second or so: kills come just after it
# appears, before the rename; the builder runs at the lowest priority, so
# that on a busy host this process, which watches for the file, is the one
# that gets the processor first and the window stays open)
for my $when (['time', $t_build / 3], ['time', $t_build / 2], ['file', 0],
              ['file', 0.01])
{
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        setpriority(0, 0, 19);
        exec builder_path(), 'build', @in, '--out', $live, '--model-id',
             'second' or _exit(127);
    }
    if ($when->[0] eq 'file') {
        my $deadline = time + 60;
        sleep 0.002 until -e "$live.tmp.$pid" || time > $deadline;
    }
    sleep $when->[1];
    kill 'KILL', $pid;
    waitpid $pid, 0;
    $killed++ if ($? & 127) == 9;
}
is($killed, 4, 'four builds killed with SIGKILL');
ok(RecsysTest::slurp($live) eq $before,
   'the published model is byte-identical after the killed builds');

# leftovers of the dead builders, plus names that are not theirs
my @left = glob "$live.tmp.*";
# (each build also removes what the builds killed before it left)
cmp_ok(scalar @left, '>=', 1, 'a build killed while writing left its '
       . 'temporary file');
write_file("$live.tmp.1", 'pid 1 is alive');
write_file("$live.tmp.x", 'not a pid');
build_model(interactions => "$tmp/data/interactions.csv",
            items => "$tmp/data/items.csv", out => $live, model_id => 'third');
my @after = sort glob "$live.tmp.*";
is_deeply(\@after, ["$live.tmp.1", "$live.tmp.x"],
          'the next build removed the dead builders\' temporary files ('
          . scalar(@left) . ') and kept the others');
like(`@{[ builder_path() ]} inspect $live stats`, qr/third/,
     'and published its model');

# a bare file name is a file in the current directory: published there,
# and its dead builders' temporary files are removed there too
{
    use Cwd qw(getcwd);
    my $here = getcwd();
    mkdir "$tmp/cwd" or die;
    chdir "$tmp/cwd" or die;
    write_file("bare.mdb.tmp.999999999", 'left by a dead builder');
    my ($brc, undef, $berr) = builder('build', @in, '--out', 'bare.mdb',
                                      '--quiet');
    is($brc, 0, 'a bare --out name builds') or diag $berr;
    ok(-f 'bare.mdb' && !-e 'bare.mdb.tmp.999999999',
       '... in the current directory, sweeping its leftovers');
    chdir $here or die;
}

# a full file system
SKIP: {
    skip 'mounting a tmpfs needs root', 3 if $> != 0;
    my $small = "$tmp/small";
    mkdir $small or die;
    skip "cannot mount a tmpfs here", 3
        if system('mount', '-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', $small);
    ($rc, $out, $err) = builder('build', @in, '--out', "$small/m.mdb");
    system('umount', $small);
    is($rc, 1, 'a build on a full file system fails');
    like($err, qr/no space left on device/, '... saying so in words')
        or diag($err);
    unlike($err, qr/Input\/output error/, '... not as an I/O error');
}

done_testing();
