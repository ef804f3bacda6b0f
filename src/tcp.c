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
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "buffer.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frame.h"
#include "frontend.h"
#include "log.h"
#include "query.h"

#define ACCEPT_BACKOFF_MS	1000	/* pause after EMFILE */

/*
 * The TCP frontend (RFC 7766): accepting, framing queries in and answers
 * out, idle and lifetime clocks, the per-connection pipeline bound.  A
 * query read goes through admit() and, if it takes a slot, is linked to
 * its client and started; its answer comes back through tcp_answer().
 */

static void	 tcp_accept_cb(int, short, void *);
static void	 tcp_read_cb(int, short, void *);
static void	 tcp_write_cb(int, short, void *);
static void	 tcp_timeout_cb(int, short, void *);
static void	 tcp_lifetime_cb(int, short, void *);
static void	 accept_shed(int);
static void	 accept_resume_cb(int, short, void *);
static void	 accept_pause(int);
static void	 tcp_client_close(struct tcp_client *);
static void	 tcp_flush_all(int, short, void *);
static void	 tcp_client_schedule_close(struct tcp_client *);
static void	 tcp_client_read_enable(struct tcp_client *, int);
static void	 tcp_client_idle_arm(struct tcp_client *);
static void	 tcp_client_maybe_done(struct tcp_client *);
static void	 tcp_client_detach_all(struct tcp_client *);
static int	 tcp_client_between_queries(const struct tcp_client *);
static int	 tcp_client_release(struct tcp_client *);
static void	 tcp_client_send(struct tcp_client *, const uint8_t *,
		    size_t);
static void	 tcp_query(struct tcp_client *, const uint8_t *, size_t);
static size_t	 tcp_answer(const struct origin *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t, const struct dns_query_info *);
static void	 tcp_release(struct query *);

static const struct frontend	tcp_frontend = { tcp_answer, tcp_release };
static struct ratelog		rl_client_tcp;

/* the frontend's own state: its clients and its accepting */
static struct {
	struct tcp_client_list	 clients;
	struct tcp_client_list	 dirty;		/* answers queued this turn */
	struct event		 flush_ev;
	int			 n;
	int			 paused;	/* accepting paused */
	struct event		 resume_ev;	/* resumes accepting */
	int			 spare_fd;	/* given up on EMFILE */
} t = { .clients = TAILQ_HEAD_INITIALIZER(t.clients),
    .dirty = TAILQ_HEAD_INITIALIZER(t.dirty), .spare_fd = -1 };

/*
 * Retiring: no new connections, and no new queries read from those open
 * (see tcp_client_read_enable()); those in flight are still answered,
 * and an idle connection goes to the new engine (handoff.c).
 */
void
tcp_stop(void)
{
	struct tcp_client	*tc;
	int			 i;

	for (i = 0; i < env->nlisteners; i++)
		if (env->listeners[i].proto == LISTEN_TCP &&
		    !env->listeners[i].paused)
			event_del(&env->listeners[i].ev);
	if (event_initialized(&t.resume_ev))
		evtimer_del(&t.resume_ev);
	TAILQ_FOREACH(tc, &t.clients, entry)
		if (tcp_client_between_queries(tc))
			tcp_client_read_enable(tc, 0);
}

/* Client connections open now. */
int
tcp_count(void)
{
	return (t.n);
}

/*
 * Retiring: each client with nothing of its own left in this process
 * (nothing in flight, nothing unwritten, not in the middle of a query)
 * is released and its socket handed to give().  Returns how many are
 * left: busy ones, or closing anyway.
 */
int
tcp_give_idle(int (*give)(int))
{
	struct tcp_client	*tc, *next;
	int			 left = 0;

	for (tc = TAILQ_FIRST(&t.clients); tc != NULL; tc = next) {
		next = TAILQ_NEXT(tc, entry);
		if (tc->closing || tc->eof || tc->reading ||
		    tc->inflight > 0 || buf_used(&tc->out) > 0 ||
		    !tcp_client_between_queries(tc)) {
			left++;
			continue;
		}
		if (give(tcp_client_release(tc)) == -1)
			log_warn("handing a TCP client over");
	}
	return (left);
}

