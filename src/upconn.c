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
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frame.h"
#include "log.h"
#include "pin.h"
#include "query.h"
#include "upconn.h"
#include "upstream.h"

/*
 * One TLS connection to an upstream: connect, handshake (certificate,
 * name and pins checked before a single DNS byte is written), many
 * queries in flight with IDs of our own, replies matched by ID and
 * question, idle and keepalive timeouts.
 */

#define TOMBSTONE	0xffff	/* id of a copy we gave up on */
#define MAX_TOMBSTONES	(UPCONN_MAX_INFLIGHT / 2)
#define IDS		65536
#define READ_CHUNK	16384
#define STEADY_MS	2000	/* traffic this recent: reconnect at once */
#define QUICKACK_BELOW	16	/* in flight: acknowledge at once (below) */
#define STALL_US	500000	/* part of a frame, then silence this long */
#define IDLE_CHECK_US	200000	/* idle this long: look before reuse */

static upconn_reply_fn	 reply_hook;
static upconn_failed_fn	 failed_hook;

/* connections with queries to write at the end of this loop iteration */
static TAILQ_HEAD(, upconn)	 flushq = TAILQ_HEAD_INITIALIZER(flushq);
static struct event		 flush_ev;
static int			 flush_ev_set;

static void	 upconn_cb(int, short, void *);
static void	 upconn_tmo_cb(int, short, void *);
static void	 upconn_set_events(struct upconn *, short);
static void	 upconn_handshake(struct upconn *);
static void	 upconn_read(struct upconn *);
static void	 upconn_flush(struct upconn *);
static void	 upconn_schedule_flush(struct upconn *);
static void	 upconn_idle_arm(struct upconn *);
static int	 upconn_handle_reply(void *, uint8_t *, size_t);
static void	 upconn_flush_all(int, short, void *);

/* Query IDs: random, drawn from a pool so a query costs no system call. */
static uint16_t
random_id(void)
{
	static uint16_t	pool[256];
	static int	left;

	if (left == 0) {
		arc4random_buf(pool, sizeof(pool));
		left = 256;
	}
	return (pool[--left]);
}

/*
 * A copy in flight holds a slot of its connection: what its DNS id
 * leads back to is the connection's own, not where the query owner
 * keeps its queries.  The first inflight entries of free are taken.
 */
static void
slots_reset(struct upconn *uc)
{
	int	i;

	for (i = 0; i < UPCONN_MAX_INFLIGHT; i++)
		uc->free[i] = i;
	uc->inflight = 0;
}

static inline uint16_t
slot_take(struct upconn *uc, struct qsend *s)
{
	uint16_t	i = uc->free[uc->inflight++];

	uc->slot[i] = s;
	return (i);
}

static inline void
slot_give(struct upconn *uc, uint16_t i)
{
	uc->slot[i] = NULL;
	uc->free[--uc->inflight] = i;
}

void
upconn_set_reply_hook(upconn_reply_fn fn)
{
	reply_hook = fn;
}

void
upconn_set_failed_hook(upconn_failed_fn fn)
{
	failed_hook = fn;
}

void
upconn_init(struct upconn *uc, struct upstream *u)
{
	uc->up = u;
	uc->fd = -1;
	uc->state = UC_CLOSED;
	buf_init(&uc->in, 2 + DNS_MAX_MSG + READ_CHUNK);
	buf_init(&uc->out, UPCONN_OUT_MAX);
	TAILQ_INIT(&uc->sends);
	slots_reset(uc);
	evtimer_assign(&uc->tmo, env->base, upconn_tmo_cb, uc);
	if (!flush_ev_set) {
		event_assign(&flush_ev, env->base, -1, 0, upconn_flush_all,
		    NULL);
		flush_ev_set = 1;
	}
}

/*
 * Half-open connections: keepalive probes find a silent peer while the
 * connection idles, TCP_USER_TIMEOUT while data waits for an ACK, so a
 * dead path costs one query timeout, not the kernel's fifteen minutes.
 */
