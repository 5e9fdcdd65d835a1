#!/usr/bin/perl

# 52-items: the catalogue of /items (recsys_items;).  A random catalogue
# with mixed case, punctuation, UTF-8 and empty titles, items nobody chose,
# and popularity ties; 10,000 random queries (word prefixes, substrings in
# any case, texts that occur nowhere, with genre filters and pages) each
# answered exactly as a brute-force reference computed here from the
# files: a title matches when q occurs in it with ASCII letters
# lowercased; matches at a word start first, then the others; each group
# by distinct users (most first), then id; 2,000 more where the overrides
# hide one item in ten (never found, listed, counted or shown by id=).
# Also id=, meta=1 and the input policy (400 JSON naming the argument;
# /recommend's other arguments are unknown here, so ignored).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model);

RecsysTest::skip_unless_built();

srand(52);

my @words = qw(Shadow shadows river RIVER Crown crowned the The of Of a
               night Nightfall knight 2001 1999 x-men X-Men star Stars
               wars war award Éclair éclair über Über naïve ça Ça
               d'Artagnan O'Brien l'été Love love lover Glove);
my @punct = (' ', ' ', ' ', ' ', ': ', ' - ', ', ', ' & ', '/', '.');
my @genres = qw(Drama Comedy Horror Sci-Fi Romance Action);

my (%title, %igenres, @ids);
my $n_items = 3000;
for my $i (1 .. $n_items) {
    my $id = sprintf 'i%05d', $i;
    push @ids, $id;
    my $t = '';
    if ($i % 97 != 0) {
        my $nw = 1 + int rand 5;
        $t = join '', map { $words[rand @words] . ($_ < $nw ? $punct[rand @punct] : '') }
                      1 .. $nw;
        $t .= sprintf ' (%d)', 1950 + int rand 75 if rand() < 0.5;
    }
    $title{$id} = $t;
    my %g = map { $genres[rand @genres] => 1 } 1 .. 1 + int rand 2;
    $igenres{$id} = [sort keys %g];
}

my $dir = RecsysTest::tmpdir();
open my $cat, '>:raw', "$dir/items.csv" or die;
print $cat "id,title,genres\n";
for my $id (@ids) {
    my $t = $title{$id};
    $t = '"' . ($t =~ s/"/""/gr) . '"' if $t =~ /[",]/;
    print $cat "$id,$t," . join('|', @{ $igenres{$id} }) . "\n";
}
close $cat;

# popularity: few items popular, many ties, every tenth item never chosen
my %users_of;
open my $log, '>', "$dir/interactions.csv" or die;
print $log "user,item\n";
for my $u (1 .. 400) {
    my %seen;
    for (1 .. 5 + int rand 20) {
        my $k = int($n_items * (rand() ** 3));
        next if $k % 10 == 9;
        my $id = $ids[$k];
        next if $seen{$id}++;
        $users_of{$id}++;
        printf $log "u%03d,%s\n", $u, $id;
    }
}
close $log;

my $model = build_model(interactions => "$dir/interactions.csv",
                        items => "$dir/items.csv", model_id => 'items-1');

# takedowns: one item in ten hidden by the overrides file of a second
# location (/hid)
my %hidden;
for my $id (@ids) {
    $hidden{$id} = 1 if rand() < 0.1;
}
RecsysTest::write_file("$dir/overrides.txt",
                       join('', map { "hide $_\n" } sort keys %hidden));

my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $model;\n",
    locations => <<"EOF");
        location = /items {
            recsys_items;
            recsys_max_n 100;
            recsys_max_list 20;
        }
        location = /hid {
            recsys_items;
            recsys_max_n 100;
            recsys_max_list 20;
            recsys_overrides $dir/overrides.txt;
        }
EOF

# the catalogue order and the reference search
my @order = sort { ($users_of{$b} // 0) <=> ($users_of{$a} // 0) || $a cmp $b }
            @ids;
my %lc_title = map { $_ => ($title{$_} =~ tr/A-Z/a-z/r) } @ids;

sub reference {
    my ($q, $genre, $n, $offset, $hide) = @_;
    my $lq = $q =~ tr/A-Z/a-z/r;
    my (@g0, @g1);
    for my $id (@order) {
        next if $hide && $hidden{$id};
        next if defined $genre && !grep { $_ eq $genre } @{ $igenres{$id} };
        my $t = $lc_title{$id};
        my ($pos, $group) = (-1, undef);
        while (($pos = index($t, $lq, $pos + 1)) >= 0) {
            if ($pos == 0 || substr($t, $pos - 1, 1) !~ /[a-z0-9\x80-\xff]/) {
                $group = 0;
                last;
            }
            $group = 1;
        }
        next unless defined $group;
        push @{ $group ? \@g1 : \@g0 }, $id;
    }
    my @all = (@g0, @g1);
    my @page = @all[grep { $_ < @all } $offset .. $offset + $n - 1];
    return (\@page, @all > $offset + $n ? 1 : 0);
}

sub enc {
    my ($s) = @_;
    return $s =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ger;
}

# a query: a piece of a title from a word start or from anywhere, in any
# case, or letters that may occur nowhere
sub random_query {
    my $r = rand;
    my $t = $title{ $ids[rand @ids] };
    if ($r < 0.15 || length $t == 0) {
        return join '', map { ('a' .. 'z', ' ')[rand 27] } 1 .. 1 + int rand 4;
    }
    my @starts = (0);
    while ($t =~ /(?<=[^A-Za-z0-9\x80-\xff])(?=[A-Za-z0-9\x80-\xff])/g) {
        push @starts, pos $t;
    }
    my $from = $r < 0.6 ? $starts[rand @starts] : int rand length $t;
    # whole UTF-8 characters only: never start or end inside one
    $from-- while $from > 0 && substr($t, $from, 1) =~ /[\x80-\xbf]/;
    my $len = 1 + int rand 8;
    my $q = substr($t, $from, $len);
    chop $q while length $q && !utf8::decode(my $copy = $q);
    return length $q ? ($r < 0.8 ? uc $q : $q) : 'x';
}

my ($bad, $checked) = (0, 0);
for my $k (1 .. 12000) {
    my $q = random_query();
    my $genre = rand() < 0.2 ? $genres[rand @genres] : undef;
    my $n = rand() < 0.5 ? 10 : 1 + int rand 100;
    my $offset = rand() < 0.7 ? 0 : int rand 40;
    my $hide = $k > 10000;      # the last 2,000 where items are hidden
    my ($want, $more) = reference($q, $genre, $n, $offset, $hide);
    my $path = ($hide ? '/hid' : '/items') . '?q=' . enc($q)
               . "&n=$n&offset=$offset"
               . (defined $genre ? '&genre=' . enc($genre) : '');
    my ($d, $res) = $srv->json($path);
    my @got = map { $_->{id} } @{ $d->{items} || [] };
    my $ok = $res->{status} == 200 && "@got" eq "@$want"
             && ($d->{more} ? 1 : 0) == $more;
    $checked++;
    if (!$ok && $bad++ < 5) {
        diag("$path: got [@got] more=" . ($d->{more} ? 1 : 0)
             . ", want [@$want] more=$more");
    }
}
is($bad, 0, "$checked random queries answered as the brute-force reference");

# without q: the catalogue order, a genre, pages
my ($d) = $srv->json('/items?n=100&offset=5');
my ($want) = reference('', undef, 100, 5);
is_deeply([map { $_->{id} } @{ $d->{items} }], $want,
          'no q: the catalogue order, paged');
($d) = $srv->json('/items?n=7&genre=Horror,Drama');
is_deeply([map { $_->{id} } @{ $d->{items} }],
          [(grep { my $id = $_; grep { /^(Horror|Drama)$/ } @{ $igenres{$id} } }
            @order)[0 .. 6]],
          'genre=Horror,Drama: items with either');
($d) = $srv->json('/items?genre=Western');
is_deeply($d->{items}, [], 'a genre the model lacks: nothing');

# id=: these items with their metadata, in the asked order
($d) = $srv->json('/items?id=i00003,nope,i00001');
is_deeply([map { $_->{id} } @{ $d->{items} }], ['i00003', 'i00001'],
          'id=: the known ids, in order');
utf8::decode(my $t1 = $title{i00001});
is($d->{items}[1]{title}, $t1, 'id=: the title');
is_deeply($d->{items}[1]{genres}, $igenres{i00001}, 'id=: the genres');
is($d->{model}, 'items-1', 'the model id');
($d) = $srv->json('/items?id=i00003,i00001,i00003');
is_deeply([map { $_->{id} } @{ $d->{items} }], ['i00003', 'i00001'],
          'id= twice: once, at its first place');

# hidden items: never listed, found or shown by id=
($d) = $srv->json('/hid?n=100&offset=5');
($want) = reference('', undef, 100, 5, 1);
is_deeply([map { $_->{id} } @{ $d->{items} }], $want,
          'hidden: the catalogue order without them, paged');
ok(scalar(grep { $hidden{$_} } @{ (reference('', undef, 100, 5))[0] }),
   'fixture: the unfiltered page holds hidden items');
my @two = ((grep { $hidden{$_} } @ids)[0], (grep { !$hidden{$_} } @ids)[0]);
($d) = $srv->json("/hid?id=$two[0],$two[1]");
is_deeply([map { $_->{id} } @{ $d->{items} }], [$two[1]],
          'hidden: id= leaves the hidden one out');
($d) = $srv->json("/items?id=$two[0],$two[1]");
is(scalar @{ $d->{items} }, 2, 'without the overrides: both');

# meta=1
($d) = $srv->json('/items?meta=1');
is($d->{items}, $n_items, 'meta: items');
is($d->{users}, 400, 'meta: users');
is_deeply([sort @{ $d->{genres} }], [sort @genres], 'meta: the genres');
ok((grep { $_ eq 'hybrid' } @{ $d->{algos} }) && (grep { $_ eq 'itemcf' } @{ $d->{algos} }),
   'meta: the algorithms');
is($d->{search}, JSON::PP::true(), 'meta: the model has a search index');

# the input policy
for my $case (['q=%ZZ', 'q'], ['q=', 'q'], ['q=a&q=b', 'q'],
              ['q=' . ('a' x 257), 'q'], ['q=%C3', 'q'], ['q=a%00b', 'q'],
              ['n=0', 'n'], ['n=101', 'n'], ['offset=-1', 'offset'],
              ['id=' . join(',', ('x') x 21), 'id'], ['id=a,,b', 'id'],
              ['meta=2', 'meta'], ['genre=%FF', 'genre'])
{
    my ($e, $res) = $srv->json("/items?$case->[0]");
    is($res->{status}, 400, "$case->[0]: 400");
    is($e->{message}, "invalid argument: $case->[1]", "$case->[0]: names $case->[1]");
}
# the arguments of /recommend that /items does not read are unknown here,
# so ignored, whatever they hold
{
    my ($plain) = $srv->json('/items?q=shadow&n=5');
    my ($other, $r) = $srv->json('/items?q=shadow&n=5&user=&diversity=5'
                                 . '&algo=nope&exclude=a,,b&w_itemcf=99'
                                 . '&strict=2&history=&filter=%FF');
    is($r->{status}, 200, '/recommend\'s arguments with bad values: 200');
    is_deeply($other->{items}, $plain->{items}, 'and ignored');
}
my $res = $srv->request('POST', '/items?q=a', { content => 'x' });
is($res->{status}, 405, 'POST: 405');
$res = $srv->request('HEAD', '/items?q=shadow');
is($res->{status}, 200, 'HEAD: 200');
is($res->{content} // '', '', 'HEAD: no body');

$srv->finish;
done_testing();
