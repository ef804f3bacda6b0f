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

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "stats.h"

/*
 * The parent's side of the counters: the sum over engines and what
 * dotproxyctl and the metrics endpoint show of it.  Only the parent runs
 * this; the numbers come from engines, so nothing here trusts them to be
 * more than numbers (the strings were terminated on receipt).
 */

struct out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static const uint64_t	 lat_bounds[STATS_NLAT] = STATS_LAT_BOUNDS;
static const char	*rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL",
			    "NXDOMAIN", "NOTIMP", "REFUSED" };
#define NRCODES		(sizeof(rcodes) / sizeof(rcodes[0]))

/*
 * A number every rendering shows alike: its line in dotproxyctl's text
 * (NULL: none there, another rendering has it), its metric and where it
 * sits in struct stats or struct stats_upstream.  The tables below keep
 * the order of the output, so one table serves both renderings.
 */
struct metric {
	const char	*text;
	const char	*name;
	size_t		 field;
	const char	*help;
};

#define SFIELD(f)	offsetof(struct stats, f)
#define UPFIELD(f)	offsetof(struct stats_upstream, f)

/* Those of struct stats shown between the answers and the latencies. */
static const struct metric	 before_latency[] = {
	{ "cache hits", "cache_hits_total", SFIELD(cache_hits),
	    "Queries answered from the cache." },
	{ "cache misses", "cache_misses_total", SFIELD(cache_misses),
	    "Queries the cache could not answer." },
	{ "coalesced", "coalesced_total", SFIELD(coalesced),
	    "Queries answered from an identical query's upstream reply." },
	{ "refused by acl", "refused_total", SFIELD(refused),
	    "Queries denied by the access list." },
	{ "rate-limited", "ratelimited_total", SFIELD(ratelimited),
	    "UDP queries over their prefix's rate limit." },
	{ "truncated", "truncated_total", SFIELD(truncated),
	    "UDP answers truncated to the client's size (TC=1)." },
	{ "answered stale", "stale_answers_total", SFIELD(stale),
	    "Answers served stale when no upstream answered (RFC 8767)." },
	{ "answered by local zones", "local_answers_total", SFIELD(local),
	    "Queries answered by a zone answered locally, never forwarded." },
	{ "asked of another engine", "relayed_total", SFIELD(relayed),
	    "Queries asked of the engine that holds their question." },
};

/* Those shown after the latencies. */
static const struct metric	 after_latency[] = {
	{ "bytes sent upstream over tls", "upstream_tls_bytes_total",
	    SFIELD(upstream_tls_bytes),
	    "Bytes of DNS messages sent to upstreams through TLS." },
	{ "bytes sent upstream outside tls", "upstream_cleartext_bytes_total",
	    SFIELD(upstream_cleartext_bytes),
	    "Bytes sent to TLS upstreams outside TLS; always 0." },
	{ NULL, "cache_entries", SFIELD(cache_entries),
	    "Entries in the caches of the serving engines." },
	{ NULL, "cache_bytes", SFIELD(cache_bytes),
	    "Bytes held by the caches of the serving engines." },
};

/* Each upstream's; the two gauges have text of their own. */
static const struct metric	 upstream_metrics[] = {
	{ NULL, "upstream_up", UPFIELD(down),
	    "1 unless some engine marks the upstream down." },
	{ NULL, "upstream_srtt_seconds", UPFIELD(srtt_us),
	    "Smoothed round-trip time, the worst engine's." },
	{ "queries", "upstream_queries_total", UPFIELD(queries),
	    "Query copies sent to the upstream." },
	{ "answered", "upstream_answered_total", UPFIELD(answered),
	    "Replies from the upstream." },
	{ "failures", "upstream_failures_total", UPFIELD(failures),
	    "Failures counted against the upstream's health." },
	{ "retries", "upstream_retries_total", UPFIELD(retries),
	    "Query copies sent again after a lost connection or bad reply." },
	{ "connections lost", "upstream_connections_lost_total", UPFIELD(lost),
	    "Connections that ended or went bad with work on them." },
	{ "bad replies", "upstream_bad_replies_total", UPFIELD(bad_replies),
	    "Replies that were not one well-formed answer to a query." },
	{ "handshakes", "upstream_handshakes_total", UPFIELD(handshakes),
	    "Completed TLS handshakes with the upstream." },
	{ "resumptions", "upstream_resumptions_total", UPFIELD(resumed),
	    "Handshakes that resumed a TLS session." },
	{ "pin failures", "upstream_pin_failures_total", UPFIELD(pin_failures),
	    "Handshakes whose certificate matched no pin." },
	{ "cleartext queries", "upstream_cleartext_queries_total",
	    UPFIELD(cleartext_queries),
	    "Queries sent without TLS, to an upstream declared cleartext." },
	{ "cleartext bytes", "upstream_cleartext_sent_bytes_total",
	    UPFIELD(cleartext_bytes),
	    "Bytes sent without TLS, to an upstream declared cleartext." },
};

