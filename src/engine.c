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
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "cache.h"
#include "clientshm.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "engine.h"
#include "frontend.h"
#include "ipc.h"
#include "log.h"
#include "query.h"
#include "ratelimit.h"
#include "relay.h"
#include "report.h"
#include "sandbox.h"
#include "testhook.h"
#include "uplink.h"
#include "upstream.h"
#include "zone.h"

#define CA_MAX		(16 * 1024 * 1024)
#define FD_RESERVE	16	/* descriptors beyond those counted */
#define DRAIN_SLACK_MS	1000	/* after the last query deadline */

struct engine	*env;

static void	 engine_recv_config(void);
static void	 engine_recv_zone(const struct ipc_msg *);
static struct upstream_list *engine_zone_upstreams(int);
static void	 engine_append_ca(uint8_t **, size_t *, const struct ipc_msg *);
static void	 engine_tls_setup(void);
static void	 engine_drop_privileges(void);
static void	 engine_dispatch_parent(int, short, void *);
static void	 engine_sig(int, short, void *);
static int	 engine_control(const struct ipc_msg *);
static int	 engine_cache_share(void);
static void	 engine_conn_share(void);
static void	 engine_drain_cb(int, short, void *);
static void	 engine_listen(struct listener *);

void
engine_main(int debug, int verbose)
{
	struct stats	st;

	(void)debug;

	log_setverbose(verbose);
	log_procinit("engine");
	if ((env = calloc(1, sizeof(*env))) == NULL)
		fatal(NULL);
	ipc_init(&env->ipc, ENGINE_FD, IPC_FDTYPE(IPC_RECONF_LISTEN) |
	    IPC_FDTYPE(IPC_TCP_ADOPT) | IPC_FDTYPE(IPC_RECONF_CLIENTSHM) |
	    IPC_FDTYPE(IPC_RECONF_INBOX));
	log_set_sender(uplink_log);

	engine_recv_config();

	/* Everything the sandbox forbids later is done from here on. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	engine_tls_setup();

	query_init();
	clients_init();

	upstream_init(env->ca, env->calen);
	relayin_init();
	inbox_start();
	engine_conn_share();
	udp_init();
	cache_init(env->conf->sc.cache_size, env->conf->sc.cache_min_ttl,
	    env->conf->sc.cache_max_ttl);
	cache_set_share(engine_cache_share());
	dns_set_edns_size(env->conf->sc.edns_buffer_size);
	dns_set_client_subnet(env->conf->sc.client_subnet_pass);
	if (ratelimit_init(&env->conf->sc) == -1)
		fatal("rate-limit table");
	for (int i = 0; i < env->nlisteners; i++)
		engine_listen(&env->listeners[i]);
	report_init();

	if (fcntl(ENGINE_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	uplink_start(engine_dispatch_parent);
	evsignal_assign(&env->sigterm_ev, env->base, SIGTERM, engine_sig,
	    NULL);
	evsignal_assign(&env->sigint_ev, env->base, SIGINT, engine_sig, NULL);
	evsignal_add(&env->sigterm_ev, NULL);
	evsignal_add(&env->sigint_ev, NULL);

	testhook_presandbox();
	engine_drop_privileges();
	upstream_session_init();
	sandbox_init();

	if (ipc_compose(&env->ipc, IPC_READY, -1, NULL, 0) == -1)
		fatal("ipc_compose");
	uplink_flush();
	log_debug("engine ready: %d listeners, %d upstreams",
	    env->nlisteners, upstream_count());

	event_base_dispatch(env->base);
	upstream_log_stats();
	cache_log_stats();
	report_counters(&st);
	log_debug("queries refused %llu, rate-limited %llu",
	    (unsigned long long)st.refused,
	    (unsigned long long)st.ratelimited);
	log_debug("coalesced: %llu queries answered from another's reply",
	    (unsigned long long)st.coalesced);
	log_debug("engine exiting");
	report_send();	/* the parent keeps a retired engine's totals */
	uplink_flush();
	exit(0);
}

