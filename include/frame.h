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

#ifndef DOTPROXY_FRAME_H
#define DOTPROXY_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * DNS over a stream (RFC 1035 4.2.2, RFC 7858): each message follows
 * its 16-bit length.  Client TCP and upstream TLS cut their byte streams
 * into messages here, so both read the framing the same way however the
 * bytes arrive.
 */
enum frame_result {
	FRAME_NEED = 0,	/* no whole message buffered yet */
	FRAME_MSG,	/* a whole message */
	FRAME_HEAD,	/* the header of one over the caller's max */
	FRAME_BAD	/* a length shorter than a header: close */
};

/* What is carried from one read to the next: the rest of an oversized one. */
struct frame {
	size_t	skip;
};

struct frame_msg {
	const uint8_t	*data;
	size_t		 len;
};

enum frame_result frame_next(struct frame *, size_t, const uint8_t *,
		    size_t, size_t *, struct frame_msg *);

/*
 * An upstream's replies: every whole message in the buffer to the
 * handler, which says 0 (go on), 1 (the stream is gone: stop) or -1 (a
 * bad reply); -1 also for a bad frame.
 */
struct buf;
typedef int	(*frame_handler)(void *, uint8_t *, size_t);
int		 frame_drain(struct buf *, frame_handler, void *);

#endif /* DOTPROXY_FRAME_H */
