#!/usr/bin/perl

# 27-events-rotation: recsys_impressions on; recsys_rotation N.
#
# t/data/sess-ratings.csv.  The full ranking comes from a location without
# impressions (/all); /r counts what it shows, with recsys_rotation 2.
# Checks: the first two answers of n=3 are the ranking's first three; the
# third moves them below the unshown ones (the ranking's 4th to 6th), and
# n=6 then is the 4th to 9th; a visitor without events
# rotates the popular items the same way (the answer counted is the one
# sent: the ETag changes with the answer that differs); the next page
# (offset=3) after the move starts below the moved items; a pinned item
# keeps its place while the shown ones around it move (/rp, rotation 1);
# with impressions off nothing moves; in a full zone of 64 pages, one
# answer's impressions drop at most 10 users; recsys_rotation out of range
# is refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use RecsysTest qw(build_model tmpdir write_file);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/sess-ratings.csv",
                        model_id => 'rot-1',
                        args => ['--neighbors', 5]);

# the overrides of /rp: the popular ranking's 6th item pinned first
my $tmp = tmpdir();
my $popular = do {
    my $probe = RecsysTest::start_nginx(
        http => "    recsys_model $model;\n",
        locations => "        location = /all { recsys; }\n");
    my @p = map { $_->{id} }
            @{ $probe->json('/all?algo=popular&n=20')->{items} };
    $probe->finish;
    \@p;
};
write_file("$tmp/ovr.txt", "pin $popular->[5] 1\n");

my $srv = RecsysTest::start_nginx(
    http => "    recsys_events zone=live:1m;\n"
            . "    recsys_model $model;\n",
    locations => <<"EOF");
        location = /event { recsys_event; }
        location = /r { recsys; recsys_impressions on; recsys_rotation 2; }
        location = /rp {
            recsys; recsys_impressions on; recsys_rotation 1;
            recsys_overrides $tmp/ovr.txt;
        }
        location = /all { recsys; }
EOF

my $json = JSON::PP->new->utf8->canonical;

sub ids { join ' ', map { $_->{id} } @{ $_[0]{items} } }

sub post {
    return $srv->request('POST', '/event',
        { content => $json->encode($_[0]),
          headers => { 'content-type' => 'application/json' } })->{status};
}

for my $case (['v1', 'algo=hybrid'], ['p1', 'algo=popular']) {
    my ($u, $q) = @$case;
    if ($u eq 'v1') {
        is(post({ user => 'v1', item => '1', type => 'play' }), 204,
           'v1: an event');
    }
    my @all = split ' ', ids($srv->json("/all?user=$u&$q&n=20"));
    ok(@all >= 9, "$u: the full ranking has at least 9 items");
    my ($d1, $r1) = $srv->json("/r?user=$u&$q&n=3");
    is(ids($d1), "@all[0 .. 2]", "$u: first answer, the first three");
    my ($d2, $r2) = $srv->json("/r?user=$u&$q&n=3");
    is(ids($d2), "@all[0 .. 2]", "$u: second answer, the same");
    is($r2->{headers}{etag}, $r1->{headers}{etag},
       "$u: the same answer, the same ETag");
    my ($d3, $r3) = $srv->json("/r?user=$u&$q&n=3");
    is(ids($d3), "@all[3 .. 5]",
       "$u: third answer, the shown ones below the unshown");
    isnt($r3->{headers}{etag}, $r2->{headers}{etag},
         "$u: a new answer, a new ETag");
    my $d4 = $srv->json("/r?user=$u&$q&n=6");
    is(ids($d4), "@all[3 .. 8]",
       "$u: n=6, every unshown item before the shown ones");
}

# the next page moves as the first does: the items shown twice on page 1
# went below every unshown one, so page 2 (offset=3) starts at the
# ranking's 7th item, not again at the 4th
{
    my @all = split ' ', ids($srv->json('/all?user=p3&algo=popular&n=20'));
    $srv->json('/r?user=p3&algo=popular&n=3') for 1 .. 2;
    is(ids($srv->json('/r?user=p3&algo=popular&n=3')), "@all[3 .. 5]",
       'p3: page 1, third answer: the 4th to 6th');
    is(ids($srv->json('/r?user=p3&algo=popular&n=3&offset=3')),
       "@all[6 .. 8]",
       'p3: page 2 after it: the 7th to 9th (the first three moved down)');
}

