package RecsysTest;

# RecsysTest: the small harness the t/*.t files share.  It owns finding the
# repository and the built artifacts, running the builder, and the lifecycle
# of a private nginx: a temp directory holding nginx.conf, error.log, pid and
# temp paths, a free loopback port, start with a bounded wait for the port,
# stop with SIGQUIT then SIGKILL after a timeout, always in END.  A server's
# finish() stops it and fails the test file if error.log holds [alert],
# [crit] or [emerg] lines the test did not declare with expect_log().
#
# Perl core modules only.

use strict;
use warnings;

use B ();
use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(:sys_wait_h _exit);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(repo_root movielens_dir builder_path module_path nginx_bin
                    skip_unless_built need_movielens missing builder
                    build_model tmpdir write_file slurp publish free_port
                    decode_json_strict is_number check_shape check_items
                    check_error recsys_locations);

my %live;                       # servers to stop in END, by refaddr


# repo_root(): the repository, found from this file (t/lib/..) so it works
# whatever the current directory or the .t's location on the command line.
sub repo_root {
    my $lib = dirname(abs_path(__FILE__));
    return abs_path(File::Spec->catdir($lib, File::Spec->updir,
                                       File::Spec->updir));
}

# The MovieLens sample next to the repository (../shared/data/
# ml-latest-small).
sub movielens_dir {
    return File::Spec->catdir(repo_root(), File::Spec->updir,
                              qw(shared data ml-latest-small));
}

sub builder_path { $ENV{RECSYS_BUILD} || repo_root() . '/build/recsys-build' }
sub module_path  { $ENV{RECSYS_MODULE}
                   // repo_root() . '/build/ngx_http_recsys_module.so' }
sub nginx_bin    { $ENV{NGINX_BIN} || '/usr/sbin/nginx' }


# missing($why): the one rule for a test file whose prerequisites (a
# build, nginx, a data set) are absent.  Locally the whole file is skipped;
# under CI (CI set to anything but "", "0" or "false") it fails instead, so
# a pipeline never goes green on tests that did not run.  Does not return.
sub missing {
    my ($why) = @_;
    my $ci = $ENV{CI} // '';

    plan skip_all => $why if $ci eq '' || $ci eq '0' || lc $ci eq 'false';
    plan tests => 1;
    fail("required for this test under CI=$ci: $why");
    exit 1;
}


# skip_unless_built(): missing() unless the builder, the module and nginx
# are all there (only the builder with builder_only => 1).
sub skip_unless_built {
    my (%o) = @_;

    missing('build/recsys-build missing (run ./build.sh)')
        unless -x builder_path();
    return if $o{builder_only};
    missing('build/ngx_http_recsys_module.so missing (run ./build.sh)')
        unless -f module_path();
    missing(nginx_bin() . ' missing (set NGINX_BIN)')
        unless -x nginx_bin();
}


# need_movielens(@files): the MovieLens directory, after missing() unless
# each named file (ratings.csv by default) is readable there.
sub need_movielens {
    my (@files) = @_;
    my $dir = movielens_dir();

    for my $f (@files ? @files : 'ratings.csv') {
        missing("$dir/$f missing (the MovieLens sample is not here)")
            unless -r "$dir/$f";
    }
    return $dir;
}


sub tmpdir { tempdir('recsys-t-XXXXXX', TMPDIR => 1, CLEANUP => 1) }


sub write_file {
    my ($path, $content) = @_;
    open my $fh, '>:raw', $path or die "write $path: $!";
    print {$fh} $content;
    close $fh or die "close $path: $!";
    return $path;
}


sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}


# publish($staged, $path): rename a finished file over the served path, the
# way a deployment publishes a model.
sub publish {
    my ($staged, $path) = @_;
    rename $staged, $path or die "rename $staged -> $path: $!";
}


# free_port(): a loopback port the kernel says is free right now.
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "bind 127.0.0.1:0: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}


# run_cmd($timeout, @argv): (exit code, stdout, stderr); a command killed
# by a signal or the timeout reports 128 + signal.
sub run_cmd {
    my ($timeout, @argv) = @_;
    my $dir = tmpdir();
    my ($out, $err) = ("$dir/stdout", "$dir/stderr");

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or _exit(126);
        open STDERR, '>', $err or _exit(126);
        exec { $argv[0] } @argv or print STDERR "exec $argv[0]: $!\n";
        _exit(127);
    }

    my $deadline = time + $timeout;
    my $status;
    while (1) {
        my $w = waitpid $pid, WNOHANG;
        if ($w == $pid) { $status = $?; last }
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            $status = 9;
            last;
        }
        sleep 0.01;
    }

    my $code = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
    return ($code, slurp($out) // '', slurp($err) // '');
}


