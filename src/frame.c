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

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "dns.h"
#include "frame.h"

/*
 * The next message in buf[*off, len), for a reader that takes messages up
 * to max bytes whole.  *off moves past what was used, skipped bytes
 * included, so the caller can drop buf[0, *off) whatever the result.  A
 * longer message is handed over as its header alone (enough to answer
 * FORMERR, with a buffer of 2 + max bytes) and its remaining bytes are
 * skipped as they arrive.  Reads nothing outside buf[0, len).
 */
enum frame_result
frame_next(struct frame *f, size_t max, const uint8_t *buf, size_t len,
    size_t *off, struct frame_msg *m)
{
	size_t	 o = *off, mlen, take;

	if (f->skip > 0) {
		take = len - o < f->skip ? len - o : f->skip;
		f->skip -= take;
		o += take;
		*off = o;
		if (f->skip > 0)
			return (FRAME_NEED);
	}
	if (len - o < 2)
		return (FRAME_NEED);
	mlen = dns_get16(buf + o);
	if (mlen < DNS_HDR_LEN)
		return (FRAME_BAD);
	if (mlen > max) {
		if (len - o - 2 < DNS_HDR_LEN)
			return (FRAME_NEED);
		m->data = buf + o + 2;
		m->len = DNS_HDR_LEN;
		/* the header counts as skipped: it is part of mlen */
		f->skip = mlen;
		*off = o + 2;
		return (FRAME_HEAD);
	}
	if (len - o - 2 < mlen)
		return (FRAME_NEED);
	m->data = buf + o + 2;
	m->len = mlen;
	*off = o + 2 + mlen;
	return (FRAME_MSG);
}

/*
 * No message can exceed DNS_MAX_MSG, so nothing is ever skipped and no
 * frame state is carried from one read to the next.  Each message is
 * consumed once handled, unless the handler ended the stream.
 */
int
frame_drain(struct buf *in, frame_handler handle, void *arg)
{
	struct frame		 fr = { 0 };
	struct frame_msg	 m;
	enum frame_result	 r;
	size_t			 off;
	int			 h;

	for (;;) {
		off = 0;
		r = frame_next(&fr, DNS_MAX_MSG, buf_head(in), buf_used(in),
		    &off, &m);
		if (r == FRAME_NEED)
			return (0);
		if (r == FRAME_BAD || (h = handle(arg, (uint8_t *)m.data,
		    m.len)) == -1)
			return (-1);
		if (h == 1)
			return (1);
		buf_consume(in, off);
	}
}
