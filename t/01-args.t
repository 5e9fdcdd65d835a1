#!/usr/bin/perl

# 01-args: the argument contract of /recommend.  Every malformed argument is
# a 400 JSON error with the fixed message "invalid argument: <name>" that
# never echoes the input; n and offset bounds and defaults (also with
# recsys_default_n / recsys_max_n); percent-decoding ("+" is a space, UTF-8
# ids); unknown arguments ignored; ids echoed back JSON-escaped; recsys_user
# taken from a header; lists (an over-long exclude= is 400, an over-long
# history= is answered as its newest recsys_max_list ids, genre= takes up
# to 16 names); recsys_algo (empty: hybrid; a value naming no algorithm:
# 400 logged at error; a constant that cannot name one refused by
# nginx -t); 405 with Allow for other methods; HEAD mirrors GET with an
# empty body.  Model: t/data/pop.csv (6 users, 12 items).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model check_shape check_error
                  recsys_locations);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/pop.csv",
                        items => "$data/pop-items.csv",
                        model_id => 'args-1');

my $srv = RecsysTest::start_nginx(locations => recsys_locations(
    ['/recommend', $model],
    ['= /small', $model, 'recsys_default_n 3', 'recsys_max_n 5'],
    ['= /by-header', $model, 'recsys_user $http_x_user_id'],
    ['= /list3', $model, 'recsys_max_list 3'],
    ['= /ab', $model, 'recsys_algo $cookie_ab'],
    ['= /const', $model, 'recsys_algo bogus'],
));

# ok_200($path, $name, %want) -> decoded body: 200, JSON type, shape.
sub ok_200 {
    my ($path, $name, %want) = @_;
    my ($d, $res) = $srv->json($path);
    is($res->{status}, 200, "$name: 200") or diag "GET $path: $res->{content}";
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$name: JSON content type");
    check_shape($d, $name, model => 'args-1', %want);
    return $d;
}

sub count { scalar @{ $_[0]{items} || [] } }