void
tcp_listen(struct listener *l)
{
	event_assign(&l->ev, env->base, l->fd, EV_READ | EV_PERSIST,
	    tcp_accept_cb, l);
	if (!event_initialized(&t.resume_ev)) {
		evtimer_assign(&t.resume_ev, env->base, accept_resume_cb,
		    NULL);
		event_assign(&t.flush_ev, env->base, -1, 0, tcp_flush_all,
		    NULL);
		/* the descriptor given up when accept() hits EMFILE */
		if ((t.spare_fd = socket(AF_INET, SOCK_STREAM |
		    SOCK_CLOEXEC, 0)) == -1)
			log_warn("spare descriptor");
	}
	event_add(&l->ev, NULL);
}

/*
 * One query framed off the stream: admitted or answered at once; one
 * that takes a slot is linked to this client, counts toward its
 * pipeline, and starts.
 */
static void
tcp_query(struct tcp_client *tc, const uint8_t *msg, size_t len)
{
	struct origin	 o;
	struct query	*q;
	int		 close;

	o.fe = &tcp_frontend;
	o.transport = QT_TCP;
	o.fd = -1;
	o.allowed = tc->allowed;
	o.client = tc;
	q = admit(&o, (struct sockaddr *)&tc->peer, tc->peerlen, msg, len,
	    &close);
	if (close)
		tcp_client_schedule_close(tc);
	if (q == NULL)
		return;
	TAILQ_INSERT_TAIL(&tc->queries, q, cq);
	if (++tc->inflight >= env->conf->sc.tcp_max_pipeline)
		tcp_client_read_enable(tc, 0);
	query_start(q);
}

/* An answer for a client, framed; nothing if the client went away. */
static size_t
tcp_answer(const struct origin *o, const struct sockaddr *sa,
    socklen_t salen, uint8_t *msg, size_t len,
    const struct dns_query_info *qi)
{
	(void)sa;
	(void)salen;
	(void)qi;
	if (o->client == NULL)
		return (0);
	tcp_client_send(o->client, msg, len);
	return (len);
}

static void
accept_pause(int ms)
{
	int		i;

	for (i = 0; i < env->nlisteners; i++)
		if (env->listeners[i].proto == LISTEN_TCP &&
		    !env->listeners[i].paused) {
			event_del(&env->listeners[i].ev);
			env->listeners[i].paused = 1;
		}
	t.paused = 1;
	if (ms > 0) {
		timer_in(&t.resume_ev, ms);
	}
}

/*
 * Out of descriptors: the spare one is given up for a moment so the
 * connection at the head of the queue can be taken and closed, and the
 * client learns at once rather than waiting in the queue; then accepting
 * pauses, since the listener would otherwise stay readable and the loop
 * spin.
 */
static void
accept_shed(int fd)
{
	int	s;

	if (t.spare_fd != -1) {
		close(t.spare_fd);
		if ((s = accept(fd, NULL, NULL)) != -1)
			close(s);
		t.spare_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
		    0);
	}
	accept_pause(ACCEPT_BACKOFF_MS);
}

static void
accept_resume_cb(int fd, short ev, void *arg)
{
	int	i;

	(void)fd;
	(void)ev;
	(void)arg;
	if (t.n >= env->conf->sc.tcp_max_conn || env->draining)
		return;		/* a closing client resumes us */
	if (t.spare_fd == -1)
		t.spare_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < env->nlisteners; i++)
		if (env->listeners[i].paused) {
			event_add(&env->listeners[i].ev, NULL);
			env->listeners[i].paused = 0;
		}
	t.paused = 0;
}

static void
tcp_accept_cb(int fd, short ev, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 s, on = 1;

	(void)ev;
	(void)arg;
	for (;;) {
		if (t.n >= env->conf->sc.tcp_max_conn) {
			accept_pause(0);
			return;
		}
		sslen = sizeof(ss);
		s = accept4(fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warnx("accept: %s, pausing",
				    strerror(errno));
				accept_shed(fd);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		/* answers go out as they are ready, not when Nagle allows */
		if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) == -1)
			log_debug("TCP_NODELAY: %s", strerror(errno));
		if (tcp_client_new(s, &ss, sslen) == NULL)
			continue;
	}
}

