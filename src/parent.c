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
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "clientshm.h"
#include "config.h"
#include "engine.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "parent.h"
#include "stats.h"

#define CA_MAX		(16 * 1024 * 1024)

/* One bound socket: which address, for which engine, which protocol. */
struct lsock {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 idx;
	int			 proto;
	int			 fd;
};

/* Everything a configuration needs before engines can be started on it. */
struct runtime {
	struct conf	*conf;
	uint8_t		*ca;
	size_t		 calen;
	struct lsock	*socks;
	int		 nsocks;
};

struct engine_proc {
	TAILQ_ENTRY(engine_proc) entry;
	pid_t			 pid;
	int			 idx;
	int			 generation;
	int			 ready;
	uint64_t		 started;	/* monotonic ms */
	int			 vfd;		/* names a violation */
	struct ipc		 ipc;
	struct event		 ev;
	short			 evflags;
	struct ipc_stats	 st;	/* its last report */
};

static struct {
	struct event_base	*base;
	struct runtime		 rt;
	const char		*conffile;
	int			 optional;
	int			 debug;
	int			 verbose;
	char			 self[PATH_MAX];
	int			 generation;
	int			 ready_gen;	/* READY=1 sent for it */
	int			 reload_failed;
	int			 degraded;	/* STATUS= says an engine died */
	int			 stopping;
	TAILQ_HEAD(, engine_proc) procs;
	int			 backoff[ENGINES_MAX];	/* ms, next delay */
	int			 crashes[ENGINES_MAX];	/* in a row */
	struct event		 restart_ev[ENGINES_MAX];
	struct event		 sigterm_ev, sigint_ev, sighup_ev, sigchld_ev;
	struct event		 stop_ev;
	struct ipc_stats	 retired;	/* engines gone, summed */
} p;

static int	 runtime_prepare(struct runtime *, struct conf *,
		    const struct runtime *);
static void	 runtime_free(struct runtime *);
static void	 close_unshared(struct runtime *, const struct runtime *);
static int	 load_ca(const char *, uint8_t **, size_t *);
static int	 engines_auto(void);
static void	 engine_sched(void);
static int	 bind_socket(const struct sockaddr_storage *, socklen_t, int,
		    int);
static void	 engine_spawn(int);
static void	 engine_send_config(struct engine_proc *);
static void	 engine_dispatch(int, short, void *);
static void	 engine_arm(struct engine_proc *);
static void	 engine_kill(struct engine_proc *, const char *);
static void	 engine_retire_old(int);
static void	 engine_handoff(struct engine_proc *, int);
static void	 engine_died(struct engine_proc *, int);
static void	 engine_restart_later(struct engine_proc *);
static void	 restart_cb(int, short, void *);
static void	 sig_cb(int, short, void *);
static void	 stop_cb(int, short, void *);
static void	 reap(void);
static int	 reload(void);
static void	 reload_failed(void);
static void	 notify_ready(void);
static int	 engine_stats(struct engine_proc *, const struct ipc_msg *);
static void	 engine_read_last(struct engine_proc *);

