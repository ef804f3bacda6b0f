#!/bin/sh
# The container image without a container engine: etc/container/stage.sh,
# the script Dockerfile.distroless runs, stages the image's files plus
# what the distroless base provides (-b) in a directory; dotproxy runs
# chrooted into it as nonroot (65532) with every capability dropped, the
# tree mounted read-only, and only the environment variables as its
# configuration, as `docker run --read-only --cap-drop ALL -e ...` would
# run it.  Then dotproxy-probe, the probes' client, against it.
. "$(dirname "$0")/../lib.sh"
BASE=$((26600 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) FAKE=$((BASE + 2)) NONE=$((BASE + 3))
R=$W/root
NONROOT=65532

fails()
{
	! "$@"
}

if [ "$(id -u)" -ne 0 ]; then
	notok "container test runs as root (chroot, mount namespace)"
	exit 0
fi
for c in unshare capsh mount chroot; do
	command -v $c >/dev/null ||
	    { notok "$c is installed (regress/deps.sh test)"; exit 0; }
done

# The Dockerfile's final stage must be stage.sh's tree on the base that
# -b stands in for, and nothing else, or the test below proves nothing.
D=$TOP/Dockerfile.distroless
final=$(sed -n '/^FROM .*distroless/,$p' "$D")
check "the Dockerfile's build stage runs etc/container/stage.sh into /out" \
    grep -q '^RUN sh etc/container/stage.sh /out' "$D"
check "its final stage is gcr.io/distroless/base-debian12, what stage.sh -b adds to" \
    sh -c 'echo "$1" | head -1 | grep -q "^FROM gcr.io/distroless/base-debian12:nonroot\$"' - "$final"
check "its final stage copies /out and nothing else" \
    [ "$(echo "$final" | grep -E '^(COPY|ADD|RUN)')" = "COPY --from=build /out/ /" ]
check "its final stage runs as $NONROOT, on 35353, with no HEALTHCHECK" \
    sh -c 'echo "$1" | grep -q "^USER $2:$2\$" &&
    echo "$1" | grep -q "^EXPOSE 35353/udp 35353/tcp" &&
    ! grep -q "^HEALTHCHECK" "$3"' - "$final" $NONROOT "$D"

check "etc/container/stage.sh -b stages the image tree" \
    sh -c 'cd "$1" && sh etc/container/stage.sh -b "$2"' - "$TOP" "$R"

# What the image must not have, and what it must have.
bad=$(find "$R" \( -name sh -o -name bash -o -name dash -o -name busybox \
    -o -name 'dpkg*' -o -name 'apt*' -o -name 'rpm' \) -print)
check "no shell and no package manager in the tree ($bad)" [ -z "$bad" ]
progs=$(find "$R" -type f -perm /111 ! -name '*.so*' | sed "s|^$R||" |
    sort | tr '\n' ' ')
check "the only programs are dotproxy and dotproxy-probe ($progs)" \
    [ "$progs" = "/usr/local/sbin/dotproxy /usr/local/sbin/dotproxy-probe " ]
named=$(ldd "$TOP/dotproxy" "$TOP/dotproxy-probe" | awk 'NF > 1 &&
    ($1 ~ /^\// || $2 == "=>") { print $1 }' | sed 's|.*/||' | sort -u | tr '\n' ' ')
have=$(find "$R" -name '*.so*' | sed 's|.*/||' | sort -u | tr '\n' ' ')
check "the libraries are exactly those ldd names ($have)" \
    [ -n "$have" -a "$named" = "$have" ]
check "the CA bundle is the build machine's" \
    cmp -s /etc/ssl/certs/ca-certificates.crt \
    "$R/etc/ssl/certs/ca-certificates.crt"
check "passwd and group have nonroot as $NONROOT" \
    sh -c 'grep -q "^nonroot:x:$2:$2:" "$1/etc/passwd" &&
    grep -q "^nonroot:x:$2:" "$1/etc/group"' - "$R" $NONROOT

# The test upstream's CA joins the bundle at the default path, so no
# CA_PATH is needed: the daemon reads the bundle the image carries.
cat "$CERTS/ca.pem" >>"$R/etc/ssl/certs/ca-certificates.crt"
mkdir "$R/proc"
dotserver up $UP || notok "dotserver starts"

# A private mount namespace: the tree read-only, /proc inside it (engines
# re-execute /proc/self/exe), gone when the last process in it exits.
# capsh empties the bounding set while it still has the capabilities to
# chroot and change user; the change of user then clears the rest.
: >"$W/dp.err"
env -i DNS_SERVER_IP=127.0.0.1 DNS_SERVER_PORT=$UP DNS_SERVER_NAME=dns.test \
    LISTENING_SOCKET_IP=127.0.0.1 LISTENING_SOCKET_PORT=$P \
    "$(command -v unshare)" -m --propagation private /bin/sh -c '
	set -e
	mount --bind "$1" "$1"
	mount -o remount,bind,ro "$1"
	mount -t proc proc "$1/proc"
	exec /usr/bin/env -u PWD "$2" --drop=all --chroot="$1" --gid=$3 --groups=$3 --uid=$3 \
	    --shell=/usr/local/sbin/dotproxy -- -d -v' - \
    "$R" "$(command -v capsh)" $NONROOT >"$W/dp.err" 2>&1 &
PID=$!
PIDS="$PIDS $PID"
check "dotproxy starts chrooted in the tree, configured by the environment" \
    waitfor 15 grep -q 'ready, pid' "$W/dp.err"

check "UDP query answered from the test upstream" \
    upanswer "$(q $P www.example.test A)"
check "TCP query answered from the test upstream" \
    upanswer "$(q $P +tcp tcp.example.test A)"

E=$(enginepid $PID)
status()
{
	awk -v k="$2:" '$1 == k { $1 = ""; print }' "/proc/$1/status" |
	    tr -s ' \t' ' ' | sed 's/^ //'
}
for who in parent engine; do
	p=$PID
	[ $who = engine ] && p=$E
	check "the $who runs as $NONROOT ($(status "$p" Uid))" \
	    [ "$(status "$p" Uid)" = "$NONROOT $NONROOT $NONROOT $NONROOT" -a \
	    "$(status "$p" Gid)" = "$NONROOT $NONROOT $NONROOT $NONROOT" ]
	caps=$(for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		status "$p" $c; done | sort -u)
	check "the $who has no capability in any set ($caps)" \
	    [ "$caps" = 0000000000000000 ]
done
check "the parent's root is the tree" \
    [ "$(readlink "/proc/$PID/root")" = "$R" ]
# Mount points as the chrooted process sees them: the tree is "/".
ro=$(awk '$5 == "/" { print $6 }' "/proc/$PID/mountinfo")
check "the tree is mounted read-only ($ro)" \
    sh -c 'case "$1" in ro|ro,*) ;; *) exit 1 ;; esac' - "$ro"
envs=$(tr '\0' '\n' <"/proc/$PID/environ" | sed 's/=.*//' | sort | tr '\n' ' ')
check "its environment is only the variables given ($envs)" \
    [ "$envs" = "DNS_SERVER_IP DNS_SERVER_NAME DNS_SERVER_PORT LISTENING_SOCKET_IP LISTENING_SOCKET_PORT " ]
check "it warns that it cannot chroot or change user" \
    grep -q 'not running as root' "$W/dp.err"

# dotproxy-probe from the tree, as the orchestrator execs it: in the
# daemon's (read-only) root, as nonroot.
probe()
{
	chroot --userspec=$NONROOT:$NONROOT "/proc/$PID/root" \
	    /usr/local/sbin/dotproxy-probe "$@" >>"$W/probe.out" 2>&1
}
check "dotproxy-probe (readiness): NOERROR for the root NS" probe -p $P
check "dotproxy-probe: NXDOMAIN counts as ready" probe -p $P -q a.nx.test -t A
check "dotproxy-probe: SERVFAIL is not ready" fails probe -p $P -q servfail.test
check "dotproxy-probe -a: SERVFAIL is an answer" probe -a -p $P -q servfail.test
check "dotproxy-probe: nothing listening fails" fails probe -p $NONE -w 5
stopserver up
check "dotproxy-probe: the upstream stopped, not ready" \
    fails probe -p $P -q stopped.example.test -t A
t0=$(date +%s%N)
check "dotproxy-probe -a -t MAILA (liveness): answered by the engine alone" \
    probe -a -t MAILA -p $P
ms=$((($(date +%s%N) - t0) / 1000000))
check "the liveness query needs no upstream: answered in ${ms} ms" \
    [ $ms -lt 1000 ]

# A server that answers with the wrong ID, then one with the right ID.
fake()
{
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[3], "w").close()
q, a = s.recvfrom(512)
id = (int.from_bytes(q[:2], "big") + int(sys.argv[2])) & 0xffff
s.sendto(id.to_bytes(2, "big") + bytes([q[2] | 0x80, 0x80]) + q[4:], a)
' "$@" &
	PIDS="$PIDS $!"
	waitfor 5 test -f "$3"
}
fake $FAKE 1 "$W/fake1"
check "dotproxy-probe: an answer with another ID does not count" \
    fails probe -p $FAKE -w 2
fake $FAKE 0 "$W/fake0"
check "dotproxy-probe: the same answer with our ID does" probe -p $FAKE -w 2
