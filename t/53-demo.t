#!/usr/bin/perl

# 53-demo: the demo page (demo/) in headless Chromium over the DevTools
# protocol.  Loads /, picks a viewer, watches three titles, and checks
# that the "For you" row shows exactly what /recommend answers for that
# viewer and session, in order; that the explanation panel names the
# titles an item came from; that every control has a label, that the
# focus ring shows, that the page fits a phone's width; and that the page
# logs no error.  Saves build/demo-page.png (and the phone view).
#
# Chromium is Debian's package (./build.sh test installs it); without it
# the file is skipped, or fails under CI.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use RecsysTest qw(build_model);
use RecsysBrowser;

RecsysTest::skip_unless_built();
RecsysTest::missing('chromium is not installed (./build.sh test installs it)')
    if RecsysBrowser::chromium_path() eq '';

my $root = RecsysTest::repo_root();
my $dir = RecsysTest::tmpdir();
my ($rc, $out, $err) = RecsysTest::builder('gen', '--out', "$dir/sample");
die "gen: $err" if $rc != 0;
my $model = build_model(interactions => "$dir/sample/interactions.csv",
                        items => "$dir/sample/items.csv",
                        model_id => 'demo-1');

# the titles, read from the catalogue (not from the server)
my %title;
open my $fh, '<:encoding(UTF-8)', "$dir/sample/items.csv" or die;
<$fh>;
while (my $line = <$fh>) {
    chomp $line;
    my ($id, $t) = $line =~ /\A([^,]+),("(?:[^"]|"")*"|[^,]*),/ or next;
    $t =~ s/\A"(.*)"\z/$1/s and $t =~ s/""/"/g;
    $title{$id} = $t;
}

my $viewer = 'u00002';
RecsysTest::write_file("$dir/demo-config.json",
                       qq({"events":false,"users":["u00001","$viewer"]}\n));

my $srv = RecsysTest::start_nginx(
    http => "    recsys_model $model;\n"
            . "    types { text/html html; text/css css; "
            . "application/javascript js; application/json json; }\n",
    locations => <<"EOF");
        location = /recommend {
            recsys;
        }
        location = /items {
            recsys_items;
        }
        location = /recsys-status {
            recsys_status;
            allow 127.0.0.1;
            deny all;
        }
        location = /demo-config.json {
            alias $dir/demo-config.json;
        }
        location / {
            root $root/demo;
            index index.html;
        }
EOF

my $b = RecsysBrowser->new(width => 1280, height => 900);
my $ready = "document.body.dataset.state === 'ready'";

$b->navigate($srv->url('/'));
ok($b->wait_for($ready), 'the page loads and shows its rows');

is($b->js("document.getElementById('model-id').textContent"), 'demo-1',
   'the model id is shown');
like($b->js("document.getElementById('status').textContent"),
     qr/\d+ requests/, 'the status counters are shown');

# pick the viewer
$b->js(<<"EOF");
(function () {
    var s = document.getElementById('viewer');
    s.value = '$viewer';
    s.dispatchEvent(new Event('change'));
}())
EOF
$b->wait_for($ready);

sub row_ids {
    my ($row) = @_;
    return $b->js("Array.from(document.querySelectorAll('#row-$row li.card'))"
                  . ".map(function (li) { return li.dataset.id; })");
}

my $first = row_ids('foryou');
my $want = $srv->json("/recommend?user=$viewer&n=10&explain=1");
is_deeply($first, [map { $_->{id} } @{ $want->{items} }],
          'For you before any click: /recommend for the viewer');

# watch three titles: from "Popular", "For you", and "Popular" again,
# each one not watched yet, clicked as a person would (mouse, keyboard)
my @watched;
for my $k (0 .. 2) {
    my $row = $k == 1 ? 'foryou' : 'popular';
    my ($id) = grep { my $i = $_; !grep { $_ eq $i } @watched } @{ row_ids($row) };
    ok(defined $id, "a title to watch in $row");
    push @watched, $id;
    my $sel = "#row-$row li.card[data-id=\"$id\"] button.pick";
    if ($k == 2) {
        # the keyboard: focus the card's button, press Enter
        $b->js("document.querySelector('$sel').focus()");
        $b->key('Enter', 'Enter', 13);
    } else {
        $b->js("document.querySelector('$sel').click()");
    }
    $b->wait_for("document.querySelectorAll('#session-list li').length === "
                 . ($k + 1) . " && $ready");
}

