/* plainconn.c: plain DNS to an upstream the configuration declared cleartext (UDP with a socket per query, TCP pipelined); never used for a TLS upstream, never pads. */
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
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frame.h"
#include "log.h"
#include "plainconn.h"
#include "query.h"
#include "upconn.h"
#include "upstream.h"

/*
 * Plain DNS is readable and, over UDP, forgeable by anyone on the path,
 * which is why the configuration allows it only on the host or the site
 * and why every UDP query gets a socket, so a random source port, of its
 * own besides a random ID (RFC 5452): a forged answer must guess both,
 * come from the upstream's address (the socket is connected) and carry
 * the question asked.  Anything else that arrives is ignored and the
 * real answer still awaited.  A truncated answer goes again over TCP.
 * Replies are checked as strictly as over TLS and go up through the
 * same hooks, so query.c and upstream.c treat both alike.
 */

#define READ_CHUNK	16384
#define STALL_US	500000	/* part of a frame, then silence this long */

static upconn_reply_fn	 reply_hook;
static upconn_failed_fn	 failed_hook;

/* a query being written, and a datagram read: never both at once */
static uint8_t		 sendbuf[DNS_MAX_QUERY + 1024];
static uint8_t		 recvbuf[DNS_MAX_MSG];

static void	 udp_cb(int, short, void *);
static void	 tcp_read_cb(int, short, void *);
static int	 tcp_frame(void *, uint8_t *, size_t);
static void	 tcp_write_cb(int, short, void *);
static void	 tcp_tmo_cb(int, short, void *);
static int	 tcp_queue(struct plainconn *, struct qsend *);
static void	 tcp_close(struct plainconn *, const char *, enum upconn_end);

void
plainconn_set_reply_hook(upconn_reply_fn fn)
{
	reply_hook = fn;
}

void
plainconn_set_failed_hook(upconn_failed_fn fn)
{
	failed_hook = fn;
}

struct plainconn *
plainconn_new(struct upstream *u, int transport)
{
	struct plainconn	*pc;
	int			 i;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		fatal(NULL);
	pc->up = u;
	pc->tcp_only = transport == UP_CLEARTEXT_TCP;
	for (i = 0; i < PLAIN_UDP_MAX; i++) {
		pc->udp[i].pc = pc;
		pc->udp[i].fd = -1;
	}
	pc->fd = -1;
	buf_init(&pc->in, 2 + DNS_MAX_MSG + READ_CHUNK);
	buf_init(&pc->out, UPCONN_OUT_MAX);
	evtimer_assign(&pc->tmo, env->base, tcp_tmo_cb, pc);
	return (pc);
}

/* The query as it goes upstream: our ID, no padding, nothing to hide. */
static size_t
make_query(struct qsend *s, uint16_t id, uint8_t *out, size_t room)
{
	struct query	*q = s->q;

	return (dns_make_upstream_query(q->qbuf, q->qlen, &q->qi, id, 0, 0,
	    out, room));
}

static void
udp_end(struct plain_udp *pu)
{
	event_del(&pu->ev);
	close(pu->fd);
	pu->fd = -1;
	pu->s->pc = NULL;
	pu->s = NULL;
	pu->pc->nudp--;
}

/*
 * Over UDP: a fresh socket, connected so that the kernel delivers only
 * what comes from the upstream's address and port.  -1 when the copy
 * could not go out; a send the network refused counts against the
 * upstream.
 */
static int
udp_queue(struct plainconn *pc, struct qsend *s)
{
	struct upstream		*u = pc->up;
	struct plain_udp	*pu = NULL;
	size_t			 n;
	uint16_t		 id = arc4random() & 0xffff;
	int			 i, fd;

	for (i = 0; i < PLAIN_UDP_MAX && pu == NULL; i++)
		if (pc->udp[i].s == NULL)
			pu = &pc->udp[i];
	if (pu == NULL)
		return (tcp_queue(pc, s));
	if ((n = make_query(s, id, sendbuf, sizeof(sendbuf))) == 0)
		return (-1);
	fd = socket(u->conf.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("upstream %s: socket", u->name);
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&u->conf.ss, u->conf.sslen) == -1 ||
	    send(fd, sendbuf, n, 0) == -1) {
		failed_hook(u, strerror(errno));
		close(fd);
		return (-1);
	}
	pc->nqueries++;
	pc->nbytes += n;
	pu->fd = fd;
	pu->s = s;
	pc->nudp++;
	s->pc = pc;
	s->upid = id;
	event_assign(&pu->ev, env->base, fd, EV_READ | EV_PERSIST, udp_cb, pu);
	event_add(&pu->ev, NULL);
	return (0);
}

