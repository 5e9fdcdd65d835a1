#!/usr/bin/perl

# 17-sources: the source registry as a client sees it.  The GRU source is
# named gru: algo=gru and w_gru= name it, the builder's --lstm* flags stay
# accepted as old names of --gru*, and every answer that names the source
# says gru (the echoed algo, an explanation's sources).  A model built with
# --gru --gru-epochs is the model built with --lstm --lstm-epochs.  The
# name lstm now belongs to the LSTM cell (t/40-lstm.t): algo=lstm on a
# model without it is a 400 (whatever else the request asks), and
# --weights lstm= weighs it, not the GRU.
# A weight's 400 names the argument as typed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use RecsysTest qw(build_model tmpdir builder check_error);

RecsysTest::skip_unless_built();

my $data = "$FindBin::Bin/data";
my $tmp = tmpdir();
my %common = (interactions => "$data/sess-ratings.csv",
              items => "$data/sess-items.csv", model_id => 'sources-1');
my $old = build_model(%common, out => "$tmp/old.mdb",
                      args => [qw(--hmm --lstm --lstm-epochs 2
                                  --lstm-dim 8 --lstm-hidden 8)]);
my $new = build_model(%common, out => "$tmp/new.mdb",
                      args => [qw(--hmm --gru --gru-epochs 2
                                  --gru-dim 8 --gru-hidden 8)]);

# the same inspect output but the build times: the same options
my (undef, $i_old) = builder('inspect', $old, 'stats');
my (undef, $i_new) = builder('inspect', $new, 'stats');
s/^built .*$//m, s/"build_time":\d+// for $i_old, $i_new;
like($i_new, qr/\bgru\b/, 'inspect names the source gru');
is($i_new, $i_old, '--gru* flags build what --lstm* flags build');

# --weights: the gru keeps the file key lstm, the LSTM cell has lstmc
my @w = qw(--rnn both --gru-epochs 1 --gru-dim 4 --gru-hidden 4 --weights);
my $mg = build_model(%common, out => "$tmp/wg.mdb", args => [@w, 'gru=0.5']);
my $ml = build_model(%common, out => "$tmp/wl.mdb", args => [@w, 'lstm=0.5']);
my (undef, $p_g) = builder('inspect', $mg, 'stats');
my (undef, $p_l) = builder('inspect', $ml, 'stats');
like($p_g, qr/"weights":\{[^}]*"lstm":0\.5[,}]/,
     'the params keep the gru\'s file key lstm');
like($p_l, qr/"weights":\{[^}]*"lstmc":0\.5[,}]/,
     '--weights lstm= weighs the LSTM cell, file key lstmc');
my ($rc, undef, $err) = builder('build', '--interactions',
                                $common{interactions}, '--out',
                                "$tmp/bad.mdb", '--weights', 'grux=1');
isnt($rc, 0, 'an unknown source in --weights is refused');
like($err, qr/--weights: takes SOURCE=WEIGHT.*a name algo= takes/,
     'the refusal says what a source is');
my (undef, $help) = builder('help', 'build');
like($help, qr/^sources .*: itemcf, usercf, content, popular, trending, cluster, assoc, markov, hmm, gru, ease, rp3beta, als, lstm$/m,
     'help build lists the registry\'s names');

my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $new;\n",
    locations => <<'EOF2');
        location = /recommend {
            recsys;
        }
EOF2

sub items { [ map { $_->{id} } @{ $_[0]{items} } ] }

for my $q ('history=3,5', 'history=1,2,4', 'user=u2&history=1&n=4') {
    my ($g, $rg) = $srv->json("/recommend?$q&algo=gru&explain=1");
    my (undef, $rl) = $srv->json("/recommend?$q&algo=lstm&explain=1");
    is($rg->{status}, 200, "$q algo=gru answers");
    is($g->{algo}, 'gru', "$q algo=gru echoes gru");
    is($rl->{status}, 400, "$q algo=lstm: the model has no LSTM cell");
    ok(@{ $g->{items} } > 0, "$q has items");
    ok(!grep({ exists $_->{sources}{lstm} } @{ $g->{items} }),
       "$q explanations never name lstm");
    ok(!grep({ !exists $_->{sources}{gru} } @{ $g->{items} }),
       "$q explanations credit gru");
}

# weights: w_gru weighs the gru
my $w = 'w_itemcf=0&w_usercf=0&w_content=0&w_ease=0&w_als=0&w_rp3beta=0';
my ($wg) = $srv->json("/recommend?history=3,5&$w&w_gru=1&explain=1");
my ($wh) = $srv->json("/recommend?history=3,5&algo=gru");
is($wg->{algo}, 'hybrid', 'w_gru blends');
is_deeply([ sort keys %{ $wg->{items}[0]{sources} } ], ['gru'],
          'a blend of the gru alone credits gru');
is_deeply(items($wg), items($wh), 'the gru alone blended: its own ranking');

check_error($srv, 'GET', '/recommend?user=u1&w_lstm=x', 400, 'bad_request',
            'w_lstm', 'a bad w_lstm is named as typed');
check_error($srv, 'GET', '/recommend?user=u1&w_gru=11', 400, 'bad_request',
            'w_gru', 'a bad w_gru is named as typed');
check_error($srv, 'GET', '/recommend?user=u1&algo=grux', 400, 'bad_request',
            'algo', 'an unknown algo is a 400');

# a source the model lacks is a 400 on every path: more like an item, no
# user and no history, a session, a known user
for my $q ('item=3', '', 'history=3', 'user=u1', 'user=u1&history=3') {
    check_error($srv, 'GET', "/recommend?$q&algo=lstm", 400, 'bad_request',
                'algo', "algo=lstm with '$q': the model has no LSTM cell");
}

$srv->finish;
done_testing();
