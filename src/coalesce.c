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

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "coalesce.h"
#include "dns.h"
#include "log.h"
#include "query.h"

/*
 * Identical questions in flight at once go upstream once.  The first
 * query for a question (name in any case, type, class, DO and CD: the
 * cache key) leads: it alone is sent, hedged and retried.  Later queries
 * for the same question follow it: they hold their slot and their
 * client, send nothing and have no deadline of their own, and when the
 * leader's exchange ends each gets the reply made its own (ID, spelling
 * of the name, RD, EDNS view), or its own SERVFAIL or stale answer.
 * Fewer copies upstream mean less work under load and fewer chances
 * for a spoofed reply to race a real one; the bound on followers per
 * leader keeps one question from hoarding slots for a single burst of
 * answers: past it, the newcomer leads a fresh group.
 *
 * The table is a hash of leaders, sized once from max-queries, chained
 * through the query slots: nothing is allocated per query.
 */

/* the table's own state: nothing outside this file reaches into it */
static struct {
	coalesce_cb	 deliver;	/* the query owner's: answer or fail */
	struct query	**table;	/* leaders, by question hash */
	uint64_t	 mask;
	int		 max;		/* coalesce-max-waiters */
	uint64_t	 ncoalesced;	/* queries answered as followers */
	/* a follower's copy of its leader's reply, made its own in place */
	uint8_t		 answer[DNS_MAX_MSG];
} c;

static int	 same_question(const struct query *, const struct query *);
static void	 unhash(struct query *);
static void	 detach(struct query *);

/*
 * The query owner gives its number of slots and coalesce-max-waiters,
 * so the table needs nothing of the engine.  Called again, it starts
 * afresh: an empty table, nothing counted.
 */
void
coalesce_init(coalesce_cb cb, int nslots, int max)
{
	uint64_t	n = 1;

	free(c.table);
	c.table = NULL;
	c.deliver = cb;
	c.max = max;
	c.ncoalesced = 0;
	if (max <= 1)
		return;
	while (n < (uint64_t)nslots)
		n <<= 1;
	if ((c.table = calloc(n, sizeof(*c.table))) == NULL)
		fatal("coalesce");
	c.mask = n - 1;
}

uint64_t
coalesce_count(void)
{
	return (c.ncoalesced);
}

/* Same name in any case, type, class, DO and CD: same cache key. */
static int
same_question(const struct query *a, const struct query *b)
{
	const uint8_t	*x = a->qbuf + DNS_HDR_LEN, *y = b->qbuf + DNS_HDR_LEN;
	size_t		 i;
	uint8_t		 cx, cy;

	if (a->qi.question_len != b->qi.question_len ||
	    a->qi.qname_len != b->qi.qname_len ||
	    a->qi.qtype != b->qi.qtype || a->qi.qclass != b->qi.qclass ||
	    (a->qi.do_bit != 0) != (b->qi.do_bit != 0) ||
	    (a->qi.flags & DNS_F_CD) != (b->qi.flags & DNS_F_CD))
		return (0);
	/* length bytes (0-63) are never letters, so folding spares them */
	for (i = 0; i < a->qi.qname_len; i++) {
		cx = x[i] >= 'A' && x[i] <= 'Z' ? x[i] + 32 : x[i];
		cy = y[i] >= 'A' && y[i] <= 'Z' ? y[i] + 32 : y[i];
		if (cx != cy)
			return (0);
	}
	return (1);
}

/*
 * Called before q goes upstream.  Returns 1 if q now waits on a leader
 * with the same question and must not be sent, 0 if it goes upstream
 * itself (and leads any identical query that comes while it is out).
 */
int
coalesce_join(struct query *q)
{
	struct query	*l, **b;
	uint8_t		 key[CACHE_KEY_MAX];
	size_t		 keylen;

	if (c.table == NULL ||
	    (keylen = cache_key(q->qbuf, &q->qi, key)) == 0)
		return (0);
	q->hash = cache_hash(key, keylen);
	b = &c.table[q->hash & c.mask];
	for (l = *b; l != NULL; l = l->hnext)
		if (l->hash == q->hash && same_question(l, q))
			break;
	if (l != NULL && l->nfollowers + 1 < c.max) {
		q->leader = l;
		TAILQ_INSERT_TAIL(&l->followers, q, fq);
		l->nfollowers++;
		c.ncoalesced++;
		return (1);
	}
	/* a full group keeps its waiters; the newcomer leads the next one */
	if (l != NULL)
		unhash(l);
	q->hnext = *b;
	*b = q;
	q->hashed = 1;
	return (0);
}

static void
unhash(struct query *q)
{
	struct query	**link;

	for (link = &c.table[q->hash & c.mask];
	    *link != q; link = &(*link)->hnext)
		;
	*link = q->hnext;
	q->hnext = NULL;
	q->hashed = 0;
}

static void
detach(struct query *f)
{
	TAILQ_REMOVE(&f->leader->followers, f, fq);
	f->leader->nfollowers--;
	f->leader = NULL;
}

/*
 * The leader's reply, as the upstream sent it, made each follower's own
 * by its summary, without another walk.  A reply that cannot be fixed
 * for a follower is a SERVFAIL for it, as it would be for the leader.
 */
void
coalesce_reply(struct query *l, const uint8_t *msg, size_t len,
    const struct dns_summary *sum)
{
	struct query	*f;
	size_t		 n;

	if (l->hashed)
		unhash(l);
	while ((f = TAILQ_FIRST(&l->followers)) != NULL) {
		detach(f);
		n = 0;
		if (len <= sizeof(c.answer)) {
			memcpy(c.answer, msg, len);
			n = dns_adopt_reply(c.answer, len, f->qbuf, &f->qi,
			    sum);
		}
		if (n == 0)
			c.deliver(f, NULL, 0, DNS_RCODE_SERVFAIL);
		else
			c.deliver(f, c.answer, n, 0);
	}
}

/* The leader failed: each follower fails with it, stale answer or not. */
void
coalesce_fail(struct query *l, int rcode)
{
	struct query	*f;

	if (l->hashed)
		unhash(l);
	while ((f = TAILQ_FIRST(&l->followers)) != NULL) {
		detach(f);
		c.deliver(f, NULL, 0, rcode);
	}
}

/* A slot is freed: out of the table, off its leader, no one left behind. */
void
coalesce_leave(struct query *q)
{
	if (q->leader != NULL)
		detach(q);
	if (!TAILQ_EMPTY(&q->followers))
		coalesce_fail(q, DNS_RCODE_SERVFAIL);
	else if (q->hashed)
		unhash(q);
}
