#!/usr/bin/env perl
# bench/quality.pl: the HTTP side and the comparison of bench/quality.sh.
#
#   quality.pl fetch PORT TEST.csv ALGOS K ANSWERS.csv
#       asks GET /recommend?user=U&n=K&algo=A on 127.0.0.1:PORT for every
#       distinct user of TEST.csv (first column, header skipped) and every
#       algo of the comma-separated ALGOS, over one keep-alive connection;
#       writes ANSWERS.csv (algo,user,rank,item; rank 0 with no item for an
#       empty list) and prints per algo how many answers were the popular
#       fallback (users the served model does not know).  When there were
#       fallbacks it also writes the lists once more as algo "A/cold-empty"
#       with the fallback answers emptied: what eval's own model answers
#       for a user it knows with no train rows, if the algorithm cannot
#       fill a list without history.  Any status but 200 is fatal.
#   quality.pl compare EVAL.json SCORES.txt
#       prints the offline figures (recsys-build eval --json) and the
#       served ones (bench/served_score.c output) side by side and exits 1
#       if any metric differs by 0.00005 or more (beyond 4 decimals) or if
#       the numbers of evaluated users differ.  For an algo that differs,
#       says whether its "A/cold-empty" figures match: then the whole
#       difference comes from users without train rows.
#
# Core Perl only (HTTP::Tiny, JSON::PP).

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;

my @METRICS = (
    [ map       => 'MAP' ],
    [ ndcg      => 'nDCG@k' ],
    [ precision => 'P@k' ],
    [ recall    => 'R@k' ],
    [ hit_rate  => 'HR@k' ],
);

# One RFC 4180 record from a line (ids written by --save-split are quoted
# only when they hold a comma, a quote or a line break; the latter is not
# supported here).
sub csv_fields {
    my ($line) = @_;
    my @f;
    while (1) {
        if ($line =~ s/\A"((?:[^"]|"")*)"(,|\z)//) {
            (my $v = $1) =~ s/""/"/g;
            push @f, $v;
            last if $2 eq '';
        } elsif ($line =~ s/\A([^,]*)(,|\z)//) {
            push @f, $1;
            last if $2 eq '';
        } else {
            die "quality.pl: bad CSV line\n";
        }
    }
    return @f;
}

sub csv_quote {
    my ($s) = @_;
    return $s if $s !~ /[",\r\n]/ && $s !~ /\A\s|\s\z/;
    $s =~ s/"/""/g;
    return qq{"$s"};
}

sub uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf("%%%02X", ord $1)/ge;
    return $s;
}

sub write_answers {
    my ($fh, $algo, $rows, $empty_fallbacks) = @_;
    for my $r (@$rows) {
        my ($u, $fb, $ids) = @$r;
        $ids = [] if $fb && $empty_fallbacks;
        if (!@$ids) {
            print $fh join(',', csv_quote($algo), csv_quote($u), 0, ''), "\n";
            next;
        }
        my $rank = 0;
        print $fh join(',', csv_quote($algo), csv_quote($u), ++$rank, csv_quote($_)), "\n"
            for @$ids;
    }
}

sub fetch {
    my ($port, $test, $algos, $k, $out) = @_;
    my (@users, %seen);

    open my $in, '<', $test or die "quality.pl: $test: $!\n";
    <$in>;                                      # header
    while (my $line = <$in>) {
        $line =~ s/\r?\n\z//;
        next if $line eq '';
        my ($u) = csv_fields($line);
        push @users, $u unless $seen{$u}++;
    }
    close $in;

    my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 30);
    my $json = JSON::PP->new;
    open my $fh, '>', $out or die "quality.pl: $out: $!\n";
    print $fh "algo,user,rank,item\n";

    my @cold;
    for my $algo (split /,/, $algos) {
        my ($fallback, $short) = (0, 0);
        my @rows;
        for my $u (@users) {
            my $url = "http://127.0.0.1:$port/recommend?user=" . uri_escape($u)
                      . "&n=$k&algo=" . uri_escape($algo);
            my $res = $http->get($url);
            die "quality.pl: GET $url: $res->{status} $res->{content}\n"
                unless $res->{status} == 200;
            my $doc = $json->decode($res->{content});
            my $fb = defined $doc->{fallback};
            $fallback++ if $fb;
            my $items = $doc->{items} || [];
            $short++ if @$items < $k;
            push @rows, [ $u, $fb, [ map { $_->{id} } @$items ] ];
        }
        write_answers($fh, $algo, \@rows, 0);
        push @cold, [ $algo, \@rows ] if $fallback;
        printf "%-10s %d users asked, %d answered with a fallback, %d lists shorter than %d\n",
            $algo, scalar @users, $fallback, $short, $k;
    }
    write_answers($fh, "$_->[0]/cold-empty", $_->[1], 1) for @cold;
    close $fh or die "quality.pl: $out: $!\n";
}

