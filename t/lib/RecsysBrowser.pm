package RecsysBrowser;

# RecsysBrowser: headless Chromium driven over the DevTools protocol, Perl
# core modules only.  Chromium is started with --remote-debugging-pipe: it
# reads commands on its fd 3 and writes answers and events on its fd 4,
# each message one JSON text ended by a NUL byte.  One page target is
# attached in flat mode; every console error, uncaught exception and
# error log entry (a failed load included) is kept for errors().

use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Select;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(time sleep);

my $json = JSON::PP->new->utf8->canonical;

# chromium_path(): the browser, or '' when none is installed.
sub chromium_path {
    for my $p ($ENV{CHROMIUM} // (), qw(/usr/bin/chromium /usr/bin/chromium-browser)) {
        return $p if -x $p;
    }
    return '';
}

# new(width => W, height => H): a browser with one blank page, or die.
sub new {
    my ($class, %o) = @_;
    my $bin = chromium_path() or die "no chromium\n";
    my $self = bless { id => 0, events => [], errors => [], buf => '' }, $class;
    my $profile = tempdir('recsys-chromium-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    pipe(my $cmd_r, my $cmd_w) or die "pipe: $!";
    pipe(my $out_r, my $out_w) or die "pipe: $!";

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # through high numbers first: a pipe may already sit on 3 or 4
        POSIX::dup2(fileno $cmd_r, 10) // _exit(126);
        POSIX::dup2(fileno $out_w, 11) // _exit(126);
        POSIX::dup2(10, 3) // _exit(126);
        POSIX::dup2(11, 4) // _exit(126);
        POSIX::close($_) for 10, 11;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$profile/chromium.log";
        my @argv = ($bin, '--headless', '--remote-debugging-pipe',
                    '--no-sandbox', '--disable-gpu', '--no-first-run',
                    '--disable-dev-shm-usage', '--disable-extensions',
                    '--hide-scrollbars', "--user-data-dir=$profile",
                    sprintf('--window-size=%d,%d', $o{width} // 1280,
                            $o{height} // 900),
                    'about:blank');
        exec { $argv[0] } @argv or _exit(127);
    }

    CORE::close($cmd_r);
    CORE::close($out_w);
    $self->{pid} = $pid;
    $self->{to} = $cmd_w;
    $self->{from} = $out_r;
    $self->{profile} = $profile;
    binmode $cmd_w;
    binmode $out_r;
    select((select($cmd_w), $| = 1)[0]);

    my $targets = $self->call('Target.getTargets');
    my ($page) = grep { $_->{type} eq 'page' } @{ $targets->{targetInfos} };
    $page //= { targetId => $self->call('Target.createTarget',
                                        { url => 'about:blank' })->{targetId} };
    $self->{session} = $self->call('Target.attachToTarget',
                                   { targetId => $page->{targetId},
                                     flatten => JSON::PP::true })->{sessionId};
    $self->page_call($_) for qw(Runtime.enable Log.enable Page.enable);
    $self->page_call('Emulation.setFocusEmulationEnabled',
                     { enabled => JSON::PP::true });
    return $self;
}

# The next message from the browser, or undef after $timeout seconds.
sub _read_message {
    my ($self, $timeout) = @_;
    my $sel = IO::Select->new($self->{from});
    my $deadline = time + $timeout;
    while (1) {
        my $nul = index($self->{buf}, "\0");
        if ($nul >= 0) {
            my $text = substr($self->{buf}, 0, $nul);
            substr($self->{buf}, 0, $nul + 1) = '';
            return $json->decode($text);
        }
        my $left = $deadline - time;
        return undef if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($self->{from}, $self->{buf}, 1 << 20, length $self->{buf});
        die "chromium closed its pipe\n" . $self->log_text() unless $n;
    }
}

