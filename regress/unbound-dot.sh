#!/bin/sh
#
# Copyright (c) 2026 The dotproxy developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# unbound-dot.sh -- Unbound as a DNS-over-TLS upstream on loopback.
#
#   unbound-dot.sh start DIR PORT CERTDIR
#	Write DIR/unbound.conf, start unbound in the background, wait until
#	it answers over TLS, print its pid.  DNS-over-TLS on 127.0.0.1@PORT
#	(certificate CERTDIR/server.pem, made by mkcerts.sh, valid for
#	dns.test and 127.0.0.1), plain DNS (UDP and TCP) on
#	127.0.0.1@PORT+1 for reference measurements.  Log: DIR/unbound.log.
#   unbound-dot.sh stop DIR
#	Stop the unbound started for DIR.
#
# UNBOUND_TCP_IDLE (ms) overrides its tcp-idle-timeout, 30000; OPENSSL_CONF
# in the environment reaches unbound, e.g. to cap it at TLS 1.2.
# UNBOUND_THREADS overrides num-threads, 1 (more than one also turns on
# so-reuseport); regress/bench.sh passes it through.
#
# Data served, all local (nothing is ever sent off the host: the root
# zone is a static local zone):
#   www.example.test   A 192.0.2.53, AAAA 2001:db8::53, TXT "dotproxy regress"
#   txt.example.test   TXT "unbound" "dot"
#   big.example.test   30 TXT records of 100 bytes (about 3.5 KB)
#   *.bench.test       A 192.0.2.7, TTL 3600 (bench.test is a redirect zone)
#   *.miss.bench.test  A 192.0.2.8, TTL 5: regress/bench.sh's cache misses,
#                      gone from a cache soon so that they do not fill it
#   any other name in test.: NXDOMAIN, SOA minimum 60
#   any name outside test.: NXDOMAIN
#
# Unbound keeps the invoking user (username "", no chroot), so this works
# as root and as an unprivileged user alike.

set -eu

usage()
{
	echo "usage: $0 start DIR PORT CERTDIR | stop DIR" >&2
	exit 2
}

alive()
{
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
	    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = unbound ]
}

writeconf()
{
	dir=$1 port=$2 certdir=$3 plain=$4
	reuse=no
	[ "${UNBOUND_THREADS:-1}" -le 1 ] || reuse=yes

	cat <<EOF
# Written by regress/unbound-dot.sh; rewritten on every start.
server:
	verbosity: 1
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	use-syslog: no
	logfile: ""
	log-time-ascii: yes
	num-threads: ${UNBOUND_THREADS:-1}
	so-reuseport: $reuse

	interface: 127.0.0.1@$port
	interface: 127.0.0.1@$plain
	tls-port: $port
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	access-control: 127.0.0.0/8 allow
	incoming-num-tcp: 256
	tcp-idle-timeout: ${UNBOUND_TCP_IDLE:-30000}
	edns-tcp-keepalive-timeout: ${UNBOUND_TCP_IDLE:-120000}
	edns-tcp-keepalive: yes

	tls-service-key: "$certdir/server.key"
	tls-service-pem: "$certdir/server.pem"
	tls-session-ticket-keys: "$dir/ticket.key"
	pad-responses: yes
	pad-responses-block-size: 468

	module-config: "iterator"
	do-not-query-localhost: yes
	do-not-query-address: 0.0.0.0/0
	do-not-query-address: ::/0
	qname-minimisation: no
	minimal-responses: yes

	local-zone: "." static
	local-zone: "test." static
	local-data: "test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 900 604800 60"
	local-data: "www.example.test. 300 IN A 192.0.2.53"
	local-data: "www.example.test. 300 IN AAAA 2001:db8::53"
	local-data: 'www.example.test. 300 IN TXT "dotproxy regress"'
	local-data: 'txt.example.test. 300 IN TXT "unbound" "dot"'
EOF
	i=1
	while [ $i -le 30 ]; do
		printf "\tlocal-data: 'big.example.test. 300 IN TXT \"%03d%s\"'\n" \
		    $i "-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz-0123456789abcd"
		i=$((i + 1))
	done
	cat <<EOF
	local-zone: "bench.test." redirect
	local-data: "bench.test. 3600 IN A 192.0.2.7"
	local-zone: "miss.bench.test." redirect
	local-data: "miss.bench.test. 5 IN A 192.0.2.8"

remote-control:
	control-enable: no
EOF
}

start()
{
	dir=$1 port=$2 certdir=$3

	case ${UNBOUND_THREADS:-1} in
	''|*[!0-9]*|0)
		echo "$0: bad UNBOUND_THREADS: $UNBOUND_THREADS" >&2
		exit 2
		;;
	esac
	case $port in
	''|*[!0-9]*)
		echo "$0: bad port: $port" >&2
		exit 2
		;;
	esac
	if [ "$port" -lt 1 ] || [ "$port" -gt 65534 ]; then
		echo "$0: bad port: $port" >&2
		exit 2
	fi
	for f in server.pem server.key ca.pem; do
		if [ ! -r "$certdir/$f" ]; then
			echo "$0: $certdir/$f missing (run mkcerts.sh)" >&2
			exit 1
		fi
	done

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	certdir=$(cd "$certdir" && pwd)

	if [ -f "$dir/unbound.pid" ] && alive "$(cat "$dir/unbound.pid")"; then
		echo "$0: unbound already running for $dir" >&2
		exit 1
	fi

	if [ ! -s "$dir/ticket.key" ]; then
		(umask 077 && head -c 80 /dev/urandom >"$dir/ticket.key")
	fi
	writeconf "$dir" "$port" "$certdir" $((port + 1)) >"$dir/unbound.conf"
	if ! unbound-checkconf "$dir/unbound.conf" >"$dir/unbound.log" 2>&1; then
		cat "$dir/unbound.log" >&2
		exit 1
	fi

	unbound -d -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 </dev/null &
	pid=$!

	# Ready means it answers over TLS with the test CA; 10 s at most.
	n=0
	while :; do
		# not alive(): until the shell's child has exec'd, its comm
		# is not yet "unbound", and a busy machine shows that
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$0: unbound exited during start-up:" >&2
			cat "$dir/unbound.log" >&2
			exit 1
		fi
		if kdig +tls-ca="$certdir/ca.pem" +tls-hostname=dns.test \
		    @127.0.0.1 -p "$port" +time=1 +retry=0 +short \
		    www.example.test A 2>/dev/null | grep -q '^192\.0\.2\.53$'
		then
			break
		fi
		n=$((n + 1))
		if [ $n -ge 50 ]; then
			echo "$0: unbound does not answer on port $port" >&2
			kill "$pid" 2>/dev/null || true
			cat "$dir/unbound.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	echo "$pid" >"$dir/unbound.pid"
	echo "$pid"
}

stop()
{
	dir=$1

	[ -f "$dir/unbound.pid" ] || exit 0
	pid=$(cat "$dir/unbound.pid")
	if alive "$pid"; then
		kill "$pid"
		n=0
		while alive "$pid" && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if alive "$pid"; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$dir/unbound.pid"
}

[ $# -ge 1 ] || usage
case $1 in
start)
	[ $# -eq 4 ] || usage
	start "$2" "$3" "$4"
	;;
stop)
	[ $# -eq 2 ] || usage
	stop "$2"
	;;
*)
	usage
	;;
esac
