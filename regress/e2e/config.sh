#!/bin/sh
# Configuration: -n and -nv, errors with file:line, a missing -f file, the
# environment variables overriding the file (checked with -nv and with a
# running proxy answering dig), bad environment values naming the
# variable, the manuals linting clean and make install.
. "$(dirname "$0")/../lib.sh"
BASE=$((25460 + ${E2E_PORT_SHIFT:-0}))
PF=$BASE PE=$((BASE + 1)) UP=$((BASE + 2)) UPF=$((BASE + 3))
PB=$((BASE + 4))

# Nothing from the caller's environment may leak into these runs.
unset DNS_SERVER_IP DNS_SERVER_PORT DNS_SERVER_NAME CA_PATH \
    LISTENING_SOCKET_IP LISTENING_SOCKET_PORT

# run OUT CMD...: CMD's stdout and stderr in $W/OUT, its status in $rc.
run()
{
	_o=$1
	shift
	"$@" >"$W/$_o" 2>&1
	rc=$?
}

# has FILE LINE: FILE has LINE, exactly.
has()
{
	grep -qxF "$2" "$1"
}

# oneline FILE: FILE squeezed onto one line, for result names.
oneline()
{
	head -c 300 "$1" | tr '\n' ' ' | sed 's/ *$//'
}

# --- -n and -nv ----------------------------------------------------------
run n.out "$DOTPROXY" -n -f "$TOP/etc/dotproxy.conf"
check "-n on the example configuration prints 'configuration OK', exits 0 ($rc)" \
    sh -c '[ "$1" -eq 0 ] && [ "$(cat "$2")" = "configuration OK" ]' - \
    "$rc" "$W/n.out"

cat >"$W/bad.conf" <<EOF
# a comment, then a good line
listen on 127.0.0.1 port $PF
frobnicate yes
EOF
run bad.out "$DOTPROXY" -n -f "$W/bad.conf"
check "-n on an unknown keyword: exit 1 ($rc)" [ "$rc" -eq 1 ]
check "-n on an unknown keyword: FILE:LINE: message ($(oneline "$W/bad.out"))" \
    grep -q "^$W/bad.conf:3: ." "$W/bad.out"
check "-n on an unknown keyword: no 'configuration OK'" \
    sh -c '! grep -q "configuration OK" "$1"' - "$W/bad.out"

cat >"$W/syn.conf" <<EOF
listen on 127.0.0.1 port $PF

cache size 100
tcp-idle-timeout "ten"
engines 1
EOF
run syn.out "$DOTPROXY" -n -f "$W/syn.conf"
check "-n on a syntax error: exit 1, FILE:LINE: message ($rc: $(oneline \
    "$W/syn.out"))" sh -c '[ "$1" -eq 1 ] && grep -q "^$2:4: ." "$3"' - \
    "$rc" "$W/syn.conf" "$W/syn.out"

cat >"$W/unterminated.conf" <<EOF
listen on 127.0.0.1 port $PF
user "_dotproxy
EOF
run unt.out "$DOTPROXY" -n -f "$W/unterminated.conf"
check "-n on an unterminated string: exit 1, FILE:LINE: ($rc: $(oneline \
    "$W/unt.out"))" sh -c '[ "$1" -eq 1 ] && grep -q "^$2:[23]: ." "$3"' - \
    "$rc" "$W/unterminated.conf" "$W/unt.out"

printf 'listen on 127.0.0.1 port %s\n\n\nupstream 127.0.0.1 port 853\nbogus\n' \
    "$PF" >"$W/inc.conf"
printf '# includes the broken one\ninclude "%s"\n' "$W/inc.conf" >"$W/top.conf"
run inc.out "$DOTPROXY" -n -f "$W/top.conf"
check "-n on an error in an included file names that file and line ($rc: \
$(oneline "$W/inc.out"))" sh -c '[ "$1" -eq 1 ] && grep -q "^$2:5: ." "$3"' \
    - "$rc" "$W/inc.conf" "$W/inc.out"

