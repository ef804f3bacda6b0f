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

#include <event.h>
#include <string.h>

#include "admit.h"
#include "cache.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frontend.h"
#include "log.h"
#include "query.h"
#include "ratelimit.h"
#include "relay.h"
#include "report.h"
#include "zone.h"

/*
 * The checks every client query passes (validation, rate limit, ACL,
 * its zone, per-client bound, the cache) before it takes a slot; it
 * never reads or writes a socket.
 */

static struct ratelog	rl_slots, rl_client_q;

/* the answers made here: an error, or a cache hit made the client's */
static struct {
	uint8_t		 scratch[DNS_MAX_QUERY + 512];
	uint8_t		 answer[DNS_MAX_MSG];
} a;

static void	 admit_error(const struct origin *, const struct sockaddr *,
		    socklen_t, const uint8_t *, size_t,
		    const struct dns_query_info *, int, int, const char *);
static void	 admit_local(const struct origin *, const struct sockaddr *,
		    socklen_t, const uint8_t *, size_t,
		    const struct dns_query_info *, const struct zone *);

/*
 * Every query passes here, from UDP and TCP alike: the UDP rate limit,
 * the ACL, then the message checks, then its zone (zone.c), which may
 * answer it here.  What fails gets its answer (or nothing) through the
 * frontend's answer call; a cache hit is answered at once the same way.
 * Its zone is decided before the cache is asked, so that a name of a
 * zone answered locally never gets anything else.  Only what passes all
 * of them takes a slot: it comes back to the frontend, which links it to
 * its client and starts it with query_start().  *closep asks a stream
 * frontend to close.
 */
struct query *
admit(const struct origin *o, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *msg, size_t len, int *closep)
{
	struct dns_query_info	 qi;
	enum dns_verdict	 v;
	const struct zone	*z = NULL;
	struct query		*q;
	enum cache_result	 hit;
	size_t			 n;
	const char		*text = NULL;
	int			 allowed, rcode, ede = -1, holder, relayed;

	*closep = 0;
	relayed = o->transport == QT_RELAY;
	v = dns_check_query(msg, len, &qi);
	if (v == DNS_DROP) {
		*closep = o->transport == QT_TCP && len < DNS_HDR_LEN;
		return (NULL);
	}
	if (!relayed)
		report_count(o->transport == QT_TCP ? RC_QUERY_TCP :
		    RC_QUERY_UDP);
	allowed = o->allowed != -1 ? o->allowed :
	    conf_acl_match(&env->conf->acl, sa) == ACL_ALLOW;
	/*
	 * Every UDP message that could draw a reply costs its prefix a
	 * token, so that neither answers nor errors can be reflected at a
	 * spoofed victim faster than the rate.  Over it, an allowed query
	 * may get an empty TC=1 reply, never larger than the query, which
	 * sends a real client to TCP, where no one can spoof it.
	 */
	if (o->transport == QT_UDP && env->conf->sc.rate_limit != 0 &&
	    ratelimit_check(sa, now_ms()) == RL_OVER) {
		report_count(RC_RATELIMITED);
		if (allowed && v == DNS_OK &&
		    env->conf->sc.rate_limit_action == RATE_TRUNCATE &&
		    (n = dns_make_error(msg, len, &qi, DNS_RCODE_NOERROR,
		    a.scratch, sizeof(a.scratch))) != 0) {
			dns_put16(a.scratch + 2,
			    dns_get16(a.scratch + 2) | DNS_F_TC);
			/*
			 * RFC 8914 has no code for a rate; the limit is the
			 * local policy 18 names, and the TC bit still sends
			 * the client to TCP.  Only if the query leaves room.
			 */
			n = dns_add_ede(a.scratch, n, len, &qi,
			    DNS_EDE_PROHIBITED, "rate limit");
			(void)o->fe->answer(o, sa, salen, a.scratch, n, &qi);
		}
		return (NULL);
	}
	if (!allowed) {
		report_count(RC_REFUSED);
		if (env->conf->sc.deny_action == DENY_DROP) {
			*closep = o->transport == QT_TCP;
			return (NULL);
		}
		rcode = DNS_RCODE_REFUSED;
		ede = DNS_EDE_PROHIBITED;
	} else if (v == DNS_FORMERR)
		rcode = DNS_RCODE_FORMERR;
	else if (v == DNS_NOTIMP) {
		rcode = DNS_RCODE_NOTIMP;
		ede = DNS_EDE_NOT_SUPPORTED;
	} else if (v == DNS_BADVERS)
		rcode = DNS_RCODE_BADVERS;
	else if (v == DNS_REFUSED) {
		rcode = DNS_RCODE_REFUSED;
		ede = DNS_EDE_NOT_SUPPORTED;
	} else if ((z = zone_lookup(msg + DNS_HDR_LEN, qi.qname_len))->action !=
	    ZONE_FORWARD) {
		admit_local(o, sa, salen, msg, len, &qi, z);
		return (NULL);
	} else if ((hit = cache_lookup(msg, &qi, a.answer, sizeof(a.answer),
	    &n)) != CACHE_MISS) {
		n = o->fe->answer(o, sa, salen, a.answer, n, &qi);
		report_answer(o->transport, sa, a.answer, n, 0, 1);
		if (hit == CACHE_HIT_PREFETCH)
			query_prefetch(msg, len, &qi, z->pool);
		return (NULL);
	} else if (!relayed && clients_query_add(sa) == -1) {
		log_limit(&rl_client_q, now_ms(),
		    "queries over max-queries-per-client");
		rcode = DNS_RCODE_SERVFAIL;
		ede = DNS_EDE_OTHER;
		text = "busy";
	} else if ((q = query_alloc()) == NULL) {
		if (!relayed)
			clients_query_del(sa);
		log_limit(&rl_slots, now_ms(), "queries over max-queries");
		rcode = DNS_RCODE_SERVFAIL;
		ede = DNS_EDE_OTHER;
		text = "busy";
	} else {
		q->counted = !relayed;
		/* a miss here: the engine holding its question is asked */
		holder = relayed ? inbox_self() : inbox_holder(msg, len);
		q->relay_to = holder != inbox_self() ? holder : -1;
		q->origin = *o;
		q->started = now_us();
		memcpy(&q->peer, sa, salen);
		q->peerlen = salen;
		q->qi = qi;
		q->qlen = len;
		q->zone = z->pool;
		memcpy(q->qbuf, msg, len);
		return (q);
	}
	admit_error(o, sa, salen, msg, len, &qi, rcode, ede, text);
	return (NULL);
}

