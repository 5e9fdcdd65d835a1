#!/usr/bin/perl

# 23-permission: a model the workers cannot read is refused, and the fix
# is picked up without touching the file.  The workers run as "nobody"; a
# model published with mode 000 is refused (503, a log line naming the
# permission); `chmod 644` changes the file's ctime, so the next check
# reads it again and the model is served within the reload interval.  Then
# the same while a model is served: chmod 000 keeps the loaded model (the
# open fails, the old model goes on), chmod 644 again is no new model.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw(sleep time);
use RecsysTest qw(build_model tmpdir write_file publish);

RecsysTest::skip_unless_built();
plan skip_all => 'needs root to start workers as another user' if $> != 0;
my @nobody = getpwnam('nobody');
plan skip_all => 'no user "nobody"' unless @nobody;
my $group = getgrgid($nobody[3]) // 'nogroup';

my $tmp = tmpdir();
chmod 0755, $tmp or die "chmod $tmp: $!";
my $stage = build_model(interactions => "$FindBin::Bin/data/cf-interactions.csv",
                        items => "$FindBin::Bin/data/cf-items.csv",
                        out => "$tmp/stage.mdb", model_id => 'perm');
chmod 0000, $stage or die;
my $live = "$tmp/model.mdb";
publish($stage, $live);

my $srv = RecsysTest::start_nginx(user => "nobody $group", locations => <<"EOF2");
        location /recommend {
            recsys;
            recsys_model $live;
            recsys_reload_interval 50ms;
        }
EOF2

my $r = $srv->get('/recommend?user=u1');
is($r->{status}, 503, 'a model the workers cannot read: 503');
like($srv->error_log, qr/model "\Q$live\E" refused: open: Permission denied/,
     'refused, saying why');

chmod 0644, $live or die;
my $deadline = time + 5;
do { sleep 0.05; $r = $srv->get('/recommend?user=u1') }
    until $r->{status} == 200 || time > $deadline;
is($r->{status}, 200, 'after chmod 644 the model is served, the file untouched');

chmod 0000, $live or die;
sleep 0.2;
is($srv->get('/recommend?user=u1')->{status}, 200,
   'chmod 000 while serving: the loaded model goes on');
chmod 0644, $live or die;
sleep 0.2;
is($srv->get('/recommend?user=u1')->{status}, 200, 'and after chmod 644');

$srv->expect_log(qr/refused/);
$srv->finish;

done_testing();
