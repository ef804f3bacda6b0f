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

#ifndef DOTPROXY_CTLREQ_H
#define DOTPROXY_CTLREQ_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

/* A control socket request line taken apart (ctlreq.c). */
enum ctlreq_cmd {
	CTL_UNKNOWN,
	CTL_TOO_MANY_WORDS,
	CTL_SHOW_STATS,
	CTL_SHOW_UPSTREAMS,
	CTL_SHOW_CACHE,
	CTL_SHOW_METRICS,
	CTL_RELOAD,
	CTL_FLUSH_CACHE,	/* wire, wlen: a name, or nothing for all */
	CTL_BAD_NAME,
	CTL_LOG_VERBOSE,	/* value: 0 to 3 */
	CTL_BAD_VERBOSE,
	CTL_LOG_QUERIES		/* value: 1 on, 0 off */
};

struct ctlreq {
	enum ctlreq_cmd	 cmd;
	int		 value;
	const char	*arg;		/* the name as typed, in the line */
	uint8_t		 wire[DNS_MAX_NAME];
	size_t		 wlen;
};

#define CONTROL_MAX_WORDS	4

void	ctlreq_parse(char *, struct ctlreq *);
int	ctlreq_name_to_wire(const char *, uint8_t *, size_t *);

#endif /* DOTPROXY_CTLREQ_H */
