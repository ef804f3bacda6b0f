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
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "httpreq.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "oneshot.h"
#include "sandbox.h"
#include "stats.h"
#include "testhook.h"

/*
 * The metrics process: whatever the parent would otherwise have to parse
 * or add up.  A fork + exec of the binary (-M), given the configuration
 * of start-up, the Prometheus endpoint's socket (`metrics listen on`)
 * and the control socket over its socketpair, then chroot, the user's
 * ids, no_new_privs and a seccomp filter of its own (sandbox_metrics()).
 * Engines' counters reach it through the parent every second; it keeps
 * the sum (statsum.c), renders it for GET /metrics (404 to any other
 * path, nothing else: one request per connection, a bounded request, a
 * timeout and a cap on connections) and for the control socket
 * (control.c), whose reload, flush and log requests it passes to the
 * parent.
 */

#define METRICS_TEXT_MAX	(1024 * 1024)	/* 64 upstreams, every label long */
#define METRICS_REQ_MAX		4096	/* request line and headers */
#define METRICS_MAX_CONN	16
#define METRICS_TIMEOUT		5	/* seconds */

static struct {
	struct event_base	*base;
	struct ipc		 ipc;
	struct event		 ipc_ev;
	short			 ipc_evflags;
	int			 lfd;		/* the endpoint, or -1 */
	int			 cfd;		/* the control socket, or -1 */
	uid_t			 cuid;
	struct event		 accept_ev;
	struct oneshot		 os;
	struct ipc_stats	 sum;
	char			 text[METRICS_TEXT_MAX];
} mp;

static void	 mp_recv_config(struct conf_scalars *);
static void	 mp_dispatch(int, short, void *);
static void	 mp_arm(void);
static void	 mp_send(uint32_t, const void *, size_t);
static void	 mp_accept(int, short, void *);
static void	 mp_read(struct bufferevent *);
static void	 mp_send_log(int, const char *);

