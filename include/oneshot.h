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

#ifndef DOTPROXY_ONESHOT_H
#define DOTPROXY_ONESHOT_H

#include <stddef.h>

struct bufferevent;
struct event_base;

/* A server of one-request connections (oneshot.c). */
struct oneshot {
	struct event_base	*base;
	int			 max;		/* connections at once */
	int			 n;
	int			 timeout;	/* seconds, each direction */
	size_t			 maxread;	/* request bytes kept */
	void			(*request)(struct bufferevent *);
	/* optional: bev is about to be freed (done, timed out, reset) */
	void			(*closed)(struct bufferevent *);
};

void	oneshot_accept(struct oneshot *, int);
void	oneshot_reply(struct bufferevent *, const void *, size_t);

#endif /* DOTPROXY_ONESHOT_H */
