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
 * Unit tests for src/upconn.c, one TLS connection to an upstream, over
 * a real TLS connection to the regress DoT server (peer.c): the
 * handshake with the test CA, queries pipelined in 2-octet frames,
 * replies matched by ID and question and handed up through the reply
 * hook with the summary of their one walk, and every kind of bad reply
 * dropping the stream with its copies handed back to go out again.
 * The test is the module above the connection: it sets the hooks, as
 * upstream.c and query.c do, and owns the query slots.
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
#include <tls.h>

#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "log.h"
#include "peer.h"
#include "unit.h"
#include "upconn.h"
#include "upstream.h"

#define NQ	16

struct engine	*env;	/* the event base and configuration, as engine.c's */

static struct upstream	 up;
static struct query	 qs[NQ];	/* the slots, as query.c's */

/* what came up through the hooks, in order */
static struct {
	struct qsend		*s;
	int			 lost;	/* msg NULL: the copy must go again */
	int			 blameless;
	uint16_t		 id;
	int			 rcode;
	size_t			 len;
	struct dns_summary	 sum;
} got[NQ];
static int	 ngot, nfailed, hook_says;
static int	 want;

static int
reply_cb(struct qsend *s, struct upstream *u, uint8_t *msg, size_t len,
    const struct dns_summary *sum)
{
	(void)u;
	if (ngot == NQ)
		return (0);
	got[ngot].s = s;
	got[ngot].lost = msg == NULL;
	got[ngot].blameless = s->blameless;
	if (msg != NULL) {
		got[ngot].id = dns_get16(msg);
		got[ngot].rcode = dns_get16(msg + 2) & 0x0f;
		got[ngot].len = len;
		got[ngot].sum = *sum;
	}
	ngot++;
	return (hook_says);
}

static void
failed_cb(struct upstream *u, const char *why)
{
	(void)u;
	(void)why;
	nfailed++;
}

