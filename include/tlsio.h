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

#ifndef DOTPROXY_TLSIO_H
#define DOTPROXY_TLSIO_H

#include <sys/types.h>

#include <stdint.h>
#include <tls.h>

#define TLSIO_READ	65536	/* octets one read(2) may take */

/* A TLS connection's socket, read in large pieces (tlsio.c). */
struct tlsio {
	int		 fd;
	uint8_t		*buf;		/* TLSIO_READ octets, kept */
	size_t		 off, len;	/* what OpenSSL has not taken yet */
	int		 drained;	/* the socket had no more this time */
};

int	tlsio_connect(struct tlsio *, struct tls *, int, const char *);
void	tlsio_wake(struct tlsio *);
int	tlsio_pending(const struct tlsio *);

#endif /* DOTPROXY_TLSIO_H */