sub compare {
    my ($eval_json, $scores) = @_;
    my $fail = 0;
    my @notes;

    open my $jf, '<', $eval_json or die "quality.pl: $eval_json: $!\n";
    my $ev = decode_json(do { local $/; <$jf> });
    close $jf;
    my $k = $ev->{k};
    my $users = $ev->{splits}[0]{users_evaluated};

    my %served;
    open my $sf, '<', $scores or die "quality.pl: $scores: $!\n";
    while (<$sf>) {
        my ($algo, $n, @v) = split;
        my %m;
        @m{ map { $_->[0] } @METRICS } = @v;
        $served{$algo} = { users => $n, m => \%m };
    }
    close $sf;

    printf "%-8s %-7s %10s %10s %10s  %s\n", 'algo', 'metric', 'measured', 'served',
        'diff', '';
    for my $r (@{ $ev->{results} }) {
        my $algo = $r->{algo};
        my $s = $served{$algo};
        if (!$s) {
            printf "%-8s no served figures\n", $algo;
            $fail = 1;
            next;
        }
        if ($s->{users} != $users) {
            printf "%-8s users evaluated: measured %d, served %d  DIFFERENT\n",
                $algo, $users, $s->{users};
            $fail = 1;
        }
        my $differs = 0;
        for my $m (@METRICS) {
            my ($key, $label) = @$m;
            $label =~ s/k\z/$k/;
            my $x = $r->{metrics}{$key};
            my $y = $s->{m}{$key};
            my $d = $y - $x;
            my $bad = abs($d) >= 0.00005;
            $differs ||= $bad;
            printf "%-8s %-7s %10.6f %10.6f %+10.2e  %s\n", $algo, $label, $x, $y, $d,
                $bad ? 'DIFFERENT' : 'ok';
        }
        $fail ||= $differs;
        my $c = $served{"$algo/cold-empty"};
        next unless $differs && $c;
        my $same = !grep { abs($c->{m}{$_->[0]} - $r->{metrics}{$_->[0]}) >= 0.00005 } @METRICS;
        push @notes, $same
            ? "$algo: with the popular fallback answers emptied (users with no train row), "
              . "served equals measured: the difference is all theirs. eval's model knows "
              . "them with an empty history; nginx does not know them and serves popular items."
            : "$algo: emptying the fallback answers does not account for the difference.";
    }
    print "\n", join("\n", @notes), "\n" if @notes;
    printf "\n%s: %d users evaluated, top %d, protocol %s (seed %d)\n",
        $fail ? 'FAIL (served differs from measured beyond 4 decimals)'
              : 'OK (served equals measured to 4 decimals)',
        $users, $k, $ev->{protocol}, $ev->{seed};
    exit($fail ? 1 : 0);
}

my $cmd = shift // '';
if ($cmd eq 'fetch' && @ARGV == 5) {
    fetch(@ARGV);
} elsif ($cmd eq 'compare' && @ARGV == 2) {
    compare(@ARGV);
} else {
    die "usage: quality.pl fetch PORT TEST.csv ALGOS K ANSWERS.csv\n"
      . "       quality.pl compare EVAL.json SCORES.txt\n";
}
