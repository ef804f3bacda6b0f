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
 * Unit tests for src/plainconn.c, plain DNS to an upstream declared
 * cleartext, against the regress server in plain mode (dotserver -u,
 * through peer.c): over UDP a socket per query, replies with another ID,
 * another question or garbage ignored until the real one, a truncated
 * answer asked again over TCP; `cleartext tcp` pipelined on one
 * connection; a refused port and a silent upstream reported through the
 * failed hook, lost copies through the reply hook.  The test is the
 * module above: it sets the hooks and owns the query slots.
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
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "log.h"
#include "peer.h"
#include "plainconn.h"
#include "unit.h"
#include "upstream.h"

#define NQ	16

struct engine	*env;	/* the event base and configuration, as engine.c's */

static struct upstream	 up;
static struct query	 qs[NQ];	/* the slots, as query.c's */

/* what came up through the hooks */
static struct {
	struct qsend	*s;
	int		 lost;
	uint16_t	 id;
	uint16_t	 flags;
	int		 ancount;
} got[NQ];
static int	 ngot, nfailed, want;

static int
reply_cb(struct qsend *s, struct upstream *u, uint8_t *msg, size_t len,
    const struct dns_summary *sum)
{
	(void)u;
	(void)len;
	if (ngot == NQ)
		return (0);
	got[ngot].s = s;
	got[ngot].lost = msg == NULL;
	if (msg != NULL) {
		got[ngot].id = dns_get16(msg);
		got[ngot].flags = sum->flags;
		got[ngot].ancount = sum->ancount;
	}
	ngot++;
	return (0);
}

static void
failed_cb(struct upstream *u, const char *why)
{
	(void)u;
	(void)why;
	nfailed++;
}

static int
enough(void)
{
	return (ngot >= want);
}

/* Slot i asks for name; its copy, not yet queued. */
static struct qsend *
mkq(int i, const char *name)
{
	struct query	*q = &qs[i];

	memset(q, 0, sizeof(*q));
	q->sends[0].q = q;
	q->qlen = peer_query(q->qbuf, 0x4000 + i, DNS_F_RD, name, 1, 0);
	if (dns_check_query(q->qbuf, q->qlen, &q->qi) != DNS_OK)
		abort();
	q->sends[0].sent = now_us();
	q->sends[0].measured = 1;
	return (&q->sends[0]);
}

/* One query for each name on pc; waits for n replies or losses. */
static int
ask(struct plainconn *pc, const char **names, int nnames, int n)
{
	int	i;

	ngot = 0;
	want = n;
	for (i = 0; i < nnames; i++)
		if (plainconn_queue(pc, mkq(i, names[i])) == -1)
			return (0);
	return (peer_loop(env->base, enough, 5000));
}

/* Each got its own answer, under the ID its copy went out with. */
static int
all_answered(int n)
{
	int	i;

	if (ngot != n)
		return (0);
	for (i = 0; i < n; i++)
		if (got[i].lost || got[i].id != got[i].s->upid ||
		    got[i].s->pc != NULL || got[i].ancount != 1 ||
		    (got[i].flags & DNS_F_TC))
			return (0);
	return (1);
}

static void
setup(struct upstream *u, int port)
{
	memset(u, 0, sizeof(*u));
	(void)strlcpy(u->name, "peer", sizeof(u->name));
	if (conf_parse_addr("127.0.0.1", port, &u->conf.ss, &u->conf.sslen) ==
	    -1)
		exit(2);
}

/* A connection the test is done with: the engine's live as long as it. */
static void
dispose(struct plainconn *pc)
{
	buf_free(&pc->in);
	buf_free(&pc->out);
	free(pc);
}

