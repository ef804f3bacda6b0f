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
 * Engine reports as the parent takes them (IPC_STATS): stats_check() on
 * the payload, then what the parent does with one it took: add it to a
 * sum, live and retired, and render the sum for dotproxyctl and the
 * metrics endpoint.  Every rendering stays a terminated string within
 * its buffer, whatever its size, and in the daemon's own buffers
 * (dotproxyctl's reply, the metrics text) is never cut; the sum never holds more upstreams than it has room for.
 *
 * input: mode (1), then the payload.  Mode bit 0: the payload as it
 * is, any length; otherwise cut or padded with zeros to the one size
 * the parent takes, so the checks after it are reached.  Bit 1: add
 * as a live engine.  The rest: the size of a small render buffer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stats.h"

#define REPLY_MAX	(1024 * 1024)	/* CONTROL_REPLY_MAX, control.c */
#define TEXT_MAX	(1024 * 1024)	/* METRICS_TEXT_MAX, metrics.c */

typedef size_t	(*render_fn)(const struct ipc_stats *, char *, size_t);

static const render_fn	renders[] = { stats_render_text,
			    stats_render_upstreams, stats_render_cache,
			    stats_render_metrics };

static char	big[TEXT_MAX];

/*
 * Into a buffer of exactly size bytes, so that ASan sees one more, but
 * the daemon's own big ones, which only the length can tell as cut.
 */
static size_t
check_render(render_fn f, const struct ipc_stats *st, size_t size, int whole)
{
	char	*buf;
	size_t	 n;

	buf = whole ? big : fuzz_alloc(size);
	n = f(st, buf, size);
	FUZZ_ASSERT(n < size && strlen(buf) == n);
	if (whole)
		FUZZ_ASSERT(n + 1 < size);
	else
		free(buf);
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipc_stats	 st, sum;
	uint8_t			*payload;
	size_t			 len, small, i, n;
	uint32_t		 k;
	int			 mode, live;

	if (size < 1)
		return (0);
	mode = data[0];
	live = (mode & 2) != 0;
	small = 1 + (mode >> 2) * 61;
	data++;
	size--;
	len = (mode & 1) ? size : sizeof(st);
	payload = fuzz_alloc(len);
	memset(payload, 0, len);
	memcpy(payload, data, size < len ? size : len);
	if (stats_check(&st, payload, len) == -1) {
		FUZZ_ASSERT(len != sizeof(st) ||
		    ((const struct ipc_stats *)(void *)payload)->nupstreams >
		    CONF_MAX_UPSTREAMS);
		free(payload);
		return (0);
	}
	free(payload);
	FUZZ_ASSERT(len == sizeof(st) && st.nupstreams <= CONF_MAX_UPSTREAMS);
	for (k = 0; k < st.nupstreams; k++)
		FUZZ_ASSERT(memchr(st.up[k].name, '\0',
		    sizeof(st.up[k].name)) != NULL &&
		    memchr(st.up[k].tls_name, '\0',
		    sizeof(st.up[k].tls_name)) != NULL &&
		    memchr(st.up[k].zone, '\0',
		    sizeof(st.up[k].zone)) != NULL);

	/* twice: the second finds the upstreams the first added */
	memset(&sum, 0, sizeof(sum));
	stats_add(&sum, &st, live);
	stats_add(&sum, &st, !live);
	FUZZ_ASSERT(sum.nupstreams <= st.nupstreams);
	/* the metrics text, the longest, is cut neither for dotproxyctl */
	for (i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		n = check_render(renders[i], &sum, renders[i] ==
		    stats_render_metrics ? TEXT_MAX : REPLY_MAX, 1);
		FUZZ_ASSERT(n + 1 < REPLY_MAX);
		check_render(renders[i], &sum, small, 0);
	}
	return (0);
}
