#!/bin/sh
# The container image under a real OCI runtime: podman with runc.  No
# registry is reachable from the test machines, so the image is
# assembled from local files: etc/container/stage.sh -b stages the tree
# Dockerfile.distroless copies plus what its distroless base provides
# (the C library and loader of the build machine, passwd and group with
# nonroot), and `podman import` makes it an image with the USER, EXPOSE
# and ENTRYPOINT of the Dockerfile's final stage, read from the
# Dockerfile itself.  The image holds the production binaries `make`
# builds (./dotproxy, ./dotproxy-probe), also under make test-asan and
# test-valgrind.
#
# Then the container runs as the README's Container section tells users:
# --read-only, --cap-drop ALL, --security-opt no-new-privileges, --user
# 65532:65532, ports published with -p, configured once by the
# environment and once by a file mounted at /etc/dotproxy.conf, the test
# CA mounted beside it.  Checks: podman inspect, answers over UDP and
# TCP through the published port, dotproxy-probe inside (podman exec:
# the image has no shell), each process's credentials, capabilities,
# no_new_privs and seccomp from the host's /proc, and podman stop
# (SIGTERM) stopping it cleanly.
. "$(dirname "$0")/../lib.sh"
BASE=$((27100 + ${E2E_PORT_SHIFT:-0}))
P1=$BASE P2=$((BASE + 1)) UP=$((BASE + 2))
NONROOT=65532
R=$W/root
D=$TOP/Dockerfile.distroless
# Names of this run's own: checkouts may run this script at once.
IMG=localhost/dotproxy-e2e:$BASE-$$
C1=dotproxy-e2e-$BASE-$$-env
C2=dotproxy-e2e-$BASE-$$-file

# This machine's constraints, not part of how users run the image: crun
# refuses the hybrid (v1 + v2) cgroup hierarchy, so runc, with cgroupfs
# since no systemd manages cgroups here; and podman, as root, asks the
# runtime to raise the open files and processes limits to 1048576, which
# it may not do here, so the limits are given (1024 is plenty for one
# engine's test traffic).  E2E_TIME_SCALE stretches the timeout that
# keeps a stuck podman from hanging the suite.
PODMAN="podman --runtime runc --cgroup-manager cgroupfs"
LIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
pm()
{
	timeout $((60 * SCALE)) $PODMAN "$@"
}

fails()
{
	! "$@"
}

# Everything of podman this script made goes, whatever happened.
podcleanup()
{
	for _c in "$C1" "$C2"; do
		pm rm -f -i -t 2 "$_c" >/dev/null 2>&1
	done
	pm rmi -f "$IMG" >/dev/null 2>&1
}

if [ "$(id -u)" -ne 0 ]; then
	notok "podman test runs as root (rootful podman, nsenter)"
	exit 0
fi
for c in podman runc nsenter timeout tar; do
	command -v $c >/dev/null ||
	    { notok "$c is installed (regress/deps.sh test)"; exit 0; }
done
if ! pm info >"$W/info.out" 2>&1; then
	notok "podman works here ($(tail -1 "$W/info.out"))"
	exit 0
fi
trap 'podcleanup; cleanup' EXIT

# --- the image -----------------------------------------------------------
# The final stage's USER, EXPOSE and ENTRYPOINT (and ENV, CMD, WORKDIR or
# STOPSIGNAL if it ever has them) become the image's configuration; podman
# 4.3 takes one port per EXPOSE.
final=$(sed -n '/^FROM .*distroless/,$p' "$D")
set --
while IFS= read -r l; do
	case $l in
	EXPOSE\ *)
		for port in ${l#EXPOSE }; do
			set -- "$@" --change "EXPOSE $port"
		done ;;
	USER\ *|ENTRYPOINT\ *|CMD\ *|ENV\ *|WORKDIR\ *|STOPSIGNAL\ *)
		set -- "$@" --change "$l" ;;
	esac
done <<EOF
$final
EOF

check "etc/container/stage.sh -b stages the image tree from the production build" \
    sh -c 'cd "$1" && sh etc/container/stage.sh -b "$2"' - "$TOP" "$R"
check "the tree is the binaries make built, not a test build" \
    sh -c 'cmp -s "$1/dotproxy" "$2/usr/local/sbin/dotproxy" &&
    cmp -s "$1/dotproxy-probe" "$2/usr/local/sbin/dotproxy-probe"' - "$TOP" "$R"
tar -C "$R" --numeric-owner --owner=0 --group=0 -cf "$W/root.tar" . &&
    pm import "$@" "$W/root.tar" "$IMG" >"$W/import.out" 2>&1
check "podman import assembles the image ($IMG: $(tail -1 "$W/import.out"))" \
    pm image exists "$IMG"
