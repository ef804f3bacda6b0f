/*
 * Copyright (c) 2026 The dotproxy developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dns.h"
#include "zone.h"

#include "unit.h"

/*
 * The zone table (zone.c): the longest match on label boundaries, letter
 * case aside, the built-in local zones and their replacement by zone
 * statements; and the answers of the zones answered locally.
 */

static struct conf	conf;
static uint8_t		qbuf[DNS_MAX_QUERY], out[4096];

static struct zone_conf *
add_zone(const char *name, int action)
{
	struct zone_conf	*z, *last;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		abort();
	snprintf(z->name, sizeof(z->name), "%s", name);
	last = TAILQ_LAST(&conf.zones, zone_list);
	z->index = last != NULL ? last->index + 1 : 1;
	z->action = action;
	TAILQ_INIT(&z->upstreams);
	TAILQ_INSERT_TAIL(&conf.zones, z, entry);
	return (z);
}

/* The zone that decides for a name written as text. */
static const struct zone *
find(const char *name)
{
	uint8_t	wire[DNS_MAX_NAME];
	int	len;

	if ((len = zone_wire(name, wire, sizeof(wire))) == -1)
		return (NULL);
	return (zone_lookup(wire, len));
}

static int
decides(const char *name, const char *zone)
{
	const struct zone	*z = find(name);

	return (z != NULL && strcmp(z->name, zone) == 0);
}

/* A query for name and type, with an OPT when edns; its info in *qi. */
static size_t
query(const char *name, uint16_t type, int edns, struct dns_query_info *qi)
{
	size_t	len = DNS_HDR_LEN;
	int	n;

	memset(qbuf, 0, sizeof(qbuf));
	dns_put16(qbuf, 0x1234);
	dns_put16(qbuf + 2, DNS_F_RD);
	dns_put16(qbuf + 4, 1);
	/* as the client spells it */
	while (*name != '\0') {
		n = strcspn(name, ".");
		qbuf[len++] = n;
		memcpy(qbuf + len, name, n);
		len += n;
		name += n + (name[n] == '.');
	}
	qbuf[len++] = 0;
	dns_put16(qbuf + len, type);
	dns_put16(qbuf + len + 2, 1);
	len += 4;
	if (edns) {
		dns_put16(qbuf + 10, 1);
		qbuf[len] = 0;
		dns_put16(qbuf + len + 1, DNS_TYPE_OPT);
		dns_put16(qbuf + len + 3, 1232);
		len += 11;
	}
	if (dns_check_query(qbuf, len, qi) != DNS_OK)
		abort();
	return (len);
}

/* The local answer to name/type: rcode, counts, and its length. */
static size_t
answer(const char *name, uint16_t type, int edns, int *rcode, int *an,
    int *ns, int *ar)
{
	struct dns_query_info	 qi;
	const struct zone	*z;
	size_t			 len, n;

	len = query(name, type, edns, &qi);
	z = zone_lookup(qbuf + DNS_HDR_LEN, qi.qname_len);
	n = zone_answer(qbuf, len, &qi, z, out, sizeof(out));
	if (n < DNS_HDR_LEN)
		return (0);
	*rcode = dns_get16(out + 2) & 0x0f;
	*an = dns_get16(out + 6);
	*ns = dns_get16(out + 8);
	*ar = dns_get16(out + 10);
	return (n);
}

