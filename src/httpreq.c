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

#include <string.h>

#include "httpreq.h"

/*
 * The metrics endpoint's view of an HTTP request, with no socket or
 * event in it, so that the metrics process runs what this decides and a
 * fuzz target (regress/fuzz/fuzz_metrics.c) can feed it anything.
 *
 * buf holds the len bytes received so far.  Until the end of the
 * headers (an empty line), the answer is to wait, or 431 past max
 * bytes.  Then only the request line counts, within its first 255
 * bytes: "GET /metrics HTTP/1.x" (a query string is ignored) is 200,
 * any other GET 404, another method 405, anything else 400.
 */
enum httpreq_status
httpreq_status(const char *buf, size_t len, size_t max)
{
	char	 line[256], *path, *ver;
	size_t	 n;

	if (memmem(buf, len, "\r\n\r\n", 4) == NULL &&
	    memmem(buf, len, "\n\n", 2) == NULL)
		return (len > max ? HTTPREQ_TOO_LARGE : HTTPREQ_MORE);
	n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, buf, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if ((path = strchr(line, ' ')) == NULL ||
	    (ver = strchr(path + 1, ' ')) == NULL ||
	    strncmp(ver + 1, "HTTP/1.", 7) != 0)
		return (HTTPREQ_BAD);
	*path++ = '\0';
	*ver = '\0';
	path[strcspn(path, "?")] = '\0';
	if (strcmp(line, "GET") != 0)
		return (HTTPREQ_NOT_ALLOWED);
	if (strcmp(path, "/metrics") != 0)
		return (HTTPREQ_NOT_FOUND);
	return (HTTPREQ_OK);
}