# a pin keeps its place: with recsys_rotation 1 and the 6th item pinned
# first, the second answer keeps it first and moves the two others shown
{
    my @all = @$popular;
    is(ids($srv->json('/rp?user=p2&algo=popular&n=3')), "@all[5, 0, 1]",
       'pinned: first answer, the pin then the ranking');
    is(ids($srv->json('/rp?user=p2&algo=popular&n=3')), "@all[5, 2, 3]",
       'pinned: second answer, the pin stays first, the shown ones move');
}

# /all never counted anything
is(ids($srv->json('/all?user=p1&algo=popular&n=3')),
   join(' ', (split ' ', ids($srv->json('/all?user=p1&algo=popular&n=20')))
             [0 .. 2]),
   'impressions off: nothing moves');

$srv->finish;

# a full zone of 64 pages: one answer's impressions for a new visitor make
# room by dropping a few users, not most of the zone (with per_user=50 the
# nodes are 512-byte chunks, with per_user=4 128-byte ones, the impressions
# 256 bytes); the users are posted again in another order first, so that
# the least recently active are spread over the slab's pages
for my $per_user (50, 4) {
    my $z = RecsysTest::start_nginx(
        http => "    recsys_events zone=full:" . 64 * 4096
                . " per_user=$per_user;\n    recsys_model $model;\n",
        locations => <<'EOF');
        location = /event { recsys_event; }
        location = /r { recsys; recsys_impressions on; }
        location = /recsys-status { recsys_status; }
EOF
    my $zpost = sub {
        return $z->request('POST', '/event',
            { content => $json->encode($_[0]),
              headers => { 'content-type' => 'application/json' } })
            ->{status};
    };
    my $n = 0;
    while ($z->json('/recsys-status')->{events}{evicted} == 0 && $n < 20000) {
        $zpost->([map { { user => "f$_", item => '1', type => 'play' } }
                  $n .. $n + 99]);
        $n += 100;
    }
    my @order = map { ($_ * 7919) % $n } 0 .. $n - 1;   # 7919 is prime
    for (my $i = 0; $i < $n; $i += 100) {
        my $j = $i + 99 < $n - 1 ? $i + 99 : $n - 1;
        $zpost->([map { { user => "f$_", item => '2', type => 'play' } }
                  @order[$i .. $j]]);
    }
    my $before = $z->json('/recsys-status')->{events};
    my ($d) = $z->json('/r?user=newcomer&n=3');
    my $after = $z->json('/recsys-status')->{events};
    ok(scalar @{ $d->{items} }, "per_user=$per_user: the newcomer's answer");
    cmp_ok($after->{evicted} - $before->{evicted}, '<=', 10,
           "per_user=$per_user: one answer's impressions drop at most 10 of "
           . "$before->{users} users");
    $z->finish;
}

# a catalogue of 100 items, pNN shown by 100 - NN users, so that the
# popular ranking is p00 .. p99; pages of 20 with recsys_rotation 2 against
# a reference of the rule: each answer is the ranking with the items shown
# twice or more after the others (each group in its order), its first 20;
# the 32 items shown last are remembered, the least recently shown one
# forgotten first (it comes back up).  The answers move on over the whole
# catalogue, and an answer that differs from the one before has another ETag.
my @cat = map { sprintf 'p%02d', $_ } 0 .. 99;
{
    my $csv = "user,item\n";
    for my $i (0 .. 99) {
        $csv .= "c$_,$cat[$i]\n" for 1 .. 100 - $i;
    }
    write_file("$tmp/cat.csv", $csv);
}
my $cat_model = build_model(interactions => "$tmp/cat.csv",
                            model_id => 'cat-1',
                            out => "$tmp/cat.mdb");
my $model2 = build_model(interactions => "$data/sess-ratings.csv",
                         model_id => 'rot-2', out => "$tmp/rot2.mdb",
                         args => ['--neighbors', 5]);
