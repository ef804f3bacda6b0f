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
 * The UDP rate limit of src/ratelimit.c on a clock of our own: the token
 * bucket's rate and burst, which addresses share a bucket (IPv4 /24,
 * IPv6 /56, IPv4-mapped as IPv4), and that a table full of other
 * prefixes neither grows nor loses track of a busy one for long.  Then
 * two pretend engines sharing the table (clientshm.c): a prefix gets its
 * burst and rate once in total, however its queries are spread, and
 * garbage in the table costs an engine nothing but wrong verdicts.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "clientshm.h"
#include "config.h"
#include "ratelimit.h"
#include "shmengine.h"
#include "unit.h"

static struct sockaddr_storage	 ss;
static struct conf_scalars	 shsc;

static const struct sockaddr	*addr(const char *);
static int	 passes(const char *, int, uint64_t);
static void	 setup(struct conf_scalars *, int, int, int);
static int	 engine_cmd(int, int);
static int	 epasses(struct shmengine *, int, int, int);
static void	 shared(void);

static const struct sockaddr *
addr(const char *s)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	return ((struct sockaddr *)&ss);
}

/* how many of n queries from a, all at time now, pass */
static int
passes(const char *a, int n, uint64_t now)
{
	int	i, p = 0;

	for (i = 0; i < n; i++)
		if (ratelimit_check(addr(a), now) == RL_PASS)
			p++;
	return (p);
}

static void
setup(struct conf_scalars *sc, int rate, int burst, int table)
{
	memset(sc, 0, sizeof(*sc));
	sc->rate_limit = rate;
	sc->rate_limit_burst = burst;
	sc->rate_limit_v4 = 24;
	sc->rate_limit_v6 = 56;
	sc->rate_limit_table = table;
	CHECK(ratelimit_init(sc) == 0, "table allocated");
}

/* A pretend engine: its table, then queries of 192.0.2.x at time arg. */
static int
engine_cmd(int op, int arg)
{
	char	a[32];

	if (op == 0)
		return (ratelimit_init(&shsc));
	snprintf(a, sizeof(a), "192.0.2.%d", op);
	return (passes(a, 1, arg));
}

/* n queries of 192.0.2.x at now in e; how many passed */
static int
epasses(struct shmengine *e, int x, int n, int now)
{
	int	i, p = 0;

	for (i = 0; i < n; i++)
		p += shmengine_do(e, x, now) == 1;
	return (p);
}

static void
shared(void)
{
	struct shmengine	 a, b;
	size_t			 i;
	int			 p;

	setup(&shsc, 10, 20, 256);
	shsc.engines = 2;
	shsc.max_queries = 16;
	shsc.tcp_max_conn = 4;
	CHECK(clientshm_create(&shsc) == 0, "shared table made");
	CHECK(shmengine_start(&a, engine_cmd) == 0 &&
	    shmengine_start(&b, engine_cmd) == 0, "two engines attach it");
	CHECK(epasses(&a, 1, 15, 1000) == 15 && epasses(&b, 7, 15, 1000) == 5,
	    "burst 20: 15 in one engine leave 5 for the other (same /24)");
	CHECK(epasses(&a, 1, 10, 1500) == 5 && epasses(&b, 1, 10, 1500) == 0,
	    "half a second at 10/s refills 5 tokens, in total");
	p = 0;
	for (i = 0; i < 2000; i++)
		p += shmengine_do(i % 2 ? &a : &b, 1, 5000 + i) == 1;
	CHECK(p >= 20 + 19 && p <= 20 + 21,
	    "after a pause, 2 s of one query per ms, alternating: the burst "
	    "and 10/s pass");
	CHECK(WIFSIGNALED(shmengine_end(&a, 1)), "one engine is killed");
	CHECK(epasses(&b, 1, 1, 7100) == 1, "the other goes on");

	/* garbage over the whole table: wrong verdicts, no crash */
	CHECK(shmengine_scribble() == 0, "the test fills the table with garbage");
	p = 0;
	for (i = 0; i < 1000; i++)
		p += shmengine_do(&b, 1 + i % 200, 8000 + i) >= 0;
	CHECK(p == 1000, "an engine lives through a table full of garbage");
	CHECK(shmengine_end(&b, 0) == 0, "and exits normally");
}

int
main(void)
{
	struct conf_scalars	 sc;
	char			 a[64];
	int			 i, p;

	setup(&sc, 0, 10, 256);
	CHECK(passes("192.0.2.1", 1000, 1000) == 1000,
	    "rate-limit off: everything passes");

	setup(&sc, 10, 20, 256);
	CHECK(passes("192.0.2.1", 30, 1000) == 20,
	    "a new prefix gets its burst of 20, not more");
	CHECK(passes("192.0.2.77", 1, 1000) == 0,
	    "another address of the same /24 shares the empty bucket");
	CHECK(passes("192.0.3.1", 5, 1000) == 5,
	    "the next /24 has a bucket of its own");
	CHECK(passes("192.0.2.1", 10, 1500) == 5,
	    "half a second at 10/s refills 5 tokens");
	CHECK(passes("192.0.2.1", 10, 1599) == 0,
	    "99 ms refill less than one token");
	CHECK(passes("192.0.2.1", 10, 1600) == 1,
	    "100 ms refill one");
	CHECK(passes("192.0.2.1", 100, 100000) == 20,
	    "a long pause fills the bucket to the burst, no further");
	CHECK(passes("192.0.2.1", 5, 90000) == 0,
	    "the clock going backwards refills nothing");

	p = 0;
	for (i = 0; i < 10000; i++)
		p += passes("198.51.100.1", 1, 200000 + i);
	CHECK(p >= 20 + 99 && p <= 20 + 101,
	    "10 s of one query per ms: the burst and then 10/s pass");

	CHECK(passes("::ffff:192.0.2.9", 1, 100000) == 0,
	    "an IPv4-mapped client shares its IPv4 prefix's bucket");
	CHECK(passes("2001:db8:0:ff::1", 20, 100000) == 20 &&
	    passes("2001:db8:0:1::2", 1, 100000) == 0,
	    "IPv6 addresses of one /56 share a bucket");
	CHECK(passes("2001:db8:0:100::1", 1, 100000) == 1,
	    "the next /56 has its own");

	sc.rate_limit_v4 = 32;
	CHECK(ratelimit_init(&sc) == 0, "setup: rate-limit-ipv4-prefix 32");
	CHECK(passes("192.0.2.1", 30, 1000) == 20 &&
	    passes("192.0.2.2", 30, 1000) == 20,
	    "with /32 each address has its own bucket");

	/*
	 * 100,000 spoofed /24s through a table of 256 buckets: the table
	 * stays what it is, and a busy prefix keeps its empty bucket (the
	 * fullest is the one replaced), so it stays limited.
	 */
	setup(&sc, 10, 20, 256);
	CHECK(passes("203.0.113.1", 20, 1000) == 20, "setup: busy prefix "
	    "spends its burst");
	p = 0;
	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", (i >> 8) & 0xff,
		    i & 0xff);
		(void)passes(a, 1, 1000);
		if (i % 4 == 0)
			p += passes("203.0.113.1", 1, 1000);
	}
	CHECK(p == 0, "a flood of other prefixes does not reset a busy "
	    "prefix's bucket");

	shared();
	return (unit_done());
}
