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

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "tlsio.h"

/*
 * libtls over our own reads of the socket.  With the socket handed to
 * libtls, OpenSSL reads each TLS record with two read(2)s, its header
 * and then its body, and one more to learn that nothing is left: an
 * upstream that answers every query in a record of its own (Unbound,
 * and most others) costs two system calls per reply.  Here one read(2)
 * takes up to TLSIO_READ octets, however many records that is, and
 * OpenSSL's small reads are served from it.  A read that did not fill
 * the buffer emptied the socket for now, so the next wish for more
 * data is answered "wait for the socket" without asking the kernel;
 * tlsio_wake() at the next readiness lets it read again.  Writes go
 * straight to the socket: the caller already hands libtls every query
 * of a wake-up in one tls_write(), one record and one write(2).
 */

static ssize_t	tlsio_read_cb(struct tls *, void *, size_t, void *);
static ssize_t	tlsio_write_cb(struct tls *, const void *, size_t, void *);

int
tlsio_connect(struct tlsio *io, struct tls *ctx, int fd,
    const char *servername)
{
	if (io->buf == NULL && (io->buf = malloc(TLSIO_READ)) == NULL)
		return (-1);
	io->fd = fd;
	io->off = io->len = 0;
	io->drained = 0;
	return (tls_connect_cbs(ctx, tlsio_read_cb, tlsio_write_cb, io,
	    servername));
}

void
tlsio_wake(struct tlsio *io)
{
	io->drained = 0;
}

/*
 * Octets read from the socket that OpenSSL has not taken yet: a WANT
 * from libtls with some left means call again, not wait for the socket.
 */
int
tlsio_pending(const struct tlsio *io)
{
	return (io->off < io->len);
}

static ssize_t
tlsio_read_cb(struct tls *ctx, void *buf, size_t buflen, void *arg)
{
	struct tlsio	*io = arg;
	ssize_t		 n;
	size_t		 m;

	(void)ctx;
	if (io->off == io->len) {
		if (io->drained)
			return (TLS_WANT_POLLIN);
		n = read(io->fd, io->buf, TLSIO_READ);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR) {
				io->drained = 1;
				return (TLS_WANT_POLLIN);
			}
			return (-1);
		}
		if (n == 0)
			return (0);
		io->off = 0;
		io->len = n;
		if (n < TLSIO_READ)
			io->drained = 1;
	}
	m = io->len - io->off;
	if (m > buflen)
		m = buflen;
	memcpy(buf, io->buf + io->off, m);
	io->off += m;
	return (m);
}

static ssize_t
tlsio_write_cb(struct tls *ctx, const void *buf, size_t buflen, void *arg)
{
	struct tlsio	*io = arg;
	ssize_t		 n;

	(void)ctx;
	if ((n = write(io->fd, buf, buflen)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return (TLS_WANT_POLLOUT);
	return (n);
}
