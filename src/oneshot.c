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

#include <sys/types.h>

#include <event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <unistd.h>

#include "oneshot.h"

/*
 * One request, one reply, then close: the shape of both the control
 * socket and the metrics endpoint.  A bounded number of connections,
 * a bounded read (the watermark), a timeout on each direction.
 */

static void	 oneshot_read(struct bufferevent *, void *);
static void	 oneshot_written(struct bufferevent *, void *);
static void	 oneshot_event(struct bufferevent *, short, void *);

/* Takes over s, an accepted socket; closes it when over the limit. */
void
oneshot_accept(struct oneshot *os, int s)
{
	struct bufferevent	*bev;
	struct timeval		 tv = { os->timeout, 0 };

	if (os->n >= os->max || (bev = bufferevent_socket_new(os->base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(s);
		return;
	}
	os->n++;
	bufferevent_setcb(bev, oneshot_read, NULL, oneshot_event, os);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, os->maxread + 1);
	bufferevent_enable(bev, EV_READ);
}

static void
oneshot_read(struct bufferevent *bev, void *arg)
{
	struct oneshot	*os = arg;

	os->request(bev);
}

/* The reply, after which the connection closes. */
void
oneshot_reply(struct bufferevent *bev, const void *data, size_t len)
{
	struct oneshot	*os;

	bufferevent_getcb(bev, NULL, NULL, NULL, (void **)&os);
	bufferevent_disable(bev, EV_READ);
	if (bufferevent_write(bev, data, len) == -1) {
		oneshot_event(bev, 0, os);
		return;
	}
	bufferevent_setcb(bev, NULL, oneshot_written, oneshot_event, os);
	bufferevent_enable(bev, EV_WRITE);
}

static void
oneshot_written(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		oneshot_event(bev, 0, arg);
}

static void
oneshot_event(struct bufferevent *bev, short what, void *arg)
{
	struct oneshot	*os = arg;

	(void)what;
	if (os->closed != NULL)
		os->closed(bev);
	bufferevent_free(bev);
	os->n--;
}
