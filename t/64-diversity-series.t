#!/usr/bin/perl

# 64-diversity-series: diversity over a model with series re-ranks what
# the first 5 x n candidates leave after one slot per series.
#
# The generator's sample is built twice, without content neighbours (the
# genres are the whole similarity): model S from the whole catalog, model
# P from its id, title and genres alone.  P ranks as S does but knows no
# series (t/29-series.t), so P's answer with n = 5 x 10 is the candidates
# S's path ranks first.  For a user who has started none of the series
# among them, one slot per series keeps the first item of each series;
# the expected answer of S to diversity=D is the greedy re-ranking
# (t/lib/RecsysGreedy.pm) of what is left, which holds fewer than 5 x n
# candidates whenever two of them share a series: the pool is not filled
# up from further down.  Also: pages of one offset + n cut one ranking.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Text::ParseWords qw(parse_line);
use RecsysTest qw(build_model builder tmpdir write_file slurp
                  recsys_locations);
use RecsysGreedy qw(greedy jaccard);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, undef, $err) = builder('gen', '--out', "$tmp/g");
is($rc, 0, 'gen') or BAIL_OUT($err);

# the catalog: each item's series and genres; P's catalog without series
my @rows = split /\n/, slurp("$tmp/g/items.csv");
like(shift @rows, qr/series,season,episode/, 'the sample catalog has series');
my (%series, %genres, @plain);
for my $row (@rows) {
    my @f = parse_line(',', 1, $row);
    push @plain, join(',', @f[0 .. 2]);
    $genres{ $f[0] } = { map { $_ => 1 } grep { length } split /\|/, $f[2] };
    $series{ $f[0] } = $f[6] if defined $f[6] && length $f[6];
}
write_file("$tmp/plain.csv", join("\n", 'id,title,genres', @plain) . "\n");

# what each user has seen, the log's shares of users
my (%seen, %users_of, @users);
my @log = split /\n/, slurp("$tmp/g/interactions.csv");
shift @log;
for my $row (@log) {
    my ($u, $i) = (split /,/, $row)[0, 1];
    push @users, $u unless $seen{$u};
    $seen{$u}{$i} = $users_of{$i}{$u} = 1;
}
my $n_users = @users;

for my $m (['s', "$tmp/g/items.csv"], ['p', "$tmp/plain.csv"]) {
    build_model(interactions => "$tmp/g/interactions.csv",
                items => $m->[1], out => "$tmp/$m->[0].mdb",
                model_id => $m->[0], args => ['--no-content']);
}

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/s', "$tmp/s.mdb"], ['/p', "$tmp/p.mdb"]));


# the started series of u
sub started {
    my ($u) = @_;
    return { map { $series{$_} => 1 } grep { defined $series{$_} }
             keys %{ $seen{$u} } };
}

my ($checked, $short, $same) = (0, 0, 0);
for my $u (@users[0 .. 199]) {
    my $raw = $srv->json("/p?user=$u&n=50")->{items};
    next unless @$raw == 50;
    my $st = started($u);
    next if grep { defined $series{ $_->{id} } && $st->{ $series{ $_->{id} } } }
            @$raw;
    my (%done, @pool);
    for my $it (@$raw) {
        my $s = $series{ $it->{id} };
        next if defined $s && $done{$s}++;
        push @pool, $it;
    }
    my @id = map { $_->{id} } @pool;
    for my $d (0.5, 0.75) {
        my ($want, $margin) = greedy(\@id, [ map { $_->{score} } @pool ],
            [ map { keys(%{ $users_of{$_} || {} }) / $n_users } @id ],
            sub { jaccard(\%genres, @_) }, 10, $d);
        next if $margin < 1e-4;
        $checked++;
        $short++ if @pool < 50;
        my $got = $srv->json("/s?user=$u&diversity=$d")->{items};
        $same++ if join(',', map { $_->{id} } @$got) eq join(',', @$want);
    }
}
ok($checked >= 40, "reference: $checked user lists with clear margins");
ok($short >= 10, "$short of them with series among the first 50");
is($same, $checked, 'the pool is what the first 5 x n candidates leave');

# pages of one offset + n
my $ten = $srv->json("/s?user=$users[3]&diversity=0.5&n=10")->{items};
my $page = $srv->json("/s?user=$users[3]&diversity=0.5&n=4&offset=6")
           ->{items};
is_deeply([ map { $_->{id} } @$page ], [ map { $_->{id} } @$ten[6 .. 9] ],
          'a page cuts the same ranking');

$srv->finish;
done_testing();