sub bad {
    my ($query, $arg, $name) = @_;
    check_error($srv, 'GET', "/recommend?$query", 400, 'bad_request', $arg,
                $name // "$query -> 400 ($arg)");
}


# baseline and defaults
my $d = ok_200('/recommend?user=p1', 'known user', user => 'p1',
               fallback => undef, algo => 'hybrid');
$d = ok_200('/recommend', 'no arguments', user => undef, fallback => 'popular');
is(count($d), 10, 'default n is 10');
# [path, name, items listed, name of the count]
for my $c (['/recommend?n=100', 'n=100 (the default max)', 12,
            'n=100 lists all 12 items'],
           ['/recommend?n=1', 'n=1', 1, 'n=1 lists 1 item'],
           ['/small', 'recsys_default_n 3', 3,
            'recsys_default_n 3 lists 3 items'],
           ['/small?n=5', 'n at recsys_max_n', 5, 'n=5 lists 5 items'],
           ['/recommend?offset=0&n=2', 'offset=0', 2,
            'offset=0 n=2 lists 2 items'],
           ['/recommend?offset=10000', 'offset=10000 (the max)', 0,
            'offset past the end lists no items'],
           ['/recommend?offset=11&n=5', 'offset=11', 1,
            'offset=11 of 12 lists 1 item']) {
    my ($path, $name, $want, $what) = @$c;
    is(count(ok_200($path, $name)), $want, $what);
}
check_error($srv, 'GET', '/small?n=6', 400, 'bad_request', 'n',
            'n over recsys_max_n -> 400');
for my $algo (qw(hybrid itemcf popular)) {
    ok_200("/recommend?user=p1&algo=$algo", "algo=$algo", algo => $algo,
           user => 'p1', fallback => undef);
}

# n and offset: plain decimal integers in range
for my $v ('0', '101', '-1', '+1', '1.5', '1e1', '0x1', 'abc', '', '%201',
           '1%20', '99999999999999999999', '18446744073709551617', '1%00') {
    bad("n=$v", 'n', "n=$v -> 400");
}
for my $v ('-1', '10001', '1.0', 'abc', '', '+0', '99999999999999999999',
           '4294967296') {
    bad("offset=$v", 'offset', "offset=$v -> 400");
}

# ids: empty, length after decoding, escapes, NUL, UTF-8
for my $arg (qw(user item)) {
    bad("$arg=", $arg, "empty $arg -> 400");
    bad("$arg=" . ('u' x 257), $arg, "$arg of 257 bytes -> 400");
    bad("$arg=" . ('%41' x 257), $arg, "$arg of 257 bytes after decoding -> 400");
    bad("$arg=" . ('%C3%A9' x 129), $arg, "$arg of 258 UTF-8 bytes -> 400");
    for my $v ('%zz', 'abc%', 'abc%4', '%4g', '%%41', 'a%00b', '%00',
               '%ff', '%c0%af', '%e2%82', '%ed%a0%80', '%f8%88%80%80%80',
               'a%80') {
        bad("$arg=$v", $arg, "$arg=$v -> 400");
    }
}
ok_200('/recommend?user=' . ('u' x 256), 'user of 256 bytes', user => 'u' x 256,
       fallback => 'popular');
ok_200('/recommend?user=' . ('%41' x 256), 'user of 256 bytes after decoding',
       user => 'A' x 256, fallback => 'popular');
ok_200('/recommend?user=' . ('%C3%A9' x 128), 'user of 128 two-byte characters',
       user => "\x{e9}" x 128, fallback => 'popular');

# a repeated argument
bad('user=p1&user=p2', 'user');
bad('user=p1&user=p1', 'user');
bad('item=9&item=10', 'item');
bad('n=1&n=2', 'n');
bad('offset=0&offset=1', 'offset');
bad('algo=itemcf&algo=itemcf', 'algo');

# algo
bad('algo=foo', 'algo');
bad('algo=', 'algo');
bad('user=p1&algo=hybrid%00', 'algo');
# found by fuzz_args: a bare strict is named in the 400 (the weight of a
# name no source of this model has, w_a_itemc, is ignored before it)
bad('user=p1&strict', 'strict');
bad('&w_a_itemc=f=0.6&&strict&exclude=v%C2se&egn=lain=1', 'strict',
    'the input fuzz_args found -> 400 (strict)');

# lists: exclude= over recsys_max_list is 400; history= (oldest first)
# over it keeps its newest ids; genre= takes up to 16 names
sub ids_of { join ',', map { $_->{id} } @{ $_[0]{items} || [] } }

check_error($srv, 'GET', '/list3?exclude=9,10,Z,B', 400, 'bad_request',
            'exclude', 'exclude over recsys_max_list -> 400');
$d = ok_200('/list3?history=9,10,Z,B&n=12',
            'history of 4 ids, recsys_max_list 3', user => undef);
is(ids_of($d), ids_of($srv->json('/list3?history=10,Z,B&n=12')),
   'history of 4 ids: answered as its newest 3');
check_error($srv, 'GET', '/list3?history=%zz,10,Z,B', 400, 'bad_request',
            'history', 'an invalid id among the older ones is still 400');
{
    my @hist = ('9', map({ "x$_" } 1 .. 98), '10', 'B');
    $d = ok_200('/recommend?n=12&history=' . join(',', @hist),
                'history of 101 ids, recsys_max_list 100');
    is(ids_of($d), ids_of($srv->json('/recommend?n=12&history='
                                     . join(',', @hist[1 .. 100]))),
       'history of 101 ids: answered as its newest 100');
    like(",@{[ ids_of($d) ]},", qr/,9,/,
         'history of 101 ids: the oldest, dropped, is no session item');
}
ok_200('/recommend?genre=' . join(',', map { "g$_" } 1 .. 16),
       'genre of 16 names');
bad('genre=' . join(',', map { "g$_" } 1 .. 17), 'genre',
    'genre of 17 names -> 400');

# recsys_algo: an empty value is the default; a value that names no
# algorithm of the model is 400 naming algo, logged at error naming
# recsys_algo (the configuration's fault, not the client's); a constant
# that cannot name one is refused by nginx -t
ok_200('/ab?user=p1', 'recsys_algo $cookie_ab without the cookie',
       algo => 'hybrid', user => 'p1', fallback => undef);
{
    my ($dc, $rc) = $srv->json('/ab?user=p1', { Cookie => 'ab=itemcf' });
    is($dc->{algo}, 'itemcf', 'recsys_algo $cookie_ab: ab=itemcf');
    my ($dq) = $srv->json('/ab?user=p1&algo=popular',
                          { Cookie => 'ab=itemcf' });
    is($dq->{algo}, 'popular', 'algo= overrides recsys_algo');
}
for my $c (['/ab?user=p1', { Cookie => 'ab=bogus' }, 'ab=bogus'],
           ['/const?user=p1', {}, 'recsys_algo bogus']) {
    my ($path, $h, $name) = @$c;
    my $before = () = $srv->error_log =~ /the value of recsys_algo/g;
    my $res = $srv->get($path, $h);
    is($res->{status}, 400, "$name: 400");
    my $e = eval { RecsysTest::decode_json_strict($res->{content}, $path) };
    is(ref $e eq 'HASH' ? $e->{message} : undef, 'invalid argument: algo',
       "$name: invalid argument: algo");
    my @lines = grep { /the value of recsys_algo/ }
                split /\n/, $srv->error_log;
    is(scalar @lines, $before + 1, "$name: one log line names recsys_algo");
    like($lines[-1] // '', qr/\[error\]/, "$name: logged at error");
}
for my $v ('Bogus', '"no-such"', 'x' x 29) {
    my ($rc, $err) = RecsysTest::test_conf(locations => recsys_locations(
        ['= /x', $model, "recsys_algo $v"]));
    isnt($rc, 0, "nginx -t refuses recsys_algo $v");
    like($err, qr/recsys_algo "[^"]*" is no algorithm/,
         "recsys_algo $v: the message names the directive");
}
for my $v ('itemcf', 'my_import', '""', '$cookie_x') {
    my ($rc, $err) = RecsysTest::test_conf(locations => recsys_locations(
        ['= /x', $model, "recsys_algo $v"]));
    is($rc, 0, "nginx -t takes recsys_algo $v") or diag $err;
}

# messages never echo the input
for my $q ('user=XYZZY%zz', 'n=XYZZY', 'algo=XYZZY', 'item=XYZZY%ff',
           'offset=XYZZY', 'user=XYZZY&user=XYZZY') {
    my $res = $srv->get("/recommend?$q");
    is($res->{status}, 400, "$q -> 400");
    unlike($res->{content}, qr/XYZZY/i, "$q: the error does not echo the input");
}

# decoding: "+" is a space, %20 too, "%2B" is a plus; UTF-8 ids
ok_200('/recommend?user=ann+lee', 'user=ann+lee is "ann lee"',
       user => 'ann lee', fallback => undef);
ok_200('/recommend?user=ann%20lee', 'user=ann%20lee is "ann lee"',
       user => 'ann lee', fallback => undef);
ok_200('/recommend?user=ann%2Blee', 'user=ann%2Blee is "ann+lee" (unknown)',
       user => 'ann+lee', fallback => 'popular');
$d = ok_200('/recommend?item=caf%C3%A9', 'item=caf%C3%A9 is "café"',
            item => "caf\x{e9}");
$d = ok_200('/recommend?item=caf%c3%a9', 'lower-case hex escapes',
            item => "caf\x{e9}");
check_error($srv, 'GET', '/recommend?item=cafe', 404, 'not_found', undef,
            'item=cafe is another id -> 404');
check_error($srv, 'GET', '/recommend?item=nope', 404, 'not_found', undef,
            'unknown item -> 404');

# unknown arguments are ignored
my $base = $srv->json('/recommend?user=p1&n=4');
$d = ok_200('/recommend?foo=bar&user=p1&utm_source=x%20y&n=4&zzz=',
            'unknown arguments ignored', user => 'p1', fallback => undef);
is_deeply([map { $_->{id} } @{ $d->{items} }],
          [map { $_->{id} } @{ $base->{items} }],
          'unknown arguments change nothing');

# an unknown user id is echoed back, JSON-escaped
ok_200('/recommend?user=a%22b%5Cc%2Fd%01%0A%1F%E2%80%A8%7F',
       'unknown user with quote, backslash, controls, U+2028',
       user => "a\"b\\c/d\x01\n\x1f\x{2028}\x7f", fallback => 'popular');

# recsys_user from a header
$d = $srv->json('/by-header', { 'X-User-Id' => 'p1' });
check_shape($d, 'recsys_user $http_x_user_id', model => 'args-1', user => 'p1',
            fallback => undef);
is_deeply([map { $_->{id} } @{ $d->{items} }],
          [map { $_->{id} } @{ $srv->json('/recommend?user=p1')->{items} }],
          'recsys_user from a header gives the same list as ?user=');

# with recsys_user, user= is no argument: ignored however often it comes
# and whatever it holds (a client cannot pick another user's list)
for my $q ('user=p2', 'user=p2&user=p3', 'user=%ff', 'user=') {
    my ($dq, $rq) = $srv->json("/by-header?$q", { 'X-User-Id' => 'p1' });
    is($rq->{status}, 200, "recsys_user set: ?$q is ignored (200)");
    is($dq->{user}, 'p1', "recsys_user set: ?$q does not change the user");
}

# methods: 405 with Allow, JSON body
for my $m (qw(POST PUT DELETE PATCH OPTIONS)) {
    my $res = $srv->request($m, '/recommend?user=p1',
                         $m eq 'POST' || $m eq 'PUT' ? { content => 'x=1' } : {});
    is($res->{status}, 405, "$m -> 405");
    is($res->{headers}{allow}, 'GET, HEAD', "$m: Allow: GET, HEAD");
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$m: JSON content type");
    my $e = eval { RecsysTest::decode_json_strict($res->{content}, $m) };
    ok(ref $e eq 'HASH' && defined $e->{error} && !ref $e->{error}
       && defined $e->{message}, "$m: JSON error body")
        or diag $res->{content};
}

# HEAD: same status and headers as GET, no body
for my $q ('?user=p1', '?n=0', '?item=nope', '?item=9&n=2', '') {
    my $g = $srv->raw('GET', "/recommend$q");
    my $h = $srv->raw('HEAD', "/recommend$q");
    is($h->{status}, $g->{status}, "HEAD /recommend$q: status $g->{status}");
    is($h->{body}, '', "HEAD /recommend$q: no body");
    my %skip = map { $_ => 1 } qw(date connection keep-alive transfer-encoding);
    my @diff = grep { !$skip{$_}
                      && ($g->{headers}{$_} // '(none)') ne ($h->{headers}{$_} // '(none)') }
               sort keys %{ { %{ $g->{headers} }, %{ $h->{headers} } } };
    ok(!@diff, "HEAD /recommend$q: same headers as GET")
        or diag join "\n", map { "$_: GET "
                                 . ($g->{headers}{$_} // '(none)') . ', HEAD '
                                 . ($h->{headers}{$_} // '(none)') } @diff;
    my $gd = eval { RecsysTest::decode_json_strict($g->{body}, "GET /recommend$q") };
    ok(ref $gd eq 'HASH', "GET /recommend$q: JSON body") or diag $@;
    is($g->{headers}{'content-length'}, length $g->{body},
       "GET /recommend$q: Content-Length matches the body")
        if defined $g->{headers}{'content-length'};
}

$srv->finish;

done_testing();