cfg=$(pm image inspect --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.ExposedPorts}}' "$IMG" 2>&1)
check "its configuration is the Dockerfile's final stage ($cfg)" \
    [ "$cfg" = "$NONROOT:$NONROOT|[\"/usr/local/sbin/dotproxy\",\"-d\"]|{\"35353/tcp\":{},\"35353/udp\":{}}" ]

# --- run by the environment ----------------------------------------------
# Networking: the README runs the container on podman's (docker's)
# default bridge with its port published, and so does this test, on the
# host's 127.0.0.1 only; the CNI portmap rules podman installs carry a
# client's query from 127.0.0.1:PORT to the container (which sees it
# from the bridge's private address, inside the default ACL).  The
# regress upstream must stay on loopback, and the host's loopback is not
# reachable from the container's network namespace, so dotserver runs in
# that namespace (nsenter --net, the host's files and binary otherwise)
# on the container's own 127.0.0.1: as a sidecar upstream would be.
# --network host would need neither, but would not test the -p
# publishing the README prescribes.
#
# nsupstream NAME CONTAINER: the regress DoT server on the container's
# 127.0.0.1 at UP; its log is $W/NAME.log.
nsupstream()
{
	_name=$1
	_cp=$(pm inspect --format '{{.State.Pid}}' "$2" 2>/dev/null)
	[ -n "$_cp" ] && [ "$_cp" -gt 0 ] || return 1
	rm -f "$W/$_name.pid"
	nsenter --net="/proc/$_cp/ns/net" "$DOTSERVER" -c "$CERTS/server.pem" \
	    -k "$CERTS/server.key" -l 127.0.0.1 -p "$UP" -L "$W/$_name.log" \
	    -w "$W/$_name.pid" >"$W/$_name.out" 2>&1 &
	PIDS="$PIDS $!"
	waitfor 5 test -s "$W/$_name.pid"
}

# started CONTAINER: its log says dotproxy started its engines.
started()
{
	pm logs "$1" 2>&1 | grep -q 'dotproxy started'
}

# field PID NAME: the value of a /proc/PID/status line, blanks squeezed.
field()
{
	awk -v k="$2:" '$1 == k { $1 = ""; print }' "/proc/$1/status" |
	    tr -s ' \t' ' ' | sed 's/^ //'
}

# gone PIDS...: none of them runs any more.
gone()
{
	! alive "$@"
}

# nq NAME: the queries the upstream NAME logged, 0 if none.
nq()
{
	_n=$(upqueries "$1")
	echo "${_n:-0}"
}

# answered PORT ARGS...: dig through the published port got the
# regress upstream's answer.
answered()
{
	q "$@" | grep -q '192\.0\.2\.1'
}

# stopcheck LABEL CONTAINER: podman stop sends SIGTERM (the image sets no
# other stop signal) and would SIGKILL after 10 s: dotproxy must be done
# long before, with status 0 and its own clean stop in the log.
stopcheck()
{
	_l=$1 _c=$2
	_cp=$(pm inspect --format '{{.State.Pid}}' "$_c" 2>/dev/null)
	_kids=
	alive "$_cp" && _kids=$(pgrep -P "$_cp" | tr '\n' ' ')
	_t0=$(ms)
	pm stop -t 10 "$_c" >"$W/$_c.stop" 2>&1
	_rc=$? _t=$(since $_t0)
	check "$_l: podman stop (SIGTERM) returns in $_t ms (< $((5000 * SCALE)), status $_rc)" \
	    [ "$_rc" -eq 0 -a "$_t" -lt $((5000 * SCALE)) ]
	_st=$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$_c" 2>&1)
	check "$_l: dotproxy exited with status 0 ($_st)" [ "$_st" = "exited 0" ]
	pm logs "$_c" >"$W/$_c.log" 2>&1
	check "$_l: its log shows dotproxy's clean stop (stopping on signal 15, dotproxy stopped)" \
	    sh -c 'grep -q "stopping on signal 15" "$1" &&
	    tail -1 "$1" | grep -q "^dotproxy stopped$"' - "$W/$_c.log"
	check "$_l: no process of it remains (parent $_cp, engines $_kids)" \
	    waitfor 2 gone $_cp $_kids
}

