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

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <tls.h>
#include <unistd.h>

#include "clientshm.h"
#include "clock.h"
#include "config.h"
#include "ipc.h"
#include "log.h"
#include "notify.h"
#include "parent.h"
#include "proc.h"
#include "zone.h"

/*
 * The parent: root, and so kept to what needs root.  It reads the
 * configuration, binds the sockets, starts, restarts and reaps its
 * children (proc.c), passes them descriptors and writes their logs.  It
 * never parses network input: the engines face the network, and the
 * metrics process serves the control socket and the metrics endpoint,
 * adds up the engines' counters and asks the parent, in typed requests,
 * for the few things only the parent can do.
 */

#define RELAY_MAX	(256 * 1024)	/* stats queued for a slow reader */

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
	struct event		 sigterm_ev, sigint_ev, sighup_ev, sigchld_ev;
	struct event		 stop_ev;
	/* the metrics process: what it serves, and it while it runs */
	struct conf_scalars	 msc;
	int			 metrics_fd;
	int			 control_fd;
	struct proc		*metrics;
} p = { .metrics_fd = -1, .control_fd = -1 };

static int	 runtime_prepare(struct runtime *, struct conf *,
		    const struct runtime *);
static void	 runtime_free(struct runtime *);
static int	 runtime_zone_cas(struct conf *);
static void	 send_ca(struct proc *, int, const uint8_t *, size_t);
static void	 send_upstream(struct proc *, const struct upstream_conf *);
static void	 close_unshared(struct runtime *, const struct runtime *);
static void	 runtime_adopt(struct runtime *, const struct runtime *);
static void	 engine_send_config(struct proc *);
static int	 engine_message(struct proc *, struct ipc_msg *);
static int	 engine_ended(struct proc *);
static void	 engine_retire_old(const struct proc *);
static void	 engine_handoff(struct proc *, int);
static void	 metrics_send_config(struct proc *);
static int	 metrics_message(struct proc *, struct ipc_msg *);
static int	 metrics_ended(struct proc *);
static int	 control_request(const struct ipc_ctl *);
static void	 sig_cb(int, short, void *);
static void	 stop_cb(int, short, void *);
static int	 reload(void);
static void	 reload_failed(void);
static void	 notify_ready(void);
static void	 warn_cleartext(const struct conf *, const struct conf *);

/* What each kind of child may send; IPC_LOG is every kind's. */
static const struct proc_msg engine_msgs[] = {
	{ IPC_READY, 0, 0 },
	{ IPC_STATS, sizeof(struct ipc_stats), sizeof(struct ipc_stats) },
	{ IPC_TCP_HANDOFF, 0, 0 },
	{ 0, 0, 0 }
};

static const struct proc_msg metrics_msgs[] = {
	{ IPC_CTL_REQUEST, sizeof(struct ipc_ctl), sizeof(struct ipc_ctl) },
	{ 0, 0, 0 }
};

/* Only an engine hands us a descriptor, and only a client connection. */
static struct proc_kind engine_kind = {
	.name = "engine", .title = "engine", .flag = "-E", .batch = 1,
	.numbered = 1, .fdtypes = IPC_FDTYPE(IPC_TCP_HANDOFF),
	.msgs = engine_msgs, .start = engine_send_config,
	.message = engine_message, .ended = engine_ended
};

