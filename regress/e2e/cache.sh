#!/bin/sh
# The cache: hits and misses (client ID and spelling kept, one upstream
# query), TTLs counted down, the key (type, DO, CD, name without case),
# RFC 2308 negative caching and what must never be cached (TTL 0, no SOA,
# SERVFAIL, TC), min-ttl and max-ttl, LRU eviction at `cache size`,
# serve-stale (RFC 8767), prefetch, truncation of a cached answer for UDP,
# `cache off`, and one cache for the host with `engines 2`.
#
# The regress upstream's name rules make answers tell on the cache:
# serial* and ttlN* names answer 198.51.100.S where S counts the queries
# the upstream received, so a cached answer repeats an old S and a fresh
# one does not; nx* and nodata* carry an SOA whose RFC 2308 negative TTL
# is 3 s (see regress/dotserver.c).  Every check also counts, in the
# upstream's log, the queries that reached it.
. "$(dirname "$0")/../lib.sh"
BASE=$((25600 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1))		# the main proxy and the shared upstream
PMIN=$((BASE + 2)) PMAX=$((BASE + 3))	# cache min-ttl 10, cache max-ttl 3
PLRU=$((BASE + 4)) POFF=$((BASE + 5))	# cache size 3, cache off
PST=$((BASE + 6)) ST=$((BASE + 7))	# serve-stale, with its own upstream
PENG=$((BASE + 8)) EU=$((BASE + 9))	# engines 2, with its own upstream

# sent NAME [TYPE [LOG [FILTER]]]: queries for NAME (any case) of TYPE
# (default A) the upstream LOG (default up) received; FILTER, a further
# regular expression the line must match, e.g. " do"
sent()
{
	_re=$(printf '%s' "$1" | sed 's/\./\\./g')
	grep -i "^query .* name=$_re\. type=${2:-A} " "$W/${3:-up}.log" \
	    2>/dev/null | grep -c -- "${4:-}"
}

# rr OUT [TYPE]: "TTL RDATA" of the first TYPE (default A) record in the
# dig output OUT; ttl and rdata take it apart
rr()
{
	echo "$1" | awk -v t="${2:-A}" '!/^;/ && $4 == t { print $2, $5; exit }'
}

ttl()
{
	rr "$@" | cut -d' ' -f1
}

rdata()
{
	rr "$@" | cut -d' ' -f2
}

status()
{
	echo "$1" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -1
}

# --- servers and proxies -------------------------------------------------
dotserver up $UP && dotserver stup $ST && dotserver eu $EU ||
    notok "the test upstreams start"
conf "$W/main.conf" $P $UP "cache size 1000" "engines 1"
conf "$W/min.conf" $PMIN $UP "cache size 1000" "cache min-ttl 10" "engines 1"
conf "$W/max.conf" $PMAX $UP "cache size 1000" "cache max-ttl 3" "engines 1"
conf "$W/lru.conf" $PLRU $UP "cache size 3" "engines 1"
conf "$W/off.conf" $POFF $UP "cache off" "engines 1"
conf "$W/stale.conf" $PST $ST "cache size 1000" "engines 1"
conf "$W/eng.conf" $PENG $EU "cache size 1000" "engines 2"

# Start each proxy whose configuration is accepted.  A refused one is a
# failure of its own, and the queries meant for it are not sent (their
# checks fail), so that its timeouts do not upset the timed checks.
RUNNING=""
for n in main min max lru off stale eng; do
	if ! "$DOTPROXY" -n -f "$W/$n.conf" >"$W/$n.n" 2>&1; then
		notok "$n: configuration accepted ($(tr '\n' ' ' <"$W/$n.n"))"
	elif proxy "$n" "$W/$n.conf"; then
		ok "$n: dotproxy starts"
		RUNNING="$RUNNING $n"
	else
		notok "$n: dotproxy starts"
	fi
done