# The run the README shows, as it shows it, with the test's upstream in
# the environment and its CA mounted where CA_PATH says.
pm run -d --name "$C1" $LIMITS \
    --read-only --cap-drop ALL --security-opt no-new-privileges \
    --user $NONROOT:$NONROOT \
    -e DNS_SERVER_IP=127.0.0.1 -e DNS_SERVER_PORT=$UP \
    -e DNS_SERVER_NAME=dns.test -e CA_PATH=/etc/dotproxy/ca.pem \
    -e LISTENING_SOCKET_IP=0.0.0.0 -e LISTENING_SOCKET_PORT=35353 \
    -v "$CERTS/ca.pem:/etc/dotproxy/ca.pem:ro" \
    -p 127.0.0.1:$P1:35353/udp -p 127.0.0.1:$P1:35353/tcp \
    "$IMG" >"$W/run1.out" 2>&1
check "podman run --read-only --cap-drop ALL --security-opt no-new-privileges --user $NONROOT:$NONROOT -e ... -p 127.0.0.1:$P1:35353 starts it ($(tail -1 "$W/run1.out"))" \
    waitfor 15 started "$C1"

ins()
{
	pm inspect --format "$1" "$C1" 2>&1
}
check "podman inspect: run by runc ($(ins '{{.OCIRuntime}}'))" \
    [ "$(ins '{{.OCIRuntime}}')" = runc ]
check "podman inspect: ReadonlyRootfs ($(ins '{{.HostConfig.ReadonlyRootfs}}'))" \
    [ "$(ins '{{.HostConfig.ReadonlyRootfs}}')" = true ]
# podman 4.3 records --cap-drop ALL as the list of what it dropped.
defcaps=$(pm info --format '{{.Host.Security.DefaultCapabilities}}' | tr ',' ' ')
drop=$(ins '{{json .HostConfig.CapDrop}}')
check "podman inspect: CapDrop ALL: every default capability dropped ($drop)" \
    sh -c '[ -n "$1" ] || exit 1; for c in $1; do
    case "$2" in *\"$c\"*) ;; *) exit 1 ;; esac; done' - "$defcaps" "$drop"
check "podman inspect: no CapAdd ($(ins '{{json .HostConfig.CapAdd}}')), no effective capability ($(ins '{{json .EffectiveCaps}}'))" \
    sh -c 'case "$1" in null|"[]") ;; *) exit 1 ;; esac
    case "$2" in null|"[]") ;; *) exit 1 ;; esac' - \
    "$(ins '{{json .HostConfig.CapAdd}}')" "$(ins '{{json .EffectiveCaps}}')"
check "podman inspect: no-new-privileges ($(ins '{{json .HostConfig.SecurityOpt}}'))" \
    sh -c 'echo "$1" | grep -q "\"no-new-privileges\""' - \
    "$(ins '{{json .HostConfig.SecurityOpt}}')"
check "podman inspect: User $NONROOT ($(ins '{{.Config.User}}'))" \
    [ "$(ins '{{.Config.User}}')" = "$NONROOT:$NONROOT" ]
check "podman inspect: not privileged ($(ins '{{.HostConfig.Privileged}}'))" \
    [ "$(ins '{{.HostConfig.Privileged}}')" = false ]

check "the regress upstream starts on the container's 127.0.0.1:$UP" \
    nsupstream up1 "$C1"
check "nothing listens on the host's 127.0.0.1:$UP: the upstream is the container's own" \
    sh -c '! ss -Hltn "sport = :$1" | grep -q .' - "$UP"

check "UDP query through the published port answered with the upstream's answer" \
    answered $P1 www.example.test A
check "TCP query through the published port answered with the upstream's answer" \
    answered $P1 +tcp tcp.example.test A
check "both reached the upstream in the container ($(nq up1) queries)" \
    [ "$(nq up1)" -ge 2 ]

# dotproxy-probe as the orchestrator's probes run it: exec'd in the
# container, as its user, with its restrictions.
check "dotproxy-probe (readiness) inside the container passes" \
    pm exec "$C1" /usr/local/sbin/dotproxy-probe
check "dotproxy-probe -a -t MAILA (liveness) inside the container passes" \
    pm exec "$C1" /usr/local/sbin/dotproxy-probe -a -t MAILA
check "there is no shell to exec in the image" \
    fails pm exec "$C1" /bin/sh -c true 2>/dev/null

# The processes as the host's kernel sees them.
CP=$(ins '{{.State.Pid}}')
if ! alive "$CP"; then
	notok "the container's dotproxy runs (podman inspect: pid '$CP')"
