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

#ifndef DOTPROXY_CACHE_H
#define DOTPROXY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define CACHE_STALE_TTL		30	/* RFC 8767 4: TTL of a stale answer */
#define CACHE_STALE_MAX		86400	/* seconds past expiry kept for it */
#define CACHE_KEY_MAX		(DNS_MAX_NAME + 5)	/* name, type, class, flags */

enum cache_result {
	CACHE_MISS = 0,
	CACHE_HIT,
	CACHE_HIT_PREFETCH	/* a hit; refresh the entry in the background */
};

void		 cache_init(int, int, int);
void		 cache_set_share(int);
void		 cache_store_copy(const uint8_t *, const struct dns_query_info *,
		    const uint8_t *, size_t, const struct dns_summary *);
enum cache_result cache_lookup(const uint8_t *, const struct dns_query_info *,
		    uint8_t *, size_t, size_t *);
size_t		 cache_lookup_stale(const uint8_t *,
		    const struct dns_query_info *, uint8_t *, size_t);
void		 cache_store(const uint8_t *, const struct dns_query_info *,
		    const uint8_t *, size_t, const struct dns_summary *);
void		 cache_log_stats(void);
size_t		 cache_flush(const uint8_t *, size_t);
void		 cache_counters(uint64_t *, uint64_t *, uint64_t *,
		    uint64_t *);
size_t		 cache_key(const uint8_t *, const struct dns_query_info *,
		    uint8_t *);
uint64_t	 cache_hash(const uint8_t *, size_t);

#endif /* DOTPROXY_CACHE_H */
