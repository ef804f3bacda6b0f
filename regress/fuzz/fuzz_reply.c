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
 * Upstream replies: the matcher (dns_check_reply) and the summary its
 * walk makes (the cache's view, the keepalive option), the rewrite for
 * the client (dns_fix_reply, and dns_fix_summarized, which must agree
 * with it to the octet) and truncation, on arbitrary bytes.  The client's
 * query is made from the input too: the reply's own question when it has
 * a plain one (so the matcher says yes as often as it can), with or
 * without EDNS, padding and a changed letter case as the first byte says.
 *
 * input: flags (1), truncation limit (2), the reply
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"

#define F_OPT		0x01	/* the client sent an OPT */
#define F_DO		0x02
#define F_PAD		0x04	/* ... with a padding option */
#define F_UPPER		0x08	/* the client spelt the name in capitals */
#define F_ECS		0x10	/* ... with a client subnet */
#define F_PASS		0x20	/* client-subnet pass */

static const uint8_t	 fallback[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
			    3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };

/* The client's query for the reply's question, checked like a real one. */
static size_t
make_query(uint8_t flags, const uint8_t *r, size_t rlen, uint8_t *q,
    struct dns_query_info *qi)
{
	size_t	 n = 0, len, i, opt;
	const uint8_t *src = fallback;

	/* the reply's question, if it is one a client could have sent */
	if (rlen > DNS_HDR_LEN) {
		for (i = DNS_HDR_LEN; i < rlen && r[i] != 0 && r[i] < 64 &&
		    i - DNS_HDR_LEN < DNS_MAX_NAME; i += r[i] + 1)
			;
		if (i < rlen && r[i] == 0 && rlen - i > 4 &&
		    i + 1 - DNS_HDR_LEN <= DNS_MAX_NAME) {
			src = r + DNS_HDR_LEN;
			n = i + 5 - DNS_HDR_LEN;
		}
	}
	if (n == 0)
		n = sizeof(fallback);
	memset(q, 0, DNS_HDR_LEN);
	q[0] = rlen >= 2 ? r[0] : 0;
	q[1] = rlen >= 2 ? r[1] : 0;
	q[2] = DNS_F_RD >> 8;
	q[5] = 1;
	q[11] = (flags & F_OPT) ? 1 : 0;
	memcpy(q + DNS_HDR_LEN, src, n);
	if (flags & F_UPPER)
		for (i = DNS_HDR_LEN; i < DNS_HDR_LEN + n - 4; i++)
			if (q[i] >= 'a' && q[i] <= 'z')
				q[i] -= 32;
	len = DNS_HDR_LEN + n;
	if (flags & F_OPT) {
		memcpy(q + len, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
		if (flags & F_DO)
			q[len + 7] = 0x80;
		opt = len;
		len += 11;
		if (flags & F_PAD) {
			memcpy(q + len, "\0\x0c\0\x04\0\0\0\0", 8);
			len += 8;
		}
		if (flags & F_ECS) {
			memcpy(q + len, "\0\x08\0\x07\0\x01\x18\0\xc0\0\x02", 11);
			len += 11;
		}
		q[opt + 10] = len - opt - 11;
	}
	if (dns_check_query(q, len, qi) != DNS_OK)
		return (0);
	return (len);
}

static int	 has_option(const uint8_t *, size_t, const uint8_t *,
		    const struct dns_query_info *, uint16_t);
static void	 check_ede(const uint8_t *, size_t, const uint8_t *,
		    const struct dns_query_info *);

/*
 * Whether the OPT of a reply to q carries an option code, found by the
 * engine's own walk (dns_check_reply()), which the reply must pass.
 */
static int
has_option(const uint8_t *m, size_t len, const uint8_t *q,
    const struct dns_query_info *qi, uint16_t code)
{
	struct dns_summary	 s;
	size_t			 o, end;

	FUZZ_ASSERT(dns_check_reply(m, len, q + DNS_HDR_LEN,
	    qi->question_len, &s));
	if (s.opt_off == 0)
		return (0);
	end = (size_t)s.opt_off + s.opt_len;
	for (o = s.opt_off + 11; o + 4 <= end; o += 4 + dns_get16(m + o + 2))
		if (dns_get16(m + o) == code)
			return (1);
	return (0);
}

/*
 * The stale path: an EDE added to the client's reply stays within the
 * limit, only for an EDNS client, and leaves one well-formed reply that
 * the rewrite takes unchanged.
 */
static void
check_ede(const uint8_t *r, size_t n, const uint8_t *q,
    const struct dns_query_info *qi)
{
	uint8_t	*e;
	size_t	 lim = n + 11 + 6 + 4, m;

	/* exactly the room of a new OPT with the option and its text */
	e = fuzz_alloc(lim);
	memcpy(e, r, n);
	m = dns_add_ede(e, n, lim, qi, DNS_EDE_STALE, "text");
	FUZZ_ASSERT(m == n || m == n + 6 + 4 || m == lim);
	if (!qi->has_opt)
		FUZZ_ASSERT(m == n);
	if (m != n) {
		FUZZ_ASSERT(has_option(e, m, q, qi, DNS_EDNS_EDE));
		FUZZ_ASSERT(dns_fix_reply(e, m, qi) == m);
	}
	free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query_info	 qi;
	struct dns_summary	 sum;
	uint8_t			 q[DNS_HDR_LEN + DNS_MAX_NAME + 4 + 30];
	uint8_t			*r, *r2;
	const uint8_t		*reply;
	size_t			 rlen, n, n2, maxlen, qlen;
	uint16_t		 an, ns, ar;
	int			 i, match;

	if (size < 3 || size - 3 > DNS_MAX_MSG)
		return (0);
	maxlen = dns_get16(data + 1);
	reply = data + 3;
	rlen = size - 3;
	dns_set_client_subnet(data[0] & F_PASS);
	if ((qlen = make_query(data[0], reply, rlen, q, &qi)) == 0)
		return (0);
	FUZZ_ASSERT(qi.ecs == ((data[0] & (F_OPT | F_ECS | F_PASS)) ==
	    (F_OPT | F_ECS | F_PASS)));

	match = dns_check_reply(reply, rlen, q + DNS_HDR_LEN,
	    qi.question_len, &sum);
	if (match) {
		FUZZ_ASSERT(rlen >= DNS_HDR_LEN + qi.question_len);
		FUZZ_ASSERT(dns_get16(reply + 2) & DNS_F_QR);
		FUZZ_ASSERT(sum.len == rlen && sum.keepalive >= -1 &&
		    sum.keepalive <= 0xffff);
		FUZZ_ASSERT(sum.opt_off == 0 ||
		    (sum.opt_off >= sum.ar_off && reply[sum.opt_off] == 0 &&
		    (size_t)sum.opt_off + sum.opt_len <= rlen));
		if (sum.ttl != 0) {
			FUZZ_ASSERT(sum.nttl >= 0 && sum.nttl <= DNS_MAX_TTLS);
			for (i = 0; i < sum.nttl; i++)
				FUZZ_ASSERT(sum.ttl_off[i] >= DNS_HDR_LEN &&
				    (size_t)sum.ttl_off[i] + 4 <= rlen);
		}
	}

	/* as the engine does: the client's spelling, then the rewrite */
	r = fuzz_alloc(rlen);
	memcpy(r, reply, rlen);
	if (match)
		memcpy(r + DNS_HDR_LEN, q + DNS_HDR_LEN, qi.question_len);
	r2 = fuzz_alloc(rlen);
	memcpy(r2, r, rlen);
	n = dns_fix_reply(r, rlen, &qi);
	FUZZ_ASSERT(n <= rlen);
	/* the engine's rewrite by the summary is the walk's, to the octet */
	if (match)
		FUZZ_ASSERT(dns_fix_summarized(r2, rlen, &sum, &qi) == n &&
		    memcmp(r, r2, n) == 0);
	free(r2);
	if (n != 0) {
		FUZZ_ASSERT(dns_get16(r) == qi.id);
		if (match)
			FUZZ_ASSERT(dns_check_reply(r, n, q + DNS_HDR_LEN,
			    qi.question_len, NULL));
		/* what it strips is gone: a second pass changes nothing */
		n2 = dns_fix_reply(r, n, &qi);
		FUZZ_ASSERT(n2 == n);
		/* RFC 7871 7.2.2: no subnet for a client whose did not go */
		if (match && !qi.ecs)
			FUZZ_ASSERT(!has_option(r, n, q, &qi, DNS_EDNS_ECS));
		if (match)
			check_ede(r, n, q, &qi);
		an = dns_get16(r + 6);
		ns = dns_get16(r + 8);
		ar = dns_get16(r + 10);
		n2 = dns_truncate(r, n, maxlen, &qi);
		if (n <= maxlen)
			FUZZ_ASSERT(n2 == n);
		else {
			FUZZ_ASSERT(n2 <= maxlen);
			/*
			 * RFC 2181 9: TC, or the answer and authority
			 * sections whole and only additional records gone
			 */
			if (n2 != 0 && !(dns_get16(r + 2) & DNS_F_TC))
				FUZZ_ASSERT(dns_get16(r + 6) == an &&
				    dns_get16(r + 8) == ns &&
				    dns_get16(r + 10) <= ar);
		}
		/* however it was cut, it is still well formed */
		if (n2 != 0) {
			FUZZ_ASSERT(dns_fix_reply(r, n2, &qi) == n2);
			if (match && maxlen >= DNS_HDR_LEN + qi.question_len)
				FUZZ_ASSERT(dns_check_reply(r, n2,
				    q + DNS_HDR_LEN, qi.question_len, NULL));
		}
	}

	/* truncation of the raw reply, whatever it holds */
	memcpy(r, reply, rlen);
	n = dns_truncate(r, rlen, maxlen, &qi);
	FUZZ_ASSERT(n <= rlen && (rlen <= maxlen ? n == rlen : n <= maxlen));
	free(r);
	return (0);
}