run miss.out "$DOTPROXY" -n -f "$W/does-not-exist.conf"
check "-n -f on a missing file: exit 1 and names the file ($rc: $(oneline \
    "$W/miss.out"))" sh -c '[ "$1" -eq 1 ] && grep -q "does-not-exist.conf" \
    "$2" && ! grep -q "configuration OK" "$2"' - "$rc" "$W/miss.out"
run miss2.out timeout $((5 * SCALE)) "$DOTPROXY" -d -f "$W/does-not-exist.conf"
check "starting with -f on a missing file fails with status 1 ($rc)" \
    [ "$rc" -eq 1 ]

run nv.out "$DOTPROXY" -nv -f "$TOP/etc/dotproxy.conf"
check "-nv: exit 0 and ends with 'configuration OK' ($rc)" \
    sh -c '[ "$1" -eq 0 ] && [ "$(tail -1 "$2")" = "configuration OK" ]' - \
    "$rc" "$W/nv.out"
check "-nv prints the file's listen, upstream and policy statements" \
    sh -c 'grep -qx "listen on 127.0.0.1 port 53" "$1" &&
    grep -qx "listen on ::1 port 53" "$1" &&
    grep -q "^upstream 1\.1\.1\.1 port 853 tls-name \"cloudflare-dns\.com\"" "$1" &&
    grep -q "^upstream 9\.9\.9\.9 .*tls-name \"dns\.quad9\.net\"" "$1" &&
    grep -qx "upstream-policy failover" "$1"' - "$W/nv.out"
check "-nv prints the macro \$lan4 expanded" \
    grep -qx "allow from 192.168.0.0/16" "$W/nv.out"
grep -vx "configuration OK" "$W/nv.out" >"$W/printed.conf"
run nv2.out "$DOTPROXY" -nv -f "$W/printed.conf"
check "-nv output is itself a configuration that prints the same" \
    sh -c '[ "$1" -eq 0 ] && cmp -s "$2" "$3"' - "$rc" "$W/nv.out" "$W/nv2.out"
run nvdef.out "$DOTPROXY" -nv -f /dev/null
check "-nv on an empty file prints the built-in defaults" \
    sh -c 'grep -qx "listen on 0.0.0.0 port 35353" "$1" &&
    grep -q "^upstream 1\.1\.1\.1 port 853 tls-name \"cloudflare-dns\.com\"" "$1" &&
    grep -qx "ca-file \"/etc/ssl/certs/ca-certificates.crt\"" "$1" &&
    grep -qx "deny from any" "$1"' - "$W/nvdef.out"

# --- the environment -----------------------------------------------------
# The file points somewhere else on every count: another listen address
# and port, an upstream on ::1 at a port nobody serves with the wrong name,
# and a CA bundle that does not exist.  Only the environment makes it work.
cat >"$W/else.conf" <<EOF
listen on ::1 port $PF
ca-file "$W/no-such-ca.pem"
upstream ::1 port $UPF tls-name "wrong.test"
upstream ::1 port $((UPF + 1)) tls-name "other.test"
cache off
EOF
set -- DNS_SERVER_IP=127.0.0.1 DNS_SERVER_PORT=$UP DNS_SERVER_NAME=dns.test \
    CA_PATH="$CERTS/ca.pem" LISTENING_SOCKET_IP=127.0.0.1 \
    LISTENING_SOCKET_PORT=$PE
run envnv.out env "$@" "$DOTPROXY" -nv -f "$W/else.conf"
check "-nv with the environment set: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "-nv shows DNS_SERVER_* as the one upstream" \
    sh -c '[ "$(grep -c "^upstream " "$1")" -eq 1 ] &&
    grep -q "^upstream 127\.0\.0\.1 port $2 tls-name \"dns\.test\"" "$1"' - \
    "$W/envnv.out" "$UP"
check "-nv shows LISTENING_SOCKET_* as the one listen address" \
    sh -c '[ "$(grep -c "^listen on " "$1")" -eq 1 ] &&
    grep -qx "listen on 127\.0\.0\.1 port $2" "$1"' - "$W/envnv.out" "$PE"
