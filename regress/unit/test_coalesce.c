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
 * Unit tests for src/coalesce.c, the in-flight table: who leads, who
 * follows, the bound, and what each follower is handed when its leader's
 * exchange ends.  answered() and failed(), reached through the callback
 * coalesce_init() takes, record what a client would get and free the
 * slot as the query owner does.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "coalesce.h"
#include "dns.h"
#include "peer.h"
#include "query.h"
#include "unit.h"

#define NQ	16

static struct query	 qs[NQ];
static struct dns_summary sum;	/* of the leader's reply */

/* what the clients got: ID, rcode, the name as spelled, in order */
static struct {
	uint16_t	id;
	int		rcode;
	char		name[64];
} got[NQ];
static int	 ngot;

static void
record(const uint8_t *msg, size_t len, int rcode)
{
	size_t	i, off = DNS_HDR_LEN, n = 0;

	if (ngot == NQ)
		return;
	got[ngot].id = dns_get16(msg);
	got[ngot].rcode = rcode;
	/* the name as a dotted string, labels copied as they are */
	while (off < len && msg[off] != 0 && n < sizeof(got[0].name) - 65) {
		for (i = 0; i < msg[off]; i++)
			got[ngot].name[n++] = msg[off + 1 + i];
		got[ngot].name[n++] = '.';
		off += msg[off] + 1;
	}
	got[ngot].name[n] = '\0';
	ngot++;
}

static void
answered(struct query *q, uint8_t *msg, size_t len)
{
	record(msg, len, dns_get16(msg + 2) & 0x0f);
	coalesce_leave(q);
	q->busy = 0;
}

static void
failed(struct query *q, int rcode)
{
	if (!TAILQ_EMPTY(&q->followers))
		coalesce_fail(q, rcode);
	got[ngot].id = q->qi.id;
	got[ngot].rcode = rcode;
	got[ngot].name[0] = '\0';
	ngot++;
	coalesce_leave(q);
	q->busy = 0;
}

static void
deliver(struct query *q, uint8_t *msg, size_t len, int rcode)
{
	if (msg != NULL)
		answered(q, msg, len);
	else
		failed(q, rcode);
}

/* A query for name (as spelled), type A or qtype, with DO and CD. */
static struct query *
mkq(int slot, uint16_t id, const char *name, uint16_t qtype, int dobit,
    int cd)
{
	struct query	*q = &qs[slot];

	memset(q, 0, sizeof(*q));
	TAILQ_INIT(&q->followers);
	q->qlen = peer_query(q->qbuf, id, DNS_F_RD | (cd ? DNS_F_CD : 0),
	    name, qtype, dobit ? 2 : 0);
	if (dns_check_query(q->qbuf, q->qlen, &q->qi) != DNS_OK)
		return (NULL);
	q->busy = 1;
	return (q);
}

/* The upstream's reply to q: its question as q spelled it, one A. */
static size_t
mkreply(const struct query *q, uint8_t *out)
{
	size_t	len = DNS_HDR_LEN + q->qi.question_len;

	memcpy(out, q->qbuf, len);
	dns_put16(out, 0xbeef);		/* the upstream's own ID */
	dns_put16(out + 2, DNS_F_QR | DNS_F_RD | DNS_F_RA);
	dns_put16(out + 6, 1);
	dns_put16(out + 10, 0);
	out[len] = 0xc0;
	out[len + 1] = DNS_HDR_LEN;
	dns_put16(out + len + 2, 1);
	dns_put16(out + len + 4, 1);
	dns_put32(out + len + 6, 300);
	dns_put16(out + len + 10, 4);
	memcpy(out + len + 12, "\xc0\x00\x02\x01", 4);
	return (len + 16);
}

/* A fresh table for NQ slots and max waiters, nothing counted. */
static void
setup(int max)
{
	ngot = 0;
	coalesce_init(deliver, NQ, max);
}

