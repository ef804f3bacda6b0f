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

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <stdint.h>
#include <string.h>
#include <tls.h>

#include "config.h"
#include "pin.h"

/*
 * SPKI pins (RFC 7858 4.2, RFC 7469 2.4): the SHA-256 digest of a
 * certificate's DER SubjectPublicKeyInfo.  libtls verifies the chain and
 * the name; it hands us the chain as PEM, and libcrypto, which libtls is
 * built on here, parses it.  Any certificate of the chain may match, so
 * a pin on an intermediate survives the leaf's renewal.
 */

static int
spki_matches(X509 *x, const struct upstream_conf *uc)
{
	unsigned char	 digest[SHA256_DIGEST_LENGTH];
	unsigned char	*der = NULL;
	int		 len, i, match = 0;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		return (0);
	SHA256(der, len, digest);
	OPENSSL_free(der);
	for (i = 0; i < uc->npins; i++)
		if (memcmp(digest, uc->pins[i], CONF_PIN_LEN) == 0)
			match = 1;
	return (match);
}

int
pin_check(struct tls *ctx, const struct upstream_conf *uc)
{
	const uint8_t	*pem;
	size_t		 len;
	BIO		*bio;
	X509		*x;
	int		 match = 0;

	if ((pem = tls_peer_cert_chain_pem(ctx, &len)) == NULL ||
	    len > INT32_MAX)
		return (-1);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return (-1);
	while (!match &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		match = spki_matches(x, uc);
		X509_free(x);
	}
	BIO_free(bio);
	return (match ? 0 : -1);
}