/* A connected client socket becomes a client; NULL (s closed) if not. */
struct tcp_client *
tcp_client_new(int s, const struct sockaddr_storage *ss, socklen_t sslen)
{
	struct tcp_client	*tc;
	struct timeval		 tv;

	/* one address may not hold every connection */
	if (clients_tcp_add((const struct sockaddr *)ss) == -1) {
		log_limit(&rl_client_tcp, now_ms(),
		    "connections over tcp-max-connections-per-client");
		close(s);
		return (NULL);
	}
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		log_warn("tcp client");
		clients_tcp_del((const struct sockaddr *)ss);
		close(s);
		return (NULL);
	}
	tc->fd = s;
	tc->peer = *ss;
	tc->peerlen = sslen;
	tc->allowed = conf_acl_match(&env->conf->acl,
	    (const struct sockaddr *)ss) == ACL_ALLOW;
	TAILQ_INIT(&tc->queries);
	/* one answer of the largest size always fits */
	buf_init(&tc->out, env->conf->sc.tcp_max_output + 2);
	event_assign(&tc->rev, env->base, s, EV_READ | EV_PERSIST,
	    tcp_read_cb, tc);
	event_assign(&tc->wev, env->base, s, EV_WRITE | EV_PERSIST,
	    tcp_write_cb, tc);
	evtimer_assign(&tc->tmo, env->base, tcp_timeout_cb, tc);
	/* a connection taken over at a reload starts a new lifetime */
	evtimer_assign(&tc->life, env->base, tcp_lifetime_cb, tc);
	tv.tv_sec = env->conf->sc.tcp_max_lifetime;
	tv.tv_usec = 0;
	evtimer_add(&tc->life, &tv);
	TAILQ_INSERT_TAIL(&t.clients, tc, entry);
	t.n++;
	tcp_client_read_enable(tc, 1);
	tcp_client_idle_arm(tc);
	return (tc);
}

/* No part of a query in our buffer: the next byte starts a new one. */
static int
tcp_client_between_queries(const struct tcp_client *tc)
{
	return (tc->rlen == 0 && tc->frame.skip == 0);
}

/*
 * While retiring, a client is read only up to the end of a query, so
 * that whatever it sends next waits in the socket for the engine that
 * takes the connection over.
 */
static void
tcp_client_read_enable(struct tcp_client *tc, int on)
{
	if (on && env->draining && tcp_client_between_queries(tc))
		on = 0;
	if (on && !tc->reading && !tc->closing) {
		event_add(&tc->rev, NULL);
		tc->reading = 1;
	} else if (!on && tc->reading) {
		event_del(&tc->rev);
		tc->reading = 0;
	}
}

/*
 * RFC 7766 6.2.3: the idle clock runs only while no query is in flight.
 * Only a whole message read, or output the client took, sets it back:
 * partial bytes do not, so a client that trickles a byte at a time or
 * never finishes its length prefix is cut off all the same, and so is one
 * that leaves its answers unread.
 */
static void
tcp_client_idle_arm(struct tcp_client *tc)
{
	struct timeval	tv;

	if (tc->closing)
		return;
	tv.tv_sec = env->conf->sc.tcp_idle_timeout;
	tv.tv_usec = 0;
	evtimer_add(&tc->tmo, &tv);
}

static void
tcp_timeout_cb(int fd, short ev, void *arg)
{
	struct tcp_client	*tc = arg;

	(void)fd;
	(void)ev;
	if (tc->closing || tc->inflight == 0) {
		if (!tc->closing && buf_used(&tc->out) > 0) {
			log_debug("tcp client left its answers unread, "
			    "closing");
			tc->abort = 1;
		}
		tcp_client_close(tc);
		return;
	}
	tcp_client_idle_arm(tc);
}

