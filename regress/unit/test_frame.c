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
 * Unit tests for src/frame.c: whole messages, a length too short for a
 * header, an oversized message handed over as its header and skipped
 * across reads, and a message cut at every point.
 */

#include <stdint.h>
#include <string.h>

#include "dns.h"
#include "frame.h"
#include "unit.h"

static uint8_t	s[4096];
static size_t	slen;

static void
add(size_t len, uint8_t fill)
{
	dns_put16(s + slen, len);
	memset(s + slen + 2, fill, len);
	slen += 2 + len;
}

int
main(void)
{
	struct frame		 f = { 0 };
	struct frame_msg	 m;
	size_t			 off = 0, cut, n;
	int			 r, ok;

	/* two whole messages, then a partial one */
	slen = 0;
	add(12, 'a');
	add(30, 'b');
	add(20, 'c');
	r = frame_next(&f, 100, s, slen - 1, &off, &m);
	CHECK(r == FRAME_MSG && m.len == 12 && m.data == s + 2 && off == 14,
	    "first message whole");
	r = frame_next(&f, 100, s, slen - 1, &off, &m);
	CHECK(r == FRAME_MSG && m.len == 30 && m.data[29] == 'b' && off == 46,
	    "second message whole");
	r = frame_next(&f, 100, s, slen - 1, &off, &m);
	CHECK(r == FRAME_NEED && off == 46, "a message one byte short waits");
	r = frame_next(&f, 100, s, slen, &off, &m);
	CHECK(r == FRAME_MSG && m.len == 20 && off == slen,
	    "and comes with its last byte");

	/* a length below a header condemns the stream */
	slen = off = 0;
	add(11, 'x');
	CHECK(frame_next(&f, 100, s, slen, &off, &m) == FRAME_BAD,
	    "length 11: bad");
	off = 0;
	CHECK(frame_next(&f, 100, s, 2, &off, &m) == FRAME_BAD,
	    "length 11: bad before its bytes arrive");

	/* oversized: its header, then skipped over two reads */
	slen = off = 0;
	add(200, 'o');
	add(12, 'n');
	CHECK(frame_next(&f, 100, s, 13, &off, &m) == FRAME_NEED && off == 0,
	    "oversized: waits for its header");
	r = frame_next(&f, 100, s, 14, &off, &m);
	CHECK(r == FRAME_HEAD && m.len == DNS_HDR_LEN && m.data == s + 2 &&
	    off == 2, "oversized: its header");
	r = frame_next(&f, 100, s, 100, &off, &m);
	CHECK(r == FRAME_NEED && off == 100 && f.skip == 102,
	    "oversized: skipped as it arrives");
	r = frame_next(&f, 100, s, slen, &off, &m);
	CHECK(r == FRAME_MSG && m.len == 12 && m.data[0] == 'n' &&
	    off == slen && f.skip == 0, "the next message after it");

	/* one message, the buffer cut at every point, then the rest */
	slen = 0;
	add(40, 'z');
	ok = 1;
	for (cut = 0; cut < slen; cut++) {
		memset(&f, 0, sizeof(f));
		off = 0;
		if (frame_next(&f, 100, s, cut, &off, &m) != FRAME_NEED ||
		    off != 0)
			ok = 0;
		n = 0;
		if (frame_next(&f, 100, s, slen, &n, &m) != FRAME_MSG ||
		    m.len != 40 || n != slen)
			ok = 0;
	}
	CHECK(ok, "a message cut anywhere waits, then comes whole");
	return (unit_done());
}