void
parent_main(struct conf *conf, const char *conffile, int optional,
    int debug, int verbose)
{
	char	addr[64];
	ssize_t	n;
	int	i;

	p.conffile = conffile;
	p.optional = optional;
	p.debug = debug;
	p.verbose = verbose;
	TAILQ_INIT(&p.procs);
	notify_init();

	/* fork + exec needs an absolute path that still works after chdir */
	if ((n = readlink("/proc/self/exe", p.self, sizeof(p.self) - 1)) ==
	    -1)
		fatal("readlink /proc/self/exe");
	p.self[n] = '\0';

	if (geteuid() != 0)
		log_warnx("not running as root: engines keep uid %u and "
		    "cannot chroot; they are still sandboxed",
		    (unsigned)geteuid());
	if (runtime_prepare(&p.rt, conf, NULL) == -1)
		exit(1);
	/*
	 * The control socket is made before anything else can fail late,
	 * so that a configured path that cannot be had stops the start.
	 * The default path only warns: a non-root daemon (the container)
	 * usually cannot write to /run.
	 */
	if (metrics_init(&conf->sc) == -1)
		fatal("metrics listen on %s", conf_addr_str((struct sockaddr *)
		    &conf->sc.metrics_ss, addr, sizeof(addr)));
	if (conf->sc.control_socket[0] != '\0' &&
	    control_init(conf->sc.control_socket) == -1) {
		if (strcmp(conf->sc.control_socket, DOTPROXY_CONTROL) != 0)
			fatal("control socket %s", conf->sc.control_socket);
		log_warn("control socket %s, going on without it",
		    conf->sc.control_socket);
	}

	if (!debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, LOG_DAEMON);
	}
	signal(SIGPIPE, SIG_IGN);

	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	evsignal_assign(&p.sigterm_ev, p.base, SIGTERM, sig_cb, NULL);
	evsignal_assign(&p.sigint_ev, p.base, SIGINT, sig_cb, NULL);
	evsignal_assign(&p.sighup_ev, p.base, SIGHUP, sig_cb, NULL);
	evsignal_assign(&p.sigchld_ev, p.base, SIGCHLD, sig_cb, NULL);
	evsignal_add(&p.sigterm_ev, NULL);
	evsignal_add(&p.sigint_ev, NULL);
	evsignal_add(&p.sighup_ev, NULL);
	evsignal_add(&p.sigchld_ev, NULL);
	evtimer_assign(&p.stop_ev, p.base, stop_cb, NULL);
	control_start(p.base);
	metrics_start(p.base, p.self, debug);
	for (i = 0; i < ENGINES_MAX; i++)
		evtimer_assign(&p.restart_ev[i], p.base, restart_cb,
		    (void *)(intptr_t)i);

	(void)clientshm_create(&p.rt.conf->sc);	/* clientshm.c */
	p.generation = 1;
	for (i = 0; i < p.rt.conf->sc.engines; i++)
		engine_spawn(i);
	log_info("dotproxy started, %d engine%s", p.rt.conf->sc.engines,
	    p.rt.conf->sc.engines == 1 ? "" : "s");
	parent_lockdown(p.rt.conf, p.self, control_path(), debug);

	event_base_dispatch(p.base);

	control_cleanup();
	close_unshared(&p.rt, NULL);
	runtime_free(&p.rt);
	conf_free(p.rt.conf);
	log_info("dotproxy stopped");
	exit(0);
}

/*
 * Resolves the user, reads the CA bundle and binds every listener for a
 * configuration.  Sockets that an old runtime already has for the same
 * address, engine and protocol are taken over, so a reload never drops a
 * bound port.  On failure nothing of old is touched.
 */
