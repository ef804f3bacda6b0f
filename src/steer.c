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


#include <linux/filter.h>

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "steer.h"

/*
 * The engine every datagram of a question goes to, computed by the
 * kernel's classic BPF (steer_program()); steer_owner() is the same
 * function in C, over the same octets, to the same result, which the
 * test of the program (test_steer.c) holds it to.  FNV-1a over the
 * octets from the end of the header to the first zero octet (the root
 * label ends every name; a zero inside a label just ends the hash early,
 * the same way in both), at most STEER_NAME_MAX of them, each folded to
 * lower case; the seed is the parent's random number, so that no one
 * can pick names for one engine without watching where they go.  A
 * message that ends before a zero octet belongs to engine 0: a BPF load
 * past the end of the packet ends the program with 0.
 */
#define FNV_PRIME	16777619u

int
steer_owner(uint32_t seed, const uint8_t *msg, size_t len, int n)
{
	uint32_t	h = seed;
	size_t		i;
	uint8_t		c;

	if (n <= 1)
		return (0);
	for (i = 0; i < STEER_NAME_MAX; i++) {
		if (DNS_HDR_LEN + i >= len)
			return (0);
		if ((c = msg[DNS_HDR_LEN + i]) == 0)
			break;
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		h = (h ^ c) * FNV_PRIME;
	}
	return ((int)(h % (uint32_t)n));
}

/*
 * The same in classic BPF for SO_ATTACH_REUSEPORT_CBPF, which returns the
 * index of the socket in its reuseport group: the parent binds engine
 * k's socket k-th.  Classic BPF has no loops and jumps of at most 255
 * instructions, so the loop is unrolled in blocks of 16 octets, each
 * followed by its own exit for the names that end in it.  X holds the
 * hash, A the octet.
 */
#define BLOCK		16
#define PER_OCTET	8

static size_t
put(struct sock_filter *f, size_t i, uint16_t code, uint8_t jt, uint8_t jf,
    uint32_t k)
{
	f[i].code = code;
	f[i].jt = jt;
	f[i].jf = jf;
	f[i].k = k;
	return (i + 1);
}

static size_t
put_exit(struct sock_filter *f, size_t i, int n)
{
	i = put(f, i, BPF_MISC | BPF_TXA, 0, 0, 0);
	i = put(f, i, BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)n);
	return (put(f, i, BPF_RET | BPF_A, 0, 0, 0));
}

size_t
steer_program(struct sock_filter *f, size_t max, uint32_t seed, int n)
{
	size_t	i = 0;
	int	b, o, left;

	if (max < STEER_PROG_MAX || n < 1)
		return (0);
	i = put(f, i, BPF_LDX | BPF_IMM, 0, 0, seed);
	for (b = 0; b < STEER_NAME_MAX / BLOCK; b++) {
		for (o = 0; o < BLOCK; o++) {
			/* from after the JEQ to this block's exit */
			left = (BLOCK - 1 - o) * PER_OCTET + (PER_OCTET - 2) +
			    1;
			i = put(f, i, BPF_LD | BPF_B | BPF_ABS, 0, 0,
			    DNS_HDR_LEN + b * BLOCK + o);
			i = put(f, i, BPF_JMP | BPF_JEQ | BPF_K, left, 0, 0);
			i = put(f, i, BPF_JMP | BPF_JGE | BPF_K, 0, 2, 'A');
			i = put(f, i, BPF_JMP | BPF_JGT | BPF_K, 1, 0, 'Z');
			i = put(f, i, BPF_ALU | BPF_OR | BPF_K, 0, 0, 0x20);
			i = put(f, i, BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
			i = put(f, i, BPF_ALU | BPF_MUL | BPF_K, 0, 0,
			    FNV_PRIME);
			i = put(f, i, BPF_MISC | BPF_TAX, 0, 0, 0);
		}
		/* the last octet of the block goes on to the next block */
		i = put(f, i, BPF_JMP | BPF_JA, 0, 0, 3);
		i = put_exit(f, i, n);
	}
	return (put_exit(f, i, n));
}

/*
 * The name hashed again, 64 bits wide, for the holders' directory
 * (inbox.c): the same octets, folded the same way, so that every
 * spelling of a name finds the same word.
 */
#define FNV64_PRIME	1099511628211ULL

uint64_t
steer_hash(uint32_t seed, const uint8_t *msg, size_t len)
{
	uint64_t	h = 14695981039346656037ULL ^ seed;
	size_t		i;
	uint8_t		c;

	for (i = 0; i < STEER_NAME_MAX && DNS_HDR_LEN + i < len; i++) {
		if ((c = msg[DNS_HDR_LEN + i]) == 0)
			break;
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		h = (h ^ c) * FNV64_PRIME;
	}
	return (h);
}
