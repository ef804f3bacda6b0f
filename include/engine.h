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

#include <event.h>
#include <stdint.h>

#include "config.h"
#include "frontend.h"
#include "ipc.h"

/*
 * What is the engine's own, shared by the modules it starts: the event
 * base, the parent's socketpair, the configuration and CA bundle it
 * sent, the listening sockets, and whether the engine is retiring.
 * Each module keeps its own state in its own file.
 */
struct engine {
	struct event_base	*base;
	struct ipc		 ipc;
	struct conf		*conf;
	uint8_t			*ca;
	size_t			 calen;

	struct listener		 listeners[ENGINE_MAX_LISTEN];
	int			 nlisteners;

	int			 draining;	/* SIGTERM: finish, then exit */
	uint64_t		 drain_until;	/* ms */
	struct event		 drain_ev;
	struct event		 sigterm_ev;
	struct event		 sigint_ev;
};

extern struct engine	*env;

/* engine.c */
void		 engine_main(int, int) __attribute__((__noreturn__));

#endif /* DOTPROXY_ENGINE_H */
