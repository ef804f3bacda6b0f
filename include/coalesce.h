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

#ifndef DOTPROXY_COALESCE_H
#define DOTPROXY_COALESCE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

struct query;

/*
 * coalesce.c: the table of questions in flight.  Each follower's end is
 * handed back to the query owner through the one callback given at
 * init: its own answer, or (answer NULL) its rcode to fail with.
 */
typedef void	(*coalesce_cb)(struct query *, uint8_t *, size_t, int);
void		 coalesce_init(coalesce_cb, int, int);
int		 coalesce_join(struct query *);
void		 coalesce_reply(struct query *, const uint8_t *, size_t,
		    const struct dns_summary *);
void		 coalesce_fail(struct query *, int);
void		 coalesce_leave(struct query *);
uint64_t	 coalesce_count(void);

#endif /* DOTPROXY_COALESCE_H */
