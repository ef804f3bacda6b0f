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
#include <sys/wait.h>

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
#include "engine.h"
#include "httpreq.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "oneshot.h"
#include "parent.h"
#include "stats.h"
#include "testhook.h"

/*
 * `metrics listen on ADDR port N`: the Prometheus endpoint.  HTTP comes
 * from the network and the parent never parses network input, so a
 * process of its own serves it: fork + exec of the binary (-M), given
 * the listening socket and the configuration over a socketpair, then
 * chroot, the user's ids, no_new_privs and a seccomp filter of its own
 * (sandbox_metrics()).  The parent pushes the rendered text every
 * second; the process answers GET /metrics with the latest, 404 to any
 * other path, and nothing else: one request per connection, a bounded
 * request, a timeout and a cap on connections.
 */

#define METRICS_TEXT_MAX	(256 * 1024)
#define METRICS_REQ_MAX		4096	/* request line and headers */
#define METRICS_MAX_CONN	16
#define METRICS_TIMEOUT		5	/* seconds */
#define METRICS_RESTART		1000	/* ms before a new process */

/* the parent's side */
static struct {
	struct event_base	*base;
	const char		*self;
	int			 debug;
	int			 lfd;
	pid_t			 pid;
	struct ipc		 ipc;
	struct event		 ev;
	short			 evflags;
	struct event		 push_ev;
	struct event		 restart_ev;
	struct conf_scalars	 sc;
	char			 text[METRICS_TEXT_MAX];
} pm = { .lfd = -1, .pid = -1 };

/* the metrics process's side */
static struct {
	struct event_base	*base;
	struct ipc		 ipc;
	struct event		 ipc_ev;
	int			 lfd;
	struct event		 accept_ev;
	struct oneshot		 os;
	char			*text;	/* the latest complete text */
	size_t			 textlen;
	char			*next;	/* being received */
	size_t			 nextlen;
} mp;

static void	 metrics_spawn(void);
static void	 metrics_push(int, short, void *);
static void	 metrics_parent_dispatch(int, short, void *);
static void	 metrics_arm(void);
static void	 metrics_restart_cb(int, short, void *);

/*
 * Binds the endpoint's socket, before the parent daemonises, so that an
 * address that cannot be had stops the start.
 */
