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

#ifndef DOTPROXY_ZONE_H
#define DOTPROXY_ZONE_H

#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"

/* What a zone does with the names at and below its apex. */
enum zone_action {
	ZONE_FORWARD = 0,	/* to the zone's own upstreams */
	ZONE_REFUSE,		/* REFUSED */
	ZONE_NXDOMAIN,		/* NXDOMAIN below the apex, with a SOA */
	ZONE_LOCALHOST,		/* built in: 127.0.0.1 and ::1 (RFC 6761) */
	ZONE_LOOPBACK		/* built in: NXDOMAIN, but PTR localhost */
};

/*
 * A zone statement: parse.y fills it, the parent reads its ca-file into
 * ca, and it travels to the engines as struct ipc_zone and its bundle.
 * policy and padding -1 mean "as the top level says".
 */
struct zone_conf {
	TAILQ_ENTRY(zone_conf)	 entry;
	char			 name[CONF_NAME_MAX];	/* lower case, no
							   final dot */
	int			 index;		/* 1.., "." is 0 */
	int			 action;	/* enum zone_action */
	int			 policy;	/* enum upstream_policy, or -1 */
	int			 padding;	/* block size, 0 off, -1 */
	char			 ca_file[PATH_MAX];	/* "": the top level's */
	struct upstream_list	 upstreams;
	uint8_t			*ca;	/* ca_file's bundle, NULL: none */
	size_t			 calen;
};

/* What an engine's lookup finds: the zone that decides for a name. */
struct zone {
	uint8_t		 wire[DNS_MAX_NAME];	/* apex, lower case */
	uint16_t	 len;		/* wire length */
	uint8_t		 labels;	/* 0 for the root */
	uint8_t		 action;	/* enum zone_action */
	uint16_t	 pool;		/* ZONE_FORWARD: its zone index */
	uint32_t	 hash;
	const char	*name;		/* for logs; "." for the root */
};

/* zone.c: names to zones, the table an engine routes by, local answers */
int		 zone_wire(const char *, uint8_t *, size_t);
int		 zone_text(const uint8_t *, size_t, char *, size_t);
void		 zone_table_init(const struct conf *);
void		 zone_table_free(void);
const struct zone *zone_lookup(const uint8_t *, size_t);
const char	*zone_builtin(int, int *);
size_t		 zone_answer(const uint8_t *, size_t,
		    const struct dns_query_info *, const struct zone *,
		    uint8_t *, size_t);

#endif /* DOTPROXY_ZONE_H */