static int
runtime_prepare(struct runtime *rt, struct conf *conf,
    const struct runtime *old)
{
	struct listen_conf	*l;
	struct passwd		*pw;
	struct stat		 st;
	struct tls_config	*tc;
	struct lsock		*s;
	char			 addr[64];
	int			 idx, proto, j, n = 0;

	memset(rt, 0, sizeof(*rt));
	rt->conf = conf;
	if (conf->sc.engines == 0)
		conf->sc.engines = engines_auto();
	if (geteuid() == 0) {
		if ((pw = getpwnam(conf->sc.user)) == NULL) {
			log_warnx("unknown user %s", conf->sc.user);
			return (-1);
		}
		if (pw->pw_uid == 0) {
			log_warnx("user %s is root: refusing to run engines "
			    "as root", conf->sc.user);
			return (-1);
		}
		conf->sc.uid = pw->pw_uid;
		conf->sc.gid = pw->pw_gid;
		if (stat(conf->sc.chroot, &st) == -1 ||
		    !S_ISDIR(st.st_mode)) {
			log_warnx("chroot %s: not a directory",
			    conf->sc.chroot);
			return (-1);
		}
	} else {
		conf->sc.uid = geteuid();
		conf->sc.gid = getegid();
	}
	conf->sc.verbose = p.verbose;

	if (load_ca(conf->sc.ca_file, &rt->ca, &rt->calen) == -1)
		return (-1);
	/* a bundle libtls cannot use is a start-up error, not an engine loop */
	if ((tc = tls_config_new()) == NULL)
		fatalx("tls_config_new failed");
	if (tls_config_set_ca_mem(tc, rt->ca, rt->calen) == -1) {
		log_warnx("%s %s: %s", getenv("CA_PATH") != NULL ?
		    "CA_PATH" : "ca-file", conf->sc.ca_file,
		    tls_config_error(tc));
		tls_config_free(tc);
		runtime_free(rt);
		return (-1);
	}
	tls_config_free(tc);

	TAILQ_FOREACH(l, &conf->listens, entry)
		n++;
	n *= conf->sc.engines * 2;
	if ((rt->socks = calloc(n, sizeof(*rt->socks))) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(l, &conf->listens, entry)
	for (idx = 0; idx < conf->sc.engines; idx++)
	for (proto = LISTEN_UDP; proto <= LISTEN_TCP; proto++) {
		s = &rt->socks[rt->nsocks];
		s->ss = l->ss;
		s->sslen = l->sslen;
		s->idx = idx;
		s->proto = proto;
		s->fd = -1;
		for (j = 0; old != NULL && j < old->nsocks; j++)
			if (old->socks[j].fd != -1 &&
			    old->socks[j].idx == idx &&
			    old->socks[j].proto == proto &&
			    old->socks[j].sslen == l->sslen &&
			    memcmp(&old->socks[j].ss, &l->ss, l->sslen) == 0) {
				s->fd = old->socks[j].fd;
				break;
			}
		if (s->fd == -1 &&
		    (s->fd = bind_socket(&l->ss, l->sslen, proto, 1)) == -1) {
			log_warn("bind %s %s", proto == LISTEN_UDP ?
			    "udp" : "tcp", conf_addr_str((struct sockaddr *)
			    &l->ss, addr, sizeof(addr)));
			close_unshared(rt, old);
			runtime_free(rt);
			return (-1);
		}
		rt->nsocks++;
	}
	return (0);
}

/* Closes the sockets of a that b does not hold too. */
static void
close_unshared(struct runtime *a, const struct runtime *b)
{
	int	i, j, shared;

	for (i = 0; i < a->nsocks; i++) {
		if (a->socks[i].fd == -1)
			continue;
		shared = 0;
		for (j = 0; b != NULL && j < b->nsocks; j++)
			if (b->socks[j].fd == a->socks[i].fd)
				shared = 1;
		if (!shared)
			close(a->socks[i].fd);
		a->socks[i].fd = -1;
	}
}

/* Frees what runtime_prepare() allocated; sockets and conf stay. */
static void
runtime_free(struct runtime *rt)
{
	free(rt->ca);
	free(rt->socks);
	rt->ca = NULL;
	rt->socks = NULL;
	rt->nsocks = 0;
}

/*
 * engines auto: one per CPU this process may run on, which in a
 * container's cpuset is fewer than the machine has online.
 */
static int
engines_auto(void)
{
	cpu_set_t	set;
	long		n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (n > ENGINES_MAX ? ENGINES_MAX : (int)n);
}

/*
 * Runs in the child between fork and exec: an engine runs as SCHED_BATCH,
 * unless the operator chose another policy for the daemon.  A batch task
 * is never run in place of the task on its CPU the moment a datagram
 * wakes it, so the client's burst finishes first and one wake-up (one
 * context switch, one recvmmsg, one sendmmsg) answers all of it.  Waking
 * per datagram had cost a third of an engine's CPU time in context
 * switches; on an idle CPU the engine still runs at once.  The nice value
 * is kept.
 *
 * Engines are not bound to CPUs.  Binding engine i to CPU i (and steering
 * datagrams to the engine on the receiving CPU) saved cross-CPU wake-ups
 * on an idle machine, but on one whose cores the clients share it left an
 * engine queued behind the client on its CPU while the other CPU idled:
 * 30 % of the machine unused at saturation, and more CPU per answer even
 * at a fixed load.  The scheduler places an unbound engine on whichever
 * CPU is free.
 */
static void
engine_sched(void)
{
	struct sched_param	sp;

	memset(&sp, 0, sizeof(sp));
	if (sched_getscheduler(0) == SCHED_OTHER)
		(void)sched_setscheduler(0, SCHED_BATCH, &sp);
}

static int
load_ca(const char *path, uint8_t **ca, size_t *calen)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;
	/* the operator who set CA_PATH should read CA_PATH */
	const char	*what = getenv("CA_PATH") != NULL ? "CA_PATH" : "ca-file";

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s %s", what, path);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > CA_MAX) {
		log_warnx("%s %s: not a regular file of sane size", what,
		    path);
		close(fd);
		return (-1);
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		fatal(NULL);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s %s: read", what, path);
			free(buf);
			close(fd);
			return (-1);
		}
		off += n;
	}
	close(fd);
	buf[off] = '\0';
	*ca = buf;
	*calen = off;
	return (0);
}

/*
 * Every engine gets its own socket per address and protocol; SO_REUSEPORT
 * lets the kernel spread clients over them.  IPv6 sockets are IPv6 only so
 * that 0.0.0.0 and :: can both be listened on.
 */
