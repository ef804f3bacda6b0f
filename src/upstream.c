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
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "plainconn.h"
#include "query.h"
#include "upconn.h"
#include "upstream.h"
#include "zone.h"

/*
 * The upstream pools, one per zone that forwards ("." is the top-level
 * upstreams): which resolver of the query's zone it goes to
 * (upstream-policy), what each one's round-trip time is, whether it is
 * down, and the pool's hedge budget.  A query's zone is decided before
 * it gets here (admit.c, zone.c); the connections are upconn.c's.
 */

#define EXPLORE_PERCENT	5	/* fastest: share sent to the others */
#define HEDGE_MIN_US	50000	/* never hedge sooner than this */
#define HEDGE_COST	10	/* tokens per hedged copy ... */
#define HEDGE_TOKENS	1000	/* ... at most this many saved up */
#define PENALTY_MIN_US	500000
#define PENALTY_MAX_US	10000000
#define PENALTY_HALF_MS	5000	/* a failure's weight halves this often */

static void	 upstream_rtt(struct upstream *, uint64_t);
static void	 upstream_failed(struct upstream *, const char *);

/* RFC 7525 3.2: forward secrecy and AEAD only for TLS 1.2 */
#define CIPHERS		"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"

struct pool {
	struct upstream	*ups;		/* the zone's, within all */
	int		 n;
	int		 policy;	/* enum upstream_policy */
	unsigned int	 rr_next;	/* round-robin position */
	int		 hedge_tokens;	/* budget for hedged copies */
};

/* the pools' own state: every upstream, in zone order, and the pools */
static struct {
	struct upstream	*all;
	int		 nall;
	struct pool	*pools;		/* by zone index */
	int		 npools;
	int		 pool;		/* TLS connections per upstream */
} up = { .pool = UPSTREAM_POOL };

static void	 upstream_pool_init(struct pool *, struct upstream *,
		    const struct upstream_list *, const char *, int, int,
		    const uint8_t *, size_t);