static struct proc_kind metrics_kind = {
	.name = "metrics process", .title = "metrics", .flag = "-M",
	.msgs = metrics_msgs, .start = metrics_send_config,
	.message = metrics_message, .ended = metrics_ended
};

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
	warn_cleartext(conf, NULL);
	/*
	 * The metrics endpoint and the control socket are made before
	 * anything else can fail late, so that a configured one that
	 * cannot be had stops the start.  The default control path only
	 * warns: a non-root daemon (the container) usually cannot write to
	 * /run.  Both are served by the metrics process, under the user's
	 * ids and the configuration of start-up.
	 */
	p.msc = conf->sc;
	if (conf->sc.metrics_sslen != 0 &&
	    (p.metrics_fd = bind_socket(&conf->sc.metrics_ss,
	    conf->sc.metrics_sslen, LISTEN_TCP, 0)) == -1)
		fatal("metrics listen on %s", conf_addr_str((struct sockaddr *)
		    &conf->sc.metrics_ss, addr, sizeof(addr)));
	if (conf->sc.control_socket[0] != '\0' &&
	    (p.control_fd = control_bind(conf->sc.control_socket)) == -1) {
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
	proc_init(p.base, p.self, debug, verbose);
	proc_register(&engine_kind, ENGINES_MAX);
	proc_register(&metrics_kind, 1);
	if (p.metrics_fd != -1 || p.control_fd != -1)
		proc_spawn(&metrics_kind, 0);
	(void)clientshm_create(&p.rt.conf->sc);
	p.generation = engine_kind.generation = 1;
	inboxes_renew(p.rt.conf->sc.engines);
	for (i = 0; i < p.rt.conf->sc.engines; i++)
		proc_spawn(&engine_kind, i);
	log_info("dotproxy started, %d engine%s", p.rt.conf->sc.engines,
	    p.rt.conf->sc.engines == 1 ? "" : "s");
	/*
	 * Children started from here on (restarts, reloads) start under
	 * this filter too; its allowlist holds theirs.
	 */
	parent_lockdown(p.rt.conf, p.self, control_path(), debug);

	event_base_dispatch(p.base);

	control_unlink();
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
		conf->sc.engines = conf_engines_auto();
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

	if (conf_load_ca(conf->sc.ca_file, &rt->ca, &rt->calen) == -1)
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
	if (runtime_zone_cas(conf) == -1) {
		runtime_free(rt);
		return (-1);
	}

	TAILQ_FOREACH(l, &conf->listens, entry)
		n++;
	n *= conf->sc.engines * 2;
	if ((rt->socks = calloc(n + (old != NULL ? old->nsocks : 0),
	    sizeof(*rt->socks))) == NULL)
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
	if (old != NULL)
		runtime_adopt(rt, old);
	for (j = 0; j < rt->nsocks; j++)
		if (rt->socks[j].proto == LISTEN_UDP && rt->socks[j].idx == 0)
			inboxes_steer(rt->socks[j].fd, conf->sc.engines);
	return (0);
}

/*
 * Fewer engines than before: the sockets of the engines that go stay
 * bound, each served from now on by engine k modulo the new number.
 * Closing one would drop the datagrams and connections queued on it, and
 * those the kernel keeps steering to it until the retiring engine exits;
 * one socket more for an engine costs nothing.  More engines again later
 * take their own back.  Within what an engine can serve.
 */
