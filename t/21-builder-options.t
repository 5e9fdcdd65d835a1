#!/usr/bin/perl

# 21-builder-options: `recsys-build help build` lists exactly the options
# `build` accepts, each with the default the build really applies.
#
#   - every option help prints is accepted by `build` (parsing stops only at
#     a missing required flag), and every --flag the README names that `build`
#     accepts is printed;
#   - the README's sources table gives EASE's default user weight;
#   - the defaults printed agree with the parameters a default build
#     stores in its model (`inspect MODEL stats`), and a build's
#     --decay-days and --tags are stored too;
#   - values out of range, or not numbers, are refused naming the option;
#   - eval refuses an unknown per-algorithm setting listing every setting
#     name, up to the table's last (als_factors);
#   - a user's event rows for one item that add up past a float's range
#     are held at the largest float, and so are the itemcf and usercf
#     scores that do;
#   - `help`, `help gen`, `help eval`, `eval --help` and `build --help` work.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use RecsysTest qw(builder build_model tmpdir slurp repo_root write_file);

RecsysTest::skip_unless_built(builder_only => 1);

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();

# --- what help prints --------------------------------------------------

my ($rc, $help, $err) = builder('help', 'build');
is($rc, 0, 'help build exits 0') or diag $err;

my %opt;            # name => { arg, range => [min, max], default }
my $last;
for my $line (split /\n/, $help) {
    if ($line =~ /\A  --([a-z][a-z0-9-]*)(?: (\S+))?/) {
        $last = $1;
        $opt{$last} = { arg => $2 };
    }
    if (defined $last
        && $line =~ m{\[(?:(integer|number)\ (\S+?)\.\.(\S+?))?(?:;\ )?
                      (?:required)?(?:default\ (.*))?\]\z}x)
    {
        $opt{$last}{range} = [$2, $3, $1 eq 'integer'] if defined $1;
        $opt{$last}{default} = $4 if defined $4;
    }
}
cmp_ok(scalar keys %opt, '>=', 40, 'help build lists the options')
    or diag $help;

{
    my ($rc2, $help2) = builder('build', '--help');
    is($rc2, 0, 'build --help exits 0');
    is($help2, $help, 'build --help prints the same as help build');
}

# a value each option accepts, for the ones without a numeric range
my %sample = (interactions => 'x.csv', items => 'x.csv', tags => 'x.csv',
              out => undef, 'model-id' => 'm-1', 'event-weights' => 'view=1',
              similarity => 'pearson', weights => 'itemcf=1,popular=0.5',
              erase => 'x.txt', rnn => 'lstm', 'from-items' => 'x.mdb',
              'shard-ids' => 'x.json');

# parsing without the required flags: an accepted option leaves only that
# complaint
sub parse_only {
    my (@args) = @_;
    my ($c, $o, $e) = builder('build', @args);
    return ($c, $e);
}

for my $name (sort keys %opt) {
    next if $name eq 'out';
    my $o = $opt{$name};
    my @args = ("--$name");
    if (defined $o->{arg}) {
        my $v = exists $sample{$name} ? $sample{$name}
              : defined $o->{range} ? $o->{range}[0] : undef;
        if (!defined $v) {
            fail("--$name: a value to try");
            next;
        }
        push @args, $v;
    }
    my ($c, $e) = parse_only(@args);
    like($e, qr/--(?:interactions|out) is required/,
         "--$name (printed) is accepted by build") or diag $e;
}

# every --flag the README names: accepted by build exactly when printed
my $readme = slurp(repo_root() . '/README.md') // '';
my %named = map { $_ => 1 } $readme =~ /(?<![\w-])--([a-z][a-z0-9-]+)/g;
ok(scalar keys %named, 'the README names options');
delete $named{help};        # build --help prints the list itself
for my $name (sort keys %named) {
    my ($c, $e) = parse_only("--$name", '1');
    my $accepted = $e !~ /unknown flag --\Q$name\E\b/;
    if ($accepted) {
        ok(exists $opt{$name}, "--$name (accepted by build) is printed");
    } else {
        ok(!exists $opt{$name}, "--$name (unknown to build) is not printed");
    }
}

