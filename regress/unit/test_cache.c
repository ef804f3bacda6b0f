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

/*
 * Unit tests for src/cache.c: what is kept and for how long, TTLs
 * counted down on hits, the client's view of a cached answer, LRU order
 * and the byte bound, serve-stale and prefetch.  The clock is ours.
 */

#include <stdint.h>
#include <string.h>

#include "cache.h"
#include "dns.h"
#include "unit.h"

static uint64_t	clock_ms = 1000000;

uint64_t
now_ms(void)
{
	return (clock_ms);
}

struct msg {
	uint8_t	b[8192];
	size_t	len;
};

static void
put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
put16(struct msg *m, uint16_t v)
{
	dns_put16(m->b + m->len, v);
	m->len += 2;
}

static void
put32(struct msg *m, uint32_t v)
{
	dns_put32(m->b + m->len, v);
	m->len += 4;
}

static void
name(struct msg *m, const char *n)
{
	const char	*dot;
	size_t		 l;

	while (*n != '\0') {
		dot = strchr(n, '.');
		l = dot != NULL ? (size_t)(dot - n) : strlen(n);
		m->b[m->len++] = l;
		put(m, n, l);
		n += l + (dot != NULL);
	}
	m->b[m->len++] = 0;
}

/* A query for NAME/TYPE; edns: 0 none, 1 OPT, 2 OPT with DO. */
static void
query(struct msg *m, const char *n, uint16_t type, uint16_t id, int edns,
    uint16_t flags)
{
	m->len = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, 1);
	put16(m, 0);
	put16(m, 0);
	put16(m, edns ? 1 : 0);
	name(m, n);
	put16(m, type);
	put16(m, 1);
	if (edns) {
		m->b[m->len++] = 0;
		put16(m, DNS_TYPE_OPT);
		put16(m, 1232);
		put32(m, edns == 2 ? 0x8000 : 0);
		put16(m, 0);
	}
}

/*
 * The upstream's reply to a query built above: rcode, ancount A records
 * with ttl, an SOA (soattl, minimum) when soattl is not 0, an OPT with
 * 20 octets of padding.
 */
static void
reply(struct msg *r, const struct msg *q, int rcode, int ancount,
    uint32_t ttl, uint32_t soattl, uint32_t minimum, int tc)
{
	size_t	qend;
	int	i;

	/* header and question of the query, less its OPT */
	for (qend = 12; q->b[qend] != 0; qend += q->b[qend] + 1)
		;
	qend += 5;
	r->len = 0;
	put(r, q->b, qend);
	/* an authoritative upstream */
	dns_put16(r->b + 2, 0x8180 | DNS_F_AA | rcode | (tc ? DNS_F_TC : 0));
	dns_put16(r->b + 6, ancount);
	dns_put16(r->b + 8, soattl != 0);
	dns_put16(r->b + 10, 1);
	for (i = 0; i < ancount; i++) {
		put16(r, 0xc00c);
		put16(r, 1);
		put16(r, 1);
		put32(r, ttl);
		put16(r, 4);
		put32(r, 0xc0000201 + i);
	}
	if (soattl != 0) {
		name(r, "test");
		put16(r, 6);
		put16(r, 1);
		put32(r, soattl);
		put16(r, 4 + 4 + 20);	/* ns., hm., five counters */
		name(r, "ns");
		name(r, "hm");
		put32(r, 1);
		put32(r, 3600);
		put32(r, 900);
		put32(r, 604800);
		put32(r, minimum);
	}
	r->b[r->len++] = 0;
	put16(r, DNS_TYPE_OPT);
	put16(r, 1232);
	put32(r, 0);
	put16(r, 24);
	put16(r, DNS_EDNS_PADDING);
	put16(r, 20);
	memset(r->b + r->len, 0, 20);
	r->len += 20;
}

static struct msg	q, r;
static int		copy;
static uint8_t		out[65536];
static size_t		outlen;

static enum cache_result
ask(const char *n, uint16_t type, uint16_t id, int edns, uint16_t flags)
{
	struct dns_query_info	qi;

	query(&q, n, type, id, edns, flags);
	if (dns_check_query(q.b, q.len, &qi) != DNS_OK)
		return (-1);
	return (cache_lookup(q.b, &qi, out, sizeof(out), &outlen));
}

