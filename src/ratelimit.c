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
 * The per-client-prefix UDP rate limit (`rate-limit`): a token bucket per
 * IPv4 /24 or IPv6 /56 (by default), refilled at the configured rate and
 * holding at most the burst.  UDP sources are trivially spoofed, so the
 * buckets live in one table allocated at start and never grown: a prefix
 * not in it takes the slot, among the few it may use, whose bucket is the
 * fullest.  A flood from spoofed sources therefore costs no memory and
 * replaces buckets that are (nearly) full anyway, never those of the
 * prefixes being limited; at worst a replaced prefix gets one more burst.
 *
 * The table is the one all engines share (clientshm.c), so that a prefix
 * gets the rate in total, however the kernel spreads its datagrams over
 * the engines; an engine without it keeps a table of its own.  A bucket
 * is two words any engine may change at any time: a tag (the keyed hash
 * of the prefix, never 0) and a state (the last refill in ms, 32 bits,
 * and the tokens in thousandths), each changed by compare-and-swap.  Two
 * engines replacing the same slot at once may give a prefix one burst
 * more; garbage in a word gives at worst a wrong verdict, as every value
 * read is clamped.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "clientshm.h"
#include "config.h"
#include "ratelimit.h"

#define RL_WAYS		4	/* slots a prefix may occupy */
#define RL_TRIES	16	/* lost races before a datagram passes */
#define RL_SCALE	1000	/* tokens in thousandths: rate per ms */

#define RL_TAG		0	/* a slot's words */
#define RL_STATE	1
#define ST_STAMP(s)	((uint32_t)((s) >> 32))
#define ST_TOKENS(s)	((uint32_t)(s))
#define ST_MAKE(t, n)	((uint64_t)(t) << 32 | (n))

static struct {
	uint64_t	*slots;		/* pairs: tag, state */
	uint64_t	*own;		/* what we allocated, if anything */
	size_t		 nslots;
	uint64_t	 k0, k1;	/* hash key: sources are chosen */
	uint64_t	 rate;		/* queries per second */
	uint64_t	 burst;		/* in thousandths */
	int		 v4len, v6len;
} rl;

static uint64_t	 mix(uint64_t);
static int	 rl_key(const struct sockaddr *, uint8_t *);
static uint64_t	 rl_level(uint64_t, uint32_t);

/* A 64-bit finaliser (MurmurHash3's): every input bit moves every output. */
static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (h);
}

/*
 * The client's prefix, host bits cleared, in key; returns its address
 * family, or 0 for one we do not limit.  An IPv4-mapped IPv6 client
 * counts in its IPv4 prefix, as it does for the access list.
 */
static int
rl_key(const struct sockaddr *sa, uint8_t *key)
{
	const struct sockaddr_in6	*sin6;
	const uint8_t			*a;
	int				 af, bits, n, i;

	memset(key, 0, 16);
	switch (sa->sa_family) {
	case AF_INET:
		a = (const uint8_t *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		af = AF_INET;
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		a = sin6->sin6_addr.s6_addr;
		af = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a += 12;
			af = AF_INET;
		}
		break;
	default:
		return (0);
	}
	bits = af == AF_INET ? rl.v4len : rl.v6len;
	n = bits / 8;
	memcpy(key, a, n);
	if ((i = bits % 8) != 0)
		key[n] = a[n] & (0xff << (8 - i));
	return (af);
}

int
ratelimit_init(const struct conf_scalars *sc)
{
	const uint64_t	*key;

	free(rl.own);
	memset(&rl, 0, sizeof(rl));
	if (sc->rate_limit == 0)
		return (0);
	if ((rl.slots = clientshm_rl(&rl.nslots)) != NULL &&
	    (key = clientshm_key()) != NULL) {
		rl.k0 = key[0];
		rl.k1 = key[1];
	} else {
		rl.nslots = sc->rate_limit_table;
		if ((rl.own = calloc(rl.nslots, 2 * sizeof(*rl.own))) == NULL)
			return (-1);
		rl.slots = rl.own;
		arc4random_buf(&rl.k0, sizeof(rl.k0));
		arc4random_buf(&rl.k1, sizeof(rl.k1));
	}
	rl.rate = sc->rate_limit;
	rl.burst = (uint64_t)sc->rate_limit_burst * RL_SCALE;
	rl.v4len = sc->rate_limit_v4;
	rl.v6len = sc->rate_limit_v6;
	return (0);
}