else
	ENGINES=$(engines "$CP" | tr '\n' ' ')
	check "the container's process is dotproxy -d, its children engines ($(tr '\0' ' ' <"/proc/$CP/cmdline" 2>/dev/null); $ENGINES)" \
	    sh -c '[ "$(tr "\0" " " <"/proc/$1/cmdline")" = "/usr/local/sbin/dotproxy -d " ] &&
	    [ -n "$2" ] && for e in $2; do
	    tr "\0" " " <"/proc/$e/cmdline" | grep -q "^dotproxy: engine " || exit 1
	    done' - "$CP" "$ENGINES"
	n=0
	for p in $CP $ENGINES; do
		who="engine $n (pid $p)"
		[ "$p" = "$CP" ] && who="the parent (pid $p)"
		n=$((n + 1))
		check "$who runs as $NONROOT ($(field $p Uid); $(field $p Gid))" \
		    [ "$(field $p Uid)" = "$NONROOT $NONROOT $NONROOT $NONROOT" -a \
		    "$(field $p Gid)" = "$NONROOT $NONROOT $NONROOT $NONROOT" ]
		caps=$(for c in CapInh CapPrm CapEff CapBnd CapAmb; do
			field $p $c; done | sort -u)
		check "$who has no capability in any set, CapEff $(field $p CapEff)" \
		    [ "$caps" = 0000000000000000 ]
		check "$who has NoNewPrivs $(field $p NoNewPrivs), Seccomp $(field $p Seccomp)" \
		    [ "$(field $p NoNewPrivs)" = 1 -a "$(field $p Seccomp)" = 2 ]
	done
	# podman's default seccomp profile filters the container's processes;
	# the parent adds its own once started (root.sh), and each engine has
	# dotproxy's own allowlist on top of the container's.
	pf=$(field "$CP" Seccomp_filters)
	cf=$((${pf:-1} - 1))
	check "each engine adds dotproxy's seccomp filter to the container's ($cf; the parent ${pf:-?} filters)" \
	    sh -c '[ -n "$1" ] && [ -n "$2" ] || exit 1; for e in $2; do
	    n=$(awk "\$1 == \"Seccomp_filters:\" { print \$2 }" /proc/$e/status)
	    [ "${n:-0}" -gt "$1" ] || exit 1; done' - "$cf" "$ENGINES"
	ro=$(awk '$5 == "/" { print $6 }' "/proc/$CP/mountinfo" 2>/dev/null)
	check "its root is mounted read-only ($ro)" \
	    sh -c 'case "$1" in ro|ro,*) ;; *) exit 1 ;; esac' - "$ro"
fi
check "it warns that it cannot chroot or change user" \
    sh -c 'echo "$1" | grep -q "not running as root"' - "$(pm logs "$C1" 2>&1)"

stopcheck "environment" "$C1"
stopserver up1

# --- run by a mounted file -------------------------------------------------
# The configuration a user would mount: the upstream with its tls-name
# and the CA as the container sees them.  No environment variable, and
# no listen statement: the default, 0.0.0.0 port 35353, is what -p maps.
cat >"$W/dotproxy.conf" <<EOF
upstream 127.0.0.1 port $UP tls-name "dns.test"
ca-file "/etc/dotproxy/ca.pem"
engines 1
EOF
chmod 0644 "$W/dotproxy.conf"
pm run -d --name "$C2" $LIMITS \
    --read-only --cap-drop ALL --security-opt no-new-privileges \
    --user $NONROOT:$NONROOT \
    -v "$W/dotproxy.conf:/etc/dotproxy.conf:ro" \
    -v "$CERTS/ca.pem:/etc/dotproxy/ca.pem:ro" \
    -p 127.0.0.1:$P2:35353/udp -p 127.0.0.1:$P2:35353/tcp \
    "$IMG" >"$W/run2.out" 2>&1
check "podman run ... -v dotproxy.conf:/etc/dotproxy.conf:ro starts it ($(tail -1 "$W/run2.out"))" \
    waitfor 15 started "$C2"
envs=$(pm inspect --format '{{json .Config.Env}}' "$C2" 2>&1)
check "none of the configuration variables is set in it" \
    sh -c '! echo "$1" | grep -Eq "(DNS_SERVER|CA_PATH|LISTENING_SOCKET)"' - "$envs"
check "the regress upstream starts on its 127.0.0.1:$UP" nsupstream up2 "$C2"
check "mounted file: UDP query answered with the upstream's answer" \
    answered $P2 www.example.test A
check "mounted file: TCP query answered with the upstream's answer" \
    answered $P2 +tcp tcp.example.test A
check "mounted file: both reached the file's upstream ($(nq up2) queries)" \
    [ "$(nq up2)" -ge 2 ]
check "mounted file: dotproxy-probe inside the container passes" \
    pm exec "$C2" /usr/local/sbin/dotproxy-probe
log2=$(pm logs "$C2" 2>&1)
check "mounted file: the file's one engine ($(echo "$log2" | grep 'dotproxy started'))" \
    sh -c 'echo "$1" | grep -q "^dotproxy started, 1 engine$"' - "$log2"
stopcheck "mounted file" "$C2"
stopserver up2
