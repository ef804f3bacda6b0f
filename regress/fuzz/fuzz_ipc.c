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

/*
 * The receive side of the framing between processes (src/ipc.c): the
 * bytes of the input written into a socketpair in pieces, some pieces
 * with a descriptor attached, read back with ipc_read() and taken apart
 * with ipc_get() until the stream ends or is condemned.  A message
 * handed out must lie inside the read buffer, have a known type and a
 * bounded length, and carry a descriptor exactly when its flag says so.
 *
 * input: mode (1): bit 0 the receiver takes descriptors; then pieces:
 *   len (2, bit 15: a descriptor goes with it) bytes (len)
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ipc.h"

int	 LLVMFuzzerInitialize(int *, char ***);

static int	 devnull = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	return (0);
}

/* One piece, with /dev/null attached if fd: the kernel duplicates it. */
static int
send_piece(int s, const uint8_t *p, size_t len, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cmsg;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &devnull, sizeof(int));
	}
	return (sendmsg(s, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	    (ssize_t)len ? 0 : -1);
}

/* Takes every whole message; -1 once the stream is condemned. */
static int
drain(struct ipc *ipc)
{
	struct ipc_msg	 m;
	int		 r;

	while ((r = ipc_get(ipc, &m)) == 1) {
		FUZZ_ASSERT(m.hdr.type != IPC_NONE &&
		    m.hdr.type < IPC_TYPE_MAX);
		FUZZ_ASSERT(m.hdr.len <= IPC_MAX_PAYLOAD);
		FUZZ_ASSERT(m.data >= ipc->rbuf &&
		    m.data + m.hdr.len <= ipc->rbuf + ipc->rlen);
		FUZZ_ASSERT(ipc->roff <= ipc->rlen &&
		    ipc->rlen <= sizeof(ipc->rbuf));
		FUZZ_ASSERT((m.fd != -1) == ((m.hdr.flags & IPC_F_FD) != 0));
		FUZZ_ASSERT(ipc->nrfds >= 0 && ipc->nrfds <= IPC_MAX_FDS);
		if (m.fd != -1)
			close(m.fd);
	}
	return (r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc	 ipc;
	size_t		 off = 1, len;
	ssize_t		 n;
	int		 sp[2], fd;

	if (size < 1)
		return (0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		abort();
	ipc_init(&ipc, sp[1], (data[0] & 1) ? IPC_FDTYPE(IPC_RECONF_LISTEN) |
	    IPC_FDTYPE(IPC_TCP_HANDOFF) : 0);

	while (size - off >= 2) {
		len = (size_t)data[off] << 8 | data[off + 1];
		fd = (len & 0x8000) != 0;
		len &= 0x7fff;
		off += 2;
		if (len > size - off)
			len = size - off;
		/* a descriptor needs a byte to travel with */
		if (len == 0)
			continue;
		if (send_piece(sp[0], data + off, len, fd) == -1)
			break;
		off += len;
		n = ipc_read(&ipc);
		if (n == -1) {
			/* descriptors it did not want, or a full buffer */
			FUZZ_ASSERT(errno == EBADMSG || errno == ENOBUFS);
			break;
		}
		FUZZ_ASSERT(n > 0 && ipc.rlen <= sizeof(ipc.rbuf));
		if (drain(&ipc) == -1)
			break;
	}
	ipc_clear(&ipc);
	close(sp[0]);
	close(sp[1]);
	return (0);
}
