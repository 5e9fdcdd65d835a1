#!/usr/bin/perl

# 07-status: recsys_status (JSON and Prometheus text) with per-worker
# counters and the loaded model; the $recsys_* variables in a header; ETag
# and If-None-Match (304); Cache-Control from recsys_cache_ttl ("private"
# when the answer is a user's, or when recsys_user or a variable in
# recsys_algo makes one URL answer differently).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy ();
use JSON::PP ();
use Test::More;
use Compress::Zlib ();
use RecsysTest qw(build_model);

RecsysTest::skip_unless_built();

my $model = build_model(interactions => "$FindBin::Bin/data/cf-interactions.csv",
                        items => "$FindBin::Bin/data/cf-items.csv",
                        model_id => 'status-1');

my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $model;\n",
    locations => <<'EOF');
        location = /recommend {
            recsys;
            recsys_cache_ttl 30s;
            add_header X-Recsys "$recsys_model $recsys_algo $recsys_fallback $recsys_count";
        }
        location = /status {
            recsys_status;
        }
        location = /rc {
            recsys;
            recsys_user $cookie_uid;
            recsys_cache_ttl 30s;
            add_header Vary Cookie;
        }
        location = /rv {
            recsys;
            recsys_algo $http_x_variant;
            recsys_cache_ttl 30s;
        }
EOF

# one of each outcome, counted by hand: 2 ok (one with a fallback), 1 bad
# request, 1 unknown item
my ($d, $res) = $srv->json('/recommend?user=u1&n=2');
is($res->{status}, 200, 'known user answers');
is($res->{headers}{'x-recsys'}, 'status-1 hybrid  ' . scalar @{ $d->{items} },
   '$recsys_model, $recsys_algo, $recsys_count (and no fallback)');
is($res->{headers}{'cache-control'}, 'private, max-age=30',
   'Cache-Control follows recsys_cache_ttl, private for a user\'s answer');

my $etag = $res->{headers}{etag};
like($etag // '', qr/\A"status-1-[0-9a-f]{8}"\z/, 'ETag is the model id and a checksum');
# the checksum: CRC-32 of the query string, the CRC-32 of the location's
# settings (4 bytes; the defaults here: n 10, history 50, neighbours 50,
# session neighbours 300, explain history 20, as the module's unsigned
# words, and no weights), a newline, the user and the algorithm, as 8
# lowercase hex digits (computed here with zlib's CRC-32)
my $settings = Compress::Zlib::crc32(pack('J5', 10, 50, 50, 300, 20));
is($etag, sprintf('"status-1-%08x"',
                  Compress::Zlib::crc32('user=u1&n=2' . pack('L', $settings)
                                        . "\nu1hybrid")),
   'ETag checksum: CRC-32 of query, settings, user and algorithm');

my $res2 = $srv->get('/recommend?user=u1&n=2', { 'If-None-Match' => $etag });
is($res2->{status}, 304, 'If-None-Match with the same ETag: 304');
is($res2->{content} // '', '', '304 has no body');

my $res3 = $srv->get('/recommend?user=u1&n=3', { 'If-None-Match' => $etag });
is($res3->{status}, 200, 'another answer has another ETag: 200');

($d, $res) = $srv->json('/recommend?user=nobody&n=2');
is($res->{headers}{'x-recsys'}, 'status-1 popular popular 2',
   '$recsys_fallback for an unknown user');

is($srv->get('/recommend?n=zero')->{status}, 400, 'a bad request');
is($srv->get('/recommend?item=no-such-item')->{status}, 404, 'an unknown item');

my $st = $srv->json('/status');
is($st->{models}[0]{id}, 'status-1', 'status shows the loaded model id');
is($st->{models}[0]{path}, $model, 'status shows the model path');
ok($st->{models}[0]{users} > 0 && $st->{models}[0]{items} > 0,
   'status shows the model size');
# 4 requests above plus the 304 and the n=3 one: 6; ok counts the 200s and
# the 304 (a 304 is an answered request whose body the client has)
is($st->{counters}{requests}, 6, 'requests counted');
is($st->{counters}{ok}, 4, 'answered requests counted');
is($st->{counters}{bad_request}, 1, '400s counted');
is($st->{counters}{not_found}, 1, '404s counted');
is($st->{counters}{fallback}, 1, 'fallbacks counted');
is($st->{counters}{reloads}, 1, 'one model load');

my $prom = $srv->get('/status?format=prometheus');
is($prom->{status}, 200, 'Prometheus format answers');
like($prom->{headers}{'content-type'}, qr{\Atext/plain}, 'as text');
like($prom->{content}, qr/^recsys_requests_total\{pid="\d+"\} 6$/m,
     'requests counter in Prometheus text');
like($prom->{content},
     qr/^recsys_model_loaded\{pid="\d+",path="\Q$model\E",id="status-1"\} 1$/m,
     'loaded model in Prometheus text');

# after the counted requests: an answer for no user is not private
is($srv->get('/recommend?item=3&n=2')->{headers}{'cache-control'},
   'max-age=30', 'an answer for no user may be kept by shared caches');
# where the user comes from a cookie, or the algorithm from a header, the
# same URL answers differently: private, an anonymous answer too
is($srv->get('/rc?item=3&n=2')->{headers}{'cache-control'},
   'private, max-age=30', 'recsys_user: an anonymous answer is private');
is($srv->request('GET', '/rc?n=2', { headers => { cookie => 'uid=u1' } })
       ->{headers}{vary},
   'Cookie', 'add_header Vary (README) reaches an answer of the module');
is($srv->request('GET', '/rv?item=3&n=2',
                 { headers => { 'x-variant' => 'itemcf' } })
       ->{headers}{'cache-control'},
   'private, max-age=30', 'recsys_algo of a variable: private');

# POST: the JSON 405 with Allow, as the module's other locations answer
my $post = $srv->request('POST', '/status', { content => 'x' });
is($post->{status}, 405, 'POST /status: 405');
is($post->{headers}{allow}, 'GET, HEAD', 'POST /status: Allow: GET, HEAD');
is(eval { JSON::PP::decode_json($post->{content})->{error} },
   'method_not_allowed', 'POST /status: a JSON error');

$srv->finish;

# a path with a quote and a backslash, and an events zone of a long name:
# the JSON parses and says them whole, the Prometheus labels escape them,
# and the answer fits its buffer
{
    my $odd = RecsysTest::tmpdir() . '/we"ird\\x.mdb';
    File::Copy::copy($model, $odd) or die "copy: $!";
    my $zone = 'z' x 3000;
    (my $conf_path = $odd) =~ s/\\/\\\\/g;
    my $s2 = RecsysTest::start_nginx(
        http => "    recsys_events zone=$zone:1m;\n",
        locations => "        location = /r { recsys; recsys_model '$conf_path'; }\n"
                     . "        location = /status { recsys_status; }\n");
    $s2->get('/r?user=u1');
    my $j = eval { JSON::PP::decode_json($s2->get('/status')->{content}) };
    is($j && $j->{models}[0]{path}, $odd, 'status JSON: the odd path whole');
    is($j && $j->{events}{zone}, $zone, 'status JSON: the long zone name');
    my $p = $s2->get('/status?format=prometheus');
    like($p->{headers}{'content-type'}, qr/charset=utf-8/,
         'Prometheus text: charset');
    (my $label = $odd) =~ s/([\\"])/\\$1/g;
    like($p->{content}, qr/path="\Q$label\E"/,
         'Prometheus text: the path\'s quote and backslash escaped');
    $s2->finish;
}

done_testing();
