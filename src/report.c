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
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "coalesce.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "ipc.h"
#include "log.h"
#include "query.h"
#include "report.h"
#include "uplink.h"
#include "upstream.h"

/*
 * The engine's side of the counters: what every answer adds, the report
 * the parent gets every STATS_PERIOD seconds (and once more at exit),
 * the query log, and the cache flush dotproxyctl asks for.
 */

static const uint64_t	 lat_bounds[STATS_NLAT] = STATS_LAT_BOUNDS;
static struct ipc_stats	 report;	/* 42 KiB: not on the stack */

/*
 * The counters the modules add to, kept here so that none of them
 * reaches into another's state: the answers by rcode and latency, and
 * the events of enum report_counter.
 */
static struct {
	struct stats	 st;
	uint64_t	 n[RC_MAX];
	int		 querylog;
	struct event	 ev;
} rs;

static void	 report_cb(int, short, void *);
static void	 query_log(int, const struct sockaddr *, const uint8_t *,
		    size_t, uint64_t, int);

void
report_init(void)
{
	struct timeval	tv = { STATS_PERIOD, 0 };

	rs.querylog = env->conf->sc.log_queries;
	event_assign(&rs.ev, env->base, -1, EV_PERSIST, report_cb, NULL);
	evtimer_add(&rs.ev, &tv);
}

void
report_count(enum report_counter c)
{
	rs.n[c]++;
}

/* dotproxyctl's query log switch, through the parent */
void
report_querylog(int on)
{
	rs.querylog = on;
}

/*
 * What the engine has counted so far: its own, the in-flight table's,
 * the cache's and every upstream's TLS bytes.
 */
void
report_counters(struct stats *st)
{
	int	i;

	*st = rs.st;
	st->queries_udp = rs.n[RC_QUERY_UDP];
	st->queries_tcp = rs.n[RC_QUERY_TCP];
	st->refused = rs.n[RC_REFUSED];
	st->ratelimited = rs.n[RC_RATELIMITED];
	st->truncated = rs.n[RC_TRUNCATED];
	st->local = rs.n[RC_LOCAL];
	st->stale = rs.n[RC_STALE];
	st->relayed = rs.n[RC_RELAYED];
	st->coalesced = coalesce_count();
	cache_counters(&st->cache_entries, &st->cache_bytes, &st->cache_hits,
	    &st->cache_misses);
	for (i = 0; i < upstream_count(); i++)
		st->upstream_tls_bytes += upstream_at(i)->ntlsbytes;
}

static void
report_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	report_send();
}

void
report_send(void)
{
	struct stats_upstream	*su;
	const struct upstream	*u;
	int			 i;

	memset(&report, 0, sizeof(report));
	report_counters(&report.s);
	for (i = 0; i < upstream_count() && i < CONF_MAX_UPSTREAMS; i++) {
		u = upstream_at(i);
		su = &report.up[i];
		(void)strlcpy(su->name, u->name, sizeof(su->name));
		(void)strlcpy(su->tls_name, u->conf.tls_name,
		    sizeof(su->tls_name));
		(void)strlcpy(su->zone, u->zone, sizeof(su->zone));
		su->down = u->down ? 1 : 0;
		su->srtt_us = u->samples > 0 ? u->srtt : 0;
		su->queries = u->nsent;
		su->answered = u->nanswered;
		su->failures = u->nfailed;
		su->retries = u->nretries;
		su->lost = u->nlost;
		su->bad_replies = u->nbadreply;
		su->handshakes = u->nhandshakes;
		su->resumed = u->nresumed;
		su->pin_failures = u->npinfail;
		su->transport = u->conf.transport;
		if (u->plain != NULL) {
			su->cleartext_queries = u->plain->nqueries;
			su->cleartext_bytes = u->plain->nbytes;
		}
	}
	report.nupstreams = i;
	if (ipc_compose(&env->ipc, IPC_STATS, -1, &report, sizeof(report)) ==
	    -1)
		return;
	uplink_flush();
}

/*
 * One answer went to a client: count it by rcode and latency (started
 * is 0 for an answer made at once, from the cache or an error), and log
 * it when the query log is on.  Nothing else happens when it is off.
 */
