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

#include <stdlib.h>
#include <string.h>

#include "buffer.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

/* Room for n more bytes at the end, or NULL past the cap or on ENOMEM. */
uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, nsize;
	uint8_t	*p;

	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->size - b->len >= n)
		return (b->data + b->len);
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->size - b->len >= n)
			return (b->data + b->len);
	}
	need = b->len + n;
	if (need > b->max)
		return (NULL);
	nsize = b->size == 0 ? 4096 : b->size;
	while (nsize < need)
		nsize *= 2;
	if (nsize > b->max)
		nsize = b->max;
	if ((p = realloc(b->data, nsize)) == NULL)
		return (NULL);
	b->data = p;
	b->size = nsize;
	return (b->data + b->len);
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

void
buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

int
buf_append(struct buf *b, const void *data, size_t n)
{
	uint8_t	*p;

	if ((p = buf_reserve(b, n)) == NULL)
		return (-1);
	memcpy(p, data, n);
	buf_commit(b, n);
	return (0);
}