# builder(@args): run build/recsys-build; (exit code, stdout, stderr).
sub builder {
    my (@args) = @_;
    return run_cmd(120, builder_path(), @args);
}


# build_model(interactions => F, [out => MODEL, items => F, model_id => ID,
# args => [...]]): build or die with the builder's stderr.  Returns MODEL,
# by default model.mdb in a fresh temporary directory.
sub build_model {
    my (%o) = @_;
    $o{out} //= tmpdir() . '/model.mdb';
    my @args = ('build', '--interactions', $o{interactions}, '--out', $o{out});
    push @args, '--items', $o{items} if defined $o{items};
    push @args, '--model-id', $o{model_id} if defined $o{model_id};
    push @args, @{ $o{args} || [] };

    my ($rc, $out, $err) = builder(@args);
    die "recsys-build @args: exit $rc\n$err" if $rc != 0 || !-f $o{out};
    return $o{out};
}


# decode_json_strict($body, $what): decode a response body or die saying
# which request produced something that is not JSON.
my $json = JSON::PP->new->utf8->allow_nonref(0);

sub decode_json_strict {
    my ($body, $what) = @_;
    my $d = eval { $json->decode($body // '') };
    die "invalid JSON from $what: $@body: <<" . ($body // '') . ">>\n"
        unless defined $d;
    return $d;
}


# The built-in modules that own the *_temp_path directives, if compiled in.
sub temp_path_directives {
    my $v = `"@{[nginx_bin()]}" -V 2>&1` // '';
    my @d = ('client_body_temp_path');
    for my $m (qw(proxy fastcgi uwsgi scgi)) {
        push @d, "${m}_temp_path" unless $v =~ /--without-http_${m}_module/;
    }
    return @d;
}


# recsys_locations([$where, $model, @directives], ...): nginx locations
# for start_nginx's locations, one a list: "location $where" answered by
# recsys from $model, with the further directives (no trailing ';').
sub recsys_locations {
    return join '', map {
        my ($where, $model, @d) = @$_;
        "        location $where {\n            recsys;\n"
        . "            recsys_model $model;\n"
        . join('', map { "            $_;\n" } @d)
        . "        }\n";
    } @_;
}


# start_nginx(locations => "...", http => "...", server => "...",
#             main => "...", workers => N, user => NAME, conf_dir => DIR):
# a running server or die with its logs (one worker unless workers says
# otherwise; workers run as root when the tests do, unless user names
# another).  The prefix (-p) is the server's temp directory; nginx.conf is
# written there too unless conf_dir names another directory for it.
sub start_nginx {
    my (%o) = @_;
    my $self = bless { dir => tmpdir(), expect => [], %o }, __PACKAGE__;
    my $dir = $self->{dir};
    my $conf_file = nginx_conf($self);

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/nginx.stdout" or _exit(126);
        open STDERR, '>', "$dir/nginx.stderr" or _exit(126);
        my @cmd = (nginx_bin(), '-p', "$dir/", '-c', $conf_file,
                   '-e', "$dir/error.log");
        if ($ENV{RECSYS_NGINX_PRELOAD}) {
            # a sanitizer build of the module in the stock nginx: the
            # runtime goes first; reports go to files that finish() reads
            $ENV{LD_PRELOAD} = $ENV{RECSYS_NGINX_PRELOAD};
            $ENV{ASAN_OPTIONS} = "detect_leaks=0:log_path=$dir/sanitizer";
            $ENV{UBSAN_OPTIONS} = "print_stacktrace=1:log_path=$dir/sanitizer";
        }
        exec { $cmd[0] } @cmd or print STDERR "exec $cmd[0]: $!\n";
        _exit(127);
    }
    $self->{pid} = $pid;
    $live{"$self"} = $self;

    my $deadline = time + 10;
    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $self->{pid};
            delete $live{"$self"};
            die "nginx exited at startup (status $?)\n" . $self->diagnostics;
        }
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port},
                                      Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; last }
        if (time > $deadline) {
            $self->stop;
            die "nginx did not listen on port $self->{port} within 10 s\n"
                . $self->diagnostics;
        }
        sleep 0.05;
    }

    $self->{http} = HTTP::Tiny->new(timeout => 10, keep_alive => 1,
                                    max_redirect => 0,
                                    agent => 'recsys-tests/1');
    return $self;
}


