#!/usr/bin/perl

# 40-lstm: the LSTM source next to the GRU.  `--rnn lstm` trains an LSTM
# cell (packed under "packed.lstmc"), `--rnn both` both cells, and the old
# `--lstm` flag still trains the GRU.  algo=lstm answers from the LSTM,
# algo=gru from the GRU, and a model without the LSTM refuses algo=lstm
# with a 400; algo=next takes the GRU, else the LSTM.  The served ranking of a session is checked against an LSTM
# run here, in Perl, over the weights read back from the model file with
# mdb_dump: the cell's equations written out independently of the C code.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir builder check_error);

RecsysTest::skip_unless_built();

plan skip_all => 'mdb_dump (lmdb-utils) not installed'
    if system('mdb_dump -V >/dev/null 2>&1') != 0;

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my %common = (interactions => "$data/sess-ratings.csv",
              items => "$data/sess-items.csv", model_id => 'lstm-1');
my @small = qw(--gru-epochs 3 --gru-dim 4 --gru-hidden 5);
my $lstm = build_model(%common, out => "$tmp/lstm.mdb",
                       args => ['--rnn', 'lstm', @small]);
my $both = build_model(%common, out => "$tmp/both.mdb",
                       args => ['--rnn', 'both', @small]);
my $old = build_model(%common, out => "$tmp/old.mdb",
                      args => ['--lstm', @small]);

sub sources {
    my (undef, $out) = builder('inspect', $_[0], 'stats');
    my ($s) = $out =~ /^sources\s+(.*)$/m;
    return " $s ";
}

like(sources($lstm), qr/ lstm /, '--rnn lstm: the model has lstm');
unlike(sources($lstm), qr/ gru /, '--rnn lstm: and no gru');
like(sources($both), qr/ gru .* lstm /, '--rnn both: gru and lstm');
like(sources($old), qr/ gru /, '--lstm (old name of --gru): a gru');
unlike(sources($old), qr/ lstm /, '--lstm: no LSTM cell');

# the packed blobs, read back from the file
sub blobs {
    my ($file) = @_;
    my @lines = `mdb_dump -n -s blobs '$file'`;
    my (%b, $in);
    for (my $i = 0; $i < @lines; $i++) {
        if ($lines[$i] =~ /^HEADER=END/) { $in = 1; next; }
        last if $lines[$i] =~ /^DATA=END/;
        next unless $in;
        my $k = pack('H*', ($lines[$i] =~ /^ ([0-9a-f]*)/)[0]);
        my $v = pack('H*', ($lines[++$i] =~ /^ ([0-9a-f]*)/)[0]);
        $b{$k} = $v;
    }
    return \%b;
}

my $bl = blobs($lstm);
ok(exists $bl->{'packed.lstmc'}, 'the LSTM is stored as packed.lstmc');
ok(!exists $bl->{'packed.lstm'}, 'and nothing under the GRU\'s key');
my $bb = blobs($both);
is(substr($bb->{'packed.lstm'}, 0, 4), 'GRU1', 'both: the GRU\'s magic');
is(substr($bb->{'packed.lstmc'}, 0, 4), 'LST1', 'both: the LSTM\'s magic');

my $blob = $bl->{'packed.lstmc'};
my ($magic, $ni, $d, $h, $maxlen) = unpack('a4 L L L L', $blob);
is($magic, 'LST1', 'LSTM magic');
is("$ni $d $h", '10 4 5', '10 items, dim 4, hidden 5');
my @f = unpack('f*', substr($blob, 24));
is(scalar(@f), $ni * ($d + $h + 1) + 4 * $h * ($d + $h + 1),
   'the packed size of four gate blocks');

my $o = 0;
my @E = map { [ @f[$o + $_ * $d .. $o + $_ * $d + $d - 1] ] } 0 .. $ni - 1;
$o += $ni * $d;
my @W = map { [ @f[$o + $_ * $d .. $o + $_ * $d + $d - 1] ] } 0 .. 4 * $h - 1;
$o += 4 * $h * $d;
my @U = map { [ @f[$o + $_ * $h .. $o + $_ * $h + $h - 1] ] } 0 .. 4 * $h - 1;
$o += 4 * $h * $h;
my @bias = @f[$o .. $o + 4 * $h - 1];
$o += 4 * $h;
my @O = map { [ @f[$o + $_ * $h .. $o + $_ * $h + $h - 1] ] } 0 .. $ni - 1;
$o += $ni * $h;
my @bo = @f[$o .. $o + $ni - 1];

