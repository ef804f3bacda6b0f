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

#ifndef DOTPROXY_REPORT_H
#define DOTPROXY_REPORT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* What the modules count for the parent, besides the answers. */
enum report_counter {
	RC_QUERY_UDP = 0,	/* messages taken as queries */
	RC_QUERY_TCP,
	RC_REFUSED,		/* denied by the access list */
	RC_RATELIMITED,		/* over their prefix's rate */
	RC_TRUNCATED,		/* UDP answers cut, TC=1 */
	RC_STALE,		/* answered stale (RFC 8767) */
	RC_LOCAL,		/* answered by a local zone */
	RC_RELAYED,		/* asked of the engine holding it */
	RC_MAX
};

/* report.c: the engine's counters, the query log, the cache flush */
void		 report_init(void);
void		 report_count(enum report_counter);
void		 report_querylog(int);
void		 report_answer(int, const struct sockaddr *, const uint8_t *,
		    size_t, uint64_t, int);
void		 report_counters(struct stats *);
void		 report_send(void);
void		 report_flush_cache(const uint8_t *, size_t);

#endif /* DOTPROXY_REPORT_H */