static struct tls_config *
upstream_tls_config(const uint8_t *ca, size_t calen)
{
	struct tls_config	*tc;

	if ((tc = tls_config_new()) == NULL)
		fatalx("tls_config_new failed");
	if (tls_config_set_ca_mem(tc, ca, calen) == -1)
		fatalx("CA bundle: %s", tls_config_error(tc));
	if (tls_config_set_protocols(tc,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1)
		fatalx("tls protocols: %s", tls_config_error(tc));
	if (tls_config_set_ciphers(tc, CIPHERS) == -1)
		fatalx("tls ciphers: %s", tls_config_error(tc));
	/*
	 * RFC 7858 and the IANA ALPN registry name DoT "dot": a server
	 * that serves several protocols on 853 can tell ours apart.  A
	 * client's offer binds no server to answer it, so one that knows
	 * no ALPN still completes the handshake.
	 */
	if (tls_config_set_alpn(tc, "dot") == -1)
		fatalx("tls alpn: %s", tls_config_error(tc));
	return (tc);
}

/*
 * A pool for "." and for each zone statement, by its index; a zone
 * answered locally has an empty one.  What a zone does not say (policy,
 * padding, CA bundle) is the top level's.
 */
void
upstream_init(const uint8_t *ca, size_t calen)
{
	const struct conf	*conf = env->conf;
	const struct zone_conf	*z;
	int			 n = conf_count_upstreams(conf), i = 1;

	if (n > CONF_MAX_UPSTREAMS)
		fatalx("too many upstreams");
	TAILQ_FOREACH(z, &conf->zones, entry)
		if (z->index != i++)
			fatalx("zone %s out of order", z->name);
	up.npools = i;
	if ((up.all = calloc(n, sizeof(*up.all))) == NULL ||
	    (up.pools = calloc(up.npools, sizeof(*up.pools))) == NULL)
		fatal(NULL);
	upstream_pool_init(&up.pools[0], up.all, &conf->upstreams, ".",
	    conf->sc.policy, conf->sc.padding, ca, calen);
	TAILQ_FOREACH(z, &conf->zones, entry)
		upstream_pool_init(&up.pools[z->index], up.all + up.nall,
		    &z->upstreams, z->name,
		    z->policy != -1 ? z->policy : conf->sc.policy,
		    z->padding != -1 ? z->padding : conf->sc.padding,
		    z->ca != NULL ? z->ca : ca,
		    z->ca != NULL ? z->calen : calen);
	upconn_set_failed_hook(upstream_failed);
	plainconn_set_failed_hook(upstream_failed);
	/* seed the generator now: it may want files the sandbox denies */
	if (arc4random() == 0)
		log_debug("arc4random said 0");
}

/* Each upstream gets its own TLS configuration, with its zone's bundle. */
static void
upstream_pool_init(struct pool *p, struct upstream *ups,
    const struct upstream_list *list, const char *zone, int policy,
    int padding, const uint8_t *ca, size_t calen)
{
	const struct upstream_conf	*uconf;
	struct upstream			*u;
	int				 i;

	p->ups = ups;
	p->policy = policy;
	p->hedge_tokens = HEDGE_TOKENS / 10;
	TAILQ_FOREACH(uconf, list, entry) {
		if (p->n == CONF_MAX_UPSTREAM)
			fatalx("zone %s: too many upstreams", zone);
		u = &p->ups[p->n];
		u->conf = *uconf;
		u->index = p->n++;
		u->zone = zone;
		u->padding = padding;
		u->session_fd = -1;
		conf_addr_str((struct sockaddr *)&u->conf.ss, u->name,
		    sizeof(u->name));
		/* the transport is the upstream's, whatever pool it is in */
		if (u->conf.transport != UP_TLS) {
			u->plain = plainconn_new(u, u->conf.transport);
			continue;
		}
		u->tls_cfg = upstream_tls_config(ca, calen);
		for (i = 0; i < UPSTREAM_POOL; i++)
			upconn_init(&u->conns[i], u);
	}
	up.nall += p->n;
}

/*
 * TLS session resumption: libtls keeps the session in a file descriptor,
 * here an anonymous memory file per upstream.  It must belong to the
 * user the engine runs as and be private, so this runs after the
 * privilege drop and before the sandbox, which has no memfd_create.
 */
void
upstream_session_init(void)
{
	struct upstream	*u;
	int		 i, fd;

	for (i = 0; i < up.nall; i++) {
		u = &up.all[i];
		if (u->tls_cfg == NULL)
			continue;
		if ((fd = memfd_create("dotproxy-session", MFD_CLOEXEC)) ==
		    -1) {
			log_warn("memfd_create: no session resumption");
			return;
		}
		if (fchmod(fd, 0600) == -1 ||
		    tls_config_set_session_fd(u->tls_cfg, fd) == -1) {
			log_warnx("upstream %s: session cache: %s", u->name,
			    tls_config_error(u->tls_cfg));
			close(fd);
			continue;
		}
		u->session_fd = fd;
	}
}

static int
upstream_usable(const struct upstream *u, uint64_t now)
{
	return (!u->down || now >= u->retry_at);
}

static uint64_t
upstream_penalty(const struct upstream *u, uint64_t now)
{
	uint64_t	halves;

	if (u->penalty == 0)
		return (0);
	halves = (now - u->penalty_at) / PENALTY_HALF_MS;
	return (halves >= 32 ? 0 : u->penalty >> halves);
}

/* What the fastest policy compares; unmeasured upstreams go first. */
static uint64_t
upstream_score(const struct upstream *u, uint64_t now)
{
	if (u->samples == 0)
		return (upstream_penalty(u, now));
	return (u->srtt + upstream_penalty(u, now));
}

/*
 * How long the first copy may take before a hedge: twice the smoothed
 * RTT plus four deviations, at least HEDGE_MIN_US and at most a third of
 * the query timeout, which is also what an unmeasured upstream gets.
 */
uint64_t
upstream_attempt_us(const struct upstream *u)
{
	uint64_t	max = env->conf->sc.query_timeout * 1000000ULL / 3;
	uint64_t	t;

	if (u->samples == 0)
		return (max);
	t = 2 * u->srtt + 4 * u->rttvar;
	if (t < HEDGE_MIN_US)
		t = HEDGE_MIN_US;
	return (t > max ? max : t);
}

/*
 * Chooses among the upstreams that are up or due for a retry.  A second
 * copy goes to one this query has not tried; a retry after a failure may
 * go back to the same one when it is the only one left.  When every
 * upstream is down, a query is not failed out of hand: it goes to the
 * one whose retry comes first, the one that failed least recently and
 * least often, which is the most likely to work.
 */
static struct upstream *
upstream_pick(struct pool *pool, struct query *q, int hedge)
{
	struct upstream	*u, *cand[CONF_MAX_UPSTREAM], *best;
	uint64_t	 now = now_ms(), s, bs = 0;
	int		 i, n = 0, pass;

	for (pass = 0; pass < 2 && n == 0; pass++) {
		if (pass == 1 && hedge)
			break;
		for (i = 0; i < pool->n; i++) {
			u = &pool->ups[i];
			if (pass == 0 && (q->tried & (1U << i)))
				continue;
			if (upstream_usable(u, now))
				cand[n++] = u;
		}
	}
	if (n == 0) {
		if (hedge)
			return (NULL);
		best = NULL;
		for (i = 0; i < pool->n; i++) {
			u = &pool->ups[i];
			if (best == NULL || u->retry_at < best->retry_at)
				best = u;
		}
		return (best);
	}

	switch (pool->policy) {
	case POLICY_FAILOVER:
		return (cand[0]);
	case POLICY_ROUNDROBIN:
		return (cand[pool->rr_next++ % n]);
	default:
		best = NULL;
		for (i = 0; i < n; i++) {
			s = upstream_score(cand[i], now);
			if (best == NULL || s < bs) {
				best = cand[i];
				bs = s;
			}
		}
		/* keep the others' estimates fresh with a small share */
		if (n > 1 && arc4random_uniform(100) < EXPLORE_PERCENT) {
			i = arc4random_uniform(n - 1);
			return (cand[i] == best ? cand[n - 1] : cand[i]);
		}
		return (best);
	}
}

/*
 * upstream-connections is for the host: this engine's part of it (0:
 * it asks another engine to fetch, query.c), at most UPSTREAM_POOL.
 */
void
upstream_set_pool(int n)
{
	up.pool = n < UPSTREAM_POOL ? n : UPSTREAM_POOL;
}

/*
 * The connection for a new query: the least busy ready one; another is
 * opened ahead of need once that one is carrying UPCONN_SPREAD queries,
 * so a burst never waits for a handshake it did not have to.
 */
static struct upconn *
upstream_conn(struct upstream *u)
{
	struct upconn	*uc, *best = NULL, *closed = NULL, *pending = NULL;
	int		 i, opening = 0;

	for (i = 0; i < up.pool; i++) {
		uc = &u->conns[i];
		switch (uc->state) {
		case UC_CLOSED:
			if (closed == NULL)
				closed = uc;
			break;
		case UC_READY:
			if (uc->inflight + uc->tombstones >=
			    UPCONN_MAX_INFLIGHT)
				break;
			/* it ended while idle: look at it again as it is */
			if (!upconn_usable(uc)) {
				i--;
				continue;
			}
			if (best == NULL || uc->inflight < best->inflight)
				best = uc;
			break;
		default:
			opening = 1;
			if (pending == NULL && uc->inflight + uc->tombstones <
			    UPCONN_MAX_INFLIGHT)
				pending = uc;
			break;
		}
	}
	if (best != NULL) {
		if (best->inflight >= UPCONN_SPREAD && closed != NULL &&
		    !opening)
			(void)upconn_connect(closed);
		return (best);
	}
	if (pending != NULL)
		return (pending);
	if (closed != NULL && upconn_connect(closed) == 0)
		return (closed);
	return (NULL);
}

/*
 * Puts a copy of q on an upstream of its zone's pool; hedge means a
 * second, early copy.  An upstream whose connection cannot even be
 * started (a connect refused at once) costs the query one try, and the
 * next upstream is tried.
 */
int
upstream_send(struct query *q, int hedge)
{
	struct pool	*pool;
	struct upstream	*u;
	struct upconn	*uc;
	struct qsend	*s = NULL;
	struct timeval	 tv;
	uint64_t	 t;
	int		 i;

	for (i = 0; i < QUERY_MAX_SENDS; i++)
		if (q->sends[i].uc == NULL && q->sends[i].pc == NULL) {
			s = &q->sends[i];
			break;
		}
	if (s == NULL || q->zone < 0 || q->zone >= up.npools ||
	    (pool = &up.pools[q->zone])->n == 0)
		return (-1);
	if (hedge && pool->hedge_tokens < HEDGE_COST)
		return (-1);
	for (;;) {
		if (q->tries >= QUERY_MAX_TRIES ||
		    q->copies >= QUERY_MAX_COPIES ||
		    (u = upstream_pick(pool, q, hedge)) == NULL)
			return (-1);
		s->sent = now_us();
		s->measured = 1;
		if (u->plain != NULL) {
			if (plainconn_queue(u->plain, s) == 0)
				break;
		} else if ((uc = upstream_conn(u)) != NULL) {
			s->measured = uc->state == UC_READY;
			if (upconn_queue(uc, s) == -1)
				return (-1);
			break;
		}
		q->tries++;
		q->tried |= 1U << u->index;
	}
	if (hedge) {
		pool->hedge_tokens -= HEDGE_COST;
		q->hedged = 1;
		log_debug("query id %u: hedged to %s", q->qi.id, u->name);
	} else {
		if (q->copies > 0) {
			u->nretries++;
			log_debug("query id %u: sent again, to %s", q->qi.id,
			    u->name);
		}
		if (pool->hedge_tokens < HEDGE_TOKENS)
			pool->hedge_tokens++;
	}
	q->nsends++;
	q->tries++;
	q->copies++;
	q->tried |= 1U << u->index;
	u->nsent++;
	u->last_query = now_ms();

	if (pool->n > 1 && !q->hedged && q->tries < QUERY_MAX_TRIES) {
		t = upstream_attempt_us(u);
		tv.tv_sec = t / 1000000;
		tv.tv_usec = t % 1000000;
		evtimer_add(&q->hedge_ev, &tv);
		q->hedge_armed = 1;
	}
	return (0);
}

/*
 * The query is answered elsewhere or given up.  A copy still out is a
 * lower bound on its upstream's round-trip time, so the estimate learns
 * that an upstream slowed down even when hedges answer for it.  A copy
 * out longer than a third of the query timeout, on a connection that has
 * said nothing since it was sent, means the connection is dead.
 */
void
upstream_forget_all(struct query *q, int timed_out)
{
	struct qsend	*s;
	struct upstream	*u;
	uint64_t	 now = now_us();
	uint64_t	 third = env->conf->sc.query_timeout * 1000000ULL / 3;
	int		 i, late;

	for (i = 0; i < QUERY_MAX_SENDS; i++) {
		s = &q->sends[i];
		if (s->uc == NULL && s->pc == NULL)
			continue;
		u = s->uc != NULL ? s->uc->up : s->pc->up;
		if (s->measured && now - s->sent >= upstream_attempt_us(u))
			upstream_rtt(u, now - s->sent);
		late = timed_out || now - s->sent >= third;
		if (s->uc != NULL)
			upconn_forget(s->uc, s, late);
		else
			plainconn_forget(s->pc, s, late);
	}
	q->nsends = 0;
}

static void
upstream_rtt(struct upstream *u, uint64_t r)
{
	uint64_t	d;

	if (u->samples++ == 0) {
		u->srtt = r;
		u->rttvar = r / 2;
		return;
	}
	d = u->srtt > r ? u->srtt - r : r - u->srtt;
	u->rttvar = (3 * u->rttvar + d) / 4;
	u->srtt = (7 * u->srtt + r) / 8;
}

/*
 * Evidence that new connections to the upstream fail (upconn.c decides
 * what counts): after upstream-max-failures of them in a row, with no
 * good reply between, it is down until its backoff expires; one that is
 * already down and fails its due retry backs off twice as long.  The fastest
 * policy holds each failure against it for a while after it is back.
 */
static void
upstream_failed(struct upstream *u, const char *why)
{
	uint64_t	now = now_ms(), p;

	u->nfailed++;
	u->fails++;
	p = upstream_penalty(u, now) * 2;
	if (p < PENALTY_MIN_US)
		p = PENALTY_MIN_US;
	u->penalty = p > PENALTY_MAX_US ? PENALTY_MAX_US : p;
	u->penalty_at = now;
	/* tried while every upstream is down: its schedule stands */
	if (u->down && now < u->retry_at) {
		log_debug("upstream %s: %s (down)", u->name, why);
		return;
	}
	if (!u->down && u->fails < env->conf->sc.upstream_max_failures) {
		log_info("upstream %s: %s (%d of %d failures)", u->name, why,
		    u->fails, env->conf->sc.upstream_max_failures);
		return;
	}
	u->backoff = u->backoff == 0 ? UPSTREAM_BACKOFF_MIN : u->backoff * 2;
	if (u->backoff > UPSTREAM_BACKOFF_MAX)
		u->backoff = UPSTREAM_BACKOFF_MAX;
	u->retry_at = now + u->backoff;
	log_warnx("upstream %s: %s; down for %d ms", u->name, why,
	    u->backoff);
	u->down = 1;
}

/* An answer came back: RFC 6298 smoothing of the round-trip time. */
void
upstream_answered(struct upstream *u, struct qsend *s)
{
	u->nanswered++;
	u->fails = 0;
	if (u->down) {
		log_info("upstream %s: up", u->name);
		u->down = 0;
		u->backoff = 0;
	}
	if (s->measured)
		upstream_rtt(u, now_us() - s->sent);
}

/* Every pool's upstreams, zone by zone, as the report reads them. */
int
upstream_count(void)
{
	return (up.nall);
}

/* What every pool may hold open at once, for the descriptor limit. */
int
upstream_descriptors(void)
{
	int	i, n = 0;

	for (i = 0; i < up.nall; i++)
		n += up.all[i].plain != NULL ? PLAIN_FDS : UPSTREAM_POOL + 1;
	return (n);
}

const struct upstream *
upstream_at(int i)
{
	return (&up.all[i]);
}

void
upstream_log_stats(void)
{
	struct upstream	*u;
	int		 i;

	for (i = 0; i < up.nall; i++) {
		u = &up.all[i];
		log_debug("upstream %s zone %s: sent %llu answered %llu failed %llu "
		    "resumed %llu srtt %llu us", u->name, u->zone,
		    (unsigned long long)u->nsent,
		    (unsigned long long)u->nanswered,
		    (unsigned long long)u->nfailed,
		    (unsigned long long)u->nresumed,
		    (unsigned long long)u->srtt);
	}
}
