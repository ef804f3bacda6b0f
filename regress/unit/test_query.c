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
 * Unit tests for src/query.c, the owner of a query's life, with the real
 * modules around it: admission, the cache, the in-flight table, the
 * upstream pool and its TLS connections to the regress DoT server
 * (peer.c), whose replies come back through the reply hook.  The test is
 * a frontend, as udp.c and tcp.c are: it admits queries, starts them,
 * and its answer and release calls record what each client got.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "cache.h"
#include "coalesce.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frontend.h"
#include "log.h"
#include "peer.h"
#include "query.h"
#include "report.h"
#include "unit.h"
#include "upstream.h"

#define NGOT		16
#define TIMEOUT		3	/* query-timeout, seconds */

struct engine	*env;	/* the event base and configuration, as engine.c's */

/* what the clients got, in order */
static struct {
	uint16_t	id;
	int		rcode;
	uint16_t	ancount, arcount;
	uint32_t	ttl;		/* of the first answer */
	char		name[64];	/* the question as spelt */
} got[NGOT];
static int	 ngot, nreleased, want;

static size_t	 fe_answer(const struct origin *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t,
		    const struct dns_query_info *);
static void	 fe_release(struct query *);

static const struct frontend	fe = { fe_answer, fe_release };

static size_t
fe_answer(const struct origin *o, const struct sockaddr *sa, socklen_t salen,
    uint8_t *msg, size_t len, const struct dns_query_info *qi)
{
	size_t	off = DNS_HDR_LEN, n = 0;

	(void)o;
	(void)sa;
	(void)salen;
	(void)qi;
	if (ngot == NGOT || len < DNS_HDR_LEN)
		return (len);
	memset(&got[ngot], 0, sizeof(got[ngot]));
	got[ngot].id = dns_get16(msg);
	got[ngot].rcode = dns_get16(msg + 2) & 0x0f;
	got[ngot].ancount = dns_get16(msg + 6);
	got[ngot].arcount = dns_get16(msg + 10);
	while (off < len && msg[off] != 0 && msg[off] < 64 &&
	    n + msg[off] + 1 < sizeof(got[0].name)) {
		memcpy(got[ngot].name + n, msg + off + 1, msg[off]);
		n += msg[off];
		got[ngot].name[n++] = '.';
		off += msg[off] + 1;
	}
	/* the first answer's owner is a pointer: TTL past type and class */
	off += 1 + 4;
	if (got[ngot].ancount > 0 && len >= off + 10)
		got[ngot].ttl = dns_get32(msg + off + 2 + 4);
	ngot++;
	return (len);
}

static void
fe_release(struct query *q)
{
	(void)q;
	nreleased++;
}

static int
enough(void)
{
	return (ngot >= want);
}

/* What the client that used id got; followers are answered first. */
static int
answered(uint16_t id, int rcode, const char *name, int arcount)
{
	int	i;

	for (i = 0; i < ngot; i++)
		if (got[i].id == id)
			return (got[i].rcode == rcode &&
			    (name == NULL || strcmp(got[i].name, name) == 0) &&
			    (arcount == -1 || got[i].arcount == arcount));
	return (0);
}

/* A client on loopback asks, as udp.c would have read it. */
static void
ask(uint16_t id, const char *name, int edns)
{
	struct sockaddr_in	 sin;
	struct origin		 o;
	struct query		*q;
	uint8_t			 msg[512];
	size_t			 len;
	int			 close;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(10000 + id % 1000);
	memset(&o, 0, sizeof(o));
	o.fe = &fe;
	o.transport = QT_UDP;
	o.fd = -1;
	o.allowed = -1;
	len = peer_query(msg, id, DNS_F_RD, name, 1, edns);
	if ((q = admit(&o, (struct sockaddr *)&sin, sizeof(sin), msg, len,
	    &close)) != NULL)
		query_start(q);
}

static void
setup(void)
{
	struct upstream_conf	*u;
	uint8_t			*ca;
	size_t			 calen;

	if ((env = calloc(1, sizeof(*env))) == NULL ||
	    (env->base = event_base_new()) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL)
		exit(2);
	env->conf = conf_new();
	conf_set_defaults(env->conf);
	env->conf->sc.query_timeout = TIMEOUT;
	env->conf->sc.max_queries = 64;
	env->conf->sc.rate_limit = 0;
	if (conf_parse_addr("127.0.0.1", peer_port, &u->ss, &u->sslen) == -1)
		exit(2);
	(void)strlcpy(u->tls_name, "dns.test", sizeof(u->tls_name));
	TAILQ_INSERT_TAIL(&env->conf->upstreams, u, entry);
	conf_fill_default_lists(env->conf);
	if ((ca = peer_ca(&calen)) == NULL)
		exit(2);

	/* as engine.c starts an engine, without the sockets and sandbox */
	query_init();
	upstream_init(ca, calen);
	clients_init();
	cache_init(env->conf->sc.cache_size, 0, 86400);
}

