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

#ifndef DOTPROXY_PEER_H
#define DOTPROXY_PEER_H

#include <event.h>
#include <stddef.h>
#include <stdint.h>

/*
 * peer.c: a DNS query builder, and for test_upconn and test_query the
 * real upstream (dotserver as a child) and the event loop
 */
#define PEER_CERTS	"build/certs"	/* regress/lib.sh's, from the top */

extern int	 peer_port;

int		 peer_free_port(void);
int		 peer_start(const char *, const char *, const char *);
void		 peer_stop(void);
int		 peer_count(const char *);
uint8_t		*peer_ca(size_t *);
int		 peer_loop(struct event_base *, int (*)(void), int);
size_t		 peer_query(uint8_t *, uint16_t, uint16_t, const char *, uint16_t,
		    int);

#endif /* DOTPROXY_PEER_H */