sub sig { 1 / (1 + exp(-$_[0])) }
sub tanh_ { my $e = exp(2 * $_[0]); ($e - 1) / ($e + 1) }
sub dot { my ($x, $y) = @_; my $s = 0; $s += $x->[$_] * $y->[$_] for 0 .. $#$x; $s }

# items' indexes: ids of digits first by value, then the others bytewise
my @ids = (1 .. 9, 'k');

sub expect {
    my ($hist, $n) = @_;
    my @hs = (0) x $h;
    my @cs = (0) x $h;
    for my $id (@$hist) {
        my ($x) = grep { $ids[$_] eq $id } 0 .. $#ids;
        my @a = map { $bias[$_] + dot($W[$_], $E[$x]) + dot($U[$_], \@hs) }
                0 .. 4 * $h - 1;
        for my $j (0 .. $h - 1) {
            my ($i, $f, $g, $og) = (sig($a[$j]), sig($a[$h + $j]),
                                    tanh_($a[2 * $h + $j]),
                                    sig($a[3 * $h + $j]));
            $cs[$j] = $f * $cs[$j] + $i * $g;
        }
        @hs = map { sig($a[3 * $h + $_]) * tanh_($cs[$_]) } 0 .. $h - 1;
    }
    my %in = map { $_ => 1 } @$hist;
    my @s = map { dot($O[$_], \@hs) + $bo[$_] } 0 .. $ni - 1;
    my @order = sort { $s[$b] <=> $s[$a] || $a <=> $b }
                grep { !$in{$ids[$_]} } 0 .. $ni - 1;
    return [ map { $ids[$_] } @order[0 .. $n - 1] ];
}

sub serve {
    return RecsysTest::start_nginx(
        http => "    recsys_model $_[0];\n",
        locations => "        location = /recommend { recsys; }\n");
}

my $srv = serve($both);

sub items { [ map { $_->{id} } @{ $_[0]{items} } ] }

# the model with both cells: its LSTM is that of the --rnn lstm build
is(blobs($both)->{'packed.lstmc'}, $blob,
   'the LSTM of --rnn both is the LSTM of --rnn lstm (seeded)');

for my $hist ([3, 5], [1, 2, 4], [6], [8, 7, 1, 2]) {
    my $q = 'history=' . join(',', @$hist);
    my ($l, $rl) = $srv->json("/recommend?$q&algo=lstm&n=4");
    my ($g, $rg) = $srv->json("/recommend?$q&algo=gru&n=4");
    is($rl->{status}, 200, "$q algo=lstm answers");
    is($l->{algo}, 'lstm', "$q algo=lstm echoes lstm");
    is($g->{algo}, 'gru', "$q algo=gru echoes gru");
    is_deeply(items($l), expect($hist, 4),
              "$q algo=lstm ranks as the LSTM's equations do");
}

my ($e) = $srv->json('/recommend?history=3,5&algo=lstm&explain=1');
ok(@{ $e->{items} } && !grep({ !exists $_->{sources}{lstm} }
                             @{ $e->{items} }),
   'explanations credit lstm');
my ($u) = $srv->json('/recommend?user=s5&algo=lstm');
ok(@{ $u->{items} } > 0, 'a known user gets the LSTM\'s stored list');
my ($nx) = $srv->json('/recommend?history=3,5&algo=next&n=4');
my ($gr) = $srv->json('/recommend?history=3,5&algo=gru&n=4');
is_deeply(items($nx), items($gr), 'algo=next: the gru first');
$srv->finish;

# with the LSTM as the only recurrent model, next answers from it
my $srv3 = serve($lstm);
my ($nl) = $srv3->json('/recommend?history=3,5&algo=next&n=4');
is_deeply(items($nl), expect([3, 5], 4), 'algo=next: then the lstm');
$srv3->finish;

# a model without the LSTM: algo=lstm is a source it lacks
my $srv2 = serve($old);
my (undef, $r2) = $srv2->json('/recommend?history=3,5&algo=lstm');
is($r2->{status}, 400, 'algo=lstm on a GRU-only model: 400');
my ($g2, $rg2) = $srv2->json('/recommend?history=3,5&algo=gru');
is($rg2->{status}, 200, 'algo=gru on it: 200');
$srv2->finish;

my ($rc, undef, $err) = builder('build', '--interactions',
                                $common{interactions}, '--out',
                                "$tmp/bad.mdb", '--rnn', 'rnn');
isnt($rc, 0, '--rnn takes only off, gru, lstm, both');

done_testing();
