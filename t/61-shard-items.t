#!/usr/bin/perl

# 61-shard-items: the sharded build's items part and users tasks, run as
# plain commands (no scheduler).  The items task fits the item models
# once over the merged rows; each users task reads only its shard's rows,
# the global ids and the items part.  For several option sets at P = 3
# (the defaults; ALS and the HMM; no EASE, Jaccard item-CF and a Markov
# weight; session rules), and at P = 7 over seven users (a shard without
# rows), and for a log given as two files after an empty one, the
# assembled model holds the same users, items and lists, byte for byte, as
# the single build of the same logs; a later log whose header differs
# from the first's is refused naming both.  A users part holds lists
# only for the users whose rows are in its shard; the items part none of
# the lists the users tasks score (item-CF, segments, rules, Markov),
# which the single build has.  A damaged items part, ids of another log
# and --decay-days are refused with a reason.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir builder);

*run_cmd = \&RecsysTest::run_cmd;

RecsysTest::skip_unless_built();
plan skip_all => 'mdb_dump is missing (lmdb-utils)'
    unless system('command -v mdb_dump >/dev/null 2>&1') == 0;

my $tmp = tmpdir();
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/data", '--users', '90',
                               '--items', '60', '--events', '3000',
                               '--seed', '11');
is($rc, 0, 'gen') or diag $err;
my $log = "$tmp/data/interactions.csv";
my $items = "$tmp/data/items.csv";
my $P = 3;

sub dump_db {
    my ($model, $db) = @_;
    my ($r, $o) = run_cmd(60, 'mdb_dump', '-n', '-s', $db, $model);
    die "mdb_dump $db $model: exit $r" if $r != 0;
    return $o =~ s/^mapsize=.*\n//mr;
}

sub step {
    my ($what, @args) = @_;
    my ($r, undef, $e) = builder(@args);
    is($r, 0, $what) or diag $e;
}

# the steps of contrib/dask/recsys_dask.py, by hand
sub sharded {
    my ($dir, $p, $in, $cat, @opts) = @_;
    step("split", 'shard', 'split', '--dir', $dir, '--shards', $p,
         ref $in ? @$in : $in);
    step("stats $_", 'shard', 'stats', '--dir', $dir, '--shards', $p,
         '--shard', $_) for 0 .. $p - 1;
    step('merge', 'shard', 'merge', '--dir', $dir, '--shards', $p);
    mkdir "$dir/items";
    mkdir "$dir/parts";
    step('items', 'build', '--interactions', "$dir/merged/interactions.csv",
         '--items', $cat, '--items-part', '--quiet',
         '--out', "$dir/items/items-of-$p.mdb", @opts);
    for my $k (0 .. $p - 1) {
        step("users $k", 'build', '--interactions',
             "$dir/split/shard-$k-of-$p.csv", '--items', $cat, '--quiet',
             '--from-items', "$dir/items/items-of-$p.mdb",
             '--shard-ids', "$dir/merged/stats.json", '--user-shards', $p,
             '--user-shard', $k, '--out', "$dir/parts/part-$k-of-$p.mdb",
             @opts);
    }
    step('assemble', 'shard', 'assemble', '--dir', $dir, '--shards', $p,
         '--out', "$dir/model.mdb");
    return "$dir/model.mdb";
}

sub same_as {
    my ($model, $single, $name) = @_;
    for my $db (qw(users items blobs)) {
        ok(dump_db($model, $db) eq dump_db($single, $db),
           "$name: the $db database equals the single build's");
    }
}

my @sets = (
    [ 'defaults' ],
    [ 'ALS and HMM', '--als', '--als-factors', '4', '--hmm',
      '--hmm-states', '3' ],
    [ 'no EASE, jaccard, markov weight', '--no-ease', '--similarity',
      'jaccard', '--weights', 'itemcf=1,markov=0.5,rp3beta=0.2' ],
    [ 'session rules', '--rule-gap', '3600', '--rule-support', '0.02' ],
);

my $n = 0;
for my $set (@sets) {
    my ($name, @opts) = @$set;
    $n++;
    my $single = build_model(interactions => $log, items => $items,
                             out => "$tmp/single-$n.mdb",
                             args => ['--model-id', 'm', '--quiet', @opts]);
    same_as(sharded("$tmp/w$n", $P, $log, $items, '--model-id', 'm', @opts),
            $single, $name);
}

# seven users in seven shards: a shard without rows is counted and built
my $cf = "$FindBin::Bin/data/cf-interactions.csv";
my $cf_items = "$FindBin::Bin/data/cf-items.csv";
my $single = build_model(interactions => $cf, items => $cf_items,
                         out => "$tmp/cf-single.mdb",
                         args => ['--model-id', 'm', '--quiet']);
my $model = sharded("$tmp/cf", 7, $cf, $cf_items, '--model-id', 'm');
my @empty = grep { RecsysTest::slurp("$tmp/cf/split/shard-$_-of-7.csv")
                   !~ /\n./ } 0 .. 6;
ok(@empty > 0, 'a shard has no rows: ' . join(',', @empty));
like(RecsysTest::slurp("$tmp/cf/stats/shard-$empty[0]-of-7.json") // '',
     qr/"rows":0/, 'its statistics count none') if @empty;
