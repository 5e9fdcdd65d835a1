#!/usr/bin/perl

# 62-live-merge: a user's live events merged into the request's history:
# each item once, at the place of its newest event, with the weights of
# all its events summed (recsys_live_merge), and only the newest per_user
# events kept by the zone.
#
# t/data/sess-ratings.csv (8 users, 10 items, --neighbors 5 --history 3)
# and the brute-force item-CF reference of RecsysRef.  The merge is done
# here by hand over the posted events (newest first, a hash of sums), and
# the answer must be the reference's for that weighted history: visitors
# with many repeats of few items, every weight of the builder's defaults
# (play 1, like 3, favorite 5, skip -1, dislike -3), more events than the
# zone keeps, all events on one item; and a known user, whose live history
# comes before the stored one.  history= with repeats is merged alike.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use RecsysTest qw(build_model tmpdir check_items);
use RecsysRef qw(parse_interactions model_ref);

RecsysTest::skip_unless_built();

# the session fixture: 5 neighbours, 3 history items, as the reference
my %fix = (dir => "$FindBin::Bin/data", K => 5, H => 3);
my $m = model_ref(rows => parse_interactions("$fix{dir}/sess-ratings.csv"),
                  K => $fix{K}, H => $fix{H});
my $model = build_model(
    interactions => "$fix{dir}/sess-ratings.csv",
    items => "$fix{dir}/sess-items.csv", out => tmpdir() . '/merge.mdb',
    model_id => 'merge-1', args => ['--neighbors', $fix{K}, '--history',
                                    $fix{H}]);

my $per_user = 12;
my $srv = RecsysTest::start_nginx(
    http => "    recsys_events zone=live:1m per_user=$per_user ttl=1h;\n"
            . "    recsys_model $model;\n",
    locations => <<'EOF');
        location = /event { recsys_event; }
        location = /r { recsys; }
EOF
my $base = "http://127.0.0.1:$srv->{port}";
my $http = HTTP::Tiny->new(timeout => 10);
my $json = JSON::PP->new->utf8->canonical;
my %weight = (play => 1, like => 3, favorite => 5, skip => -1,
              dislike => -3);

# post($user, [[item, type], ...]): one event a POST, in order (oldest
# first), each answered 204
sub post {
    my ($user, $events) = @_;
    my $ok = 1;
    for my $e (@$events) {
        my $res = $http->request('POST', "$base/event", {
            headers => { 'content-type' => 'application/json' },
            content => $json->encode({ user => $user, item => "$e->[0]",
                                       type => $e->[1] }) });
        $ok &&= $res->{status} == 204;
    }
    ok($ok, "$user: " . scalar(@$events) . ' events posted');
}

sub rec {
    my ($q) = @_;
    my $res = $http->get("$base/r?$q");
    die "GET /r?$q: $res->{status} $res->{content}" if $res->{status} != 200;
    return decode_json($res->{content});
}

# merged(\@events): the newest per_user events, newest first, each item
# once with its weights summed: [[item, weight], ...]
sub merged {
    my ($events) = @_;
    my @kept = @$events > $per_user ? @$events[-$per_user .. -1] : @$events;
    my (%sum, @order);
    for my $e (reverse @kept) {
        push @order, $e->[0] unless exists $sum{ $e->[0] };
        $sum{ $e->[0] } += $weight{ $e->[1] };
    }
    return [map { [$_, $sum{$_}] } @order];
}

# check($user, \@events, %o): the answer of the user's live events is the
# reference's for the merged history (a known user's stored history after
# it), none of the live items (nor, for a known user, what it has seen)
# among the results; only the results that score above zero, however many
# are asked
sub check {
    my ($user, $events, $name, %o) = @_;
    post($user, $events);
    my $hist = merged($events);
    my %live = map { $_->[0] => 1 } @$hist;
    my %seen = (%live, %{ $o{seen} || {} });
    if ($o{stored}) {
        my $s = $m->session_hist([], user => $user);
        $hist = [@$hist, @$s];
    }
    my @want = grep { $_->[1] > 0 }
               @{ $m->score_hist($hist, pass => sub { !$seen{ $_[0] } }) };
    SKIP: {
        skip "$name: nothing scores above zero", 2 unless @want;
        my $d = rec("user=$user&algo=itemcf&n=" . (@want + 5));
        check_items($d->{items}, \@want, $name);
    }
}

# repeats of three items, every type, fewer events than the zone keeps
check('v1', [[1, 'play'], [5, 'like'], [1, 'play'], [2, 'favorite'],
             [5, 'skip'], [1, 'like'], [2, 'play'], [5, 'play']],
      'repeats of 1, 5, 2 with their weights summed');

# more events than per_user: the oldest are gone, their items with them
check('v2', [[3, 'favorite'], [3, 'favorite'], [4, 'like'],
             (map { [$_ % 2 ? 1 : 6, $_ % 3 ? 'play' : 'like'] } 1 .. 11),
             [7, 'dislike'], [1, 'skip']],
      'the newest 12 of 16 events');

# one item only, many times: one history entry
check('v3', [map { [8, 'play'] } 1 .. 15], 'one item fifteen times');

# a newest event moves its item to the front
check('v4', [[2, 'play'], [9, 'play'], [4, 'play'], [2, 'like']],
      'an item again is at the place of its newest event');

# a known user: the merged live history ahead of the stored one
check('s4', [[2, 'play'], [3, 'like'], [2, 'play'], [9, 'skip']],
      'a known user: merged live events, then the stored history',
      stored => 1, seen => $m->{seen}{s4});

# a play and a dislike: the dislike's neighbours that the play does not
# lift above zero are left out
check('v6', [[1, 'play'], [4, 'dislike']],
      'a play and a dislike: the candidates above zero');

# negative events alone: nothing scores above zero, and the answer is the
# popular fallback's (the live items left out), as for the hybrid
post('v5', [[4, 'dislike'], [7, 'skip']]);
for my $algo (qw(itemcf hybrid)) {
    my $d = rec("user=v5&algo=$algo&n=5");
    my @want = grep { $_->[0] ne '4' && $_->[0] ne '7' } @{ $m->{popular} };
    check_items($d->{items}, [@want[0 .. 4]],
                "v5, dislike and skip only ($algo): popular items");
    is($d->{fallback} // 'null', $algo eq 'hybrid' ? 'null' : 'popular',
       "v5 ($algo): fallback");
}

# history= with repeats is merged as live events are: history=1,5,1 is
# item 1 (weight 2, newest) and item 5, answers what the live events 1, 5,
# 1 answer, and explain=1 names each history item once
post('v7', [[1, 'play'], [5, 'play'], [1, 'play']]);
my @rep = grep { $_->[1] > 0 }
          @{ $m->score_hist([[1, 2], [5, 1]],
                            pass => sub { $_[0] ne '1' && $_[0] ne '5' }) };
check_items(rec('history=1,5,1&algo=itemcf&n=' . (@rep + 5))->{items}, \@rep,
            'history=1,5,1: the reference for 1 (weight 2) and 5');
for my $q ('algo=itemcf&n=5&explain=1', 'n=5&explain=1', 'n=5') {
    my ($h, $l) = (rec("history=1,5,1&$q"), rec("user=v7&$q"));
    delete $_->{user} for $h, $l;
    is_deeply($h, $l, "history=1,5,1 answers as live events 1, 5, 1 ($q)");
    is(scalar(grep { my %b; grep { $b{$_}++ } @{ $_->{because} || [] } }
              @{ $h->{items} }),
       0, "history=1,5,1 ($q): no history item named twice");
}

done_testing();