is_deeply($b->js("Array.from(document.querySelectorAll('#session-list li'))"
                 . ".map(function (li) { return li.textContent; })"),
          [map { $title{$_} } @watched], 'the session lists the watched titles');

my $history = join ',', @watched;
my $rec = $srv->json("/recommend?user=$viewer&history=$history&n=10&explain=1");
my @want_ids = map { $_->{id} } @{ $rec->{items} };
ok(@want_ids > 0, '/recommend has items for the viewer and the session');
is_deeply(row_ids('foryou'), \@want_ids,
          'For you: exactly the items of /recommend for viewer and session, in order');

is($b->js("document.getElementById('because-title').textContent"),
   $title{ $watched[-1] }, '"Because you watched" names the newest title');
my $sim = $srv->json("/recommend?item=$watched[-1]&n=10&explain=1");
is_deeply(row_ids('because'), [map { $_->{id} } @{ $sim->{items} }],
          'Because you watched: the items of item=');

# the explanation of an item that came from the session's titles
my ($why) = grep { @{ $_->{because} || [] } > 0 } @{ $rec->{items} };
ok($why, 'an item of /recommend came from the session');
SKIP: {
    skip 'no explained item', 3 unless $why;
    my $card = "#row-foryou li.card[data-id=\"$why->{id}\"]";
    $b->js("document.querySelector('$card button.why').click()");
    my $text = $b->wait_for("(function () { var p = document.querySelector('$card .explain');"
                            . " return !p.hidden && /Because you watched/.test(p.textContent)"
                            . " && p.textContent; }())");
    for my $id (@{ $why->{because} }) {
        ok(index($text, $title{$id}) >= 0, "the panel names \"$title{$id}\"");
    }
    my @sources = sort keys %{ $why->{sources} };
    like($text, qr/Sources: /, 'the panel shows the sources');
    ok(!grep({ index($text, $_) < 0 } @sources), "the panel names the sources: @sources");
    is($b->js("document.querySelector('$card button.why').getAttribute('aria-expanded')"),
       'true', 'the button says its panel is open');
}

# every control labelled: selects and inputs by a <label>, buttons by text
# or aria-label
my $unlabelled = $b->js(<<'EOF');
Array.from(document.querySelectorAll('select, input, button, textarea'))
    .filter(function (e) {
        var name = e.getAttribute('aria-label') || e.textContent.trim();
        if (e.tagName === 'BUTTON') { return name === ''; }
        return !(e.labels && e.labels.length > 0 && e.labels[0].textContent.trim())
               && !e.getAttribute('aria-label');
    })
    .map(function (e) { return e.outerHTML.slice(0, 80); })
EOF
is_deeply($unlabelled, [], 'every control has a label');

# the focus ring: from the second control, Shift+Tab onto the first
$b->js("document.getElementById('algo').focus()");
$b->key('Tab', 'Tab', 9, 8);
my $focus = $b->js(<<'EOF');
(function () {
    var e = document.activeElement, s = getComputedStyle(e);
    return { id: e.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
}())
EOF
is($focus->{id}, 'viewer', 'Shift+Tab reaches the first control');
ok($focus->{style} ne 'none' && $focus->{width} >= 2,
   "the focused control shows a ring ($focus->{style} $focus->{width}px)");

mkdir "$root/build";
$b->screenshot("$root/build/demo-page.png", full => 1);
ok(-s "$root/build/demo-page.png", 'build/demo-page.png saved');

# a phone: nothing wider than the screen
$b->viewport(390, 844);
$b->wait_for("window.innerWidth === 390");
my $overflow = $b->js("document.documentElement.scrollWidth");
ok($overflow <= 390, "the page fits a 390 px wide screen ($overflow px)");
$b->screenshot("$root/build/demo-phone.png");

is_deeply([$b->errors], [], 'no console errors, exceptions or failed loads');

$b->quit;
$srv->finish;
done_testing();
