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
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

/* No type a descriptor could ride on is left out of the mask. */
typedef char ipc_types_fit_the_mask[IPC_TYPE_MAX <= 32 ? 1 : -1];

/*
 * fdtypes names the message types that carry a descriptor to this side,
 * IPC_FDTYPE(type) each; 0 takes none at all.
 */
void
ipc_init(struct ipc *ipc, int fd, uint32_t fdtypes)
{
	memset(ipc, 0, sizeof(*ipc));
	ipc->fd = fd;
	ipc->fdtypes = fdtypes;
	TAILQ_INIT(&ipc->outq);
}

/* Drops queued output and closes descriptors nobody has claimed. */
void
ipc_clear(struct ipc *ipc)
{
	struct ipc_outmsg	*m;
	int			 i;

	while ((m = TAILQ_FIRST(&ipc->outq)) != NULL) {
		TAILQ_REMOVE(&ipc->outq, m, entry);
		if (m->give && m->fd != -1)
			close(m->fd);
		free(m);
	}
	ipc->queued = 0;
	for (i = 0; i < ipc->nrfds; i++)
		close(ipc->rfds[i]);
	ipc->nrfds = 0;
	ipc->rlen = ipc->roff = 0;
}

/*
 * Queues one message.  A descriptor stays the caller's: the kernel
 * duplicates it into the receiver when the first byte goes out.
 */
int
ipc_compose(struct ipc *ipc, uint32_t type, int fd, const void *data,
    size_t len)
{
	struct ipc_outmsg	*m;
	struct ipc_hdr		 hdr;

	if (type == IPC_NONE || type >= IPC_TYPE_MAX ||
	    len > IPC_MAX_PAYLOAD) {
		errno = EINVAL;
		return (-1);
	}
	if ((m = malloc(sizeof(*m) + sizeof(hdr) + len)) == NULL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.flags = fd != -1 ? IPC_F_FD : 0;
	hdr.pid = getpid();
	memcpy(m->data, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(m->data + sizeof(hdr), data, len);
	m->fd = fd;
	m->give = 0;
	m->len = sizeof(hdr) + len;
	m->off = 0;
	TAILQ_INSERT_TAIL(&ipc->outq, m, entry);
	ipc->queued++;
	return (0);
}

/*
 * Queues an empty message carrying fd and takes the descriptor over: it
 * is closed once the kernel has passed it on, or if the queue is dropped.
 * On failure fd is closed too, so the caller never has it back.
 */
int
ipc_give(struct ipc *ipc, uint32_t type, int fd)
{
	if (ipc_compose(ipc, type, fd, NULL, 0) == -1) {
		close(fd);
		return (-1);
	}
	TAILQ_LAST(&ipc->outq, ipc_outmsg_head)->give = 1;
	return (0);
}

/* A log record (struct ipc_log and the text, cut to 1023 bytes). */
int
ipc_compose_log(struct ipc *ipc, int pri, const char *text)
{
	uint8_t		 buf[sizeof(struct ipc_log) + 1024];
	struct ipc_log	 lh;
	size_t		 len;

	len = strnlen(text, 1023);
	lh.pri = pri;
	memcpy(buf, &lh, sizeof(lh));
	memcpy(buf + sizeof(lh), text, len);
	buf[sizeof(lh) + len] = '\0';
	return (ipc_compose(ipc, IPC_LOG, -1, buf, sizeof(lh) + len + 1));
}

int
ipc_pending(const struct ipc *ipc)
{
	return (ipc->queued != 0);
}

/* Returns 1 when everything went out, 0 when the socket is full, -1. */
int
ipc_flush(struct ipc *ipc)
{
	struct ipc_outmsg	*m;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t			 n;

	while ((m = TAILQ_FIRST(&ipc->outq)) != NULL) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = m->data + m->off;
		iov.iov_len = m->len - m->off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (m->fd != -1 && m->off == 0) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = &cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&mh);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &m->fd, sizeof(int));
		}
		n = sendmsg(ipc->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (-1);
		}
		if (m->give && m->fd != -1) {
			close(m->fd);	/* the receiver holds it now */
			m->fd = -1;
		}
		m->off += n;
		if (m->off < m->len)
			continue;
		TAILQ_REMOVE(&ipc->outq, m, entry);
		ipc->queued--;
		free(m);
	}
	return (1);
}

/*
 * Reads what is there.  Returns the byte count, 0 on EOF, -1 on error.
 * A descriptor the receiver did not ask for, or one the kernel had to
 * drop (MSG_CTRUNC, e.g. no free descriptor slot), is an error: a message
 * that should carry a descriptor and does not must never be taken.
 */
ssize_t
ipc_read(struct ipc *ipc)
{
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	} cmsgbuf;
	ssize_t			 n;
	int			 fd, i, nfds, bad = 0;

	if (ipc->roff > 0) {
		memmove(ipc->rbuf, ipc->rbuf + ipc->roff,
		    ipc->rlen - ipc->roff);
		ipc->rlen -= ipc->roff;
		ipc->roff = 0;
	}
	if (ipc->rlen == sizeof(ipc->rbuf)) {
		errno = ENOBUFS;
		return (-1);
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = ipc->rbuf + ipc->rlen;
	iov.iov_len = sizeof(ipc->rbuf) - ipc->rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(ipc->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);

	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (ipc->fdtypes == 0 || ipc->nrfds == IPC_MAX_FDS) {
				close(fd);
				bad = 1;
				continue;
			}
			ipc->rfds[ipc->nrfds++] = fd;
		}
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		errno = EBADMSG;
		return (-1);
	}
	ipc->rlen += n;
	return (n);
}

/*
 * Takes the next whole message out of the read buffer.  Returns 1 with
 * msg filled, 0 when more bytes are needed, -1 (EBADMSG) on a header that
 * cannot be right.  A descriptor travels only on the types ipc_init() was
 * given, and always on those: one on any other type is closed here, and
 * the message is an error like any other bad header.  Callers still
 * check the payload length per type.
 */
int
ipc_get(struct ipc *ipc, struct ipc_msg *msg)
{
	struct ipc_hdr	hdr;
	size_t		avail = ipc->rlen - ipc->roff;

	if (avail < sizeof(hdr))
		return (0);
	memcpy(&hdr, ipc->rbuf + ipc->roff, sizeof(hdr));
	if (hdr.type == IPC_NONE || hdr.type >= IPC_TYPE_MAX ||
	    hdr.len > IPC_MAX_PAYLOAD || (hdr.flags & ~IPC_F_FD) != 0) {
		errno = EBADMSG;
		return (-1);
	}
	if (avail < sizeof(hdr) + hdr.len)
		return (0);
	msg->hdr = hdr;
	msg->data = ipc->rbuf + ipc->roff + sizeof(hdr);
	msg->fd = -1;
	if (hdr.flags & IPC_F_FD) {
		if (ipc->nrfds == 0) {
			errno = EBADMSG;
			return (-1);
		}
		msg->fd = ipc->rfds[0];
		ipc->nrfds--;
		memmove(ipc->rfds, ipc->rfds + 1, ipc->nrfds * sizeof(int));
	}
	if ((msg->fd != -1) != ((ipc->fdtypes & IPC_FDTYPE(hdr.type)) != 0)) {
		if (msg->fd != -1)
			close(msg->fd);
		msg->fd = -1;
		errno = EBADMSG;
		return (-1);
	}
	ipc->roff += sizeof(hdr) + hdr.len;
	return (1);
}
