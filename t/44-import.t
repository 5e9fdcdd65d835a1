#!/usr/bin/perl

# 44-import: Spark's output as named sources.  t/data/spark/ holds what
# DataFrame.write.json leaves (part-*.json and _SUCCESS) for
# ALSModel.recommendForAllUsers, item lists and FPGrowthModel
# .associationRules over the small log t/data/spark/ratings.csv.  The
# expected answers are computed here from the fixture files: a user's list
# without the items the user has seen (from ratings.csv), best first; an
# item's list without the item; the rules brute-forced per user.  A gzip
# copy of the parts imports the same lists; broken inputs fail naming
# FILE:LINE (or the missing _SUCCESS) and publish nothing; w_<name>= of an
# imported source is read after any number of unknown w_ arguments,
# percent-decoded, and refused when also given as w_importN; $recsys_algo
# of an imported source is logged whole after its model was replaced.  A
# base model without its seal, or cut short, is refused by the file check.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep);
use RecsysTest qw(build_model tmpdir builder write_file check_error);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data/spark";
my $tmp = tmpdir();
my $json = JSON::PP->new;

my $base = build_model(interactions => "$data/ratings.csv",
                       items => "$data/items.csv", out => "$tmp/base.mdb",
                       model_id => 'import-base');

# the fixture, read independently of the importer
my %seen;
for (split /\n/, RecsysTest::slurp("$data/ratings.csv")) {
    my ($u, $i) = split /,/;
    $seen{$u}{$i} = 1 if $u ne 'user';
}

sub lines_of {
    my ($dir) = @_;
    my @l;
    for my $f (sort glob "$dir/part-*") {
        push @l, map { $json->decode($_) } grep { /\S/ }
                 split /\n/, RecsysTest::slurp($f);
    }
    return @l;
}

sub best_first {
    my ($h) = @_;
    return [ map { [$_, $h->{$_}] }
             sort { $h->{$b} <=> $h->{$a} || $a <=> $b } keys %$h ];
}

