package RecsysRef;

# RecsysRef: an independent brute-force reference for the model semantics the
# tests check (item order, interaction values, cosine neighbours, histories,
# item-CF rankings, popularity, hybrid fill).  It is written from the spec
# only, never from the builder's code or output, and favours obviousness over
# speed: everything is O(users * items^2) on fixtures of a dozen rows.
#
# Semantics implemented here (the contract):
#   r(u,i)   rating of the user's latest row for i (timestamp desc, later file
#            line wins ties; no timestamp: last line wins); no rating: 1.
#   index    all-digit ids first, numerically; other ids after, bytewise.
#   cosine   sum_u r(u,i) r(u,j) / (|r(.,i)| |r(.,j)|); neighbours of i: all
#            j != i with cosine > 0, by cosine desc then index asc, first K.
#   history  the user's items newest first (ts desc, later line first), first H.
#   itemcf   score(c) = sum over history h of r(u,h) * cosine(h,c), counted only
#            when c is in h's top-K list; c not seen by u (all of u's items).
#   popular  score = distinct users with the item / number of users; ranked by
#            count desc, index asc.
#   hybrid   itemcf ranking, then popular items not seen and not yet listed.

use strict;
use warnings;

use Exporter 'import';
our @EXPORT_OK = qw(parse_interactions parse_catalog reference cmp_index);


# cmp_index($a, $b): the product's item order ("index"), for sort.
sub cmp_index {
    my ($x, $y) = @_;
    my $dx = $x =~ /\A[0-9]+\z/;
    my $dy = $y =~ /\A[0-9]+\z/;

    if ($dx && $dy) {
        # numeric without precision loss: strip leading zeros, compare length
        (my $nx = $x) =~ s/\A0+(?=.)//;
        (my $ny = $y) =~ s/\A0+(?=.)//;
        return length($nx) <=> length($ny) || $nx cmp $ny;
    }
    return -1 if $dx;
    return 1 if $dy;
    use bytes;
    return $x cmp $y;
}


