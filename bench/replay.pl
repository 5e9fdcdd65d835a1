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
#   perl bench/replay.pl eval PORT HELD PATH...
#       the same through each PATH instead of /recommend (the events are
#       posted once; "without" is asked through the first), then one line
#       "replay PATH: with hr10=H mrr=M" for each PATH after the first
#   perl bench/replay.pl session PORT TRAIN HELD PATH...
#       anonymous sessions: for each held-out user, GET
#       PATH?history=H&n=10 with H the user's newest 10 TRAIN items (oldest
#       first), and the first held-out item's hit rate at 10 and
#       reciprocal rank, one line "session PATH: sessions=N hr10=H mrr=M"
#       for each PATH
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

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 10);

# rank(PORT, PATH, QUERY, ITEM): ITEM's place in PATH?QUERY&n=10, 0 if out
sub rank {
    my ($port, $path, $query, $want) = @_;
    my $res = $http->get("http://127.0.0.1:$port$path?$query&n=10");
    die "GET $path?$query: $res->{status}" unless $res->{status} == 200;
    my $k = 0;
    for (@{ decode_json($res->{content})->{items} }) {
        $k++;
        return $k if $_->{id} eq $want;
    }
    return 0;
}

if ($cmd eq 'eval') {
    my ($port, $held, @paths) = @ARGV;
    @paths = ('/recommend') unless @paths;
    my (%hr, %rr, $n);

    open my $fh, '<', $held or die "$held: $!";
    while (my $l = <$fh>) {
        my ($u, @h) = split ' ', $l;
        my $target = $h[5];
        my @r = ([without => rank($port, $paths[0], "user=$u", $target)]);
        my $body = encode_json([map { { user => $u, item => $_,
                                        type => 'play' } } @h[0 .. 4]]);
        my $p = $http->post("http://127.0.0.1:$port/event", {
            content => $body,
            headers => { 'content-type' => 'application/json' } });
        die "POST $u: $p->{status}" unless $p->{status} == 204;
        push @r, [$_, rank($port, $_, "user=$u", $target)] for @paths;
        $n++;
        for (@r) {
            $hr{ $_->[0] } += $_->[1] > 0 ? 1 : 0;
            $rr{ $_->[0] } += $_->[1] > 0 ? 1 / $_->[1] : 0;
        }
    }
    printf "replay: users=%d without hr10=%.4f mrr=%.4f with hr10=%.4f "
           . "mrr=%.4f\n", $n, map { $hr{$_} / $n, $rr{$_} / $n }
                                'without', $paths[0];
    printf "replay %s: with hr10=%.4f mrr=%.4f\n", $_, $hr{$_} / $n,
           $rr{$_} / $n for @paths[1 .. $#paths];
    exit 0;
}

if ($cmd eq 'session') {
    my ($port, $train, $held, @paths) = @ARGV;
    my %rows;

    open my $fh, '<', $train or die "$train: $!";
    <$fh>;
    while (my $l = <$fh>) {
        chomp $l;
        my ($u, $i, $r, $t) = split /,/, $l;
        push @{ $rows{$u} }, [$i, $t // 0, scalar @{ $rows{$u} || [] }];
    }

    my (%hr, %rr, $n);
    open my $hd, '<', $held or die "$held: $!";
    while (my $l = <$hd>) {
        my ($u, @h) = split ' ', $l;
        my @r = sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] }
                @{ $rows{$u} || [] };
        my @s = map { $_->[0] } @r > 10 ? @r[-10 .. -1] : @r;
        next unless @s;
        $n++;
        for my $path (@paths) {
            my $k = rank($port, $path, 'history=' . join(',', @s), $h[0]);
            $hr{$path} += $k > 0 ? 1 : 0;
            $rr{$path} += $k > 0 ? 1 / $k : 0;
        }
    }
    printf "session %s: sessions=%d hr10=%.4f mrr=%.4f\n", $_, $n,
           $hr{$_} / $n, $rr{$_} / $n for @paths;
    exit 0;
}

die "usage: replay.pl split RATINGS TRAIN HELD | eval PORT HELD [PATH...]"
    . " | session PORT TRAIN HELD PATH...\n";