static void
runtime_adopt(struct runtime *rt, const struct runtime *old)
{
	const struct lsock	*o;
	struct listen_conf	*l;
	int			 i, j, n, e = rt->conf->sc.engines;

	for (i = 0; i < old->nsocks; i++) {
		o = &old->socks[i];
		if (o->fd == -1 || o->idx < e)
			continue;
		TAILQ_FOREACH(l, &rt->conf->listens, entry)
			if (l->sslen == o->sslen &&
			    memcmp(&l->ss, &o->ss, o->sslen) == 0)
				break;
		for (j = n = 0; j < rt->nsocks; j++)
			if (rt->socks[j].idx % e == o->idx % e)
				n++;
		if (l != NULL && n < ENGINE_MAX_LISTEN)
			rt->socks[rt->nsocks++] = *o;
	}
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

/*
 * The bundle of each zone with a ca-file of its own, read and checked
 * like the top level's; it stays with the zone (conf_free() frees it).
 */
static int
runtime_zone_cas(struct conf *conf)
{
	struct zone_conf	*z;
	struct tls_config	*tc;
	int			 ok;

	TAILQ_FOREACH(z, &conf->zones, entry) {
		if (z->ca_file[0] == '\0' || z->ca != NULL)
			continue;
		if (conf_load_ca(z->ca_file, &z->ca, &z->calen) == -1)
			return (-1);
		if ((tc = tls_config_new()) == NULL)
			fatalx("tls_config_new failed");
		ok = tls_config_set_ca_mem(tc, z->ca, z->calen) == 0;
		if (!ok)
			log_warnx("zone %s: ca-file %s: %s", z->name,
			    z->ca_file, tls_config_error(tc));
		tls_config_free(tc);
		if (!ok)
			return (-1);
	}
	return (0);
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

/* The engine's whole world, in the order engine_recv_config() expects. */
static void
engine_send_config(struct proc *ep)
{
	struct conf		*conf = p.rt.conf;
	struct upstream_conf	*u;
	struct acl_conf		*a;
	struct zone_conf	*z;
	struct ipc_listen	 il;
	struct ipc_zone		 iz;
	struct ipc_acl		 ia;
	int			 i;

	proc_compose(ep, IPC_RECONF_CONF, -1, &conf->sc, sizeof(conf->sc));
	clientshm_send(&ep->ipc, ep->pid);
	inboxes_send(&ep->ipc, ep->idx, conf->sc.engines);
	for (i = 0; i < p.rt.nsocks; i++) {
		if (p.rt.socks[i].idx % conf->sc.engines != ep->idx)
			continue;
		memset(&il, 0, sizeof(il));
		il.proto = p.rt.socks[i].proto;
		il.ss = p.rt.socks[i].ss;
		il.sslen = p.rt.socks[i].sslen;
		proc_compose(ep, IPC_RECONF_LISTEN, p.rt.socks[i].fd, &il,
		    sizeof(il));
	}
	/* list entries travel as flat structs, without their linkage */
	TAILQ_FOREACH(u, &conf->upstreams, entry)
		send_upstream(ep, u);
	/* each zone, its own bundle and its upstreams, in index order */
	TAILQ_FOREACH(z, &conf->zones, entry) {
		memset(&iz, 0, sizeof(iz));
		(void)strlcpy(iz.name, z->name, sizeof(iz.name));
		iz.index = z->index;
		iz.action = z->action;
		iz.policy = z->policy;
		iz.padding = z->padding;
		proc_compose(ep, IPC_RECONF_ZONE, -1, &iz, sizeof(iz));
		send_ca(ep, IPC_RECONF_ZONECA, z->ca, z->calen);
		TAILQ_FOREACH(u, &z->upstreams, entry)
			send_upstream(ep, u);
	}
	TAILQ_FOREACH(a, &conf->acl, entry) {
		ia = (struct ipc_acl){ .action = a->action, .af = a->af,
		    .prefixlen = a->prefixlen };
		memcpy(ia.addr, a->addr, sizeof(ia.addr));
		proc_compose(ep, IPC_RECONF_ACL, -1, &ia, sizeof(ia));
	}
	send_ca(ep, IPC_RECONF_CA, p.rt.ca, p.rt.calen);
	proc_compose(ep, IPC_RECONF_END, -1, NULL, 0);
}

static void
send_upstream(struct proc *ep, const struct upstream_conf *u)
{
	struct ipc_upstream	iu;

	iu = (struct ipc_upstream){ .ss = u->ss, .sslen = u->sslen,
	    .transport = u->transport, .npins = u->npins, .zone = u->zone };
	memcpy(iu.tls_name, u->tls_name, sizeof(iu.tls_name));
	memcpy(iu.pins, u->pins, sizeof(iu.pins));
	proc_compose(ep, IPC_RECONF_UPSTREAM, -1, &iu, sizeof(iu));
}

/* A CA bundle in chunks of what one message carries. */
static void
send_ca(struct proc *ep, int type, const uint8_t *ca, size_t calen)
{
	size_t	off, chunk;

	for (off = 0; off < calen; off += chunk) {
		chunk = calen - off;
		if (chunk > IPC_MAX_PAYLOAD)
			chunk = IPC_MAX_PAYLOAD;
		proc_compose(ep, type, -1, ca + off, chunk);
	}
}

/* An engine's message, its type and length already checked by proc.c. */
static int
engine_message(struct proc *ep, struct ipc_msg *msg)
{
	static struct ipc_engine_stats	 es;	/* 6 KiB: not on the stack */

	switch (msg->hdr.type) {
	case IPC_READY:
		ep->ready = 1;
		log_debug("%s ready, pid %d", ep->name, (int)ep->pid);
		engine_retire_old(ep);
		notify_ready();
		break;
	case IPC_STATS:
		/*
		 * Passed on, not read: the metrics process checks and adds
		 * them.  One that does not keep up misses reports, and the
		 * next one says it all again.
		 */
		if (p.metrics == NULL || p.metrics->ipc.queued > RELAY_MAX)
			break;
		es.pid = ep->pid;
		memcpy(&es.st, msg->data, sizeof(es.st));
		proc_compose(p.metrics, IPC_ENGINE_STATS, -1, &es, sizeof(es));
		break;
	case IPC_TCP_HANDOFF:
		engine_handoff(ep, msg->fd);
		break;
	}
	return (0);
}

/*
 * An engine of the configuration in force that died is started again;
 * one retired, or of an older generation, is not.
 */
static int
engine_ended(struct proc *ep)
{
	struct ipc_engine_gone	g = { ep->pid };

	clientshm_release(ep->pid);
	if (p.metrics != NULL)
		proc_compose(p.metrics, IPC_ENGINE_GONE, -1, &g, sizeof(g));
	if (p.stopping || ep->generation != p.generation ||
	    ep->idx >= p.rt.conf->sc.engines)
		return (0);
	notify("STATUS=engine %d died, restarting it", ep->idx);
	p.degraded = 1;
	return (1);
}

/*
 * A new engine serves: the older ones whose sockets it now serves may go.
 * An engine of an older generation with index k is replaced by the one
 * that serves its sockets in the newest configuration, k modulo the
 * number of engines (k itself unless there are fewer now).  Not by a
 * generation between: after two quick reloads, an engine of the middle
 * one that becomes ready still retires the first, and is retired in
 * turn by the last.
 */
static void
engine_retire_old(const struct proc *np)
{
	struct proc	*ep;
	int		 n = p.rt.conf->sc.engines;

	TAILQ_FOREACH(ep, &procs, entry)
		if (ep->kind == &engine_kind && !ep->retiring &&
		    ep->generation < np->generation && ep->idx % n == np->idx) {
			ep->retiring = 1;
			/* clients handed to it already must reach it first */
			proc_flush(ep);
			kill(ep->pid, SIGTERM);
		}
}

/*
 * A retiring engine gives up an idle client TCP connection: it goes to
 * a serving engine of the newest generation that serves (the one with
 * the same index if there is one), which checks it as it would a client
 * it accepted; if that one retires in its turn, it hands the connection
 * on again.  The parent looks at nothing but that it is a socket.  With
 * no newer engine serving, the connection closes, as it would have
 * without a handoff.
 */
static void
engine_handoff(struct proc *from, int fd)
{
	struct proc	*ep, *to = NULL;
	struct stat	 st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) || p.stopping) {
		close(fd);
		return;
	}
	TAILQ_FOREACH(ep, &procs, entry)
		if (ep->kind == &engine_kind && ep->ready && !ep->retiring &&
		    ep->generation > from->generation &&
		    (to == NULL || ep->generation > to->generation ||
		    (ep->generation == to->generation &&
		    ep->idx == from->idx)))
			to = ep;
	if (to == NULL) {
		log_debug("%s: a TCP client handed over, no newer engine to "
		    "take it: closed", from->name);
		close(fd);
		return;
	}
	log_debug("%s (pid %d): a TCP client handed over, to pid %d",
	    from->name, (int)from->pid, (int)to->pid);
	proc_give(to, IPC_TCP_ADOPT, fd);
}