static void
store(const char *n, uint16_t type, int edns, uint16_t flags, int rcode,
    int ancount, uint32_t ttl, uint32_t soattl, uint32_t minimum, int tc)
{
	struct dns_query_info	qi;
	struct dns_summary	sum;

	query(&q, n, type, 1, edns, flags);
	dns_check_query(q.b, q.len, &qi);
	reply(&r, &q, rcode, ancount, ttl, soattl, minimum, tc);
	/* the data "validate": AD as RFC 6840 5.8 lets the upstream set it */
	if (qi.do_bit || (flags & DNS_F_AD))
		dns_put16(r.b + 2, dns_get16(r.b + 2) | DNS_F_AD);
	/* as the engine does: only a matched reply, with its summary */
	if (dns_check_reply(r.b, r.len, q.b + DNS_HDR_LEN, qi.question_len,
	    &sum)) {
		if (copy)
			cache_store_copy(q.b, &qi, r.b, r.len, &sum);
		else
			cache_store(q.b, &qi, r.b, r.len, &sum);
	}
}

/* an answer another engine owns, as the asking engine keeps it */
static void
store_copy(const char *n, uint32_t ttl)
{
	copy = 1;
	store(n, 1, 1, 0x0100, 0, 1, ttl, 0, 0, 0);
	copy = 0;
}

/* TTL of the first answer record of out (owner is a pointer). */
static uint32_t
first_ttl(void)
{
	size_t	off = 12;

	while (out[off] != 0)
		off += out[off] + 1;
	off += 5;
	return (dns_get32(out + off + 2 + 4));
}

static int
has_opt(void)
{
	return (dns_get16(out + 10) != 0);
}

