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
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientshm.h"
#include "engine.h"
#include "log.h"
#include "siphash.h"

/*
 * What each client address holds at the moment: TCP connections and
 * queries in flight, so that one address cannot take every slot.
 *
 * The table is allocated once, at twice the most addresses that can hold
 * anything at the same time (every query slot and every connection from
 * a different one), so spoofed UDP sources can never grow it and it never
 * fills.  Open addressing with linear probing; an entry goes when both of
 * its counts are back to zero, by backward shifting, so no tombstones
 * pile up.  The hash is keyed: sources are chosen by the clients.
 *
 * These are this engine's counts.  The limits hold for each address in
 * all engines together (clientshm.c): a unit counted here is also taken
 * in the shared table, against the same limit, and rec[] names the
 * charge records that hold it there.  A unit the shared table had no
 * room for is counted here alone, so this engine's own count is always
 * checked too.
 */

struct client {
	uint8_t		addr[16];
	uint32_t	hash;
	uint32_t	n[2];		/* by enum cshm_kind */
	uint32_t	rec[2][2];	/* clientshm_take()'s, by kind */
	uint8_t		af;	/* 0: a free slot */
};

static struct client	*tab;
static uint32_t		 mask;
static uint32_t		 live;
static uint64_t		 key[2];

static struct client	*client_find(const struct sockaddr *, int);
static void		 client_remove(struct client *);
static int		 client_adjust(const struct sockaddr *, int, int,
			    uint32_t);

void
clients_init(void)
{
	struct conf_scalars	*sc = &env->conf->sc;
	uint64_t		 need, n = 64;

	need = 2 * ((uint64_t)sc->max_queries + sc->tcp_max_conn);
	while (n < need)
		n <<= 1;
	if ((tab = calloc(n, sizeof(*tab))) == NULL)
		fatal("client table");
	mask = n - 1;
	live = 0;
	arc4random_buf(key, sizeof(key));
}

/* The entry of sa's address; a new one if create and there is none. */
static struct client *
client_find(const struct sockaddr *sa, int create)
{
	const struct sockaddr_in6	*sin6;
	struct client			 k;
	uint32_t			 i;

	memset(&k, 0, sizeof(k));
	k.af = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(k.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		/* a mapped IPv4 client is that IPv4 address, as for the ACL */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(k.addr, sin6->sin6_addr.s6_addr + 12, 4);
			k.af = AF_INET;
		} else
			memcpy(k.addr, &sin6->sin6_addr, 16);
	} else
		return (NULL);
	k.hash = siphash24(key, k.addr, sizeof(k.addr)) ^ k.af;
	memset(k.rec, 0xff, sizeof(k.rec));	/* CSHM_NONE */
	for (i = k.hash & mask; tab[i].af != 0; i = (i + 1) & mask)
		if (tab[i].af == k.af && tab[i].hash == k.hash &&
		    memcmp(tab[i].addr, k.addr, sizeof(k.addr)) == 0)
			return (&tab[i]);
	/* sized never to fill; keep one slot empty so probes end anyway */
	if (!create || live + 1 >= mask)
		return (NULL);
	tab[i] = k;
	live++;
	return (&tab[i]);
}

/* Backward-shift deletion: later entries of the run move up. */
static void
client_remove(struct client *c)
{
	uint32_t	i, j, home;

	i = j = c - tab;
	for (;;) {
		j = (j + 1) & mask;
		if (tab[j].af == 0)
			break;
		home = tab[j].hash & mask;
		/* j stays when its home lies cyclically in (i, j] */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		tab[i] = tab[j];
		i = j;
	}
	memset(&tab[i], 0, sizeof(tab[i]));
	live--;
}

static int
client_adjust(const struct sockaddr *sa, int kind, int delta, uint32_t limit)
{
	struct client	*c;

	if ((c = client_find(sa, delta > 0)) == NULL)
		return (delta > 0 ? -1 : 0);
	if (delta > 0) {
		if (c->n[kind] >= limit || clientshm_take(kind, c->addr,
		    c->af, limit, c->rec[kind]) == CSHM_OVER) {
			if (c->n[CSHM_TCP] == 0 && c->n[CSHM_QUERY] == 0)
				client_remove(c);
			return (-1);
		}
		c->n[kind]++;
		return (0);
	}
	if (c->n[kind] > 0) {
		c->n[kind]--;
		clientshm_put(c->rec[kind]);
	}
	if (c->n[CSHM_TCP] == 0 && c->n[CSHM_QUERY] == 0)
		client_remove(c);
	return (0);
}

/* A query from sa takes a slot: -1 when the address holds its limit. */
int
clients_query_add(const struct sockaddr *sa)
{
	return (client_adjust(sa, CSHM_QUERY, 1,
	    env->conf->sc.max_queries_client));
}

void
clients_query_del(const struct sockaddr *sa)
{
	(void)client_adjust(sa, CSHM_QUERY, -1, 0);
}

/* A connection from sa is accepted: -1 when it holds its limit. */
int
clients_tcp_add(const struct sockaddr *sa)
{
	return (client_adjust(sa, CSHM_TCP, 1,
	    env->conf->sc.tcp_max_conn_client));
}

void
clients_tcp_del(const struct sockaddr *sa)
{
	(void)client_adjust(sa, CSHM_TCP, -1, 0);
}

/* Addresses holding anything now, for the counters logged at exit. */
uint32_t
clients_live(void)
{
	return (live);
}