/*
 * The metrics process's world: the configuration of start-up (its user
 * and chroot), the endpoint's socket and the control socket, with the
 * one user besides root the control socket serves (ours).
 */
static void
metrics_send_config(struct proc *mp)
{
	struct ipc_listen	il;
	struct ipc_control	ic;

	p.metrics = mp;
	p.msc.verbose = p.verbose;
	proc_compose(mp, IPC_RECONF_CONF, -1, &p.msc, sizeof(p.msc));
	if (p.metrics_fd != -1) {
		memset(&il, 0, sizeof(il));
		il.proto = LISTEN_TCP;
		il.ss = p.msc.metrics_ss;
		il.sslen = p.msc.metrics_sslen;
		proc_compose(mp, IPC_RECONF_LISTEN, p.metrics_fd, &il,
		    sizeof(il));
	}
	if (p.control_fd != -1) {
		memset(&ic, 0, sizeof(ic));
		ic.uid = geteuid();
		proc_compose(mp, IPC_RECONF_CONTROL, p.control_fd, &ic,
		    sizeof(ic));
	}
	proc_compose(mp, IPC_RECONF_END, -1, NULL, 0);
}

static int
metrics_message(struct proc *mp, struct ipc_msg *msg)
{
	struct ipc_ctl		req;
	struct ipc_ctl_done	done;

	memcpy(&req, msg->data, sizeof(req));
	memset(&done, 0, sizeof(done));
	done.id = req.id;
	if ((done.ok = control_request(&req)) == -1)
		return (-1);
	proc_compose(mp, IPC_CTL_DONE, -1, &done, sizeof(done));
	return (0);
}