int
main(int argc, char *argv[])
{
	const char		*names[8];
	struct upstream		 tup, dead;
	struct plainconn	*pc, *tpc, *dpc;
	struct qsend		*s;
	int			 n, port, conns;

	(void)argc;
	log_init(1, 0);
	if (peer_start(argv[0], "-u", NULL) == -1) {
		CHECK(0, "the regress server runs in plain mode");
		peer_stop();
		return (unit_done());
	}
	if ((env = calloc(1, sizeof(*env))) == NULL ||
	    (env->conf = conf_new()) == NULL ||
	    (env->base = event_base_new()) == NULL)
		return (2);
	conf_set_defaults(env->conf);
	plainconn_set_reply_hook(reply_cb);
	plainconn_set_failed_hook(failed_cb);
	setup(&up, peer_port);
	pc = plainconn_new(&up, UP_CLEARTEXT_UDP);
	/* peer.c's probe that the server listens is a TCP connection */
	for (n = 0; n < 100 && peer_count("conn") == 0; n++)
		usleep(20000);
	conns = peer_count("conn");

	names[0] = "www.example.test";
	CHECK(ask(pc, names, 1, 1) && all_answered(1),
	    "UDP: the answer, under the ID the copy went out with");
	CHECK(pc->nudp == 0 && pc->fd == -1 && peer_count("query") == 1 &&
	    peer_count("conn") == conns, "UDP: its socket closed, no TCP");
	CHECK(pc->nqueries == 1 && pc->nbytes > 12,
	    "UDP: the query and its bytes counted as cleartext");

	names[0] = "a.example.test";
	names[1] = "b.example.test";
	names[2] = "c.example.test";
	names[3] = "d.example.test";
	CHECK(ask(pc, names, 4, 4) && all_answered(4) && pc->nudp == 0,
	    "UDP: four at once, four sockets, four answers");
	CHECK(qs[0].sends[0].upid != qs[1].sends[0].upid ||
	    qs[1].sends[0].upid != qs[2].sends[0].upid,
	    "UDP: IDs of our own, random");

	n = peer_count("query");
	names[0] = "tc.example.test";
	CHECK(ask(pc, names, 1, 1) && all_answered(1),
	    "TC=1 over UDP: asked again over TCP, answered whole");
	CHECK(peer_count("query") == n + 2 && peer_count("conn") == conns + 1 &&
	    pc->fd != -1 && pc->ntcp == 0 && pc->nqueries == 7,
	    "TC=1: the server saw it twice, the second time over TCP");

	n = peer_count("query");
	names[0] = "wrongid.example.test";
	names[1] = "wrongq.example.test";
	names[2] = "garbage.example.test";
	names[3] = "orphan.example.test";
	CHECK(ask(pc, names, 4, 4) && all_answered(4),
	    "UDP: forged replies (ID, question, garbage) ignored, the real "
	    "ones taken");
	CHECK(up.nbadreply == 4 && peer_count("query") == n + 4 &&
	    nfailed == 0, "... each counted as a bad reply, nothing asked "
	    "again, no failure");

	/* given up on: silence since it went out is a failure, else not */
	ngot = 0;
	s = mkq(0, "silent.example.test");
	CHECK(plainconn_queue(pc, s) == 0 && pc->nudp == 1, "a silent one");
	(void)peer_loop(env->base, enough, 200);
	plainconn_forget(pc, s, 0);
	CHECK(pc->nudp == 0 && s->pc == NULL && nfailed == 0 && ngot == 0,
	    "answered elsewhere in time: forgotten, not held against it");
	s = mkq(0, "silent.example.test");
	CHECK(plainconn_queue(pc, s) == 0, "another silent one");
	(void)peer_loop(env->base, enough, 200);
	plainconn_forget(pc, s, 1);
	CHECK(pc->nudp == 0 && nfailed == 1 && ngot == 0,
	    "late with nothing heard since: a failure of the upstream");

	/* cleartext tcp: one connection, pipelined */
	setup(&tup, peer_port);
	tpc = plainconn_new(&tup, UP_CLEARTEXT_TCP);
	n = peer_count("conn");
	names[0] = "p1.example.test";
	names[1] = "p2.example.test";
	names[2] = "slow.example.test";
	names[3] = "p3.example.test";
	CHECK(ask(tpc, names, 4, 4) && all_answered(4),
	    "cleartext tcp: four pipelined, four answers");
	CHECK(got[3].s == &qs[2].sends[0] && peer_count("conn") == n + 1 &&
	    tpc->nudp == 0 && tpc->ntcp == 0 && tpc->fd != -1,
	    "... out of order, on one connection, no UDP");
	CHECK(tpc->nqueries == 4 && tpc->nbytes > 4 * 14,
	    "... counted as cleartext");

	/* nobody there */
	nfailed = 0;
	if ((port = peer_free_port()) == -1)
		return (2);
	setup(&dead, port);
	dpc = plainconn_new(&dead, UP_CLEARTEXT_UDP);
	names[0] = "www.example.test";
	CHECK(ask(dpc, names, 1, 1) && ngot == 1 && got[0].lost &&
	    !got[0].s->blameless && nfailed == 1 && dpc->nudp == 0,
	    "UDP to a closed port: lost, and a failure of the upstream");
	dispose(dpc);
	dpc = plainconn_new(&dead, UP_CLEARTEXT_TCP);
	nfailed = 0;
	CHECK(ask(dpc, names, 1, 1) && ngot == 1 && got[0].lost &&
	    nfailed == 1 && dpc->fd == -1,
	    "TCP to a closed port: lost, and a failure of the upstream");
	dispose(dpc);

	peer_stop();
	return (unit_done());
}
