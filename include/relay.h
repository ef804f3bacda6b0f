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


#ifndef DOTPROXY_RELAY_H
#define DOTPROXY_RELAY_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "query.h"

/*
 * Between engines: every question has one holder engine, the one that
 * fetched it, whose cache, in-flight table, prefetch and stale answers
 * are the only ones for it.  Datagrams of a question all reach one
 * engine (steer.h), which holds it; a miss on another engine (TCP) is
 * fetched there unless the holders' directory names a holder
 * (inbox_holder()), which is then asked over its inbox, a datagram
 * socketpair the parent made for each engine place and keeps, so a
 * restarted engine finds its inbox again.  Every engine holds its own
 * inbox and the sending end of every engine's.  Connections to each
 * upstream are bounded for the host (upstream-connections): an engine
 * left without one has its misses fetched by an engine that has
 * (RELAY_FETCH).
 */
#define RELAY_MAGIC	0x64707231	/* "dpr1" */
#define RELAY_SNDBUF	(4 * 1024 * 1024)

#define RELAY_ENGINES_MAX 256	/* ENGINES_MAX */

enum relay_kind {
	RELAY_ASK = 1,		/* requester -> holder: the client's query */
	RELAY_ANSWER,		/* holder -> requester: the client's answer,
				   errors too (made by the holder); or the
				   upstream's reply to a RELAY_FETCH */
	RELAY_FETCH		/* holder -> fetcher: the query to send
				   upstream as it is, no cache, no table */
};
#define RELAY_KIND_MAX	RELAY_FETCH

struct relay_hdr {
	uint32_t		magic;
	uint16_t		kind;		/* enum relay_kind */
	uint16_t		from;		/* the sender's engine place */
	uint32_t		slot;		/* the requester's pending slot */
	uint64_t		token;		/* the requester's random tag */
	/* RELAY_ASK: the client, for the holder's logs */
	struct sockaddr_storage	peer;
	uint32_t		peerlen;
	uint32_t		pad;
	/* the DNS message follows */
};

/* what the parent sends each engine: its place and one end per message */
struct ipc_inbox {
	int32_t			self;	/* the engine's place */
	int32_t			engines;
	int32_t			target;	/* self: own inbox; else its sender */
	uint32_t		seed;	/* steer.h */
};

/* inbox.c: the channel */
typedef void	(*inbox_cb)(const struct relay_hdr *, uint8_t *, size_t);
void		 inbox_config(const struct ipc_inbox *, int);
void		 inbox_start(void);
int		 inbox_descriptors(void);
int		 inbox_pending(void);
int		 inbox_fetcher(void);
void		 inbox_set_fetcher(int);
void		 inbox_on(enum relay_kind, inbox_cb);
void		 inbox_on_failure(inbox_cb);
int		 inbox_holder(const uint8_t *, size_t);
int		 inbox_self(void);
int		 inbox_send(int, struct relay_hdr *, const uint8_t *, size_t);

/* relayout.c: the asking side; the answer NULL: the holder was not asked */
typedef void	(*relayout_cb)(struct query *, uint8_t *, size_t);
void		 relayout_init(int, relayout_cb);
int		 relayout_send(struct query *, int, enum relay_kind);
void		 relayout_forget(struct query *);

/* relayin.c: the holder's side, a frontend of its own */
void		 relayin_init(void);

#endif /* DOTPROXY_RELAY_H */
