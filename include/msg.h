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

#ifndef DOTPROXY_MSG_H
#define DOTPROXY_MSG_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "config.h"

/*
 * Every message between the processes: its type and the flat struct it
 * carries (no pointers; lists travel one entry per message and the
 * receiver builds its own).  ipc.h frames them.  A child always finds its
 * end of the socketpair on ENGINE_FD.
 */
#define ENGINE_FD		3
/* a pipe on which a dying child names the call its sandbox refused */
#define ENGINE_VIOLATION_FD	4
#define IPC_MAX_PAYLOAD		16384	/* CA bundles travel in chunks */

enum ipc_type {
	IPC_NONE = 0,
	IPC_RECONF_CONF,	/* struct conf_scalars */
	IPC_RECONF_LISTEN,	/* struct ipc_listen, carries the socket */
	IPC_RECONF_UPSTREAM,	/* struct ipc_upstream */
	IPC_RECONF_ACL,		/* struct ipc_acl */
	IPC_RECONF_CA,		/* a chunk of the CA bundle in PEM */
	IPC_RECONF_END,		/* empty: configuration complete */
	IPC_LOG,		/* engine -> parent: struct ipc_log + text */
	IPC_READY,		/* engine -> parent: sandboxed and serving */
	IPC_TCP_HANDOFF,	/* retiring engine -> parent: empty, carries
				   an idle client TCP connection */
	IPC_TCP_ADOPT,		/* parent -> new engine: the same */
	IPC_STATS,		/* engine -> parent: struct ipc_stats */
	IPC_FLUSH_CACHE,	/* parent -> engine: empty, or a name in
				   wire format */
	IPC_SET_VERBOSE,	/* parent -> engine, metrics: int32_t */
	IPC_SET_QUERYLOG,	/* parent -> engine: int32_t, 0 or 1 */
	IPC_RECONF_CONTROL,	/* parent -> metrics: struct ipc_control,
				   carries the control socket */
	IPC_ENGINE_STATS,	/* parent -> metrics: struct ipc_engine_stats,
				   an engine's IPC_STATS passed on */
	IPC_ENGINE_GONE,	/* parent -> metrics: struct ipc_engine_gone */
	IPC_CTL_REQUEST,	/* metrics -> parent: struct ipc_ctl */
	IPC_CTL_DONE,		/* parent -> metrics: struct ipc_ctl_done */
	IPC_TYPE_MAX
};

/* Written from a signal handler: plain integers, one write. */
struct ipc_violation {
	int32_t		nr;	/* the system call number */
	uint32_t	arch;	/* its AUDIT_ARCH_* (= SCMP_ARCH_*) */
};

enum listen_proto { LISTEN_UDP = 1, LISTEN_TCP };

struct ipc_listen {
	int			proto;	/* enum listen_proto */
	struct sockaddr_storage	ss;
	socklen_t		sslen;
};

struct ipc_upstream {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	int			npins;
	char			tls_name[CONF_NAME_MAX];
	uint8_t			pins[CONF_MAX_PINS][CONF_PIN_LEN];
};

struct ipc_acl {
	int			action;	/* enum acl_action */
	int			af;	/* AF_UNSPEC means any */
	int			prefixlen;
	uint8_t			addr[16];	/* network order */
};

struct ipc_log {
	int32_t		pri;
	/* NUL-terminated text follows */
};

/*
 * One engine's counters, sent whole every second (IPC_STATS); the metrics
 * process adds up the engines, living and retired.  Only integers: a
 * wrong one can only be a wrong number.  Latency buckets are upper
 * bounds in microseconds, one more for +Inf.
 */
#define STATS_LAT_BOUNDS	{ 1000, 2500, 5000, 10000, 25000, 50000, \
				  100000, 250000, 500000, 1000000, 2500000, \
				  5000000 }
#define STATS_NLAT		12
#define STATS_NRCODE		16	/* answers by rcode, 0-15 */
#define STATS_PERIOD		1	/* seconds between reports */

struct stats {
	uint64_t	queries_udp;	/* messages taken as queries */
	uint64_t	queries_tcp;
	uint64_t	cache_hits;
	uint64_t	cache_misses;
	uint64_t	coalesced;	/* answered from another's reply */
	uint64_t	refused;	/* denied by the access list */
	uint64_t	ratelimited;	/* over their prefix's rate */
	uint64_t	truncated;	/* UDP answers cut, TC=1 */
	uint64_t	stale;		/* answered stale (RFC 8767) */
	uint64_t	answers;	/* sent to clients; = latency count */
	uint64_t	rcode[STATS_NRCODE];	/* answers by rcode */
	uint64_t	latency[STATS_NLAT + 1];	/* per bucket, not
							   cumulative */
	uint64_t	latency_sum_us;
	uint64_t	upstream_tls_bytes;	/* handed to tls_write() */
	/*
	 * Bytes written to an upstream socket other than through libtls.
	 * No such write exists (strict privacy profile); the counter is
	 * there so anyone can see it stay zero.
	 */
	uint64_t	upstream_cleartext_bytes;
	/* gauges, not counters: the state of the engine's cache now */
	uint64_t	cache_entries;
	uint64_t	cache_bytes;
};

struct stats_upstream {
	char		name[64];	/* address and port */
	char		tls_name[CONF_NAME_MAX];
	uint64_t	down;		/* gauge: 1 while marked down */
	uint64_t	srtt_us;	/* gauge: smoothed RTT, 0 if none */
	uint64_t	queries;	/* copies sent */
	uint64_t	answered;
	uint64_t	failures;	/* counted against its health */
	uint64_t	retries;	/* query copies sent again */
	uint64_t	lost;		/* connections that ended under us */
	uint64_t	bad_replies;	/* replies that spoilt a connection */
	uint64_t	handshakes;	/* completed */
	uint64_t	resumed;	/* of those, session resumptions */
	uint64_t	pin_failures;
};

/* IPC_STATS: one engine's counters, in one fixed-size message. */
struct ipc_stats {
	struct stats		s;
	uint32_t		nupstreams;
	uint32_t		pad;
	struct stats_upstream	up[CONF_MAX_UPSTREAM];
};

/* IPC_ENGINE_STATS: an engine's report, its length checked by the parent */
struct ipc_engine_stats {
	int32_t			pid;
	uint32_t		pad;
	struct ipc_stats	st;
};

struct ipc_engine_gone {
	int32_t			pid;	/* its counters join the retired sum */
};

struct ipc_control {
	uint32_t		uid;	/* who may connect besides root */
};

/* What only the parent can do for the control socket; id comes back. */
enum ctl_op {
	CTL_OP_RELOAD = 1,
	CTL_OP_FLUSH,		/* name, namelen: one name, or 0 for all */
	CTL_OP_VERBOSE,		/* value 0 to 3 */
	CTL_OP_QUERYLOG		/* value 0 or 1 */
};

struct ipc_ctl {
	uint32_t		id;
	int32_t			op;
	int32_t			value;
	uint32_t		namelen;
	uint8_t			name[256];	/* DNS_MAX_NAME, wire format */
};

struct ipc_ctl_done {
	uint32_t		id;
	int32_t			ok;
};

#endif /* DOTPROXY_MSG_H */
