#!/bin/sh
# Installs the Debian packages dotproxy needs, or tells a non-root user
# which ones to install.  usage: deps.sh build|test|sanitize|bench|fuzz
# As root it also creates the unprivileged user and the empty chroot the
# built-in defaults name, so the daemon runs as it would when installed.

build_pkgs="make gcc libc6-dev pkg-config byacc libtls-dev libssl-dev libseccomp-dev libcap-ng-dev libevent-dev libbsd-dev ca-certificates"
# podman.sh runs podman with runc, and its ports published through the
# CNI plugins, the network stack it was tested with (Debian's podman
# would take them or netavark).
test_pkgs="$build_pkgs systemd bind9-dnsutils knot-dnsutils dnsperf unbound openssl mandoc procps python3 util-linux iproute2 faketime gdb libcap2-bin podman runc containernetworking-plugins"
# Wanted for their command only: a node and npm from elsewhere (NodeSource,
# nvm) will do, and Debian's npm would conflict with NodeSource's nodejs.
test_cmds="node:nodejs npm:npm"
# make test-asan and test-valgrind: the test set, a compiler with the
# sanitizers, the symbolizer for their reports, and valgrind.
sanitize_pkgs="$test_pkgs clang llvm valgrind"
# make bench: the upstream (unbound), dnsperf, and the peers it compares with.
bench_pkgs="$build_pkgs knot-dnsutils dnsperf unbound stubby dnsdist openssl procps util-linux"
# make fuzz: clang and its libFuzzer and sanitizer runtimes.
fuzz_pkgs="$build_pkgs clang libclang-rt-dev"

cmds=""
case "$1" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs cmds=$test_cmds ;;
sanitize) pkgs=$sanitize_pkgs cmds=$test_cmds ;;
bench) pkgs=$bench_pkgs ;;
fuzz) pkgs=$fuzz_pkgs ;;
*) echo "usage: $0 build|test|sanitize|bench|fuzz" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
for c in $cmds; do
	command -v "${c%%:*}" >/dev/null 2>&1 || missing="$missing ${c#*:}"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "dotproxy needs these Debian packages; as root run:" >&2
		echo "  apt-get install$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	    { apt-get update -q >/dev/null && \
	    apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
	    { echo "apt-get install$missing failed" >&2; exit 1; }
fi

if [ "$(id -u)" -eq 0 ]; then
	[ -d /var/empty ] || install -d -m 0755 /var/empty
	id _dotproxy >/dev/null 2>&1 ||
	    useradd --system --no-create-home --home-dir /var/empty \
	    --shell /usr/sbin/nologin _dotproxy
fi

# OpenRC is never installed: it would replace sysv-rc and take over the
# rc scripts.  regress/e2e/service.sh runs openrc-run unpacked in the
# build tree, in a mount namespace of its own.
orc=$(dirname "$0")/../build/openrc
if [ "$1" = test ] && [ ! -x "$orc/sbin/openrc-run" ]; then
	rm -rf "$orc.dl" && mkdir -p "$orc.dl" &&
	    (cd "$orc.dl" && apt-get download -q openrc librc1 libeinfo1) \
	    >/dev/null 2>&1 &&
	    for d in "$orc.dl"/*.deb; do dpkg-deb -x "$d" "$orc"; done ||
	    echo "openrc could not be fetched: its test will be skipped" >&2
	rm -rf "$orc.dl"
fi
exit 0
