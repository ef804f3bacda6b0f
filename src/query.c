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
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "coalesce.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frontend.h"
#include "log.h"
#include "plainconn.h"
#include "query.h"
#include "relay.h"
#include "report.h"
#include "upconn.h"
#include "upstream.h"

/*
 * The life of a client query: a preallocated slot, one deadline for the
 * whole exchange, at most QUERY_MAX_SENDS copies upstream at once,
 * QUERY_MAX_TRIES that count and QUERY_MAX_COPIES in all, and exactly
 * one answer to the client, SERVFAIL if nothing better arrives in time.
 */

static void	 deadline_arm(void);
static void	 query_free(struct query *);
static void	 query_reply(struct query *, uint8_t *, size_t);
static void	 query_fail(struct query *, int);
static void	 query_send_failed(struct query *);
static int	 upstream_reply(struct qsend *, struct upstream *, uint8_t *,
		    size_t, const struct dns_summary *);
static void	 follower_done(struct query *, uint8_t *, size_t, int);
static void	 relay_reply(struct query *, uint8_t *, size_t);
static void	 deadline_set(struct query *);
static int	 query_fetch(struct query *);
static void	 relay_failed(struct query *);
static int	 query_answered(struct query *, uint8_t *, size_t,
		    const struct dns_summary *);
static void	 deadline_cb(int, short, void *);
static void	 hedge_cb(int, short, void *);

/* the query owner's own state: its slots and their one clock */
static struct {
	struct query		*slots;
	int			 nslots;	/* max-queries */
	int			 nused;	/* ever handed out; the rest untouched */
	int			 nbusy;
	struct query_list	 free;
	struct query_list	 deadlines;	/* leaders, oldest first */
	struct event		 deadline_ev;
	int			 deadline_armed;
	/* the answers made here: an error, or a stale one from the cache */
	uint8_t			 scratch[DNS_MAX_QUERY + 512];
	uint8_t			 answer[DNS_MAX_MSG];
} qs;

