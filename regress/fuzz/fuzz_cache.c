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
 * The answer cache driven by a script in the input: store a reply to
 * one of a few queries, look one up (fresh or stale) into a buffer of a
 * size the input gives, move the clock.  A hit must fit its buffer,
 * carry the asker's ID and spelling of the question, and match that
 * question as the upstream matcher would.
 *
 * input: entries (1), min ttl (1), max ttl (2), then operations:
 *   0 q len(2) header(12) body(len)	store a reply to query q
 *   1 q outsz(2)			lookup
 *   2 q outsz(2)			stale lookup
 *   3 t				clock += t s (t < 128) or t ks
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "dns.h"
#include "fuzz.h"

/* query selector bits */
#define Q_NAME		0x03
#define Q_DO		0x04
#define Q_CD		0x08
#define Q_UPPER		0x10
#define Q_OPT		0x20
#define Q_TYPE		0xc0

static uint64_t	 clock_ms = 1000000;

uint64_t
now_ms(void)
{
	return (clock_ms);
}

static const char *names[] = {
	"\7example\3com",
	"\1a",
	"\3www\7Example\3com",
	"\77aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"\77bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	"\77ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	"\75ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
};
static const uint16_t types[] = { 1, 28, 15, 16 };

static size_t
make_query(uint8_t sel, uint16_t id, uint8_t *q, struct dns_query_info *qi)
{
	const char	*n = names[sel & Q_NAME];
	size_t		 len, nl = strlen(n) + 1, i;

	memset(q, 0, DNS_HDR_LEN);
	dns_put16(q, id);
	dns_put16(q + 2, DNS_F_RD | ((sel & Q_CD) ? DNS_F_CD : 0));
	q[5] = 1;
	q[11] = (sel & Q_OPT) ? 1 : 0;
	memcpy(q + DNS_HDR_LEN, n, nl);
	if (sel & Q_UPPER)
		for (i = DNS_HDR_LEN; i < DNS_HDR_LEN + nl; i++)
			if (q[i] >= 'a' && q[i] <= 'z')
				q[i] -= 32;
	len = DNS_HDR_LEN + nl;
	dns_put16(q + len, types[(sel & Q_TYPE) >> 6]);
	dns_put16(q + len + 2, 1);
	len += 4;
	if (sel & Q_OPT) {
		memcpy(q + len, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
		if (sel & Q_DO)
			q[len + 7] = 0x80;
		len += 11;
	}
	FUZZ_ASSERT(dns_check_query(q, len, qi) == DNS_OK);
	return (len);
}

static void
check_hit(const uint8_t *q, const struct dns_query_info *qi,
    const uint8_t *out, size_t n, size_t outsz)
{
	FUZZ_ASSERT(n >= DNS_HDR_LEN + qi->question_len && n <= outsz);
	FUZZ_ASSERT(dns_get16(out) == qi->id);
	FUZZ_ASSERT(memcmp(out + DNS_HDR_LEN, q + DNS_HDR_LEN,
	    qi->question_len) == 0);
	FUZZ_ASSERT(dns_check_reply(out, n, q + DNS_HDR_LEN,
	    qi->question_len, NULL));
	FUZZ_ASSERT((dns_get16(out + 2) & DNS_F_RD) ==
	    (qi->flags & DNS_F_RD));
	FUZZ_ASSERT((dns_get16(out + 2) & (DNS_F_TC | DNS_F_AA)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query_info	 qi;
	struct dns_summary	 sum;
	enum cache_result	 res;
	uint8_t			 q[512], *r, *out;
	size_t			 off = 4, len, n, outsz;
	uint16_t		 id = 0;
	uint8_t			 op, sel;

	if (size < 4)
		return (0);
	cache_init(1 + data[0] % 8, data[1], 1 + dns_get16(data + 2));
	clock_ms = 1000000;

	while (size - off >= 2) {
		op = data[off++] % 4;
		sel = data[off++];
		if (op == 3) {
			clock_ms += sel < 128 ? sel * 1000ULL :
			    (sel - 127) * 1000000ULL;
			continue;
		}
		(void)make_query(sel, id++, q, &qi);
		if (size - off < 2)
			break;
		len = dns_get16(data + off);
		off += 2;
		if (op == 0) {
			/* header from the input, our question, the rest */
			if (size - off < DNS_HDR_LEN)
				break;
			if (len > size - off - DNS_HDR_LEN)
				len = size - off - DNS_HDR_LEN;
			n = DNS_HDR_LEN + qi.question_len + len;
			r = fuzz_alloc(n);
			memcpy(r, data + off, DNS_HDR_LEN);
			r[2] |= DNS_F_QR >> 8;
			dns_put16(r + 4, 1);
			memcpy(r + DNS_HDR_LEN, q + DNS_HDR_LEN,
			    qi.question_len);
			memcpy(r + DNS_HDR_LEN + qi.question_len,
			    data + off + DNS_HDR_LEN, len);
			off += DNS_HDR_LEN + len;
			/* as the engine does: a matched reply, summed up */
			if (dns_check_reply(r, n, q + DNS_HDR_LEN,
			    qi.question_len, &sum))
				cache_store(q, &qi, r, n, &sum);
			free(r);
			continue;
		}
		outsz = len;
		out = fuzz_alloc(outsz);
		if (op == 1) {
			res = cache_lookup(q, &qi, out, outsz, &n);
			if (res != CACHE_MISS)
				check_hit(q, &qi, out, n, outsz);
		} else {
			n = cache_lookup_stale(q, &qi, out, outsz);
			if (n != 0)
				check_hit(q, &qi, out, n, outsz);
		}
		free(out);
	}
	return (0);
}
