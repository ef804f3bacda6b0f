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

#ifndef DOTPROXY_PARENT_H
#define DOTPROXY_PARENT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define ENGINES_MAX		256
#define UDP_RCVBUF		(4 * 1024 * 1024)	/* per listening socket */
#define ENGINE_BACKOFF_MIN	100	/* ms: the second restart in a loop */
#define ENGINE_BACKOFF_MAX	30000	/* ms */
#define ENGINE_STABLE		5000	/* ms up: not a crash loop */
#ifdef TEST_VALGRIND
#define ENGINE_STOP_GRACE	30	/* valgrind checks leaks at exit */
#else
#define ENGINE_STOP_GRACE	3	/* seconds before SIGKILL */
#endif

void	parent_main(struct conf *, const char *, int, int, int)
	    __attribute__((__noreturn__));

/* confload.c: what the configuration names besides itself */
int	conf_load_ca(const char *, uint8_t **, size_t *);
int	conf_engines_auto(void);

/* sockets.c: what the parent binds for its children */
int	bind_socket(const struct sockaddr_storage *, socklen_t, int, int);
int	control_bind(const char *);
void	control_unlink(void);
const char *control_path(void);

/* inboxes.c: the engines' channel and the datagrams' steering */
struct ipc;
void	inboxes_renew(int);
void	inboxes_send(struct ipc *, int, int);
void	inboxes_steer(int, int);

/* parentsandbox.c: what the parent keeps once started */
void	parent_lockdown(const struct conf *, const char *, const char *, int);
void	parent_nofile(const struct conf *, const struct conf *);

#endif /* DOTPROXY_PARENT_H */
