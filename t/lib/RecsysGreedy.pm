package RecsysGreedy;

# RecsysGreedy: the diversity re-ranking written from the README's
# definition ("Diversity"), for the tests that check it: each step takes
# the candidate with the largest (1 - D) x relevance - D x max(similarity
# to the picked, popularity), relevance being the score scaled to [0, 1]
# over the pool, popularity (share of users / the pool's largest) ^ 1/4;
# ties go to the better rank.  The caller gives the similarity (the tests
# build models without content neighbours: the genres' Jaccard index).

use strict;
use warnings;

use Exporter 'import';
our @EXPORT_OK = qw(greedy jaccard);


# greedy(\@ids, \@scores, \@shares, \&sim, N, D): the ids picked, best
# first, and the smallest margin between the winner and the runner-up over
# the steps (a margin below the answers' 6 decimals cannot be checked).
sub greedy {
    my ($id, $s, $share, $sim, $n, $d) = @_;
    my ($lo, $hi) = (sort { $a <=> $b } @$s)[0, -1];
    my $top = (sort { $b <=> $a } @$share)[0];
    my @rel = map { $hi > $lo ? ($_ - $lo) / ($hi - $lo) : 1 } @$s;
    my @pop = map { $top > 0 ? ($_ / $top) ** 0.25 : 0 } @$share;
    my (@picked, %taken);
    my $margin = 1e9;
    while (@picked < $n && @picked < @$id) {
        my @v;
        for my $j (0 .. $#$id) {
            next if $taken{$j};
            my $most = 0;
            for my $p (@picked) {
                my $x = $sim->($id->[$j], $id->[$p]);
                $most = $x if $x > $most;
            }
            my $red = $most > $pop[$j] ? $most : $pop[$j];
            push @v, [ $j, (1 - $d) * $rel[$j] - $d * $red ];
        }
        @v = sort { $b->[1] <=> $a->[1] || $a->[0] <=> $b->[0] } @v;
        $margin = $v[0][1] - $v[1][1]
            if @v > 1 && $v[0][1] - $v[1][1] < $margin;
        push @picked, $v[0][0];
        $taken{ $v[0][0] } = 1;
    }
    return ([ @$id[@picked] ], $margin);
}

# jaccard(\%genres, A, B): the Jaccard index of the genre sets of items A
# and B (genres: id -> { genre => 1 }), 0 when either has none.
sub jaccard {
    my ($genres, $x, $y) = @_;
    my @x = keys %{ $genres->{$x} || {} };
    my @y = keys %{ $genres->{$y} || {} };
    return 0 unless @x && @y;
    my $both = grep { $genres->{$y}{$_} } @x;
    return $both / (@x + @y - $both);
}

1;