static void
admit_error(const struct origin *o, const struct sockaddr *sa,
    socklen_t salen, const uint8_t *msg, size_t len,
    const struct dns_query_info *qi, int rcode, int ede, const char *text)
{
	size_t	n;

	n = dns_make_error(msg, len, qi, rcode, a.scratch,
	    sizeof(a.scratch));
	/*
	 * An error echoes at most the query's own header, question and a
	 * bare OPT, so it is never larger than the query; a REFUSED must
	 * never be, or the access list would make us an amplifier.  The
	 * extended error keeps to that: it goes only where the query left
	 * room (a cookie, padding), else without its text, else not at all.
	 * A malformed query (FORMERR, BADVERS) gets none: RFC 8914 has no
	 * code that says more than the rcode does.
	 */
	if (n == 0 || (rcode == DNS_RCODE_REFUSED && n > len))
		return;
	if (ede != -1)
		n = dns_add_ede(a.scratch, n, len, qi, ede, text);
	n = o->fe->answer(o, sa, salen, a.scratch, n, qi);
	report_answer(o->transport, sa, a.scratch, n, 0, 0);
}

/* A zone answered here: its answer is zone_answer()'s, never cached. */
static void
admit_local(const struct origin *o, const struct sockaddr *sa,
    socklen_t salen, const uint8_t *msg, size_t len,
    const struct dns_query_info *qi, const struct zone *z)
{
	size_t	n;
	int	rcode;

	report_count(RC_LOCAL);
	if ((n = zone_answer(msg, len, qi, z, a.answer,
	    sizeof(a.answer))) == 0)
		return;
	/*
	 * Not forwarded by policy (RFC 8914 15, Blocked): a refused or
	 * nonexistent name says why; a REFUSED, as the access list's, stays
	 * within the query's size.  localhost's answers are answers.
	 */
	rcode = dns_get16(a.answer + 2) & 0xf;
	if (rcode != DNS_RCODE_NOERROR)
		n = dns_add_ede(a.answer, n, rcode == DNS_RCODE_REFUSED ?
		    len : sizeof(a.answer), qi, DNS_EDE_BLOCKED, NULL);
	n = o->fe->answer(o, sa, salen, a.answer, n, qi);
	report_answer(o->transport, sa, a.answer, n, 0, 0);
}