static int
bind_socket(const struct sockaddr_storage *ss, socklen_t sslen, int proto,
    int reuseport)
{
	int	s, on = 1, saved, rcvbuf = UDP_RCVBUF;

	s = socket(ss->ss_family, (proto == LISTEN_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s == -1)
		return (-1);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (reuseport && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1) ||
	    (ss->ss_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(s, (const struct sockaddr *)ss, sslen) == -1 ||
	    (proto == LISTEN_TCP && listen(s, SOMAXCONN) == -1)) {
		saved = errno;
		close(s);
		errno = saved;
		return (-1);
	}
	/*
	 * A burst of datagrams larger than the default receive buffer
	 * (about 200 KiB) is lost before the engine wakes up: ask for more.
	 * Root may exceed net.core.rmem_max; others get what it allows.
	 */
	if (proto == LISTEN_UDP &&
	    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1 &&
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		log_debug("SO_RCVBUF: %s", strerror(errno));
	return (s);
}

static void
engine_spawn(int idx)
{
	struct engine_proc	*ep;
	char			*argv[10];
	int			 sp[2], vp[2], argc = 0, i;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		goto retry;
	}
	if (pipe2(vp, O_CLOEXEC) == -1) {
		log_warn("pipe");
		close(sp[0]);
		close(sp[1]);
		goto retry;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("fork");
		close(sp[0]);
		close(sp[1]);
		close(vp[0]);
		close(vp[1]);
		goto retry;
	case 0:
		/*
		 * Either end may already sit on the other's number: move
		 * both out of the way first.  dup2 then clears close-on-exec.
		 */
		if ((sp[1] = fcntl(sp[1], F_DUPFD, ENGINE_VIOLATION_FD + 1)) ==
		    -1 || (vp[1] = fcntl(vp[1], F_DUPFD,
		    ENGINE_VIOLATION_FD + 1)) == -1 ||
		    dup2(sp[1], ENGINE_FD) == -1 ||
		    dup2(vp[1], ENGINE_VIOLATION_FD) == -1)
			_exit(127);
		/*
		 * Whatever else we were started with stays here: the
		 * engine gets its listeners over the socketpair only.
		 */
		closefrom(ENGINE_VIOLATION_FD + 1);
		engine_sched();
		signal(SIGPIPE, SIG_DFL);
#ifdef TEST_VALGRIND
		/* the valgrind test build only: see regress/memcheck.sh */
		argv[argc++] = "valgrind";
		argv[argc++] = p.self;
#else
		argv[argc++] = "dotproxy: engine";
#endif
		argv[argc++] = "-E";
		if (p.debug)
			argv[argc++] = "-d";
		for (i = 0; i < p.verbose && i < 3; i++)
			argv[argc++] = "-v";
		argv[argc] = NULL;
#ifdef TEST_VALGRIND
		execv(TEST_VALGRIND, argv);
#else
		execv(p.self, argv);
#endif
		_exit(127);
	}
	close(sp[1]);
	close(vp[1]);
	if ((ep = calloc(1, sizeof(*ep))) == NULL)
		fatal(NULL);
	ep->pid = pid;
	ep->idx = idx;
	ep->generation = p.generation;
	ep->started = now_ms();
	ep->vfd = vp[0];
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(vp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	ipc_init(&ep->ipc, sp[0], IPC_FDTYPE(IPC_TCP_HANDOFF));
	TAILQ_INSERT_TAIL(&p.procs, ep, entry);
	log_debug("engine %d started, pid %d", idx, (int)pid);
	engine_send_config(ep);
	return;
 retry:
	{
		struct timeval	tv = { 0, ENGINE_BACKOFF_MIN * 1000 };
		evtimer_add(&p.restart_ev[idx], &tv);
	}
}

static void
compose(struct engine_proc *ep, uint32_t type, int fd, const void *data,
    size_t len)
{
	if (ipc_compose(&ep->ipc, type, fd, data, len) == -1)
		fatal("ipc_compose");
}

/* The engine's whole world, in the order engine_recv_config() expects. */
static void
engine_send_config(struct engine_proc *ep)
{
	struct conf		*conf = p.rt.conf;
	struct upstream_conf	*u;
	struct acl_conf		*a;
	struct ipc_listen	 il;
	struct ipc_upstream	 iu;
	struct ipc_acl		 ia;
	size_t			 off, chunk;
	int			 i;

	compose(ep, IPC_RECONF_CONF, -1, &conf->sc, sizeof(conf->sc));
	clientshm_send(&ep->ipc, ep->pid);	/* clientshm.c */
	for (i = 0; i < p.rt.nsocks; i++) {
		if (p.rt.socks[i].idx != ep->idx)
			continue;
		memset(&il, 0, sizeof(il));
		il.proto = p.rt.socks[i].proto;
		il.ss = p.rt.socks[i].ss;
		il.sslen = p.rt.socks[i].sslen;
		compose(ep, IPC_RECONF_LISTEN, p.rt.socks[i].fd, &il,
		    sizeof(il));
	}
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		memset(&iu, 0, sizeof(iu));
		iu.ss = u->ss;
		iu.sslen = u->sslen;
		iu.npins = u->npins;
		memcpy(iu.tls_name, u->tls_name, sizeof(iu.tls_name));
		memcpy(iu.pins, u->pins, sizeof(iu.pins));
		compose(ep, IPC_RECONF_UPSTREAM, -1, &iu, sizeof(iu));
	}
	TAILQ_FOREACH(a, &conf->acl, entry) {
		memset(&ia, 0, sizeof(ia));
		ia.action = a->action;
		ia.af = a->af;
		ia.prefixlen = a->prefixlen;
		memcpy(ia.addr, a->addr, sizeof(ia.addr));
		compose(ep, IPC_RECONF_ACL, -1, &ia, sizeof(ia));
	}
	for (off = 0; off < p.rt.calen; off += chunk) {
		chunk = p.rt.calen - off;
		if (chunk > IPC_MAX_PAYLOAD)
			chunk = IPC_MAX_PAYLOAD;
		compose(ep, IPC_RECONF_CA, -1, p.rt.ca + off, chunk);
	}
	compose(ep, IPC_RECONF_END, -1, NULL, 0);
	engine_arm(ep);
}

static void
engine_arm(struct engine_proc *ep)
{
	short	want = EV_READ | EV_PERSIST;

	if (ipc_pending(&ep->ipc))
		want |= EV_WRITE;
	if (ep->evflags == want)
		return;
	if (ep->evflags != 0)
		event_del(&ep->ev);
	event_assign(&ep->ev, p.base, ep->ipc.fd, want, engine_dispatch, ep);
	event_add(&ep->ev, NULL);
	ep->evflags = want;
}

/*
 * An engine is the side that faces the network: whatever it sends is
 * checked as if it came from an attacker.  A bad message kills that engine,
 * never the parent.
 */
static void
engine_dispatch(int fd, short ev, void *arg)
{
	struct engine_proc	*ep = arg;
	struct ipc_msg		 msg;
	char			 who[32];
	ssize_t			 n;
	int			 r;

	(void)fd;
	if (ev & EV_WRITE) {
		if (ipc_flush(&ep->ipc) == -1 && errno != EPIPE)
			log_warn("engine %d: write", ep->idx);
		engine_arm(ep);
	}
	if (!(ev & EV_READ))
		return;
	if ((n = ipc_read(&ep->ipc)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		engine_kill(ep, "bad read from engine");
		return;
	}
	if (n == 0) {
		/* it is exiting; SIGCHLD tells why */
		event_del(&ep->ev);
		ep->evflags = 0;
		return;
	}
	while ((r = ipc_get(&ep->ipc, &msg)) == 1) {
		switch (msg.hdr.type) {
		case IPC_LOG:
			snprintf(who, sizeof(who), "engine %d", ep->idx);
			if (parent_log_record(who, &msg) == -1) {
				engine_kill(ep, "malformed log message");
				return;
			}
			break;
		case IPC_READY:
			if (msg.hdr.len != 0) {
				engine_kill(ep, "malformed ready message");
				return;
			}
			ep->ready = 1;
			log_debug("engine %d ready, pid %d", ep->idx,
			    (int)ep->pid);
			engine_retire_old(ep->idx);
			notify_ready();
			break;
		case IPC_STATS:
			if (engine_stats(ep, &msg) == -1) {
				engine_kill(ep, "malformed stats message");
				return;
			}
			break;
		case IPC_TCP_HANDOFF:
			if (msg.hdr.len != 0) {
				close(msg.fd);
				engine_kill(ep, "malformed handoff message");
				return;
			}
			engine_handoff(ep, msg.fd);
			break;
		default:
			engine_kill(ep, "unexpected message type");
			return;
		}
	}
	if (r == -1)
		engine_kill(ep, "bad message header, or a descriptor where "
		    "none belongs");
}

/* An engine's counters, checked by stats_check(). */
static int
engine_stats(struct engine_proc *ep, const struct ipc_msg *msg)
{
	static struct ipc_stats	 st;	/* 6 KiB: not on the stack */

	if (stats_check(&st, msg->data, msg->hdr.len) == -1)
		return (-1);
	ep->st = st;
	return (0);
}

/*
 * SIGCHLD may come before the dead engine's last messages were read:
 * its final counters and log lines are still in the socket.
 */
static void
engine_read_last(struct engine_proc *ep)
{
	struct pollfd	pfd = { ep->ipc.fd, POLLIN, 0 };
	int		i;

	for (i = 0; i < 64 && ep->evflags != 0 && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLIN); i++)
		engine_dispatch(ep->ipc.fd, EV_READ, ep);
}

/* The sum over engines: retired ones, and the last report of each other. */
void
parent_stats(struct ipc_stats *sum)
{
	struct engine_proc	*ep;

	*sum = p.retired;
	TAILQ_FOREACH(ep, &p.procs, entry)
		stats_add(sum, &ep->st, 1);
}

int
parent_reload(void)
{
	return (p.stopping ? -1 : reload());
}

/* A message to every engine still running. */
void
parent_broadcast(uint32_t type, const void *data, size_t len)
{
	struct engine_proc	*ep;

	TAILQ_FOREACH(ep, &p.procs, entry) {
		compose(ep, type, -1, data, len);
		engine_arm(ep);
	}
}

/* Engines started later (restarts) get the new setting from the start. */
void
parent_set_verbose(int v)
{
	int32_t	v32 = v;

	p.verbose = v;
	p.rt.conf->sc.verbose = v;
	log_setverbose(v);
	parent_broadcast(IPC_SET_VERBOSE, &v32, sizeof(v32));
}

void
parent_set_querylog(int on)
{
	int32_t	v32 = on;

	p.rt.conf->sc.log_queries = on;
	parent_broadcast(IPC_SET_QUERYLOG, &v32, sizeof(v32));
}

/*
 * A log record from a sandboxed process: terminated text and a real
 * priority, or -1.
 */
int
parent_log_record(const char *who, const struct ipc_msg *msg)
{
	struct ipc_log	lh;

	if (msg->hdr.len <= sizeof(lh) ||
	    msg->data[msg->hdr.len - 1] != '\0')
		return (-1);
	memcpy(&lh, msg->data, sizeof(lh));
	if (lh.pri < LOG_EMERG || lh.pri > LOG_DEBUG)
		return (-1);
	logit(lh.pri, "%s: %s", who, (const char *)msg->data + sizeof(lh));
	return (0);
}

static void
engine_kill(struct engine_proc *ep, const char *why)
{
	log_warnx("engine %d (pid %d): %s, killing it", ep->idx,
	    (int)ep->pid, why);
	if (ep->evflags != 0)
		event_del(&ep->ev);
	ep->evflags = 0;
	kill(ep->pid, SIGKILL);
}

/* A new engine serves: the one it replaces (and any now surplus) may go. */
static void
engine_retire_old(int idx)
{
	struct engine_proc	*ep;

	TAILQ_FOREACH(ep, &p.procs, entry)
		if (ep->generation != p.generation &&
		    (ep->idx == idx || ep->idx >= p.rt.conf->sc.engines))
			kill(ep->pid, SIGTERM);
}

/*
 * A retiring engine gives up an idle client TCP connection: it goes to
 * the serving engine with the same index (or any serving one, if there
 * are fewer now), which checks it as it would a client it accepted.  The
 * parent looks at nothing but that it is a socket.  With no engine to
 * take it, the connection closes, as it would have without a handoff.
 */
static void
engine_handoff(struct engine_proc *from, int fd)
{
	struct engine_proc	*ep, *to = NULL;
	struct stat		 st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) || p.stopping) {
		close(fd);
		return;
	}
	TAILQ_FOREACH(ep, &p.procs, entry)
		if (ep->generation == p.generation && ep->ready &&
		    (to == NULL || ep->idx == from->idx))
			to = ep;
	if (to == NULL) {
		close(fd);
		return;
	}
	if (ipc_give(&to->ipc, IPC_TCP_ADOPT, fd) == -1)
		fatal("ipc_give");
	engine_arm(to);
}

