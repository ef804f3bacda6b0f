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
 * Control socket requests: ctlreq_parse() on any line dotproxyctl (or
 * anything else the socket lets in) could send, NUL bytes included, as
 * control_read() hands it over: at most CONTROL_LINE_MAX bytes, the LF
 * gone.  A name for "flush cache" goes to every engine, which kills
 * itself on one it cannot walk (report_flush_cache()), so a name taken
 * must be whole labels of printable bytes ending at the root, and read
 * back as the text it came from.
 *
 * input: the line
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlreq.h"
#include "fuzz.h"

#define LINE_MAX_FUZZ	256	/* CONTROL_LINE_MAX in src/control.c */

/* The wire name back to text, checked as the engine walks it. */
static void
check_wire(const struct ctlreq *req)
{
	char	 text[DNS_MAX_NAME + 2];
	size_t	 off = 0, o = 0, arglen, j;
	uint8_t	 l;

	FUZZ_ASSERT(req->wlen >= 1 && req->wlen <= DNS_MAX_NAME);
	while ((l = req->wire[off]) != 0) {
		FUZZ_ASSERT(l <= 63 && off + 1 + l < req->wlen);
		for (j = 1; j <= l; j++) {
			FUZZ_ASSERT(req->wire[off + j] > 0x20 &&
			    req->wire[off + j] < 0x7f);
			FUZZ_ASSERT(req->wire[off + j] != '.');
			text[o++] = req->wire[off + j];
		}
		text[o++] = '.';
		off += 1 + l;
	}
	FUZZ_ASSERT(off == req->wlen - 1);
	if (o == 0)
		text[o++] = '.';
	text[o] = '\0';
	/* the text typed, with or without its final dot */
	arglen = strlen(req->arg);
	FUZZ_ASSERT(strcmp(text, req->arg) == 0 || (arglen + 1 == o &&
	    strncmp(text, req->arg, arglen) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlreq	 req;
	char		*line;

	if (size > LINE_MAX_FUZZ)
		return (0);
	line = fuzz_alloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	ctlreq_parse(line, &req);
	switch (req.cmd) {
	case CTL_FLUSH_CACHE:
		if (req.arg == NULL) {
			FUZZ_ASSERT(req.wlen == 0);
			break;
		}
		FUZZ_ASSERT(req.arg >= line && req.arg < line + size);
		check_wire(&req);
		break;
	case CTL_LOG_VERBOSE:
		FUZZ_ASSERT(req.value >= 0 && req.value <= 3);
		break;
	case CTL_LOG_QUERIES:
		FUZZ_ASSERT(req.value == 0 || req.value == 1);
		break;
	case CTL_UNKNOWN:
	case CTL_TOO_MANY_WORDS:
	case CTL_SHOW_STATS:
	case CTL_SHOW_UPSTREAMS:
	case CTL_SHOW_CACHE:
	case CTL_SHOW_METRICS:
	case CTL_RELOAD:
	case CTL_BAD_NAME:
	case CTL_BAD_VERBOSE:
		break;
	default:
		FUZZ_ASSERT(!"a known command");
	}
	free(line);
	return (0);
}