/* A socket the parent handed over goes to its frontend. */
static void
engine_listen(struct listener *l)
{
	int	flags;

	if ((flags = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fcntl listener");
	if (l->proto == LISTEN_UDP)
		udp_listen(l);
	else
		tcp_listen(l);
}

/*
 * cache size is for the whole daemon: each engine holds its share, and
 * more while the others leave room (cache.c)
 */
static int
engine_cache_share(void)
{
	struct conf_scalars	*sc = &env->conf->sc;
	int			 n = sc->engines > 0 ? sc->engines : 1;

	if (sc->cache_size == 0)
		return (0);
	return (sc->cache_size / n > 0 ? sc->cache_size / n : 1);
}

/*
 * upstream-connections is for the host: engine k of n holds its part of
 * them (k-th of the remainder one more); one with none has its misses
 * fetched by engine k modulo the bound, which has one.  Without inboxes
 * (one engine, or none could be made) an engine fetches its own.
 */
static void
engine_conn_share(void)
{
	struct conf_scalars	*sc = &env->conf->sc;
	int			 n = sc->engines > 0 ? sc->engines : 1;
	int			 b = sc->upstream_connections, k = inbox_self();
	int			 share = b / n + (k < b % n);

	if (share == 0) {
		inbox_set_fetcher(k % b);
		if (inbox_fetcher() == -1)
			share = 1;
	}
	upstream_set_pool(share);
}

/*
 * The parent retires an engine with SIGTERM, after a reload or to stop:
 * it stops taking queries at once, hands its idle TCP clients over to
 * its successor (handoff.c) and exits when those in flight are answered.
 * Every query ends by its own deadline, answered or SERVFAIL, so that is
 * how long the drain may take, and a little more to write the last
 * answers: a fixed second was a wall-clock guess that a slow upstream or
 * a loaded machine outlasted, and leaving then closed each busy client's
 * connection with its query unanswered.  A second signal exits at once.
 */
static void
engine_sig(int sig, short ev, void *arg)
{
	struct timeval	tv = { 0, 0 };

	(void)sig;
	(void)ev;
	(void)arg;
	if (env->draining) {
		event_base_loopexit(env->base, NULL);
		return;
	}
	env->draining = 1;
	env->drain_until = now_ms() +
	    (uint64_t)env->conf->sc.query_timeout * 1000 + DRAIN_SLACK_MS;
	udp_stop();
	tcp_stop();
	evtimer_assign(&env->drain_ev, env->base, engine_drain_cb, NULL);
	evtimer_add(&env->drain_ev, &tv);
}

static void
engine_drain_cb(int fd, short ev, void *arg)
{
	struct timeval	tv = { 0, 5000 };
	int		pending, i;
	uint8_t		b;

	(void)fd;
	(void)ev;
	(void)arg;
	/*
	 * Clients the parent handed us before it retired us are already in
	 * the socket: read them now, to pass them on, not exit over them.
	 * One read takes one descriptor at most, so read while anything is
	 * left rather than once.
	 */
	for (i = 0; i < 1024 && recv(ENGINE_FD, &b, 1,
	    MSG_PEEK | MSG_DONTWAIT) == 1; i++)
		engine_dispatch_parent(ENGINE_FD, EV_READ, NULL);
	pending = query_busy() + handoff_idle_clients() + inbox_pending();
	uplink_flush();
	if (ipc_pending(&env->ipc))
		pending++;
	if (pending > 0 && now_ms() >= env->drain_until)
		log_debug("retiring with %d queries, %d TCP clients still busy",
		    query_busy(), tcp_count());
	if (pending == 0 || now_ms() >= env->drain_until) {
		event_base_loopexit(env->base, NULL);
		return;
	}
	evtimer_add(&env->drain_ev, &tv);
}

/*
 * The configuration arrives before the sandbox closes, in a fixed order
 * ending with IPC_RECONF_END.  Every length is checked here again: the
 * parent is trusted, but a mismatch means the two sides disagree on the
 * layout and nothing after it can be believed.
 */
static void
engine_recv_config(void)
{
	struct ipc_msg		 msg;
	struct ipc_listen	 il;
	struct ipc_upstream	 iu;
	struct ipc_acl		 ia;
	struct upstream_conf	*u;
	struct acl_conf		*a;
	struct zone_conf	*zc;
	struct conf		*conf;
	struct listener		*l;
	ssize_t			 n;
	int			 r, done = 0;

	if ((conf = conf_new()) == NULL)
		fatal(NULL);
	env->conf = conf;
	int have_conf = 0;

	while (!done) {
		if ((r = ipc_get(&env->ipc, &msg)) == -1)
			fatal("config from parent");
		if (r == 0) {
			if ((n = ipc_read(&env->ipc)) == -1)
				fatal("read config from parent");
			if (n == 0)
				fatalx("parent closed during configuration");
			continue;
		}
		if (msg.fd != -1 && msg.hdr.type != IPC_RECONF_LISTEN &&
		    msg.hdr.type != IPC_RECONF_CLIENTSHM &&
		    msg.hdr.type != IPC_RECONF_INBOX)
			fatalx("descriptor on message type %u", msg.hdr.type);
		if (!have_conf && msg.hdr.type != IPC_RECONF_CONF)
			fatalx("configuration must start with its scalars");
		switch (msg.hdr.type) {
		case IPC_RECONF_CONF:
			if (msg.hdr.len != sizeof(conf->sc))
				fatalx("bad IPC_RECONF_CONF length");
			memcpy(&conf->sc, msg.data, sizeof(conf->sc));
			if (memchr(conf->sc.user, '\0',
			    sizeof(conf->sc.user)) == NULL ||
			    memchr(conf->sc.chroot, '\0',
			    sizeof(conf->sc.chroot)) == NULL ||
			    memchr(conf->sc.ca_file, '\0',
			    sizeof(conf->sc.ca_file)) == NULL)
				fatalx("unterminated string in configuration");
			if (conf->sc.max_queries < 16 ||
			    conf->sc.max_queries > 1048576 ||
			    conf->sc.coalesce_max_waiters < 0 ||
			    conf->sc.coalesce_max_waiters > CONF_MAX_COALESCE ||
			    conf->sc.query_timeout < 1 ||
			    conf->sc.tcp_idle_timeout < 1 ||
			    conf->sc.tcp_max_conn < 1 ||
			    conf->sc.tcp_max_pipeline < 1 ||
			    conf->sc.tcp_max_conn_client < 1 ||
			    conf->sc.max_queries_client < 1 ||
			    conf->sc.tcp_max_lifetime < 1 ||
			    conf->sc.tcp_max_output < 65536 ||
			    conf->sc.tcp_max_output > 64 * 1024 * 1024 ||
			    conf->sc.padding < 0 || conf->sc.padding > 1024 ||
			    conf->sc.edns_buffer_size < DNS_UDP_MIN ||
			    conf->sc.edns_buffer_size > DNS_EDNS_SIZE_MAX ||
			    conf->sc.rate_limit < 0 ||
			    conf->sc.rate_limit_burst < 1 ||
			    conf->sc.rate_limit_v4 < 8 ||
			    conf->sc.rate_limit_v4 > 32 ||
			    conf->sc.rate_limit_v6 < 16 ||
			    conf->sc.rate_limit_v6 > 128 ||
			    conf->sc.rate_limit_table < 256 ||
			    conf->sc.rate_limit_table > 1048576)
				fatalx("configuration value out of range");
			have_conf = 1;
			break;
		case IPC_RECONF_LISTEN:
			if (msg.hdr.len != sizeof(il) || msg.fd == -1)
				fatalx("bad IPC_RECONF_LISTEN");
			memcpy(&il, msg.data, sizeof(il));
			if ((il.proto != LISTEN_UDP && il.proto != LISTEN_TCP) ||
			    env->nlisteners == ENGINE_MAX_LISTEN)
				fatalx("bad listener");
			l = &env->listeners[env->nlisteners++];
			l->fd = msg.fd;
			l->proto = il.proto;
			l->ss = il.ss;
			l->sslen = il.sslen;
			break;
		case IPC_RECONF_CLIENTSHM:
			if (msg.fd == -1)
				fatalx("bad IPC_RECONF_CLIENTSHM");
			clientshm_attach(msg.fd, msg.data, msg.hdr.len);
			break;
		case IPC_RECONF_INBOX: {
			struct ipc_inbox	ib;

			if (msg.hdr.len != sizeof(ib))
				fatalx("bad IPC_RECONF_INBOX length");
			memcpy(&ib, msg.data, sizeof(ib));
			inbox_config(&ib, msg.fd);
			break;
		}
		case IPC_RECONF_UPSTREAM:
			if (msg.hdr.len != sizeof(iu))
				fatalx("bad IPC_RECONF_UPSTREAM length");
			memcpy(&iu, msg.data, sizeof(iu));
			if (memchr(iu.tls_name, '\0', sizeof(iu.tls_name)) ==
			    NULL || iu.npins < 0 || iu.npins > CONF_MAX_PINS ||
			    iu.sslen > sizeof(iu.ss) || iu.transport < UP_TLS ||
			    iu.transport > UP_CLEARTEXT_TCP)
				fatalx("bad upstream");
			/* the parent checked it; cleartext is worth a second look */
			if (iu.transport != UP_TLS && !conf_cleartext_allowed(
			    (struct sockaddr *)&iu.ss))
				fatalx("cleartext upstream outside the site");
			if ((u = calloc(1, sizeof(*u))) == NULL)
				fatal(NULL);
			*u = (struct upstream_conf){ .ss = iu.ss,
			    .sslen = iu.sslen, .transport = iu.transport,
			    .npins = iu.npins };
			memcpy(u->tls_name, iu.tls_name, sizeof(u->tls_name));
			memcpy(u->pins, iu.pins, sizeof(u->pins));
			u->zone = iu.zone;
			TAILQ_INSERT_TAIL(engine_zone_upstreams(iu.zone), u,
			    entry);
			break;
		case IPC_RECONF_ZONE:
			engine_recv_zone(&msg);
			break;
		case IPC_RECONF_ZONECA:
			if (TAILQ_EMPTY(&conf->zones))
				fatalx("zone CA bundle before any zone");
			zc = TAILQ_LAST(&conf->zones, zone_list);
			engine_append_ca(&zc->ca, &zc->calen, &msg);
			break;
		case IPC_RECONF_ACL:
			if (msg.hdr.len != sizeof(ia))
				fatalx("bad IPC_RECONF_ACL length");
			memcpy(&ia, msg.data, sizeof(ia));
			if (ia.prefixlen < 0 || ia.prefixlen > 128 ||
			    (ia.action != ACL_ALLOW && ia.action != ACL_DENY))
				fatalx("bad acl rule");
			if ((a = calloc(1, sizeof(*a))) == NULL)
				fatal(NULL);
			*a = (struct acl_conf){ .action = ia.action,
			    .af = ia.af, .prefixlen = ia.prefixlen };
			memcpy(a->addr, ia.addr, sizeof(a->addr));
			TAILQ_INSERT_TAIL(&conf->acl, a, entry);
			break;
		case IPC_RECONF_CA:
			engine_append_ca(&env->ca, &env->calen, &msg);
			break;
		case IPC_RECONF_END:
			if (msg.hdr.len != 0)
				fatalx("bad IPC_RECONF_END length");
			done = 1;
			break;
		default:
			fatalx("unexpected message type %u", msg.hdr.type);
		}
	}
	if (env->nlisteners == 0)
		fatalx("no listeners");
	if (TAILQ_EMPTY(&conf->upstreams))
		fatalx("no upstreams");
	if (env->calen == 0)
		fatalx("no CA bundle");
	TAILQ_FOREACH(zc, &conf->zones, entry)
		if (zc->action == ZONE_FORWARD && TAILQ_EMPTY(&zc->upstreams))
			fatalx("zone %s: no upstreams", zc->name);
	zone_table_init(conf);
}

/* A zone statement: indexes in order from 1, each checked like a parse. */
static void
engine_recv_zone(const struct ipc_msg *msg)
{
	struct conf		*conf = env->conf;
	struct zone_conf	*zc, *last;
	struct ipc_zone		 iz;
	uint8_t			 wire[DNS_MAX_NAME];

	if (msg->hdr.len != sizeof(iz))
		fatalx("bad IPC_RECONF_ZONE length");
	memcpy(&iz, msg->data, sizeof(iz));
	last = TAILQ_LAST(&conf->zones, zone_list);
	if (memchr(iz.name, '\0', sizeof(iz.name)) == NULL ||
	    zone_wire(iz.name, wire, sizeof(wire)) <= 1 ||
	    iz.index != (last != NULL ? last->index : 0) + 1 ||
	    iz.index > CONF_MAX_ZONES ||
	    iz.action < ZONE_FORWARD || iz.action > ZONE_NXDOMAIN ||
	    iz.policy < -1 || iz.policy > POLICY_ROUNDROBIN ||
	    iz.padding < -1 || iz.padding > 1024)
		fatalx("bad zone");
	if ((zc = calloc(1, sizeof(*zc))) == NULL)
		fatal(NULL);
	(void)strlcpy(zc->name, iz.name, sizeof(zc->name));
	zc->index = iz.index;
	zc->action = iz.action;
	zc->policy = iz.policy;
	zc->padding = iz.padding;
	TAILQ_INIT(&zc->upstreams);
	TAILQ_INSERT_TAIL(&conf->zones, zc, entry);
}

/* The list an upstream of zone index i joins; its zone came before it. */
static struct upstream_list *
engine_zone_upstreams(int i)
{
	struct zone_conf	*zc;

	if (i == 0)
		return (&env->conf->upstreams);
	TAILQ_FOREACH(zc, &env->conf->zones, entry)
		if (zc->index == i && zc->action == ZONE_FORWARD)
			return (&zc->upstreams);
	fatalx("upstream of unknown zone %d", i);
}

static void
engine_append_ca(uint8_t **ca, size_t *calen, const struct ipc_msg *msg)
{
	if (*calen + msg->hdr.len > CA_MAX)
		fatalx("CA bundle too large");
	if ((*ca = realloc(*ca, *calen + msg->hdr.len + 1)) == NULL)
		fatal(NULL);
	memcpy(*ca + *calen, msg->data, msg->hdr.len);
	*calen += msg->hdr.len;
}

/* Each upstream gets its own TLS configuration: see upstream_init(). */
static void
engine_tls_setup(void)
{
	if (tls_init() == -1)
		fatalx("tls_init failed");
}

static void
engine_drop_privileges(void)
{
	struct conf_scalars	*sc = &env->conf->sc;
	struct rlimit		 rl, want;
	rlim_t			 fixed, nofile;

	/*
	 * Enough descriptors for the limits, and no more: stdio, the
	 * parent's socketpair, the listeners, each upstream's connections
	 * and session memfd (a cleartext one's UDP sockets), the spare given up on EMFILE, and a reserve
	 * for what libevent and libcrypto hold; the rest is for clients.
	 */
	fixed = 3 + 1 + env->nlisteners + (rlim_t)upstream_descriptors() + 1 +
	    (rlim_t)inbox_descriptors() + FD_RESERVE;
	nofile = fixed + sc->tcp_max_conn;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	want.rlim_cur = want.rlim_max = nofile;
	if (nofile <= rl.rlim_max ||
	    (geteuid() == 0 && setrlimit(RLIMIT_NOFILE, &want) == 0))
		rl.rlim_max = nofile;
	else if (rl.rlim_max > fixed) {
		/*
		 * Not root, or root without CAP_SYS_RESOURCE, and held
		 * below it: clients get what is left.
		 */
		log_warnx("descriptor limit %llu leaves room for %llu of "
		    "tcp-max-connections %d", (unsigned long long)rl.rlim_max,
		    (unsigned long long)(rl.rlim_max - fixed),
		    sc->tcp_max_conn);
		sc->tcp_max_conn = rl.rlim_max - fixed;
	} else
		fatalx("descriptor limit %llu is below the %llu the engine "
		    "needs", (unsigned long long)rl.rlim_max,
		    (unsigned long long)fixed + 1);
	rl.rlim_cur = rl.rlim_max;
#ifdef TEST_VALGRIND
	/* the valgrind test build: valgrind lets one lower the soft limit only */
	if (getrlimit(RLIMIT_NOFILE, &want) == 0)
		rl.rlim_max = want.rlim_max;
#endif
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("setrlimit RLIMIT_NOFILE");
	/* the only files the engine writes are its TLS session memfds */
	rl.rlim_cur = rl.rlim_max = 64 * 1024;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		fatal("setrlimit RLIMIT_FSIZE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit RLIMIT_CORE");

	sandbox_drop_user(sc);
}

/*
 * After start-up the parent only hands over client connections from the
 * engine this one replaced; EOF means it died.
 */
static void
engine_dispatch_parent(int fd, short ev, void *arg)
{
	struct ipc_msg	msg;
	ssize_t		n;
	int		r;

	(void)fd;
	(void)arg;
	if (ev & EV_WRITE)
		uplink_flush();
	if (!(ev & EV_READ))
		return;
	if ((n = ipc_read(&env->ipc)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		exit(1);
	}
	if (n == 0)
		exit(0);
	while ((r = ipc_get(&env->ipc, &msg)) == 1) {
		if (msg.hdr.type == IPC_TCP_ADOPT && msg.hdr.len == 0 &&
		    msg.fd != -1) {
			handoff_adopt(msg.fd);
			continue;
		}
		if (msg.fd == -1 && engine_control(&msg) == 0)
			continue;
		if (msg.fd != -1)
			close(msg.fd);
		fatalx("unexpected message type %u from parent",
		    msg.hdr.type);
	}
	if (r == -1)
		fatal("message from parent");
}

/*
 * What dotproxyctl asks of every engine, through the parent.  Returns
 * -1 for a message that is none of these, or not of its length.
 */
static int
engine_control(const struct ipc_msg *msg)
{
	int32_t	v;

	switch (msg->hdr.type) {
	case IPC_FLUSH_CACHE:
		if (msg->hdr.len > DNS_MAX_NAME)
			return (-1);
		report_flush_cache(msg->data, msg->hdr.len);
		return (0);
	case IPC_SET_VERBOSE:
	case IPC_SET_QUERYLOG:
		if (msg->hdr.len != sizeof(v))
			return (-1);
		memcpy(&v, msg->data, sizeof(v));
		if (v < 0 || v > 3)
			return (-1);
		if (msg->hdr.type == IPC_SET_VERBOSE)
			log_setverbose(v);
		else
			report_querylog(v != 0);
		return (0);
	}
	return (-1);
}