static void
restart_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	if (!p.stopping)
		engine_spawn((int)(intptr_t)arg);
}

static void
reap(void)
{
	struct engine_proc	*ep;
	pid_t			 pid;
	int			 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (metrics_reaped(pid, status, p.stopping))
			continue;
		TAILQ_FOREACH(ep, &p.procs, entry)
			if (ep->pid == pid)
				break;
		if (ep == NULL)
			continue;
		engine_died(ep, status);
		clientshm_release(ep->pid);	/* clientshm.c */
		engine_read_last(ep);
		stats_add(&p.retired, &ep->st, 0);

		if (ep->evflags != 0)
			event_del(&ep->ev);
		ipc_clear(&ep->ipc);
		close(ep->ipc.fd);
		close(ep->vfd);
		TAILQ_REMOVE(&p.procs, ep, entry);

		if (!p.stopping && ep->generation == p.generation &&
		    ep->idx < p.rt.conf->sc.engines)
			engine_restart_later(ep);
		free(ep);
	}
	if (p.stopping && TAILQ_EMPTY(&p.procs))
		event_base_loopexit(p.base, NULL);
}

/*
 * Logs why an engine ended.  One the sandbox killed has written the
 * number of the refused call to its violation pipe: name it, so that a
 * new libc or libcrypto that needs one more call is quick to diagnose.
 * Those bytes come from the sandboxed side: only their size is trusted,
 * and libseccomp's table turns the number into a name.
 */
