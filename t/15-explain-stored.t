#!/usr/bin/perl

# 15-explain-stored: explain=1 answered from the builder's stored
# explanations ("user.explain") is byte for byte what the request-time walk
# answers.
#
# The same synthetic log (recsys-build gen) is built four times with one
# model id: with the default --explain-top 20, with --explain-top 2 (most
# requests need results past the stored records and walk instead), with
# --explain-top 0 (nothing stored: every request walks, the reference), and
# with --explain-history 1 (stored for another credit depth).  For every
# user and a set of requests (n, offset, exclude=, genre=, n past the
# stored records, a session, the request's own weights) the stored models
# must answer exactly what the model without them answers; a location whose
# recsys_explain_history differs from the stored one walks, and one whose
# matches reads them, both again equal to the walk.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(builder build_model tmpdir slurp);

RecsysTest::skip_unless_built();

my $tmp = tmpdir();
my ($rc, $out, $err) = builder('gen', '--out', "$tmp/g", '--seed', 7);
is($rc, 0, 'gen exits 0') or diag $err;

my %model;
for my $m (['s20', []], ['s2', ['--explain-top', 2]],
           ['none', ['--explain-top', 0]],
           ['h1', ['--explain-history', 1]])
{
    $model{ $m->[0] } = build_model(
        interactions => "$tmp/g/interactions.csv",
        items => "$tmp/g/items.csv", out => "$tmp/$m->[0].mdb",
        model_id => 'explain-stored', args => $m->[1]);
}

# what each model says it stores (its params)
for my $m (['s20', 20, 20], ['s2', 2, 20], ['none', 0, 20], ['h1', 20, 1]) {
    my ($rc, $out) = builder('inspect', $model{ $m->[0] }, 'stats');
    like($out, qr/"explain_top":\s*$m->[1]\b/, "$m->[0]: explain_top $m->[1]");
    like($out, qr/"explain_history":\s*$m->[2]\b/,
         "$m->[0]: explain_history $m->[2]");
}
cmp_ok(-s $model{s20}, '>', -s $model{none},
       'the stored explanations take room in the file');

my $srv = RecsysTest::start_nginx(locations => join '', map { <<"EOF" }
        location = /$_->[0] {
            recsys;
            recsys_model $model{ $_->[1] };
            recsys_max_n 50;
            recsys_explain_history $_->[2];
        }
EOF
    ['s20', 's20', 20], ['s2', 's2', 20], ['none', 'none', 20],
    ['h1', 'h1', 1], ['none1', 'none', 1], ['h1x', 'h1', 20]);

# users and the items they rated, from the log
my (%items_of, @users);
for my $line (split /\n/, slurp("$tmp/g/interactions.csv")) {
    next if $line =~ /^userId/;
    my ($u, $i) = split /,/, $line;
    push @users, $u unless $items_of{$u};
    $items_of{$u}{$i} = 1;
}
@users = @users[0 .. 79] if @users > 80;

my ($n_req, $n_explained, $n_sourced, $n_because, @diff) = (0, 0, 0, 0);

sub esc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub same {
    my ($q, @pairs) = @_;
    for my $p (@pairs) {
        my ($a, $b) = map { $srv->get("/$_?$q") } @$p;
        $n_req++;
        if ($a->{status} != 200 || $a->{status} != $b->{status}
            || $a->{content} ne $b->{content})
        {
            push @diff, "/$p->[0] vs /$p->[1]: $q";
        }
    }
}

for my $u (@users) {
    my $plain = $srv->json("/none?user=$u&explain=1");
    my @items = @{ $plain->{items} || [] };
    $n_explained += @items;
    for my $it (@items) {
        $n_sourced++ if %{ $it->{sources} || {} };
        $n_because++ if @{ $it->{because} || [] };
    }

    my @genres = map { @{ $_->{genres} || [] } } @items;
    my @q = ("user=$u&explain=1", "user=$u&explain=1&n=1",
             "user=$u&explain=1&n=3&offset=1",
             "user=$u&explain=1&n=19", "user=$u&explain=1&n=25",
             "user=$u&explain=1&n=5&offset=16");
    push @q, "user=$u&explain=1&exclude=$items[0]{id},$items[2]{id}"
        if @items > 2;
    push @q, "user=$u&explain=1&genre=" . esc($genres[0]) if @genres;
    push @q, "user=$u&explain=1&history=$items[0]{id}" if @items;
    push @q, "user=$u&explain=1&w_itemcf=2";

    for my $q (@q) {
        same($q, ['s20', 'none'], ['s2', 'none'], ['h1', 'none1'],
             ['h1x', 'none']);
    }
}

ok(!@diff, "$n_req answers with stored explanations equal the walk's")
    or diag join "\n", @diff[0 .. ($#diff < 20 ? $#diff : 19)];
cmp_ok($n_explained, '>=', 10 * @users * 0.9,
       'the users have explained answers to compare');
cmp_ok($n_sourced, '==', $n_explained, 'every explained item has sources');
cmp_ok($n_because, '>=', $n_explained / 10,
       'explained items name history items (a tenth or more)');

$srv->stop;
done_testing();
