#!/usr/bin/perl

# answers.pl: the fixed set of requests whose answers must stay
# byte-identical across refactors.
#
#   perl bench/answers.pl OUT           (RECSYS_BUILD, RECSYS_MODULE as in
#                                        the tests; default build/)
#   cmp OUT.before OUT.after
#
# Two models: the generator's sample (seed 7, built with the defaults) and,
# when ../shared/data/ml-latest-small is there, MovieLens (the defaults).
# The requests are derived from the inputs alone (the first users and items
# of the interaction file, in file order), so two builds of the same code
# ask the same questions: every algo for users and items, sessions of one to
# five items, explain, exclude, genre, offset, predict, weights, n, a
# handful of errors, then diversity, filters (the sample's catalogue) and
# strict.  OUT holds, per request, the URL, the status, the ETag
# and the body; the model id is fixed with --model-id so it is the same in
# every run.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../t/lib";

use RecsysTest qw(build_model tmpdir builder movielens_dir);

my $out = shift @ARGV or die "usage: answers.pl OUT\n";
my $tmp = tmpdir();
# every source the builder can make, the slow ones kept short
my @extra = qw(--hmm --lstm --lstm-epochs 2 --als);
my @algos = qw(hybrid itemcf usercf content popular trending cluster assoc
               next markov hmm lstm gru ease rp3beta als);

# first_ids(FILE, COLUMN, N): the first N distinct values of a CSV column
# (header skipped), in file order.
sub first_ids {
    my ($file, $col, $n) = @_;
    my (%seen, @ids);
    open my $fh, '<', $file or die "$file: $!";
    <$fh>;
    while (my $line = <$fh>) {
        my $id = (split /,/, $line)[$col];
        next if $seen{$id}++;
        push @ids, $id;
        last if @ids == $n;
    }
    return @ids;
}

sub urls {
    my ($users, $items, $genre, $filter) = @_;
    my @u;
    for my $a (@algos) {
        for my $user (@$users[0 .. 7]) {
            push @u, "user=$user&algo=$a";
            push @u, "user=$user&algo=$a&explain=1";
        }
        for my $item (@$items[0 .. 5]) {
            push @u, "item=$item&algo=$a";
        }
        for my $k (1 .. 5) {
            my $h = join ',', @$items[$k .. 2 * $k];
            push @u, "history=$h&algo=$a";
            push @u, "history=$h&algo=$a&explain=1&n=20";
            push @u, "user=$users->[$k]&history=$h&algo=$a";
        }
        push @u, "user=nobody&algo=$a";
    }
    for my $user (@$users) {
        push @u, "user=$user";
        push @u, "user=$user&n=50&offset=7";
        push @u, "user=$user&exclude=" . join(',', @$items[0 .. 3]);
        push @u, "user=$user&genre=$genre";
        push @u, "user=$user&genre=$genre&explain=1&n=30";
        push @u, "user=$user&w_itemcf=1&w_popular=0.5&explain=1";
        push @u, "user=$user&predict=1&item=$items->[3]";
        push @u, "user=$user&history=$items->[9]&exclude=$items->[4]";
    }
    for my $item (@$items) {
        push @u, "item=$item";
        push @u, "item=$item&n=100&offset=3";
        push @u, "item=$item&genre=$genre";
    }
    push @u, 'user=', 'n=x&user=a', 'item=nope', 'history=nope',
        'user=a&user=b', 'offset=99999999999', 'algo=nope&user=a',
        'user=%ff', 'n=0&user=a';
    # the request-time rules (added after the rest, so that the answers
    # above keep their places): diversity over stored lists and sessions,
    # attribute filters where the catalogue has attributes, strict
    for my $user (@$users[0 .. 19]) {
        push @u, "user=$user&diversity=0.5";
        push @u, "user=$user&diversity=0.3&n=20&offset=3&explain=1";
        push @u, "user=$user&filter=" . $filter if defined $filter;
    }
    for my $k (1 .. 5) {
        my $h = join ',', @$items[$k .. 2 * $k];
        push @u, "history=$h&diversity=0.75";
        push @u, "history=$h&filter=$filter&n=15" if defined $filter;
    }
    push @u, "user=$_&algo=assoc&strict=1" for @$users[0 .. 9];
    # sessions longer than recsys_session_neighbors reads in full (20
    # items share 300 entries), anonymous and of known users, added after
    # the rest as the rules were
    for my $k (0 .. 3) {
        my $h = join ',', @$items[$k * 5 .. $k * 5 + 19];
        push @u, "history=$h";
        push @u, "history=$h&algo=itemcf&n=20";
        push @u, "history=$h&explain=1";
        push @u, "user=$users->[$k]&history=$h&explain=1";
    }
    return @u;
}

sub run_set {
    my ($fh, $name, $model, $users, $items, $genre, $filter) = @_;
    my $srv = RecsysTest::start_nginx(locations => <<"EOF");
        location /recommend { recsys; recsys_model $model; }
EOF
    for my $q (urls($users, $items, $genre, $filter)) {
        my $r = $srv->get("/recommend?$q");
        print {$fh} "== $name $q\n$r->{status} ",
            ($r->{headers}{etag} // '-'), "\n", $r->{content} // '', "\n";
    }
    $srv->stop;
}

open my $fh, '>', $out or die "$out: $!";

my ($rc, undef, $err) = builder('gen', '--out', "$tmp/sample");
die "gen: $err" if $rc;
build_model(interactions => "$tmp/sample/interactions.csv",
            items => "$tmp/sample/items.csv", out => "$tmp/sample.mdb",
            model_id => 'answers-sample', args => \@extra);
run_set($fh, 'sample', "$tmp/sample.mdb",
        [first_ids("$tmp/sample/interactions.csv", 0, 40)],
        [first_ids("$tmp/sample/interactions.csv", 1, 40)], 'Drama',
        'year%3E%3D1990%2Cregions~US%7CFR');

my $ml = movielens_dir();
if (-f "$ml/ratings.csv") {
    build_model(interactions => "$ml/ratings.csv", items => "$ml/movies.csv",
                out => "$tmp/ml.mdb", model_id => 'answers-ml', args => \@extra);
    run_set($fh, 'ml', "$tmp/ml.mdb", [first_ids("$ml/ratings.csv", 0, 40)],
            [first_ids("$ml/ratings.csv", 1, 40)], 'Comedy');
} else {
    print STDERR "answers.pl: $ml missing, MovieLens requests skipped\n";
}

close $fh or die "$out: $!";
my $n = 0;
open $fh, '<', $out or die;
while (<$fh>) { $n++ if /^== / }
print "answers.pl: $n answers in $out\n";