static void
engine_died(struct engine_proc *ep, int status)
{
	struct ipc_violation	 v;
	char			*name = NULL, what[96] = "";

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		if (read(ep->vfd, &v, sizeof(v)) == (ssize_t)sizeof(v) &&
		    (name = seccomp_syscall_resolve_num_arch(v.arch, v.nr)) !=
		    NULL)
			snprintf(what, sizeof(what), ": system call %s (%d)",
			    name, (int)v.nr);
		else
			strlcpy(what, ": system call unknown", sizeof(what));
		free(name);
		log_warnx("engine %d (pid %d) killed by signal %d "
		    "(sandbox violation%s)", ep->idx, (int)ep->pid, SIGSYS,
		    what);
	} else if (WIFSIGNALED(status))
		log_warnx("engine %d (pid %d) killed by signal %d", ep->idx,
		    (int)ep->pid, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("engine %d (pid %d) exited with status %d", ep->idx,
		    (int)ep->pid, WEXITSTATUS(status));
	else
		log_debug("engine %d (pid %d) exited", ep->idx, (int)ep->pid);
}

/*
 * An engine that had served for a while is replaced at once: its port
 * stays bound in the parent, and datagrams queued there meanwhile are
 * answered by the new engine.  One that dies soon after its start is in
 * a crash loop: each such death doubles the wait, up to a maximum, so a
 * broken binary or configuration costs a few restarts a minute, not a
 * busy loop.
 */