check "-nv shows CA_PATH as the ca-file" \
    has "$W/envnv.out" "ca-file \"$CERTS/ca.pem\""

run port.out env DNS_SERVER_PORT=$UP "$DOTPROXY" -nv -f "$W/else.conf"
check "DNS_SERVER_PORT alone keeps the first upstream's address and name" \
    sh -c '[ "$(grep -c "^upstream " "$1")" -eq 1 ] &&
    grep -q "^upstream ::1 port $2 tls-name \"wrong\.test\"" "$1"' - \
    "$W/port.out" "$UP"
run lip.out env LISTENING_SOCKET_IP=::1 "$DOTPROXY" -nv -f /dev/null
check "LISTENING_SOCKET_IP=::1 alone: listen on ::1 at the default port" \
    has "$W/lip.out" "listen on ::1 port 35353"
run lport.out env LISTENING_SOCKET_PORT=$PE "$DOTPROXY" -nv -f "$W/else.conf"
check "LISTENING_SOCKET_PORT alone keeps the file's address" \
    has "$W/lport.out" "listen on ::1 port $PE"

dotserver up $UP || notok "dotserver starts"
check "dotproxy starts on a file pointing elsewhere, fixed by the environment" \
    proxy env "$W/else.conf" "$@"
out=$(q $PE +short viaenv.example.test A)
check "dig at LISTENING_SOCKET_IP:LISTENING_SOCKET_PORT is answered ($out)" \
    [ "$out" = 192.0.2.1 ]
check "the answer came from the DNS_SERVER_IP:DNS_SERVER_PORT upstream" \
    grep -q "^query .* name=viaenv\.example\.test" "$W/up.log"
out=$(q $PE +tcp +short viaenv-tcp.example.test A)
check "TCP at the environment's listen address is answered too ($out)" \
    [ "$out" = 192.0.2.1 ]
check "the file's listen address ::1 port $PF is not bound" \
    sh -c '! ss -Hlnu "sport = :$1" | grep -q . &&
    ! ss -Hlnt "sport = :$1" | grep -q .' - "$PF"
kill "$(proxypid env)" 2>/dev/null
waitfor 4 sh -c '! kill -0 "$1" 2>/dev/null ||
    grep -q "^State:[[:space:]]*Z" /proc/$1/status' - "$(proxypid env)"

cat >"$W/good.conf" <<EOF
listen on 127.0.0.1 port $PB
ca-file "$CERTS/ca.pem"
upstream 127.0.0.1 port $UP tls-name "dns.test"
EOF
# badenv VAR=VALUE: both -n and a real start must fail with status 1 and
# name VAR.
badenv()
{
	_var=${1%%=*}
	run badn.out env "$1" "$DOTPROXY" -n -f "$W/good.conf"
	_rcn=$rc
	run bads.out timeout $((5 * SCALE)) env "$1" "$DOTPROXY" -d -f "$W/good.conf"
	check "$1: -n exits 1 ($_rcn) naming $_var ($(oneline "$W/badn.out"))" \
	    sh -c '[ "$1" -eq 1 ] && grep -q "$2" "$3"' - "$_rcn" "$_var" \
	    "$W/badn.out"
	check "$1: start exits 1 ($rc) naming $_var ($(oneline "$W/bads.out"))" \
	    sh -c '[ "$1" -eq 1 ] && grep -q "$2" "$3"' - "$rc" "$_var" \
	    "$W/bads.out"
}
badenv DNS_SERVER_PORT=70000
badenv DNS_SERVER_PORT=0
badenv DNS_SERVER_IP=notanip
badenv DNS_SERVER_NAME='bad name!'
badenv LISTENING_SOCKET_PORT=abc
badenv LISTENING_SOCKET_IP=localhost
badenv CA_PATH=relative/ca.pem

# A CA_PATH that parses but names no file passes -n (which does not read
# the bundle) and must stop the start-up.
run badca.out timeout $((5 * SCALE)) env CA_PATH=/nonexistent "$DOTPROXY" -d \
    -f "$W/good.conf"