my (%als, %sim, %rules_user, %rules_item);
for my $l (lines_of("$data/als")) {
    $als{$l->{user}} = [ map { [$_->{item}, $_->{rating}] }
                         grep { !$seen{$l->{user}}{$_->{item}} }
                         @{ $l->{recommendations} } ];
}
for my $l (lines_of("$data/similar")) {
    $sim{$l->{item}} = [ map { [$_->{item}, $_->{score}] }
                         grep { $_->{item} != $l->{item} } @{ $l->{similar} } ];
}
my @rules = lines_of("$data/rules");
for my $u (keys %seen) {
    my %best;
    for my $r (@rules) {
        next if grep { !$seen{$u}{$_} } @{ $r->{antecedent} };
        my $c = $r->{consequent}[0];
        next if $seen{$u}{$c};
        $best{$c} = $r->{confidence} if ($best{$c} // 0) < $r->{confidence};
    }
    $rules_user{$u} = best_first(\%best);
}
for my $i (101 .. 110) {
    my %best;
    for my $r (grep { @{ $_->{antecedent} } == 1 } @rules) {
        next if $r->{antecedent}[0] != $i;
        my $c = $r->{consequent}[0];
        $best{$c} = $r->{confidence} if ($best{$c} // 0) < $r->{confidence};
    }
    $rules_item{$i} = best_first(\%best);
}

sub import_model {
    my ($out, @args) = @_;
    return builder('import', '--model', $base, '--out', $out, @args);
}

my ($rc, $out, $err) = import_model("$tmp/imp.mdb",
    '--users', "spark_als=$data/als", '--items', "spark_als=$data/similar",
    '--rules', "fpg=$data/rules", '--model-id', 'import-1');
is($rc, 0, 'import succeeds') or diag $err;
like($out, qr/^imported 18 lines, 36 entries \(0 unknown ids and 1 seen items left out\)/,
     'the report counts lines, entries and what was left out');

# gzip parts (as with compression=gzip) import the same lists
my $gz = "$tmp/als-gz";
mkdir $gz or die;
for my $f (glob "$data/als/part-*") {
    my $name = ($f =~ s{.*/}{}r) =~ s/\.json\z/.json.gz/r;
    gzip($f => "$gz/$name") or die $GzipError;
}
write_file("$gz/_SUCCESS", '');
($rc, undef, $err) = import_model("$tmp/imp-gz.mdb",
    '--users', "spark_als=$gz", '--items', "spark_als=$data/similar",
    '--rules', "fpg=$data/rules", '--model-id', 'import-1');
is($rc, 0, 'import of gzip parts succeeds') or diag $err;
my (undef, $a1) = builder('inspect', "$tmp/imp.mdb", 'user', '1');
my (undef, $a2) = builder('inspect', "$tmp/imp-gz.mdb", 'user', '1');
is($a2, $a1, 'gzip parts give the same lists');

# broken inputs: FILE:LINE errors, nothing published
sub broken {
    my ($name, $lines, $want, %o) = @_;
    my $dir = "$tmp/bad-$name";
    mkdir $dir or die;
    my $part = "$dir/part-00000-x-c000.json" . ($o{gz} ? '.gz' : '');
    if ($o{gz} && $o{truncate}) {
        gzip(\$lines => \my $z) or die $GzipError;
        write_file($part, substr($z, 0, int(length($z) * 0.6)));
    } else {
        write_file($part, $lines);
    }
    write_file("$dir/_SUCCESS", '') unless $o{no_success};
    my ($rc, undef, $err) = import_model("$tmp/bad-$name.mdb",
        $o{kind} // '--users', "x=$dir", @{ $o{args} || [] });
    isnt($rc, 0, "$name: refused");
    like($err, $want, "$name: says where and why") or diag $err;
    ok(!-e "$tmp/bad-$name.mdb", "$name: nothing published");
}

my $ok = qq({"user":1,"recommendations":[{"item":104,"rating":1.0}]}\n);
broken('no-success', $ok, qr{bad-no-success/_SUCCESS: missing}, no_success => 1);
broken('null-list', $ok . qq({"user":2,"recommendations":null}\n),
       qr{part-00000-x-c000\.json:2: "recommendations" is null});
broken('left-out', $ok . $ok =~ s/1,/2,/r . qq({"user":3}\n),
       qr{\.json:3: "recommendations" is missing});
broken('empty', qq({"user":1,"recommendations":[]}\n),
       qr{\.json:1: "recommendations" is an empty array});
broken('null-item',
       qq({"user":1,"recommendations":[{"item":null,"rating":1.0}]}\n),
       qr{\.json:1: "recommendations"\[0\]\."item" is null});
broken('unknown-item', $ok . qq({"user":2,"recommendations":[{"item":999,"rating":1}]}\n),
       qr{\.json:2: unknown item "999"});
broken('unknown-user', qq({"user":77,"recommendations":[{"item":101,"rating":1}]}\n),
       qr{\.json:1: unknown user "77"});
broken('twice', $ok . $ok, qr{\.json:2: user "1" listed again \(first at .*\.json:1\)});
broken('not-json', "$ok\{\"user\":2,\n", qr{\.json:2: not a JSON object});
broken('truncated-gzip', $ok x 200, qr{\.json\.gz:\d+: gzip: }, gz => 1,
       truncate => 1);
broken('not-gzip', $ok, qr{\.json\.gz: not gzip data}, gz => 1);
broken('rule-null', qq({"antecedent":[101],"consequent":[103],"confidence":null}\n),
       qr{\.json:1: "confidence" is null}, kind => '--rules');
broken('bad-name', $ok, qr{"itemcf" cannot name a source},
       args => ['--users', "itemcf=$data/als"]);

# --skip-unknown leaves unknown ids out and counts them
my $sk = "$tmp/skip";
mkdir $sk or die;
write_file("$sk/part-00000.json",
           qq({"user":77,"recommendations":[{"item":101,"rating":1}]}\n)
           . qq({"user":1,"recommendations":[{"item":999,"rating":2},{"item":104,"rating":1}]}\n));
write_file("$sk/_SUCCESS", '');
($rc, $out, $err) = import_model("$tmp/skip.mdb", '--users', "s=$sk",
                                 '--skip-unknown');
is($rc, 0, '--skip-unknown imports') or diag $err;
like($out, qr/\(2 unknown ids and 0 seen/, '--skip-unknown counts them');

# a damaged base model is refused before LMDB reads a byte of it: one
# without its seal, one cut to half its pages (LMDB would read past the
# end: a SIGBUS)
my $bytes = RecsysTest::slurp($base);
my %damaged = (unsealed => substr($bytes, 0, -64),
               cut => substr($bytes, 0, 4096 * int(length($bytes) / 8192)));
for my $name (sort keys %damaged) {
    write_file("$tmp/base-$name.mdb", $damaged{$name});
    my ($rc, undef, $err) = builder('import', '--model',
        "$tmp/base-$name.mdb", '--out', "$tmp/imp-$name.mdb",
        '--users', "spark_als=$data/als");
    is($rc, 1, "a base model $name: refused (exit 1, no signal)");
    like($err, qr/^recsys-build: \Q$tmp\E\/base-$name\.mdb: no checksum seal at the end of the file/,
         "a base model $name: the check's reason") or diag $err;
    ok(!-e "$tmp/imp-$name.mdb", "a base model $name: nothing published");
}

my $srv = RecsysTest::start_nginx(
    locations => RecsysTest::recsys_locations(['= /recommend',
                                               "$tmp/imp.mdb"]));

sub answer {
    my ($q) = @_;
    my ($d, $res) = $srv->json("/recommend?$q");
    return ($d, $res->{status});
}

# strict=1: the source's own list, empty when it has nothing (no popular
# fill of an empty answer)
sub same_list {
    my ($q, $want, $name) = @_;
    my ($d, $status) = answer("$q&strict=1");
    is($status, 200, "$name: 200");
    my @got = map { [$_->{id}, $_->{score}] } @{ $d->{items} || [] };
    is_deeply([ map { $_->[0] } @got ], [ map { "$_->[0]" } @$want ],
              "$name: the fixture's items, best first");
    my @far = grep { abs($got[$_][1] - $want->[$_][1])
                     > 1e-3 * (1 + abs $want->[$_][1]) } 0 .. $#got;
    ok(!@far, "$name: the fixture's scores")
        or diag explain [\@got, $want];
    return $d;
}

for my $u (1 .. 6) {
    my $d = same_list("algo=spark_als&user=$u", $als{$u},
                      "algo=spark_als user $u");
    is($d->{algo}, 'spark_als', "user $u: the answer names the source");
    same_list("algo=fpg&user=$u&n=100", $rules_user{$u},
              "algo=fpg (rules) user $u");
}

for my $i (101, 104, 110) {
    same_list("algo=spark_als&item=$i", $sim{$i}, "algo=spark_als item $i");
}

for my $i (101 .. 110) {
    same_list("algo=fpg&item=$i&n=100", $rules_item{$i},
              "algo=fpg item $i") if @{ $rules_item{$i} };
}

# the canonical slot names answer too; unknown names are refused
my ($d) = answer('algo=import1&user=1');
is_deeply([ map { $_->{id} } @{ $d->{items} } ],
          [ map { "$_->[0]" } @{ $als{1} } ], 'algo=import1 is spark_als');
check_error($srv, 'GET', '/recommend?algo=spark_alsx&user=1', 400,
            'bad_request', 'algo');

# the hybrid blends an imported source given a weight
($d) = answer('user=1&explain=1&w_spark_als=10&n=20');
ok((grep { exists $_->{sources}{spark_als} } @{ $d->{items} }),
   'w_spark_als= blends it into hybrid, named in explanations');
check_error($srv, 'GET', '/recommend?user=1&w_spark_als=11', 400,
            'bad_request', 'w_spark_als');
my ($plain) = answer('user=1');
my ($unknown) = answer('user=1&w_nosuch=1');
is_deeply($unknown->{items}, $plain->{items},
          'a weight of no source of the model is ignored');

# weights of names the model does not have never crowd out one it has; a
# source given by its name and as w_import1 is a repeated argument; a
# percent-encoded weight reads as the plain one
check_error($srv, 'GET',
            '/recommend?user=1&w_a=1&w_b=1&w_c=1&w_d=1&w_spark_als=11', 400,
            'bad_request', 'w_spark_als');
{
    my ($w5) = answer('user=1&w_spark_als=5&n=20');
    my ($junk5) = answer('user=1&w_a=1&w_b=1&w_c=1&w_d=1&w_spark_als=5&n=20');
    is_deeply($junk5->{items}, $w5->{items},
              'w_spark_als=5 after four unknown weights: the same answer');
    isnt(join(' ', map { $_->{id} } @{ $w5->{items} }),
         join(' ', map { $_->{id} } @{ (answer('user=1&n=20'))[0]{items} }),
         'w_spark_als=5 changes the answer');
    my ($enc) = answer('user=1&w_spark_als=0%2E5&n=20');
    my ($dot) = answer('user=1&w_spark_als=0.5&n=20');
    is_deeply($enc->{items}, $dot->{items}, 'w_spark_als=0%2E5 is 0.5');
}
check_error($srv, 'GET', '/recommend?user=1&w_import1=1&w_spark_als=2', 400,
            'bad_request', 'w_spark_als');

$srv->finish;

# the 400 names a weight of a source with a name of the longest length
# whole (28 bytes: w_ and the name, 30)
{
    my $long = 'spark_als_long_name_of_28_ch';
    my ($lrc, undef, $lerr) = import_model("$tmp/long.mdb",
        '--users', "$long=$data/als", '--model-id', 'import-long');
    is($lrc, 0, 'import of a 28-byte name') or diag $lerr;
    my $ls = RecsysTest::start_nginx(
        locations => RecsysTest::recsys_locations(['= /recommend',
                                                   "$tmp/long.mdb"]));
    my ($e, $r) = $ls->json("/recommend?user=1&w_$long=11");
    is($r->{status}, 400, 'w_ of the long name, 11: 400');
    is($e->{message}, "invalid argument: w_$long", 'the whole name said');
    $ls->finish;
}

# $recsys_algo of an imported source, logged after the model it came from
# was replaced while the answer was still being sent (at 100 bytes a
# second): the log has the name and the worker lives
{
    copy("$tmp/imp.mdb", "$tmp/swap.mdb") or die;
    my $slow = RecsysTest::start_nginx(
        http => '    log_format algo "$recsys_algo $recsys_model";',
        locations => RecsysTest::recsys_locations(['= /recommend',
            "$tmp/swap.mdb", 'recsys_reload_interval 100ms']) . '
        location = /slow {
            recsys;
            recsys_model ' . "$tmp/swap.mdb" . ';
            recsys_reload_interval 100ms;
            limit_rate 100;
            access_log ' . RecsysTest::tmpdir() . '/algo.log algo;
        }');
    my ($log) = $slow->{conf} =~ /access_log (\S+) algo;/;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $slow->port, Proto => 'tcp')
        or die "connect: $!";
    print $sock "GET /slow?user=1&algo=spark_als&n=3 HTTP/1.0\r\n\r\n";
    sleep 0.5;
    copy("$tmp/imp-gz.mdb", "$tmp/swap.next") or die;
    RecsysTest::publish("$tmp/swap.next", "$tmp/swap.mdb");
    sleep 0.3;
    my $d = $slow->json('/recommend?user=1');
    is(ref $d->{items}, 'ARRAY', 'the next request answers from the new file');
    local $/;
    my $body = <$sock>;
    like($body // '', qr/\A(?:HTTP\/1\.1 200).*"algo":"spark_als"/s,
         'the slow answer arrived whole');
    close $sock;
    sleep 0.2;
    like(RecsysTest::slurp($log) // '', qr/^spark_als import-1$/m,
         '$recsys_algo logged after the swap: the imported name');
    unlike($slow->error_log, qr/exited on signal/, 'no worker died');
    $slow->finish;
}

done_testing();
