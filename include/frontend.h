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

#ifndef DOTPROXY_FRONTEND_H
#define DOTPROXY_FRONTEND_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>

#include "buffer.h"
#include "dns.h"
#include "frame.h"
#include "query.h"

#define UDP_BATCH		64	/* datagrams read per wake-up */

struct listener {
	int			 fd;
	int			 proto;	/* enum listen_proto */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct event		 ev;
	int			 paused;
};

struct tcp_client {
	TAILQ_ENTRY(tcp_client)	 entry;
	TAILQ_ENTRY(tcp_client)	 dirty_entry;	/* answers to write */
	int			 dirty;
	int			 fd;
	int			 allowed;	/* ACL verdict at accept */
	int			 closing;
	int			 abort;	/* reset, not close: it does not read */
	int			 eof;	/* client shut its side, or retired */
	int			 reading;	/* read event armed */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct event		 rev;
	struct event		 wev;
	struct event		 tmo;	/* idle clock, or deferred close */
	struct event		 life;	/* tcp-max-lifetime */
	struct query_list	 queries;
	int			 inflight;
	size_t			 rlen;
	struct frame		 frame;	/* the rest of an oversized query */
	struct buf		 out;
	uint8_t			 rbuf[2 + DNS_MAX_QUERY];
};
TAILQ_HEAD(tcp_client_list, tcp_client);

/* clients.c */
void		 clients_init(void);
int		 clients_query_add(const struct sockaddr *);
void		 clients_query_del(const struct sockaddr *);
int		 clients_tcp_add(const struct sockaddr *);
void		 clients_tcp_del(const struct sockaddr *);
uint32_t	 clients_live(void);

/* tcp.c: the TCP frontend */
void		 tcp_listen(struct listener *);
void		 tcp_stop(void);
struct tcp_client *tcp_client_new(int, const struct sockaddr_storage *,
		    socklen_t);
int		 tcp_count(void);
int		 tcp_give_idle(int (*)(int));

/* handoff.c */
int		 handoff_idle_clients(void);
void		 handoff_adopt(int);

/* udp.c: the UDP frontend */
void		 udp_init(void);
void		 udp_listen(struct listener *);
void		 udp_stop(void);

#endif /* DOTPROXY_FRONTEND_H */
