package RecsysSeal;

# RecsysSeal: the model file's checksum seal written again in Perl, from
# its description in engine/serve/recsys_seal.h and recsys_seal.c's top
# comment, so tests can check the builder's seals and make seals of their
# own.  64-bit arithmetic with Math::BigInt (core), so it is slow: fine for
# the seal itself and for files of some kilobytes.
#
#   sum64($bytes)             the 64-bit sum, a Math::BigInt
#   seal($body, $sum)         the 64-byte seal of a body of length($body)
#                             bytes whose sum is $sum (default: computed)
#   seal_for_size($size, $sum) the same for a body known only by its size

use strict;
use warnings;

use Exporter 'import';
use Math::BigInt;

our @EXPORT_OK = qw(sum64 seal seal_for_size);

my $M = Math::BigInt->new(2)->bpow(64);
my $K1 = Math::BigInt->from_hex('9e3779b185ebca87');
my $K2 = Math::BigInt->from_hex('c2b2ae3d27d4eb4f');
my $K3 = Math::BigInt->from_hex('165667b19e3779f9');
my $K4 = Math::BigInt->from_hex('85ebca77c2b2ae63');

sub m64 { $_[0]->copy->bmod($M) }

sub rotl {
    my ($x, $r) = @_;
    my $hi = $x->copy->blsft($r)->bmod($M);
    my $lo = $x->copy->brsft(64 - $r);
    return $hi->bior($lo);
}

sub round {
    my ($lane, $w) = @_;
    return m64(rotl(m64($lane + $w * $K2), 31) * $K1);
}

sub le64 {
    my ($bytes, $off) = @_;
    my ($lo, $hi) = unpack 'V V', substr($bytes, $off, 8);
    return Math::BigInt->new($hi)->blsft(32)->badd($lo);
}

sub sum64 {
    my ($b) = @_;
    my $n = length $b;
    my @l = (m64($K1 + $K2), $K2->copy, Math::BigInt->new(0), m64($M - $K1));
    my $off = 0;
    for (; $off + 32 <= $n; $off += 32) {
        $l[$_] = round($l[$_], le64($b, $off + 8 * $_)) for 0 .. 3;
    }
    # the tail: words into lane 0, then bytes into lane 1
    for (; $off + 8 <= $n; $off += 8) {
        $l[0] = round($l[0]->copy->bxor($l[1]), le64($b, $off));
    }
    for (; $off < $n; $off++) {
        my $x = $l[1]->copy->bxor(m64($K3 * ord substr($b, $off, 1)));
        $l[1] = m64(rotl($x, 11) * $K1);
    }
    my $h = m64(rotl($l[0], 1) + rotl($l[1], 7) + rotl($l[2], 12)
                + rotl($l[3], 18));
    $h = m64($h->copy->bxor(round(Math::BigInt->new(0), $l[0])) * $K1 + $K4);
    $h = m64($h->copy->bxor(round(Math::BigInt->new(0), $l[2])) * $K1 + $K4);
    $h = m64($h + $n);
    $h = $h->copy->bxor($h->copy->brsft(33));
    $h = m64($h * $K2);
    $h = $h->copy->bxor($h->copy->brsft(29));
    $h = m64($h * $K3);
    return $h->copy->bxor($h->copy->brsft(32));
}

sub pack64 {
    my ($v) = @_;
    my $hex = substr(('0' x 16) . substr($v->as_hex, 2), -16);
    return scalar reverse pack 'H16', $hex;
}

sub seal_for_size {
    my ($size, $sum) = @_;
    my $head = 'RSYSSEAL' . pack('V V', 1, 0)
               . pack64(Math::BigInt->new($size)) . pack64($sum);
    return $head . pack64(sum64($head)) . ("\0" x 24);
}

sub seal {
    my ($body, $sum) = @_;
    return seal_for_size(length $body, $sum // sum64($body));
}

1;
