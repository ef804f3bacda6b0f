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
#include "counters.h"

/*
 * Every message between the processes: its type and the flat struct it
 * carries (no pointers; lists travel one entry per message and the
 * receiver builds its own).  ipc.h frames them.  A child always finds its
 * end of the socketpair on ENGINE_FD.
 */
#define ENGINE_FD		3
/* a pipe on which a dying child names the call its sandbox refused */
#define ENGINE_VIOLATION_FD	4
#define IPC_MAX_PAYLOAD		65536	/* CA bundles travel in chunks */

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
	IPC_RECONF_CLIENTSHM,	/* parent -> engine: struct ipc_clientshm,
				   carries the shared client table */
	IPC_RECONF_ZONE,	/* struct ipc_zone, in index order */
	IPC_RECONF_ZONECA,	/* a chunk of the last zone's CA bundle */
	IPC_RECONF_INBOX,	/* struct ipc_inbox (relay.h), carries an
				   end of an engine's inbox */
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
	int			transport;	/* enum upstream_transport */
	int			npins;
	char			tls_name[CONF_NAME_MAX];
	uint8_t			pins[CONF_MAX_PINS][CONF_PIN_LEN];
	int			zone;	/* 0, or an IPC_RECONF_ZONE's index */
};

/* A zone statement (zone.h), before the upstreams that name it. */
struct ipc_zone {
	char	name[CONF_NAME_MAX];
	int	index, action, policy, padding;	/* policy, padding -1: "."'s */
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

/* IPC_STATS: one engine's counters, in one fixed-size message. */
struct ipc_stats {
	struct stats		s;
	uint32_t		nupstreams;
	uint32_t		pad;
	struct stats_upstream	up[CONF_MAX_UPSTREAMS];
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

/* The shared client table (clientshm.c): its key and shape, our column. */
struct ipc_clientshm {
	uint64_t	key[2];		/* the keyed hash's, every engine's */
	uint64_t	size;		/* of the memfd, octets */
	uint32_t	nbuckets;	/* counts: a power of two */
	uint32_t	nrl;		/* rate-limit buckets */
	uint32_t	nslots;		/* columns: engines at once */
	uint32_t	ncharges;	/* charge records per column */
	uint32_t	slot;		/* this engine's column, or CSHM_NONE */
	uint32_t	nholders;	/* the holders' directory: a power of 2 */
};

struct ipc_ctl_done {
	uint32_t		id;
	int32_t			ok;
};

#endif /* DOTPROXY_MSG_H */