running()
{
	case " $RUNNING " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# Without the main proxy every query below would wait out its timeout.
running main || { notok "the main proxy runs: the other checks skipped"; exit 0; }

# --- hit and miss: the client's ID and spelling, the same rdata -----------
out1=$(q $P serial-hit.example.test A)
r1=$(rdata "$out1")
out=$(pyclient ask $P serial-hit.example.test 31337)
check "hit: the second query gets the client's ID back ($out)" \
    sh -c 'echo "$1" | grep -q "^id=31337 rcode=0 tc=0 qd=1 an=1 "' - "$out"
out2=$(q $P serial-hit.example.test A)
r2=$(rdata "$out2")
check "hit: the same rdata again ($r1, $r2)" [ -n "$r1" -a "$r1" = "$r2" ]
check "hit: the upstream saw the name once for three queries ($(sent serial-hit.example.test))" \
    [ "$(sent serial-hit.example.test)" -eq 1 ]

out1=$(q $P serial-case.example.test A)
out2=$(q $P SeRiAl-CaSe.ExAmPlE.tEsT A)
r1=$(rdata "$out1") r2=$(rdata "$out2")
check "case: a hit answers in the second client's spelling" \
    sh -c 'echo "$1" | grep -q "^SeRiAl-CaSe\.ExAmPlE\.tEsT\.[[:space:]].*IN[[:space:]]*A[[:space:]]"' \
    - "$out2"
out=$(pyclient ask $P sErIaL-cAsE.eXaMpLe.TeSt 4242)
check "case: and so does its question ($out)" \
    sh -c 'echo "$1" | grep -q "^id=4242 rcode=0 .* name=sErIaL-cAsE\.eXaMpLe\.TeSt "' - "$out"
check "case: one entry for every spelling ($r1, $r2; upstream $(sent serial-case.example.test))" \
    [ -n "$r1" -a "$r1" = "$r2" -a "$(sent serial-case.example.test)" -eq 1 ]

# --- flags: AA never from the cache, AD only for who asked (RFC 6840 5.8) ---
# The aa* names come with AA=1 and AD=1, as from a validating authority.
hasflag()	# hasflag OUT FLAG: the dig header's flags include FLAG
{
	echo "$1" | grep -q "^;; flags:[a-z ]* $2[ ;]"
}
out1=$(q $P aa-flags.example.test A)
out2=$(q $P aa-flags.example.test A)
check "flags: a fresh answer passes the upstream's AA through" hasflag "$out1" aa
check "flags: the cached answer ($(rdata "$out2"), upstream $(sent aa-flags.example.test)) has AA clear" \
    sh -c '[ "$3" -eq 1 ] && [ -n "$2" ] && echo "$1" | grep -q "^;; flags:" &&
    ! echo "$1" | grep -q "^;; flags:[a-z ]* aa[ ;]"' - "$out2" "$(rdata "$out2")" \
    "$(sent aa-flags.example.test)"
out3=$(q $P aa-flags.example.test A +adflag)
check "flags: a cached answer keeps AD for a client that set AD" hasflag "$out3" ad
out4=$(q $P aa-flags.example.test A +noadflag)
check "flags: and clears it for a client that set neither AD nor DO" \
    sh -c 'echo "$1" | grep -q "^;; flags: qr" && ! echo "$1" | grep -q "^;; flags:[a-z ]* ad[ ;]"' - "$out4"

# --- the key: type, DO, CD -------------------------------------------------
oa=$(q $P serial-type.example.test A)
o6=$(q $P serial-type.example.test AAAA)
q $P serial-type.example.test A >/dev/null
o6b=$(q $P serial-type.example.test AAAA)
check "key: A and AAAA are two entries, each fetched once ($(sent serial-type.example.test A)/$(sent serial-type.example.test AAAA))" \
    [ "$(sent serial-type.example.test A)" -eq 1 -a \
    "$(sent serial-type.example.test AAAA)" -eq 1 ]
check "key: the AAAA hit is the AAAA answer ($(rdata "$o6" AAAA), $(rdata "$o6b" AAAA))" \
    sh -c '[ -n "$1" ] && [ "$1" = "$2" ] && [ -n "$3" ]' - \
    "$(rdata "$o6" AAAA)" "$(rdata "$o6b" AAAA)" "$(rdata "$oa")"

# keybit BIT DIGFLAG: serial-BIT.example.test asked twice with the bit
# (dig's +DIGFLAG) and twice without is two entries, each fetched once.
keybit()
{
	_kn=serial-$1.example.test _kb=$(echo "$1" | tr a-z A-Z)
	for _i in 1 2; do
		q $P $_kn A >/dev/null
		q $P +$2 $_kn A >/dev/null
	done
	check "key: $_kb set and $_kb clear are two entries, each fetched once ($(sent $_kn A up " $1")/$(sent $_kn))" \
	    [ "$(sent $_kn A up " $1")" -eq 1 -a "$(sent $_kn)" -eq 2 ]
}
keybit do dnssec
keybit cd cd

# --- never cached: TTL 0, no SOA, SERVFAIL, TC ----------------------------
# grew NAME PORT [DIGARGS...]: two queries for NAME; true if the second
# also reached the upstream.  Prints both counts.
grew()
{
	_n=$1 _p=$2
	shift 2
	q "$_p" "$@" "$_n" A >/dev/null
	_c1=$(sent "$_n")
	q "$_p" "$@" "$_n" A >/dev/null
	_c2=$(sent "$_n")
	echo "upstream saw $_c1, then $_c2"
	[ "$_c1" -ge 1 ] && [ "$_c2" -gt "$_c1" ]
}

# nocache DESCRIPTION NAME PORT [DIGARGS...]: the check that grew passes
nocache()
{
	_d=$1
	shift
	if _o=$(grew "$@"); then ok "$_d ($_o)"; else notok "$_d ($_o)"; fi
}

nocache "TTL 0 is never reused" ttl0-a.example.test $P
nocache "NXDOMAIN without an SOA is not cached" nxnosoa-a.example.test $P
nocache "NODATA without an SOA is not cached" nodatanosoa-a.example.test $P
nocache "SERVFAIL is not cached" servfail-a.example.test $P
nocache "a truncated (TC=1) upstream reply is not cached" \
    tc-a.example.test $P +tcp +ignore
if running min; then
	nocache "min-ttl 10 does not make TTL 0 cacheable" ttl0-m.example.test $PMIN
else
	notok "min-ttl 10 does not make TTL 0 cacheable (not running)"
fi
if running off; then
	for i in 1 2 3; do q $POFF serial-off.example.test A >/dev/null; done
fi
check "cache off: three queries, three upstream queries ($(sent serial-off.example.test))" \
    [ "$(sent serial-off.example.test)" -eq 3 ]

# --- a cached large answer, truncated for UDP -----------------------------
out=$(q $P +tcp big-c.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "big: fetched whole over TCP ($sz bytes)" [ "${sz:-0}" -gt 3900 ]
out=$(q $P +ignore +bufsize=1232 big-c.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "big: the cached answer over UDP has TC=1 and fits 1232 bytes ($sz)" \
    sh -c 'echo "$1" | grep -q "flags:.* tc" && [ "${2:-99999}" -le 1232 ]' \
    - "$out" "$sz"
out=$(q $P +ignore +noedns big-c.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "big: without EDNS it has TC=1 and fits 512 bytes ($sz)" \
    sh -c 'echo "$1" | grep -q "flags:.* tc" && [ "${2:-99999}" -le 512 ]' \
    - "$out" "$sz"
out=$(q $P +tcp big-c.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "big: a TCP hit is whole again ($sz bytes)" [ "${sz:-0}" -gt 3900 ]
check "big: the upstream saw it once for four queries ($(sent big-c.example.test TXT))" \
    [ "$(sent big-c.example.test TXT)" -eq 1 ]

# --- LRU eviction at cache size 3 -----------------------------------------
running lru || notok "lru: not running, its checks fail"
running lru && for n in a b c a d; do
	q $PLRU "lru-$n.example.test" A >/dev/null
done
check "lru: a, b, c, a, d: a was a hit ($(sent lru-a.example.test))" \
    [ "$(sent lru-a.example.test)" -eq 1 ]
running lru && for n in a c d; do
	q $PLRU "lru-$n.example.test" A >/dev/null
done
check "lru: a, c and d are still cached ($(sent lru-a.example.test)/$(sent lru-c.example.test)/$(sent lru-d.example.test))" \
    [ "$(sent lru-a.example.test)" -eq 1 -a "$(sent lru-c.example.test)" -eq 1 \
    -a "$(sent lru-d.example.test)" -eq 1 ]
running lru && q $PLRU lru-b.example.test A >/dev/null
check "lru: b, the least recently used, was evicted by d ($(sent lru-b.example.test))" \
    [ "$(sent lru-b.example.test)" -eq 2 -a "$(sent lru-a.example.test)" -eq 1 ]

# --- two engines, one cache --------------------------------------------------
if running eng && waitfor 5 nengines "$(proxypid eng)" 2; then
	ok "engines 2: two engine processes, children of the parent"
else
	notok "engines 2: two engine processes ($(engines "$(proxypid eng)" | tr '\n' ' '))"
fi
running eng && out=$(pyclient seq $PENG eng 50) || out=notrunning
check "engines 2: 50 queries from 50 source ports answered ($out)" \
    [ "$out" = "rcode0=50 ${out#* }" ]
# Engines are not bound to CPUs: each may run wherever the parent may, so
# neither waits behind a client on its CPU while the other CPU idles.
# They run as SCHED_BATCH, so a datagram does not preempt its sender.
pp=$(proxypid eng)
cp=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$pp/status" \
    2>/dev/null)
cl=""
pol=""
for e in $(engines "$pp"); do
	cl="$cl $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' \
	    "/proc/$e/status" 2>/dev/null)"
	pol="$pol $(chrt -p "$e" 2>/dev/null | sed -n 's/.*policy: //p')"
done
check "engines 2: each engine may run on every CPU of the parent ($cp:$cl)" \
    [ -n "$cp" -a "$cl" = " $cp $cp" ]
check "engines 2: each engine runs as SCHED_BATCH ($pol)" \
    [ "$pol" = " SCHED_BATCH SCHED_BATCH" ]
# 40 source ports: the kernel's hash gives both engines some of them.
running eng && out=$(pyclient repeat $PENG serial-eng.example.test 40) ||
    out=notrunning
check "engines 2: 40 queries for one name from 40 source ports answered ($(echo $out))" \
    sh -c '[ "$(echo "$1" | tr " " "\n" |
    awk -F= "/^rcode0=/ { n += \$2 } END { print n + 0 }")" -eq 40 ]' - "$out"
# One cache for the host: the name's owner engine fetched it, once.
check "engines 2: one upstream query for the host, not one per engine ($(sent serial-eng.example.test A eu))" \
    [ "$(sent serial-eng.example.test A eu)" -eq 1 ]

# --- time: TTLs, negative caching, min/max-ttl, serve-stale, prefetch ------
# Everything is started first and checked at its own time, so the
# waits overlap.
tpf=$(ms)
opf1=$(q $P ttl10-pf.example.test A)
opf2=$(q $P ttl10-pf.example.test A)
tc=$(ms)
oc1=$(q $P ttl100-cd.example.test A)
t2=$(ms)
q $P ttl2-exp.example.test A >/dev/null
q $P ttl2-exp.example.test A >/dev/null
c2=$(sent ttl2-exp.example.test)
tnx=$(ms)
onx1=$(q $P negnx.example.test A)
onx2=$(q $P negnx.example.test A)
cnx=$(sent negnx.example.test)
tnd=$(ms)
ond1=$(q $P nodata-neg.example.test A)
ond2=$(q $P nodata-neg.example.test A)
cnd=$(sent nodata-neg.example.test)
tmin=$(ms)
running min && q $PMIN ttl2-min.example.test A >/dev/null
tmax=$(ms)
running max && q $PMAX ttl100-max.example.test A >/dev/null
running max && omax=$(q $PMAX ttl100-max.example.test A) || omax=
cmax=$(sent ttl100-max.example.test)
tst=$(ms)
running stale && ost1=$(q $PST ttl1-stale.example.test A) || ost1=

check "ttl2: cached at first ($c2)" [ "$c2" -eq 1 ]
check "negative: NXDOMAIN cached ($cnx upstream queries for two)" \
    [ "$cnx" -eq 1 -a "$(status "$onx1")" = NXDOMAIN -a \
    "$(status "$onx2")" = NXDOMAIN ]
check "negative: the cached NXDOMAIN keeps its SOA" \
    sh -c 'echo "$1" | grep -q "AUTHORITY: 1," &&
    echo "$1" | grep -q "^example\.test\..*SOA"' - "$onx2"
check "negative: NODATA cached ($cnd upstream queries for two)" \
    [ "$cnd" -eq 1 -a "$(status "$ond1")" = NOERROR -a \
    "$(status "$ond2")" = NOERROR ]
check "negative: the cached NODATA has no answer and keeps its SOA" \
    sh -c 'echo "$1" | grep -q "ANSWER: 0, AUTHORITY: 1," &&
    echo "$1" | grep -q "^example\.test\..*SOA"' - "$ond2"
check "max-ttl 3: a hit shows TTL <= 3 ($(ttl "$omax"), $cmax upstream)" \
    sh -c '[ -n "$1" ] && [ "$1" -le 3 ] && [ "$2" -eq 1 ]' - "$(ttl "$omax")" "$cmax"

till "$tc" 2100
oc2=$(q $P ttl100-cd.example.test A)
check "ttl: counted down after 2 s ($(ttl "$oc1") then $(ttl "$oc2"))" \
    sh -c '[ -n "$1" ] && [ "$1" -le 98 ] && [ "$1" -ge 96 ]' - "$(ttl "$oc2")"
check "ttl: same rdata, one upstream query ($(rdata "$oc1") $(rdata "$oc2"), $(sent ttl100-cd.example.test))" \
    [ -n "$(rdata "$oc1")" -a "$(rdata "$oc1")" = "$(rdata "$oc2")" -a \
    "$(sent ttl100-cd.example.test)" -eq 1 ]

till "$tst" 2200
stopserver stup
t0=$(ms)
running stale &&
    ost2=$(dig @127.0.0.1 -p $PST +time=6 +tries=1 ttl1-stale.example.test A 2>&1) ||
    ost2=
dt=$(since "$t0")
check "stale: upstream down, the expired answer is served in $dt ms (< 4000)" \
    sh -c '[ "$(echo "$1" | sed -n "s/.*status: \([A-Z]*\),.*/\1/p")" = NOERROR ] &&
    [ "$2" -lt 4000 ]' - "$ost2" "$dt"
check "stale: with the cached rdata and TTL 30 ($(rr "$ost1") then $(rr "$ost2"))" \
    sh -c '[ -n "$1" ] && [ "$1" = "$2" ] && [ "$3" = 30 ]' - \
    "$(rdata "$ost1")" "$(rdata "$ost2")" "$(ttl "$ost2")"

till "$t2" 3100
q $P ttl2-exp.example.test A >/dev/null
check "ttl2: expired after 3 s, fetched again ($(sent ttl2-exp.example.test))" \
    [ "$(sent ttl2-exp.example.test)" -eq 2 ]
till "$tmin" 3100
running min && q $PMIN ttl2-min.example.test A >/dev/null
check "min-ttl 10: a TTL 2 answer is still cached after 3 s ($(sent ttl2-min.example.test))" \
    [ "$(sent ttl2-min.example.test)" -eq 1 ]

till "$tnx" 4100
q $P negnx.example.test A >/dev/null
check "negative: NXDOMAIN expires after min(SOA TTL 60, MINIMUM 3) ($(sent negnx.example.test))" \
    [ "$(sent negnx.example.test)" -eq 2 ]
till "$tnd" 4100
q $P nodata-neg.example.test A >/dev/null
check "negative: NODATA expires after min(SOA TTL 3, MINIMUM 60) ($(sent nodata-neg.example.test))" \
    [ "$(sent nodata-neg.example.test)" -eq 2 ]
till "$tmax" 4100
running max && q $PMAX ttl100-max.example.test A >/dev/null
check "max-ttl 3: a TTL 100 answer is fetched again after 4 s ($(sent ttl100-max.example.test))" \
    [ "$(sent ttl100-max.example.test)" -eq 2 ]

# Prefetch: hits early in the TTL leave it alone; a hit in its last 10%
# is answered from the cache and refreshes it in the background, before
# it expires, so that a query just after the old expiry is still a hit.
r1=$(rdata "$opf1")
till "$tpf" 5000
q $P ttl10-pf.example.test A >/dev/null
check "prefetch: hits at 0 and 5 s of 10 are not refreshed ($(rdata "$opf2"); $(sent ttl10-pf.example.test))" \
    [ -n "$r1" -a "$(rdata "$opf2")" = "$r1" -a \
    "$(sent ttl10-pf.example.test)" -eq 1 ]
till "$tpf" 9300
o9=$(q $P ttl10-pf.example.test A)
while [ "$(sent ttl10-pf.example.test)" -lt 2 ] && [ "$(since "$tpf")" -lt 9950 ]; do
	sleep 0.05
done
tref=$(since "$tpf") cref=$(sent ttl10-pf.example.test)
check "prefetch: the hit at 9.3 s is answered from the cache ($(rdata "$o9"))" \
    [ -n "$r1" -a "$(rdata "$o9")" = "$r1" ]
check "prefetch: it refreshed the entry before it expired ($cref queries by $tref ms)" \
    [ "$cref" -eq 2 -a "$tref" -lt 10000 ]
till "$tpf" 10600
o10=$(q $P ttl10-pf.example.test A)
check "prefetch: after the old expiry, a hit on the fresh entry ($(rdata "$o10"), $(sent ttl10-pf.example.test) upstream)" \
    [ -n "$(rdata "$o10")" -a "$(rdata "$o10")" != "$r1" -a \
    "$(sent ttl10-pf.example.test)" -eq 2 ]

for n in $RUNNING; do
	kill -0 "$(proxypid "$n")" 2>/dev/null || notok "dotproxy $n died"
done
