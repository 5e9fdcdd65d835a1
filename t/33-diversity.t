#!/usr/bin/perl

# 33-diversity: diversity=0..1 and recsys_diversity.
#
# The expected answers are computed by a plain greedy re-ranking
# (t/lib/RecsysGreedy.pm), written from the README's definition: the pool
# is the first 5 x n items of the answer without diversity; each step
# takes the candidate with the largest (1 - D) x relevance - D x
# max(similarity to the picked, popularity), relevance being the score
# scaled to [0, 1] over the pool, similarity the Jaccard index of the
# genres (read from the catalog; the model is built without content
# neighbours, so genres are the whole similarity) and popularity (share of
# users / the pool's largest) ^ 1/4, shares counted from the interaction
# file.  Ties go to the better rank.
# Then: diversity=0 is the answer without it, pages cut one ranking, the
# directive sets a default that the argument overrides, bad values are 400
# naming diversity, and a bad directive stops nginx -t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(builder tmpdir write_file);
use RecsysGreedy qw(greedy jaccard);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my %gen = (users => 300, items => 400, events => 8000, seed => 9);
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/g",
                               map { ("--$_", $gen{$_}) } sort keys %gen);
is($rc, 0, 'gen') or diag $err;

# the catalog cut to id,title,genres: without the series attributes the
# answers hold no series slots, so diversity alone decides the order
my $field = qr/(?:"(?:[^"]|"")*"|[^,\n]*)/;
open my $cin, '<', "$tmp/g/items.csv" or die "items.csv: $!";
open my $cout, '>', "$tmp/items.csv" or die "items.csv: $!";
while (my $line = <$cin>) {
    $line =~ /^($field,$field,$field)/ or die "items.csv: $line";
    print $cout "$1\n";
}
close $cout or die;
close $cin;

# without content neighbours: the genres are the whole similarity
my $model = "$tmp/m.mdb";
($rc, $out, $err) = builder('build', '--no-content', '--quiet',
                            '--interactions', "$tmp/g/interactions.csv",
                            '--items', "$tmp/items.csv",
                            '--out', $model, '--model-id', 'div-1');
is($rc, 0, 'build') or diag $err;

my $srv = RecsysTest::start_nginx(locations =>
    RecsysTest::recsys_locations(
        ['/recommend', $model],
        ['/diverse', $model, 'recsys_diversity 0.5'],
        ['/twin', $model],
        ['/weighted', $model, 'recsys_weights itemcf=2'],
        ['/bounded', $model, 'recsys_max_history 5']));

