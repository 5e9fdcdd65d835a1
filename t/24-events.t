#!/usr/bin/perl

# 24-events: POST /event into the shared events zone, and the next
# /recommend of that user answered with them, with two workers.
#
# t/data/sess-ratings.csv (8 users, 10 items, --neighbors 5 --history 3)
# and the brute-force item-CF reference of RecsysRef.  Checks: an event
# posted through one worker changes the answer of the other (both pids
# seen, through a reuseport listener that spreads connections); a visitor
# with no stored history after play events on A, B, C gets exactly the
# answer of history=A,B,C (items, order and scores, itemcf and hybrid), and
# the reference's; the builder's event weights (like 3, skip -1) weigh the
# live history and a skipped item's neighbours go down; explain=1 credits
# live items; live events are newer than the request's own history= (with
# recsys_max_history 1, live 2 and history=6 answer as history=6,2); an
# erased user (the overrides file), known to the model or not, is answered
# as a stranger after posting events; a known user's live events come
# before the stored history
# (item-CF), are added to the stored hybrid list as history= is (hybrid),
# and when all negative give the per-source blend;
# the ETag follows the live state; a body in a temporary file is read;
# DELETE forgets; recsys_user overrides the
# body's user, whatever it holds; every bad body is a JSON 400 that stores nothing; 405 says
# Allow: POST, DELETE; /recsys-status counts the zone (JSON, Prometheus).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use RecsysTest qw(build_model tmpdir check_items check_error write_file);
use RecsysRef qw(parse_interactions model_ref);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my $csv = "$data/sess-ratings.csv";
my $m = model_ref(rows => parse_interactions($csv), K => 5, H => 3);

my $model = build_model(interactions => $csv, items => "$data/sess-items.csv",
                        out => "$tmp/sess.mdb", model_id => 'sess-1',
                        args => ['--neighbors', 5, '--history', 3]);

# /ro: the same with an overrides file that erases a known user and an id
# the model never saw
write_file("$tmp/ovr.txt", "erase s6\nerase x-erased\n");

my $port2 = RecsysTest::free_port();
my $srv = RecsysTest::start_nginx(
    workers => 2,
    http => "    recsys_events zone=live:1m per_user=20 ttl=1h;\n"
            . "    recsys_model $model;\n",
    server => "        listen 127.0.0.1:$port2 reuseport;\n"
              . "        add_header X-Pid \$pid always;\n",
    locations => <<'EOF' =~ s/%OVR%/$tmp\/ovr.txt/r);
        location = /event { recsys_event; recsys_max_events 4; }
        location = /event-trusted {
            recsys_event;
            recsys_user $http_x_user;
        }
        location = /event-big {
            recsys_event;
            client_body_buffer_size 1k;
        }
        location = /r { recsys; }
        location = /r1 { recsys; recsys_max_history 1; }
        location = /ro { recsys; recsys_overrides %OVR%; }
        location = /recsys-status { recsys_status; }
EOF

my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
my $json = JSON::PP->new->utf8->canonical;

# req($method, $path, $body, \%headers): over a new connection to the
# reuseport listener, so that either worker may answer.
sub req {
    my ($method, $path, $body, $h) = @_;
    my %o = (headers => { %{ $h || {} } });
    if (defined $body) {
        $o{content} = ref $body ? $json->encode($body) : $body;
        $o{headers}{'content-type'} //= 'application/json';
    }
    return $http->request($method, "http://127.0.0.1:$port2$path", \%o);
}

