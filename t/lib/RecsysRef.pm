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
our @EXPORT_OK = qw(parse_interactions parse_catalog reference cmp_index
                    page);


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


# page(\@ranking, $offset, $n): [the entries $offset .. $offset + $n - 1],
# fewer at the end of the ranking, none past it: what offset= and n= ask.
sub page {
    my ($list, $off, $n) = @_;
    my $end = $off + $n - 1 > $#$list ? $#$list : $off + $n - 1;
    return [$off <= $#$list ? @$list[$off .. $end] : ()];
}


# _lines($file): [line number, text] for each non-empty line of a fixture
# file, line ends (LF or CRLF) removed.
sub _lines {
    my ($file) = @_;
    my @lines;

    open my $fh, '<:raw', $file or die "open $file: $!";
    my $n = 0;
    while (my $l = <$fh>) {
        $n++;
        $l =~ s/\r?\n\z//;
        push @lines, [$n, $l] if $l ne '';
    }
    close $fh;
    return @lines;
}


# parse_interactions($file): rows [user, item, rating|undef, ts|undef, line]
# from a small comma- or tab-separated file, header optional (a first line
# whose rating or timestamp field is not a number, or that starts with
# user,item column names, is taken as a header).
# Fixture files only: no quoting.
sub parse_interactions {
    my ($file) = @_;
    my @rows;

    for (_lines($file)) {
        my ($n, $l) = @$_;
        my $sep = $l =~ /\t/ ? "\t" : ',';
        my @f = split /\Q$sep\E/, $l, -1;
        if ($n == 1 && ((grep { defined && !/\A-?[0-9.]+\z/ } @f[2 .. $#f])
                        || ($f[0] =~ /\Auser/i && ($f[1] // '') =~ /\Aitem/i))) {
            next;
        }
        die "$file:$n: short row" if @f < 2;
        push @rows, [$f[0], $f[1], $f[2], $f[3], $n];
    }
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


# col_norms(\%x, \@items, \@users): item => |x(., item)| over the users.
sub col_norms {
    my ($x, $items, $users) = @_;
    my %norm;
    for my $i (@$items) {
        my $s = 0;
        $s += $x->{$_}{$i} ** 2 for grep { exists $x->{$_}{$i} } @$users;
        $norm{$i} = sqrt $s;
    }
    return %norm;
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

    my %norm = col_norms(\%r, \@items, \@users);

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


# ---------------------------------------------------------------------------
# model_ref(): the reference for the builder's options and the request-time
# paths (t/08-t/10): similarity variants, shrinkage, minimum support,
# implicit events, time decay, sessions, the hybrid blend, explanations and
# trending.  Written from the README's definitions only:
#
#   values    ratings: the latest row of (user, item) (ts, then file line);
#             events: the sum of the rows' event weights (the pair's time and
#             line are its latest row's); --decay-days D: each value times
#             0.5^((t_max - t) / (D * 86400)), t the row's time, t_max the
#             newest row of the log (with events: each row, then the sum).
#   cosine    sum_co x_i x_j / (|x_i| |x_j|), x = value, full column norms
#   adjusted  the same with x = value - mean of the user's values
#   pearson   x = value - mean of the item's values; sums over co-users only:
#             sum x_i x_j / sqrt(sum x_i^2 * sum x_j^2)
#   jaccard   c / (n_i + n_j - c) on the binary matrix (c = co-users)
#   shrink S  sim * c / (c + S); pairs with c < min_support dropped; only
#             sim > 0 kept; neighbours by sim desc then index asc, first K.
#   itemcf    score(c) = sum over history (item, weight) of weight * sim(h, c)
#             over h's first K (or max_nbrs) neighbours; filtered afterwards.
#   session   the session's known items, most recent (last) first, weight 1,
#             then the user's stored history with weights / max weight; the
#             whole capped at max_history.
#   hybrid    sum over sources of w_s * score_s(i) / max_s, a source's input
#             being its list for the user (itemcf: the precomputed first
#             user_top items, or with a session the request-time ranking's
#             first max(user_top, need)), popular and trending their best
#             user_top items (unfiltered); filtered, ranked, then filled up
#             with unseen popular items (popularity as the score).
#   known     a known user's session with the model's weights: the
#             session items alone scored as an anonymous session (whole
#             rows), times w_itemcf / their best, added to the user's stored
#             hybrid list (the hybrid's scored ranking without a session,
#             its first user_top items); the rest as hybrid (filtered,
#             ranked, filled).  When the session scores nothing above zero:
#             hybrid as above.
#   because   history items h by credit_h = sum over item sources of
#             scale_s * weight(h) * sim(h, item), credit > 0, first three
#             (a known user's session: its items only, scale its own).
#   trending  sum over the item's users of 0.5^((t_max - t) / (D * 86400))
#             (t: the pair's time, D = trending_days) / number of users.
# Scores closer than 1e-9 (relative) count as equal: index order decides.
# ---------------------------------------------------------------------------

push @EXPORT_OK, qw(parse_event_log model_ref near_ties);

our %DEFAULT_EVENT_WEIGHTS = (
    view => 1, play => 1, watch => 1, listen => 1, click => 1, rate => 1,
    like => 3, share => 3, favorite => 5, purchase => 5, skip => -1,
    dislike => -3,
);


# parse_event_log($file): rows [user, item, event, ts, line] from a CSV
# fixture whose header names its columns (user..., item..., event/action/
# type/kind, timestamp/time/ts).  No quoting.
sub parse_event_log {
    my ($file) = @_;
    my (@rows, %col);

    for (_lines($file)) {
        my ($n, $l) = @$_;
        my @f = split /,/, $l, -1;
        if ($n == 1) {
            for my $k (0 .. $#f) {
                my $h = lc $f[$k];
                $col{user} //= $k if $h =~ /\Auser/;
                $col{item} //= $k if $h =~ /\A(?:item|movie|track)/;
                $col{event} //= $k if $h =~ /\A(?:event|action|type|kind)\z/;
                $col{ts} //= $k if $h =~ /\A(?:timestamp|time|ts)\z/;
            }
            die "$file: header lacks user, item or event"
                unless defined $col{user} && defined $col{item}
                       && defined $col{event};
            next;
        }
        push @rows, [$f[ $col{user} ], $f[ $col{item} ], $f[ $col{event} ],
                     defined $col{ts} ? $f[ $col{ts} ] : undef, $n];
    }
    return \@rows;
}


# _rank(\%score, \%idx): [[item, score], ...] by score desc, index asc.
sub _rank {
    my ($score, $idx) = @_;
    return [map { [$_, $score->{$_}] }
            sort {
                my ($x, $y) = ($score->{$a}, $score->{$b});
                (abs($x - $y) <= 1e-9 * (1 + abs $x) ? 0 : $y <=> $x)
                    || $idx->{$a} <=> $idx->{$b}
            } keys %$score];
}


# near_ties($list, $eps): adjacent entries of a ranking whose scores differ
# by less than $eps relative (plus 1e-6) without being equal: orders that
# float rounding could flip.
sub near_ties {
    my ($list, $eps) = @_;
    $eps //= 2e-5;
    my @bad;
    for my $k (1 .. $#$list) {
        my ($p, $q) = ($list->[$k - 1], $list->[$k]);
        my $d = abs($p->[1] - $q->[1]);
        my $big = abs $p->[1] > abs $q->[1] ? abs $p->[1] : abs $q->[1];
        push @bad, "$p->[0] ($p->[1]) ~ $q->[0] ($q->[1])"
            if $d > 1e-9 * (1 + abs $p->[1]) && $d < $eps * $big + 1e-6;
    }
    return @bad;
}


# model_ref(rows => parse_interactions() | events => parse_event_log(),
#           event_weights => {..}, K, H, user_top, similarity, shrink,
#           min_support, decay_days, trending_days, weights => {src => w}):
# a RecsysRef::Model.
sub model_ref {
    my (%o) = @_;
    my $K = $o{K} // 50;
    my $H = $o{H} // 100;
    my $sim_name = $o{similarity} // 'cosine';
    my $S = $o{shrink} // 0;
    my $min_support = $o{min_support} // 1;
    my $D = $o{decay_days};
    my $TD = $o{trending_days} // 30;
    my $rows = $o{events} // $o{rows};
    my (%val, %time, %line, %users, %items, $t_max);

    for my $row (@$rows) {
        my $ts = $row->[3];
        $t_max = $ts if defined $ts && $ts ne ''
                        && (!defined $t_max || $ts > $t_max);
    }
    my $decay = sub {
        my ($v, $t) = @_;
        return $v unless $D && defined $t && $t ne '';
        return $v * 0.5 ** (($t_max - $t) / ($D * 86400));
    };

    if ($o{events}) {
        my $ew = $o{event_weights} // \%DEFAULT_EVENT_WEIGHTS;
        for my $row (@{ $o{events} }) {
            my ($u, $i, $ev, $ts, $ln) = @$row;
            my $w = $ew->{$ev};
            die "line $ln: unknown event '$ev'" unless defined $w;
            $users{$u} = $items{$i} = 1;
            $ts = 0 unless defined $ts && $ts ne '';
            $val{$u}{$i} += $decay->($w, $ts);
            if (!defined $time{$u}{$i} || $ts >= $time{$u}{$i}) {
                $time{$u}{$i} = $ts;
                $line{$u}{$i} = $ln;
            }
        }
    } else {
        for my $row (@$rows) {
            my ($u, $i, $r, $ts, $ln) = @$row;
            $users{$u} = $items{$i} = 1;
            $ts = 0 unless defined $ts && $ts ne '';
            if (!defined $time{$u}{$i} || $ts >= $time{$u}{$i}) {
                $val{$u}{$i} = defined $r && $r ne '' ? $r : 1;
                $time{$u}{$i} = $ts;
                $line{$u}{$i} = $ln;
            }
        }
        for my $u (keys %val) {
            $val{$u}{$_} = $decay->($val{$u}{$_}, $time{$u}{$_})
                for keys %{ $val{$u} };
        }
    }

    my @items = sort { cmp_index($a, $b) } keys %items;
    my %idx;
    @idx{@items} = 0 .. $#items;
    my @users = sort keys %users;

    # x(u, i) for the chosen similarity
    my (%x, %mean_u, %mean_i, %deg);
    for my $u (@users) {
        my @v = values %{ $val{$u} };
        my $s = 0;
        $s += $_ for @v;
        $mean_u{$u} = $s / @v;
    }
    for my $i (@items) {
        my ($s, $n) = (0, 0);
        for my $u (@users) {
            next unless exists $val{$u}{$i};
            $s += $val{$u}{$i};
            $n++;
        }
        $mean_i{$i} = $s / $n;
        $deg{$i} = $n;
    }
    for my $u (@users) {
        for my $i (keys %{ $val{$u} }) {
            my $v = $val{$u}{$i};
            $x{$u}{$i} = $sim_name eq 'adjusted' ? $v - $mean_u{$u}
                       : $sim_name eq 'pearson'  ? $v - $mean_i{$i}
                       : $sim_name eq 'jaccard'  ? 1
                       : $v;
        }
    }
    my %norm = col_norms(\%x, \@items, \@users);

    my (%sim, %nbrs, %co);
    for my $i (@items) {
        my %row;
        for my $j (@items) {
            next if $j eq $i;
            my ($c, $xy, $xx, $yy) = (0, 0, 0, 0);
            for my $u (@users) {
                next unless exists $x{$u}{$i} && exists $x{$u}{$j};
                $c++;
                $xy += $x{$u}{$i} * $x{$u}{$j};
                $xx += $x{$u}{$i} ** 2;
                $yy += $x{$u}{$j} ** 2;
            }
            $co{$i}{$j} = $c;
            next if $c == 0 || $c < $min_support;
            my $s;
            if ($sim_name eq 'jaccard') {
                $s = $c / ($deg{$i} + $deg{$j} - $c);
            } elsif ($sim_name eq 'pearson') {
                my $d = sqrt($xx * $yy);
                $s = $d > 0 ? $xy / $d : 0;
            } else {
                my $d = $norm{$i} * $norm{$j};
                $s = $d > 0 ? $xy / $d : 0;
            }
            $s *= $c / ($c + $S) if $S > 0;
            next unless $s > 0;
            $sim{$i}{$j} = $row{$j} = $s;
        }
        my $l = _rank(\%row, \%idx);
        splice @$l, $K if @$l > $K;
        $nbrs{$i} = $l;
    }

    my (%hist, %seen);
    for my $u (@users) {
        my @h = sort { $time{$u}{$b} <=> $time{$u}{$a}
                       || $line{$u}{$b} <=> $line{$u}{$a} } keys %{ $val{$u} };
        $seen{$u} = { map { $_ => 1 } @h };
        splice @h, $H if @h > $H;
        $hist{$u} = [map { [$_, $val{$u}{$_}] } @h];
    }

    my (%count, %trend);
    for my $u (@users) {
        for my $i (keys %{ $val{$u} }) {
            $count{$i}++;
            $trend{$i} += 0.5 ** (($t_max - $time{$u}{$i}) / ($TD * 86400))
                if defined $t_max;
        }
    }
    my %pop = map { $_ => $count{$_} / @users } @items;
    $_ /= @users for values %trend;

    my $self = bless {
        K => $K, H => $H, user_top => $o{user_top} // 100,
        weights => { %{ $o{weights} // { itemcf => 1, popular => 0.05 } } },
        items => \@items, users => \@users, index => \%idx, value => \%val,
        time => \%time, t_max => $t_max, x => \%x, co => \%co, sim => \%sim,
        nbrs => \%nbrs, hist => \%hist, seen => \%seen,
        popular => _rank(\%pop, \%idx),
        trending => defined $t_max ? _rank(\%trend, \%idx) : [],
    }, 'RecsysRef::Model';

    for my $u (@users) {
        my $s = $seen{$u};
        $self->{itemcf}{$u} = $self->score_hist($hist{$u},
                                                pass => sub { !$s->{ $_[0] } });
    }
    return $self;
}


package RecsysRef::Model;

# The object model_ref() returns: the fields above plus these methods.

sub rank { RecsysRef::_rank($_[1], $_[0]{index}) }

sub nb { $_[0]{nbrs}{ $_[1] } || [] }

# sim_in_row($h, $c, $max_nbrs): sim(h, c) if c is among h's first
# min(K, max_nbrs) neighbours, else 0.
sub sim_in_row {
    my ($self, $h, $c, $cap) = @_;
    my @l = @{ $self->nb($h) };
    splice @l, $cap if defined $cap && @l > $cap;
    for (@l) { return $_->[1] if $_->[0] eq $c }
    return 0;
}

# score_hist(\@hist, max_nbrs => N, pass => sub { item }): item-CF ranking
# of a weighted history ([[item, weight], ...]).
sub score_hist {
    my ($self, $hist, %o) = @_;
    my %score;
    for my $h (@$hist) {
        my @l = @{ $self->nb($h->[0]) };
        splice @l, $o{max_nbrs} if defined $o{max_nbrs} && @l > $o{max_nbrs};
        $score{ $_->[0] } += $h->[1] * $_->[1] for @l;
    }
    my $pass = $o{pass} || sub { 1 };
    delete $score{$_} for grep { !$pass->($_) } keys %score;
    return $self->rank(\%score);
}

# session_hist(\@ids, user => U, max_history => M): the weighted history a
# session request walks.
sub session_hist {
    my ($self, $ids, %o) = @_;
    my @h = map { [$_, 1] } reverse grep { exists $self->{index}{$_} } @$ids;
    my $u = $o{user};
    if (defined $u && $self->{hist}{$u}) {
        my $top = 0;
        for (@{ $self->{hist}{$u} }) { $top = $_->[1] if $_->[1] > $top }
        push @h, map { [$_->[0], $_->[1] / $top] } @{ $self->{hist}{$u} }
            if $top > 0;
    }
    my $m = $o{max_history} // 50;
    splice @h, $m if @h > $m;
    return \@h;
}

sub _head {
    my ($l, $n) = @_;
    return [@$l > $n ? @$l[0 .. $n - 1] : @$l];
}

# blend(user => U, session => \@ids, weights => {..}, pass => sub,
#       max_history => M, max_nbrs => N, need => n): the hybrid ranking
# (fill included) as [[item, score], ...]; in list context also
# { item => { source => contribution } }, { source => scale } and the
# weighted history the explanation uses.
sub blend {
    my ($self, %o) = @_;
    my $u = $o{user};
    my $R = $self->{user_top};
    my $w = { %{ $self->{weights} }, %{ $o{weights} || {} } };
    my $pass = $o{pass} || sub { 1 };
    my $seen = defined $u ? $self->{seen}{$u} || {} : {};
    my $ok = sub { !$seen->{ $_[0] } && $pass->($_[0]) };
    my ($hist, @inputs);

    if ($o{session} && @{ $o{session} } && defined $u && !$o{weights}) {
        my @r = $self->known_session(%o);
        return wantarray ? @r : $r[0] if @r;
    }

    if ($o{session} && @{ $o{session} }) {
        $hist = $self->session_hist($o{session}, user => $u,
                                    max_history => $o{max_history});
        my $need = $o{need} // 0;
        my $scored = $self->score_hist($hist, max_nbrs => $o{max_nbrs},
                                       pass => $ok);
        # an anonymous session with the model's blend is scored over the
        # session list, whole; otherwise each source keeps its best
        # max(user_top, need) before the blend
        push @inputs, ['itemcf', !defined $u && !$o{weights}
                                 ? $scored
                                 : _head($scored, $R > $need ? $R : $need)];
    } else {
        # the stored history, as is (weights not scaled)
        $hist = _head($self->{hist}{$u} || [], $o{max_history} // 50);
        push @inputs, ['itemcf', _head($self->{itemcf}{$u} || [], $R)];
    }
    push @inputs, ['popular', _head($self->{popular}, $R)];
    push @inputs, ['trending', _head($self->{trending}, $R)];

    my (%score, %contrib, %scale);
    for my $in (@inputs) {
        my ($s, $list) = @$in;
        next unless ($w->{$s} // 0) > 0 && @$list && $list->[0][1] > 0;
        $scale{$s} = $w->{$s} / $list->[0][1];
        for (@$list) {
            my $v = $scale{$s} * $_->[1];
            $score{ $_->[0] } += $v;
            $contrib{ $_->[0] }{$s} += $v;
        }
    }
    delete $score{$_} for grep { !$ok->($_) } keys %score;
    my $out = $self->rank(\%score);
    return ($out, \%contrib) if $o{scored_only};
    my %have = map { $_->[0] => 1 } @$out;
    push @$out, grep { !$have{ $_->[0] } && $ok->($_->[0]) }
                @{ $self->{popular} };
    return wantarray ? ($out, \%contrib, \%scale, $hist) : $out;
}

# known_session(user => U, session => \@ids, pass => sub, max_history =>
# M, max_nbrs => N): blend()'s answer for a known user's session with the
# model's weights (see "known" above), or () when the session scores
# nothing above zero.
sub known_session {
    my ($self, %o) = @_;
    my $u = $o{user};
    my $pass = $o{pass} || sub { 1 };
    my $seen = $self->{seen}{$u} || {};
    my $ok = sub { !$seen->{ $_[0] } && $pass->($_[0]) };
    my $sess = $self->session_hist($o{session},
                                   max_history => $o{max_history});
    my $scored = $self->score_hist($sess, max_nbrs => $o{max_nbrs},
                                   pass => $ok);
    return () unless @$scored && $scored->[0][1] > 0;

    my ($stored, $stored_contrib) = $self->blend(user => $u,
                                                 scored_only => 1);
    my $scale = ($self->{weights}{itemcf} // 0) / $scored->[0][1];
    my (%score, %contrib);
    for (@{ _head($stored, $self->{user_top}) }) {
        $score{ $_->[0] } += $_->[1];
        $contrib{ $_->[0] } = { %{ $stored_contrib->{ $_->[0] } } };
    }
    for (@$scored) {
        $score{ $_->[0] } += $scale * $_->[1];
        $contrib{ $_->[0] }{itemcf} += $scale * $_->[1];
    }
    delete $score{$_} for grep { !$ok->($_) } keys %score;
    my $out = $self->rank(\%score);
    my %have = map { $_->[0] => 1 } @$out;
    push @$out, grep { !$have{ $_->[0] } && $ok->($_->[0]) }
                @{ $self->{popular} };
    return ($out, \%contrib, { itemcf => $scale }, $sess);
}

# because($item, \@hist, { source => scale }, max_nbrs => N): up to three
# history items by credit desc (ties: history order), with their credits.
sub because {
    my ($self, $c, $hist, $scale, %o) = @_;
    my @cr;
    my $k = 0;
    # only the newest explain_history items (default 20) are credited
    for my $h (@{ _head($hist, $o{explain_history} // 20) }) {
        my $v = 0;
        for my $s (keys %$scale) {
            next unless $s eq 'itemcf';
            $v += $scale->{$s} * $h->[1]
                  * $self->sim_in_row($h->[0], $c, $o{max_nbrs});
        }
        push @cr, [$h->[0], $v, $k++] if $v > 0;
    }
    @cr = sort { $b->[1] <=> $a->[1] || $a->[2] <=> $b->[2] } @cr;
    splice @cr, 3 if @cr > 3;
    return \@cr;
}

# predict($u, $i, user_k => K): the predict=1 answer (README), from the
# values (ratings) alone:
#   user_knn  mean(u) + sum_v sim(u,v) (r(v,i) - mean(v)) / sum_v |sim(u,v)|
#             over u's first K user neighbours v (cosine of the users' value
#             rows, full norms, > 0, by sim desc) that rated i;
#   item_knn  mean(i) + sum_j sim(i,j) (r(u,j) - mean(j)) / sum_j |sim(i,j)|
#             over i's item neighbours j (nb()) that u rated;
# each its mean when no neighbour applies (the *_support counts are 0),
# both clipped to [min, max] of all values; the mean of an item nobody
# rated is the mean of all values.  Also clipped => how many were.
sub predict {
    my ($self, $u, $i, %o) = @_;
    my $val = $self->{value};
    my @users = @{ $self->{users} };
    my @all = map { values %{ $val->{$_} } } @users;
    my ($lo, $hi) = (sort { $a <=> $b } @all)[0, -1];
    my $mean = sub {
        my $s = 0;
        $s += $_ for @_;
        return @_ ? $s / @_ : undef;
    };
    my $global = $mean->(@all);
    my $mean_u = sub { $mean->(values %{ $val->{ $_[0] } || {} }) // $global };
    my $mean_i = sub {
        my $j = shift;
        return $mean->(map { exists $val->{$_}{$j} ? $val->{$_}{$j} : () }
                       @users) // $global;
    };
    my $norm = sub {
        my $s = 0;
        $s += $_ ** 2 for values %{ $val->{ $_[0] } };
        return sqrt $s;
    };
    my %p = (user_mean => $mean_u->($u), item_mean => $mean_i->($i),
             user_support => 0, item_support => 0, clipped => 0);
    my $finish = sub {
        my ($base, $num, $den) = @_;
        my $v = $den > 0 ? $base + $num / $den : $base;
        $p{clipped}++ if $v < $lo || $v > $hi;
        return $v < $lo ? $lo : $v > $hi ? $hi : $v;
    };

    my %usim;
    for my $v (grep { $_ ne $u } @users) {
        my $dot = 0;
        $dot += $val->{$u}{$_} * ($val->{$v}{$_} // 0) for keys %{ $val->{$u} };
        $usim{$v} = $dot / ($norm->($u) * $norm->($v)) if $dot > 0;
    }
    my @un = sort { $usim{$b} <=> $usim{$a} || $a cmp $b } keys %usim;
    splice @un, $o{user_k} if defined $o{user_k} && @un > $o{user_k};

    my ($num, $den) = (0, 0);
    for my $v (grep { exists $val->{$_}{$i} } @un) {
        $num += $usim{$v} * ($val->{$v}{$i} - $mean_u->($v));
        $den += abs $usim{$v};
        $p{user_support}++;
    }
    $p{user_knn} = $finish->($p{user_mean}, $num, $den);

    ($num, $den) = (0, 0);
    for my $n (grep { exists $val->{$u}{ $_->[0] } } @{ $self->nb($i) }) {
        $num += $n->[1] * ($val->{$u}{ $n->[0] } - $mean_i->($n->[0]));
        $den += abs $n->[1];
        $p{item_support}++;
    }
    $p{item_knn} = $finish->($p{item_mean}, $num, $den);

    return \%p;
}

package RecsysRef;

1;
