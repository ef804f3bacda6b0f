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

#ifndef DOTPROXY_COUNTERS_H
#define DOTPROXY_COUNTERS_H

#include <stdint.h>

#include "config.h"

/*
 * One engine's counters, sent whole every second (IPC_STATS); the metrics
 * process adds up the engines, living and retired.  Only integers: a
 * wrong one can only be a wrong number.  Latency buckets are upper
 * bounds in microseconds, one more for +Inf.
 */
#define STATS_LAT_BOUNDS	{ 1000, 2500, 5000, 10000, 25000, 50000, \
				  100000, 250000, 500000, 1000000, 2500000, \
				  5000000 }
#define STATS_NLAT		12
#define STATS_NRCODE		16	/* answers by rcode, 0-15 */
#define STATS_PERIOD		1	/* seconds between reports */

struct stats {
	uint64_t	queries_udp;	/* messages taken as queries */
	uint64_t	queries_tcp;
	uint64_t	cache_hits;
	uint64_t	cache_misses;
	uint64_t	coalesced;	/* answered from another's reply */
	uint64_t	refused;	/* denied by the access list */
	uint64_t	ratelimited;	/* over their prefix's rate */
	uint64_t	truncated;	/* UDP answers cut, TC=1 */
	uint64_t	stale;		/* answered stale (RFC 8767) */
	uint64_t	local;		/* answered by a local zone */
	uint64_t	relayed;	/* asked of the engine holding it */
	uint64_t	answers;	/* sent to clients; = latency count */
	uint64_t	rcode[STATS_NRCODE];	/* answers by rcode */
	uint64_t	latency[STATS_NLAT + 1];	/* per bucket, not
							   cumulative */
	uint64_t	latency_sum_us;
	uint64_t	upstream_tls_bytes;	/* handed to tls_write() */
	/*
	 * Bytes written to a TLS upstream's socket other than through
	 * libtls.  No such write exists (strict privacy profile); the
	 * counter is there so anyone can see it stay zero.  An upstream
	 * declared cleartext counts its own (stats_upstream).
	 */
	uint64_t	upstream_cleartext_bytes;
	/* gauges, not counters: the state of the engine's cache now */
	uint64_t	cache_entries;
	uint64_t	cache_bytes;
};

struct stats_upstream {
	char		name[64];	/* address and port */
	char		tls_name[CONF_NAME_MAX];
	char		zone[CONF_NAME_MAX];	/* "." or the zone's name */
	uint64_t	down;		/* gauge: 1 while marked down */
	uint64_t	srtt_us;	/* gauge: smoothed RTT, 0 if none */
	uint64_t	queries;	/* copies sent */
	uint64_t	answered;
	uint64_t	failures;	/* counted against its health */
	uint64_t	retries;	/* query copies sent again */
	uint64_t	lost;		/* connections that ended under us */
	uint64_t	bad_replies;	/* replies that spoilt a connection */
	uint64_t	handshakes;	/* completed */
	uint64_t	resumed;	/* of those, session resumptions */
	uint64_t	pin_failures;
	uint64_t	transport;	/* enum upstream_transport */
	uint64_t	cleartext_queries;	/* declared cleartext only */
	uint64_t	cleartext_bytes;
};

#endif /* DOTPROXY_COUNTERS_H */