# Keeps what the page reported: errors for errors(), the rest for events.
sub _event {
    my ($self, $m) = @_;
    my $p = $m->{params} || {};
    if ($m->{method} eq 'Runtime.consoleAPICalled' && $p->{type} =~ /^(error|assert)\z/) {
        push @{ $self->{errors} }, 'console: '
            . join(' ', map { $_->{value} // $_->{description} // '' } @{ $p->{args} || [] });
    } elsif ($m->{method} eq 'Runtime.exceptionThrown') {
        my $d = $p->{exceptionDetails} || {};
        push @{ $self->{errors} }, 'exception: '
            . ($d->{exception}{description} // $d->{text} // '?');
    } elsif ($m->{method} eq 'Log.entryAdded' && $p->{entry}{level} eq 'error') {
        push @{ $self->{errors} }, "log: $p->{entry}{text} ($p->{entry}{url})";
    }
    push @{ $self->{events} }, $m;
}

# call($method, \%params, $session): the result, or die with the error.
sub call {
    my ($self, $method, $params, $session) = @_;
    my $id = ++$self->{id};
    my %msg = (id => $id, method => $method, params => $params // {});
    $msg{sessionId} = $session if defined $session;
    print { $self->{to} } $json->encode(\%msg), "\0";
    while (1) {
        my $m = $self->_read_message(30)
            // die "no answer to $method within 30 s\n" . $self->log_text();
        if (defined $m->{id} && $m->{id} == $id) {
            die "$method: $m->{error}{message}\n" if $m->{error};
            return $m->{result};
        }
        $self->_event($m) if defined $m->{method};
    }
}

sub page_call {
    my ($self, $method, $params) = @_;
    return $self->call($method, $params, $self->{session});
}

# js($js): the value of an expression (promises awaited), or die with
# the exception it threw.
sub js {
    my ($self, $js) = @_;
    my $r = $self->page_call('Runtime.evaluate',
                             { expression => $js, returnByValue => JSON::PP::true,
                               awaitPromise => JSON::PP::true });
    die "page threw: " . ($r->{exceptionDetails}{exception}{description}
                          // $r->{exceptionDetails}{text}) . "\nin: $js\n"
        if $r->{exceptionDetails};
    return $r->{result}{value};
}

# wait_for($js, $timeout): polls until the expression is true (one that
# throws, as while a page loads, counts as false); its value.
sub wait_for {
    my ($self, $js, $timeout) = @_;
    my $deadline = time + ($timeout // 15);
    while (1) {
        my $v = eval { $self->js($js) };
        return $v if $v;
        die "timed out waiting for: $js\n" . ($@ // '') if time > $deadline;
        # let events through between polls
        while (my $m = $self->_read_message(0.05)) {
            $self->_event($m) if defined $m->{method};
        }
    }
}

sub navigate {
    my ($self, $url) = @_;
    $self->page_call('Page.navigate', { url => $url });
}

# key($key, $code, $keyCode, $modifiers): one key pressed and released
# (modifiers: 8 is Shift).
sub key {
    my ($self, $key, $code, $vk, $mod) = @_;
    for my $type (qw(keyDown keyUp)) {
        $self->page_call('Input.dispatchKeyEvent',
                         { type => $type, key => $key, code => $code,
                           windowsVirtualKeyCode => $vk,
                           nativeVirtualKeyCode => $vk,
                           modifiers => $mod // 0,
                           # a key that types: Enter activates a button
                           ($type eq 'keyDown' && $key eq 'Enter'
                            ? (text => "\r") : ()) });
    }
}

# viewport($width, $height): a device of that size (a phone: 390 x 844).
sub viewport {
    my ($self, $w, $h) = @_;
    $self->page_call('Emulation.setDeviceMetricsOverride',
                     { width => $w, height => $h, deviceScaleFactor => 1,
                       mobile => $w < 600 ? JSON::PP::true : JSON::PP::false });
}

# screenshot($path): the page as PNG (the whole page with full => 1).
sub screenshot {
    my ($self, $path, %o) = @_;
    my $r = $self->page_call('Page.captureScreenshot',
                             { format => 'png',
                               captureBeyondViewport => $o{full} ? JSON::PP::true
                                                                 : JSON::PP::false });
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh decode_base64($r->{data});
    CORE::close($fh) or die "$path: $!";
}

sub errors { @{ $_[0]{errors} } }

sub log_text {
    my ($self) = @_;
    open my $fh, '<', "$self->{profile}/chromium.log" or return '';
    local $/;
    my $t = <$fh> // '';
    return length $t > 4000 ? substr($t, -4000) : $t;
}

sub quit {
    my ($self) = @_;
    return unless $self->{pid};
    eval { $self->call('Browser.close') };
    CORE::close($self->{to});
    my $deadline = time + 5;
    while (waitpid($self->{pid}, WNOHANG) == 0) {
        if (time > $deadline) {
            kill 'KILL', $self->{pid};
            waitpid($self->{pid}, 0);
            last;
        }
        sleep 0.05;
    }
    delete $self->{pid};
}

sub DESTROY { $_[0]->quit }

1;