void
query_init(void)
{
	qs.nslots = env->conf->sc.max_queries;
	if ((qs.slots = calloc(qs.nslots, sizeof(struct query))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&qs.free);
	TAILQ_INIT(&qs.deadlines);
	evtimer_assign(&qs.deadline_ev, env->base, deadline_cb, NULL);
	coalesce_init(follower_done, qs.nslots,
	    env->conf->sc.coalesce_max_waiters);
	upconn_set_reply_hook(upstream_reply);
	relayout_init(qs.nslots, relay_reply);
	plainconn_set_reply_hook(upstream_reply);
}

/* Slots in use: a retiring engine waits for none to be left. */
int
query_busy(void)
{
	return (qs.nbusy);
}

/*
 * Slots come from the free list, or else from the part of the array never
 * used yet, so pages of the array become resident only under real load.
 */
struct query *
query_alloc(void)
{
	struct query	*q;
	int		 i;

	if ((q = TAILQ_FIRST(&qs.free)) != NULL)
		TAILQ_REMOVE(&qs.free, q, tq);
	else if (qs.nused < qs.nslots) {
		q = &qs.slots[qs.nused++];
		evtimer_assign(&q->hedge_ev, env->base, hedge_cb, q);
		for (i = 0; i < QUERY_MAX_SENDS; i++)
			q->sends[i].q = q;
	} else
		return (NULL);
	q->busy = 1;
	qs.nbusy++;
	q->counted = 0;
	memset(&q->origin, 0, sizeof(q->origin));
	q->nsends = 0;
	q->tries = 0;
	q->copies = 0;
	q->hedged = 0;
	q->zone = 0;
	q->relay_to = -1;
	q->relay_slot = -1;
	q->fetched = 0;
	q->tried = 0;
	q->hedge_armed = 0;
	q->deadline = 0;
	q->leader = NULL;
	TAILQ_INIT(&q->followers);
	q->nfollowers = 0;
	q->hnext = NULL;
	q->hashed = 0;
	for (i = 0; i < QUERY_MAX_SENDS; i++) {
		q->sends[i].uc = NULL;
		q->sends[i].pc = NULL;
	}
	return (q);
}

static void
query_free(struct query *q)
{
	coalesce_leave(q);
	relayout_forget(q);
	if (q->nsends > 0)
		upstream_forget_all(q, 0);
	if (q->hedge_armed) {
		evtimer_del(&q->hedge_ev);
		q->hedge_armed = 0;
	}
	if (q->deadline != 0)
		TAILQ_REMOVE(&qs.deadlines, q, tq);
	if (q->origin.fe != NULL && q->origin.fe->release != NULL)
		q->origin.fe->release(q);
	if (q->counted) {
		clients_query_del((struct sockaddr *)&q->peer);
		q->counted = 0;
	}
	q->busy = 0;
	qs.nbusy--;
	TAILQ_INSERT_HEAD(&qs.free, q, tq);
}

/*
 * All queries share one timeout, so arrival order is deadline order.  A
 * follower of an identical query in flight has no deadline of its own:
 * its leader's ends it.
 */
void
query_start(struct query *q)
{
	/*
	 * Another engine holds the question: it is asked, with our deadline
	 * kept here.  If it cannot be asked, we do its work ourselves.
	 */
	if (q->relay_to >= 0) {
		if (relayout_send(q, q->relay_to, RELAY_ASK) == 0) {
			report_count(RC_RELAYED);
			deadline_set(q);
			return;
		}
		q->relay_to = -1;
	}
	if (q->origin.transport != QT_FETCH && coalesce_join(q))
		return;
	deadline_set(q);
	if (q->origin.transport != QT_FETCH && query_fetch(q))
		return;
	if (upstream_send(q, 0) == -1)
		query_fail(q, DNS_RCODE_SERVFAIL);
}

/*
 * This engine has no upstream connection of its own (upstream-connections
 * is below the number of engines): another fetches, the reply comes back
 * here (relay_reply()).  If it cannot be asked, the query fails.
 */
static int
query_fetch(struct query *q)
{
	int	f;

	if ((f = inbox_fetcher()) < 0)
		return (0);
	if (relayout_send(q, f, RELAY_FETCH) == 0)
		q->fetched = 1;
	else
		query_fail(q, DNS_RCODE_SERVFAIL);
	return (1);
}

static void
deadline_set(struct query *q)
{
	q->deadline = now_ms() + env->conf->sc.query_timeout * 1000;
	TAILQ_INSERT_TAIL(&qs.deadlines, q, tq);
	if (!qs.deadline_armed)
		deadline_arm();
}

/*
 * The holder or the fetcher could not be asked (its inbox full or gone):
 * a question is asked upstream here after all; a fetch cannot be, this
 * engine having no connection, so it fails (stale, or SERVFAIL).
 */
static void
relay_failed(struct query *q)
{
	q->relay_to = -1;
	if (q->fetched) {
		q->fetched = 0;
		query_fail(q, DNS_RCODE_SERVFAIL);
		return;
	}
	if (q->origin.transport != QT_FETCH && query_fetch(q))
		return;
	if (upstream_send(q, 0) == -1)
		query_fail(q, DNS_RCODE_SERVFAIL);
}

/*
 * The holder's answer, the client's already (relayout.c checked it); or
 * the upstream's reply a fetcher got for us, which is checked and taken
 * like one from our own connection.  A SERVFAIL is the fetcher's: this
 * engine's cache may still have a stale answer.
 */
static void
relay_reply(struct query *q, uint8_t *msg, size_t len)
{
	struct dns_summary	sum;

	if (msg == NULL) {
		relay_failed(q);
		return;
	}
	if (!q->fetched) {
		if (dns_check_reply(msg, len, q->qbuf + DNS_HDR_LEN,
		    q->qi.question_len, &sum))
			cache_store_copy(q->qbuf, &q->qi, msg, len, &sum);
		query_reply(q, msg, len);
		return;
	}
	q->fetched = 0;
	if (!dns_check_reply(msg, len, q->qbuf + DNS_HDR_LEN,
	    q->qi.question_len, &sum) ||
	    (sum.flags & 0xf) == DNS_RCODE_SERVFAIL) {
		query_fail(q, DNS_RCODE_SERVFAIL);
		return;
	}
	(void)query_answered(q, msg, len, &sum);
}

static void
deadline_arm(void)
{
	struct query	*q;
	uint64_t	 now, wait;

	if ((q = TAILQ_FIRST(&qs.deadlines)) == NULL) {
		qs.deadline_armed = 0;
		return;
	}
	now = now_ms();
	wait = q->deadline > now ? q->deadline - now : 0;
	timer_in(&qs.deadline_ev, wait);
	qs.deadline_armed = 1;
}

static void
deadline_cb(int fd, short ev, void *arg)
{
	struct query	*q;
	uint64_t	 now = now_ms();

	(void)fd;
	(void)ev;
	(void)arg;
	while ((q = TAILQ_FIRST(&qs.deadlines)) != NULL &&
	    q->deadline <= now) {
		log_debug("query id %u timed out", q->qi.id);
		query_fail(q, DNS_RCODE_SERVFAIL);
	}
	deadline_arm();
}

/*
 * The first copy is later than its upstream usually takes: a second copy
 * may go to another upstream, within the hedging budget, and whichever
 * answer comes first wins.
 */
static void
hedge_cb(int fd, short ev, void *arg)
{
	struct query	*q = arg;

	(void)fd;
	(void)ev;
	q->hedge_armed = 0;
	if (q->nsends == 1 && !q->hedged && q->tries < QUERY_MAX_TRIES &&
	    now_ms() < q->deadline)
		(void)upstream_send(q, 1);
}

/*
 * Hands an answer to the client that asked, through the frontend that
 * admitted the query (which cuts a UDP answer to the client's size);
 * the slot is free afterwards.
 */
static void
query_reply(struct query *q, uint8_t *msg, size_t len)
{
	const struct frontend	*fe = q->origin.fe;

	if (fe != NULL && (len = fe->answer(&q->origin,
	    (struct sockaddr *)&q->peer, q->peerlen, msg, len, &q->qi)) > 0)
		report_answer(q->origin.transport,
		    (struct sockaddr *)&q->peer, msg, len, q->started, 0);
	query_free(q);
}

/*
 * Gives up on every copy still upstream and answers rcode, to the
 * followers too; a SERVFAIL becomes a stale answer when the cache still
 * has one (RFC 8767).
 */
static void
query_fail(struct query *q, int rcode)
{
	size_t	n;

	if (q->nsends > 0)
		upstream_forget_all(q, 1);
	if (!TAILQ_EMPTY(&q->followers))
		coalesce_fail(q, rcode);
	if (q->origin.transport == QT_PREFETCH) {
		query_free(q);
		return;
	}
	if (rcode == DNS_RCODE_SERVFAIL && (n = cache_lookup_stale(q->qbuf,
	    &q->qi, qs.answer, sizeof(qs.answer))) != 0) {
		log_debug("query id %u: answered stale", q->qi.id);
		report_count(RC_STALE);
		n = dns_add_ede(qs.answer, n, sizeof(qs.answer), &q->qi,
		    DNS_EDE_STALE, NULL);
		query_reply(q, qs.answer, n);
		return;
	}
	n = dns_make_error(q->qbuf, q->qlen, &q->qi, rcode, qs.scratch,
	    sizeof(qs.scratch));
	/*
	 * RFC 8914 22 speaks of authoritative servers, which a forwarder
	 * never asks; what failed is the exchange with another server, an
	 * upstream resolver (refused, lost, spoilt or silent till the
	 * deadline): 23, Network Error.
	 */
	if (n != 0 && rcode == DNS_RCODE_SERVFAIL)
		n = dns_add_ede(qs.scratch, n, sizeof(qs.scratch), &q->qi,
		    DNS_EDE_NETWORK, "no upstream answer");
	if (n == 0) {
		query_free(q);
		return;
	}
	query_reply(q, qs.scratch, n);
}

/*
 * A copy was lost with its connection, or spoilt by a bad reply.  If the
 * other copy is still out, it may yet answer; otherwise it goes out
 * again on a fresh connection (upstream.c: to the same upstream when it
 * is the only one, else by the policy), within the bounds of upstream.c
 * and only while its deadline is ahead, or SERVFAIL.
 */
static void
query_send_failed(struct query *q)
{
	if (q->nsends > 0)
		return;
	if (now_ms() < q->deadline && upstream_send(q, 0) == 0)
		return;
	query_fail(q, DNS_RCODE_SERVFAIL);
}

/* A follower's leader ended: its own answer, or its own failure. */
static void
follower_done(struct query *f, uint8_t *msg, size_t len, int rcode)
{
	if (msg != NULL)
		query_reply(f, msg, len);
	else
		query_fail(f, rcode);
}

/*
 * The one way a copy's fate comes back from its connection: its reply,
 * matched to it by ID and question, or its loss (msg NULL).  A reply is
 * stored, handed to every follower and made the client's own, each by
 * the summary of the connection's one walk of it; -1 tells the
 * connection it was unusable after all.
 */
static int
upstream_reply(struct qsend *s, struct upstream *u, uint8_t *msg, size_t len,
    const struct dns_summary *sum)
{
	struct query	*q = s->q;

	q->nsends--;
	if (msg == NULL) {
		/* lost with its connection through no fault of its reply */
		if (s->blameless && q->tries > 0)
			q->tries--;
		query_send_failed(q);
		return (0);
	}
	upstream_answered(u, s);
	/* fetched for another engine: it stores and fixes the reply */
	if (q->origin.transport == QT_FETCH) {
		query_reply(q, msg, len);
		return (0);
	}
	return (query_answered(q, msg, len, sum));
}

/*
 * A reply to take, from our connection or a fetcher: stored, handed to
 * every follower and made the client's own by its summary.
 */
static int
query_answered(struct query *q, uint8_t *msg, size_t len,
    const struct dns_summary *sum)
{
	size_t	n;

	cache_store(q->qbuf, &q->qi, msg, len, sum);
	if (!TAILQ_EMPTY(&q->followers))
		coalesce_reply(q, msg, len, sum);
	/* the client gets its own spelling of the name back */
	memcpy(msg + DNS_HDR_LEN, q->qbuf + DNS_HDR_LEN, q->qi.question_len);
	if ((n = dns_fix_summarized(msg, len, sum, &q->qi)) == 0) {
		query_send_failed(q);
		return (-1);
	}
	query_reply(q, msg, n);
	return (0);
}

/*
 * A popular cache entry is about to expire: the same question goes
 * upstream, to the pool of its zone, with no client waiting, and its
 * reply refreshes the entry.  Under load, when no slot is free, the
 * entry simply expires.
 */
void
query_prefetch(const uint8_t *msg, size_t len, const struct dns_query_info *qi,
    int zone)
{
	struct query	*q;

	if ((q = query_alloc()) == NULL)
		return;
	q->origin.transport = QT_PREFETCH;
	q->zone = zone;
	q->started = 0;
	q->peerlen = 0;
	q->qi = *qi;
	q->qlen = len;
	memcpy(q->qbuf, msg, len);
	query_start(q);
}
