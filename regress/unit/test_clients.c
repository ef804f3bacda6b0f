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
 * The per-client table of src/clients.c: each count stops at its limit
 * and comes back, a mapped IPv4 client is its IPv4 address, entries that
 * drop to zero go without losing the others of their probe run, and a
 * flood of distinct sources never grows the table past its size.
 * Then two and three pretend engines sharing one table (clientshm.c):
 * the limits hold per address in total, a killed engine's share comes
 * back when the parent releases it, and garbage in the table costs an
 * engine nothing but wrong counts.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientshm.h"
#include "engine.h"
#include "shmengine.h"
#include "unit.h"

struct engine	*env;

static const struct sockaddr	*client(uint32_t, int, struct sockaddr_storage *);
static int	 engine_cmd(int, int);
static int	 takes(struct shmengine *, int, int, int);
static void	 shared(void);

enum { OP_INIT, OP_QADD, OP_QDEL, OP_TADD, OP_TDEL, OP_CHURN };

/* 10.x.y.z from n, or its IPv4-mapped IPv6 form */
static const struct sockaddr *
client(uint32_t n, int mapped, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	uint32_t		 a = htonl(0x0a000000 | (n & 0xffffff));

	memset(ss, 0, sizeof(*ss));
	if (mapped) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], &a, 4);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = a;
	}
	return ((struct sockaddr *)ss);
}

/* What a pretend engine does: clients.c's calls for address arg. */
static int
engine_cmd(int op, int arg)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr	*a = client(arg, 0, &ss);
	int			 i, n;

	switch (op) {
	case OP_INIT:
		clients_init();
		return (0);
	case OP_QADD:
		return (clients_query_add(a));
	case OP_QDEL:
		clients_query_del(a);
		return (0);
	case OP_TADD:
		return (clients_tcp_add(a));
	case OP_TDEL:
		clients_tcp_del(a);
		return (0);
	case OP_CHURN:
		/* arg rounds of takes and gives of 8 addresses, all given back */
		for (i = n = 0; i < arg; i++) {
			a = client(i % 8, 0, &ss);
			if (clients_query_add(a) == 0)
				n++;
			if (i % 3 == 0 && clients_tcp_add(a) == 0)
				clients_tcp_del(a);
			if (i % 2 == 1)
				clients_query_del(client((i - 1) % 8, 0, &ss));
		}
		return (n);
	}
	return (-1);
}

/* How many of n takes (OP_QADD or OP_TADD) of address a e allows. */
static int
takes(struct shmengine *e, int op, int a, int n)
{
	int	i, ok = 0;

	for (i = 0; i < n; i++)
		if (shmengine_do(e, op, a) == 0)
			ok++;
	return (ok);
}

/*
 * Two engines on one table, as dotproxy's parent makes and hands it out:
 * 3 queries and 2 connections per address in total, wherever they land.
 */
static void
shared(void)
{
	struct shmengine	 a, b, c;

	env->conf->sc.engines = 2;
	env->conf->sc.rate_limit_table = 256;
	CHECK(clientshm_create(&env->conf->sc) == 0, "shared table made");
	CHECK(shmengine_start(&a, engine_cmd) == 0 &&
	    shmengine_start(&b, engine_cmd) == 0, "two engines attach it");
	CHECK(takes(&a, OP_QADD, 5, 2) == 2 && takes(&b, OP_QADD, 5, 3) == 1,
	    "max-queries-per-client 3: 2 in one engine leave 1 for the other");
	CHECK(takes(&a, OP_QADD, 6, 3) == 3,
	    "another address has its own 3");
	CHECK(takes(&b, OP_TADD, 5, 2) == 2 && takes(&a, OP_TADD, 5, 1) == 0,
	    "tcp-max-connections-per-client 2: in total, and apart from queries");
	(void)shmengine_do(&a, OP_QDEL, 5);
	CHECK(takes(&b, OP_QADD, 5, 2) == 1,
	    "a query answered in one engine makes room in the other");
	CHECK(WIFSIGNALED(shmengine_end(&a, 1)), "the engine holding 1 query "
	    "and 3 of another address is killed");
	CHECK(takes(&b, OP_QADD, 5, 2) == 1 && takes(&b, OP_QADD, 6, 4) == 3,
	    "its share is released: the other engine gets it, and all 3 of "
	    "the other address");
	CHECK(shmengine_start(&c, engine_cmd) == 0,
	    "a new engine takes the dead one's column");
	CHECK(takes(&c, OP_QADD, 5, 1) == 0 && takes(&c, OP_TADD, 5, 1) == 0,
	    "and finds the address at its limits");
	CHECK(shmengine_end(&b, 0) == 0, "the other engine exits");
	CHECK(takes(&c, OP_QADD, 5, 4) == 3 && takes(&c, OP_TADD, 5, 3) == 2,
	    "what it held went back with it");

	/* garbage over the whole table: wrong counts, no crash */
	CHECK(shmengine_scribble() == 0, "the test fills the table with garbage");
	CHECK(shmengine_do(&c, OP_CHURN, 100000) >= 0 &&
	    shmengine_do(&c, OP_QDEL, 5) == 0,
	    "an engine lives through a table full of garbage");
	CHECK(shmengine_end(&c, 0) == 0, "and exits normally");
}

