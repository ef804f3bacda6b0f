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

#ifndef DOTPROXY_DEFAULTS_H
#define DOTPROXY_DEFAULTS_H

/* The built-in configuration: paths, and what a statement left out means. */

#define DOTPROXY_CONF		"/etc/dotproxy.conf"
#define DOTPROXY_USER		"_dotproxy"
#define DOTPROXY_CHROOT		"/var/empty"
#define DOTPROXY_CA_FILE	"/etc/ssl/certs/ca-certificates.crt"
#define DOTPROXY_CONTROL_DIR	"/run/dotproxy"
#define DOTPROXY_CONTROL	DOTPROXY_CONTROL_DIR "/dotproxy.sock"

#define DEFAULT_LISTEN_IP	"0.0.0.0"
#define DEFAULT_LISTEN_PORT	35353
#define DEFAULT_LISTEN_CONF_PORT 53	/* "listen on ADDR" without port */
#define DEFAULT_UPSTREAM_IP	"1.1.1.1"
#define DEFAULT_UPSTREAM_PORT	853
#define DEFAULT_UPSTREAM_NAME	"cloudflare-dns.com"
#define DEFAULT_CLEARTEXT_PORT	53

#define DEFAULT_PADDING		128
#define DEFAULT_CACHE_SIZE	100000
#define DEFAULT_TCP_IDLE	10	/* seconds */
#define DEFAULT_QUERY_TIMEOUT	3	/* seconds */
#define DEFAULT_UPSTREAM_MAX_FAIL 3	/* consecutive, before marked down */
#define DEFAULT_UPSTREAM_CONNS	4	/* TLS connections per upstream, host */
#define DEFAULT_TCP_MAX_CONN	512
#define DEFAULT_TCP_PIPELINE	64
#define DEFAULT_MAX_QUERIES	8192
#define DEFAULT_COALESCE_WAITERS 64	/* clients sharing one upstream query */
#define CONF_MAX_COALESCE	65535
#define DEFAULT_TCP_MAX_CONN_CLIENT 64
#define DEFAULT_MAX_QUERIES_CLIENT 1024
#define DEFAULT_TCP_LIFETIME	300	/* seconds */
#define DEFAULT_TCP_MAX_OUTPUT	(256 * 1024)	/* octets per connection */
#define DEFAULT_ENGINES		0	/* one per online CPU */
#define DEFAULT_CACHE_MIN_TTL	0
#define DEFAULT_CACHE_MAX_TTL	86400
#define DEFAULT_DENY_ACTION	DENY_REFUSE
#define DEFAULT_EDNS_SIZE	1232	/* DNS flag day 2020 */
#define DEFAULT_RATE_LIMIT	0	/* off */
#define DEFAULT_RATE_BURST	100	/* queries */
#define DEFAULT_RATE_ACTION	RATE_TRUNCATE
#define DEFAULT_RATE_V4		24	/* prefix length */
#define DEFAULT_RATE_V6		56
#define DEFAULT_RATE_TABLE	16384	/* buckets per engine */

#endif /* DOTPROXY_DEFAULTS_H */
