#!/usr/bin/perl

# 73-relative-paths: a relative recsys_model or recsys_overrides path is
# relative to the nginx prefix (-p), as recsys_event_log's and nginx's own
# paths are, not to the directory of nginx.conf.  nginx is started with
# -p PFX/ -c CDIR/nginx.conf, CDIR another directory that holds no model:
# /recommend (recsys_model rel.mdb; recsys_overrides rel-ovr.txt) must
# answer from PFX/rel.mdb with the item PFX/rel-ovr.txt hides taken out,
# /abs (an absolute model, the same relative overrides) must hide it too,
# and /event (recsys_event; recsys_model rel.mdb) must take an event.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use File::Copy qw(copy);
use HTTP::Tiny;
use JSON::PP;
use Test::More;
use RecsysTest qw(build_model tmpdir write_file);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/sess-ratings.csv",
                        items => "$data/sess-items.csv",
                        model_id => 'rel-1');

my $pfx = tmpdir();
my $cdir = tmpdir();
copy($model, "$pfx/rel.mdb") or die "copy: $!";

# what the absolute path answers, and the item the rules will hide
my $plain = RecsysTest::start_nginx(locations =>
    RecsysTest::recsys_locations(['= /plain', $model]));
my $base = $plain->json('/plain?user=s4&n=3');
$plain->finish;
my @base = map { $_->{id} } @{ $base->{items} };
ok(@base >= 2, 'the absolute path answers items') or diag explain $base;
write_file("$pfx/rel-ovr.txt", "hide $base[0]\n");

my $srv = RecsysTest::start_nginx(dir => $pfx, conf_dir => $cdir,
    http => "    recsys_events zone=live:1m per_user=20 ttl=1h;\n",
    locations => <<"EOF");
        location = /recommend {
            recsys;
            recsys_model rel.mdb;
            recsys_overrides rel-ovr.txt;
        }
        location = /event {
            recsys_event;
            recsys_model rel.mdb;
        }
        location = /abs {
            recsys;
            recsys_model $model;
            recsys_overrides rel-ovr.txt;
        }
EOF
ok(!-e "$cdir/rel.mdb", 'no model beside nginx.conf');

my ($d, $res) = $srv->json('/recommend?user=s4&n=3');
is($res->{status}, 200, 'relative recsys_model: 200') or diag $res->{content};
is($d->{model}, 'rel-1', 'relative recsys_model: PFX/rel.mdb served');
my @ids = map { $_->{id} } @{ $d->{items} || [] };
ok(@ids && !grep({ $_ eq $base[0] } @ids),
   "relative recsys_overrides: PFX/rel-ovr.txt hides $base[0]")
    or diag "got @ids";

my $abs = $srv->json('/abs?user=s4&n=3');
@ids = map { $_->{id} } @{ $abs->{items} || [] };
ok(@ids && !grep({ $_ eq $base[0] } @ids),
   "relative recsys_overrides beside an absolute model: $base[0] hidden")
    or diag "got @ids";

$res = HTTP::Tiny->new(timeout => 10)->request('POST', $srv->url('/event'),
    { headers => { 'content-type' => 'application/json' },
      content => encode_json({ user => 's4', item => '1', type => 'play' })
    });
is($res->{status}, 204, 'recsys_event with a relative recsys_model: 204')
    or diag $res->{content};

$srv->finish;

done_testing();