static void
upconn_sockopts(int s)
{
	int	on = 1, idle = 15, intvl = 5, cnt = 3;
	int	uto = env->conf->sc.query_timeout * 1000;

	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
	    sizeof(idle)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1 ||
	    setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto,
	    sizeof(uto)) == -1)
		log_debug("upstream socket options: %s", strerror(errno));
}

int
upconn_connect(struct upconn *uc)
{
	struct upstream	*u = uc->up;
	struct timeval	 tv;
	int		 s;

	if (uc->ids == NULL &&
	    (uc->ids = calloc(IDS, sizeof(*uc->ids))) == NULL) {
		log_warn("upstream ids");
		return (-1);
	}
	s = socket(u->conf.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s == -1) {
		log_warn("upstream %s: socket", u->name);
		return (-1);
	}
	upconn_sockopts(s);
	if (connect(s, (struct sockaddr *)&u->conf.ss, u->conf.sslen) == -1 &&
	    errno != EINPROGRESS) {
		close(s);
		failed_hook(u, strerror(errno));
		return (-1);
	}
	uc->fd = s;
	uc->state = UC_CONNECTING;
	uc->evflags = 0;
	memset(&uc->life, 0, sizeof(uc->life));
	upconn_set_events(uc, EV_WRITE);
	/* connect and handshake together get one query timeout */
	tv.tv_sec = env->conf->sc.query_timeout;
	tv.tv_usec = 0;
	evtimer_add(&uc->tmo, &tv);
	log_debug("upstream %s: connecting", u->name);
	return (0);
}

/*
 * Ends the connection, and sends its queries again (query.c decides
 * where, and whether time is left).  Only evidence that new connections
 * to this upstream fail counts against its health: a connect or
 * handshake that failed, or a connection that ended, went bad or fell
 * silent before a single good reply while it carried queries.  A
 * connection that served and then ended, in whatever way (close_notify,
 * a bare FIN, a reset, an alert, a read error), is simply gone: public
 * resolvers close connections when they like.  uc lives inside its
 * upstream and is never freed, so this is safe from any of its own
 * callbacks as long as they check the state afterwards.
 */
void
upconn_close(struct upconn *uc, const char *why, enum upconn_end how)
{
	struct upstream		*u = uc->up;
	struct qsend_list	 retry;
	struct qsend		*s, *culprit = uc->culprit;

	uc->culprit = NULL;
	if (how == UCE_FAILED || (how == UCE_LOST && !uc->life.answered &&
	    uc->inflight > 0))
		failed_hook(u, why);
	else
		log_debug("upstream %s: %s", u->name, why);
	if (how == UCE_LOST)
		u->nlost++;
	if (uc->evflags != 0)
		event_del(&uc->ev);
	uc->evflags = 0;
	evtimer_del(&uc->tmo);
	if (uc->dirty) {
		TAILQ_REMOVE(&flushq, uc, flush_entry);
		uc->dirty = 0;
	}
	if (uc->tls != NULL) {
		/* only our own idle close says goodbye; a broken stream is cut */
		if (how == UCE_IDLE)
			(void)tls_close(uc->tls);
		tls_free(uc->tls);
		uc->tls = NULL;
	}
	if (uc->fd != -1)
		close(uc->fd);
	uc->fd = -1;
	uc->state = UC_CLOSED;
	buf_reset(&uc->in);
	buf_reset(&uc->out);
	if (uc->ids != NULL)
		memset(uc->ids, 0, IDS * sizeof(*uc->ids));
	uc->tombstones = 0;

	/*
	 * A copy lost when an established connection ended or went bad,
	 * through no fault of its own reply, does not count against its
	 * query's tries: a busy connection ending, or one bad reply among
	 * many, must not use up the tries of everything on it.
	 * QUERY_MAX_COPIES and the deadline still bound such copies, and
	 * an upstream that ends every new connection is soon down.  A
	 * connect or handshake that failed counts for every query that
	 * waited on it.
	 */
	TAILQ_INIT(&retry);
	TAILQ_CONCAT(&retry, &uc->sends, entry);
	slots_reset(uc);
	while ((s = TAILQ_FIRST(&retry)) != NULL) {
		TAILQ_REMOVE(&retry, s, entry);
		s->uc = NULL;
		s->blameless = how == UCE_LOST && s != culprit;
		(void)reply_hook(s, u, NULL, 0, NULL);
	}
}

