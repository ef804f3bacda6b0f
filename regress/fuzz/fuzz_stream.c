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
 * Stream reassembly (src/frame.c) as the client TCP and upstream TLS
 * readers use it, fed one byte stream cut at arbitrary points: the
 * messages that come out, and where the stream is condemned, must be the
 * same whatever the cuts, and the same as when the whole stream is
 * parsed at once.  The client reader is modelled with its fixed buffer
 * of 2 + DNS_MAX_QUERY bytes, the upstream one with DNS_MAX_MSG.
 *
 * input: ncuts (1), ncuts read sizes (1 each, 0 meaning 1), the stream
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "frame.h"
#include "fuzz.h"

#define MAXEV	4096

struct event_rec {
	enum frame_result	 r;
	size_t			 len;
	const uint8_t		*data;	/* in the one-shot parse's input */
};

static struct event_rec	 ev[MAXEV];
static size_t		 nev;
/* the client's read buffer and the upstream's, at their real sizes */
static uint8_t		 cbuf[2 + DNS_MAX_QUERY];
static uint8_t		 ubuf[2 + DNS_MAX_MSG];

/*
 * The harness's own loops are left out of the coverage feedback: their
 * comparisons say nothing about frame.c and cost most of the run time.
 */
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))

/* The whole stream in one buffer: the reference. */
static NO_COVERAGE void
one_shot(size_t max, const uint8_t *s, size_t len)
{
	struct frame		 f = { 0 };
	struct frame_msg	 m;
	enum frame_result	 r;
	size_t			 off = 0;

	nev = 0;
	while (nev < MAXEV) {
		r = frame_next(&f, max, s, len, &off, &m);
		FUZZ_ASSERT(off <= len);
		if (r == FRAME_NEED)
			break;
		ev[nev].r = r;
		ev[nev].len = m.len;
		ev[nev].data = r == FRAME_BAD ? NULL : m.data;
		nev++;
		if (r == FRAME_BAD)
			break;
		FUZZ_ASSERT(m.data >= s && m.data + m.len <= s + len);
		FUZZ_ASSERT(r == FRAME_MSG ? m.len <= max :
		    m.len == DNS_HDR_LEN);
	}
}

/*
 * The same stream read through a buffer of bufsz bytes in the read
 * sizes given, compacted after each read as the engine does.
 */
static NO_COVERAGE void
split(size_t max, size_t bufsz, const uint8_t *s, size_t len,
    const uint8_t *cuts, size_t ncuts)
{
	struct frame		 f = { 0 };
	struct frame_msg	 m;
	enum frame_result	 r;
	uint8_t			*buf;
	size_t			 pos = 0, rlen = 0, off, n, i = 0, k = 0;

	/* global, so ASan's redzone sits right after bufsz bytes */
	buf = bufsz == sizeof(cbuf) ? cbuf : ubuf;
	FUZZ_ASSERT(bufsz == sizeof(cbuf) || bufsz == sizeof(ubuf));
	while (pos < len) {
		n = ncuts > 0 && cuts[k % ncuts] != 0 ? cuts[k % ncuts] : 1;
		k++;
		if (n > len - pos)
			n = len - pos;
		if (n > bufsz - rlen)
			n = bufsz - rlen;
		/* a full buffer must always hold a whole message */
		FUZZ_ASSERT(n > 0);
		memcpy(buf + rlen, s + pos, n);
		pos += n;
		rlen += n;
		off = 0;
		for (;;) {
			r = frame_next(&f, max, buf, rlen, &off, &m);
			FUZZ_ASSERT(off <= rlen);
			if (r == FRAME_NEED)
				break;
			FUZZ_ASSERT(i < nev && ev[i].r == r);
			if (r == FRAME_BAD)
				return;
			FUZZ_ASSERT(m.data >= buf && m.data + m.len <= buf + rlen);
			FUZZ_ASSERT(ev[i].len == m.len &&
			    memcmp(ev[i].data, m.data, m.len) == 0);
			i++;
		}
		if (off > 0) {
			memmove(buf, buf + off, rlen - off);
			rlen -= off;
		}
	}
	/* every message the one-shot parse found, and no more */
	FUZZ_ASSERT(i == nev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*cuts, *s;
	size_t		 ncuts, len;

	if (size < 1)
		return (0);
	ncuts = data[0] % 32;
	if (size - 1 < ncuts)
		return (0);
	cuts = data + 1;
	s = data + 1 + ncuts;
	len = size - 1 - ncuts;

	one_shot(DNS_MAX_QUERY, s, len);
	if (nev < MAXEV)
		split(DNS_MAX_QUERY, 2 + DNS_MAX_QUERY, s, len, cuts, ncuts);
	one_shot(DNS_MAX_MSG, s, len);
	if (nev < MAXEV)
		split(DNS_MAX_MSG, 2 + DNS_MAX_MSG, s, len, cuts, ncuts);
	return (0);
}
