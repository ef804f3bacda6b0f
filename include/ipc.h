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

#ifndef DOTPROXY_IPC_H
#define DOTPROXY_IPC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Framing between the parent and its engines: a fixed header followed by
 * the payload.  The engine always finds its end of the socketpair here.
 */
#define ENGINE_FD		3
/*
 * The write end of a pipe on which a dying engine names the system call
 * the sandbox refused (struct ipc_violation), for the parent to log.
 */
#define ENGINE_VIOLATION_FD	4
#define IPC_MAX_PAYLOAD		16384	/* CA bundles travel in chunks */
#define IPC_MAX_FDS		64	/* received but not yet consumed */

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
	IPC_FLUSH_CACHE,	/* parent -> engine: empty, or a name */
	IPC_SET_VERBOSE,	/* parent -> engine: int32_t */
	IPC_SET_QUERYLOG,	/* parent -> engine: int32_t, 0 or 1 */
	IPC_METRICS_TEXT,	/* parent -> metrics: a chunk of the text */
	IPC_METRICS_END,	/* parent -> metrics: empty, text complete */
	IPC_RECONF_CLIENTSHM,	/* struct ipc_clientshm (clientshm.h),
				   carries the shared client table */
	IPC_TYPE_MAX
};

#define IPC_F_FD	0x1	/* a descriptor travels with this message */

/*
 * The set of message types a receiver takes descriptors on, for
 * ipc_init(): each of those carries exactly one, every other type none.
 */
#define IPC_FDTYPE(t)	(1U << (t))

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;	/* payload bytes after this header */
	uint32_t	flags;
	uint32_t	pid;
};

/* Written from a signal handler: plain integers, one write. */
struct ipc_violation {
	int32_t		nr;	/* the system call number */
	uint32_t	arch;	/* its AUDIT_ARCH_* (= SCMP_ARCH_*) */
};

enum listen_proto {
	LISTEN_UDP = 1,
	LISTEN_TCP
};

struct ipc_listen {
	int			proto;	/* enum listen_proto */
	struct sockaddr_storage	ss;
	socklen_t		sslen;
};

/*
 * Every message is a flat struct, no pointers: the configuration's list
 * entries travel as these, without their linkage, and the receiver
 * builds its own lists.
 */
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

struct ipc_outmsg {
	TAILQ_ENTRY(ipc_outmsg)	 entry;
	int			 fd;	/* -1, or sent with the first byte */
	int			 give;	/* fd closed once sent (ipc_give) */
	size_t			 len;
	size_t			 off;
	uint8_t			 data[];
};

struct ipc_msg {
	struct ipc_hdr	 hdr;
	const uint8_t	*data;	/* valid until the next ipc_read() */
	int		 fd;	/* -1 unless IPC_F_FD */
};

struct ipc {
	int			 fd;
	uint32_t		 fdtypes;	/* IPC_FDTYPE() of each */
	TAILQ_HEAD(ipc_outmsg_head, ipc_outmsg) outq;
	size_t			 queued;
	uint8_t			 rbuf[2 * (sizeof(struct ipc_hdr) +
				    IPC_MAX_PAYLOAD)];
	size_t			 rlen;
	size_t			 roff;
	int			 rfds[IPC_MAX_FDS];
	int			 nrfds;
};

void	 ipc_init(struct ipc *, int, uint32_t);
void	 ipc_clear(struct ipc *);
int	 ipc_compose(struct ipc *, uint32_t, int, const void *, size_t);
int	 ipc_give(struct ipc *, uint32_t, int);
int	 ipc_compose_log(struct ipc *, int, const char *);
int	 ipc_flush(struct ipc *);
ssize_t	 ipc_read(struct ipc *);
int	 ipc_get(struct ipc *, struct ipc_msg *);
int	 ipc_pending(const struct ipc *);

#endif /* DOTPROXY_IPC_H */
