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


#ifndef DOTPROXY_STEER_H
#define DOTPROXY_STEER_H

#include <linux/filter.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Which engine gets the datagrams of a question: a hash of the name as
 * it came (folded to lower case, so that 0x20 randomisation changes
 * nothing), modulo the number of engines, computed by the kernel with
 * steer_program() on the UDP listeners (reuseport); steer_owner() is
 * the same in C.  steer_hash() is a wider hash of the same octets, for
 * the holders' directory (inbox.c).
 */
#define STEER_NAME_MAX	256	/* octets of the name hashed at most */
#define STEER_PROG_MAX	2200	/* instructions steer_program() makes */

int		 steer_owner(uint32_t, const uint8_t *, size_t, int);
uint64_t	 steer_hash(uint32_t, const uint8_t *, size_t);
size_t		 steer_program(struct sock_filter *, size_t, uint32_t, int);

#endif /* DOTPROXY_STEER_H */
