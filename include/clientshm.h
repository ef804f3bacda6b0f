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

#ifndef DOTPROXY_CLIENTSHM_H
#define DOTPROXY_CLIENTSHM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"

/*
 * The per-client counts every engine shares (src/clientshm.c): one
 * memfd the parent makes at start-up and hands to each engine.
 */

#define CSHM_NONE	UINT32_MAX	/* no column, no charge record */

/* what clientshm_take() says */
#define CSHM_OK		0	/* counted in the shared table */
#define CSHM_OVER	(-1)	/* the address holds its limit in total */
#define CSHM_NOROOM	1	/* no room: counted in this engine alone */

enum cshm_kind {
	CSHM_TCP,
	CSHM_QUERY
};

struct ipc;

/* the parent */
int		 clientshm_create(const struct conf_scalars *);
void		 clientshm_send(struct ipc *, pid_t);
void		 clientshm_release(pid_t);
int		 clientshm_assign(pid_t, struct ipc_clientshm *);

/* an engine */
void		 clientshm_attach(int, const void *, size_t);
const uint64_t	*clientshm_key(void);
int		 clientshm_take(int, const uint8_t *, int, uint32_t,
		    uint32_t *);
void		 clientshm_put(uint32_t *);
uint64_t	*clientshm_rl(size_t *);
uint64_t	*clientshm_holders(uint32_t *);
int		 clientshm_held(uint64_t);
uint64_t	 clientshm_held_total(uint64_t);

#endif /* DOTPROXY_CLIENTSHM_H */
