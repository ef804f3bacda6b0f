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


#ifndef DOTPROXY_PLAINCONN_H
#define DOTPROXY_PLAINCONN_H

#include <sys/types.h>

#include <event.h>
#include <stdint.h>

#include "buffer.h"
#include "query.h"
#include "upconn.h"

#define PLAIN_UDP_MAX		64	/* over UDP at once; more go by TCP */
#define PLAIN_TCP_MAX		256	/* in flight on the TCP connection */
#define PLAIN_IDLE_TIMEOUT	5	/* seconds: close before servers do */
/* descriptors a cleartext upstream may hold: the sockets and the stream */
#define PLAIN_FDS		(PLAIN_UDP_MAX + 1)

struct plainconn;

/* One query over UDP: a socket of its own, so a source port of its own. */
struct plain_udp {
	struct plainconn	*pc;
	struct qsend		*s;	/* NULL: free */
	int			 fd;
	struct event		 ev;
};

/*
 * A cleartext upstream's transport: UDP sockets, and one TCP connection
 * (RFC 7766: pipelined, our own IDs) for `cleartext tcp`, for answers
 * that came truncated over UDP and for what finds no UDP socket free.
 */
struct plainconn {
	struct upstream		*up;
	int			 tcp_only;
	int			 nudp;	/* UDP sockets in use */
	uint64_t		 last_read;	/* us, the last good reply */
	uint64_t		 nqueries;	/* sent in cleartext */
	uint64_t		 nbytes;
	struct plain_udp	 udp[PLAIN_UDP_MAX];
	/* the TCP connection */
	int			 fd;	/* -1: closed */
	int			 ready;	/* connected */
	int			 answered;	/* a good reply came on it */
	uint64_t		 tcp_read;	/* us, it last said something */
	struct event		 rd;	/* once connected */
	struct event		 wr;	/* the connect, then output waiting */
	struct event		 tmo;	/* connect, idle */
	struct buf		 in;
	struct buf		 out;
	struct qsend		*culprit;	/* its reply spoilt it */
	int			 ntcp;
	struct qsend		*tcp[PLAIN_TCP_MAX];
};

/* plainconn.c: DNS without TLS to an upstream declared cleartext */
struct plainconn *plainconn_new(struct upstream *, int);
void		 plainconn_set_reply_hook(upconn_reply_fn);
void		 plainconn_set_failed_hook(upconn_failed_fn);
int		 plainconn_queue(struct plainconn *, struct qsend *);
void		 plainconn_forget(struct plainconn *, struct qsend *, int);

#endif /* DOTPROXY_PLAINCONN_H */