void
metrics_main(int debug)
{
	struct conf_scalars	sc;
	struct rlimit		rl;

	(void)debug;
	log_procinit("metrics");
	ipc_init(&mp.ipc, ENGINE_FD, IPC_FDTYPE(IPC_RECONF_LISTEN) |
	    IPC_FDTYPE(IPC_RECONF_CONTROL));
	log_set_sender(mp_send_log);
	mp.lfd = mp.cfd = -1;
	mp_recv_config(&sc);
	log_setverbose(sc.verbose);
	signal(SIGPIPE, SIG_IGN);
	if ((mp.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (fcntl(ENGINE_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	mp_arm();
	if (mp.lfd != -1) {
		mp.os.base = mp.base;
		mp.os.max = METRICS_MAX_CONN;
		mp.os.timeout = METRICS_TIMEOUT;
		mp.os.maxread = METRICS_REQ_MAX;
		mp.os.request = mp_read;
		event_assign(&mp.accept_ev, mp.base, mp.lfd,
		    EV_READ | EV_PERSIST, mp_accept, NULL);
		event_add(&mp.accept_ev, NULL);
	}
	if (mp.cfd != -1)
		control_start(mp.base, mp.cfd, mp.cuid, mp_send);

	testhook_presandbox();
	/* its sockets, the clients of both, and some for libc and libevent */
	rl.rlim_cur = rl.rlim_max = 2 * METRICS_MAX_CONN + 16;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("setrlimit RLIMIT_NOFILE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1 ||
	    setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit");
	sandbox_drop_user(&sc);
	sandbox_metrics();
	log_debug("metrics process ready");
	event_base_dispatch(mp.base);
	exit(0);
}

static void
mp_recv_config(struct conf_scalars *sc)
{
	struct ipc_msg		msg;
	struct ipc_control	ic;
	ssize_t			n;
	int			r, have_conf = 0;

	for (;;) {
		if ((r = ipc_get(&mp.ipc, &msg)) == -1)
			fatal("config from parent");
		if (r == 0) {
			if ((n = ipc_read(&mp.ipc)) == -1)
				fatal("read config from parent");
			if (n == 0)
				fatalx("parent closed during configuration");
			continue;
		}
		switch (msg.hdr.type) {
		case IPC_RECONF_CONF:
			if (msg.hdr.len != sizeof(*sc))
				fatalx("bad IPC_RECONF_CONF");
			memcpy(sc, msg.data, sizeof(*sc));
			if (memchr(sc->chroot, '\0', sizeof(sc->chroot)) ==
			    NULL)
				fatalx("unterminated chroot");
			have_conf = 1;
			break;
		case IPC_RECONF_LISTEN:
			if (mp.lfd != -1)
				fatalx("bad IPC_RECONF_LISTEN");
			mp.lfd = msg.fd;
			break;
		case IPC_RECONF_CONTROL:
			if (mp.cfd != -1 || msg.hdr.len != sizeof(ic))
				fatalx("bad IPC_RECONF_CONTROL");
			memcpy(&ic, msg.data, sizeof(ic));
			mp.cfd = msg.fd;
			mp.cuid = ic.uid;
			break;
		case IPC_RECONF_END:
			if (!have_conf)
				fatalx("incomplete configuration");
			return;
		default:
			fatalx("unexpected message type %u", msg.hdr.type);
		}
	}
}

static void
mp_send_log(int pri, const char *text)
{
	if (ipc_compose_log(&mp.ipc, pri, text) == 0)
		(void)ipc_flush(&mp.ipc);
}

/* control.c's requests for the parent */
static void
mp_send(uint32_t type, const void *data, size_t len)
{
	if (ipc_compose(&mp.ipc, type, -1, data, len) == -1)
		fatal("ipc_compose");
	mp_arm();
}

static void
mp_arm(void)
{
	short	want = EV_READ | EV_PERSIST;

	if (ipc_pending(&mp.ipc))
		want |= EV_WRITE;
	if (mp.ipc_evflags == want)
		return;
	if (mp.ipc_evflags != 0)
		event_del(&mp.ipc_ev);
	event_assign(&mp.ipc_ev, mp.base, ENGINE_FD, want, mp_dispatch,
	    NULL);
	event_add(&mp.ipc_ev, NULL);
	mp.ipc_evflags = want;
}

/*
 * From the parent: engines' reports and ends, answers to control
 * requests, the log level.  The parent is trusted; the reports it passes
 * on are an engine's and are checked as such.
 */
static void
mp_dispatch(int fd, short ev, void *arg)
{
	static struct ipc_engine_stats es;	/* 6 KiB: not on the stack */
	struct ipc_msg		msg;
	struct ipc_engine_gone	g;
	struct ipc_ctl_done	done;
	int32_t			v;
	ssize_t			n;
	int			r;

	(void)fd;
	(void)arg;
	if (ev & EV_WRITE) {
		if (ipc_flush(&mp.ipc) == -1 && errno != EAGAIN)
			exit(1);
		mp_arm();
	}
	if (!(ev & EV_READ))
		return;
	if ((n = ipc_read(&mp.ipc)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		exit(1);
	}
	if (n == 0)
		exit(0);	/* the parent is gone */
	while ((r = ipc_get(&mp.ipc, &msg)) == 1) {
		switch (msg.hdr.type) {
		case IPC_ENGINE_STATS:
			if (msg.hdr.len != sizeof(es))
				fatalx("bad IPC_ENGINE_STATS");
			memcpy(&es, msg.data, sizeof(es));
			if (statsum_update(&es) == -1)
				log_warnx("an engine's report is malformed, "
				    "dropped");
			break;
		case IPC_ENGINE_GONE:
			if (msg.hdr.len != sizeof(g))
				fatalx("bad IPC_ENGINE_GONE");
			memcpy(&g, msg.data, sizeof(g));
			statsum_gone(g.pid);
			break;
		case IPC_CTL_DONE:
			if (msg.hdr.len != sizeof(done))
				fatalx("bad IPC_CTL_DONE");
			memcpy(&done, msg.data, sizeof(done));
			control_done(done.id, done.ok);
			break;
		case IPC_SET_VERBOSE:
			if (msg.hdr.len != sizeof(v))
				fatalx("bad IPC_SET_VERBOSE");
			memcpy(&v, msg.data, sizeof(v));
			log_setverbose(v);
			break;
		default:
			fatalx("unexpected message type %u", msg.hdr.type);
		}
	}
	if (r == -1)
		fatal("message from parent");
}

static void
mp_accept(int fd, short ev, void *arg)
{
	int	s;

	(void)ev;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) !=
	    -1)
		oneshot_accept(&mp.os, s);
}

static void
mp_respond(struct bufferevent *bev, const char *status, const char *body,
    size_t len)
{
	char	head[256];
	int	n;

	n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\n"
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);
	/* the header first: the reply closes the connection once written */
	(void)bufferevent_write(bev, head, n);
	oneshot_reply(bev, body, len);
}

/*
 * Waits for the end of the headers, within METRICS_REQ_MAX, then
 * answers by the request line only (httpreq_status()).
 */
static void
mp_read(struct bufferevent *bev)
{
	static const char	 nf[] = "not found\n", na[] = "GET only\n",
				 bad[] = "bad request\n";
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 len = evbuffer_get_length(in);
	const char		*buf;

	/* at most METRICS_REQ_MAX + 1 bytes: the read watermark */
	if (len == 0 || (buf = (const char *)evbuffer_pullup(in, -1)) ==
	    NULL)
		return;
	switch (httpreq_status(buf, len, METRICS_REQ_MAX)) {
	case HTTPREQ_MORE:
		break;
	case HTTPREQ_TOO_LARGE:
		mp_respond(bev, "431 Request Header Fields Too Large", bad,
		    sizeof(bad) - 1);
		break;
	case HTTPREQ_BAD:
		mp_respond(bev, "400 Bad Request", bad, sizeof(bad) - 1);
		break;
	case HTTPREQ_NOT_ALLOWED:
		mp_respond(bev, "405 Method Not Allowed", na, sizeof(na) - 1);
		break;
	case HTTPREQ_NOT_FOUND:
		mp_respond(bev, "404 Not Found", nf, sizeof(nf) - 1);
		break;
	case HTTPREQ_OK:
		statsum_get(&mp.sum);
		len = stats_render_metrics(&mp.sum, mp.text, sizeof(mp.text));
		mp_respond(bev, "200 OK", mp.text, len);
		break;
	}
}
