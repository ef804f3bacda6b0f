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
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "unit.h"

struct engine	*env;

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
	return (unit_done());
}
