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

/*
 * The parent's sum of engine reports (src/stats.c): counters add up for
 * living and retired engines alike, gauges only for living ones;
 * upstreams match by address and name; the renderings carry the sums.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

static struct ipc_stats	 a, b, sum;
static char		 text[65536];
static char		 big[1024 * 1024];	/* CONTROL_REPLY_MAX */

static void
upstream_in(struct ipc_stats *st, const char *name, const char *zone,
    uint64_t queries, uint64_t down, uint64_t srtt)
{
	struct stats_upstream	*u = &st->up[st->nupstreams++];

	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->tls_name, sizeof(u->tls_name), "dns.test");
	snprintf(u->zone, sizeof(u->zone), "%s", zone);
	u->queries = queries;
	u->down = down;
	u->srtt_us = srtt;
}

static void
upstream(struct ipc_stats *st, const char *name, uint64_t queries,
    uint64_t down, uint64_t srtt)
{
	upstream_in(st, name, ".", queries, down, srtt);
}

int
main(void)
{
	struct stats_upstream	*u;
	size_t			 n;
	int			 i;

	a.s.queries_udp = 10;
	a.s.answers = 12;
	a.s.rcode[2] = 1;
	a.s.latency[0] = 11;
	a.s.latency[STATS_NLAT] = 1;
	a.s.cache_entries = 5;
	a.s.cache_bytes = 500;
	upstream(&a, "192.0.2.1:853", 7, 1, 2000);
	b.s.queries_udp = 3;
	b.s.answers = 3;
	b.s.latency[3] = 3;
	b.s.cache_entries = 2;
	b.s.cache_bytes = 200;
	upstream(&b, "192.0.2.2:853", 1, 0, 9000);
	upstream(&b, "192.0.2.1:853", 2, 0, 5000);

	/* a retired, b living */
	stats_add(&sum, &a, 0);
	stats_add(&sum, &b, 1);
	CHECK(sum.s.queries_udp == 13, "counters of retired and living add up");
	CHECK(sum.s.latency[0] == 11 && sum.s.latency[3] == 3 &&
	    sum.s.latency[STATS_NLAT] == 1, "latency buckets add up");
	CHECK(sum.s.cache_entries == 2 && sum.s.cache_bytes == 200,
	    "gauges only from living engines");
	CHECK(sum.nupstreams == 2, "upstreams matched by address and name");
	CHECK(sum.up[0].queries == 9 && sum.up[1].queries == 1,
	    "upstream counters add up");
	CHECK(sum.up[0].down == 0 && sum.up[0].srtt_us == 5000,
	    "upstream state and RTT from living engines only");

	memset(&sum, 0, sizeof(sum));
	stats_add(&sum, &a, 1);
	stats_add(&sum, &b, 1);
	CHECK(sum.up[0].down == 1 && sum.up[0].srtt_us == 5000,
	    "down in one engine; the worst living RTT");

	stats_render_text(&sum, text, sizeof(text));
	CHECK(strstr(text, "queries udp: 13\n") != NULL &&
	    strstr(text, "answers SERVFAIL: 1\n") != NULL &&
	    strstr(text, "bytes sent upstream outside tls: 0\n") != NULL,
	    "show stats carries the sums");
	stats_render_metrics(&sum, text, sizeof(text));
	CHECK(strstr(text, "dotproxy_answer_duration_seconds_bucket{le=\"0.001\"}"
	    " 11\n") != NULL && strstr(text,
	    "dotproxy_answer_duration_seconds_bucket{le=\"0.025\"} 14\n") !=
	    NULL && strstr(text,
	    "dotproxy_answer_duration_seconds_bucket{le=\"+Inf\"} 15\n") !=
	    NULL && strstr(text,
	    "dotproxy_answer_duration_seconds_count 15\n") != NULL,
	    "histogram buckets are cumulative, +Inf is the count");
	CHECK(strstr(text, "dotproxy_upstream_up{upstream=\"192.0.2.1:853\","
	    "tls_name=\"dns.test\",zone=\".\"} 0\n") != NULL,
	    "an upstream down somewhere is not up");
	CHECK(stats_render_metrics(&sum, text, 64) == 63 && text[63] == '\0',
	    "a short buffer is cut, never overrun");
	stats_render_upstreams(&sum, text, sizeof(text));
	CHECK(strstr(text, "  state: down in 1 engine\n") != NULL &&
	    strstr(text, "  smoothed rtt: 5.000 ms\n") != NULL,
	    "show upstreams: state and RTT");

	/* a cleartext upstream beside a TLS one on the same address */
	memset(&sum, 0, sizeof(sum));
	memset(&a, 0, sizeof(a));
	upstream(&a, "10.0.0.53:53", 4, 0, 0);
	a.up[0].tls_name[0] = '\0';
	a.up[0].transport = UP_CLEARTEXT_UDP;
	a.up[0].cleartext_queries = 4;
	a.up[0].cleartext_bytes = 160;
	upstream(&a, "10.0.0.53:53", 2, 0, 0);
	stats_add(&sum, &a, 1);
	stats_add(&sum, &a, 0);
	CHECK(sum.nupstreams == 2 && sum.up[0].cleartext_queries == 8 &&
	    sum.up[0].cleartext_bytes == 320 &&
	    sum.up[1].cleartext_queries == 0,
	    "cleartext counters add up, upstreams told apart by transport");
	stats_render_upstreams(&sum, text, sizeof(text));
	CHECK(strstr(text, "upstream 10.0.0.53:53 cleartext zone .\n"
	    "  transport: cleartext udp\n") != NULL &&
	    strstr(text, "  cleartext queries: 8\n") != NULL &&
	    strstr(text, "upstream 10.0.0.53:53 tls-name dns.test zone .\n"
	    "  transport: tls\n") != NULL,
	    "show upstreams: the transport and cleartext counters");
	stats_render_metrics(&sum, text, sizeof(text));
	CHECK(strstr(text, "dotproxy_upstream_cleartext_queries_total{"
	    "upstream=\"10.0.0.53:53\",tls_name=\"\",zone=\".\"} 8\n") != NULL &&
	    strstr(text, "dotproxy_upstream_cleartext_sent_bytes_total{"
	    "upstream=\"10.0.0.53:53\",tls_name=\"\",zone=\".\"} 320\n") != NULL &&
	    strstr(text, "dotproxy_upstream_cleartext_queries_total{"
	    "upstream=\"10.0.0.53:53\",tls_name=\"dns.test\",zone=\".\"} 0\n") != NULL &&
	    strstr(text, "dotproxy_upstream_cleartext_bytes_total 0\n") != NULL,
	    "metrics: each upstream's cleartext, the engines' stays 0");

	memset(&sum, 0, sizeof(sum));
	upstream(&sum, "a\"b\\c\nd", 1, 0, 0);
	stats_render_metrics(&sum, text, sizeof(text));
	CHECK(strstr(text, "dotproxy_upstream_queries_total{upstream="
	    "\"a\\\"b\\\\c\\nd\",tls_name=\"dns.test\",zone=\".\"} 1\n") !=
	    NULL,
	    "label values escape \\, \" and newline");

	/* one server in two zones: two pools, two series */
	memset(&sum, 0, sizeof(sum));
	memset(&b, 0, sizeof(b));
	upstream_in(&b, "192.0.2.1:853", ".", 3, 0, 0);
	upstream_in(&b, "192.0.2.1:853", "corp.example", 4, 1, 0);
	stats_add(&sum, &b, 1);
	stats_add(&sum, &b, 1);
	CHECK(sum.nupstreams == 2 && sum.up[0].queries == 6 &&
	    sum.up[1].queries == 8, "upstreams are matched by zone too");
	stats_render_metrics(&sum, text, sizeof(text));
	CHECK(strstr(text, "dotproxy_upstream_queries_total{upstream="
	    "\"192.0.2.1:853\",tls_name=\"dns.test\",zone=\"corp.example\"} "
	    "8\n") != NULL, "the zone is a label of each upstream series");
	stats_render_upstreams(&sum, text, sizeof(text));
	CHECK(strstr(text, "upstream 192.0.2.1:853 tls-name dns.test zone "
	    "corp.example\n") != NULL, "show upstreams names the zone");

	/* the longest text: every upstream, every label long and escaped */
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < CONF_MAX_UPSTREAMS; i++) {
		u = &sum.up[sum.nupstreams++];
		memset(u->name, '"', sizeof(u->name) - 1);
		u->name[0] = 'a' + i % 26;
		u->name[1] = 'a' + i / 26;
		memset(u->tls_name, '\\', sizeof(u->tls_name) - 1);
		memset(u->zone, '\n', sizeof(u->zone) - 1);
		u->queries = UINT64_MAX;
	}
	n = stats_render_metrics(&sum, big, sizeof(big));
	CHECK(n + 1 < sizeof(big), "the metrics of 64 upstreams with the "
	    "longest labels fit in the control socket's reply");

	/* an engine's report as the parent takes it (IPC_STATS) */
	b = a;
	memset(b.up[0].name, 'x', sizeof(b.up[0].name));
	memset(b.up[0].tls_name, 'y', sizeof(b.up[0].tls_name));
	memset(b.up[0].zone, 'z', sizeof(b.up[0].zone));
	CHECK(stats_check(&sum, &b, sizeof(b)) == 0 &&
	    strlen(sum.up[0].name) == sizeof(sum.up[0].name) - 1 &&
	    strlen(sum.up[0].tls_name) == sizeof(sum.up[0].tls_name) - 1 &&
	    strlen(sum.up[0].zone) == sizeof(sum.up[0].zone) - 1,
	    "a report's strings are terminated on receipt");
	CHECK(stats_check(&sum, &b, sizeof(b) - 1) == -1 &&
	    stats_check(&sum, &b, 0) == -1,
	    "a report of another size is refused");
	b.nupstreams = CONF_MAX_UPSTREAMS;
	CHECK(stats_check(&sum, &b, sizeof(b)) == 0,
	    "a report with every upstream is taken");
	b.nupstreams = CONF_MAX_UPSTREAMS + 1;
	CHECK(stats_check(&sum, &b, sizeof(b)) == -1,
	    "a report with more upstreams than there is room for is refused");
	return (unit_done());
}
