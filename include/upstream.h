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

#ifndef DOTPROXY_UPSTREAM_H
#define DOTPROXY_UPSTREAM_H

#include <stdint.h>
#include <tls.h>

#include "config.h"
#include "plainconn.h"
#include "query.h"
#include "upconn.h"

#define UPSTREAM_POOL		4	/* TLS connections per upstream */
#define UPSTREAM_BACKOFF_MIN	500	/* ms */
#define UPSTREAM_BACKOFF_MAX	30000	/* ms */

struct upstream {
	struct upstream_conf	 conf;
	int			 index;		/* in its zone's pool */
	char			 name[64];	/* address, for logs */
	const char		*zone;		/* its zone's name, "." */
	int			 padding;	/* its zone's block size */
	struct tls_config	*tls_cfg;	/* its own: the session cache */
	struct plainconn	*plain;	/* declared cleartext: no TLS at all */
	int			 session_fd;
	/* health */
	int			 fails;		/* consecutive, reset by a reply */
	int			 down;
	uint64_t		 retry_at;	/* ms */
	int			 backoff;	/* ms */
	uint64_t		 penalty;	/* us, added to srtt */
	uint64_t		 penalty_at;	/* ms, when it was last raised */
	/* smoothed round-trip time, RFC 6298 style, in us */
	uint64_t		 srtt;
	uint64_t		 rttvar;
	int			 samples;
	uint64_t		 last_query;	/* ms */
	/* counters, logged with -v when the engine exits */
	uint64_t		 nsent;
	uint64_t		 nanswered;
	uint64_t		 nfailed;
	uint64_t		 nretries;	/* copies sent again */
	uint64_t		 nlost;	/* connections ended under us */
	uint64_t		 nbadreply;	/* replies that spoilt a stream */
	uint64_t		 nresumed;
	uint64_t		 nhandshakes;	/* completed, for stats */
	uint64_t		 npinfail;	/* handshakes no pin matched */
	uint64_t		 ntlsbytes;	/* handed to tls_write() */
	struct upconn		 conns[UPSTREAM_POOL];
};

/* upstream.c: a pool per zone, its policy, health and hedge budget */
void		 upstream_init(const uint8_t *, size_t);
void		 upstream_set_pool(int);
void		 upstream_session_init(void);
int		 upstream_send(struct query *, int);
void		 upstream_forget_all(struct query *, int);
void		 upstream_answered(struct upstream *, struct qsend *);
uint64_t	 upstream_attempt_us(const struct upstream *);
int		 upstream_count(void);
int		 upstream_descriptors(void);
const struct upstream *upstream_at(int);
void		 upstream_log_stats(void);

#endif /* DOTPROXY_UPSTREAM_H */
