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
#include <sys/uio.h>

#include <errno.h>
#include <event.h>
#include <string.h>
#include <unistd.h>

#include "clientshm.h"
#include "clock.h"
#include "dns.h"
#include "engine.h"
#include "log.h"
#include "relay.h"
#include "steer.h"

/*
 * The engine's end of the channel between engines (relay.h): its own
 * inbox, which it reads, the sending ends of the others', and which of
 * them holds a question.  What arrives is checked for its size and kind
 * only and handed to the module that registered for the kind; tokens
 * and answers are those modules' to check.
 */
#define INBOX_BATCH	64	/* datagrams read per wake-up */
#define OUT_BATCH	64	/* datagrams queued, then sent together */
#define OUT_BYTES	(128 * 1024)	/* their DNS messages */
#define OUT_DIRECT	(16 * 1024)	/* larger ones leave at once */
#define INBOX_QUIET_MS	100	/* a retiring engine's inbox idle, then exit */

static struct {
	int		 self;
	int		 engines;
	uint32_t	 seed;
	int		 fd;		/* own inbox, -1 without one */
	int		 nto;		/* sending ends held */
	int		 fetcher;	/* fetches our misses, or -1 */
	uint64_t	 last_read;	/* ms */
	int		 to[RELAY_ENGINES_MAX];	/* -1: none */
	struct event	 ev;
	inbox_cb	 cb[RELAY_KIND_MAX + 1];
} ib = { .engines = 1, .fd = -1, .fetcher = -1 };

static struct {
	struct mmsghdr	 m[INBOX_BATCH];
	struct iovec	 iov[INBOX_BATCH];
	uint8_t		 buf[INBOX_BATCH][sizeof(struct relay_hdr) +
			    DNS_MAX_MSG];
} rb;

/*
 * What is sent in one pass of the event loop leaves together, one
 * sendmmsg(2) per engine written to, when the pass ends: a TCP client's
 * pipelined queries, or a holder's answers to a batch it read, cost a
 * system call per batch rather than per query.  A datagram that cannot
 * be sent then (the inbox full, its engine gone) is handed back to the
 * module registered for its failures, which does the work itself.
 */
static struct {
	struct relay_hdr h[OUT_BATCH];
	struct iovec	 iov[OUT_BATCH][2];
	int		 to[OUT_BATCH];
	int		 n;
	uint8_t		 bytes[OUT_BYTES];
	size_t		 used;
	struct event	 ev;
	int		 armed;
	inbox_cb	 failed;
} ob;

static void	 inbox_read(int, short, void *);
static void	 inbox_flush(int, short, void *);
static int	 inbox_send_now(int, struct relay_hdr *, const uint8_t *,
		    size_t);

/* One message of the configuration: the place, and one end with it. */
void
inbox_config(const struct ipc_inbox *m, int fd)
{
	static int	first = 1;

	if (m->engines < 1 || m->engines > RELAY_ENGINES_MAX ||
	    m->self < 0 || m->self >= m->engines ||
	    m->target < 0 || m->target >= m->engines || fd == -1 ||
	    (!first && (m->self != ib.self || m->engines != ib.engines ||
	    m->seed != ib.seed)))
		fatalx("bad IPC_RECONF_INBOX");
	if (first) {
		for (int i = 0; i < RELAY_ENGINES_MAX; i++)
			ib.to[i] = -1;
		first = 0;
	}
	ib.self = m->self;
	ib.engines = m->engines;
	ib.seed = m->seed;
	if (m->target == m->self) {
		if (ib.fd != -1)
			close(ib.fd);
		ib.fd = fd;
	} else {
		if (ib.to[m->target] != -1)
			close(ib.to[m->target]);
		else
			ib.nto++;
		ib.to[m->target] = fd;
	}
}

void
inbox_start(void)
{
	if (ib.fd == -1 || ib.engines < 2)
		return;
	for (int i = 0; i < INBOX_BATCH; i++) {
		rb.iov[i].iov_base = rb.buf[i];
		rb.iov[i].iov_len = sizeof(rb.buf[i]);
		rb.m[i].msg_hdr.msg_iov = &rb.iov[i];
		rb.m[i].msg_hdr.msg_iovlen = 1;
	}
	event_assign(&ib.ev, env->base, ib.fd, EV_READ | EV_PERSIST,
	    inbox_read, NULL);
	event_add(&ib.ev, NULL);
	event_assign(&ob.ev, env->base, -1, 0, inbox_flush, NULL);
}

