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

#ifndef DOTPROXY_STATS_H
#define DOTPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* stats.c (the metrics process): the sum over engines, its renderings */
int	 stats_check(struct ipc_stats *, const void *, size_t);
void	 stats_add(struct ipc_stats *, const struct ipc_stats *, int);
size_t	 stats_render_text(const struct ipc_stats *, char *, size_t);
size_t	 stats_render_upstreams(const struct ipc_stats *, char *, size_t);
size_t	 stats_render_cache(const struct ipc_stats *, char *, size_t);
size_t	 stats_render_metrics(const struct ipc_stats *, char *, size_t);

/* statsum.c (the metrics process): each engine's last report, and the sum */
int	 statsum_update(const struct ipc_engine_stats *);
void	 statsum_gone(int32_t);
void	 statsum_get(struct ipc_stats *);

#endif /* DOTPROXY_STATS_H */
