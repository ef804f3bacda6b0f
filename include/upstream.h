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

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <tls.h>

#include "buffer.h"
#include "config.h"
#include "query.h"

#define UPCONN_OUT_MAX		(4 * 1024 * 1024)
#define UPSTREAM_POOL		4	/* TLS connections per upstream */
#define UPCONN_MAX_INFLIGHT	256	/* queries and tombstones per conn */
#define UPCONN_SPREAD		32	/* in flight before opening another */
#define UPCONN_IDLE_TIMEOUT	30	/* seconds without queries */
#define UPSTREAM_BACKOFF_MIN	500	/* ms */
#define UPSTREAM_BACKOFF_MAX	30000	/* ms */

enum upconn_state {
	UC_CLOSED = 0,
	UC_CONNECTING,
	UC_HANDSHAKE,
	UC_READY
};

struct upstream;

/* What one connection has learnt since its connect. */
struct upconn_life {
	int			 want_out;	/* last write wanted POLLOUT */
	int			 read_wants_write;
	int			 asked_keepalive;	/* RFC 7828 option sent */
	int			 used;	/* has carried a query */
	int			 answered;	/* a good reply came on it */
	int			 keepalive_ms;	/* server's idle timeout, or 0 */
	uint64_t		 last_read;	/* us */
	uint64_t		 last_sent;	/* us, last query queued */
};

struct upconn {
	struct upstream		*up;
	int			 state;	/* enum upconn_state */
	int			 fd;
	struct tls		*tls;
	struct event		 ev;
	short			 evflags;	/* what ev is armed for */
	int			 dirty;	/* on the flush list */
	struct qsend		*culprit;	/* its bad reply spoilt us */
	struct upconn_life	 life;	/* zeroed at each connect */
	TAILQ_ENTRY(upconn)	 flush_entry;
	struct event		 tmo;	/* connect/handshake, idle */
	struct buf		 in;
	struct buf		 out;
	struct qsend_list	 sends;
	int			 inflight;
	int			 tombstones;
	uint32_t		*ids;	/* DNS id -> send + 1, or TOMBSTONE */
};

struct upstream {
	struct upstream_conf	 conf;
	int			 index;
	char			 name[64];	/* address, for logs */
	struct tls_config	*tls_cfg;	/* its own: the session cache */
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
	struct upconn		 conns[UPSTREAM_POOL];
};

/* upstream.c */
void		 upstream_init(void);
void		 upstream_session_init(void);
int		 upstream_send(struct query *, int);
void		 upstream_forget_all(struct query *, int);
void		 upstream_answered(struct upstream *, struct qsend *);
uint64_t	 upstream_attempt_us(const struct upstream *);
void		 upstream_log_stats(void);

/* upconn.c */
void		 upconn_init(struct upconn *, struct upstream *);
int		 upconn_connect(struct upconn *);
/* how a connection ended, for upconn_close() */
enum upconn_end {
	UCE_IDLE = 0,	/* we closed it, nothing in flight */
	UCE_ENDED,	/* the upstream ended it, nothing in flight */
	UCE_LOST,	/* it ended or went bad under us: retry its queries */
	UCE_FAILED	/* connect or handshake failed: counts against it */
};
void		 upconn_close(struct upconn *, const char *, enum upconn_end);
/*
 * What a connection reports upward, through hooks the modules above it
 * set: a reply matched to its copy, with what the one walk of it learnt
 * (msg NULL: the copy was lost and should go out again; -1 back: the
 * reply was unusable, drop the stream), and evidence that new
 * connections to an upstream fail.
 */
typedef int	(*upconn_reply_fn)(struct qsend *, struct upstream *,
		    uint8_t *, size_t, const struct dns_summary *);
typedef void	(*upconn_failed_fn)(struct upstream *, const char *);
void		 upconn_set_reply_hook(upconn_reply_fn);
void		 upconn_set_failed_hook(upconn_failed_fn);
int		 upconn_usable(struct upconn *);
void		 upconn_forget(struct upconn *, struct qsend *, int);
int		 upconn_queue(struct upconn *, struct qsend *);

/* pin.c */
int		 pin_check(struct tls *, const struct upstream_conf *);

#endif /* DOTPROXY_UPSTREAM_H */