/*
 * A connection that ended while it sat idle is only noticed when the
 * event loop reads it; a query put on it in the meantime would be lost
 * with it and cost a retry.  So before an idle connection is reused, a
 * look at the socket: the end of the stream, or a reset, means it is
 * gone; bytes waiting (a close_notify, an alert, a session ticket) are
 * read now, which ends it if they were a goodbye.  Busy connections are
 * not checked: their replies keep the loop reading them.
 */
int
upconn_usable(struct upconn *uc)
{
	uint64_t	now;
	ssize_t		n;
	uint8_t		b;

	/* a busy connection, the common case, costs no clock read */
	if (uc->state != UC_READY || uc->inflight > 0)
		return (uc->state != UC_CLOSED);
	now = now_us();
	if (now - uc->life.last_read < IDLE_CHECK_US ||
	    now - uc->life.last_sent < IDLE_CHECK_US)
		return (1);
	n = recv(uc->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR)) {
		upconn_close(uc, n == 0 ? "closed by upstream while idle" :
		    strerror(errno), UCE_ENDED);
		return (0);
	}
	if (n > 0)
		upconn_read(uc);
	return (uc->state == UC_READY);
}

/*
 * A copy is answered elsewhere or given up: its id stays reserved so a
 * late reply is recognised and dropped instead of killing the connection.
 * A late copy on a connection that has said nothing since it went out
 * means the connection is dead, whatever TCP thinks; one that stopped in
 * the middle of a frame, a length longer than what it sent, is stuck.
 */
void
upconn_forget(struct upconn *uc, struct qsend *s, int late)
{
	int	fresh = !uc->life.answered;

	slot_give(uc, uc->ids[s->upid] - 1);
	uc->ids[s->upid] = TOMBSTONE;
	uc->tombstones++;
	TAILQ_REMOVE(&uc->sends, s, entry);
	s->uc = NULL;
	if (uc->state == UC_READY && buf_used(&uc->in) > 0 &&
	    now_us() - uc->life.last_read > STALL_US) {
		upconn_close(uc, "stalled in the middle of a reply", UCE_LOST);
		return;
	}
	if (uc->state == UC_READY && late && uc->life.last_read < s->sent) {
		/*
		 * Silence on a connection that never answered is a failure
		 * of the upstream; on one that did, one lost query, which
		 * costs that query and a new connection, nothing more.
		 */
		if (fresh)
			upconn_close(uc, "no reply on a new connection",
			    UCE_FAILED);
		else
			upconn_close(uc, "no reply in time", UCE_LOST);
		return;
	}
	if (uc->state == UC_READY && uc->tombstones > MAX_TOMBSTONES) {
		upconn_close(uc, "too many replies given up on", UCE_LOST);
		return;
	}
	if (uc->inflight == 0)
		upconn_idle_arm(uc);
}

/* Queues a copy on the connection; bytes leave once the handshake is done. */
int
upconn_queue(struct upconn *uc, struct qsend *s)
{
	struct query	*q = s->q;
	uint8_t		*p;
	size_t		 n, room = DNS_MAX_QUERY + 1024;
	uint16_t	 id;
	int		 i;

	if (uc->inflight == UPCONN_MAX_INFLIGHT)
		return (-1);
	for (i = 0; i < 64; i++) {
		id = random_id();
		if (uc->ids[id] == 0)
			break;
	}
	if (i == 64)
		return (-1);
	if ((p = buf_reserve(&uc->out, 2 + room)) == NULL)
		return (-1);
	n = dns_make_upstream_query(q->qbuf, q->qlen, &q->qi, id,
	    uc->up->padding, !uc->life.asked_keepalive, p + 2, room);
	if (n == 0)
		return (-1);
	uc->life.asked_keepalive = 1;
	uc->life.used = 1;
	uc->life.last_sent = now_us();
	dns_put16(p, n);
	buf_commit(&uc->out, 2 + n);

	uc->ids[id] = slot_take(uc, s) + 1;
	s->uc = uc;
	s->upid = id;
	TAILQ_INSERT_TAIL(&uc->sends, s, entry);
	if (uc->state == UC_READY) {
		evtimer_del(&uc->tmo);
		upconn_schedule_flush(uc);
	}
	return (0);
}