int
metrics_init(const struct conf_scalars *sc)
{
	int	s, on = 1, saved;

	if (sc->metrics_sslen == 0)
		return (0);
	pm.sc = *sc;
	if ((s = socket(sc->metrics_ss.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (sc->metrics_ss.ss_family == AF_INET6 && setsockopt(s,
	    IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(s, (const struct sockaddr *)&sc->metrics_ss,
	    sc->metrics_sslen) == -1 || listen(s, METRICS_MAX_CONN) == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return (-1);
	}
	pm.lfd = s;
	return (0);
}

void
metrics_start(struct event_base *base, const char *self, int debug)
{
	struct timeval	tv = { STATS_PERIOD, 0 };

	if (pm.lfd == -1)
		return;
	pm.base = base;
	pm.self = self;
	pm.debug = debug;
	evtimer_assign(&pm.restart_ev, base, metrics_restart_cb, NULL);
	event_assign(&pm.push_ev, base, -1, EV_PERSIST, metrics_push, NULL);
	evtimer_add(&pm.push_ev, &tv);
	metrics_spawn();
}

void
metrics_stop(void)
{
	if (pm.lfd == -1)
		return;
	evtimer_del(&pm.push_ev);
	evtimer_del(&pm.restart_ev);
	if (pm.pid != -1)
		kill(pm.pid, SIGTERM);
}

static void
metrics_spawn(void)
{
	struct ipc_listen	 il;
	char			*argv[4];
	int			 sp[2], argc = 0;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("metrics: socketpair");
		goto retry;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("metrics: fork");
		close(sp[0]);
		close(sp[1]);
		goto retry;
	case 0:
		if ((sp[1] = fcntl(sp[1], F_DUPFD, ENGINE_VIOLATION_FD + 1)) ==
		    -1 || dup2(sp[1], ENGINE_FD) == -1)
			_exit(127);
		closefrom(ENGINE_FD + 1);
		signal(SIGPIPE, SIG_DFL);
		argv[argc++] = "dotproxy: metrics";
		argv[argc++] = "-M";
		if (pm.debug)
			argv[argc++] = "-d";
		argv[argc] = NULL;
		execv(pm.self, argv);
		_exit(127);
	}
	close(sp[1]);
	pm.pid = pid;
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	ipc_init(&pm.ipc, sp[0], 0);
	memset(&il, 0, sizeof(il));
	il.proto = LISTEN_TCP;
	il.ss = pm.sc.metrics_ss;
	il.sslen = pm.sc.metrics_sslen;
	if (ipc_compose(&pm.ipc, IPC_RECONF_CONF, -1, &pm.sc,
	    sizeof(pm.sc)) == -1 ||
	    ipc_compose(&pm.ipc, IPC_RECONF_LISTEN, pm.lfd, &il,
	    sizeof(il)) == -1 ||
	    ipc_compose(&pm.ipc, IPC_RECONF_END, -1, NULL, 0) == -1)
		fatal("ipc_compose");
	log_debug("metrics process started, pid %d", (int)pid);
	metrics_push(-1, 0, NULL);
	return;
 retry:
	{
		struct timeval	tv = { 0, METRICS_RESTART * 1000 };
		evtimer_add(&pm.restart_ev, &tv);
	}
}

static void
metrics_restart_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	metrics_spawn();
}

/*
 * The latest text, in chunks.  A process that has not read the last one
 * yet gets none: the queue never grows.
 */
static void
metrics_push(int fd, short ev, void *arg)
{
	static struct ipc_stats	 st;
	size_t			 len, off, chunk;

	(void)fd;
	(void)ev;
	(void)arg;
	if (pm.pid == -1 || (ipc_pending(&pm.ipc) && fd != -1))
		return;
	parent_stats(&st);
	len = stats_render_metrics(&st, pm.text, sizeof(pm.text));
	for (off = 0; off < len; off += chunk) {
		chunk = len - off > IPC_MAX_PAYLOAD ? IPC_MAX_PAYLOAD :
		    len - off;
		if (ipc_compose(&pm.ipc, IPC_METRICS_TEXT, -1, pm.text + off,
		    chunk) == -1)
			fatal("ipc_compose");
	}
	if (ipc_compose(&pm.ipc, IPC_METRICS_END, -1, NULL, 0) == -1)
		fatal("ipc_compose");
	metrics_arm();
}

static void
metrics_arm(void)
{
	short	want = EV_READ | EV_PERSIST;

	if (ipc_pending(&pm.ipc))
		want |= EV_WRITE;
	if (pm.evflags == want)
		return;
	if (pm.evflags != 0)
		event_del(&pm.ev);
	event_assign(&pm.ev, pm.base, pm.ipc.fd, want,
	    metrics_parent_dispatch, NULL);
	event_add(&pm.ev, NULL);
	pm.evflags = want;
}

/* The process only logs; anything else, or anything malformed, kills it. */
static void
metrics_parent_dispatch(int fd, short ev, void *arg)
{
	struct ipc_msg	msg;
	ssize_t		n;
	int		r;

	(void)fd;
	(void)arg;
	if (ev & EV_WRITE) {
		(void)ipc_flush(&pm.ipc);
		metrics_arm();
	}
	if (!(ev & EV_READ))
		return;
	if ((n = ipc_read(&pm.ipc)) == -1 && (errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		event_del(&pm.ev);
		pm.evflags = 0;
		return;
	}
	while ((r = ipc_get(&pm.ipc, &msg)) == 1)
		if (msg.hdr.type != IPC_LOG ||
		    parent_log_record("metrics", &msg) == -1)
			break;
	if (r != 0) {
		log_warnx("metrics process: bad message, killing it");
		event_del(&pm.ev);
		pm.evflags = 0;
		kill(pm.pid, SIGKILL);
	}
}

/* Returns 1 when pid was the metrics process; a new one follows. */
int
metrics_reaped(pid_t pid, int status, int stopping)
{
	struct timeval	tv = { 0, METRICS_RESTART * 1000 };

	if (pid != pm.pid)
		return (0);
	if (pm.evflags != 0)
		event_del(&pm.ev);
	pm.evflags = 0;
	ipc_clear(&pm.ipc);
	close(pm.ipc.fd);
	pm.pid = -1;
	if (stopping)
		return (1);
	if (WIFSIGNALED(status))
		log_warnx("metrics process (pid %d) killed by signal %d%s",
		    (int)pid, WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (sandbox violation)" : "");
	else
		log_warnx("metrics process (pid %d) exited with status %d",
		    (int)pid, WEXITSTATUS(status));
	evtimer_add(&pm.restart_ev, &tv);
	return (1);
}

/* The metrics process. */

static void	 mp_recv_config(struct conf_scalars *);
static void	 mp_dispatch(int, short, void *);
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
	ipc_init(&mp.ipc, ENGINE_FD, IPC_FDTYPE(IPC_RECONF_LISTEN));
	log_set_sender(mp_send_log);
	mp.lfd = -1;
	mp_recv_config(&sc);
	log_setverbose(sc.verbose);
	signal(SIGPIPE, SIG_IGN);
	if ((mp.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((mp.text = malloc(METRICS_TEXT_MAX)) == NULL ||
	    (mp.next = malloc(METRICS_TEXT_MAX)) == NULL)
		fatal(NULL);
	if (fcntl(ENGINE_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	event_assign(&mp.ipc_ev, mp.base, ENGINE_FD, EV_READ | EV_PERSIST,
	    mp_dispatch, NULL);
	event_add(&mp.ipc_ev, NULL);
	mp.os.base = mp.base;
	mp.os.max = METRICS_MAX_CONN;
	mp.os.timeout = METRICS_TIMEOUT;
	mp.os.maxread = METRICS_REQ_MAX;
	mp.os.request = mp_read;
	event_assign(&mp.accept_ev, mp.base, mp.lfd, EV_READ | EV_PERSIST,
	    mp_accept, NULL);
	event_add(&mp.accept_ev, NULL);

	testhook_presandbox();
	rl.rlim_cur = rl.rlim_max = METRICS_MAX_CONN + 16;
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
	struct ipc_msg	msg;
	ssize_t		n;
	int		r, have_conf = 0;

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
			if (msg.hdr.len != sizeof(*sc) || msg.fd != -1)
				fatalx("bad IPC_RECONF_CONF");
			memcpy(sc, msg.data, sizeof(*sc));
			if (memchr(sc->chroot, '\0', sizeof(sc->chroot)) ==
			    NULL)
				fatalx("unterminated chroot");
			have_conf = 1;
			break;
		case IPC_RECONF_LISTEN:
			if (msg.fd == -1 || mp.lfd != -1)
				fatalx("bad IPC_RECONF_LISTEN");
			mp.lfd = msg.fd;
			break;
		case IPC_RECONF_END:
			if (!have_conf || mp.lfd == -1)
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

/* The text arrives in chunks; it replaces the old one when complete. */
static void
mp_dispatch(int fd, short ev, void *arg)
{
	struct ipc_msg	 msg;
	ssize_t		 n;
	char		*t;
	int		 r;

	(void)fd;
	(void)ev;
	(void)arg;
	if ((n = ipc_read(&mp.ipc)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		exit(1);
	}
	if (n == 0)
		exit(0);	/* the parent is gone */
	while ((r = ipc_get(&mp.ipc, &msg)) == 1) {
		if (msg.fd != -1)
			fatalx("descriptor from parent");
		switch (msg.hdr.type) {
		case IPC_METRICS_TEXT:
			if (mp.nextlen + msg.hdr.len >= METRICS_TEXT_MAX)
				fatalx("metrics text too long");
			memcpy(mp.next + mp.nextlen, msg.data, msg.hdr.len);
			mp.nextlen += msg.hdr.len;
			break;
		case IPC_METRICS_END:
			t = mp.text;
			mp.text = mp.next;
			mp.textlen = mp.nextlen;
			mp.next = t;
			mp.nextlen = 0;
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
		mp_respond(bev, "200 OK", mp.text, mp.textlen);
		break;
	}
}
