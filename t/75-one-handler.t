#!/usr/bin/perl

# 75-one-handler: a location has at most one of the module's content
# handlers.  nginx -t refuses two of recsys, recsys_items, recsys_status
# and recsys_event in one location (in either order: the second is a
# conflict, naming the directive) and the same one twice ("is duplicate"),
# and takes each alone, and two in nested locations.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $model = build_model(interactions => "$data/pop.csv",
                        items => "$data/pop-items.csv",
                        model_id => 'one-1');

my @handlers = qw(recsys recsys_items recsys_status recsys_event);

sub conf_t {
    my ($body) = @_;
    return RecsysTest::test_conf(
        http => "    recsys_events zone=live:1m per_user=20 ttl=1h;\n"
                . "    recsys_model $model;\n",
        locations => "        location /a {\n$body        }\n");
}

for my $h (@handlers) {
    my ($rc, $err) = conf_t("            $h;\n");
    is($rc, 0, "$h alone: nginx -t passes") or diag $err;

    ($rc, $err) = conf_t("            $h;\n            $h;\n");
    isnt($rc, 0, "$h twice: refused");
    like($err, qr/"$h" directive is duplicate/, "$h twice: is duplicate");

    for my $other (grep { $_ ne $h } @handlers) {
        ($rc, $err) = conf_t("            $h;\n            $other;\n");
        isnt($rc, 0, "$h then $other: refused");
        like($err, qr/"$other" directive conflicts with recsys, /,
             "$h then $other: the second conflicts");
    }
}

my ($rc, $err) = conf_t("            recsys;\n"
                        . "            location /a/status { recsys_status; }\n");
is($rc, 0, 'recsys with recsys_status in a nested location: passes')
    or diag $err;

done_testing();