# nginx_conf($server): writes the nginx.conf of a server object from its
# options (start_nginx's) and picks its port; returns the file's path.
sub nginx_conf {
    my ($self) = @_;
    my $dir = $self->{dir};

    $self->{port} = free_port();

    my $temps = join '', map { "    $_ $dir/" . ($_ =~ s/_path\z//r) . ";\n" }
                         temp_path_directives();
    my $user = $self->{user} ? "user $self->{user};\n"
             : $> == 0 ? "user root;\n" : '';
    my $conf = <<"EOF";
${user}daemon off;
master_process on;
worker_processes @{[ $self->{workers} // 1 ]};
error_log $dir/error.log info;
pid $dir/nginx.pid;
@{[ module_path() ne '' ? "load_module " . module_path() . ";" : '' ]}
@{[ $self->{main} // '' ]}
events {
    worker_connections 64;
}

http {
    access_log off;
    default_type application/octet-stream;
$temps
@{[ $self->{http} // '' ]}
    server {
        listen 127.0.0.1:$self->{port};
        server_name localhost;
@{[ $self->{server} // '' ]}
@{[ $self->{locations} // '' ]}
    }
}
EOF
    my $conf_file = ($self->{conf_dir} // $dir) . '/nginx.conf';
    write_file($conf_file, $conf);
    $self->{conf} = $conf;
    return $conf_file;
}


# test_conf(%options): `nginx -t` on what start_nginx(%options) would
# write: (exit code, nginx's stderr and error.log).
sub test_conf {
    my (%o) = @_;
    my $self = bless { dir => tmpdir(), expect => [], %o }, __PACKAGE__;
    my $conf_file = nginx_conf($self);
    # a sanitizer build of the module needs its runtime first, as in
    # start_nginx
    local %ENV = %ENV;
    if ($ENV{RECSYS_NGINX_PRELOAD}) {
        $ENV{LD_PRELOAD} = $ENV{RECSYS_NGINX_PRELOAD};
        $ENV{ASAN_OPTIONS} = "detect_leaks=0:log_path=$self->{dir}/sanitizer";
        $ENV{UBSAN_OPTIONS} =
            "print_stacktrace=1:log_path=$self->{dir}/sanitizer";
    }
    my ($rc, undef, $err) = run_cmd(30, nginx_bin(), '-t', '-p',
                                    "$self->{dir}/", '-c', $conf_file,
                                    '-e', "$self->{dir}/error.log");
    return ($rc, $err . (slurp("$self->{dir}/error.log") // ''));
}

sub dir  { $_[0]{dir} }
sub port { $_[0]{port} }
sub url  { my ($self, $path) = @_; "http://127.0.0.1:$self->{port}$path" }


sub diagnostics {
    my ($self) = @_;
    my $s = '';
    for my $f (qw(nginx.stderr error.log)) {
        my $c = slurp("$self->{dir}/$f");
        $s .= "--- $f ---\n$c\n" if defined $c && length $c;
    }
    return $s;
}


# request($method, $path, \%options): the HTTP::Tiny response hash.  $path
# is sent as written (callers percent-encode).
sub request {
    my ($self, $method, $path, $opt) = @_;
    return $self->{http}->request($method, $self->url($path), $opt || {});
}

# raw($method, $target, \%headers): one request on a fresh connection with
# "Connection: close", read to EOF (bounded by a 10 s timeout).  Returns
# { status, headers => {lowercased => value}, body, raw }: unlike HTTP::Tiny
# it shows bytes a HEAD response must not carry.
sub raw {
    my ($self, $method, $target, $headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port},
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!";
    my $req = "$method $target HTTP/1.1\r\nHost: localhost\r\n"
              . join('', map { "$_: $headers->{$_}\r\n" } sort keys %{ $headers || {} })
              . "Connection: close\r\n\r\n";
    print {$s} $req;

    my $buf = '';
    my $deadline = time + 10;
    my $sel = '';
    vec($sel, fileno($s), 1) = 1;
    while (time < $deadline) {
        my $r = $sel;
        last unless select($r, undef, undef, 0.5) >= 0;
        next unless vec($r, fileno($s), 1);
        my $n = sysread $s, $buf, 65536, length $buf;
        last if !$n;
    }
    close $s;

    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my @lines = split /\r\n/, $head // '';
    my ($status) = (shift(@lines) // '') =~ m{^HTTP/1\.[01] (\d{3})};
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{ lc $k } = $v;
    }
    return { status => $status // 0, headers => \%h, body => $body // '',
             raw => $buf };
}

sub get {
    my ($self, $path, $headers) = @_;
    return $self->request('GET', $path, { headers => $headers || {} });
}


# json($path, \%headers): GET and decode; dies on a transport error or a body
# that is not JSON.  Scalar context: the data; list context: (data, response).
sub json {
    my ($self, $path, $headers) = @_;
    my $res = $self->get($path, $headers);
    die "GET $path: transport error: $res->{content}\n" if $res->{status} == 599;
    my $d = decode_json_strict($res->{content}, "GET $path ($res->{status})");
    return wantarray ? ($d, $res) : $d;
}


# ok200($path, $name, %want): one test that GET $path answers 200 and one
# that its body has the /recommend shape (check_shape, %want pinning
# fields); returns the decoded body.
sub ok200 {
    my ($self, $path, $name, %want) = @_;
    my ($d, $res) = $self->json($path);

    is($res->{status}, 200, "$name: 200") or diag $res->{content};
    check_shape($d, $name, %want);
    return $d;
}


sub error_log { slurp("$_[0]{dir}/error.log") // '' }


# expect_log(qr/.../): an [alert]/[crit]/[emerg] line matching this is part
# of what the test provokes, not a failure.
sub expect_log {
    my ($self, @re) = @_;
    push @{ $self->{expect} }, @re;
}


# worker_pids($master): the master's children, from /proc.
sub worker_pids {
    my ($master) = @_;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = slurp($stat) // next;
        push @pids, $1 if $s =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $master;
    }
    return @pids;
}


# stop(): SIGQUIT (graceful), wait up to 10 s, then SIGKILL the master and
# its workers.  Idempotent.
sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    delete $live{"$self"};
    undef $self->{http};

    my @workers = worker_pids($pid);

    kill 'QUIT', $pid;
    my $deadline = time + 10;
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $deadline) {
            kill 'KILL', $pid, @workers;
            waitpid $pid, 0;
            $self->{killed} = 1;
            last;
        }
        sleep 0.02;
    }
    $self->{exit_status} = $?;
    return;
}


# finish(): stop and check error.log: one test.
sub finish {
    my ($self) = @_;
    $self->stop;
    my @bad = grep {
        my $l = $_;
        $l =~ /\[(?:alert|crit|emerg)\]/
            && !grep { $l =~ $_ } @{ $self->{expect} };
    } split /\n/, $self->error_log;
    for my $report (glob "$self->{dir}/sanitizer*") {
        open my $fh, '<', $report or next;
        local $/;
        push @bad, "sanitizer report $report:\n" . <$fh>;
    }
    ok(!@bad && !$self->{killed},
       'nginx stopped cleanly, no unexpected alert/crit/emerg in error.log')
        or diag(join "\n", ($self->{killed} ? 'nginx needed SIGKILL' : ()),
                @bad);
}


# is_number($v): the JSON value was a number, not a string.
sub is_number {
    my ($v) = @_;
    return 0 unless defined $v && !ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 1 : 0;
}


# check_shape($d, $name, %want): one test that a /recommend success body
# has the documented fields and types; %want pins model, algo, user (undef
# means null), fallback (undef means null), item.
sub check_shape {
    my ($d, $name, %want) = @_;
    my @why;

    if (ref $d ne 'HASH') {
        return ok(0, "$name: body is a JSON object");
    }
    push @why, 'model not a non-empty string'
        unless defined $d->{model} && !ref $d->{model} && length $d->{model};
    push @why, 'algo not a string' unless defined $d->{algo} && !ref $d->{algo};
    push @why, 'no user key' unless exists $d->{user};
    push @why, 'no fallback key' unless exists $d->{fallback};
    push @why, 'items not an array' unless ref $d->{items} eq 'ARRAY';
    for my $k (sort keys %want) {
        my ($g, $w) = ($d->{$k}, $want{$k});
        next if !defined $g && !defined $w;
        push @why, "$k is " . (defined $g ? "'$g'" : 'null') . ", want "
                   . (defined $w ? "'$w'" : 'null')
            if !defined $g || !defined $w || ref $g || $g ne $w;
    }
    my %ids;
    for my $it (ref $d->{items} eq 'ARRAY' ? @{ $d->{items} } : ()) {
        if (ref $it ne 'HASH') { push @why, 'item not an object'; next }
        push @why, 'item id not a string'
            unless defined $it->{id} && !ref $it->{id} && !is_number($it->{id});
        push @why, "item $it->{id}: score not a number"
            unless is_number($it->{score});
        push @why, "item $it->{id}: title neither string nor null"
            unless exists $it->{title} && !ref $it->{title};
        push @why, "item $it->{id}: genres not an array of strings"
            unless ref $it->{genres} eq 'ARRAY'
                   && !grep { !defined || ref } @{ $it->{genres} };
        push @why, "item $it->{id} listed twice" if $ids{ $it->{id} // '' }++;
    }
    ok(!@why, "$name: response shape") or diag join "\n", @why;
}


# check_items($items, $expected, $name, catalog => $cat, scores => 1):
# ids in exactly the expected order ($expected: [[id, score], ...], ids as
# UTF-8 bytes), scores within 1e-4 unless scores => 0, titles and genres
# from the catalog (null and [] for items not in it) when given.
sub check_items {
    my ($items, $expected, $name, %o) = @_;
    my @got = map { my $id = $_->{id}; utf8::encode($id); $id } @$items;
    my @want = map { $_->[0] } @$expected;

    is(join(' | ', @got), join(' | ', @want), "$name: ids in order")
        or return;

    if ($o{scores} // 1) {
        my @bad;
        for my $k (0 .. $#want) {
            my ($g, $w) = ($items->[$k]{score}, $expected->[$k][1]);
            push @bad, "$want[$k]: got $g, want $w"
                unless is_number($g) && abs($g - $w) <= 1e-4;
        }
        ok(!@bad, "$name: scores") or diag join "\n", @bad;
    }

    if (my $cat = $o{catalog}) {
        my @bad;
        for my $k (0 .. $#want) {
            my $c = $cat->{ $want[$k] };
            my $it = $items->[$k];
            my $wt = $c ? $c->{title} : undef;
            my $wg = join '|', $c ? @{ $c->{genres} } : ();
            my $gg = ref $it->{genres} eq 'ARRAY' ? join '|', @{ $it->{genres} }
                                                  : '(not an array)';
            push @bad, "$want[$k]: title "
                       . (defined $it->{title} ? "'$it->{title}'" : 'null')
                       . ', want ' . (defined $wt ? "'$wt'" : 'null')
                if (defined $wt xor defined $it->{title})
                   || (defined $wt && $wt ne $it->{title});
            push @bad, "$want[$k]: genres [$gg], want [$wg]" if $gg ne $wg;
        }
        ok(!@bad, "$name: titles and genres from the catalog")
            or diag join "\n", map { my $s = $_; utf8::encode($s); $s } @bad;
    }
}


# check_error($srv, $method, $path, $status, $error, $arg, $name): one
# request answered with a JSON error: status, JSON content type, error code,
# and for bad_request the fixed message naming $arg.  Returns the response.
sub check_error {
    my ($srv, $method, $path, $status, $error, $arg, $name) = @_;
    my $res = $srv->request($method, $path);
    my @why;

    push @why, "status $res->{status}, want $status"
        if $res->{status} != $status;
    push @why, 'content type ' . ($res->{headers}{'content-type'} // 'none')
        unless ($res->{headers}{'content-type'} // '') =~ m{^application/json};
    my $d = eval { decode_json_strict($res->{content}, "$method $path") };
    if (!$d) {
        push @why, "body is not JSON: $@";
    } elsif (ref $d ne 'HASH') {
        push @why, 'body is not a JSON object';
    } else {
        push @why, 'error is ' . ($d->{error} // 'missing') . ", want $error"
            if ($d->{error} // '') ne $error;
        push @why, 'message is not a string'
            unless defined $d->{message} && !ref $d->{message};
        if (defined $arg) {
            push @why, 'message is "' . ($d->{message} // '') . '"'
                if ($d->{message} // '') ne "invalid argument: $arg";
        }
    }
    ok(!@why, $name // "$method $path -> $status $error")
        or diag join "\n", "$method $path", @why,
                "body: " . ($res->{content} // '');
    return $res;
}


sub DESTROY {
    my ($self) = @_;
    local ($?, $@, $!);
    $self->stop if $self->{pid};
}

END {
    local $?;
    $_->stop for values %live;
}

1;