/* read(2)-like system calls this process made: syscr of /proc/self/io */
static uint64_t
reads_done(void)
{
	FILE			*f;
	char			 line[128];
	unsigned long long	 v = 0;

	if ((f = fopen("/proc/self/io", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "syscr: %llu", &v) == 1)
			break;
	fclose(f);
	return (v);
}

static int
enough(void)
{
	return (ngot >= want);
}

static int
ready(void)
{
	return (up.conns[0].state == UC_READY ||
	    up.conns[0].state == UC_CLOSED);
}

/* Slot i asks for name, type qtype; returns its copy, not yet queued. */
static struct qsend *
mkq(int i, const char *name, uint16_t qtype)
{
	struct query	*q = &qs[i];

	memset(q, 0, sizeof(*q));
	q->sends[0].q = q;
	q->sends[1].q = q;
	q->qlen = peer_query(q->qbuf, 0x4000 + i, DNS_F_RD, name, qtype, 0);
	if (dns_check_query(q->qbuf, q->qlen, &q->qi) != DNS_OK)
		return (NULL);
	q->sends[0].sent = now_us();
	return (&q->sends[0]);
}

/* Queues one query for each name on connection 0 and waits for n events. */
static void
ask(const char **names, int nnames, uint16_t qtype, int n)
{
	int	i;

	ngot = 0;
	want = n;
	for (i = 0; i < nnames; i++)
		if (upconn_queue(&up.conns[0], mkq(i, names[i], qtype)) == -1)
			CHECK(0, "queued");
	(void)peer_loop(env->base, enough, 5000);
}

/* A fresh connection, handshake done, for the next case. */
static int
reconnect(void)
{
	if (up.conns[0].state == UC_CLOSED &&
	    upconn_connect(&up.conns[0]) == -1)
		return (0);
	return (peer_loop(env->base, ready, 5000) &&
	    up.conns[0].state == UC_READY);
}

/*
 * A bad reply to the first of two queries: the stream is dropped, both
 * copies come back to go out again, only the other one blameless when
 * the reply could be pinned on its copy.
 */
static void
bad(const char *name, const char *what, int pinned)
{
	const char	*names[2];
	char		 d[128];
	uint64_t	 nbad = up.nbadreply;

	names[0] = name;
	names[1] = "www.example.test";
	CHECK(reconnect(), "connected again");
	ask(names, 2, 1, 2);
	(void)snprintf(d, sizeof(d), "%s: the stream is dropped", what);
	CHECK(up.conns[0].state == UC_CLOSED && up.nbadreply == nbad + 1, d);
	(void)snprintf(d, sizeof(d), "%s: both copies come back lost", what);
	CHECK(ngot == 2 && got[0].lost && got[1].lost, d);
	(void)snprintf(d, sizeof(d), "%s: %s", what, pinned ?
	    "the culprit's copy is blamed, the other not" :
	    "no copy can be blamed");
	if (pinned)
		CHECK(ngot == 2 && ((got[0].s == &qs[0].sends[0]) ?
		    !got[0].blameless && got[1].blameless :
		    got[0].blameless && !got[1].blameless), d);
	else
		CHECK(ngot == 2 && got[0].blameless && got[1].blameless, d);
}

/* dotserver's name rules for replies that must drop the stream */
static const struct {
	const char	*name;
	const char	*what;
	int		 pinned;	/* the reply names its copy */
} bads[] = {
	{ "wrongq.example.test", "another question", 1 },
	{ "noqr.example.test", "QR=0", 1 },
	{ "trail.example.test", "octets after the message", 1 },
	{ "garbage.example.test", "garbage behind the right ID", 1 },
	{ "badptr.example.test", "a pointer loop", 1 },
	{ "wrongid.example.test", "an ID never handed out", 0 },
	{ "shortlen.example.test", "a frame 3 octets short", 1 },
};

int
main(int argc, char *argv[])
{
	const char	*names[4];
	char		 d[160];
	struct upconn	*uc = &up.conns[0];
	struct query	*q;
	size_t		 calen;
	uint8_t		*ca;
	int		 i, ok;

	(void)argc;
	log_init(1, 0);
	if (peer_start(argv[0], "-RK", "50") == -1 ||
	    (ca = peer_ca(&calen)) == NULL) {
		CHECK(0, "the regress DoT server runs (make test makes it)");
		peer_stop();
		return (unit_done());
	}
	if ((env = calloc(1, sizeof(*env))) == NULL ||
	    (env->conf = conf_new()) == NULL ||
	    (env->base = event_base_new()) == NULL)
		return (2);
	conf_set_defaults(env->conf);

	/* the upstream as upstream.c makes it: its own TLS configuration */
	up.name[0] = '\0';
	(void)strlcpy(up.name, "peer", sizeof(up.name));
	if (conf_parse_addr("127.0.0.1", peer_port, &up.conf.ss,
	    &up.conf.sslen) == -1)
		return (2);
	(void)strlcpy(up.conf.tls_name, "dns.test", sizeof(up.conf.tls_name));
	if ((up.tls_cfg = tls_config_new()) == NULL ||
	    tls_config_set_ca_mem(up.tls_cfg, ca, calen) == -1)
		return (2);
	upconn_set_reply_hook(reply_cb);
	upconn_set_failed_hook(failed_cb);
	upconn_init(uc, &up);

	CHECK(upconn_connect(uc) == 0 && uc->state == UC_CONNECTING,
	    "connect starts");
	/* queued before the handshake: nothing leaves until it is done */
	names[0] = "www.example.test";
	names[1] = "two.example.test";
	names[2] = "dribble.example.test";
	ask(names, 3, 1, 3);
	CHECK(uc->state == UC_READY && up.nhandshakes == 1 && nfailed == 0,
	    "the handshake with the test CA and name passes");
	CHECK(ngot == 3 && !got[0].lost && !got[1].lost && !got[2].lost,
	    "three pipelined queries, three replies through the hook");
	ok = ngot == 3;
	for (i = 0; i < ngot; i++)
		if (got[i].lost || got[i].id != got[i].s->upid ||
		    got[i].s->uc != NULL)
			ok = 0;
	CHECK(ok, "each reply is matched to its copy by our ID");
	CHECK(ngot == 3 && got[2].s == &qs[2].sends[0] &&
	    got[2].rcode == 0 && got[2].len > 12,
	    "a reply dribbled a few octets per TLS record comes whole");
	ok = ngot == 3;
	for (i = 0; i < ngot; i++) {
		q = got[i].s->q;
		if (got[i].sum.qtype != 1 || got[i].sum.qclass != 1 ||
		    got[i].sum.qname_len != q->qi.qname_len ||
		    got[i].sum.len != got[i].len)
			ok = 0;
	}
	CHECK(ok, "the hook gets the summary: question and length");
	CHECK(ngot == 3 && got[0].sum.ancount == 1 && got[0].sum.ttl == 300 &&
	    got[0].sum.nttl == 1 && got[0].sum.opt_off != 0,
	    "... one answer, cacheable for 300 s, an OPT");
	CHECK(ngot == 3 && got[0].sum.keepalive == 50 &&
	    uc->life.keepalive_ms == 5000,
	    "... the server's edns-tcp-keepalive, which the connection keeps");
	CHECK(uc->inflight == 0 && TAILQ_EMPTY(&uc->sends),
	    "nothing left in flight");
	CHECK(peer_count("query") == 3, "the server saw three queries");

	/*
	 * tlsio.c: replies that came in TLS records of their own (dotserver
	 * writes each with a tls_write) are read in large pieces.  With
	 * the socket handed to libtls it took two read(2)s per record, a
	 * header and a body, and one more per wake-up.
	 */
	{
		const char	*many[NQ];
		char		 nb[NQ][32];
		uint64_t	 r0, r1;

		for (i = 0; i < NQ; i++) {
			(void)snprintf(nb[i], sizeof(nb[i]), "m%d.example.test",
			    i);
			many[i] = nb[i];
		}
		r0 = reads_done();
		ask(many, NQ, 1, NQ);
		r1 = reads_done();
		(void)snprintf(d, sizeof(d), "%d replies in records of their "
		    "own cost %llu read(2)s (< %d, 2 a record before)", NQ,
		    (unsigned long long)(r1 - r0), NQ * 3 / 2);
		CHECK(ngot == NQ && r1 - r0 < NQ * 3 / 2, d);
	}

	/* a copy given up on: its late reply is dropped, the stream kept */
	ngot = 0;
	want = 1;
	names[0] = "late.example.test";
	(void)upconn_queue(uc, mkq(0, names[0], 1));
	upconn_forget(uc, &qs[0].sends[0], 0);
	(void)peer_loop(env->base, enough, 500);
	CHECK(ngot == 0 && uc->state == UC_READY && uc->tombstones == 0,
	    "a reply to a forgotten copy is dropped quietly");
	names[0] = "again.example.test";
	ask(names, 1, 28, 1);
	CHECK(ngot == 1 && !got[0].lost && got[0].sum.qtype == 28 &&
	    up.nhandshakes == 1, "and the same connection answers on");

	/* the hook refuses a reply: the stream goes, the copy comes back */
	hook_says = -1;
	names[0] = "www.example.test";
	names[1] = "two.example.test";
	ask(names, 2, 1, 2);
	hook_says = 0;
	CHECK(ngot == 2 && !got[0].lost && got[1].lost &&
	    uc->state == UC_CLOSED,
	    "a reply the hook calls unusable drops the stream");

	for (i = 0; i < (int)(sizeof(bads) / sizeof(bads[0])); i++)
		bad(bads[i].name, bads[i].what, bads[i].pinned);

	/* the first of a reply sent twice is taken, the second drops all */
	CHECK(reconnect(), "connected again");
	names[0] = "dup.example.test";
	names[1] = "www.example.test";
	ask(names, 2, 1, 2);
	CHECK(ngot == 2 && !got[0].lost && got[1].lost && got[1].blameless &&
	    uc->state == UC_CLOSED,
	    "a reply sent twice: the first answers, the second drops the stream");

	CHECK(reconnect(), "connected again");
	names[0] = "nx.example.test";
	names[1] = "nodata.example.test";
	ask(names, 2, 1, 2);
	CHECK(ngot == 2 && got[0].rcode == DNS_RCODE_NXDOMAIN &&
	    got[0].sum.ttl == 3 && got[0].sum.soa_ttl == 3 &&
	    got[1].rcode == 0 && got[1].sum.ancount == 0 &&
	    got[1].sum.ttl == 3,
	    "negative answers: the summary's SOA bounds the cache, RFC 2308");

	upconn_close(uc, "done", UCE_IDLE);
	CHECK(uc->state == UC_CLOSED && uc->fd == -1 && uc->tls == NULL,
	    "an idle close leaves nothing open");
	peer_stop();
	tls_config_free(up.tls_cfg);
	return (unit_done());
}
