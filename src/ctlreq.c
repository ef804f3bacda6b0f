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

#include <stdlib.h>
#include <string.h>

#include "ctlreq.h"

/*
 * The words of a control socket request line, with no side effect, so
 * that control.c runs what this decides and a fuzz target
 * (regress/fuzz/fuzz_control.c) can feed it any line.  The line is cut
 * up in place; req->arg points into it.
 */
void
ctlreq_parse(char *line, struct ctlreq *req)
{
	char		*w[CONTROL_MAX_WORDS + 1], *p, *last;
	const char	*errstr;
	int		 n = 0;

	memset(req, 0, sizeof(*req));
	req->cmd = CTL_UNKNOWN;
	for (p = strtok_r(line, " \t\r", &last); p != NULL;
	    p = strtok_r(NULL, " \t\r", &last)) {
		if (n == CONTROL_MAX_WORDS) {
			req->cmd = CTL_TOO_MANY_WORDS;
			return;
		}
		w[n++] = p;
	}
	w[n] = NULL;
	if (n == 2 && strcmp(w[0], "show") == 0) {
		if (strcmp(w[1], "stats") == 0)
			req->cmd = CTL_SHOW_STATS;
		else if (strcmp(w[1], "upstreams") == 0)
			req->cmd = CTL_SHOW_UPSTREAMS;
		else if (strcmp(w[1], "cache") == 0)
			req->cmd = CTL_SHOW_CACHE;
		else if (strcmp(w[1], "metrics") == 0)
			req->cmd = CTL_SHOW_METRICS;
	} else if (n == 1 && strcmp(w[0], "reload") == 0) {
		req->cmd = CTL_RELOAD;
	} else if ((n == 2 || n == 3) && strcmp(w[0], "flush") == 0 &&
	    strcmp(w[1], "cache") == 0) {
		req->cmd = CTL_FLUSH_CACHE;
		if (n == 3) {
			req->arg = w[2];
			if (ctlreq_name_to_wire(w[2], req->wire,
			    &req->wlen) == -1)
				req->cmd = CTL_BAD_NAME;
		}
	} else if (n == 3 && strcmp(w[0], "log") == 0 &&
	    strcmp(w[1], "verbose") == 0) {
		req->value = strtonum(w[2], 0, 3, &errstr);
		req->cmd = errstr == NULL ? CTL_LOG_VERBOSE : CTL_BAD_VERBOSE;
	} else if (n == 3 && strcmp(w[0], "log") == 0 &&
	    strcmp(w[1], "queries") == 0 && (strcmp(w[2], "on") == 0 ||
	    strcmp(w[2], "off") == 0)) {
		req->value = strcmp(w[2], "on") == 0;
		req->cmd = CTL_LOG_QUERIES;
	}
}

/*
 * "www.Example.com." to wire format.  Labels of 1 to 63 printable
 * characters (no escapes), 255 octets in all; the final dot is optional,
 * and "." alone is the root.
 */
int
ctlreq_name_to_wire(const char *name, uint8_t *out, size_t *lenp)
{
	size_t	o = 0, l;
	const char *p = name, *dot;

	if (strcmp(name, ".") == 0)
		p = "";
	while (*p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		l = dot - p;
		if (l == 0 || l > 63 || o + 1 + l + 1 > DNS_MAX_NAME)
			return (-1);
		out[o++] = l;
		for (; p < dot; p++) {
			if (*p <= 0x20 || *p >= 0x7f)
				return (-1);
			out[o++] = *p;
		}
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	*lenp = o;
	return (0);
}
