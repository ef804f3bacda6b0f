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

#ifndef DOTPROXY_ENGINE_H
#define DOTPROXY_ENGINE_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "dns.h"
#include "frontend.h"
#include "ipc.h"
#include "query.h"
#include "stats.h"
#include "upstream.h"


struct engine {
	struct event_base	*base;
	struct ipc		 ipc;
	struct event		 ipc_ev;
	struct conf		*conf;
	uint8_t			*ca;
	size_t			 calen;

	struct listener		 listeners[ENGINE_MAX_LISTEN];
	int			 nlisteners;

	struct query		*queries;
	int			 nqueries;
	struct query_list	 freeq;
	struct query_list	 deadlines;
	struct event		 deadline_ev;
	int			 deadline_armed;

	struct upstream		*upstreams;
	int			 nupstreams;
	unsigned int		 rr_next;	/* round-robin position */
	int			 hedge_tokens;	/* budget for hedged copies */

	int			 nbusy;		/* query slots in use */
	struct query		**inflight;	/* coalesce.c: by question */
	uint64_t		 inflight_mask;
	uint64_t		 ncoalesced;	/* queries answered as followers */
	int			 draining;	/* SIGTERM: finish, then exit */
	uint64_t		 drain_until;	/* ms */
	struct event		 drain_ev;
	struct event		 sigterm_ev;
	struct event		 sigint_ev;

	/* abuse counters, exported by a later issue */
	uint64_t		 nrefused;	/* denied by the access list */
	uint64_t		 nratelimited;	/* over their prefix's rate */

	/* counters for the parent (report.c), and the query log switch */
	struct stats		 st;
	int			 querylog;
	struct event		 report_ev;

	/* scratch for building answers that are not upstream replies */
	uint8_t			 scratch[DNS_MAX_QUERY + 512];
	/* a cached answer made the client's, up to the TCP limit */
	uint8_t			 answer[DNS_MAX_MSG];
};

extern struct engine	*env;

/* engine.c */
void		 engine_main(int, int) __attribute__((__noreturn__));

/* uplink.c */
void		 uplink_start(event_callback_fn);
void		 uplink_flush(void);
void		 uplink_log(int, const char *);

/* report.c */
void		 report_init(void);
void		 report_send(void);
void		 report_answer(int, const struct sockaddr *, const uint8_t *,
		    size_t, uint64_t, int);
void		 report_flush_cache(const uint8_t *, size_t);


/* sandbox.c */
void		 sandbox_init(void);
void		 sandbox_drop_user(const struct conf_scalars *);
void		 sandbox_metrics(void);

#endif /* DOTPROXY_ENGINE_H */