static void
upconn_set_events(struct upconn *uc, short want)
{
	want |= EV_PERSIST;
	if (uc->evflags == want)
		return;
	if (uc->evflags != 0)
		event_del(&uc->ev);
	event_assign(&uc->ev, env->base, uc->fd, want, upconn_cb, uc);
	event_add(&uc->ev, NULL);
	uc->evflags = want;
}

/* A TLS read may need the socket writable and a write readable. */
static void
upconn_update_events(struct upconn *uc)
{
	short	want = EV_READ;

	if (uc->life.want_out || uc->life.read_wants_write)
		want |= EV_WRITE;
	upconn_set_events(uc, want);
}

static void
upconn_tmo_cb(int fd, short ev, void *arg)
{
	struct upconn	*uc = arg;

	(void)fd;
	(void)ev;
	if (uc->state == UC_CONNECTING || uc->state == UC_HANDSHAKE)
		upconn_close(uc, "connect or handshake timed out",
		    UCE_FAILED);
	else if (uc->state == UC_READY && uc->inflight == 0)
		upconn_close(uc, "idle, closing", UCE_IDLE);
}

/*
 * Idle connections close after UPCONN_IDLE_TIMEOUT, or a little before
 * the idle timeout the server announced with edns-tcp-keepalive (RFC
 * 7828), so we close first and never race a server-side close.
 */
static void
upconn_idle_arm(struct upconn *uc)
{
	uint64_t	ms = UPCONN_IDLE_TIMEOUT * 1000;

	if (uc->state != UC_READY)
		return;
	if (uc->life.keepalive_ms > 0 &&
	    (uint64_t)uc->life.keepalive_ms * 7 / 8 < ms)
		ms = (uint64_t)uc->life.keepalive_ms * 7 / 8;
	else if (uc->life.keepalive_ms < 0)
		ms = 0;		/* TIMEOUT 0: the server wants us gone */
	timer_in(&uc->tmo, ms);
}

static void
upconn_cb(int fd, short ev, void *arg)
{
	struct upconn	*uc = arg;
	int		 err;
	socklen_t	 len = sizeof(err);

	switch (uc->state) {
	case UC_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			upconn_close(uc, strerror(err), UCE_FAILED);
			return;
		}
		if ((uc->tls = tls_client()) == NULL) {
			upconn_close(uc, "tls_client failed", UCE_FAILED);
			return;
		}
		if (tls_configure(uc->tls, uc->up->tls_cfg) == -1 ||
		    tlsio_connect(&uc->io, uc->tls, fd,
		    uc->up->conf.tls_name) == -1) {
			/* tlsio's read buffer failing sets no libtls error */
			upconn_close(uc, tls_error(uc->tls) != NULL ?
			    tls_error(uc->tls) : "out of memory", UCE_FAILED);
			return;
		}
		uc->state = UC_HANDSHAKE;
		upconn_handshake(uc);
		return;
	case UC_HANDSHAKE:
		upconn_handshake(uc);
		return;
	case UC_READY:
		if ((ev & EV_READ) || (uc->life.read_wants_write &&
		    (ev & EV_WRITE)))
			upconn_read(uc);
		if (uc->state == UC_READY && buf_used(&uc->out) > 0)
			upconn_flush(uc);
		if (uc->state == UC_READY)
			upconn_update_events(uc);
		return;
	default:
		return;
	}
}

/*
 * Nothing but the handshake happens before it completes: the certificate,
 * its name and the pins must check out before a single DNS byte is
 * written.
 */