sub post { req('POST', $_[0] // '/event', $_[1], $_[2]) }

sub rec {
    my ($q) = @_;
    my $res = req('GET', "/r?$q");
    die "GET /r?$q: $res->{status} $res->{content}" if $res->{status} != 200;
    return (decode_json($res->{content}), $res);
}

sub f4 { join ' ', map { sprintf '%s:%.4f', $_->{id}, $_->{score} } @_ }

sub ev {
    my ($user, $item, $type) = @_;
    return { user => $user, item => "$item", type => $type // 'play' };
}

# --- the equivalence: live A, B, C is history=A,B,C ---------------------

my %pids;
my $r = post(undef, [map { ev('v1', $_) } 1, 5, 2]);
is($r->{status}, 204, 'POST three play events: 204');
is($r->{content} // '', '', '204 has no body');
$pids{ $r->{headers}{'x-pid'} }++;

for my $algo (qw(itemcf hybrid)) {
    my ($live) = rec("user=v1&algo=$algo&n=20");
    my ($hist) = rec("history=1,5,2&algo=$algo&n=20");
    ok(@{ $live->{items} } > 0, "$algo: the visitor gets items");
    is(f4(@{ $live->{items} }), f4(@{ $hist->{items} }),
       "$algo: live 1,5,2 answers exactly as history=1,5,2");
    is($live->{fallback}, undef, "$algo: no fallback with live events");
}

# the reference: play weighs 1; the newest first; played items are seen
{
    my ($d) = rec('user=v1&algo=itemcf&n=20');
    check_items($d->{items},
                $m->score_hist([[2, 1], [5, 1], [1, 1]],
                               pass => sub { $_[0] !~ /\A[152]\z/ }),
                'reference: live 1,5,2');
}

# both workers: the event goes through one, /recommend from the other sees
# it; a new visitor each round so that no answer comes from before
{
    my ($seen_other, $rounds) = (0, 0);
    while ($rounds++ < 60 && !$seen_other) {
        my $u = "w$rounds";
        my $p = post(undef, ev($u, 'k'));
        next unless $p->{status} == 204;
        $pids{ $p->{headers}{'x-pid'} }++;
        for (1 .. 10) {
            my ($d, $res) = rec("user=$u&algo=itemcf&n=3");
            $pids{ $res->{headers}{'x-pid'} }++;
            next if $res->{headers}{'x-pid'} eq $p->{headers}{'x-pid'};
            $seen_other = !defined $d->{fallback}
                          && !grep { $_->{id} eq 'k' } @{ $d->{items} };
            last;
        }
    }
    is(scalar keys %pids, 2, 'both workers answered') or diag explain \%pids;
    ok($seen_other, 'an event through one worker changes the answer of '
                    . 'the other');
}

# --- weights: like 3, skip -1 ------------------------------------------

is(post(undef, [ev('v2', 1), ev('v2', 5, 'like'), ev('v2', 7, 'SKIP')])
       ->{status}, 204, 'play, like, skip (type names ignore case): 204');
{
    my $ref = $m->score_hist([[7, -1], [5, 3], [1, 1]],
                             pass => sub { $_[0] !~ /\A[157]\z/ });
    my @pos = grep { $_->[1] > 0 } @$ref;
    my ($d) = rec('user=v2&algo=itemcf&n=' . scalar @pos);
    check_items($d->{items}, \@pos, 'reference: play 1, like 5, skip 7');
    ok(!(grep { $_->{id} =~ /\A[157]\z/ } @{ $d->{items} }),
       'every live item is seen, the skipped one too');

    # the skip alone takes 7's neighbours down against the same history
    my ($noskip) = rec('history=1,5,5,5&algo=itemcf&n=20');
    my %before = map { $_->{id} => $_->{score} } @{ $noskip->{items} };
    my $nb = $m->nb(7)->[0][0];
    my ($after) = grep { $_->[0] eq $nb } @$ref;
    ok(!defined $after || !defined $before{$nb}
       || $after->[1] < $before{$nb} - 1e-4,
       "7's best neighbour $nb scores less after skip 7");
}

# --- explain: live items are credited ----------------------------------
{
    my ($d) = rec('user=v1&algo=itemcf&n=3&explain=1');
    my %live = map { $_ => 1 } 1, 5, 2;
    ok(@{ $d->{items} } && !(grep { !@{ $_->{because} || [] } }
                             @{ $d->{items} }),
       'explain=1: every item says because');
    ok(!(grep { !$live{$_} } map { @{ $_->{because} } } @{ $d->{items} }),
       'explain=1: because names live items');
}

# --- live events are newer than the request's own history= --------------
# with one history item walked (recsys_max_history 1), a visitor's live 2
# and history=6 answer as history=6,2 (the newest last), not as 2,6
{
    is(post(undef, ev('v9', 2))->{status}, 204, 'v9 plays 2: 204');
    my $r1 = sub {
        my $res = req('GET', "/r1?$_[0]&algo=itemcf&n=20");
        die "GET /r1?$_[0]: $res->{status}" if $res->{status} != 200;
        return f4(@{ decode_json($res->{content})->{items} });
    };
    isnt($r1->('history=6,2'), $r1->('history=2,6'),
         'max_history 1: history=6,2 and history=2,6 differ');
    is($r1->('user=v9&history=6'), $r1->('history=6,2'),
       'live 2 with history=6 answers as history=6,2: the live item is the '
       . 'newest');
}

# --- erased users: their live events are not used ----------------------
# the overrides file erases s6 (a known user) and x-erased (an id the model
# never saw): after play events, each is still answered as a stranger
{
    my $stranger = f4(@{ (rec('user=nobody-1&algo=itemcf&n=20'))[0]{items} });
    for my $u (qw(s6 x-erased)) {
        is(post(undef, [map { ev($u, $_) } 1, 5])->{status}, 204,
           "$u plays 1 and 5");
        my $res = req('GET', "/ro?user=$u&algo=itemcf&n=20");
        is($res->{status}, 200, "$u: /ro answers");
        my $d = decode_json($res->{content});
        is(f4(@{ $d->{items} }), $stranger, "$u, erased: a stranger's answer");
        is($d->{fallback}, 'popular', "$u, erased: the popular fallback");
    }
    isnt(f4(@{ (rec('user=x-erased&algo=itemcf&n=20'))[0]{items} }),
         $stranger, 'x-erased where nothing erases it: the live answer');
}

# --- a known user: live events ahead of the stored history --------------
{
    is(post(undef, ev('s4', 2))->{status}, 204, 'a known user: 204');
    my ($d) = rec('user=s4&algo=itemcf&n=20');
    my %seen = map { $_ => 1 } 2, keys %{ $m->{seen}{s4} };
    check_items($d->{items},
                $m->score_hist($m->session_hist([2], user => 's4'),
                               pass => sub { !$seen{ $_[0] } }),
                'reference: a known user, live 2 ahead of the stored '
                . 'history');
    my ($h) = rec('user=s4&history=2&algo=itemcf&n=20');
    is(f4(@{ $h->{items} }), f4(@{ $d->{items} }),
       'history=2 of a live 2 counts it once');
    # the default blend: the session added to the stored hybrid list, the
    # same for a live 2 as for history=2
    my ($bl) = rec('user=s4&n=20');
    my ($bh) = rec('user=s4&history=2&n=20');
    is(f4(@{ $bh->{items} }), f4(@{ $bl->{items} }),
       'hybrid: a live 2 is history=2');
    ok(!(grep { $seen{ $_->{id} } } @{ $bl->{items} }),
       'hybrid: nothing seen or live among the results');
}

# --- a known user whose live events are all negative --------------------
# nothing of the session scores above zero: the blend of every source, as
# for the same weights given in the request
{
    is(post(undef, [ev('s3', 2, 'skip'), ev('s3', 7, 'dislike')])->{status},
       204, 'a known user: two negative events');
    my ($d) = rec('user=s3&n=20');
    my ($w) = rec('user=s3&n=20&w_ease=1');
    ok(@{ $d->{items} }, 'negative events only: an answer');
    is(f4(@{ $d->{items} }), f4(@{ $w->{items} }),
       'negative events only: the per-source blend of the same weights');
}

# --- ETag --------------------------------------------------------------
{
    my (undef, $a) = rec('user=v5&algo=itemcf');
    my $e1 = $a->{headers}{etag};
    is(post(undef, ev('v5', 3))->{status}, 204, 'v5: an event');
    my (undef, $b) = rec('user=v5&algo=itemcf');
    isnt($b->{headers}{etag}, $e1, 'the ETag changes with a live event');
    my $c = req('GET', '/r?user=v5&algo=itemcf', undef,
                { 'if-none-match' => $e1 });
    is($c->{status}, 200, 'the old ETag does not revalidate');
    my $d = req('GET', '/r?user=v5&algo=itemcf', undef,
                { 'if-none-match' => $b->{headers}{etag} });
    is($d->{status}, 304, 'the new one does');
}

# --- DELETE: erasure ----------------------------------------------------
{
    is(req('DELETE', '/event?user=v1')->{status}, 204, 'DELETE: 204');
    my ($d) = rec('user=v1&algo=itemcf');
    is($d->{fallback}, 'popular', 'after DELETE the visitor is anonymous');
    is(req('DELETE', '/event?user=v1')->{status}, 204,
       'DELETE of nobody: 204');
    is(req('DELETE', '/event')->{status}, 400, 'DELETE without user: 400');
}

# --- recsys_user: the trusted user wins ---------------------------------
{
    is(post('/event-trusted', ev('mallory', 9), { 'x-user' => 'alice' })
           ->{status}, 204, 'trusted: 204');
    my ($a) = rec('user=alice&algo=itemcf&n=20');
    my ($m2) = rec('user=mallory&algo=itemcf');
    my ($h) = rec('history=9&algo=itemcf&n=20');
    is(f4(@{ $a->{items} }), f4(@{ $h->{items} }),
       'the event went to the trusted user');
    is($m2->{fallback}, 'popular', 'not to the body\'s user');
    my $e = post('/event-trusted', { item => '9', type => 'play' });
    is($e->{status}, 400, 'trusted location, no X-User: 400');
    # the body's user is ignored whatever it holds: empty, null, over-long
    for my $u ('""', 'null', '"' . ('u' x 300) . '"', '"b\u0000"') {
        is(post('/event-trusted', qq({"user":$u,"item":"4","type":"play"}),
                { 'x-user' => 'trudy' })->{status},
           204, "trusted: a user member $u ignored");
    }
    my ($t) = rec('user=trudy&algo=itemcf&n=20');
    my ($t4) = rec('history=4&algo=itemcf&n=20');
    # one item's four plays weigh 4 (summed): item-CF scores 4 x history=4's
    is(f4(@{ $t->{items} }),
       f4(map { { id => $_->{id}, score => 4 * $_->{score} } }
          @{ $t4->{items} }),
       'the four events went to the trusted user');
    is(post('/event-trusted', '{"user":null,"user":"x","item":"4",'
                              . '"type":"play"}', { 'x-user' => 'trudy' })
           ->{status}, 400, 'trusted: a repeated user member is 400');
}

# --- bad bodies: 400, nothing stored ------------------------------------
my ($st0) = decode_json(req('GET', '/recsys-status')->{content});
my @bad = (
    ['malformed', '{"user":"b1","item":"1",'],
    ['trailing text', '{"user":"b1","item":"1","type":"play"} x'],
    ['not an object', '["b1"]'],
    ['empty array', '[]'],
    ['item a number', '{"user":"b1","item":1,"type":"play"}'],
    ['ts a string', '{"user":"b1","item":"1","type":"play","ts":"1"}'],
    ['ts a fraction', '{"user":"b1","item":"1","type":"play","ts":1.5}'],
    ['ts two hours ahead', '{"user":"b1","item":"1","type":"play","ts":'
                           . (time + 7200) . '}'],
    ['unknown member', '{"user":"b1","item":"1","type":"play","x":1}'],
    ['repeated member', '{"user":"b1","item":"1","item":"2","type":"play"}'],
    ['no type', '{"user":"b1","item":"1"}'],
    ['no user', '{"item":"1","type":"play"}'],
    ['a null user', '{"user":null,"item":"1","type":"play"}'],
    ['an empty user', '{"user":"","item":"1","type":"play"}'],
    ['null misspelt', '{"user":nul,"item":"1","type":"play"}'],
    ['unknown type', '{"user":"b1","item":"1","type":"teleport"}'],
    ['over-long id', $json->encode(ev('b1', 'x' x 257))],
    ['over-long user', $json->encode(ev('u' x 257, '1'))],
    ['NUL escape', '{"user":"b\u0000","item":"1","type":"play"}'],
    ['lone surrogate', '{"user":"b\ud800","item":"1","type":"play"}'],
    ['invalid UTF-8', qq({"user":"b\xff","item":"1","type":"play"})],
    ['too many', $json->encode([map { ev('b1', $_) } 1 .. 5])],
    ['a good event then a bad one',
     $json->encode([ev('b1', 1), ev('b1', 2, 'teleport')])],
);
for my $b (@bad) {
    my $res = post(undef, $b->[1]);
    is($res->{status}, 400, "$b->[0]: 400");
    my $d = eval { decode_json($res->{content}) };
    is($d && $d->{error}, 'bad_request', "$b->[0]: JSON error");
}
{
    my $res = post(undef, $json->encode(ev('b1', 1)),
                   { 'content-type' => 'text/plain' });
    is($res->{status}, 415, 'text/plain: 415');
    is(eval { decode_json($res->{content})->{error} },
       'unsupported_media_type', 'text/plain: JSON error');
    is(post(undef, $json->encode(ev('b1', 1)),
            { 'content-type' => 'application/json-seq' })->{status},
       415, 'application/json-seq: another media type, 415');
    my ($d) = rec('user=b1&algo=itemcf');
    is($d->{fallback}, 'popular', 'nothing of the bad bodies was stored');
    my ($st) = decode_json(req('GET', '/recsys-status')->{content});
    is($st->{events}{accepted}, $st0->{events}{accepted},
       'status: no event accepted by the bad bodies');
    is($st->{events}{rejected} - $st0->{events}{rejected}, @bad + 2,
       'status: every bad body counted as rejected');
    # a GET (405) and a DELETE without a user (400) offer no events
    req('GET', '/event');
    req('DELETE', '/event');
    my ($st2) = decode_json(req('GET', '/recsys-status')->{content});
    is($st2->{events}{rejected}, $st->{events}{rejected},
       'status: a GET or DELETE refused is no rejected event body');
    is(post(undef, $json->encode(ev('b9', 1)),
            { 'content-type' => 'Application/JSON; charset=utf-8' })
           ->{status}, 204, 'application/json with a charset: 204');
    is(post(undef, '{"user":"b9","item":"1","type":"play","ts":'
                   . (time + 600) . '}')->{status},
       204, 'a ts ten minutes ahead of the clock: 204');
}

# --- a body nginx keeps in a temporary file -----------------------------
{
    my ($st) = decode_json(req('GET', '/recsys-status')->{content});
    my @e = ((map { ev('big', 'x' x 200 . $_) } 1 .. 49), ev('big', 3));
    is(post('/event-big', \@e)->{status}, 204,
       'a body of 50 events over client_body_buffer_size: 204');
    my ($st2) = decode_json(req('GET', '/recsys-status')->{content});
    is($st2->{events}{accepted} - $st->{events}{accepted}, 50,
       'its 50 events accepted');
    my ($d) = rec('user=big&algo=itemcf&n=20');
    my ($h) = rec('history=3&algo=itemcf&n=20');
    is(f4(@{ $d->{items} }), f4(@{ $h->{items} }),
       'ids the model does not know are left out of the history');
}

# --- methods ------------------------------------------------------------
{
    my $res = req('GET', '/event');
    is($res->{status}, 405, 'GET /event: 405');
    is($res->{headers}{allow}, 'POST, DELETE', 'Allow: POST, DELETE');
}

# --- status -------------------------------------------------------------
{
    my ($st) = decode_json(req('GET', '/recsys-status')->{content});
    my $e = $st->{events};
    is($e->{zone}, 'live', 'status: the zone');
    # v2 s4 v5 alice and the w* visitors; v1 was erased
    ok($e->{users} >= 4, "status: users ($e->{users})");
    ok($e->{events} >= 7, "status: events ($e->{events})");
    is($e->{erased}, 1, 'status: one user erased');
    ok($e->{bytes_used} > 0 && $e->{bytes_free} > 0, 'status: bytes');
    my $p = req('GET', '/recsys-status?format=prometheus')->{content};
    like($p, qr/^# TYPE recsys_events_users gauge\nrecsys_events_users \d+$/m,
         'prometheus: users, a gauge');
    like($p, qr/^# TYPE recsys_events_erased_total counter\nrecsys_events_erased_total 1$/m,
         'prometheus: erased, a counter');
    for my $c (qw(evicted expired accepted rejected)) {
        like($p, qr/^# TYPE recsys_events_${c}_total counter$/m,
             "prometheus: $c, a counter");
    }
    like($p, qr/^recsys_events_bytes\{state="free"\} \d+$/m,
         'prometheus: bytes free');
}

$srv->finish;
done_testing();
