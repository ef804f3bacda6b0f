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

#ifndef DOTPROXY_UPCONN_H
#define DOTPROXY_UPCONN_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>
#include <tls.h>

#include "buffer.h"
#include "dns.h"
#include "query.h"
#include "tlsio.h"

#define UPCONN_OUT_MAX		(4 * 1024 * 1024)
#define UPCONN_MAX_INFLIGHT	256	/* queries and tombstones per conn */
#define UPCONN_SPREAD		32	/* in flight before opening another */
#define UPCONN_IDLE_TIMEOUT	30	/* seconds without queries */

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
	struct tlsio		 io;	/* its socket, read in large pieces */
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
	/*
	 * A reply finds its copy through the connection's own table: its
	 * DNS id leads to a slot (+ 1, 0 for none, or a tombstone), the
	 * slot to the copy.  The free slots are free[inflight..].
	 */
	uint16_t		*ids;
	struct qsend		*slot[UPCONN_MAX_INFLIGHT];
	uint16_t		 free[UPCONN_MAX_INFLIGHT];
};

/* how a connection ended, for upconn_close() */
enum upconn_end {
	UCE_IDLE = 0,	/* we closed it, nothing in flight */
	UCE_ENDED,	/* the upstream ended it, nothing in flight */
	UCE_LOST,	/* it ended or went bad under us: retry its queries */
	UCE_FAILED	/* connect or handshake failed: counts against it */
};

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

/* upconn.c: one TLS connection to an upstream */
void		 upconn_init(struct upconn *, struct upstream *);
int		 upconn_connect(struct upconn *);
void		 upconn_close(struct upconn *, const char *, enum upconn_end);
void		 upconn_set_reply_hook(upconn_reply_fn);
void		 upconn_set_failed_hook(upconn_failed_fn);
int		 upconn_usable(struct upconn *);
void		 upconn_forget(struct upconn *, struct qsend *, int);
int		 upconn_queue(struct upconn *, struct qsend *);

#endif /* DOTPROXY_UPCONN_H */