int
main(void)
{
	struct dns_summary	 sum;
	struct dns_query_info	 qi;
	uint8_t			 wire[DNS_MAX_NAME];
	char			 text[CONF_NAME_MAX];
	const char		*b;
	size_t			 n;
	int			 i, action, rcode, an, ns, ar, count = 0;

	CHECK(zone_wire("Corp.Example.", wire, sizeof(wire)) == 14 &&
	    memcmp(wire, "\4corp\7example", 14) == 0,
	    "a zone's name becomes lower-case wire format");
	CHECK(zone_wire(".", wire, sizeof(wire)) == 1 &&
	    zone_wire("", wire, sizeof(wire)) == -1 &&
	    zone_wire("a..b", wire, sizeof(wire)) == -1 &&
	    zone_wire("a b", wire, sizeof(wire)) == -1 &&
	    zone_wire("_tcp.example", wire, sizeof(wire)) == 14,
	    "the root, empty labels, spaces, service labels");
	CHECK(zone_text((const uint8_t *)"\1a\2bc", 6, text,
	    sizeof(text)) == 0 && strcmp(text, "a.bc") == 0,
	    "wire format back to text");

	TAILQ_INIT(&conf.upstreams);
	TAILQ_INIT(&conf.zones);
	conf.sc.local_zones = 1;
	add_zone("example", ZONE_FORWARD);
	add_zone("b.example", ZONE_FORWARD);
	add_zone("a.b.example", ZONE_REFUSE);
	add_zone("10.in-addr.arpa", ZONE_FORWARD);
	add_zone("corp.test", ZONE_NXDOMAIN);
	zone_table_init(&conf);

	CHECK(decides("x.a.b.example", "a.b.example") &&
	    decides("a.b.example", "a.b.example") &&
	    decides("x.b.example", "b.example") &&
	    decides("b.example", "b.example") &&
	    decides("c.example", "example") && decides("example", "example"),
	    "the longest zone decides, its apex included");
	CHECK(decides("X.A.B.Example", "a.b.example") &&
	    decides("B.EXAMPLE", "b.example"), "letter case does not matter");
	CHECK(decides("badexample", ".") && decides("xb.example", "example") &&
	    decides("ab.example", "example") && decides("example.com", "."),
	    "a zone matches on label boundaries only");
	CHECK(decides("com", ".") && decides(".", "."),
	    "the rest is the root's");
	CHECK(find("c.example")->pool == 1 && find("b.example")->pool == 2 &&
	    find("a.b.example")->action == ZONE_REFUSE,
	    "a forwarding zone's pool is its index");
	CHECK(find("4.3.2.10.in-addr.arpa")->action == ZONE_FORWARD &&
	    find("4.3.2.10.in-addr.arpa")->pool == 4,
	    "a zone statement replaces the built-in zone of its name");

	for (i = 0; (b = zone_builtin(i, &action)) != NULL; i++) {
		if (strcmp(b, "10.in-addr.arpa") == 0)
			continue;
		snprintf(text, sizeof(text), "x.%s", b);
		if (find(text)->action == action && find(b)->action == action)
			count++;
		else
			printf("# built-in zone %s\n", b);
	}
	CHECK(count == i - 1 && i > 100,
	    "every built-in zone decides for its names");
	CHECK(decides("1.0.0.127.in-addr.arpa", "127.in-addr.arpa") &&
	    decides("5.17.172.in-addr.arpa", "17.172.in-addr.arpa") &&
	    decides("1.64.100.in-addr.arpa", "64.100.in-addr.arpa") &&
	    decides("1.128.100.in-addr.arpa", ".") &&
	    decides("1.15.172.in-addr.arpa", ".") &&
	    decides("4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.d.f.ip6.arpa", "d.f.ip6.arpa") &&
	    decides("foo.localhost", "localhost") &&
	    decides("www.Onion", "onion") && decides("test", ".") &&
	    decides("_dns.resolver.arpa", "resolver.arpa"),
	    "the built-in zones: RFC 6303, 6598, 6761, 7686, 8375, 9462");

	/* the answers */
	n = answer("x.corp.test", 1, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == DNS_RCODE_NXDOMAIN && an == 0 && ns == 1 &&
	    ar == 0, "nxdomain: NXDOMAIN with the SOA");
	CHECK(dns_check_reply(out, n, qbuf + DNS_HDR_LEN, 13 + 4, &sum) == 1 &&
	    sum.soa_ttl == 300 && (sum.flags & (DNS_F_QR | DNS_F_RA |
	    DNS_F_RD | DNS_F_AA)) == (DNS_F_QR | DNS_F_RA | DNS_F_RD |
	    DNS_F_AA) && dns_get16(out) == 0x1234,
	    "a well-formed answer to the question, negative TTL 300");
	n = answer("Corp.Test", 1, 1, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == DNS_RCODE_NOERROR && an == 0 && ns == 1 &&
	    ar == 1 && memcmp(out + DNS_HDR_LEN, "\4Corp\4Test", 11) == 0,
	    "the apex: NODATA, the client's spelling, an OPT for an OPT");
	n = answer("corp.test", 6, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 1 && ns == 0,
	    "the apex's SOA");
	n = answer("x.a.b.example", 1, 1, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == DNS_RCODE_REFUSED && an == 0 && ns == 0 &&
	    ar == 1, "refuse: REFUSED");
	n = answer("localhost", 1, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 1 &&
	    memcmp(out + n - 4, "\177\0\0\1", 4) == 0,
	    "localhost A 127.0.0.1");
	n = answer("foo.LocalHost", 28, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 1 && out[n - 1] == 1 &&
	    out[n - 2] == 0, "a name below localhost: AAAA ::1 (RFC 6761)");
	n = answer("localhost", 15, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 0 && ns == 1,
	    "localhost MX: NODATA");
	n = answer("1.0.0.127.in-addr.arpa", 12, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 1 &&
	    memcmp(out + n - 11, "\11localhost", 10) == 0,
	    "127.0.0.1's PTR is localhost");
	n = answer("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.ip6.arpa", 12, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == 0 && an == 1, "::1's PTR is localhost");
	n = answer("2.0.0.127.in-addr.arpa", 12, 0, &rcode, &an, &ns, &ar);
	CHECK(n > 0 && rcode == DNS_RCODE_NXDOMAIN && ns == 1,
	    "any other loopback address: NXDOMAIN");
	n = answer("4.3.2.1.168.192.in-addr.arpa", 12, 0, &rcode, &an, &ns,
	    &ar);
	CHECK(n > 0 && rcode == DNS_RCODE_NXDOMAIN,
	    "a private address's PTR: NXDOMAIN");
	n = query("x.corp.test", 1, 0, &qi);
	CHECK(zone_answer(qbuf, n, &qi, find("corp.test"), out, 64) == 0,
	    "a buffer too short gets nothing, never an overrun");

	/* local-zones off: only the zone statements */
	conf.sc.local_zones = 0;
	zone_table_init(&conf);
	CHECK(decides("x.onion", ".") && decides("1.168.192.in-addr.arpa",
	    ".") && decides("x.corp.test", "corp.test") &&
	    decides("1.10.in-addr.arpa", "10.in-addr.arpa"),
	    "local-zones off leaves the zone statements");
	zone_table_free();
	CHECK(decides("x.corp.test", "."), "no table: the root");
	return (unit_done());
}
