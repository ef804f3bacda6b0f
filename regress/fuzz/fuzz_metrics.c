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
 * Metrics endpoint requests: httpreq_status() on any bytes a client
 * sends, up to one over the read bound (the watermark of the metrics
 * process).  The answer is one of the known ones; nothing is answered
 * before the end of the headers unless past the bound; a 200 is only
 * for GET /metrics; and once answered, more bytes after it change
 * nothing (the process stops reading then).
 *
 * input: the bytes received
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "httpreq.h"

#define REQ_MAX		4096	/* METRICS_REQ_MAX in src/metrics.c */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 more[] = "\r\n\r\nGET /metrics HTTP/1.0\r\n";
	enum httpreq_status	 st, st2;
	char			*buf;
	int			 ended;

	if (size == 0 || size > REQ_MAX + 1)
		return (0);
	/* exactly the bytes, so ASan sees one more */
	buf = fuzz_alloc(size);
	memcpy(buf, data, size);
	st = httpreq_status(buf, size, REQ_MAX);
	ended = memmem(data, size, "\r\n\r\n", 4) != NULL ||
	    memmem(data, size, "\n\n", 2) != NULL;
	switch (st) {
	case HTTPREQ_MORE:
		FUZZ_ASSERT(!ended && size <= REQ_MAX);
		break;
	case HTTPREQ_TOO_LARGE:
		FUZZ_ASSERT(!ended && size > REQ_MAX);
		break;
	case HTTPREQ_OK:
		FUZZ_ASSERT(size >= 13 && memcmp(data, "GET /metrics", 12) ==
		    0 && (data[12] == ' ' || data[12] == '?'));
		/* FALLTHROUGH */
	case HTTPREQ_BAD:
	case HTTPREQ_NOT_FOUND:
	case HTTPREQ_NOT_ALLOWED:
		FUZZ_ASSERT(ended);
		break;
	default:
		FUZZ_ASSERT(!"a known status");
	}
	free(buf);
	if (st == HTTPREQ_MORE || st == HTTPREQ_TOO_LARGE)
		return (0);
	buf = fuzz_alloc(size + sizeof(more) - 1);
	memcpy(buf, data, size);
	memcpy(buf + size, more, sizeof(more) - 1);
	st2 = httpreq_status(buf, size + sizeof(more) - 1, REQ_MAX);
	FUZZ_ASSERT(st2 == st);
	free(buf);
	return (0);
}