static void
engine_restart_later(struct engine_proc *ep)
{
	struct timeval	tv;
	int		idx = ep->idx, delay;

	if (now_ms() - ep->started >= ENGINE_STABLE) {
		p.backoff[idx] = 0;
		p.crashes[idx] = 0;
	}
	delay = p.backoff[idx];
	p.crashes[idx]++;
	p.backoff[idx] = delay == 0 ? ENGINE_BACKOFF_MIN : delay * 2;
	if (p.backoff[idx] > ENGINE_BACKOFF_MAX)
		p.backoff[idx] = ENGINE_BACKOFF_MAX;
	if (delay == 0)
		log_warnx("restarting engine %d now", idx);
	else
		log_warnx("restarting engine %d in %d ms: %d deaths in a "
		    "row, each within %d s of starting", idx, delay,
		    p.crashes[idx], ENGINE_STABLE / 1000);
	notify("STATUS=engine %d died, restarting it (%d death%s in a row)",
	    idx, p.crashes[idx], p.crashes[idx] == 1 ? "" : "s");
	p.degraded = 1;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(&p.restart_ev[idx], &tv);
}

/*
 * SIGHUP: a configuration that does not parse, or whose sockets or CA
 * cannot be had, changes nothing.  Otherwise a new generation of engines
 * starts on it and the old one is retired engine by engine as the new
 * ones report ready, so the ports never go unserved.
 */