# the catalog's genres and the log's shares of users
my (%genres, %users_of, %all_users);
open my $fh, '<', "$tmp/items.csv" or die;
<$fh>;
while (<$fh>) {
    chomp;
    my @f = split /,/;
    $genres{ $f[0] } = { map { $_ => 1 } grep { length } split /\|/,
                         $f[-1] // '' };
}
close $fh;
open $fh, '<', "$tmp/g/interactions.csv" or die;
<$fh>;
while (<$fh>) {
    my ($u, $i) = split /,/;
    $users_of{$i}{$u} = 1;
    $all_users{$u} = 1;
}
close $fh;
my $n_users = keys %all_users;


# reference(QUERY, N, D): the ids the re-ranking should answer, and the
# smallest margin between the winner and the runner-up over the steps
sub reference {
    my ($q, $n, $d) = @_;
    my $pool = $srv->json("/recommend?$q&n=" . 5 * $n)->{items};
    my @id = map { $_->{id} } @$pool;
    return greedy(\@id, [ map { $_->{score} } @$pool ],
                  [ map { keys(%{ $users_of{$_} || {} }) / $n_users } @id ],
                  sub { jaccard(\%genres, @_) }, $n, $d);
}

sub ids { [ map { $_->{id} } @{ $_[0]{items} } ] }

my @users = map { sprintf 'u%05d', $_ } 1 .. 40;
my ($same, $checked, $changed) = (0, 0, 0);
for my $d (0.25, 0.5, 0.75, 1) {
    for my $u (@users) {
        my ($want, $margin) = reference("user=$u", 10, $d);
        next if $margin < 1e-4;     # too close to call from 6 decimals
        $checked++;
        my $got = ids($srv->json("/recommend?user=$u&diversity=$d"));
        $same++ if join(',', @$got) eq join(',', @$want);
        $changed++ if join(',', @$got)
            ne join(',', @{ ids($srv->json("/recommend?user=$u")) });
    }
}
ok($checked >= 100, "reference: $checked user lists with clear margins");
is($same, $checked, 'the re-ranking is the reference greedy one');
ok($changed > $checked / 2, "diversity changes most lists ($changed)");

# the anonymous popular answer too
my ($want) = reference('user=nobody', 10, 0.5);
is_deeply(ids($srv->json('/recommend?diversity=0.5')), $want,
          'an unknown user: the popular list re-ranked');

# diversity=0 is the answer without it, body and ETag
my ($a0, $r0) = $srv->json('/recommend?user=u00003&diversity=0');
my ($a1, $r1) = $srv->json('/recommend?user=u00003');
is_deeply($a0, $a1, 'diversity=0: the same answer');

# determinism, pages
my $x = $srv->json('/recommend?user=u00003&diversity=0.5');
is_deeply(scalar $srv->json('/recommend?user=u00003&diversity=0.5'), $x,
          'the same answer twice');
my $ten = ids($srv->json('/recommend?user=u00004&diversity=0.5&n=10'));
my $page = ids($srv->json(
    '/recommend?user=u00004&diversity=0.5&n=5&offset=5'));
is_deeply($page, [ @$ten[5 .. 9] ], 'a page cuts the same ranking');

# the directive, and the argument over it
my ($dd, $rd) = $srv->json('/diverse?user=u00003');
is_deeply($dd->{items}, $x->{items}, 'recsys_diversity 0.5: the default');
isnt($rd->{headers}{etag}, $r1->{headers}{etag},
     'the directive changes the ETag');
is_deeply($srv->json('/diverse?user=u00003&diversity=0')->{items},
          $a1->{items}, 'diversity=0 overrides the directive');

# the location's settings that shape an answer are in its ETag: a location
# with the same settings gives the same one, recsys_weights or
# recsys_max_history another (what a reload changing them does)
{
    my %etag = map {
        my (undef, $res) = $srv->json("$_?user=u00003");
        ($_ => $res->{headers}{etag});
    } qw(/recommend /twin /weighted /bounded);
    is($etag{'/twin'}, $etag{'/recommend'}, 'the same settings, the same ETag');
    isnt($etag{'/weighted'}, $etag{'/recommend'},
         'recsys_weights changes the ETag');
    isnt($etag{'/bounded'}, $etag{'/recommend'},
         'recsys_max_history changes the ETag');
}

# bad values
for my $bad ('1.5', '-0.1', 'abc', '0.12345', '', '1.0001', '.5',
             '0.5&diversity=0.5')
{
    my ($e, $r) = $srv->json("/recommend?user=u00003&diversity=$bad");
    is($r->{status}, 400, "diversity=$bad: 400");
    is($e->{message}, 'invalid argument: diversity',
       "diversity=$bad: names the argument");
}

$srv->finish;

# a bad directive: nginx -t refuses the configuration
my $conf = "$tmp/bad.conf";
write_file($conf, "load_module " . RecsysTest::module_path() . ";\n"
    . "events {}\nhttp {\n    server {\n        location / {\n"
    . "            recsys;\n            recsys_model $model;\n"
    . "            recsys_diversity 2;\n        }\n    }\n}\n");
# a sanitizer build of the module needs its runtime first, as in start_nginx
local $ENV{LD_PRELOAD} = $ENV{RECSYS_NGINX_PRELOAD}
    if $ENV{RECSYS_NGINX_PRELOAD};
local $ENV{ASAN_OPTIONS} = 'detect_leaks=0' if $ENV{RECSYS_NGINX_PRELOAD};
my $t = `"@{[RecsysTest::nginx_bin()]}" -t -p $tmp -c $conf 2>&1`;
isnt($?, 0, 'recsys_diversity 2: nginx -t fails');
like($t, qr/recsys_diversity: "2" is not a decimal from 0 to 1/,
     'recsys_diversity 2: the message names the value');

done_testing();