/*
 * A retiring engine exits only with its inbox empty and quiet for a
 * moment: a question asked of it by an engine not yet told to retire
 * (the parent tells them one after the other) is still its to answer,
 * and one asked just as it exits would wait for its deadline.
 */
int
inbox_pending(void)
{
	static uint64_t	 first;
	uint64_t	 now = now_ms();
	uint8_t		 b;

	if (ib.fd == -1)
		return (0);
	if (first == 0)
		first = now;
	if (recv(ib.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
		return (1);
	return (now - first < INBOX_QUIET_MS ||
	    now - ib.last_read < INBOX_QUIET_MS);
}

/*
 * An engine without upstream connections of its own (upstream-connections
 * below the number of engines) has its misses fetched by this one.
 */
void
inbox_set_fetcher(int f)
{
	ib.fetcher = f;
}

int
inbox_fetcher(void)
{
	if (ib.fetcher < 0 || ib.fetcher >= ib.engines ||
	    ib.to[ib.fetcher] == -1)
		return (-1);
	return (ib.fetcher);
}

/* for the descriptor limit */
int
inbox_descriptors(void)
{
	return ((ib.fd != -1) + ib.nto);
}

void
inbox_on(enum relay_kind kind, inbox_cb cb)
{
	ib.cb[kind] = cb;
}

/* Who is told of a question or fetch that could not be sent. */
void
inbox_on_failure(inbox_cb cb)
{
	ob.failed = cb;
}

int
inbox_self(void)
{
	return (ib.self);
}

/*
 * Which engine to ask for a question this engine does not have: the one
 * that fetched it, and so caches it or has it in flight, as the holders'
 * directory says; or this one, which then claims the question and
 * fetches it.  Datagrams are steered by name (steer.c), so UDP questions
 * are claimed by the engine that receives them; a TCP miss is fetched
 * where it arrives unless another engine already holds it, with no hop
 * on the way.  The directory is a hint: a word per hash in memory every
 * engine writes (clientshm.c): a tag from the name (with this
 * generation's seed, so that another generation's words never match),
 * the second it was claimed and an engine place, in any of the eight
 * words of one cache line; a new question takes a free word or the one
 * claimed longest ago.  A word lost to another name, a wrong one, or a
 * holder that has since evicted the answer costs at most a question
 * asked again upstream or a hop; an answer never comes from it, only
 * from an engine's own cache or an upstream.  Ours when there is no one
 * to ask, and once we retire (the holder may be retiring as well).
 */
#define HOLDER_PLACE	0x1ffULL	/* bits 0-8: the place + 1 */
#define HOLDER_STAMP	0xfffe00ULL	/* bits 9-23: when, in seconds */
#define HOLDER_TAG	(~0xffffffULL)	/* the rest: from the name's hash */
#define HOLDER_WAYS	8		/* words a question may use: a line */
#define HOLDER_TRIES	4		/* lost races, then fetch here */

/* Seconds since the word's claim, modulo the stamp's 15 bits. */
static uint32_t
holder_age(uint64_t w, uint32_t now)
{
	return ((now - (uint32_t)((w & HOLDER_STAMP) >> 9)) & 0x7fff);
}

int
inbox_holder(const uint8_t *msg, size_t len)
{
	uint64_t	*t, h, tag, w, want;
	uint32_t	 n, i, k, now, age, oldest;
	int		 p, tries;

	if (ib.engines < 2 || ib.fd == -1 || env->draining ||
	    (t = clientshm_holders(&n)) == NULL)
		return (ib.self);
	h = steer_hash(ib.seed, msg, len);
	tag = h & HOLDER_TAG;
	t += (uint32_t)h & (n - 1) & ~(uint32_t)(HOLDER_WAYS - 1);
	now = (uint32_t)(now_ms() / 1000) & 0x7fff;
	want = tag | (uint64_t)now << 9 | (uint64_t)(ib.self + 1);
	for (tries = 0; tries < HOLDER_TRIES; tries++) {
		/*
		 * Its word; else a free one, else the one claimed longest
		 * ago (another generation's, or a question likely gone from
		 * its holder's cache) is taken.
		 */
		k = 0;
		oldest = 0;
		for (i = 0; i < HOLDER_WAYS; i++) {
			w = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
			if ((w & HOLDER_TAG) == tag) {
				p = (int)(w & HOLDER_PLACE) - 1;
				if (p == ib.self)
					return (ib.self);
				if (p >= 0 && p < ib.engines && ib.to[p] != -1)
					return (p);
				k = i;
				break;
			}
			age = w == 0 ? 0x8000 : holder_age(w, now);
			if (age > oldest) {
				oldest = age;
				k = i;
			}
		}
		w = __atomic_load_n(&t[k], __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&t[k], &w, want, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
	return (ib.self);
}

/*
 * One datagram to engine `to', queued for the end of this pass of the
 * event loop (a large one leaves at once): -1 when it cannot be sent at
 * all, and the caller does without (answers itself, or lets the asker's
 * deadline end it).
 */
int
inbox_send(int to, struct relay_hdr *h, const uint8_t *msg, size_t len)
{
	int	i;

	if (to < 0 || to >= ib.engines || to == ib.self || ib.to[to] == -1)
		return (-1);
	h->magic = RELAY_MAGIC;
	h->from = ib.self;
	if (len > OUT_DIRECT || ob.failed == NULL || !event_initialized(&ob.ev))
		return (inbox_send_now(to, h, msg, len));
	if (ob.n == OUT_BATCH || ob.used + len > OUT_BYTES)
		inbox_flush(-1, 0, NULL);
	i = ob.n++;
	ob.h[i] = *h;
	ob.to[i] = to;
	memcpy(ob.bytes + ob.used, msg, len);
	ob.iov[i][0].iov_base = &ob.h[i];
	ob.iov[i][0].iov_len = sizeof(ob.h[i]);
	ob.iov[i][1].iov_base = ob.bytes + ob.used;
	ob.iov[i][1].iov_len = len;
	ob.used += len;
	if (!ob.armed) {
		ob.armed = 1;
		event_active(&ob.ev, EV_TIMEOUT, 0);
	}
	return (0);
}

static int
inbox_send_now(int to, struct relay_hdr *h, const uint8_t *msg, size_t len)
{
	struct iovec	iov[2];
	struct msghdr	mh;

	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(ib.to[to], &mh, MSG_DONTWAIT) == -1) {
		log_debug("inbox of engine %d: %s", to, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Everything queued, engine by engine in the order it was queued; what
 * an engine's inbox refuses goes to the failure handler, one datagram
 * at a time (the handler may queue again: that waits for the next pass).
 */
static void
inbox_flush(int fd, short ev, void *arg)
{
	struct mmsghdr	 m[OUT_BATCH];
	struct relay_hdr failed[OUT_BATCH];
	int		 idx[OUT_BATCH];
	int		 i, j, k, n = ob.n, nfailed = 0, to, sent;
	uint8_t		 done[OUT_BATCH];

	(void)fd;
	(void)ev;
	(void)arg;
	ob.armed = 0;
	memset(done, 0, sizeof(done));
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		to = ob.to[i];
		for (j = i, k = 0; j < n; j++) {
			if (done[j] || ob.to[j] != to)
				continue;
			done[j] = 1;
			idx[k] = j;
			memset(&m[k], 0, sizeof(m[k]));
			m[k].msg_hdr.msg_iov = ob.iov[j];
			m[k].msg_hdr.msg_iovlen = 2;
			k++;
		}
		for (j = 0; j < k; j += sent) {
			if ((sent = sendmmsg(ib.to[to], m + j, k - j,
			    MSG_DONTWAIT)) <= 0) {
				log_debug("inbox of engine %d: %s", to,
				    strerror(errno));
				failed[nfailed++] = ob.h[idx[j]];
				sent = 1;
			}
		}
	}
	/* the queue is empty before anyone hears of a failure */
	ob.n = 0;
	ob.used = 0;
	for (i = 0; i < nfailed; i++)
		if (failed[i].kind != RELAY_ANSWER)
			ob.failed(&failed[i], NULL, 0);
}

static void
inbox_read(int fd, short ev, void *arg)
{
	struct relay_hdr	 h;
	int			 n, i;
	size_t			 len;

	(void)ev;
	(void)arg;
	if ((n = recvmmsg(fd, rb.m, INBOX_BATCH, MSG_DONTWAIT, NULL)) <= 0)
		return;
	if (env->draining)
		ib.last_read = now_ms();
	for (i = 0; i < n; i++) {
		len = rb.m[i].msg_len;
		if (len < sizeof(h) + DNS_HDR_LEN ||
		    (rb.m[i].msg_hdr.msg_flags & MSG_TRUNC))
			continue;
		memcpy(&h, rb.buf[i], sizeof(h));
		if (h.magic != RELAY_MAGIC || h.kind < RELAY_ASK ||
		    h.kind > RELAY_KIND_MAX || h.from >= ib.engines ||
		    h.from == ib.self || ib.cb[h.kind] == NULL)
			continue;
		ib.cb[h.kind](&h, rb.buf[i] + sizeof(h), len - sizeof(h));
	}
}