/*
 * tcp-max-lifetime: the connection takes no more queries, as if the
 * client had shut its side, and closes once those in flight are answered
 * and written; the idle clock still bounds a client that does not read.
 */
static void
tcp_lifetime_cb(int fd, short ev, void *arg)
{
	struct tcp_client	*tc = arg;

	(void)fd;
	(void)ev;
	if (tc->closing)
		return;
	log_debug("tcp client reached tcp-max-lifetime");
	tc->eof = 1;
	tcp_client_read_enable(tc, 0);
	tcp_client_maybe_done(tc);
}

/*
 * Closing from inside a call chain that may still hold tc (a reply being
 * delivered, a read loop) only marks it; the timer event frees it once
 * control is back in the event loop.
 */
static void
tcp_client_schedule_close(struct tcp_client *tc)
{
	struct timeval	tv = { 0, 0 };

	if (tc->closing)
		return;
	tc->closing = 1;
	tcp_client_read_enable(tc, 0);
	event_del(&tc->wev);
	evtimer_add(&tc->tmo, &tv);
}

/* Frees the client and gives its socket to the caller. */
static int
tcp_client_release(struct tcp_client *tc)
{
	int	fd = tc->fd;

	tc->fd = -1;
	tcp_client_close(tc);
	return (fd);
}

static void
tcp_client_close(struct tcp_client *tc)
{
	struct linger	lg = { 1, 0 };

	/*
	 * A client that does not read would keep what the kernel still
	 * holds for it until its window opens: a reset frees it at once.
	 */
	if (tc->abort && setsockopt(tc->fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)) == -1)
		log_debug("SO_LINGER: %s", strerror(errno));
	tcp_client_detach_all(tc);
	if (tc->dirty) {
		TAILQ_REMOVE(&t.dirty, tc, dirty_entry);
		tc->dirty = 0;
	}
	event_del(&tc->rev);
	event_del(&tc->wev);
	event_del(&tc->tmo);
	event_del(&tc->life);
	clients_tcp_del((struct sockaddr *)&tc->peer);
	if (tc->fd != -1)
		close(tc->fd);
	buf_free(&tc->out);
	TAILQ_REMOVE(&t.clients, tc, entry);
	t.n--;
	free(tc);
	if (t.paused && !evtimer_pending(&t.resume_ev, NULL))
		accept_resume_cb(-1, 0, NULL);
}

/* Answers still on their way for a client that left go nowhere. */
static void
tcp_client_detach_all(struct tcp_client *tc)
{
	struct query	*q;

	while ((q = TAILQ_FIRST(&tc->queries)) != NULL) {
		TAILQ_REMOVE(&tc->queries, q, cq);
		q->origin.client = NULL;
	}
	tc->inflight = 0;
}

/* The query owner is done with one of this client's queries. */
static void
tcp_release(struct query *q)
{
	struct tcp_client	*tc = q->origin.client;

	if (tc == NULL)
		return;
	TAILQ_REMOVE(&tc->queries, q, cq);
	q->origin.client = NULL;
	if (tc->inflight-- == env->conf->sc.tcp_max_pipeline && !tc->eof) {
		tcp_client_read_enable(tc, 1);
		/* queries may already wait in rbuf with nothing to wake us */
		if (tc->rlen > 0)
			event_active(&tc->rev, EV_READ, 0);
	}
	if (tc->inflight == 0)
		tcp_client_maybe_done(tc);
}

static void
tcp_client_maybe_done(struct tcp_client *tc)
{
	if (tc->inflight != 0)
		return;
	if (tc->eof && buf_used(&tc->out) == 0)
		tcp_client_schedule_close(tc);
	else
		tcp_client_idle_arm(tc);
}

/*
 * Queues an answer; every answer of this loop iteration for a client
 * leaves in one write(2) at its end (tcp_flush_all()), however many of
 * its pipelined queries were answered together: a client that keeps 200
 * queries in flight had cost a writev(2) per answer.
 */
