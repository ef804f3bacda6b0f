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
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdlib.h>

#include "engine.h"
#include "ipc.h"
#include "uplink.h"

/*
 * An engine's socketpair to the parent, outbound: messages queued,
 * flushed, and the event re-armed; it never reads what comes in.
 */

/*
 * Reports, log records and handed-over clients leave through here.  What
 * the socket does not take at once waits in the ipc buffer and goes when
 * it is writable: the one event on the socket reads what the parent
 * sends (the engine's dispatch, given to uplink_start()) and, while
 * anything waits, also writes.
 */

/* the one event on the socket, and what it calls when a message comes */
static struct {
	struct event		 ev;
	event_callback_fn	 dispatch;
} up;

static void
uplink_arm(short extra)
{
	if (env->base == NULL || !event_initialized(&up.ev))
		return;
	event_del(&up.ev);
	event_assign(&up.ev, env->base, ENGINE_FD,
	    EV_READ | EV_PERSIST | extra, up.dispatch, NULL);
	event_add(&up.ev, NULL);
}

void
uplink_start(event_callback_fn cb)
{
	up.dispatch = cb;
	event_assign(&up.ev, env->base, ENGINE_FD, EV_READ | EV_PERSIST,
	    cb, NULL);
	event_add(&up.ev, NULL);
}

void
uplink_flush(void)
{
	if (ipc_flush(&env->ipc) == -1)
		exit(1);	/* the parent is gone; nobody to tell */
	uplink_arm(ipc_pending(&env->ipc) ? EV_WRITE : 0);
}

/* The engine's log sender: logging must never recurse on failure. */
void
uplink_log(int pri, const char *text)
{
	if (ipc_compose_log(&env->ipc, pri, text) == -1)
		return;
	if (ipc_flush(&env->ipc) == 1)
		return;
	uplink_arm(EV_WRITE);
}
