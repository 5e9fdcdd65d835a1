#!/usr/bin/perl

# 14-movielens: every algorithm answers on real data.  A model of
# ml-latest-small (ratings, movies, tags; ALS added; skipped when the data
# is absent, a failure under CI) is served, and for three known users, an
# anonymous history= of 5 movies and an unknown user, every algo must
# answer 200 with well-formed items (titles from movies.csv, none of the
# user's or the session's own movies).  Where the answers should differ,
# they do: the known users' lists of the personalised sources are pairwise
# different, and differ from popularity; an unknown user gets the popular
# fallback from the user-based sources.  Titles and seen sets are read
# here from the CSV files, not from the model.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir slurp);

RecsysTest::skip_unless_built();

my $dir = RecsysTest::need_movielens(qw(ratings.csv movies.csv tags.csv));

my $tmp = tmpdir();
my $model = build_model(interactions => "$dir/ratings.csv",
                        items => "$dir/movies.csv", out => "$tmp/ml.mdb",
                        model_id => 'ml-1',
                        args => ['--tags', "$dir/tags.csv", '--als']);

my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $model;\n",
    locations => "        location /recommend { recsys; }\n");

# titles by id, and what each user rated
my %title;
for my $line (split /\n/, slurp("$dir/movies.csv")) {
    next if $line =~ /^movieId,/;
    utf8::decode($line);
    my ($id, $rest) = split /,/, $line, 2;
    $rest =~ s/,[^,]*$//;
    $rest =~ s/^"(.*)"$/$1/;
    $rest =~ s/""/"/g;
    $title{$id} = $rest;
}
my %seen;
for my $line (split /\n/, slurp("$dir/ratings.csv")) {
    next if $line =~ /^userId,/;
    my ($u, $i) = split /,/, $line;
    $seen{$u}{$i} = 1;
}

my @users = (1, 50, 600);
my @session = (1, 260, 296, 318, 2571);     # Toy Story, Star Wars, ...
my @personal = qw(itemcf usercf content cluster ease rp3beta als);
my @all = (@personal, qw(hybrid popular trending assoc markov next));

sub ids { join ' ', map { $_->{id} } @{ $_[0]{items} } }

sub check_answer {
    my ($d, $res, $what, $exclude) = @_;
    is($res->{status}, 200, "$what: 200") or return;
    my @items = @{ $d->{items} || [] };
    ok(@items >= 1, "$what: items") or return;
    my @bad = grep { !defined $_->{title} || !defined $title{ $_->{id} }
                     || $_->{title} ne $title{ $_->{id} } } @items;
    ok(!@bad, "$what: titles as in movies.csv")
        or diag explain [map { [$_->{id}, $_->{title}] } @bad[0 .. 2]];
    my @back = grep { $exclude->{ $_->{id} } } @items;
    ok(!@back, "$what: none of the user's own movies")
        or diag "returned: @{[ map { $_->{id} } @back ]}";
}

my %list;
for my $u (@users) {
    for my $algo (@all) {
        my ($d, $res) = $srv->json("/recommend?user=$u&algo=$algo&n=10");
        check_answer($d, $res, "user $u algo=$algo", $seen{$u});
        $list{$u}{$algo} = ids($d);
    }

    my @same;
    for my $a (0 .. $#personal) {
        for my $b ($a + 1 .. $#personal) {
            push @same, "$personal[$a]=$personal[$b]"
                if $list{$u}{ $personal[$a] } eq $list{$u}{ $personal[$b] };
        }
        push @same, "$personal[$a]=popular"
            if $list{$u}{ $personal[$a] } eq $list{$u}{popular};
    }
    ok(!@same, "user $u: the personalised sources answer differently")
        or diag "@same";
}

my $hist = join ',', @session;
my %mine = map { $_ => 1 } @session;
my %session;
for my $algo (qw(hybrid itemcf content ease rp3beta assoc markov next)) {
    my ($d, $res) = $srv->json("/recommend?history=$hist&algo=$algo&n=10");
    check_answer($d, $res, "history of 5, algo=$algo", \%mine);
    $session{$algo} = ids($d);
}
isnt($session{itemcf}, $session{content}, 'session: item-CF and content differ');
isnt($session{ease}, $session{itemcf}, 'session: EASE and item-CF differ');

my ($pop) = $srv->json('/recommend?algo=popular&n=10');
for my $algo (@all) {
    my ($d, $res) = $srv->json("/recommend?user=nobody-here&algo=$algo&n=10");
    check_answer($d, $res, "unknown user, algo=$algo", {});
}
for my $algo (qw(hybrid itemcf usercf ease als)) {
    my $d = $srv->json("/recommend?user=nobody-here&algo=$algo&n=10");
    is($d->{fallback}, 'popular', "unknown user, algo=$algo: fallback popular");
    is(ids($d), ids($pop), "unknown user, algo=$algo: the popular list");
}

$srv->finish;
done_testing();