my $cs = RecsysTest::start_nginx(
    http => "    recsys_events zone=cat:1m;\n    recsys_model $cat_model;\n",
    locations => <<"EOF");
        location = /event { recsys_event; }
        location = /rb { recsys; recsys_impressions on; recsys_rotation 2; }
        location = /all { recsys; }
        location = /m2 { recsys; recsys_model $model2; }
        location = /m2/event { recsys_event; recsys_model $model2; }
EOF
is(ids($cs->json('/all?algo=popular&n=100')), "@cat",
   'catalogue: the popular ranking is p00 .. p99');
{
    my @lru;            # [item, times], the least recently shown first
    my ($prev, $prev_tag) = ('', '');
    my ($ok_all, $tags_ok, $run, $longest) = (1, 1, 0, 0);
    for my $k (1 .. 14) {
        my %times = map { $_->[0] => $_->[1] } @lru;
        my @want = ((grep { ($times{$_} // 0) < 2 } @cat),
                    (grep { ($times{$_} // 0) >= 2 } @cat))[0 .. 19];
        my ($d, $res) = $cs->json('/rb?user=zz&algo=popular&n=20');
        my $got = ids($d);
        if ($got ne "@want") {
            $ok_all = 0;
            diag "answer $k: got $got\n  want @want";
        }
        my $tag = $res->{headers}{etag} // '';
        if ($got ne $prev && $tag eq $prev_tag) {
            $tags_ok = 0;
            diag "answer $k differs from the one before with its ETag $tag";
        }
        $run = $got eq $prev ? $run + 1 : 1;
        $longest = $run > $longest ? $run : $longest;
        ($prev, $prev_tag) = ($got, $tag);
        for my $it (@want) {
            my ($i) = grep { $lru[$_][0] eq $it } 0 .. $#lru;
            my $e = defined $i ? splice(@lru, $i, 1) : [$it, 0];
            shift @lru if !defined $i && @lru == 32;
            $e->[1]++;
            push @lru, $e;
        }
    }
    ok($ok_all, 'rotation over 14 pages of 20: each answer as the rule says');
    ok($tags_ok, 'rotation: every answer unlike the one before has a new ETag');
    is($longest, 2, 'rotation: no page is shown more than twice in a row');
}

# a HEAD shows nothing: three of them count nothing
{
    for (1 .. 3) {
        is($cs->request('HEAD', '/rb?user=hd&algo=popular&n=5')->{status},
           200, 'HEAD: 200');
    }
    is(ids($cs->json('/rb?user=hd&algo=popular&n=5')), "@cat[0 .. 4]",
       'after three HEADs the first GET is the ranking\'s first five');
}

# two models with live events in one worker: each location's model keeps
# its own item table, made once, however the requests alternate
{
    my $post2 = sub {
        return $cs->request('POST', $_[0],
            { content => $json->encode($_[1]),
              headers => { 'content-type' => 'application/json' } })
            ->{status};
    };
    is($post2->('/event', { user => 'two', item => 'p03', type => 'play' }),
       204, 'two models: an event for the catalogue');
    is($post2->('/m2/event', { user => 'two', item => '1', type => 'play' }),
       204, 'two models: an event for the second model');
    my ($a1, $a2);
    for (1 .. 10) {
        $a1 = ids($cs->json('/all?user=two&algo=popular&n=3'));
        $a2 = ids($cs->json('/m2?user=two&algo=itemcf&n=3'));
    }
    is($a1, 'p00 p01 p02', 'two models: the catalogue\'s answer leaves p03');
    is($a2, ids($cs->json('/m2?history=1&algo=itemcf&n=3')),
       'two models: the second model\'s answer is its history=1\'s');
    my @made = $cs->error_log =~ /item table of live events made/g;
    is(scalar @made, 2,
       'two models alternating: two item tables made, once each');
}
$cs->finish;

my $ok = eval {
    RecsysTest::start_nginx(
        http => "    recsys_events zone=live:1m;\n",
        locations => "        location = /r { recsys_rotation 0; }\n");
    1;
};
ok(!$ok && $@ =~ /recsys_rotation must be from 1 to 1000/,
   'recsys_rotation 0: refused') or diag $@;

done_testing();
