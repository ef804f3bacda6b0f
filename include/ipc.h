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

#include "msg.h"

/* Framing: a fixed header followed by the payload. */
#define IPC_MAX_FDS	64	/* received but not yet consumed */
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