#define NMETRICS(t)	(sizeof(t) / sizeof((t)[0]))

/* udp: with TCP for truncated answers; the names dotproxy.conf.5 uses */
static const char *
transport_label(uint64_t t)
{
	switch (t) {
	case UP_CLEARTEXT_UDP:
		return ("cleartext udp");
	case UP_CLEARTEXT_TCP:
		return ("cleartext tcp");
	default:
		return ("tls");
	}
}

static void	 put(struct out *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

/* Appends; what does not fit is cut, and the text stays terminated. */
static void
put(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n < o->size - o->len ? (size_t)n :
	    o->size - o->len - 1;
}

/* The number c names in the struct at base, which the table cannot type. */
static uint64_t
value(const void *base, const struct metric *c)
{
	uint64_t	v;

	memcpy(&v, (const uint8_t *)base + c->field, sizeof(v));
	return (v);
}

/*
 * A counter only ever grows, a gauge is a state now; the exposition
 * format's convention names counters, and only them, *_total.
 */
static int
is_counter(const struct metric *c)
{
	size_t	len = strlen(c->name), slen = strlen("_total");

	return (len > slen && strcmp(c->name + len - slen, "_total") == 0);
}

/* The lines of dotproxyctl's text for a table, under an indent. */
static void
put_text(struct out *o, const char *indent, const struct metric *t,
    size_t n, const void *base)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (t[i].text != NULL)
			put(o, "%s%s: %llu\n", indent, t[i].text,
			    (unsigned long long)value(base, &t[i]));
}

/*
 * An engine's IPC_STATS payload into st: a fixed size, a bounded
 * upstream count and terminated strings; the numbers themselves can
 * only be wrong.  Returns -1, st then undefined, when it is malformed.
 */
int
stats_check(struct ipc_stats *st, const void *data, size_t len)
{
	uint32_t	i;

	if (len != sizeof(*st))
		return (-1);
	memcpy(st, data, sizeof(*st));
	if (st->nupstreams > CONF_MAX_UPSTREAMS)
		return (-1);
	for (i = 0; i < st->nupstreams; i++) {
		st->up[i].name[sizeof(st->up[i].name) - 1] = '\0';
		st->up[i].tls_name[sizeof(st->up[i].tls_name) - 1] = '\0';
		st->up[i].zone[sizeof(st->up[i].zone) - 1] = '\0';
	}
	return (0);
}

/*
 * Adds an engine's report to a sum.  Gauges (cache size, upstream state
 * and RTT) only count for a living engine; counters of retired engines
 * stay in the sum so that no counter ever goes backwards.  Upstreams are
 * matched by address, name and zone, as the lists may change on reload
 * and one server may serve two zones, each with its own pool.
 */
void
stats_add(struct ipc_stats *sum, const struct ipc_stats *e, int live)
{
	const uint64_t		*from = (const uint64_t *)&e->s;
	uint64_t		*to = (uint64_t *)&sum->s;
	const struct stats_upstream *eu;
	struct stats_upstream	*su;
	uint64_t		 v;
	size_t			 i, ngauges = 2;
	uint32_t		 j, k;

	/* struct stats is all uint64_t, the gauges last */
	for (i = 0; i < sizeof(e->s) / sizeof(uint64_t) - ngauges; i++)
		to[i] += from[i];
	if (live) {
		sum->s.cache_entries += e->s.cache_entries;
		sum->s.cache_bytes += e->s.cache_bytes;
	}
	for (j = 0; j < e->nupstreams && j < CONF_MAX_UPSTREAMS; j++) {
		eu = &e->up[j];
		for (k = 0; k < sum->nupstreams; k++)
			if (strcmp(sum->up[k].name, eu->name) == 0 &&
			    strcmp(sum->up[k].tls_name, eu->tls_name) == 0 &&
			    sum->up[k].transport == eu->transport &&
			    strcmp(sum->up[k].zone, eu->zone) == 0)
				break;
		if (k == sum->nupstreams) {
			if (k == CONF_MAX_UPSTREAMS)
				continue;
			su = &sum->up[sum->nupstreams++];
			memset(su, 0, sizeof(*su));
			(void)strlcpy(su->name, eu->name, sizeof(su->name));
			(void)strlcpy(su->tls_name, eu->tls_name,
			    sizeof(su->tls_name));
			su->transport = eu->transport;
			(void)strlcpy(su->zone, eu->zone, sizeof(su->zone));
		}
		su = &sum->up[k];
		if (live) {
			su->down += eu->down;
			if (eu->srtt_us > su->srtt_us)
				su->srtt_us = eu->srtt_us;
		}
		/* the gauges above are not summed for retired engines */
		for (i = 0; i < NMETRICS(upstream_metrics); i++) {
			if (!is_counter(&upstream_metrics[i]))
				continue;
			v = value(su, &upstream_metrics[i]) +
			    value(eu, &upstream_metrics[i]);
			memcpy((uint8_t *)su + upstream_metrics[i].field, &v,
			    sizeof(v));
		}
	}
}

