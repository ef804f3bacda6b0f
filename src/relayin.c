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
#include <sys/socket.h>

#include <string.h>

#include "admit.h"
#include "clock.h"
#include "dns.h"
#include "query.h"
#include "relay.h"
#include "zone.h"

/*
 * The holder's side: a question another engine asks of us is a query
 * like a client's, admitted and answered here as the holder of its
 * question (our cache, our in-flight table; a miss is fetched here,
 * never asked further), and the answer goes back to the engine that
 * asked, to the slot and token it named.  The asker has already counted
 * it, checked it against the access list and the rate limit, and will
 * log it; the holder does none of that again.  A fetch (RELAY_FETCH) is
 * a holder's miss for an engine that has upstream connections when the
 * holder has none: it goes upstream as it is, with no cache and no
 * in-flight table here (the holder has both), and the upstream's reply
 * goes back as it came.
 */

static size_t	 relayin_answer(const struct origin *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t,
		    const struct dns_query_info *);

static const struct frontend relay_frontend = {
	relayin_answer, NULL
};

static void	 relayin_ask(const struct relay_hdr *, uint8_t *, size_t);
static void	 relayin_fetch(const struct relay_hdr *, uint8_t *, size_t);

void
relayin_init(void)
{
	inbox_on(RELAY_ASK, relayin_ask);
	inbox_on(RELAY_FETCH, relayin_fetch);
}

static void
relayin_origin(struct origin *o, const struct relay_hdr *h, int transport)
{
	memset(o, 0, sizeof(*o));
	o->fe = &relay_frontend;
	o->transport = transport;
	o->fd = -1;
	o->allowed = 1;
	o->asker = h->from;
	o->slot = h->slot;
	o->token = h->token;
}

static void
relayin_fetch(const struct relay_hdr *h, uint8_t *msg, size_t len)
{
	struct dns_query_info	 qi;
	struct query		*q;

	if (len > DNS_MAX_QUERY || dns_check_query(msg, len, &qi) != DNS_OK ||
	    (q = query_alloc()) == NULL)
		return;
	relayin_origin(&q->origin, h, QT_FETCH);
	q->started = now_us();
	q->peerlen = 0;
	q->qi = qi;
	q->qlen = len;
	q->zone = zone_lookup(msg + DNS_HDR_LEN, qi.qname_len)->pool;
	memcpy(q->qbuf, msg, len);
	query_start(q);
}

static void
relayin_ask(const struct relay_hdr *h, uint8_t *msg, size_t len)
{
	struct origin		 o;
	struct query		*q;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = h->peerlen;
	int			 closing;

	if (len > DNS_MAX_QUERY || sslen > sizeof(ss))
		return;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &h->peer, sslen);
	relayin_origin(&o, h, QT_RELAY);
	if ((q = admit(&o, (struct sockaddr *)&ss, sslen, msg, len,
	    &closing)) != NULL)
		query_start(q);
}

/* Whatever admit() or the query owner answers goes back to the asker. */
static size_t
relayin_answer(const struct origin *o, const struct sockaddr *sa,
    socklen_t salen, uint8_t *msg, size_t len,
    const struct dns_query_info *qi)
{
	struct relay_hdr	h;

	(void)sa;
	(void)salen;
	(void)qi;
	memset(&h, 0, sizeof(h));
	h.kind = RELAY_ANSWER;
	h.slot = o->slot;
	h.token = o->token;
	return (inbox_send(o->asker, &h, msg, len) == 0 ? len : 0);
}