same_as($model, $single, 'P=7 with an empty shard');

# several logs (an empty one, the first half of the log, its second half
# under the header in other case): the same model as the single build of
# the same logs
my @lines = split /^/, RecsysTest::slurp($log);
my $head = shift @lines;
my @second = splice @lines, @lines / 2;
my @halves = (RecsysTest::write_file("$tmp/half-1.csv", join '', $head, @lines),
              RecsysTest::write_file("$tmp/half-2.csv",
                                     join '', uc $head, @second));
my $none = RecsysTest::write_file("$tmp/none.log", '');
$single = build_model(interactions => $none, items => $items,
                      out => "$tmp/halves-single.mdb",
                      args => ['--model-id', 'm', '--quiet',
                               map { ('--interactions', $_) } @halves]);
same_as(sharded("$tmp/halves", $P, [$none, @halves], $items,
                '--model-id', 'm'), $single, 'two halves and an empty log');

# a later log with another layout is refused, naming both: an event log,
# the columns swapped, no header
for my $c (['events', "user,item,event,timestamp\nu1,i3,like,200\n",
            'header "user,item,event,timestamp"'],
           ['swapped', "itemId,userId,rating\ni1,u5,4\n",
            'header "itemId,userId,rating"'],
           ['no header', "u9,i9,3,100\n",
            'no header (user,item,rating,timestamp)']) {
    my ($what, $text, $layout) = @$c;
    my $later = RecsysTest::write_file("$tmp/later.csv", "\n$text");
    ($rc, undef, $err) = builder('shard', 'split', '--dir', "$tmp/mixed",
                                 '--shards', $P, $log, $later);
    isnt($rc, 0, "a later log, $what: refused");
    my $want = "$later:2: $layout, where $log has header "
             . '"userId,itemId,rating,timestamp"';
    like($err, qr/\Q$want\E/,
         "a later log, $what: FILE:LINE and both headers") or diag $err;
}

# a users part: lists only for the users of its shard
my %shard_of;
for my $k (0 .. $P - 1) {
    for (split /\n/, RecsysTest::slurp("$tmp/w1/split/shard-$k-of-$P.csv")) {
        my ($user) = split /,/;
        $shard_of{$user} = $k unless $user =~ /^user/i;
    }
}
my @some = (sort keys %shard_of)[0 .. 8];
for my $user (@some) {
    for my $k (0 .. $P - 1) {
        my (undef, $shown) = builder('inspect',
                                     "$tmp/w1/parts/part-$k-of-$P.mdb",
                                     'user', $user);
        my $has = $shown =~ /^hybrid \((\d+)/m && $1 > 0 ? 1 : 0;
        is($has, $shard_of{$user} == $k ? 1 : 0,
           "part $k: user $user has lists: $has");
    }
}

# the items part holds no list that the users tasks score: for the same
# users the single build's segment, rule and Markov lists are not empty
for my $user (@some[0 .. 2]) {
    my (undef, $part) = builder('inspect', "$tmp/w1/items/items-of-$P.mdb",
                                'user', $user);
    my (undef, $whole) = builder('inspect', "$tmp/single-1.mdb", 'user',
                                 $user);
    for my $src (qw(itemcf cluster assoc markov)) {
        my ($in_part) = $part =~ /^$src \((\d+)/m;
        my ($in_whole) = $whole =~ /^$src \((\d+)/m;
        is($in_part // 0, 0, "items part: user $user has no $src list");
        ok(($in_whole // 0) > 0, "single build: user $user has a $src list");
    }
}

# refusals: a damaged items part, another log's ids, a decay
my $dir = "$tmp/w1";
my @users = ('build', '--interactions', "$dir/split/shard-0-of-$P.csv",
             '--items', $items, '--quiet', '--user-shards', $P,
             '--user-shard', '0', '--out', "$tmp/bad.mdb");
my $bytes = RecsysTest::slurp("$dir/items/items-of-$P.mdb");
RecsysTest::write_file("$tmp/damaged.mdb",
                       substr($bytes, 0, length($bytes) - 4096));
($rc, undef, $err) = builder(@users, '--from-items', "$tmp/damaged.mdb",
                             '--shard-ids', "$dir/merged/stats.json");
isnt($rc, 0, 'a damaged items part is refused');
like($err, qr/damaged\.mdb/, 'the error names the file');

RecsysTest::write_file("$tmp/other.json",
                       '{"rows":1,"users":[["zz",1]],"items":[]}');
($rc, undef, $err) = builder(@users, '--from-items',
                             "$dir/items/items-of-$P.mdb",
                             '--shard-ids', "$tmp/other.json");
isnt($rc, 0, 'ids of another log are refused');
like($err, qr/users/, 'the error says the users differ');

($rc, undef, $err) = builder(@users, '--from-items',
                             "$dir/items/items-of-$P.mdb",
                             '--shard-ids', "$dir/merged/stats.json",
                             '--decay-days', '30');
isnt($rc, 0, '--decay-days is refused for a users task');
like($err, qr/decay/, 'the error names the option');
ok(!-e "$tmp/bad.mdb", 'no model is published by a refused task');

done_testing();
