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

#ifndef DOTPROXY_CONTROL_H
#define DOTPROXY_CONTROL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* how control.c hands a request to the parent: its own process's channel */
typedef void	(*control_send_fn)(uint32_t, const void *, size_t);

/* control.c, in the metrics process: the control socket */
void	control_start(struct event_base *, int, uid_t, control_send_fn);
void	control_done(uint32_t, int);

#endif /* DOTPROXY_CONTROL_H */
