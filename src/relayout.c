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

#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "query.h"
#include "relay.h"

/*
 * The asking side: a query whose question another engine holds is asked
 * of that engine and waits in its slot, under its own deadline (query.c
 * keeps it), for the answer.  A pending entry per query slot, found by
 * the slot number the holder echoes and kept only while the random token
 * echoed with it matches: an answer for a query that has ended (its
 * deadline came first) or one no engine was asked for finds nothing.
 */

struct pending {
	struct query	*q;
	uint64_t	 token;
	int		 kind;		/* what was asked */
};

static struct {
	struct pending	*p;
	uint32_t	*free;
	uint32_t	 n, nfree;
	relayout_cb	 cb;
} ro;

static void	 relayout_answer(const struct relay_hdr *, uint8_t *, size_t);
static void	 relayout_failed(const struct relay_hdr *, uint8_t *, size_t);

void
relayout_init(int nslots, relayout_cb cb)
{
	uint32_t	i;

	ro.n = nslots;
	if ((ro.p = calloc(ro.n, sizeof(*ro.p))) == NULL ||
	    (ro.free = calloc(ro.n, sizeof(*ro.free))) == NULL)
		fatal(NULL);
	for (i = 0; i < ro.n; i++)
		ro.free[i] = ro.n - 1 - i;
	ro.nfree = ro.n;
	ro.cb = cb;
	inbox_on(RELAY_ANSWER, relayout_answer);
	inbox_on_failure(relayout_failed);
}

/* The question or fetch never left: the query is ours to do after all. */
static void
relayout_failed(const struct relay_hdr *h, uint8_t *msg, size_t len)
{
	struct query	*q;

	(void)msg;
	(void)len;
	if (h->slot >= ro.n || (q = ro.p[h->slot].q) == NULL ||
	    ro.p[h->slot].token != h->token)
		return;
	relayout_forget(q);
	ro.cb(q, NULL, 0);
}

/* -1: the holder cannot be asked now; the caller answers it itself */
int
relayout_send(struct query *q, int to, enum relay_kind kind)
{
	struct relay_hdr	h;
	uint32_t		i;

	if (ro.nfree == 0)
		return (-1);
	/*
	 * The slot is taken before the send: a full queue is flushed from
	 * inbox_send(), and a failure handled there may ask again, for
	 * another query, before this call returns.
	 */
	i = ro.free[--ro.nfree];
	memset(&h, 0, sizeof(h));
	h.kind = kind;
	h.slot = i;
	arc4random_buf(&h.token, sizeof(h.token));
	if (q->peerlen <= sizeof(h.peer)) {
		memcpy(&h.peer, &q->peer, q->peerlen);
		h.peerlen = q->peerlen;
	}
	ro.p[i].q = q;
	ro.p[i].token = h.token;
	ro.p[i].kind = kind;
	q->relay_slot = i;
	if (inbox_send(to, &h, q->qbuf, q->qlen) == -1) {
		relayout_forget(q);
		return (-1);
	}
	return (0);
}

void
relayout_forget(struct query *q)
{
	uint32_t	i = q->relay_slot;

	if (q->relay_slot < 0)
		return;
	ro.p[i].q = NULL;
	ro.p[i].token = 0;
	ro.free[ro.nfree++] = i;
	q->relay_slot = -1;
}

/*
 * The holder's answer is the client's already (its ID, its spelling of
 * the name, its EDNS view): it must be a reply to exactly this query,
 * or the query waits on for its deadline.  A fetcher's is the upstream's
 * reply as it came: query.c checks it as it checks any upstream reply.
 */
static void
relayout_answer(const struct relay_hdr *h, uint8_t *msg, size_t len)
{
	struct query	*q;
	size_t		 ql;

	if (h->slot >= ro.n || (q = ro.p[h->slot].q) == NULL ||
	    ro.p[h->slot].token != h->token)
		return;
	ql = q->qi.question_len;
	if (ro.p[h->slot].kind == RELAY_ASK && (len < DNS_HDR_LEN + ql || dns_get16(msg) != q->qi.id ||
	    !(dns_get16(msg + 2) & DNS_F_QR) || dns_get16(msg + 4) != 1 ||
	    memcmp(msg + DNS_HDR_LEN, q->qbuf + DNS_HDR_LEN, ql) != 0)) {
		log_debug("query id %u: a bad answer from engine %u",
		    q->qi.id, h->from);
		return;
	}
	relayout_forget(q);
	ro.cb(q, msg, len);
}