static void
upconn_handshake(struct upconn *uc)
{
	struct upstream	*u = uc->up;
	int		 r;

	tlsio_wake(&uc->io);
	do
		r = tls_handshake(uc->tls);
	while (r == TLS_WANT_POLLIN && tlsio_pending(&uc->io));
	if (r == TLS_WANT_POLLIN) {
		upconn_set_events(uc, EV_READ);
		return;
	}
	if (r == TLS_WANT_POLLOUT) {
		upconn_set_events(uc, EV_WRITE);
		return;
	}
	if (r == -1) {
		upconn_close(uc, tls_error(uc->tls), UCE_FAILED);
		return;
	}
	if (u->conf.npins > 0 && pin_check(uc->tls, &u->conf) == -1) {
		u->npinfail++;
		upconn_close(uc, "certificate matches no pin", UCE_FAILED);
		return;
	}
	/* the upstream is up again only once it answers (upstream.c) */
	uc->state = UC_READY;
	evtimer_del(&uc->tmo);
	u->nhandshakes++;
	if (tls_conn_session_resumed(uc->tls))
		u->nresumed++;
	log_debug("upstream %s: %s %s%s", u->name, tls_conn_version(uc->tls),
	    tls_conn_cipher(uc->tls),
	    tls_conn_session_resumed(uc->tls) ? " resumed" : "");
	upconn_flush(uc);
	/* the server may have sent data along with its last flight */
	if (uc->state == UC_READY)
		upconn_read(uc);
	if (uc->state == UC_READY) {
		upconn_update_events(uc);
		if (uc->inflight == 0)
			upconn_idle_arm(uc);
	}
}

/*
 * The stream ended: close_notify, a bare FIN, a reset, an alert, or any
 * error libtls reports while reading or writing.  Its queries go out
 * again on a fresh connection.  If it had carried queries and traffic
 * is steady, the next query should not wait for a handshake: open a new
 * one now.  A connection that closes unused is not reopened, or an
 * upstream with a short idle timeout would keep us reconnecting.
 */
static void
upconn_ended(struct upconn *uc, const char *why)
{
	struct upstream	*u = uc->up;
	int		 reopen;

	reopen = uc->life.used && now_ms() - u->last_query < STEADY_MS;
	upconn_close(uc, why, uc->inflight > 0 || buf_used(&uc->in) > 0 ?
	    UCE_LOST : UCE_ENDED);
	if (reopen && uc->state == UC_CLOSED)
		(void)upconn_connect(uc);
}

/*
 * Acknowledge what we just read now, not when the kernel's delayed ACK
 * fires or our next query carries it.  A server that leaves Nagle on
 * (Unbound does) holds a small answer back while its last segment is
 * unacknowledged; once in that rhythm, at a low rate, every answer waited
 * for the query after it, or 40 ms (its first on a new connection
 * follows the TLS 1.3 session tickets, which start it).  Only while a
 * few answers are still due: with nothing in flight our next query
 * carries the ACK, and with many in flight our queries leave all the
 * time, carry ACKs enough, and the server's Nagle gathers its answers
 * into fewer segments, which we read with fewer system calls (an ACK
 * after every read cost a fifth of the miss throughput).  Linux drops
 * the mode by itself, so it is asked for again after each such read.
 */
