#!/usr/bin/perl
# bench/replay.pl: the online replay of bench/bench-events.sh.
#
#   perl bench/replay.pl split RATINGS TRAIN HELD
#       every user with at least 12 rows: the newest 6 rows (by timestamp,
#       then file order) go to HELD as "user item1 ... item6", oldest
#       first; all other rows go to TRAIN (the same CSV header)
#   perl bench/replay.pl eval PORT HELD
#       for each held-out user against nginx on 127.0.0.1:PORT: GET
#       /recommend?user=U&n=10 (without), POST the first 5 held-out items
#       as play events, GET again (with); the 6th item's hit rate at 10
#       and reciprocal rank (0 past 10) averaged over the users, printed
#       as "replay: users=N without hr10=H mrr=M with hr10=H mrr=M"
#
# Perl core only (HTTP::Tiny, JSON::PP).

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;

my $cmd = shift // '';

if ($cmd eq 'split') {
    my ($in, $train, $held) = @ARGV;
    open my $fh, '<', $in or die "$in: $!";
    my $head = <$fh>;
    my (%rows, @order);
    while (my $l = <$fh>) {
        chomp $l;
        my ($u, $i, $r, $t) = split /,/, $l;
        push @order, $u unless $rows{$u};
        push @{ $rows{$u} }, [$i, $t // 0, $l, scalar @{ $rows{$u} || [] }];
    }
    open my $tr, '>', $train or die "$train: $!";
    open my $hd, '>', $held or die "$held: $!";
    print {$tr} $head;
    for my $u (@order) {
        my @r = sort { $a->[1] <=> $b->[1] || $a->[3] <=> $b->[3] }
                @{ $rows{$u} };
        my @h = @r >= 12 ? splice(@r, -6) : ();
        print {$tr} "$_->[2]\n" for @r;
        print {$hd} join(' ', $u, map { $_->[0] } @h), "\n" if @h;
    }
    exit 0;
}

if ($cmd eq 'eval') {
    my ($port, $held) = @ARGV;
    my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 10);
    my $base = "http://127.0.0.1:$port";
    my (%hr, %rr, $n);

    my $rank = sub {
        my ($u, $want) = @_;
        my $res = $http->get("$base/recommend?user=$u&n=10");
        die "GET $u: $res->{status}" unless $res->{status} == 200;
        my $k = 0;
        for (@{ decode_json($res->{content})->{items} }) {
            $k++;
            return $k if $_->{id} eq $want;
        }
        return 0;
    };

    open my $fh, '<', $held or die "$held: $!";
    while (my $l = <$fh>) {
        my ($u, @h) = split ' ', $l;
        my $target = $h[5];
        my $r0 = $rank->($u, $target);
        my $body = encode_json([map { { user => $u, item => $_,
                                        type => 'play' } } @h[0 .. 4]]);
        my $p = $http->post("$base/event", { content => $body,
            headers => { 'content-type' => 'application/json' } });
        die "POST $u: $p->{status}" unless $p->{status} == 204;
        my $r1 = $rank->($u, $target);
        $n++;
        for ([without => $r0], [with => $r1]) {
            $hr{ $_->[0] } += $_->[1] > 0 ? 1 : 0;
            $rr{ $_->[0] } += $_->[1] > 0 ? 1 / $_->[1] : 0;
        }
    }
    printf "replay: users=%d without hr10=%.4f mrr=%.4f with hr10=%.4f "
           . "mrr=%.4f\n", $n, map { $hr{$_} / $n, $rr{$_} / $n }
                                qw(without with);
    exit 0;
}

die "usage: replay.pl split RATINGS TRAIN HELD | eval PORT HELD\n";
