#!/bin/sh
# Forwarding: UDP and TCP answers over IPv4 and IPv6 with dig and kdig,
# pipelining with out-of-order replies, truncation of a large answer over
# UDP and the whole answer over TCP, case and ID preserved, padding seen
# by the upstream.
. "$(dirname "$0")/../lib.sh"
BASE=$((25310 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1))

dotserver up $UP || notok "dotserver starts"
conf "$W/d.conf" $P $UP
check "dotproxy starts and reports its engine ready" proxy dp "$W/d.conf"

out=$(q $P www.example.test A)
check "UDP IPv4 query answered NOERROR with the upstream's A" \
    sh -c 'echo "$1" | grep -q "status: NOERROR" &&
    echo "$1" | grep -q "192.0.2.1"' - "$out"
out=$(q $P +tcp www.example.test A)
check "TCP IPv4 query answered with the upstream's A" \
    upanswer "$out"
out=$(dig @::1 -p $P +time=3 +tries=1 www.example.test A 2>&1)
check "UDP IPv6 query answered" upanswer "$out"
out=$(dig @::1 -p $P +tcp +time=3 +tries=1 www.example.test A 2>&1)
check "TCP IPv6 query answered" upanswer "$out"

out=$(kdig @127.0.0.1 -p $P +time=3 +retry=0 www.example.test A 2>&1)
check "kdig UDP answered" upanswer "$out"
out=$(kdig @127.0.0.1 -p $P +tcp +time=3 +retry=0 www.example.test A 2>&1)
check "kdig TCP answered" upanswer "$out"
out=$(kdig @127.0.0.1 -p $P +tcp +keepopen +time=3 +retry=0 \
    a.example.test b.example.test c.example.test 2>&1)
n=$(echo "$out" | grep -c 'status: NOERROR')
check "kdig +keepopen: three queries on one TCP connection answered ($n)" \
    [ "$n" -eq 3 ]

out=$(q $P WwW.ExAmPlE.TeSt A)
check "the client's spelling of the name comes back" \
    sh -c 'echo "$1" | grep -q "^WwW.ExAmPlE.TeSt\..*IN.*A.*192.0.2.1"' - "$out"
out=$(pyclient udp $P good)
check "the client's ID comes back ($out)" \
    sh -c 'echo "$1" | grep -q "^id=4660 rcode=0"' - "$out"

# The upstream logs padded=1 and the length of each query it received.
lens=$(grep '^query' "$W/up.log" | sed -n 's/.*len=\([0-9]*\).*/\1/p')
bad=0
for l in $lens; do [ $((l % 128)) -eq 0 ] || bad=1; done
check "queries reach the upstream padded to a multiple of 128 ($(echo $lens | tr '\n' ' '))" \
    [ -n "$lens" -a $bad -eq 0 ]
out=$(q $P +bufsize=1232 www.example.test A)
check "the padding option the proxy added is not shown to the client" \
    sh -c '! echo "$1" | grep -qi "PADDING"' - "$out"
out=$(q $P +noedns www.example.test A)
check "a client without EDNS gets no OPT back" \
    sh -c '! echo "$1" | grep -q "OPT PSEUDOSECTION"' - "$out"

# Pipelining: the slow query is sent first and must be answered last.
out=$(pyclient pipeline $P slow.example.test a.example.test b.example.test)
first=$(echo "$out" | head -1) last=$(echo "$out" | tail -1)
check "TCP pipelining: three replies on one connection" \
    [ "$(echo "$out" | grep -c 'rcode=0')" -eq 3 ]
check "TCP pipelining: replies out of order, the slow one last ($(echo $out))" \
    sh -c 'echo "$1" | grep -q "name=slow" && ! echo "$2" | grep -q "name=slow"' \
    - "$last" "$first"

# A 4000-byte answer: truncated for UDP, whole over TCP.
out=$(q $P +ignore +bufsize=1232 big.example.test TXT)
check "large answer over UDP has TC=1" \
    sh -c 'echo "$1" | grep -q "flags:.* tc"' - "$out"
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "truncated UDP answer fits the client's 1232 bytes ($sz)" \
    [ "${sz:-99999}" -le 1232 ]
out=$(q $P +ignore +noedns big.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "truncated UDP answer without EDNS fits 512 bytes ($sz)" \
    [ "${sz:-99999}" -le 512 ]
out=$(q $P big.example.test TXT)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
check "dig retries over TCP and gets the whole answer ($sz bytes)" \
    sh -c '[ -n "$1" ] && [ "$1" -gt 3900 ] && ! echo "$2" | grep -q "flags:.* tc"' \
    - "$sz" "$out"

out=$(q $P nx.example.test A)
check "NXDOMAIN from upstream is passed through" \
    sh -c 'echo "$1" | grep -q "status: NXDOMAIN"' - "$out"
check "dotproxy still running" kill -0 "$(proxypid dp)"
