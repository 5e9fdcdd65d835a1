#!/usr/bin/perl

# 74-limit-except: a limit_except block in a location of this module.  The
# methods the block lets through are answered by the location's own
# handler (nginx gives them the block's configuration, which must carry the
# handler and the module's settings), not by nginx's static module: DELETE
# /event under "limit_except POST { allow 127.0.0.1; deny all; }" erases
# the visitor's live events (204), and POST to /recommend, /items and
# /recsys-status under "limit_except GET { ... }" gets the module's JSON
# 405 with Allow.  The block's access rules still apply (deny all: 403).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use HTTP::Tiny;
use JSON::PP;
use Test::More;
use RecsysTest qw(build_model tmpdir decode_json_strict);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/sess-ratings.csv",
                        items => "$data/sess-items.csv",
                        model_id => 'lmt-1');

my $lmt_get = 'limit_except GET { allow 127.0.0.1; deny all; }';
my $srv = RecsysTest::start_nginx(
    http => "    recsys_events zone=live:1m per_user=20 ttl=1h;\n"
            . "    recsys_model $model;\n",
    locations => <<"EOF");
        location = /event {
            recsys_event;
            limit_except POST { allow 127.0.0.1; deny all; }
        }
        location = /event-denied {
            recsys_event;
            limit_except POST { deny all; }
        }
        location = /recommend { recsys; $lmt_get }
        location = /items { recsys_items; $lmt_get }
        location = /recsys-status { recsys_status; $lmt_get }
        location = /r { recsys; }
EOF

my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);

sub req {
    my ($method, $path, $content) = @_;
    my %o = (headers => {});
    if (defined $content) {
        $o{content} = encode_json($content);
        $o{headers}{'content-type'} = 'application/json';
    }
    return $http->request($method, $srv->url($path), \%o);
}

sub fallback {
    my $d = decode_json_strict(req('GET', '/r?user=v1')->{content}, '/r');
    return $d->{fallback} // 'none';
}

# --- DELETE /event under limit_except POST ------------------------------

is(req('POST', '/event',
       [map { { user => 'v1', item => "$_", type => 'play' } } 1, 5])
       ->{status}, 204, 'POST /event: 204');
is(fallback(), 'none', 'the visitor has live events');

my $res = req('DELETE', '/event?user=v1');
is($res->{status}, 204, 'DELETE /event under limit_except POST: 204')
    or diag "$res->{status} $res->{headers}{'content-type'}: $res->{content}";
is(fallback(), 'popular', 'DELETE erased the live events');

$res = req('GET', '/event');
is($res->{status}, 405, 'GET /event under limit_except POST: 405');
is($res->{headers}{allow}, 'POST, DELETE', 'GET /event: Allow of /event');

is(req('DELETE', '/event-denied?user=v1')->{status}, 403,
   'limit_except POST { deny all; }: DELETE still 403');

# --- POST to the GET locations -----------------------------------------

for my $path ('/recommend', '/items', '/recsys-status') {
    $res = req('POST', $path, {});
    is($res->{status}, 405, "POST $path under limit_except GET: 405");
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "POST $path: the module's JSON");
    my $d = eval { decode_json_strict($res->{content}, "POST $path") };
    is(ref $d eq 'HASH' ? $d->{error} : undef, 'method_not_allowed',
       "POST $path: error method_not_allowed")
        or diag $res->{content};
    like($res->{headers}{allow} // '', qr/\bGET\b/, "POST $path: Allow");
}

$res = req('GET', '/recommend?user=v1&n=2');
is($res->{status}, 200, 'GET /recommend: 200');

$srv->finish;

done_testing();
