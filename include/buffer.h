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

#ifndef DOTPROXY_BUFFER_H
#define DOTPROXY_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A linear byte buffer for stream I/O: data lives in [off, len).  It
 * grows up to max and compacts before growing, so a connection that keeps
 * up never reallocates after its first few messages.
 */
struct buf {
	uint8_t	*data;
	size_t	 off;
	size_t	 len;
	size_t	 size;
	size_t	 max;
};

void	 buf_init(struct buf *, size_t);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
uint8_t	*buf_reserve(struct buf *, size_t);
void	 buf_commit(struct buf *, size_t);
void	 buf_consume(struct buf *, size_t);
int	 buf_append(struct buf *, const void *, size_t);

static inline size_t
buf_used(const struct buf *b)
{
	return (b->len - b->off);
}

static inline uint8_t *
buf_head(const struct buf *b)
{
	return (b->data + b->off);
}

#endif /* DOTPROXY_BUFFER_H */
