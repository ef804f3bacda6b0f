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

#ifndef DOTPROXY_HTTPREQ_H
#define DOTPROXY_HTTPREQ_H

#include <stddef.h>

/* What the metrics endpoint answers to a request (httpreq.c). */
enum httpreq_status {
	HTTPREQ_MORE = 0,	/* the headers are not all in yet */
	HTTPREQ_OK = 200,
	HTTPREQ_BAD = 400,
	HTTPREQ_NOT_FOUND = 404,
	HTTPREQ_NOT_ALLOWED = 405,
	HTTPREQ_TOO_LARGE = 431
};

enum httpreq_status	httpreq_status(const char *, size_t, size_t);

#endif /* DOTPROXY_HTTPREQ_H */