/*
 * A truncated answer is for the query asked when its header and
 * question are: the rest may be cut anywhere, so it is checked as a
 * message of those alone.
 */
static int
udp_truncated(const uint8_t *msg, size_t len, const struct query *q)
{
	uint8_t	 hq[DNS_HDR_LEN + DNS_MAX_NAME + 4];
	size_t	 n = DNS_HDR_LEN + q->qi.question_len;

	if (!(dns_get16(msg + 2) & DNS_F_TC) || len < n || n > sizeof(hq))
		return (0);
	memcpy(hq, msg, n);
	memset(hq + 6, 0, 6);	/* no answer, authority or additional */
	return (dns_check_reply(hq, n, q->qbuf + DNS_HDR_LEN,
	    q->qi.question_len, NULL));
}

static void
udp_cb(int fd, short ev, void *arg)
{
	/* on the stack: the hook may read another socket of this module */
	struct dns_summary	 sum;
	struct plain_udp	*pu = arg;
	struct plainconn	*pc = pu->pc;
	struct qsend		*s = pu->s;
	struct query		*q = s->q;
	ssize_t			 n;

	(void)ev;
	for (;;) {
		n = recv(fd, recvbuf, sizeof(recvbuf), 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			/* an ICMP error: the port is closed, the host away */
			udp_end(pu);
			failed_hook(pc->up, strerror(errno));
			s->blameless = 0;
			(void)reply_hook(s, pc->up, NULL, 0, NULL);
			return;
		}
		if ((size_t)n < DNS_HDR_LEN || dns_get16(recvbuf) != s->upid) {
			pc->up->nbadreply++;
			continue;
		}
		if (udp_truncated(recvbuf, n, q)) {
			udp_end(pu);
			log_debug("upstream %s: truncated, again over TCP",
			    pc->up->name);
			if (tcp_queue(pc, s) == -1) {
				s->blameless = 0;
				(void)reply_hook(s, pc->up, NULL, 0, NULL);
			}
			return;
		}
		if (!dns_check_reply(recvbuf, n, q->qbuf + DNS_HDR_LEN,
		    q->qi.question_len, &sum)) {
			/* forged, or broken: the real answer may yet come */
			pc->up->nbadreply++;
			log_debug("upstream %s: UDP reply does not match the "
			    "question", pc->up->name);
			continue;
		}
		udp_end(pu);
		pc->last_read = now_us();
		(void)reply_hook(s, pc->up, recvbuf, n, &sum);
		return;
	}
}

static void
tcp_idle_arm(struct plainconn *pc)
{
	if (pc->ready && pc->ntcp == 0)
		timer_in(&pc->tmo, PLAIN_IDLE_TIMEOUT * 1000);
}

static int
tcp_connect(struct plainconn *pc)
{
	struct upstream	*u = pc->up;
	int		 fd, on = 1;

	fd = socket(u->conf.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("upstream %s: socket", u->name);
		return (-1);
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&u->conf.ss, u->conf.sslen) == -1 &&
	    errno != EINPROGRESS) {
		failed_hook(u, strerror(errno));
		close(fd);
		return (-1);
	}
	pc->fd = fd;
	pc->ready = 0;
	pc->answered = 0;
	event_assign(&pc->rd, env->base, fd, EV_READ | EV_PERSIST, tcp_read_cb,
	    pc);
	event_assign(&pc->wr, env->base, fd, EV_WRITE, tcp_write_cb, pc);
	event_add(&pc->wr, NULL);
	timer_in(&pc->tmo, env->conf->sc.query_timeout * 1000);
	log_debug("upstream %s: connecting over TCP", u->name);
	return (0);
}