static const char *
rcode_label(int i, char *buf, size_t len)
{
	if ((size_t)i < NRCODES)
		return (rcodes[i]);
	(void)snprintf(buf, len, "RCODE%d", i);
	return (buf);
}

size_t
stats_render_text(const struct ipc_stats *st, char *buf, size_t size)
{
	struct out		 o = { buf, size, 0 };
	const struct stats	*s = &st->s;
	char			 rb[16];
	int			 i;

	buf[0] = '\0';
	put(&o, "queries udp: %llu\n", (unsigned long long)s->queries_udp);
	put(&o, "queries tcp: %llu\n", (unsigned long long)s->queries_tcp);
	put(&o, "answers: %llu\n", (unsigned long long)s->answers);
	for (i = 0; i < STATS_NRCODE; i++)
		if ((size_t)i < NRCODES || s->rcode[i] != 0)
			put(&o, "answers %s: %llu\n",
			    rcode_label(i, rb, sizeof(rb)),
			    (unsigned long long)s->rcode[i]);
	put_text(&o, "", before_latency, NMETRICS(before_latency), s);
	for (i = 0; i < STATS_NLAT; i++)
		put(&o, "latency <= %llu us: %llu\n",
		    (unsigned long long)lat_bounds[i],
		    (unsigned long long)s->latency[i]);
	put(&o, "latency > %llu us: %llu\n",
	    (unsigned long long)lat_bounds[STATS_NLAT - 1],
	    (unsigned long long)s->latency[STATS_NLAT]);
	put(&o, "latency sum us: %llu\n",
	    (unsigned long long)s->latency_sum_us);
	put_text(&o, "", after_latency, NMETRICS(after_latency), s);
	return (o.len);
}

size_t
stats_render_upstreams(const struct ipc_stats *st, char *buf, size_t size)
{
	struct out			 o = { buf, size, 0 };
	const struct stats_upstream	*u;
	uint32_t			 i;

	buf[0] = '\0';
	for (i = 0; i < st->nupstreams; i++) {
		u = &st->up[i];
		if (u->transport == UP_TLS)
			put(&o, "upstream %s tls-name %s zone %s\n", u->name,
			    u->tls_name, u->zone);
		else
			put(&o, "upstream %s cleartext zone %s\n", u->name,
			    u->zone);
		put(&o, "  transport: %s\n", transport_label(u->transport));
		if (u->down == 0)
			put(&o, "  state: up\n");
		else
			put(&o, "  state: down in %llu engine%s\n",
			    (unsigned long long)u->down, u->down == 1 ? "" :
			    "s");
		put(&o, "  smoothed rtt: %llu.%03llu ms\n",
		    (unsigned long long)u->srtt_us / 1000,
		    (unsigned long long)u->srtt_us % 1000);
		put_text(&o, "  ", upstream_metrics,
		    NMETRICS(upstream_metrics), u);
	}
	return (o.len);
}

size_t
stats_render_cache(const struct ipc_stats *st, char *buf, size_t size)
{
	struct out		 o = { buf, size, 0 };
	const struct stats	*s = &st->s;
	uint64_t		 all = s->cache_hits + s->cache_misses;

	buf[0] = '\0';
	put(&o, "entries: %llu\n", (unsigned long long)s->cache_entries);
	put(&o, "bytes: %llu\n", (unsigned long long)s->cache_bytes);
	put(&o, "hits: %llu\n", (unsigned long long)s->cache_hits);
	put(&o, "misses: %llu\n", (unsigned long long)s->cache_misses);
	put(&o, "hit ratio: %.4f\n", all == 0 ? 0.0 :
	    (double)s->cache_hits / (double)all);
	return (o.len);
}

