#!/usr/bin/perl

# 68-compare-models: contrib/dask/compare_models.py, which compares the
# answers of two models (the sharded build's and the single build's).  Two
# builds of one log agree (exit 0, largest difference 0).  Copies of a
# model made with mdb_dump / mdb_load, one score of user.recs.itemcf
# changed: by one unit in the last place of the float (a relative change
# below 1e-6) they still agree, and the difference printed is the one
# computed here from the two floats; by 200 units (above 1e-6) they do not
# (exit 1), nor when two items of a row trade places, nor with a list of
# other options.  A file that is not a model is an error (exit 2).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(tmpdir builder);

*run_cmd = \&RecsysTest::run_cmd;

RecsysTest::skip_unless_built();
plan skip_all => 'mdb_dump or mdb_load is missing (lmdb-utils)'
    unless system('command -v mdb_dump >/dev/null 2>&1') == 0
           && system('command -v mdb_load >/dev/null 2>&1') == 0;

my $script = "$FindBin::Bin/../contrib/dask/compare_models.py";
my $tmp = tmpdir();

my ($rc, $out, $err) = builder('gen', '--out', "$tmp/data", '--users', '60',
                               '--items', '40', '--events', '2000',
                               '--seed', '5');
is($rc, 0, 'gen') or diag $err;

sub build {
    my ($model, @opts) = @_;
    my ($r, undef, $e) = builder('build', '--interactions',
                                 "$tmp/data/interactions.csv", '--items',
                                 "$tmp/data/items.csv", '--out', $model,
                                 '--model-id', 'cmp', '--quiet', @opts);
    is($r, 0, "build $model") or diag $e;
}

sub compare {
    my ($a, $b) = @_;
    my ($r, $o, $e) = run_cmd(120, '/usr/bin/python3', $script, $a, $b);
    return ($r, $o . $e);
}

build("$tmp/a.mdb");
build("$tmp/b.mdb");

($rc, $out) = compare("$tmp/a.mdb", "$tmp/b.mdb");
is($rc, 0, 'two builds of one log: same answers') or diag $out;
like($out, qr/largest relative difference: 0 .*same answers/,
     'largest difference 0');

# every database of a.mdb as mdb_dump prints it
my ($r, $dump) = run_cmd(60, 'mdb_dump', '-n', '-a', "$tmp/a.mdb");
is($r, 0, 'mdb_dump -a');

my $key = unpack('H*', 'user.recs.itemcf');

# a copy of a.mdb whose user.recs.itemcf blob is $edit->(bytes)
sub doctored {
    my ($name, $edit) = @_;
    my ($db, $expect_value, $done) = ('', 0, 0);
    my @lines = split /\n/, $dump;
    for my $i (0 .. $#lines) {
        $db = $1 if $lines[$i] =~ /^database=(.*)$/;
        next unless $db eq 'blobs' && $lines[$i] eq " $key";
        my $v = pack('H*', substr($lines[$i + 1], 1));
        $lines[$i + 1] = ' ' . unpack('H*', $edit->($v));
        $done = 1;
        last;
    }
    die "no $key" unless $done;
    open(my $fh, '>', "$tmp/$name.dump") or die;
    print $fh join("\n", @lines), "\n";
    close $fh;
    my ($lr, undef, $le) = run_cmd(60, 'mdb_load', '-n', '-f',
                                   "$tmp/$name.dump", "$tmp/$name.mdb");
    is($lr, 0, "mdb_load $name") or diag $le;
    return "$tmp/$name.mdb";
}

# the list layout: a 16-byte head (magic, rows, entries, 0), the row
# offsets, then (item u32, score f32) entries
sub first_row {
    my ($v) = @_;
    my (undef, $rows, $entries) = unpack('V3', $v);
    my $ents = 16 + ($rows + 1) * 4;
    my ($from, $to) = unpack('V2', substr($v, 16, 8));
    return ($ents, $from, $to);
}

my ($old, $new);

sub bump {
    my ($ulps) = @_;
    return sub {
        my ($v) = @_;
        my ($ents, $from) = first_row($v);
        my $at = $ents + $from * 8 + 4;
        my $bits = unpack('V', substr($v, $at, 4));
        $old = unpack('f<', substr($v, $at, 4));
        substr($v, $at, 4) = pack('V', $bits + $ulps);
        $new = unpack('f<', substr($v, $at, 4));
        return $v;
    };
}

my $near = doctored('near', bump(1));
my $want = abs($old - $new) / (abs($old) > abs($new) ? abs($old)
                                                     : abs($new));
ok($want > 0 && $want < 1e-6, "one unit in the last place: $want");
($rc, $out) = compare("$tmp/a.mdb", $near);
is($rc, 0, 'a score within 1e-6: same answers') or diag $out;
like($out, qr/user\.recs\.itemcf: list of 60 rows: 0 rows with other items, largest relative score difference (\S+) \(row 0\)/,
     'the blob and row named');
my ($said) = $out =~ /largest relative score difference (\S+)/;
ok(defined $said && abs($said - $want) <= 1e-3 * $want,
   "difference printed ($said) is |a - b| / max(|a|, |b|) ($want)");

my $far = doctored('far', bump(200));
($rc, $out) = compare("$tmp/a.mdb", $far);
is($rc, 1, 'a score off by more than 1e-6: different') or diag $out;
like($out, qr/DIFFERENT/, 'says so');

my $swap = doctored('swap', sub {
    my ($v) = @_;
    my ($ents, $from, $to) = first_row($v);
    die 'row 0 too short' if $to - $from < 2;
    my $a = substr($v, $ents + $from * 8, 4);
    my $b = substr($v, $ents + $from * 8 + 8, 4);
    substr($v, $ents + $from * 8, 4) = $b;
    substr($v, $ents + $from * 8 + 8, 4) = $a;
    return $v;
});
($rc, $out) = compare("$tmp/a.mdb", $swap);
is($rc, 1, 'two items of a row swapped: different') or diag $out;
like($out, qr/user\.recs\.itemcf: list of 60 rows: 1 rows with other items/,
     'one row with other items');

build("$tmp/c.mdb", '--neighbors', '5');
($rc, $out) = compare("$tmp/a.mdb", "$tmp/c.mdb");
is($rc, 1, 'other options: different') or diag $out;

open(my $fh, '>', "$tmp/junk.mdb") or die;
print $fh "not a model\n";
close $fh;
($rc, $out) = compare("$tmp/a.mdb", "$tmp/junk.mdb");
is($rc, 2, 'not a model: an error') or diag $out;

done_testing();