/* Over the TCP connection, opened when needed; bytes leave once it is up. */
static int
tcp_queue(struct plainconn *pc, struct qsend *s)
{
	uint8_t		*p;
	size_t		 n;
	uint16_t	 id;
	int		 i, tries;

	if (pc->ntcp == PLAIN_TCP_MAX)
		return (-1);
	if (pc->fd == -1 && tcp_connect(pc) == -1)
		return (-1);
	/* an ID no other copy on the connection has */
	for (tries = 0; tries < 64; tries++) {
		id = arc4random() & 0xffff;
		for (i = 0; i < pc->ntcp; i++)
			if (pc->tcp[i]->upid == id)
				break;
		if (i == pc->ntcp)
			break;
	}
	if (tries == 64 ||
	    (p = buf_reserve(&pc->out, 2 + sizeof(sendbuf))) == NULL ||
	    (n = make_query(s, id, p + 2, sizeof(sendbuf))) == 0)
		return (-1);
	dns_put16(p, n);
	buf_commit(&pc->out, 2 + n);
	pc->nqueries++;
	pc->tcp[pc->ntcp++] = s;
	s->pc = pc;
	s->upid = id;
	s->measured = s->measured && pc->ready;
	if (pc->ready) {
		evtimer_del(&pc->tmo);
		event_add(&pc->wr, NULL);
	}
	return (0);
}

static void
tcp_remove(struct plainconn *pc, int i)
{
	pc->tcp[i]->pc = NULL;
	pc->tcp[i] = pc->tcp[--pc->ntcp];
}

/*
 * As upconn_close(): only evidence that new connections fail counts
 * against the upstream (a failed connect, or a connection that ended
 * before a good reply while it carried queries); its copies go out
 * again, those lost through no fault of their own reply without
 * costing their query a try.
 */
static void
tcp_close(struct plainconn *pc, const char *why, enum upconn_end how)
{
	struct qsend	*lost[PLAIN_TCP_MAX], *culprit = pc->culprit;
	int		 i, n;

	pc->culprit = NULL;
	if (how == UCE_FAILED || (how == UCE_LOST && !pc->answered &&
	    pc->ntcp > 0))
		failed_hook(pc->up, why);
	else
		log_debug("upstream %s: %s", pc->up->name, why);
	if (how == UCE_LOST)
		pc->up->nlost++;
	evtimer_del(&pc->tmo);
	if (pc->fd != -1) {
		event_del(&pc->rd);
		event_del(&pc->wr);
		close(pc->fd);
	}
	pc->fd = -1;
	pc->ready = 0;
	buf_reset(&pc->in);
	buf_reset(&pc->out);
	n = pc->ntcp;
	memcpy(lost, pc->tcp, n * sizeof(lost[0]));
	pc->ntcp = 0;
	for (i = 0; i < n; i++) {
		lost[i]->pc = NULL;
		lost[i]->blameless = how == UCE_LOST && lost[i] != culprit;
		(void)reply_hook(lost[i], pc->up, NULL, 0, NULL);
	}
}

/*
 * A reply must be one well-formed answer to the question asked under
 * its ID; one to a copy given up on is dropped quietly.  -1: the stream
 * can no longer be trusted.
 */
static int
tcp_reply(struct plainconn *pc, uint8_t *msg, size_t len)
{
	struct dns_summary	 sum;
	struct qsend		*s;
	uint16_t		 id;
	int			 i;

	if (len < DNS_HDR_LEN)
		return (-1);
	id = dns_get16(msg);
	for (i = 0; i < pc->ntcp; i++)
		if (pc->tcp[i]->upid == id)
			break;
	if (i == pc->ntcp)
		return (0);
	s = pc->tcp[i];
	if (!dns_check_reply(msg, len, s->q->qbuf + DNS_HDR_LEN,
	    s->q->qi.question_len, &sum)) {
		pc->culprit = s;
		return (-1);
	}
	tcp_remove(pc, i);
	pc->answered = 1;
	pc->last_read = now_us();
	if (reply_hook(s, pc->up, msg, len, &sum) == -1)
		return (-1);
	tcp_idle_arm(pc);
	return (0);
}

