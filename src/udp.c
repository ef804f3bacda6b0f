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
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "dns.h"
#include "engine.h"
#include "frontend.h"
#include "log.h"
#include "query.h"
#include "report.h"

/*
 * UDP in batches: one recvmmsg() takes up to UDP_BATCH queries, and the
 * answers made while the loop runs (cache hits at once, upstream replies
 * as they are read) wait in a preallocated arena until the end of the
 * loop iteration, when one sendmmsg() per socket sends them together.
 */

#define RX_SIZE		(DNS_MAX_QUERY + 1)	/* longer means malformed */
#define TX_ARENA	(256 * 1024)
#define TX_MAX		256			/* datagrams per flush */

static struct {
	struct mmsghdr		 rx[UDP_BATCH];
	struct iovec		 rxiov[UDP_BATCH];
	struct sockaddr_storage	 rxaddr[UDP_BATCH];
	uint8_t			*rxbuf;

	struct mmsghdr		 tx[TX_MAX];
	struct iovec		 txiov[TX_MAX];
	struct sockaddr_storage	 txaddr[TX_MAX];
	int			 txfd[TX_MAX];
	int			 ntx;
	uint8_t			*arena;
	size_t			 used;
	struct event		 flush_ev;
	int			 scheduled;
} u;

static void	udp_flush(int, short, void *);
static void	udp_read_cb(int, short, void *);
static void	udp_send(int, const struct sockaddr *, socklen_t,
		    const uint8_t *, size_t);
static size_t	udp_answer(const struct origin *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t, const struct dns_query_info *);

/* UDP queries are linked to nothing: no release call */
static const struct frontend	udp_frontend = { udp_answer, NULL };

void
udp_init(void)
{
	int	i;

	if ((u.rxbuf = malloc(UDP_BATCH * RX_SIZE)) == NULL ||
	    (u.arena = malloc(TX_ARENA)) == NULL)
		fatal("udp buffers");
	for (i = 0; i < UDP_BATCH; i++) {
		u.rxiov[i].iov_base = u.rxbuf + i * RX_SIZE;
		u.rxiov[i].iov_len = RX_SIZE;
		u.rx[i].msg_hdr.msg_name = &u.rxaddr[i];
		u.rx[i].msg_hdr.msg_iov = &u.rxiov[i];
		u.rx[i].msg_hdr.msg_iovlen = 1;
	}
	event_assign(&u.flush_ev, env->base, -1, 0, udp_flush, NULL);
}

void
udp_listen(struct listener *l)
{
	event_assign(&l->ev, env->base, l->fd, EV_READ | EV_PERSIST,
	    udp_read_cb, l);
	event_add(&l->ev, NULL);
}

/* Retiring: no new datagrams are read. */
void
udp_stop(void)
{
	int	i;

	for (i = 0; i < env->nlisteners; i++)
		if (env->listeners[i].proto == LISTEN_UDP)
			event_del(&env->listeners[i].ev);
}

static void
udp_read_cb(int fd, short ev, void *arg)
{
	struct listener	*l = arg;
	struct msghdr	*h;
	struct origin	 o;
	struct query	*q;
	int		 i, n, close;

	(void)ev;
	/* the kernel rewrites only the address lengths and flags */
	for (i = 0; i < UDP_BATCH; i++) {
		h = &u.rx[i].msg_hdr;
		h->msg_namelen = sizeof(u.rxaddr[i]);
		h->msg_control = NULL;
		h->msg_controllen = 0;
		h->msg_flags = 0;
	}
	if ((n = recvmmsg(fd, u.rx, UDP_BATCH, MSG_DONTWAIT, NULL)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_debug("recvmmsg: %s", strerror(errno));
		return;
	}
	o.fe = &udp_frontend;
	o.transport = QT_UDP;
	o.fd = l->fd;
	o.allowed = -1;
	o.client = NULL;
	for (i = 0; i < n; i++) {
		q = admit(&o, (struct sockaddr *)&u.rxaddr[i],
		    u.rx[i].msg_hdr.msg_namelen, u.rxiov[i].iov_base,
		    u.rx[i].msg_len, &close);
		if (q != NULL)
			query_start(q);
	}
}

/*
 * An answer to a UDP client: cut to what it said it can take (RFC 2181
 * 9: additional records first, TC only when that is not enough).
 * Returns the length that went out.
 */
static size_t
udp_answer(const struct origin *o, const struct sockaddr *sa,
    socklen_t salen, uint8_t *msg, size_t len,
    const struct dns_query_info *qi)
{
	size_t	n;

	n = dns_truncate(msg, len, dns_client_max_udp(qi), qi);
	/* only a cut that sends the client to TCP counts, not lost glue */
	if (n < len && (dns_get16(msg + 2) & DNS_F_TC))
		report_count(RC_TRUNCATED);
	udp_send(o->fd, sa, salen, msg, n);
	return (n);
}

/* Queues one answer; it leaves at the end of this loop iteration. */
static void
udp_send(int fd, const struct sockaddr *sa, socklen_t salen,
    const uint8_t *msg, size_t len)
{
	int	i;

	if (salen > sizeof(u.txaddr[0]))
		return;
	if (u.ntx == TX_MAX || TX_ARENA - u.used < len)
		udp_flush(-1, 0, NULL);
	if (TX_ARENA - u.used < len) {
		/* larger than the arena: only possible for huge EDNS sizes */
		if (sendto(fd, msg, len, MSG_DONTWAIT, sa, salen) == -1)
			log_debug("sendto: %s", strerror(errno));
		return;
	}
	i = u.ntx++;
	memcpy(u.arena + u.used, msg, len);
	u.txiov[i].iov_base = u.arena + u.used;
	u.txiov[i].iov_len = len;
	u.used += len;
	memcpy(&u.txaddr[i], sa, salen);
	memset(&u.tx[i].msg_hdr, 0, sizeof(u.tx[i].msg_hdr));
	u.tx[i].msg_hdr.msg_name = &u.txaddr[i];
	u.tx[i].msg_hdr.msg_namelen = salen;
	u.tx[i].msg_hdr.msg_iov = &u.txiov[i];
	u.tx[i].msg_hdr.msg_iovlen = 1;
	u.txfd[i] = fd;
	if (!u.scheduled) {
		u.scheduled = 1;
		event_active(&u.flush_ev, EV_TIMEOUT, 0);
	}
}

/*
 * One sendmmsg() per run of answers on the same socket.  A datagram the
 * kernel will not take now is dropped, as sendto() would have: the
 * client retries, and a UDP server must not queue without bound.
 */
static void
udp_flush(int fd, short ev, void *arg)
{
	int	i = 0, j, n;

	(void)fd;
	(void)ev;
	(void)arg;
	while (i < u.ntx) {
		for (j = i + 1; j < u.ntx && u.txfd[j] == u.txfd[i]; j++)
			;
		while (i < j) {
			n = sendmmsg(u.txfd[i], &u.tx[i], j - i, MSG_DONTWAIT);
			if (n <= 0) {
				if (n == -1)
					log_debug("sendmmsg: %s",
					    strerror(errno));
				i++;	/* skip the one that failed */
				continue;
			}
			i += n;
		}
	}
	u.ntx = 0;
	u.used = 0;
	u.scheduled = 0;
}