/*
 * A label value in the exposition format: \, " and newline escaped.
 * The runs between them go whole: the parent renders this every second.
 */
static void
put_label(struct out *o, const char *v)
{
	size_t	n;

	for (;;) {
		n = strcspn(v, "\\\"\n");
		if (n > 0)
			put(o, "%.*s", (int)n, v);
		if (v[n] == '\0')
			return;
		if (v[n] == '\n')
			put(o, "\\n");
		else
			put(o, "\\%c", v[n]);
		v += n + 1;
	}
}

static void
put_meta(struct out *o, const char *name, const char *type,
    const char *help)
{
	put(o, "# HELP dotproxy_%s %s\n# TYPE dotproxy_%s %s\n", name, help,
	    name, type);
}

static void
put_head(struct out *o, const struct metric *c)
{
	put_meta(o, c->name, is_counter(c) ? "counter" : "gauge", c->help);
}

/* A table's metrics, one each, unlabelled. */
static void
put_metrics(struct out *o, const struct metric *t, size_t n,
    const struct stats *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		put_head(o, &t[i]);
		put(o, "dotproxy_%s %llu\n", t[i].name,
		    (unsigned long long)value(s, &t[i]));
	}
}

/* One metric per upstream, labelled with its address, name and zone. */
static void
put_upstreams(struct out *o, const struct ipc_stats *st,
    const struct metric *c)
{
	const struct stats_upstream	*u;
	uint64_t			 v;
	uint32_t			 i;

	put_head(o, c);
	for (i = 0; i < st->nupstreams; i++) {
		u = &st->up[i];
		v = value(u, c);
		put(o, "dotproxy_%s{upstream=\"", c->name);
		put_label(o, u->name);
		put(o, "\",tls_name=\"");
		put_label(o, u->tls_name);
		put(o, "\",zone=\"");
		put_label(o, u->zone);
		if (c->field == UPFIELD(srtt_us))
			put(o, "\"} %.6f\n", (double)v / 1e6);
		else if (c->field == UPFIELD(down))
			put(o, "\"} %d\n", v == 0);
		else
			put(o, "\"} %llu\n", (unsigned long long)v);
	}
}

/* The Prometheus text exposition format, version 0.0.4. */
size_t
stats_render_metrics(const struct ipc_stats *st, char *buf, size_t size)
{
	struct out		 o = { buf, size, 0 };
	const struct stats	*s = &st->s;
	uint64_t		 cum = 0;
	char			 rb[16];
	int			 i;

	buf[0] = '\0';
	put_meta(&o, "queries_total", "counter",
	    "Client messages taken as queries, by transport.");
	put(&o, "dotproxy_queries_total{transport=\"udp\"} %llu\n",
	    (unsigned long long)s->queries_udp);
	put(&o, "dotproxy_queries_total{transport=\"tcp\"} %llu\n",
	    (unsigned long long)s->queries_tcp);
	put_meta(&o, "answers_total", "counter",
	    "Answers sent to clients, by response code.");
	for (i = 0; i < STATS_NRCODE; i++)
		if ((size_t)i < NRCODES || s->rcode[i] != 0)
			put(&o, "dotproxy_answers_total{rcode=\"%s\"} %llu\n",
			    rcode_label(i, rb, sizeof(rb)),
			    (unsigned long long)s->rcode[i]);
	put_metrics(&o, before_latency, NMETRICS(before_latency), s);
	put_meta(&o, "answer_duration_seconds", "histogram",
	    "Time from a query's arrival to its answer.");
	for (i = 0; i < STATS_NLAT; i++) {
		cum += s->latency[i];
		put(&o, "dotproxy_answer_duration_seconds_bucket{le=\"%g\"} "
		    "%llu\n", (double)lat_bounds[i] / 1e6,
		    (unsigned long long)cum);
	}
	cum += s->latency[STATS_NLAT];
	put(&o, "dotproxy_answer_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)cum);
	put(&o, "dotproxy_answer_duration_seconds_sum %.6f\n",
	    (double)s->latency_sum_us / 1e6);
	put(&o, "dotproxy_answer_duration_seconds_count %llu\n",
	    (unsigned long long)cum);
	put_metrics(&o, after_latency, NMETRICS(after_latency), s);
	for (i = 0; i < (int)NMETRICS(upstream_metrics); i++)
		put_upstreams(&o, st, &upstream_metrics[i]);
	return (o.len);
}