static void
tcp_client_send(struct tcp_client *tc, const uint8_t *msg, size_t len)
{
	uint8_t		lenbuf[2];

	if (tc->closing)
		return;
	dns_put16(lenbuf, len);
	if (buf_append(&tc->out, lenbuf, 2) == -1 ||
	    buf_append(&tc->out, msg, len) == -1) {
		log_debug("tcp client not reading its answers, closing");
		tc->abort = 1;
		tcp_client_schedule_close(tc);
		return;
	}
	if (!tc->dirty) {
		tc->dirty = 1;
		TAILQ_INSERT_TAIL(&t.dirty, tc, dirty_entry);
		if (TAILQ_FIRST(&t.dirty) == tc)
			event_active(&t.flush_ev, EV_TIMEOUT, 0);
	}
}

/* After every other callback of this loop iteration. */
static void
tcp_flush_all(int fd, short ev, void *arg)
{
	struct tcp_client	*tc;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((tc = TAILQ_FIRST(&t.dirty)) != NULL) {
		TAILQ_REMOVE(&t.dirty, tc, dirty_entry);
		tc->dirty = 0;
		/*
		 * One closing for bad input still gets what was answered
		 * before it (the close runs at the next turn); one that does
		 * not read gets nothing more.
		 */
		if (!tc->abort && buf_used(&tc->out) > 0)
			tcp_write_cb(tc->fd, EV_WRITE, tc);
	}
}

static void
tcp_write_cb(int fd, short ev, void *arg)
{
	struct tcp_client	*tc = arg;
	ssize_t			 n;

	(void)ev;
	n = write(fd, buf_head(&tc->out), buf_used(&tc->out));
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			/* the socket is full: wait until the client reads */
			event_add(&tc->wev, NULL);
			return;
		}
		tcp_client_close(tc);
		return;
	}
	buf_consume(&tc->out, n);
	if (buf_used(&tc->out) == 0)
		event_del(&tc->wev);
	else
		event_add(&tc->wev, NULL);
	tcp_client_maybe_done(tc);	/* the client reads: not idle */
}

static void
tcp_read_cb(int fd, short ev, void *arg)
{
	struct tcp_client	*tc = arg;
	struct frame_msg	 m;
	enum frame_result	 r;
	ssize_t			 n;
	size_t			 off;
	int			 whole = 0;

	(void)ev;
	n = read(fd, tc->rbuf + tc->rlen, sizeof(tc->rbuf) - tc->rlen);
	if (n == -1) {
		/* woken by tcp_release() to drain the buffer */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			tcp_client_close(tc);
			return;
		}
	} else if (n == 0) {
		/* A half-closed client may still read what it asked for. */
		tc->eof = 1;
		tcp_client_read_enable(tc, 0);
		if (tc->inflight == 0 && buf_used(&tc->out) == 0) {
			tcp_client_close(tc);
			return;
		}
	} else
		tc->rlen += n;

	off = 0;
	while (!tc->closing) {
		r = frame_next(&tc->frame, DNS_MAX_QUERY, tc->rbuf, tc->rlen,
		    &off, &m);
		if (r == FRAME_NEED)
			break;
		if (r == FRAME_BAD) {
			tcp_client_schedule_close(tc);
			break;
		}
		/* an oversized one comes as its header: FORMERR, or drop */
		tcp_query(tc, m.data, m.len);
		if (r != FRAME_MSG)
			continue;
		whole = 1;
		if (!tc->reading)
			break;	/* pipeline full: leave the rest queued */
	}
	if (off > 0) {
		memmove(tc->rbuf, tc->rbuf + off, tc->rlen - off);
		tc->rlen -= off;
	}
	if (tc->closing)
		return;
	if (env->draining && tcp_client_between_queries(tc))
		tcp_client_read_enable(tc, 0);
	if (tc->inflight > 0)
		evtimer_del(&tc->tmo);
	else if (tc->eof && buf_used(&tc->out) == 0)
		tcp_client_schedule_close(tc);
	else if (whole)
		tcp_client_idle_arm(tc);
	/* partial bytes leave the idle clock running */
}
