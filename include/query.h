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

#ifndef DOTPROXY_QUERY_H
#define DOTPROXY_QUERY_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>

#include "dns.h"

#define QUERY_MAX_SENDS		2	/* copies of one query out at once */
#define QUERY_MAX_TRIES		4	/* copies that count: the first, a
					   hedge, those whose connect or
					   handshake failed and those spoilt
					   by the query's own reply */
#define QUERY_MAX_COPIES	16	/* copies ever sent, also those lost
					   when a connection ended */

enum query_transport {
	QT_UDP = 1,
	QT_TCP,
	QT_PREFETCH,	/* no client: refreshes a cache entry */
	QT_RELAY,	/* asked by another engine (relay.h) */
	QT_FETCH	/* fetched for another engine: no cache, no table */
};

struct upconn;
struct plainconn;
struct query;
struct origin;

/*
 * A frontend (udp.c, tcp.c) reads queries and writes answers; the query
 * owner (query.c) and the admission checks (admit.c) never know what a
 * client is beyond this: answers go back through the frontend's calls.
 */
struct frontend {
	/* an answer for the client (UDP: cut to its size); length sent */
	size_t	(*answer)(const struct origin *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t,
		    const struct dns_query_info *);
	/* the query owner is done with a query the frontend linked */
	void	(*release)(struct query *);
};

/* Where a query came from, as its frontend describes it. */
struct origin {
	const struct frontend	*fe;	/* NULL: no client (prefetch) */
	int			 transport;	/* enum query_transport */
	int			 fd;	/* UDP socket to answer from */
	int			 allowed;	/* ACL verdict; -1: ask */
	void			*client;	/* the frontend's own */
	/* QT_RELAY: where the answer goes (relayin.c) */
	int			 asker;		/* engine place */
	uint32_t		 slot;
	uint64_t		 token;
};

/*
 * One copy of a query on an upstream connection.  A query has at most
 * two out at once: the first, and a hedge on another upstream; the
 * first answer wins.  A copy whose connection is lost is sent again.
 */
struct qsend {
	TAILQ_ENTRY(qsend)	 entry;	/* on its upstream connection */
	struct query		*q;
	struct upconn		*uc;	/* over TLS; NULL when not there */
	struct plainconn	*pc;	/* or declared cleartext (plainconn.c) */
	uint64_t		 sent;	/* us, monotonic */
	uint16_t		 upid;
	int			 measured;	/* RTT sample is clean */
	int			 blameless;	/* lost, but not by its reply */
};
TAILQ_HEAD(qsend_list, qsend);

/*
 * One preallocated slot per query in flight.  The client's query is kept
 * whole: it is what SERVFAIL echoes and what a retry re-sends.  A query
 * whose question is already in flight is a follower: it sends nothing
 * and is answered from its leader's reply (coalesce.c).
 */
TAILQ_HEAD(query_list, query);
struct query {
	TAILQ_ENTRY(query)	 tq;	/* deadline order, or free list */
	TAILQ_ENTRY(query)	 cq;	/* on its frontend's client */
	TAILQ_ENTRY(query)	 fq;	/* on its leader's followers */
	struct query		*leader;	/* a follower's */
	struct query_list	 followers;	/* a leader's */
	int			 nfollowers;
	struct query		*hnext;	/* in-flight table chain */
	uint64_t		 hash;
	int			 hashed;	/* in the in-flight table */
	int			 busy;
	int			 counted;	/* in its client's in-flight count */
	struct origin		 origin;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct qsend		 sends[QUERY_MAX_SENDS];
	int			 nsends;	/* copies in flight */
	int			 tries;		/* copies that count */
	int			 copies;	/* copies ever sent */
	int			 hedged;	/* a hedge went out */
	int			 zone;		/* its upstream pool */
	int			 relay_to;	/* holder to ask, or -1 */
	int			 relay_slot;	/* relayout.c's, or -1 */
	int			 fetched;	/* by another engine (relay.h) */
	uint32_t		 tried;		/* upstream index bitmap */
	struct event		 hedge_ev;	/* late first answer */
	int			 hedge_armed;
	uint64_t		 deadline;	/* ms, monotonic */
	uint64_t		 started;	/* us, for the latency */
	struct dns_query_info	 qi;
	uint16_t		 qlen;
	uint8_t			 qbuf[DNS_MAX_QUERY];
};

/* query.c: the owner of a query's life */
void		 query_init(void);
struct query	*query_alloc(void);
void		 query_start(struct query *);
void		 query_prefetch(const uint8_t *, size_t,
		    const struct dns_query_info *, int);
int		 query_busy(void);

#endif /* DOTPROXY_QUERY_H */
