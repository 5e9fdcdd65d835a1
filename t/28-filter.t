#!/usr/bin/perl

# 28-filter: attribute filters (filter= and recsys_filter), availability
# windows and the popular fallback of an empty answer, against a
# brute-force reference computed here from the catalog file.
#
# The generator's sample is built twice: model A from the catalog's id,
# title and genres alone, model B from the same catalog with attribute
# columns of every type (numbers, a decimal number, a string, a list, dates
# with and without a time, blanks, availability windows far in the past and
# the future).  The attributes train nothing, so B ranks as A does, and an
# answer of B under a filter must be A's whole unfiltered answer to the same
# request (n = every item), kept to the items that the filter and the
# availability windows pass (evaluated here, in Perl, from the catalog
# text), then paginated; when nothing passes, A's popular answer to the
# same request, filtered the same way, with "algo" and "fallback" saying
# popular (strict=1: the empty list).  A session under the default blend
# is no filtered copy of its unfiltered answer: an anonymous one is
# referenced from its unfiltered answer scaled by the best passing item,
# a known user's from the same anonymous session's answer (scaled by the
# best item the user may be offered) plus the user's stored hybrid list
# (the answer without the session), or, when no session item passes, from
# each blended source's own unfiltered answer (its best passing candidates
# scaled by the best of them, weighted by the model's weights), then the
# popular fill (see the bounds below).  10,000
# random filters (every operator, every type, one to three clauses) over
# users, sessions, users with sessions, item=, unknown users, genre=,
# exclude=, n and offset; then bad filters (400 naming filter), the
# recsys_filter directive (ANDed with the request's, not to be lifted; an
# empty variable in it, bare and mapped as the README shows) and the ETag.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP;
use Test::More;
use Time::Local qw(timegm);
use RecsysTest qw(build_model builder tmpdir write_file recsys_locations);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, undef, $err) = builder('gen', '--out', "$tmp/g", '--seed', '11');
is($rc, 0, 'gen') or BAIL_OUT($err);

srand(28);

# the catalog's raw fields (a quoted title keeps its quotes)
sub fields {
    my ($line) = @_;
    my @f;
    push @f, $1 while $line =~ /\G("(?:[^"]|"")*"|[^,]*)(?:,|\z)/gc
                      && pos($line) <= length($line) && @f < 9;
    return @f;
}

my (@items, %attr, @genres, %gseen, %igenres);
my @lang = ('en', 'fr', 'ja', 'de', '');
my ($plain, $full) = ("id,title,genres\n",
    "id,title,genres,year,maturity,regions,language,added,rating,"
    . "available_from,available_until\n");

open my $fh, '<', "$tmp/g/items.csv" or die;
<$fh>;
while (my $line = <$fh>) {
    chomp $line;
    my ($id, $title, $g, $year, $mat, $reg) = fields($line);
    push @items, $id;
    $igenres{$id} = { map { $_ => 1 } split /\|/, $g };
    for (split /\|/, $g) { push @genres, $_ unless $gseen{$_}++ }
    my $r = rand;
    my %a = (
        year => rand() < 0.1 ? '' : $year,
        maturity => $mat,
        regions => rand() < 0.1 ? '' : $reg,
        language => $lang[int rand @lang],
        added => rand() < 0.15 ? ''
               : sprintf('%04d-%02d-%02d%s', 2000 + int rand 25,
                         1 + int rand 12, 1 + int rand 28,
                         rand() < 0.3 ? sprintf('T%02d:%02d:00Z',
                                                int rand 24, int rand 60)
                                      : ''),
        rating => rand() < 0.1 ? '' : sprintf('%.1f', 1 + rand 4),
        available_from => $r < 0.05 ? '2099-01-01' : $r < 0.1 ? '2001-05-01'
                        : '',
        available_until => $r > 0.95 ? '2002-01-01'
                         : $r > 0.9 ? '2098-12-31T23:59:59Z' : '',
    );
    $attr{$id} = \%a;
    $plain .= "$id,$title,$g\n";
    $full .= join(',', $id, $title, $g,
                  @a{qw(year maturity regions language added rating
                        available_from available_until)}) . "\n";
}
close $fh;
write_file("$tmp/plain.csv", $plain);
write_file("$tmp/full.csv", $full);