int
main(int argc, char *argv[])
{
	struct stats	st;
	uint64_t	entries, bytes, hits, misses;
	int		i, ok;

	(void)argc;
	log_init(1, 0);
	if (peer_start(argv[0], NULL, NULL) == -1) {
		CHECK(0, "the regress DoT server runs (make test makes it)");
		peer_stop();
		return (unit_done());
	}
	setup();

	/* a miss goes upstream, and the reply is the client's own */
	ask(0x1111, "www.Example.test", 0);
	cache_counters(&entries, &bytes, &hits, &misses);
	CHECK(ngot == 0 && misses == 1 && query_busy() == 1,
	    "a miss takes a slot and goes upstream");
	want = 1;
	CHECK(peer_loop(env->base, enough, 5000) && got[0].id == 0x1111 &&
	    got[0].rcode == 0 && got[0].ancount == 1 && got[0].ttl == 300,
	    "the upstream's answer, with the client's ID");
	CHECK(strcmp(got[0].name, "www.Example.test.") == 0 &&
	    got[0].arcount == 0,
	    "... its spelling of the name, no OPT for a client without EDNS");
	CHECK(nreleased == 1 && query_busy() == 0,
	    "the frontend is told once that the slot is free");
	cache_counters(&entries, &bytes, &hits, &misses);
	CHECK(entries == 1, "the reply is stored, by its summary");

	/* a hit is answered at once, from the cache, with its own ID */
	ngot = 0;
	ask(0x2222, "WWW.EXAMPLE.TEST", 1);
	cache_counters(&entries, &bytes, &hits, &misses);
	CHECK(ngot == 1 && hits == 1 && got[0].id == 0x2222 &&
	    strcmp(got[0].name, "WWW.EXAMPLE.TEST.") == 0 &&
	    got[0].arcount == 1 && got[0].ttl <= 300 && got[0].ttl >= 298,
	    "a hit: its own ID, spelling and OPT, the TTL counted down");
	CHECK(peer_count("query") == 1 && query_busy() == 0,
	    "... without a slot or a query upstream");

	/* identical queries in flight go upstream once */
	ngot = 0;
	nreleased = 0;
	ask(0x3001, "slow.example.test", 0);
	ask(0x3002, "SLOW.example.test", 0);
	ask(0x3003, "sLoW.EXAMPLE.test", 1);
	CHECK(coalesce_count() == 2 && query_busy() == 3 && ngot == 0,
	    "two followers wait on the leader");
	want = 3;
	(void)peer_loop(env->base, enough, 5000);
	CHECK(ngot == 3 && peer_count("query") == 2,
	    "three answers from one query upstream");
	ok = ngot == 3;
	for (i = 0; i < ngot; i++)
		if (got[i].ancount != 1 || got[i].ttl != 300)
			ok = 0;
	CHECK(ok && answered(0x3001, 0, NULL, -1) &&
	    answered(0x3002, 0, NULL, -1) && answered(0x3003, 0, NULL, -1),
	    "each client gets the answer with its own ID");
	CHECK(answered(0x3001, 0, "slow.example.test.", -1) &&
	    answered(0x3002, 0, "SLOW.example.test.", -1) &&
	    answered(0x3003, 0, "sLoW.EXAMPLE.test.", -1),
	    "... its own spelling of the name");
	CHECK(answered(0x3001, 0, NULL, 0) && answered(0x3002, 0, NULL, 0) &&
	    answered(0x3003, 0, NULL, 1), "... and its own EDNS view");
	CHECK(nreleased == 3 && query_busy() == 0, "three slots freed");

	/* no answer in time: SERVFAIL at the deadline, leader and follower */
	ngot = 0;
	ask(0x4001, "silent.example.test", 0);
	ask(0x4002, "Silent.example.test", 0);
	want = 2;
	CHECK(!peer_loop(env->base, enough, TIMEOUT * 1000 - 500),
	    "nothing before the deadline");
	CHECK(peer_loop(env->base, enough, 2000) &&
	    answered(0x4001, DNS_RCODE_SERVFAIL, "silent.example.test.", -1) &&
	    answered(0x4002, DNS_RCODE_SERVFAIL, "Silent.example.test.", -1),
	    "SERVFAIL at the deadline, to the follower too, each its own");
	CHECK(query_busy() == 0, "no slot left busy");

	/* no upstream at all: an expired answer is served stale (RFC 8767) */
	ngot = 0;
	ask(0x5001, "ttl1.example.test", 0);
	want = 1;
	CHECK(peer_loop(env->base, enough, 5000) && got[0].ttl == 1,
	    "an answer with TTL 1");
	peer_stop();
	want = 2;
	(void)peer_loop(env->base, enough, 1500);
	ask(0x5002, "TTL1.example.test", 0);
	ok = peer_loop(env->base, enough, (TIMEOUT + 1) * 1000);
	report_counters(&st);
	CHECK(ok && answered(0x5002, 0, "TTL1.example.test.", 0) &&
	    got[1].ttl == CACHE_STALE_TTL && st.stale == 1,
	    "the upstream gone, the expired answer is served stale");
	return (unit_done());
}