static void
tcp_read(struct plainconn *pc)
{
	uint8_t			*p;
	ssize_t			 n;
	int			 r;

	for (;;) {
		if ((p = buf_reserve(&pc->in, READ_CHUNK)) == NULL) {
			tcp_close(pc, "input buffer full", UCE_LOST);
			return;
		}
		n = recv(pc->fd, p, READ_CHUNK, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			tcp_close(pc, n == 0 ? "closed by upstream" :
			    strerror(errno), pc->ntcp > 0 ||
			    buf_used(&pc->in) > 0 ? UCE_LOST : UCE_ENDED);
			return;
		}
		buf_commit(&pc->in, n);
		pc->tcp_read = now_us();
		if ((r = frame_drain(&pc->in, tcp_frame, pc)) == -1) {
			pc->up->nbadreply++;
			tcp_close(pc, "bad reply", UCE_LOST);
			return;
		}
		if (r == 1)
			return;
	}
}

/* One reply off the stream; the hook may have ended it, and opened another. */
static int
tcp_frame(void *arg, uint8_t *msg, size_t len)
{
	struct plainconn	*pc = arg;

	if (tcp_reply(pc, msg, len) == -1)
		return (-1);
	return (pc->ready ? 0 : 1);
}

static void
tcp_write(struct plainconn *pc)
{
	ssize_t	n;

	while (buf_used(&pc->out) > 0) {
		n = send(pc->fd, buf_head(&pc->out), buf_used(&pc->out),
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			tcp_close(pc, strerror(errno), UCE_LOST);
			return;
		}
		pc->nbytes += n;
		buf_consume(&pc->out, n);
	}
}

/* Once it ends, pc may already be a new connection, not yet ready. */
static void
tcp_read_cb(int fd, short ev, void *arg)
{
	struct plainconn	*pc = arg;

	(void)fd;
	(void)ev;
	tcp_read(pc);
	tcp_idle_arm(pc);
}

/* Writable: the connect is done, or there is room for what waits. */
static void
tcp_write_cb(int fd, short ev, void *arg)
{
	struct plainconn	*pc = arg;
	int			 err;
	socklen_t		 len = sizeof(err);

	(void)ev;
	if (!pc->ready) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			tcp_close(pc, strerror(err), UCE_FAILED);
			return;
		}
		pc->ready = 1;
		pc->tcp_read = now_us();
		evtimer_del(&pc->tmo);
		event_add(&pc->rd, NULL);
	}
	tcp_write(pc);
	if (pc->ready && buf_used(&pc->out) > 0)
		event_add(&pc->wr, NULL);
	tcp_idle_arm(pc);
}

static void
tcp_tmo_cb(int fd, short ev, void *arg)
{
	struct plainconn	*pc = arg;

	(void)fd;
	(void)ev;
	if (!pc->ready)
		tcp_close(pc, "TCP connect timed out", UCE_FAILED);
	else if (pc->ntcp == 0)
		tcp_close(pc, "idle, closing", UCE_IDLE);
}

/* Puts a copy on its way: by UDP unless the upstream is `cleartext tcp`. */
int
plainconn_queue(struct plainconn *pc, struct qsend *s)
{
	if (pc->tcp_only)
		return (tcp_queue(pc, s));
	return (udp_queue(pc, s));
}

/*
 * A copy is answered elsewhere or given up.  A late one that heard
 * nothing from the upstream since it went out is evidence against the
 * upstream: over UDP a failure of its own; over TCP the connection is
 * dead, as upconn_forget() decides.
 */
void
plainconn_forget(struct plainconn *pc, struct qsend *s, int late)
{
	int	i, silent = late && pc->last_read < s->sent;

	for (i = 0; i < PLAIN_UDP_MAX; i++)
		if (pc->udp[i].s == s) {
			udp_end(&pc->udp[i]);
			if (silent)
				failed_hook(pc->up, "no reply in time");
			return;
		}
	for (i = 0; i < pc->ntcp; i++)
		if (pc->tcp[i] == s)
			break;
	if (i == pc->ntcp)
		return;
	tcp_remove(pc, i);
	if (!pc->ready)
		return;
	if (buf_used(&pc->in) > 0 && now_us() - pc->tcp_read > STALL_US)
		tcp_close(pc, "stalled in the middle of a reply", UCE_LOST);
	else if (late && pc->tcp_read < s->sent)
		tcp_close(pc, "no reply in time", pc->answered ? UCE_LOST :
		    UCE_FAILED);
	else
		tcp_idle_arm(pc);
}