static int
reload(void)
{
	struct runtime	 nrt;
	struct conf	*nconf;
	char		 err[256];
	int		 i;

	log_info("reloading configuration");
	/* what systemd >= 253 wants for Type=notify-reload; older ignore it */
	notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the "
	    "configuration", notify_monotonic_usec());
	p.ready_gen = 0;
	if ((nconf = parse_config(p.conffile, p.optional)) == NULL) {
		log_warnx("configuration reload failed, keeping the old one");
		reload_failed();
		return (-1);
	}
	if (conf_apply_env(nconf, err, sizeof(err)) == -1) {
		log_warnx("%s; keeping the old configuration", err);
		conf_free(nconf);
		reload_failed();
		return (-1);
	}
	if (nconf->sc.engines == 0)
		nconf->sc.engines = engines_auto();
	/* descriptors for both generations, before binding any */
	if (nconf->sc.engines <= ENGINES_MAX)
		parent_nofile(p.rt.conf, nconf);
	if (nconf->sc.engines > ENGINES_MAX ||
	    runtime_prepare(&nrt, nconf, &p.rt) == -1) {
		log_warnx("configuration reload failed, keeping the old one");
		conf_free(nconf);
		reload_failed();
		return (-1);
	}
	p.reload_failed = 0;
	close_unshared(&p.rt, &nrt);
	runtime_free(&p.rt);
	conf_free(p.rt.conf);
	p.rt = nrt;
	p.generation++;
	for (i = 0; i < ENGINES_MAX; i++) {
		evtimer_del(&p.restart_ev[i]);
		p.backoff[i] = 0;
		p.crashes[i] = 0;
	}
	for (i = 0; i < p.rt.conf->sc.engines; i++)
		engine_spawn(i);
	return (0);
}

/* The old configuration serves on: the service manager hears so. */
static void
reload_failed(void)
{
	p.reload_failed = 1;
	notify_ready();
}

/*
 * READY=1 once per generation, when every engine of the configuration in
 * force has reported ready: at start, so that nothing ordered after us
 * starts before our ports answer, and after each reload.  After an
 * engine's restart only the STATUS= line is told again.
 */
static void
notify_ready(void)
{
	struct engine_proc	*ep;
	char			 mainpid[32], status[128];
	int			 n = 0, e = p.rt.conf->sc.engines;

	if ((p.ready_gen == p.generation && !p.degraded) || p.stopping ||
	    !notify_enabled())
		return;
	TAILQ_FOREACH(ep, &p.procs, entry)
		if (ep->generation == p.generation && ep->ready)
			n++;
	if (n < e)
		return;
	p.degraded = 0;
	snprintf(status, sizeof(status), "%sserving on %d sockets with %d "
	    "engine%s", p.reload_failed ? "configuration reload failed, old "
	    "configuration " : "", p.rt.nsocks, e, e == 1 ? "" : "s");
	if (p.ready_gen == p.generation) {
		notify("STATUS=%s", status);
		return;
	}
	p.ready_gen = p.generation;
	/* without -d, daemon(3) made us a new process: say which */
	mainpid[0] = '\0';
	if (!p.debug)
		snprintf(mainpid, sizeof(mainpid), "MAINPID=%d\n",
		    (int)getpid());
	notify("READY=1\n%sSTATUS=%s", mainpid, status);
}

static void
sig_cb(int sig, short ev, void *arg)
{
	struct engine_proc	*ep;
	struct timeval		 tv = { ENGINE_STOP_GRACE, 0 };

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		if (!p.stopping)
			(void)reload();
		break;
	case SIGCHLD:
		reap();
		break;
	case SIGTERM:
	case SIGINT:
		if (p.stopping)
			break;
		log_info("stopping on signal %d", sig);
		notify("STOPPING=1\nSTATUS=stopping on signal %d", sig);
		p.stopping = 1;
		metrics_stop();
		TAILQ_FOREACH(ep, &p.procs, entry)
			kill(ep->pid, SIGTERM);
		if (TAILQ_EMPTY(&p.procs))
			event_base_loopexit(p.base, NULL);
		else
			evtimer_add(&p.stop_ev, &tv);
		break;
	}
}

/* Engines that ignore SIGTERM for too long are killed. */
static void
stop_cb(int fd, short ev, void *arg)
{
	struct engine_proc	*ep;

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(ep, &p.procs, entry)
		kill(ep->pid, SIGKILL);
}