int
main(void)
{
	struct dns_query_info	qi;
	struct dns_summary	sum;
	uint8_t			key[CACHE_KEY_MAX];
	size_t			n;
	int			i;

	cache_init(100, 0, 86400);
	CHECK(ask("www.example.test", 1, 7, 1, 0x0100) == CACHE_MISS,
	    "empty cache: miss");
	store("www.example.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	CHECK(ask("www.example.test", 1, 7, 1, 0x0100) == CACHE_HIT,
	    "stored answer: hit");
	CHECK(dns_get16(out) == 7, "hit carries the client's ID");
	CHECK(first_ttl() == 300, "TTL whole right after storing");
	CHECK(has_opt() && memmem(out, outlen, "\x00\x0c\x00\x14", 4) == NULL,
	    "padding the upstream added is not in the cached answer");
	clock_ms += 10500;
	CHECK(ask("WWW.Example.TEST", 1, 9, 1, 0x0100) == CACHE_HIT,
	    "the name is compared without case");
	CHECK(first_ttl() == 290, "TTL counted down by whole seconds");
	CHECK(memcmp(out + 13, "WWW", 3) == 0,
	    "the client's spelling of the name comes back");
	CHECK(ask("www.example.test", 1, 9, 0, 0x0100) == CACHE_HIT &&
	    !has_opt(), "a client without EDNS gets no OPT");
	CHECK(ask("www.example.test", 1, 9, 1, 0x0000) == CACHE_HIT &&
	    !(dns_get16(out + 2) & DNS_F_RD), "RD is the client's");
	CHECK(!(dns_get16(out + 2) & DNS_F_AA),
	    "an answer from the cache is not authoritative (AA clear)");
	store("ad.example.test", 1, 1, 0x0120, 0, 1, 300, 0, 0, 0);
	CHECK(ask("ad.example.test", 1, 9, 1, 0x0120) == CACHE_HIT &&
	    (dns_get16(out + 2) & DNS_F_AD), "AD kept for a client that set AD");
	CHECK(ask("ad.example.test", 1, 9, 1, 0x0100) == CACHE_HIT &&
	    !(dns_get16(out + 2) & DNS_F_AD),
	    "AD cleared for a client that set neither AD nor DO");
	store("ad.example.test", 1, 2, 0x0100, 0, 1, 300, 0, 0, 0);
	CHECK(ask("ad.example.test", 1, 9, 2, 0x0100) == CACHE_HIT &&
	    (dns_get16(out + 2) & DNS_F_AD), "AD kept for a client that set DO");
	CHECK(ask("www.example.test", 28, 9, 1, 0x0100) == CACHE_MISS,
	    "another type is another entry");
	CHECK(ask("www.example.test", 1, 9, 2, 0x0100) == CACHE_MISS,
	    "DO set is another entry");
	CHECK(ask("www.example.test", 1, 9, 1, 0x0110) == CACHE_MISS,
	    "CD set is another entry");
	/* a client subnet that goes upstream (client-subnet pass) */
	query(&q, "www.example.test", 1, 9, 1, 0x0100);
	dns_check_query(q.b, q.len, &qi);
	qi.ecs = 1;
	CHECK(cache_lookup(q.b, &qi, out, sizeof(out), &outlen) ==
	    CACHE_MISS && cache_lookup_stale(q.b, &qi, out, sizeof(out)) == 0,
	    "a query whose ECS goes upstream is not answered from the cache");
	query(&q, "ecs.example.test", 1, 1, 1, 0x0100);
	dns_check_query(q.b, q.len, &qi);
	reply(&r, &q, 0, 1, 300, 0, 0, 0);
	qi.ecs = 1;
	CHECK(cache_key(q.b, &qi, key) == 0,
	    "nor has it a key in the in-flight table");
	if (dns_check_reply(r.b, r.len, q.b + DNS_HDR_LEN, qi.question_len,
	    &sum))
		cache_store(q.b, &qi, r.b, r.len, &sum);
	CHECK(ask("ecs.example.test", 1, 9, 1, 0x0100) == CACHE_MISS,
	    "nor is its answer stored for other clients");
	clock_ms += 290000;
	CHECK(ask("www.example.test", 1, 9, 1, 0x0100) == CACHE_MISS,
	    "expired: miss");

	/* serve-stale */
	query(&q, "www.example.test", 1, 11, 1, 0x0100);
	dns_check_query(q.b, q.len, &qi);
	n = cache_lookup_stale(q.b, &qi, out, sizeof(out));
	CHECK(n != 0 && first_ttl() == CACHE_STALE_TTL &&
	    dns_get16(out) == 11, "expired answer served stale, TTL 30");
	clock_ms += (uint64_t)CACHE_STALE_MAX * 1000;
	CHECK(cache_lookup_stale(q.b, &qi, out, sizeof(out)) == 0,
	    "nothing stale after a day past expiry");

	/* what is never kept */
	store("zero.test", 1, 1, 0x0100, 0, 1, 0, 0, 0, 0);
	CHECK(ask("zero.test", 1, 1, 1, 0x0100) == CACHE_MISS, "TTL 0: not kept");
	store("tc.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 1);
	CHECK(ask("tc.test", 1, 1, 1, 0x0100) == CACHE_MISS, "TC: not kept");
	store("sf.test", 1, 1, 0x0100, DNS_RCODE_SERVFAIL, 0, 0, 60, 5, 0);
	CHECK(ask("sf.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "SERVFAIL: not kept");
	store("nosoa.test", 1, 1, 0x0100, DNS_RCODE_NXDOMAIN, 0, 0, 0, 0, 0);
	CHECK(ask("nosoa.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "NXDOMAIN without SOA: not kept");
	store("nodata.test", 1, 1, 0x0100, 0, 0, 0, 0, 0, 0);
	CHECK(ask("nodata.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "NODATA without SOA: not kept");

	/* RFC 2308: min(SOA TTL, MINIMUM) */
	store("nx.test", 1, 1, 0x0100, DNS_RCODE_NXDOMAIN, 0, 0, 60, 5, 0);
	store("nd.test", 1, 1, 0x0100, 0, 0, 0, 4, 60, 0);
	clock_ms += 3900;
	CHECK(ask("nx.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    (dns_get16(out + 2) & 0xf) == DNS_RCODE_NXDOMAIN,
	    "NXDOMAIN kept (for MINIMUM, 5 s)");
	CHECK(ask("nd.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "NODATA kept (for the SOA TTL, 4 s)");
	clock_ms += 1000;
	CHECK(ask("nd.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "NODATA gone after the SOA TTL");
	CHECK(ask("nx.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "NXDOMAIN still there before MINIMUM");
	clock_ms += 200;
	CHECK(ask("nx.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "NXDOMAIN gone after MINIMUM");

	/* min-ttl and max-ttl */
	cache_init(100, 10, 20);
	store("short.test", 1, 1, 0x0100, 0, 1, 2, 0, 0, 0);
	store("long.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	store("zero.test", 1, 1, 0x0100, 0, 1, 0, 0, 0, 0);
	clock_ms += 5000;
	CHECK(ask("short.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    first_ttl() <= 2, "min-ttl keeps it longer, TTL not raised");
	CHECK(ask("zero.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "min-ttl does not keep TTL 0");
	CHECK(ask("long.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    first_ttl() == 15, "max-ttl caps the TTL the client sees");
	clock_ms += 15000;
	CHECK(ask("long.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "max-ttl caps how long it is kept");

	/* LRU at the size bound */
	cache_init(3, 0, 86400);
	store("a.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	store("b.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	store("c.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	ask("a.test", 1, 1, 1, 0x0100);
	store("d.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	CHECK(ask("b.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "the least recently used goes first");
	CHECK(ask("a.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    ask("c.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    ask("d.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "the others stay");
	store("d.test", 1, 1, 0x0100, 0, 2, 300, 0, 0, 0);
	CHECK(ask("d.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    dns_get16(out + 6) == 2, "a new answer replaces the old one");

	/* the byte bound: 4 entries of 1 KiB budget, 1.5 KiB answers */
	cache_init(4, 0, 86400);
	for (i = 0; i < 4; i++) {
		char	nm[32];

		snprintf(nm, sizeof(nm), "big%d.test", i);
		store(nm, 1, 1, 0x0100, 0, 90, 300, 0, 0, 0);
	}
	CHECK(ask("big0.test", 1, 1, 1, 0x0100) == CACHE_MISS &&
	    ask("big3.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "the memory bound evicts before the count does");

	/* prefetch: asked often, in the last tenth of its life */
	cache_init(100, 0, 86400);
	store("pf.test", 1, 1, 0x0100, 0, 1, 100, 0, 0, 0);
	for (i = 0; i < 3; i++)
		ask("pf.test", 1, 1, 1, 0x0100);
	clock_ms += 85000;
	CHECK(ask("pf.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "no prefetch before the last tenth");
	clock_ms += 6000;
	CHECK(ask("pf.test", 1, 1, 1, 0x0100) == CACHE_HIT_PREFETCH,
	    "prefetch in the last tenth");
	CHECK(ask("pf.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "only one prefetch at a time");
	store("once.test", 1, 1, 0x0100, 0, 1, 100, 0, 0, 0);
	clock_ms += 95000;
	CHECK(ask("once.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "no prefetch for an entry asked only once");

	/*
	 * Copies of answers other engines own: hits, never refreshed here,
	 * bounded apart to an eighth of the share, never pushing an owned
	 * answer out.
	 */
	cache_init(10, 0, 86400);
	store_copy("copy.test", 100);
	for (i = 0; i < 3; i++)
		ask("copy.test", 1, 1, 1, 0x0100);
	clock_ms += 85000;
	CHECK(ask("copy.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "a copy is a hit, and never a prefetch");
	clock_ms += 10000;
	CHECK(ask("copy.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "a copy in its last tenth is a miss: the holder is asked");
	store_copy("copy.test", 100);
	CHECK(ask("copy.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "... and its answer is the next copy");
	clock_ms += 101000;
	CHECK(ask("copy.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "an expired copy is a miss");
	store_copy("short.test", 5);
	clock_ms += 4600;
	CHECK(ask("short.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "a copy too short-lived to refresh is a hit to its end");
	cache_init(80, 0, 86400);
	for (i = 0; i < 80; i++) {
		char	own[32];

		snprintf(own, sizeof(own), "own%d.test", i);
		store(own, 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	}
	for (i = 0; i < 12; i++) {
		char	cp[32];

		snprintf(cp, sizeof(cp), "copy%d.test", i);
		store_copy(cp, 300);
	}
	CHECK(ask("copy0.test", 1, 1, 1, 0x0100) == CACHE_MISS &&
	    ask("copy1.test", 1, 1, 1, 0x0100) == CACHE_MISS &&
	    ask("copy2.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    ask("copy11.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "copies: the 10 most recent kept (an eighth of 80)");
	CHECK(ask("own0.test", 1, 1, 1, 0x0100) == CACHE_HIT &&
	    ask("own79.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "copies push no owned answer out of a full cache");
	store("own80.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	CHECK(ask("own1.test", 1, 1, 1, 0x0100) == CACHE_MISS &&
	    ask("copy11.test", 1, 1, 1, 0x0100) == CACHE_HIT,
	    "an owned answer over the size evicts an owned one, not a copy");

	cache_init(0, 0, 86400);
	store("off.test", 1, 1, 0x0100, 0, 1, 300, 0, 0, 0);
	CHECK(ask("off.test", 1, 1, 1, 0x0100) == CACHE_MISS,
	    "cache off keeps nothing");
	return (unit_done());
}