static int
metrics_ended(struct proc *mp)
{
	(void)mp;
	p.metrics = NULL;
	return (!p.stopping);
}

/*
 * What the control socket asked: 1 done, 0 failed (a reload that did
 * not take), -1 a request no honest metrics process sends.  A name to
 * flush goes to the engines as it came: they take it apart.
 */
static int
control_request(const struct ipc_ctl *req)
{
	int32_t	v = req->value;

	switch (req->op) {
	case CTL_OP_RELOAD:
		return (!p.stopping && reload() == 0);
	case CTL_OP_FLUSH:
		if (req->namelen > sizeof(req->name))
			return (-1);
		proc_broadcast(&engine_kind, IPC_FLUSH_CACHE, req->name,
		    req->namelen);
		return (1);
	case CTL_OP_VERBOSE:
		if (v < 0 || v > 3)
			return (-1);
		/* engines started later get it on their command line */
		p.verbose = v;
		p.rt.conf->sc.verbose = v;
		log_setverbose(v);
		proc_set_verbose(v);
		proc_broadcast(NULL, IPC_SET_VERBOSE, &v, sizeof(v));
		return (1);
	case CTL_OP_QUERYLOG:
		if (v != 0 && v != 1)
			return (-1);
		p.rt.conf->sc.log_queries = v;
		proc_broadcast(&engine_kind, IPC_SET_QUERYLOG, &v, sizeof(v));
		return (1);
	}
	return (-1);
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
		nconf->sc.engines = conf_engines_auto();
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
	warn_cleartext(nconf, p.rt.conf);
	close_unshared(&p.rt, &nrt);
	runtime_free(&p.rt);
	conf_free(p.rt.conf);
	p.rt = nrt;
	p.generation++;
	engine_kind.generation = p.generation;
	proc_reset(&engine_kind);
	inboxes_renew(p.rt.conf->sc.engines);
	for (i = 0; i < p.rt.conf->sc.engines; i++)
		proc_spawn(&engine_kind, i);
	return (0);
}

/*
 * Each cleartext upstream is said once, when it first appears: at start,
 * or in a reload that adds it, so the log shows every time plain DNS
 * became possible and who declared it, without repeating itself.
 */
static void
warn_cleartext(const struct conf *conf, const struct conf *old)
{
	const struct upstream_conf	*u, *o;
	char				 name[64];

	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->transport == UP_TLS)
			continue;
		o = NULL;
		if (old != NULL)
			TAILQ_FOREACH(o, &old->upstreams, entry)
				if (o->transport == u->transport &&
				    o->sslen == u->sslen &&
				    memcmp(&o->ss, &u->ss, u->sslen) == 0)
					break;
		if (o != NULL)
			continue;
		log_warnx("upstream %s: declared %s: its queries and answers "
		    "travel unencrypted", conf_addr_str(
		    (const struct sockaddr *)&u->ss, name, sizeof(name)),
		    conf_transport_name(u->transport));
	}
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
	struct proc		*ep;
	char			 mainpid[32], status[128];
	int			 n = 0, e = p.rt.conf->sc.engines;

	if ((p.ready_gen == p.generation && !p.degraded) || p.stopping ||
	    !notify_enabled())
		return;
	TAILQ_FOREACH(ep, &procs, entry)
		if (ep->kind == &engine_kind &&
		    ep->generation == p.generation && ep->ready)
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
	struct timeval		 tv = { ENGINE_STOP_GRACE, 0 };

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		if (!p.stopping)
			(void)reload();
		break;
	case SIGCHLD:
		if (proc_reap(p.stopping) == 0 && p.stopping)
			event_base_loopexit(p.base, NULL);
		break;
	case SIGTERM:
	case SIGINT:
		if (p.stopping)
			break;
		log_info("stopping on signal %d", sig);
		notify("STOPPING=1\nSTATUS=stopping on signal %d", sig);
		p.stopping = 1;
		proc_reset(&engine_kind);
		proc_reset(&metrics_kind);
		proc_signal(NULL, SIGTERM);
		if (TAILQ_EMPTY(&procs))
			event_base_loopexit(p.base, NULL);
		else
			evtimer_add(&p.stop_ev, &tv);
		break;
	}
}

/* Children that ignore SIGTERM for too long are killed. */
static void
stop_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	proc_signal(NULL, SIGKILL);
}