# parse_interactions($file): rows [user, item, rating|undef, ts|undef, line]
# from a small comma- or tab-separated file, header optional (a first line
# whose rating or timestamp field is not a number, or that starts with
# user,item column names, is taken as a header).
# Fixture files only: no quoting.
sub parse_interactions {
    my ($file) = @_;
    my @rows;

    open my $fh, '<:raw', $file or die "open $file: $!";
    my $n = 0;
    while (my $l = <$fh>) {
        $n++;
        $l =~ s/\r?\n\z//;
        next if $l eq '';
        my $sep = $l =~ /\t/ ? "\t" : ',';
        my @f = split /\Q$sep\E/, $l, -1;
        if ($n == 1 && ((grep { defined && !/\A-?[0-9.]+\z/ } @f[2 .. $#f])
                        || ($f[0] =~ /\Auser/i && ($f[1] // '') =~ /\Aitem/i))) {
            next;
        }
        die "$file:$n: short row" if @f < 2;
        push @rows, [$f[0], $f[1], $f[2], $f[3], $n];
    }
    close $fh;
    return \@rows;
}


# parse_catalog($file): { id => { title => ..., genres => [...] } } from an
# RFC 4180 CSV with a header row; strings are decoded from UTF-8 so they
# compare equal to JSON::PP's decoded output.  Ids are kept as bytes.
sub parse_catalog {
    my ($file) = @_;
    my %cat;

    open my $fh, '<:raw', $file or die "open $file: $!";
    local $/;
    my $text = <$fh>;
    close $fh;

    my @records;
    my @fields;
    my $field = '';
    my $pos = 0;
    my $len = length $text;
    my $in_q = 0;

    while ($pos < $len) {
        my $c = substr $text, $pos++, 1;
        if ($in_q) {
            if ($c eq '"') {
                if ($pos < $len && substr($text, $pos, 1) eq '"') {
                    $field .= '"';
                    $pos++;
                } else {
                    $in_q = 0;
                }
            } else {
                $field .= $c;
            }
        } elsif ($c eq '"') {
            $in_q = 1;
        } elsif ($c eq ',') {
            push @fields, $field;
            $field = '';
        } elsif ($c eq "\n" || $c eq "\r") {
            $pos++ if $c eq "\r" && $pos < $len && substr($text, $pos, 1) eq "\n";
            push @fields, $field;
            push @records, [@fields];
            @fields = ();
            $field = '';
        } else {
            $field .= $c;
        }
    }
    if ($field ne '' || @fields) {
        push @fields, $field;
        push @records, [@fields];
    }

    shift @records;                                   # header
    for my $r (@records) {
        my ($id, $title, $genres) = @$r;
        utf8::decode($title);
        utf8::decode($genres);
        $cat{$id} = {
            title  => $title,
            genres => [grep { $_ ne '' } split /\|/, $genres // ''],
        };
    }
    return \%cat;
}


# reference($rows, K => k, H => h): everything the tests compare against.
sub reference {
    my ($rows, %o) = @_;
    my $K = $o{K} // 50;
    my $H = $o{H} // 100;
    my (%latest, %r, %users, %items);

    for my $row (@$rows) {
        my ($u, $i, $rating, $ts, $line) = @$row;
        $users{$u} = 1;
        $items{$i} = 1;
        my $cur = $latest{$u}{$i};
        # rows come in file order: a later line replaces unless it is older
        if (!defined $cur || !defined $ts || $ts >= $cur->[1]) {
            $latest{$u}{$i} = [defined $rating && $rating ne '' ? $rating : 1,
                               defined $ts ? $ts : 0, $line];
        }
    }
    for my $u (keys %latest) {
        $r{$u}{$_} = $latest{$u}{$_}[0] for keys %{ $latest{$u} };
    }

    my @items = sort { cmp_index($a, $b) } keys %items;
    my %idx;
    @idx{@items} = 0 .. $#items;
    my @users = sort keys %users;

    my %norm;
    for my $i (@items) {
        my $s = 0;
        for my $u (@users) {
            $s += $r{$u}{$i} ** 2 if exists $r{$u}{$i};
        }
        $norm{$i} = sqrt $s;
    }

    my (%cos, %nbrs, %in_topk);
    for my $i (@items) {
        my @c;
        for my $j (@items) {
            next if $j eq $i;
            my $dot = 0;
            for my $u (@users) {
                $dot += $r{$u}{$i} * $r{$u}{$j}
                    if exists $r{$u}{$i} && exists $r{$u}{$j};
            }
            next unless $dot > 0;
            my $c = $dot / ($norm{$i} * $norm{$j});
            $cos{$i}{$j} = $c;
            push @c, [$j, $c];
        }
        @c = sort { $b->[1] <=> $a->[1] || $idx{$a->[0]} <=> $idx{$b->[0]} } @c;
        splice @c, $K if @c > $K;
        $nbrs{$i} = \@c;
        $in_topk{$i}{ $_->[0] } = $_->[1] for @c;
    }

    my (%hist, %itemcf, %seen);
    for my $u (@users) {
        my $l = $latest{$u};
        my @h = sort { $l->{$b}[1] <=> $l->{$a}[1] || $l->{$b}[2] <=> $l->{$a}[2] }
                keys %$l;
        $seen{$u} = { map { $_ => 1 } @h };
        splice @h, $H if @h > $H;
        $hist{$u} = [map { [$_, $r{$u}{$_}] } @h];

        my %score;
        for my $h (@h) {
            for my $c (keys %{ $in_topk{$h} }) {
                next if $seen{$u}{$c};
                $score{$c} += $r{$u}{$h} * $in_topk{$h}{$c};
            }
        }
        $itemcf{$u} = [map { [$_, $score{$_}] }
                       sort { $score{$b} <=> $score{$a} || $idx{$a} <=> $idx{$b} }
                       keys %score];
    }

    my %count;
    for my $u (@users) {
        $count{$_}++ for keys %{ $r{$u} };
    }
    my @popular = map { [$_, $count{$_} / @users] }
                  sort { $count{$b} <=> $count{$a} || $idx{$a} <=> $idx{$b} }
                  @items;

    my $ref = {
        items   => \@items,
        users   => \@users,
        index   => \%idx,
        r       => \%r,
        cosine  => \%cos,
        nbrs    => \%nbrs,
        hist    => \%hist,
        seen    => \%seen,
        itemcf  => \%itemcf,
        popular => \@popular,
        count   => \%count,
    };
    return bless $ref, __PACKAGE__;
}


# $ref->popular_for($user): popular items the user has not seen.
sub popular_for {
    my ($self, $u) = @_;
    my $seen = defined $u ? $self->{seen}{$u} || {} : {};
    return [grep { !$seen->{ $_->[0] } } @{ $self->{popular} }];
}


# $ref->hybrid($user, $n): itemcf list, then unseen popular items not listed,
# up to n entries (popular fill entries keep the popularity score).
sub hybrid {
    my ($self, $u, $n) = @_;
    my @out = @{ $self->{itemcf}{$u} || [] };
    my %have = map { $_->[0] => 1 } @out;
    for my $p (@{ $self->popular_for($u) }) {
        last if @out >= $n;
        next if $have{ $p->[0] };
        push @out, $p;
    }
    splice @out, $n if @out > $n;
    return \@out;
}


# $ref->similar($item, $user): the item's neighbour list without the user's
# seen items (user optional).
sub similar {
    my ($self, $i, $u) = @_;
    my $seen = defined $u ? $self->{seen}{$u} || {} : {};
    return [grep { !$seen->{ $_->[0] } } @{ $self->{nbrs}{$i} || [] }];
}

1;