# the sources table's EASE row states the default user weight help prints
{
    my ($row) = $readme =~ /^(\| `ease` \|.*)$/m;
    my ($a) = ($row // '') =~ /`\|I_u\|\^-([\d.]+)`/;
    is($a, $opt{'ease-user-norm'}{default},
       "README's sources table: EASE weighs users by help's default");
}

# --- the defaults are the ones a build applies ---------------------------

my $model = build_model(interactions => "$data/cf-interactions.csv",
                        out => "$tmp/m.mdb", model_id => 'opts-1',
                        args => ['--quiet']);
my ($rc3, $stats) = builder('inspect', $model, 'stats');
my ($params) = $stats =~ /^params\s+(\{.*\})\s*$/m;
ok(defined $params, 'inspect stats shows the parameters') or diag $stats;
my $p = decode_json($params // '{}');
my %stored = (%$p, 'ease-lambda' => $p->{ease}{lambda},
              'ease-items' => $p->{ease}{items},
              'rule-support' => $p->{rules}{support},
              'rule-confidence' => $p->{rules}{confidence},
              'rule-lift' => $p->{rules}{lift},
              'rule-gap' => $p->{rules}{gap_seconds},
              segments => $p->{segments}{k}, eps => $p->{segments}{eps});
my $compared = 0;
for my $name (sort keys %opt) {
    (my $key = $name) =~ tr/-/_/;
    my $v = exists $stored{$name} ? $stored{$name} : $stored{$key};
    next if !defined $v || ref $v || !defined $opt{$name}{default};
    my $d = $opt{$name}{default};
    if ($v =~ /\A-?[\d.e+-]+\z/ && $d =~ /\A-?[\d.e+-]+\z/) {
        cmp_ok(abs($v - $d), '<=', 1e-6 * (1 + abs $v),
               "--$name: help's default $d is what the build stored");
    } else {
        is($d, $v, "--$name: help's default is what the build stored");
    }
    $compared++;
}
cmp_ok($compared, '>=', 15, 'defaults compared with a real build');

# the settings given are stored as well: --decay-days and --tags
{
    my $tags = write_file("$tmp/tags.csv", "userId,movieId,tag\n"
                          . "u1,3,blue\nu2,10,toys\n");
    my $m = build_model(interactions => "$data/cf-interactions.csv",
                        items => "$data/cf-items.csv",
                        out => "$tmp/decay.mdb",
                        args => ['--quiet', '--decay-days', 30,
                                 '--tags', $tags]);
    my (undef, $st) = builder('inspect', $m, 'stats');
    my ($json) = $st =~ /^params\s+(\{.*\})\s*$/m;
    my $q = decode_json($json // '{}');
    is($q->{decay_days}, 30, 'inspect stats shows --decay-days 30')
        or diag $st;
    is($q->{tags}, $tags, 'inspect stats shows the --tags file') or diag $st;
}

# --- values out of range are refused, naming the option ------------------

for my $name (sort keys %opt) {
    my $r = $opt{$name}{range} or next;
    my ($min, $max, $whole) = @$r;
    my @bad = ('abc', $whole ? $max + 1 : $max * 10 + 1);
    push @bad, $whole ? $min - 1 : $min / 2 if $min > 0;
    push @bad, '-1' if $min == 0;
    for my $v (@bad) {
        my ($c, $e) = parse_only("--$name", $v);
        isnt($c, 0, "--$name $v: refused");
        like($e, qr/\Arecsys-build: --\Q$name\E\b/,
             "--$name $v: the message names the option") or diag $e;
    }
}
{
    my ($c, $e) = parse_only('--weights', 'itemcf=11');
    like($e, qr/--weights/, '--weights itemcf=11: refused naming it');
    ($c, $e) = parse_only('--similarity', 'euclid');
    like($e, qr/--similarity/, '--similarity euclid: refused naming it');
    ($c, $e) = parse_only('--neighbors');
    like($e, qr/--neighbors needs a value/, '--neighbors alone: needs a value');
}

# eval's per-algorithm settings are the build options': an unknown one is
# refused with the whole list of their names, the table's last one too
{
    my ($c, $o, $e) = builder('eval', '--interactions',
        "$data/cf-interactions.csv", '--algos', 'itemcf:foo=1');
    is($c, 2, 'eval itemcf:foo=1: exit status 2');
    like($e, qr/unknown\ setting\ "foo=1"\ \(known:\ neighbors\ similarity\ .*
                \ ease_time_floor\ .*\ als_factors\)\n\z/x,
         'eval itemcf:foo=1: every setting named, up to als_factors')
        or diag $e;
}

# --event-weights is stored for the server's live events, which read at
# most 15 names of 1 to 32 bytes with weights of at most 1e30: a table past
# those bounds is refused before any work, one at them is accepted
{
    my @names = map { "t$_" } 1 .. 16;
    my %ew = (
        'fifteen names' => [1, join(',', map { "$_=1" } @names[0 .. 14])],
        'sixteen names' => [0, join(',', map { "$_=1" } @names)],
        'a name of 32 bytes' => [1, ('n' x 32) . '=2'],
        'a name of 33 bytes' => [0, ('n' x 33) . '=2'],
        'a weight of -1e30' => [1, 'skip=-1e30'],
        'a weight of 1e31' => [0, 'like=1e31'],
        'an entry without =' => [0, 'play=1,like'],
        'an empty name' => [0, '=3'],
    );
    for my $case (sort keys %ew) {
        my ($ok, $spec) = @{ $ew{$case} };
        my ($c, $e) = parse_only('--event-weights', $spec);
        if ($ok) {
            like($e, qr/--(?:interactions|out) is required/,
                 "--event-weights with $case: accepted") or diag $e;
        } else {
            like($e, qr/\Arecsys-build: --event-weights: at most 15/,
                 "--event-weights with $case: refused, naming the bounds")
                or diag $e;
        }
    }
}

# a user's rows for one item add up: two likes of 3e8 x 1e30 = 3e38 each
# fit a float, their sum 6e38 does not and is held at the largest float,
# 340282346638528859811704183484516925440 (never inf)
{
    my $log = write_file("$tmp/sum.csv", "user,item,rating,event\n"
        . "u1,i1,300000000,like\nu1,i1,300000000,like\nu1,i2,1,view\n"
        . "u2,i2,1,view\n");
    my $m = build_model(interactions => $log, out => "$tmp/sum.mdb",
                        args => ['--quiet', '--event-weights',
                                 'view=1,like=1e30']);
    my ($c, $o, $e) = builder('inspect', $m, 'user', 'u1');
    like($o, qr/^\s+i1\s+340282346638528859811704183484516925440\.0+\s/m,
         'a sum past the float range is held at the largest float')
        or diag $o, $e;
}

# scores are double sums stored as floats: with every rating 3e38 (in
# float range), u1..u3 holding i1, i2, i3 and u4 holding i1, i2, u4's
# itemcf score of i3 is 2 x 3e38 x cos(i1, i3) = 2 x 3e38 x 3 / (2 x sqrt 3)
# = 5.2e38 and its usercf score 3 x 3e38 x cos(u4, u1) = 3 x 3e38 x
# 2 / (sqrt 2 x sqrt 3) = 7.3e38: both past the float range, both held at
# the largest float (never inf)
{
    my $big = '3' . ('0' x 38);
    my $csv = "user,item,rating,timestamp\n";
    my $ts = 1000;
    for my $u (qw(u1 u2 u3)) {
        $csv .= "$u,$_,$big," . $ts++ . "\n" for qw(i1 i2 i3);
    }
    $csv .= "u4,$_,$big," . $ts++ . "\n" for qw(i1 i2);
    my $log = write_file("$tmp/big.csv", $csv);
    my $m = build_model(interactions => $log, out => "$tmp/big.mdb",
                        args => ['--quiet', '--user-neighbors', '5']);
    my ($c, $o, $e) = builder('inspect', $m, 'user', 'u4');
    for my $algo (qw(itemcf usercf)) {
        like($o, qr/^$algo\s\(1\b[^\n]*\n\s+i3\s+
                    340282346638528859811704183484516925440\.0+\s/mx,
             "$algo: a score past the float range is the largest float")
            or diag $o, $e;
    }
    unlike($o, qr/\binf\b/, 'no score is inf') or diag $o;
}

# --- the other commands --------------------------------------------------

($rc, my $list) = builder('help');
is($rc, 0, 'help exits 0');
like($list, qr/^  $_\b/m, "help lists $_") for qw(build gen eval inspect);

for my $cmd (['help', 'gen'], ['help', 'eval'], ['eval', '--help']) {
    my ($c, $o) = builder(@$cmd);
    is($c, 0, "@$cmd exits 0");
    like($o, qr/^  --\w.*default /m, "@$cmd lists options with defaults");
}
{
    my ($c, $o) = builder('help', 'gen');
    like($o, qr/^  --users N .*default 2000\]/m, 'gen: --users default 2000');
    ($c, $o, my $e) = builder('gen', '--out', "$tmp/g", '--segments', '13');
    isnt($c, 0, 'gen --segments 13: refused');
    like($e, qr/--segments/, 'gen --segments 13: names the option');
    ($c, $o, $e) = builder('eval', '--interactions', "$data/cf-interactions.csv",
                           '--k', '0');
    like($e, qr/--k must be a whole number/, 'eval --k 0: names the option');
}

done_testing();