check "CA_PATH=/nonexistent: start exits 1 ($rc) and names the path ($(oneline \
    "$W/badca.out"))" sh -c '[ "$1" -eq 1 ] && grep -q /nonexistent "$2"' - \
    "$rc" "$W/badca.out"
check "CA_PATH=/nonexistent: the start-up error names CA_PATH" \
    grep -q CA_PATH "$W/badca.out"
check "the good configuration used above does start (control)" \
    proxy ctl "$W/good.conf"
check "... and answers (control)" \
    sh -c '[ "$(dig @127.0.0.1 -p "$1" +time=3 +tries=1 +short ctl.example.test A)" = 192.0.2.1 ]' \
    - "$PB"

# --- manuals ---------------------------------------------------------------
run lint.out mandoc -Tlint -Wwarning "$TOP/man/dotproxy.8" \
    "$TOP/man/dotproxyctl.8" "$TOP/dotproxy.conf.5"
check "mandoc -Tlint -Wwarning is clean on dotproxy.8, dotproxyctl.8 and dotproxy.conf.5 \
($rc$(test -s "$W/lint.out" && echo ": $(oneline "$W/lint.out")"))" \
    sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' - "$rc" "$W/lint.out"

# --- make install ----------------------------------------------------------
# -o: install the binaries that are there, never rebuild them (other
# tests may be running them).  A make we may be running under must not
# hand its flags or jobserver to this one.
run inst.out env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -C "$TOP" -o "$DOTPROXY_BIN" -o dotproxy-probe -o dotproxyctl \
    install PROG="$DOTPROXY_BIN" DESTDIR="$W/inst" PREFIX=/usr/local
I=$W/inst/usr/local
check "make install DESTDIR=... PREFIX=/usr/local succeeds ($rc)" [ "$rc" -eq 0 ]
check "make install compiled nothing" \
    sh -c '! grep -Eq "(^| )(cc|gcc|clang|yacc|byacc)( |$)" "$1"' - "$W/inst.out"
check "installed sbin/dotproxy, mode 0755, the built binary" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ] && cmp -s "$1" "$2"' \
    - "$I/sbin/dotproxy" "$DOTPROXY_BIN"
check "installed sbin/dotproxy-probe, mode 0755" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - \
    "$I/sbin/dotproxy-probe"
check "installed sbin/dotproxyctl, mode 0755" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - \
    "$I/sbin/dotproxyctl"
check "installed share/man/man8/dotproxyctl.8" \
    sh -c '[ "$(stat -c %a "$1")" = 644 ] && cmp -s "$1" "$2"' - \
    "$I/share/man/man8/dotproxyctl.8" "$TOP/man/dotproxyctl.8"
check "installed share/man/man8/dotproxy.8" \
    sh -c '[ "$(stat -c %a "$1")" = 644 ] && cmp -s "$1" "$2"' - \
    "$I/share/man/man8/dotproxy.8" "$TOP/man/dotproxy.8"
check "installed share/man/man5/dotproxy.conf.5" \
    sh -c '[ "$(stat -c %a "$1")" = 644 ] && cmp -s "$1" "$2"' - \
    "$I/share/man/man5/dotproxy.conf.5" "$TOP/dotproxy.conf.5"
check "installed the example dotproxy.conf" \
    cmp -s "$I/share/examples/dotproxy/dotproxy.conf" "$TOP/etc/dotproxy.conf"
run instn.out "$I/sbin/dotproxy" -n -f "$I/share/examples/dotproxy/dotproxy.conf"
check "the installed binary accepts the installed example ($rc)" \
    sh -c '[ "$1" -eq 0 ] && grep -qx "configuration OK" "$2"' - "$rc" \
    "$W/instn.out"
check "nothing was installed outside DESTDIR" \
    sh -c '[ -z "$(find "$1" -mindepth 1 -maxdepth 1 ! -name usr)" ] &&
    [ -z "$(find "$1/usr" -mindepth 1 -maxdepth 1 ! -name local)" ]' - \
    "$W/inst"