/*
 * A bucket's tokens at now (ms, 32 bits), refilled at the rate up to the
 * burst.  A stamp ahead of now (another engine read the clock a moment
 * later, or the clock went back) refills nothing.
 */
static uint64_t
rl_level(uint64_t st, uint32_t now)
{
	uint64_t	elapsed, tokens = ST_TOKENS(st);

	elapsed = (uint32_t)(now - ST_STAMP(st));
	if (elapsed >= 1U << 31)
		elapsed = 0;
	if (tokens > rl.burst)
		tokens = rl.burst;
	/* past the time a bucket takes to fill, it is simply full */
	if (elapsed >= rl.burst / rl.rate + 1 ||
	    tokens + elapsed * rl.rate > rl.burst)
		return (rl.burst);
	return (tokens + elapsed * rl.rate);
}

/*
 * Takes a token from the client's bucket at now (ms, monotonic): RL_PASS
 * if there was one, RL_OVER if the prefix is over its rate.
 */
int
ratelimit_check(const struct sockaddr *sa, uint64_t now)
{
	uint64_t	*s, *victim = NULL;
	uint64_t	 h, w0, w1, tag, vtag = 0, st, nst, level, vlevel = 0;
	uint32_t	 now32 = (uint32_t)now, stamp;
	uint8_t		 key[16];
	size_t		 base, i;
	int		 af, t;

	if (rl.slots == NULL || (af = rl_key(sa, key)) == 0)
		return (RL_PASS);
	memcpy(&w0, key, sizeof(w0));
	memcpy(&w1, key + 8, sizeof(w1));
	h = mix(rl.k0 ^ w0) ^ mix(rl.k1 ^ w1 ^ (uint64_t)af);
	tag = h | 1;
	base = h % rl.nslots;
	for (t = 0; t < RL_TRIES; t++) {
		for (i = 0; i < RL_WAYS; i++) {
			s = &rl.slots[2 * ((base + i) % rl.nslots)];
			w0 = __atomic_load_n(&s[RL_TAG], __ATOMIC_ACQUIRE);
			if (w0 == tag)
				goto found;
			/*
			 * The victim is a free slot, else the fullest
			 * bucket: a full one says nothing a new bucket
			 * would not, while the prefixes that are over
			 * their rate have empty ones and keep them,
			 * however many others pass through.
			 */
			level = w0 == 0 ? UINT64_MAX : rl_level(
			    __atomic_load_n(&s[RL_STATE], __ATOMIC_RELAXED),
			    now32);
			if (victim == NULL || level > vlevel) {
				victim = s;
				vtag = w0;
				vlevel = level;
			}
		}
		s = victim;
		victim = NULL;
		if (!__atomic_compare_exchange_n(&s[RL_TAG], &vtag, tag, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;	/* another engine took it: look again */
		__atomic_store_n(&s[RL_STATE], ST_MAKE(now32, rl.burst),
		    __ATOMIC_RELEASE);
		break;
	}
	if (t == RL_TRIES)
		return (RL_PASS);
 found:
	st = __atomic_load_n(&s[RL_STATE], __ATOMIC_ACQUIRE);
	for (t = 0; t < RL_TRIES; t++) {
		if ((level = rl_level(st, now32)) < RL_SCALE)
			return (RL_OVER);
		/* a clock that went back must not refill the bucket twice */
		stamp = (uint32_t)(now32 - ST_STAMP(st)) < 1U << 31 ? now32 :
		    ST_STAMP(st);
		nst = ST_MAKE(stamp, level - RL_SCALE);
		if (__atomic_compare_exchange_n(&s[RL_STATE], &st, nst, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return (RL_PASS);
	}
	return (RL_PASS);
}