static void
upconn_quickack(struct upconn *uc)
{
	int	on = 1;

	(void)setsockopt(uc->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

static void
upconn_read(struct upconn *uc)
{
	uint8_t			*p;
	ssize_t			 n;

	tlsio_wake(&uc->io);
	for (;;) {
		if ((p = buf_reserve(&uc->in, READ_CHUNK)) == NULL) {
			upconn_close(uc, "input buffer full", UCE_LOST);
			return;
		}
		n = tls_read(uc->tls, p, READ_CHUNK);
		/*
		 * libtls turns off OpenSSL's auto-retry, so a record that
		 * is no data (a TLS 1.3 session ticket) ends the read with
		 * a WANT; what follows it may already be in our buffer,
		 * where no readiness of the socket would ever call for it.
		 */
		if (n == TLS_WANT_POLLIN && tlsio_pending(&uc->io))
			continue;
		if (n == TLS_WANT_POLLIN) {
			uc->life.read_wants_write = 0;
			if (uc->inflight > 0 && uc->inflight < QUICKACK_BELOW)
				upconn_quickack(uc);
			return;
		}
		if (n == TLS_WANT_POLLOUT) {
			uc->life.read_wants_write = 1;
			return;
		}
		uc->life.read_wants_write = 0;
		if (n == -1) {
			upconn_ended(uc, tls_error(uc->tls));
			return;
		}
		if (n == 0) {
			upconn_ended(uc, "closed by upstream");
			return;
		}
		buf_commit(&uc->in, n);
		uc->life.last_read = now_us();
		if (frame_drain(&uc->in, upconn_handle_reply, uc) == -1) {
			uc->up->nbadreply++;
			upconn_close(uc, "bad reply", UCE_LOST);
			return;
		}
	}
}

/*
 * A reply must be exactly one well-formed message (dns_check_reply()
 * walks it to its last octet, once, and sums it up for those above)
 * with an id we handed out on this connection and the question we
 * asked.  Anything else (a duplicate, an answer to nothing, bytes after
 * the message, a frame whose length does not match) means the stream
 * can no longer be trusted: the caller drops the connection and its
 * queries are sent again; nothing of it reaches a client.  A reply to a
 * copy we gave up on is dropped quietly.
 */
static int
upconn_handle_reply(void *arg, uint8_t *msg, size_t len)
{
	/*
	 * On the stack, not static: the hook may read another connection
	 * (upconn_usable() on a retry), which sums up its own reply.
	 */
	struct dns_summary	 sum;
	struct upconn		*uc = arg;
	struct qsend		*s;
	struct query		*q;
	uint16_t		 id, slot;

	if (len < DNS_HDR_LEN)
		return (-1);
	id = dns_get16(msg);
	slot = uc->ids[id];
	if (slot == 0)
		return (-1);
	if (slot == TOMBSTONE) {
		uc->ids[id] = 0;
		uc->tombstones--;
		return (0);
	}
	s = uc->slot[slot - 1];
	q = s->q;
	if (!dns_check_reply(msg, len, q->qbuf + DNS_HDR_LEN,
	    q->qi.question_len, &sum)) {
		uc->culprit = s;
		log_debug("upstream %s: reply does not match the question",
		    uc->up->name);
		return (-1);
	}
	uc->ids[id] = 0;
	slot_give(uc, slot - 1);
	uc->life.answered = 1;
	TAILQ_REMOVE(&uc->sends, s, entry);
	s->uc = NULL;
	if (sum.keepalive != -1)
		uc->life.keepalive_ms = sum.keepalive > 0 ?
		    sum.keepalive * 100 : -1;
	/* the summary goes up with the reply: no one above walks it again */
	if (reply_hook(s, uc->up, msg, len, &sum) == -1)
		return (-1);
	if (uc->state == UC_READY && uc->inflight == 0)
		upconn_idle_arm(uc);
	return (0);
}

static void
upconn_flush(struct upconn *uc)
{
	ssize_t	n;

	uc->life.want_out = 0;
	while (buf_used(&uc->out) > 0) {
		n = tls_write(uc->tls, buf_head(&uc->out), buf_used(&uc->out));
		if (n == TLS_WANT_POLLOUT) {
			uc->life.want_out = 1;
			break;
		}
		if (n == TLS_WANT_POLLIN)
			break;	/* the read event will retry */
		if (n == -1) {
			upconn_ended(uc, tls_error(uc->tls));
			return;
		}
		uc->up->ntlsbytes += n;
		buf_consume(&uc->out, n);
	}
	upconn_update_events(uc);
}

/*
 * Queries read in one wake-up leave in one TLS write: the flush event runs
 * after every other ready callback of this loop iteration.
 */
static void
upconn_schedule_flush(struct upconn *uc)
{
	if (uc->dirty)
		return;
	uc->dirty = 1;
	TAILQ_INSERT_TAIL(&flushq, uc, flush_entry);
	event_active(&flush_ev, EV_TIMEOUT, 0);
}

static void
upconn_flush_all(int fd, short ev, void *arg)
{
	struct upconn	*uc;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((uc = TAILQ_FIRST(&flushq)) != NULL) {
		TAILQ_REMOVE(&flushq, uc, flush_entry);
		uc->dirty = 0;
		if (uc->state == UC_READY)
			upconn_flush(uc);
	}
}