int
main(void)
{
	struct sockaddr_storage	 ss, ss2;
	const struct sockaddr	*a, *m;
	uint32_t		 order[40], i, j, t;
	int			 ok, refused;

	if ((env = calloc(1, sizeof(*env))) == NULL ||
	    (env->conf = calloc(1, sizeof(*env->conf))) == NULL)
		return (1);
	/* room for 2 * (16 + 4) = 40 addresses: a table of 64 */
	env->conf->sc.max_queries = 16;
	env->conf->sc.tcp_max_conn = 4;
	env->conf->sc.max_queries_client = 3;
	env->conf->sc.tcp_max_conn_client = 2;
	clients_init();

	a = client(1, 0, &ss);
	CHECK(clients_query_add(a) == 0 && clients_query_add(a) == 0 &&
	    clients_query_add(a) == 0, "three queries from one address");
	CHECK(clients_query_add(a) == -1, "a fourth is over the limit");
	m = client(1, 1, &ss2);
	CHECK(clients_query_add(m) == -1,
	    "the same address, IPv4-mapped, is over the limit too");
	clients_query_del(m);
	CHECK(clients_query_add(a) == 0, "one answered makes room for one");
	CHECK(clients_tcp_add(a) == 0 && clients_tcp_add(a) == 0 &&
	    clients_tcp_add(a) == -1, "two connections, not a third");
	CHECK(clients_live() == 1, "one address, one entry");
	for (i = 0; i < 3; i++)
		clients_query_del(a);
	clients_tcp_del(a);
	CHECK(clients_live() == 1, "an entry stays while it holds anything");
	clients_tcp_del(a);
	CHECK(clients_live() == 0, "and goes when both counts are zero");

	/* 40 addresses, half removed in a scrambled order */
	for (i = 0; i < 40; i++) {
		(void)clients_query_add(client(i * 7919, 0, &ss));
		order[i] = i;
	}
	CHECK(clients_live() == 40, "40 addresses, 40 entries");
	srandom(9);
	for (i = 39; i > 0; i--) {
		j = random() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 20; i++)
		clients_query_del(client(order[i] * 7919, 0, &ss));
	CHECK(clients_live() == 20, "20 removed, 20 left");
	/* each survivor still holds its one query: two more, then full */
	ok = 1;
	for (i = 20; i < 40; i++) {
		a = client(order[i] * 7919, 0, &ss);
		if (clients_query_add(a) != 0 || clients_query_add(a) != 0 ||
		    clients_query_add(a) != -1)
			ok = 0;
	}
	CHECK(ok, "every survivor is found with its count after the removals");
	CHECK(clients_live() == 20, "and none was made twice");
	for (i = 20; i < 40; i++)
		for (j = 0; j < 3; j++)
			clients_query_del(client(order[i] * 7919, 0, &ss));
	CHECK(clients_live() == 0, "all gone again");

	/* spoofed sources: the table stays its size, the excess is refused */
	refused = 0;
	for (i = 0; i < 10000; i++)
		if (clients_query_add(client(i, 0, &ss)) == -1)
			refused++;
	CHECK(clients_live() < 64, "10000 sources never fill the 64 entries");
	CHECK(refused == 10000 - (int)clients_live(),
	    "the sources with no room are refused");

	shared();
	return (unit_done());
}