int
main(void)
{
	struct query	*l, *q;
	uint8_t		 reply[512];
	size_t		 n;

	cache_init(0, 0, 86400);	/* no cache, but the hash key */

	setup(3);
	l = mkq(0, 101, "www.example.com", 1, 0, 0);
	CHECK(l != NULL && coalesce_join(l) == 0, "the first query leads");
	q = mkq(1, 102, "WWW.Example.COM", 1, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 1 && q->leader == l,
	    "the same name in other case follows it");
	q = mkq(2, 103, "www.example.com", 1, 1, 0);
	CHECK(q != NULL && coalesce_join(q) == 0, "DO set: leads its own");
	q = mkq(3, 104, "www.example.com", 1, 0, 1);
	CHECK(q != NULL && coalesce_join(q) == 0, "CD set: leads its own");
	q = mkq(4, 105, "www.example.com", 28, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 0, "another type leads");
	q = mkq(5, 106, "www.example.org", 1, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 0, "another name leads");
	q = mkq(6, 107, "wWw.eXample.com", 1, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 1 && l->nfollowers == 2,
	    "a second follower: the group has 3, the bound");
	q = mkq(7, 108, "www.example.com", 1, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 0 && !l->hashed,
	    "past the bound the newcomer leads a new group");
	q = mkq(8, 109, "WWW.EXAMPLE.COM", 1, 0, 0);
	CHECK(q != NULL && coalesce_join(q) == 1 && q->leader == &qs[7],
	    "the next identical query follows the new leader");
	CHECK(coalesce_count() == 3, "three queries counted as coalesced");

	n = mkreply(l, reply);
	CHECK(dns_check_reply(reply, n, l->qbuf + DNS_HDR_LEN,
	    l->qi.question_len, &sum) == 1, "the leader's reply matches");
	coalesce_reply(l, reply, n, &sum);
	CHECK(ngot == 2 && got[0].id == 102 && got[1].id == 107,
	    "the leader's reply reaches both followers, with their IDs");
	CHECK(ngot == 2 && strcmp(got[0].name, "WWW.Example.COM.") == 0 &&
	    strcmp(got[1].name, "wWw.eXample.com.") == 0,
	    "... and their spelling of the name");
	CHECK(ngot == 2 && got[0].rcode == 0 && got[1].rcode == 0,
	    "... NOERROR");
	CHECK(TAILQ_EMPTY(&l->followers) && l->nfollowers == 0,
	    "no follower left on the leader");
	CHECK(dns_get16(reply) == 0xbeef, "the leader's reply is untouched");

	ngot = 0;
	coalesce_fail(&qs[7], DNS_RCODE_SERVFAIL);
	CHECK(ngot == 1 && got[0].id == 109 && got[0].rcode == 2,
	    "a failed leader: its follower gets its own SERVFAIL");
	q = mkq(9, 110, "www.example.com", 1, 0, 0);
	CHECK(coalesce_join(q) == 0, "a failed leader leaves the table");

	ngot = 0;
	q = mkq(10, 111, "www.example.com", 1, 0, 0);
	CHECK(coalesce_join(q) == 1 && q->leader == &qs[9],
	    "a follower of the new leader");
	coalesce_leave(q);
	CHECK(qs[9].nfollowers == 0 && q->leader == NULL,
	    "a follower freed early leaves its leader");
	n = mkreply(&qs[9], reply);
	(void)dns_check_reply(reply, n, qs[9].qbuf + DNS_HDR_LEN,
	    qs[9].qi.question_len, &sum);
	coalesce_reply(&qs[9], reply, n, &sum);
	CHECK(ngot == 0, "and is not answered");

	q = mkq(11, 112, "a.example.com", 1, 0, 0);
	(void)coalesce_join(q);
	q = mkq(12, 113, "A.example.com", 1, 0, 0);
	(void)coalesce_join(q);
	coalesce_leave(&qs[11]);
	CHECK(ngot == 1 && got[0].id == 113 && got[0].rcode == 2,
	    "a leader freed with followers fails them, not strands them");
	q = mkq(13, 114, "a.example.com", 1, 0, 0);
	CHECK(coalesce_join(q) == 0, "a freed leader leaves the table");

	setup(0);
	l = mkq(0, 201, "www.example.com", 1, 0, 0);
	q = mkq(1, 202, "www.example.com", 1, 0, 0);
	CHECK(coalesce_join(l) == 0 && coalesce_join(q) == 0 &&
	    coalesce_count() == 0, "coalesce-max-waiters off: all lead");
	setup(1);
	CHECK(coalesce_join(l) == 0 && coalesce_join(q) == 0,
	    "coalesce-max-waiters 1: all lead");
	return (unit_done());
}