void
report_answer(int transport, const struct sockaddr *peer, const uint8_t *msg,
    size_t len, uint64_t started, int cached)
{
	uint64_t	lat = 0;
	int		i;

	/* the engine that asked the holder, or for the fetch, reports it */
	if (len < DNS_HDR_LEN || transport >= QT_RELAY)
		return;
	if (started != 0) {
		lat = now_us();
		lat = lat > started ? lat - started : 0;
	}
	rs.st.answers++;
	rs.st.rcode[msg[3] & 0x0f]++;
	rs.st.latency_sum_us += lat;
	for (i = 0; i < STATS_NLAT && lat > lat_bounds[i]; i++)
		;
	rs.st.latency[i]++;
	if (rs.querylog)
		query_log(transport, peer, msg, len, lat, cached);
}

static const char *
type_name(uint16_t t, char *buf, size_t len)
{
	static const struct {
		uint16_t	 t;
		const char	*n;
	} types[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" },
		{ 12, "PTR" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" },
		{ 33, "SRV" }, { 43, "DS" }, { 46, "RRSIG" }, { 48, "DNSKEY" },
		{ 64, "SVCB" }, { 65, "HTTPS" }, { 255, "ANY" }
	};
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].t == t)
			return (types[i].n);
	(void)snprintf(buf, len, "TYPE%u", t);
	return (buf);
}

static const char *
rcode_name(int rcode)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED" };

	return (rcode < 6 ? names[rcode] : "OTHER");
}

/*
 * The question of an answer as text.  Answers carry the client's own
 * question, uncompressed; anything odd is printed as \DDD, so a log line
 * is one line whatever the client sent.  Returns the offset after the
 * name, or 0.
 */
static size_t
question_name(const uint8_t *msg, size_t len, char *out, size_t outsz)
{
	size_t	off = DNS_HDR_LEN, o = 0;
	int	l, j, c;

	out[0] = '\0';
	if (dns_get16(msg + 4) != 1)
		return (0);
	while (off < len && (l = msg[off]) != 0) {
		if (l > 63 || off + 1 + l >= len)
			return (0);
		for (j = 1; j <= l; j++) {
			c = msg[off + j];
			if (o + 5 >= outsz)
				return (0);
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
				out[o++] = c;
			else
				o += snprintf(out + o, outsz - o, "\\%03d", c);
		}
		if (o + 2 >= outsz)
			return (0);
		out[o++] = '.';
		off += 1 + l;
	}
	if (off >= len)
		return (0);
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return (off + 1);
}

static void
query_log(int transport, const struct sockaddr *peer, const uint8_t *msg,
    size_t len, uint64_t lat, int cached)
{
	char	 addr[64], name[4 * DNS_MAX_NAME + 8], tbuf[16];
	char	 none[] = "-";
	size_t	 off;
	uint16_t qtype = 0;

	if ((off = question_name(msg, len, name, sizeof(name))) == 0 ||
	    off + 4 > len)
		(void)strlcpy(name, none, sizeof(name));
	else
		qtype = dns_get16(msg + off);
	log_info("query %s %s %s %s %s %s %llu.%03llums",
	    conf_addr_str(peer, addr, sizeof(addr)), name,
	    qtype != 0 ? type_name(qtype, tbuf, sizeof(tbuf)) : none,
	    transport == QT_TCP ? "tcp" : "udp", rcode_name(msg[3] & 0x0f),
	    cached ? "cached" : "upstream", (unsigned long long)lat / 1000,
	    (unsigned long long)lat % 1000);
}

/*
 * The parent sent nothing (flush all) or a name in wire format.  It is
 * checked as any name: whole labels, ending at the root, nothing after;
 * then folded to lower case, as cache keys are.
 */
void
report_flush_cache(const uint8_t *name, size_t len)
{
	uint8_t	key[DNS_MAX_NAME] = { 0 };
	size_t	off = 0, i, n;

	if (len > sizeof(key))
		fatalx("cache flush: name too long");
	while (len > 0 && off < len && name[off] != 0) {
		if (name[off] > 63)
			fatalx("cache flush: bad name from parent");
		off += 1 + name[off];
	}
	if (len > 0 && off != len - 1)
		fatalx("cache flush: bad name from parent");
	for (i = 0; i < len; i++)
		key[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 :
		    name[i];
	n = cache_flush(key, len);
	log_info("cache flushed%s: %zu entries", len > 0 ? " for a name" : "",
	    n);
}