build_model(interactions => "$tmp/g/interactions.csv",
            items => "$tmp/plain.csv", out => "$tmp/a.mdb", model_id => 'a');
build_model(interactions => "$tmp/g/interactions.csv",
            items => "$tmp/full.csv", out => "$tmp/b.mdb", model_id => 'b');

# the default blend as the model stores it (inspect's params): weights and
# the number of candidates a request-scored source keeps (user_top)
my ($weight, $user_top) = do {
    my ($irc, $out) = builder('inspect', "$tmp/b.mdb");
    my ($params) = $out =~ /^params\s+(\{.*\})$/m;
    BAIL_OUT("inspect: no params ($irc)") unless $params;
    my $p = JSON::PP->new->decode($params);
    ($p->{weights}, $p->{user_top});
};
# what the reference models: item-to-item sources that score a session at
# request time, and the session list blends (no popular/trending prior)
my @session_src = qw(itemcf content ease rp3beta);
for my $s (keys %$weight) {
    BAIL_OUT("reference: no model of a blend with $s")
        unless grep { $_ eq $s } @session_src;
}
# the session list's total weight, summed in floats as the engine does
my $w_total = 0;
$w_total = unpack('f', pack('f', $w_total + ($weight->{$_} // 0)))
    for @session_src;

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/a', "$tmp/a.mdb", 'recsys_max_n 5000'],
    ['/b', "$tmp/b.mdb", 'recsys_max_n 5000'],
    ['/k', "$tmp/b.mdb", 'recsys_max_n 5000',
     'recsys_filter "maturity<=$arg_kids"'],
    ['/r', "$tmp/b.mdb", 'recsys_filter "regions~$arg_c"'],
    ['/m', "$tmp/b.mdb", 'recsys_filter "regions~$viewer_country"']),
    http => 'map $arg_c $viewer_country { "" ZZ; default $arg_c; }');

# the reference evaluator: dates as Unix seconds, like the engine's
my %date;

sub date {
    my ($v) = @_;
    return $date{$v} if exists $date{$v};
    $v =~ /\A(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?Z?\z/
        or die "bad date $v";
    return $date{$v} = timegm($6 // 0, $5 // 0, $4 // 0, $3, $2 - 1, $1);
}

my %type = (year => 'n', maturity => 'n', rating => 'n', added => 'd',
            regions => 'l', language => 's');

sub clause_pass {
    my ($a, $f, $op, $v) = @_;
    my $x = $a->{$f};
    return 0 if $x eq '';
    if ($type{$f} eq 'n' || $type{$f} eq 'd') {
        ($x, $v) = (date($x), date($v)) if $type{$f} eq 'd';
        return $op eq '=' ? $x == $v : $op eq '!=' ? $x != $v
             : $op eq '<' ? $x < $v : $op eq '<=' ? $x <= $v
             : $op eq '>' ? $x > $v : $x >= $v;
    }
    my %have = map { $_ => 1 } split /\|/, $x;
    my @want = $op eq '~' ? split(/\|/, $v) : ($v);
    my $any = grep { $have{$_} } @want;
    return $op eq '!=' ? !$any : $any;
}

my $now = time;

sub passes {
    my ($id, $clauses) = @_;
    my $a = $attr{$id};
    return 0 if $a->{available_from} ne ''
                && date($a->{available_from}) > $now;
    return 0 if $a->{available_until} ne ''
                && date($a->{available_until}) <= $now;
    for my $c (@$clauses) {
        return 0 unless clause_pass($a, @$c);
    }
    return 1;
}

sub pick { $_[int rand @_] }

sub random_value {
    my ($f) = @_;
    return pick(1965 .. 2030) if $f eq 'year';
    return pick(0, 6, 12, 16, 18, 7) if $f eq 'maturity';
    return sprintf('%.1f', 1 + rand 4) . pick('', '', '5') if $f eq 'rating';
    if ($f eq 'added') {
        return sprintf('%04d-%02d-%02d', 1998 + int rand 30, 1 + int rand 12,
                       1 + int rand 28)
             . pick('', '', 'T12:00', 'T06:30:15Z', 'Z');
    }
    my @pool = $f eq 'regions' ? qw(US GB FR DE JP BR XX)
                               : qw(en fr ja de xx);
    return join '|', map { pick(@pool) } 1 .. 1 + int rand 3;
}

sub random_filter {
    my @c;
    for (1 .. 1 + int rand 3) {
        my $f = pick(keys %type);
        my $op = $type{$f} eq 'l' ? '~'
               : $type{$f} eq 's' ? pick('=', '!=', '~')
               : pick('=', '!=', '<', '<=', '>', '>=');
        my $v = random_value($f);
        $v = (split /\|/, $v)[0] if $op ne '~';
        push @c, [$f, $op, $v];
    }
    return \@c;
}

sub esc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.\-~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# request contexts: the filter, n and offset vary per test
# the first 300 users, and what each has seen (every item of its rows)
my %seen;
my @users = do {
    my (%s, @u);
    open my $ih, '<', "$tmp/g/interactions.csv" or die;
    <$ih>;
    while (<$ih>) {
        my ($u, $i) = split /,/;
        $seen{$u}{$i} = 1;
        push @u, $u unless $s{$u}++;
    }
    splice @u, 300 if @u > 300;
    @u;
};
my @algos = qw(hybrid hybrid hybrid itemcf usercf content popular trending
               cluster assoc next ease rp3beta);

my @ctx;
for (1 .. 250) {
    my $k = rand;
    my %p;
    if ($k < 0.45) {
        $p{user} = pick(@users);
        $p{history} = join ',', map { pick(@items) } 1 .. 1 + int rand 3
            if rand() < 0.4;
    } elsif ($k < 0.7) {
        $p{history} = join ',', map { pick(@items) } 1 .. 1 + int rand 4;
    } elsif ($k < 0.9) {
        $p{item} = pick(@items);
        $p{user} = pick(@users) if rand() < 0.3;
    } else {
        $p{user} = 'nobody';
    }
    $p{algo} = pick(@algos) if rand() < 0.7;
    $p{exclude} = join ',', map { pick(@items) } 1 .. 1 + int rand 3
        if rand() < 0.3;
    $p{genre} = pick(@genres) if rand() < 0.2;
    my $q = join '&', map { "$_=" . esc($p{$_}) } sort keys %p;
    # the source's own answer (strict: no popular fallback of its own)
    my $base = $srv->json("/a?$q&n=5000&strict=1");
    # a popular fill skips the item of item= and what exclude= names
    my %pp = %p;
    delete $pp{item};
    $pp{algo} = 'popular';
    $pp{exclude} = join ',', grep { defined } $p{exclude}, $p{item};
    delete $pp{exclude} if $pp{exclude} eq '';
    my $pq = join '&', map { "$_=" . esc($pp{$_}) } sort keys %pp;
    my $pop = $srv->json("/a?$pq&n=5000");
    die "context $q: no items list" unless ref $base->{items} eq 'ARRAY';
    # a session with the default blend: a known user's blends each
    # source's best candidates among those the filter keeps (as for
    # genre=), an anonymous one scales its scores by the best kept item
    my $kind = !$p{history} || $p{item} || ($p{algo} // 'hybrid') ne 'hybrid'
               ? 'exact' : $p{user} ? 'blend' : 'scaled';
    my %c = (q => $q, base => $base, pop => $pop, kind => $kind);
    if ($kind eq 'blend') {
        # the session scored alone (an anonymous session's answer, its
        # popular fill cut), the user's stored hybrid list (the answer
        # without the session, to user_top, its fill cut), what neither
        # may return, and the genre
        my $vq = join '&', map { "$_=" . esc($p{$_}) }
                 grep { defined $p{$_} && $_ ne 'user' && $_ ne 'algo' }
                 sort keys %p;
        $c{vis} = scored_part(scalar $srv->json("/a?$vq&n=5000&strict=1"),
                              scalar $srv->json("/a?$vq&algo=popular&n=5000"));
        my $uq = 'user=' . esc($p{user});
        my $stored = $srv->json("/a?$uq&n=5000&strict=1");
        $c{stored} = scored_part($stored,
                                 scalar $srv->json("/a?$uq&algo=popular&n=5000"));
        splice @{ $c{stored} }, $user_top if @{ $c{stored} } > $user_top;
        die "context $q: a seen item in the stored list"
            if grep { $seen{ $p{user} }{ $_->{id} } } @{ $stored->{items} };
        $c{blocked} = { %{ $seen{ $p{user} } || {} },
                        map { $_ => 1 } split /,/, join ',',
                            grep { defined } @p{qw(history exclude)} };
        $c{genre} = $p{genre};
        # each blended source's own answer to the same request, unfiltered
        for my $s (sort keys %$weight) {
            my %sp = (%p, algo => $s);
            delete @sp{ grep { !defined $sp{$_} } keys %sp };
            my $sq = join '&', map { "$_=" . esc($sp{$_}) } sort keys %sp;
            my $a = $srv->json("/a?$sq&n=5000&strict=1");
            die "context $sq: algo $a->{algo}" if $a->{algo} ne $s;
            $c{src}{$s} = $a->{items};
        }
    }
    if ($kind eq 'scaled') {
        # the session's scored items, then the popular fill (their
        # popular scores, in the popular order)
        my %ps = map { $_->{id} => $_->{score} } @{ $pop->{items} };
        my @b = @{ $base->{items} };
        my $k = @b;
        $k-- while $k > 0
                   && $b[$k - 1]{score} eq ($ps{ $b[$k - 1]{id} } // '');
        my %sess = map { $_->{id} => 1 } @b[0 .. $k - 1];
        die "context $q: the fill is not the popular order"
            if join(' ', map { $_->{id} } @b[$k .. $#b])
               ne join(' ', grep { !$sess{$_} } map { $_->{id} }
                                                    @{ $pop->{items} });
        $c{session} = [@b[0 .. $k - 1]];
    }
    die "context $q: base algo $base->{algo}"
        if $kind ne 'exact' && ($base->{algo} ne 'hybrid'
                                || defined $base->{fallback});
    push @ctx, \%c;
}

# An answer's scored part: its items before the trailing run that is the
# popular fill (each at its popular score, in the popular order).
sub scored_part {
    my ($d, $pop) = @_;
    my %ps = map { $_->{id} => $_->{score} } @{ $pop->{items} };
    my @b = @{ $d->{items} };
    my $k = @b;
    $k-- while $k > 0 && $b[$k - 1]{score} eq ($ps{ $b[$k - 1]{id} } // '');
    return [@b[0 .. $k - 1]];
}

sub expected {
    my ($c, $clauses, $n, $off, $strict) = @_;
    my @l = grep { passes($_->{id}, $clauses) } @{ $c->{base}{items} };
    my ($algo, $fb) = @{ $c->{base} }{qw(algo fallback)};
    if (!@l && !$strict) {
        @l = grep { passes($_->{id}, $clauses) } @{ $c->{pop}{items} };
        ($algo, $fb) = ('popular', 'popular');
    }
    my @page = @l[$off .. ($off + $n - 1 < $#l ? $off + $n - 1 : $#l)];
    return ($algo, $fb,
            join ' ', map { "$_->{id}:$_->{score}" } @page);
}

# The blend and the session, referenced from printed scores.  A printed
# score is its float rounded to 6 decimals (half a millionth off at most),
# and the engine rounds each double sum to a float once (2^-24 of it), so
# the reference bounds each score: an item's printed score must lie in its
# bounds, and its place among the candidates must be one the bounds allow
# (no more items surely above it, no fewer possibly above it).  Most bounds
# are a few millionths wide; the order of items whose bounds are apart,
# the items, the popular fill, algo and fallback are exact.
my $half = 5e-7 + 1e-12;
my $frel = 2**-24;

# bounds of x / y from their printed values (y > 0)
sub ratio {
    my ($x, $y) = @_;
    my ($xl, $xh, $yl, $yh) = ($x - $half, $x + $half, $y - $half, $y + $half);
    die "reference: best score $y too small to bound" if $yl <= 0;
    return ($xl >= 0 ? $xl / $yh : $xl / $yl,
            $xh >= 0 ? $xh / $yl : $xh / $yh);
}

# A known user's session: each source's best candidates among those the
# filter keeps (its first max(user_top, offset + n) passing, in its own
# order), scaled by the best of them; the blend sums weight x scaled
# score.  Returns the candidates (first seen first) and their
# [low, high, midpoint].
sub blend_bounds {
    my ($c, $clauses, $need) = @_;
    my $want = $need > $user_top ? $need : $user_top;
    my (@order, %bnd);
    for my $s (sort keys %$weight) {
        my @kept;
        for (@{ $c->{src}{$s} }) {
            last if @kept == $want;
            push @kept, $_ if passes($_->{id}, $clauses);
        }
        next unless @kept && $kept[0]{score} > 0;
        my ($w, $norm) = ($weight->{$s}, $kept[0]{score});
        for my $k (0 .. $#kept) {
            my ($id, $x) = @{ $kept[$k] }{qw(id score)};
            my ($l, $h) = $k == 0 ? (1, 1) : ratio($x, $norm);
            my $e = $bnd{$id} //= do { push @order, $id; [0, 0, 0] };
            $e->[0] += $w * $l;
            $e->[1] += $w * $h;
            $e->[2] += $w * $x / $norm;
        }
    }
    return (\@order, \%bnd);
}

# An anonymous session: the session's items the filter keeps, scaled so
# that the best of them scores the session list's total weight.  The
# unfiltered answer's scores are floats of the same sums times another
# scale: their ratios are the sums' ratios within 2 x 2^-24.
sub scaled_bounds {
    my ($c, $clauses) = @_;
    return scaled_kept([grep { passes($_->{id}, $clauses) }
                        @{ $c->{session} }]);
}

# The bounds of kept session items (best first, printed scores) scaled so
# that the first scores the session list's total weight.
sub scaled_kept {
    my ($kept) = @_;
    my (@order, %bnd);
    for my $k (0 .. $#$kept) {
        my ($id, $x) = @{ $kept->[$k] }{qw(id score)};
        my ($l, $h) = $k == 0 ? (1, 1) : ratio($x, $kept->[0]{score});
        ($l, $h) = ($l - abs($l) * 3 * $frel, $h + abs($h) * 3 * $frel);
        push @order, $id;
        $bnd{$id} = [$w_total * $l, $w_total * $h,
                     $w_total * $x / $kept->[0]{score}];
    }
    return (\@order, \%bnd);
}

# A known user's session: the session's own scores of the items the filter
# (and genre=) keeps and the user may be offered, scaled as an anonymous
# session's (ratios from the anonymous answer's printed scores), plus the
# stored hybrid list's printed score of those it holds.  () when no
# session item passes: the engine blends every source instead.
sub known_bounds {
    my ($c, $clauses) = @_;
    my $ok = sub {
        my ($id) = @_;
        return !$c->{blocked}{$id} && passes($id, $clauses)
               && (!defined $c->{genre} || $igenres{$id}{ $c->{genre} });
    };
    my @kept = grep { $ok->($_->{id}) } @{ $c->{vis} };
    return () unless @kept;
    my ($order, $bnd) = scaled_kept(\@kept);
    for my $e (@{ $c->{stored} }) {
        next unless $ok->($e->{id});
        my $b = $bnd->{ $e->{id} } //= do { push @$order, $e->{id}; [0, 0, 0] };
        $b->[0] += $e->{score} - $half;
        $b->[1] += $e->{score} + $half;
        $b->[2] += $e->{score};
    }
    return ($order, $bnd);
}

# how many of a descending list are above v (or at it too, with $at)
sub above {
    my ($list, $v, $at) = @_;
    my ($lo, $hi) = (0, scalar @$list);
    while ($lo < $hi) {
        my $m = ($lo + $hi) >> 1;
        if ($list->[$m] > $v || ($at && $list->[$m] == $v)) {
            $lo = $m + 1;
        } else {
            $hi = $m;
        }
    }
    return $lo;
}

sub round6 { my $v = sprintf '%.6f', $_[0]; $v =~ s/\.?0+\z//; $v }

# Checks a blend or session answer against its bounds; returns what
# differs ('' when all holds) and the page the midpoints make, printed.
my ($mid_pages, $mid_scores, $scores, $placed) = (0, 0, 0, 0);

sub bounded {
    my ($c, $d, $res, $clauses, $n, $off, $strict) = @_;
    my $need = $off + $n;
    my ($order, $bnd) = $c->{kind} eq 'blend'
                        ? known_bounds($c, $clauses)
                        : scaled_bounds($c, $clauses);
    ($order, $bnd) = blend_bounds($c, $clauses, $need) unless $order;
    my %cand = map { $_ => 1 } @$order;
    my @fill = grep { !$cand{ $_->{id} } && passes($_->{id}, $clauses) }
               @{ $c->{pop}{items} };
    my $total = @$order + @fill < $need ? @$order + @fill : $need;
    my ($algo, $fb) = $total || $strict ? ('hybrid', 'null')
                                        : ('popular', 'popular');
    # the float each sum rounds to, inside its bounds
    my %lh = map {
        my ($l, $h) = @{ $bnd->{$_} };
        $_ => [$l - abs($l) * $frel - 1e-12, $h + abs($h) * $frel + 1e-12]
    } @$order;
    my @mid = sort { $bnd->{$b}[2] <=> $bnd->{$a}[2] } @$order;
    my @want = ((map { [$_, round6($bnd->{$_}[2])] } @mid),
                (map { [$_->{id}, $_->{score}] } @fill))[$off .. $total - 1];
    my $want = join ' ', map { "$_->[0]:$_->[1]" } @want;
    my @got = @{ $d->{items} || [] };
    my $got = join ' ', map { "$_->{id}:$_->{score}" } @got;
    return ("status $res->{status}", $want) if $res->{status} != 200;
    return ("algo $d->{algo} fallback " . ($d->{fallback} // 'null'), $want)
        if $d->{algo} ne $algo || ($d->{fallback} // 'null') ne $fb;
    return ('length ' . @got, $want) if @got != @want;
    my @lows = sort { $b <=> $a } map { $_->[0] } values %lh;
    my @highs = sort { $b <=> $a } map { $_->[1] } values %lh;
    my %once;
    for my $k (0 .. $#got) {
        my ($id, $g) = @{ $got[$k] }{qw(id score)};
        my $r = $off + $k;
        return ("$id twice", $want) if $once{$id}++;
        if ($r >= @$order) {
            my $f = $fill[$r - @$order];
            next if $id eq $f->{id} && $g eq $f->{score};
            return ("fill at $r: $id:$g", $want);
        }
        my $e = $lh{$id} or return ("$id is no candidate", $want);
        return ("$id:$g outside [$e->[0], $e->[1]]", $want)
            if $g + $half < $e->[0] || $g - $half > $e->[1];
        my ($sure, $maybe) = (above(\@lows, $e->[1]),
                              above(\@highs, $e->[0], 1) - 1);
        return ("$id at $r, between $sure and $maybe", $want)
            if $r < $sure || $r > $maybe;
        $scores++;
        $mid_scores++ if $g == round6($bnd->{$id}[2]);
        $placed++ if $sure == $maybe;
    }
    $mid_pages++ if $got eq $want;
    return ('', $want);
}

my %kinds;
my ($bad, $checked, $empty, $fell) = (0, 0, 0, 0);
for my $t (1 .. ($ENV{RECSYS_T28_N} // 10000)) {
    my $c = pick(@ctx);
    my $clauses = random_filter();
    my $f = join ',', map { join '', @$_ } @$clauses;
    my $n = 1 + int rand 15;
    my $off = rand() < 0.6 ? 0 : int rand 8;
    my $strict = rand() < 0.1 ? 1 : 0;
    my $url = "/b?$c->{q}&filter=" . esc($f) . "&n=$n&offset=$off"
              . ($strict ? '&strict=1' : '');
    my ($d, $res) = $srv->json($url);
    my ($algo, $fb, $want) = expected($c, $clauses, $n, $off, $strict);
    my $got = join ' ', map { "$_->{id}:$_->{score}" } @{ $d->{items} || [] };
    $checked++;
    if ($c->{kind} ne 'exact') {
        $kinds{ $c->{kind} }++;
        my ($why, $mid) = bounded($c, $d, $res, $clauses, $n, $off, $strict);
        $empty++ if $mid eq '';
        next if $why eq '';
        $bad++;
        diag "$url ($c->{kind}): $why\n  got: $got\n  want: $mid"
            if $bad <= 10;
        next;
    }
    $kinds{exact}++;
    $empty++ if $want eq '';
    $fell++ if ($fb // '') eq 'popular' && ($c->{base}{fallback} // '') ne 'popular';
    next if $res->{status} == 200 && $got eq $want
            && ($d->{algo} // '') eq $algo
            && ($d->{fallback} // 'null') eq ($fb // 'null');
    $bad++;
    if ($bad <= 10) {
        diag "$url\n  status $res->{status} algo $d->{algo} fallback "
             . ($d->{fallback} // 'null') . " got: $got\n"
             . "  want algo $algo fallback " . ($fb // 'null') . ": $want";
    }
}
is($bad, 0, "10,000 random filters: answers equal the reference "
            . "($checked checked: " . join(', ', map { "$_ $kinds{$_}" }
                                            sort keys %kinds)
            . "; $empty empty, $fell filled from popular)");
note "blend and session answers: $scores scores, $placed of them in the "
     . "only place their bounds allow, $mid_scores as printed from the "
     . "bounds' midpoints; $mid_pages pages as printed from the midpoints";
cmp_ok($empty, '<', 3000, 'most random filters leave something');
cmp_ok($fell, '>', 0, 'some filtered answers fall back to popular');

# bad filters: 400 naming filter
my $u = $users[0];
for my $f ('bogus=1', 'year~1990', 'regions<3', 'regions=FR', 'language<en',
           'year>=abc', 'year>=1e3', 'year>=', 'year>=1.', 'added<2020-13-01',
           'added<2021-02-29', 'added<2020-01-01T25:00', 'added<2020-1-01',
           'year>1,,maturity<3', 'year>1,', ',year>1', '>=3', 'year',
           'year==3', 'year=>3', 'year!3', 'regions~FR||DE', 'regions~',
           join(',', ('year>1') x 33), 'regions~' . join('|', ('FR') x 65))
{
    RecsysTest::check_error($srv, 'GET', "/b?user=$u&filter=" . esc($f),
                            400, 'bad_request', 'filter', "filter=$f: 400");
}
RecsysTest::check_error($srv, 'GET', "/a?user=$u&filter=year%3E1", 400,
                        'bad_request', 'filter',
                        'a model without attributes: any field is unknown');
RecsysTest::check_error($srv, 'GET', "/b?user=$u&filter=year%3E1&filter=year%3E2",
                        400, 'bad_request', 'filter', 'filter twice: 400');
RecsysTest::check_error($srv, 'GET', "/b?user=$u&strict=2", 400,
                        'bad_request', 'strict', 'strict=2: 400');
my $d = $srv->json("/b?user=$u&filter=");
is(ref $d->{items}, 'ARRAY', 'an empty filter filters nothing');

# recsys_filter: ANDed with the request's filter, not to be lifted
for my $c (@ctx[0 .. 39]) {
    my $k = $srv->json("/k?$c->{q}&kids=12&filter=year%3E%3D2000&n=20");
    my $b = $srv->json("/b?$c->{q}&filter=maturity%3C%3D12,year%3E%3D2000&n=20");
    is(join(' ', map { $_->{id} } @{ $k->{items} }),
       join(' ', map { $_->{id} } @{ $b->{items} }),
       "recsys_filter and filter= are one AND: $c->{q}");
}
my ($k1, $r1) = $srv->json("/k?user=$u&kids=0&filter=maturity%3E0");
is(scalar @{ $k1->{items} }, 0,
   'a request cannot lift the location filter (maturity>0 under <=0)');
my $r2 = $srv->get("/k?user=$u&kids=0&filter=maturity%3E0");
is($r2->{headers}{etag}, $r1->{headers}{etag}, 'same request, same ETag');
my $r3 = $srv->get("/k?user=$u&kids=6&filter=maturity%3E0");
isnt($r3->{headers}{etag}, $r1->{headers}{etag},
     'the location filter changes the ETag');
# a recsys_filter whose variable is empty: an empty alternative, 400 naming
# filter and the error log naming recsys_filter; with the README's map to a
# value no item has, an empty answer; with a value, the request's filter
RecsysTest::check_error($srv, 'GET', "/r?user=$u", 400, 'bad_request',
                        'filter', 'recsys_filter of an empty variable: 400');
like($srv->error_log, qr/the value of recsys_filter is not a filter/,
     'the error log names recsys_filter');
my $m0 = $srv->json("/m?user=$u");
is(scalar @{ $m0->{items} }, 0, 'mapped to ZZ: an empty answer');
my @fr = map { $_->{id} } @{ $srv->json("/m?user=$u&c=FR")->{items} };
ok(scalar @fr, 'mapped to FR: an answer');
is("@fr", join(' ', map { $_->{id} }
                    @{ $srv->json("/b?user=$u&filter=regions~FR")->{items} }),
   'mapped to FR: the answer of filter=regions~FR');
my $r4 = $srv->get("/b?user=$u&filter=maturity%3E0");
my $r5 = $srv->get("/b?user=$u&filter=maturity%3E6");
isnt($r4->{headers}{etag}, $r5->{headers}{etag},
     'the request filter changes the ETag');

# availability: no answer holds an item outside its window
my %out = map { $_ => 1 } grep {
    ($attr{$_}{available_from} ne '' && date($attr{$_}{available_from}) > $now)
    || ($attr{$_}{available_until} ne ''
        && date($attr{$_}{available_until}) <= $now)
} @items;
my $leak = 0;
for my $c (@ctx) {
    my $a = $srv->json("/b?$c->{q}&n=200");
    $leak += grep { $out{ $_->{id} } } @{ $a->{items} };
}
ok(scalar(keys %out) > 50, 'fixture: items outside their window');
is($leak, 0, 'no answer holds an item outside its availability window');

$srv->finish;
done_testing();
