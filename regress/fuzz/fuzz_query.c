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
 * Client queries: dns_check_query() on arbitrary bytes, then what the
 * engine builds from a query it did not drop (the error answer, the
 * upstream query, a truncated answer), each checked against invariants:
 * bounded by its buffer, the client's question echoed byte for byte,
 * and the upstream query a query that checks clean itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "fuzz.h"

static int	 opt_has(const uint8_t *, size_t, size_t, uint16_t);
static void	 check_ede(const uint8_t *, size_t,
		    const struct dns_query_info *, const uint8_t *, size_t);

static void
check_error(const uint8_t *data, size_t size, const struct dns_query_info *qi,
    int rcode)
{
	uint8_t	*out, *over;
	size_t	 n, outsz = DNS_HDR_LEN + qi->question_len + 11, cut;

	/* exactly the room it needs, so ASan sees one byte more */
	out = fuzz_alloc(outsz);
	n = dns_make_error(data, size, qi, rcode, out, outsz);
	FUZZ_ASSERT(n != 0 && n <= outsz);
	FUZZ_ASSERT(dns_get16(out) == qi->id);
	FUZZ_ASSERT(dns_get16(out + 2) & DNS_F_QR);
	/* the bits of a forwarded answer: RA, never AA, TC, Z or AD */
	FUZZ_ASSERT(dns_get16(out + 2) & DNS_F_RA);
	FUZZ_ASSERT((dns_get16(out + 2) &
	    (DNS_F_AA | DNS_F_TC | DNS_F_Z | DNS_F_AD)) == 0);
	if (qi->question_len != 0)
		FUZZ_ASSERT(dns_check_reply(out, n, data + DNS_HDR_LEN,
		    qi->question_len, NULL));
	check_ede(data, size, qi, out, n);
	/* too small a buffer is refused, never overrun */
	FUZZ_ASSERT(dns_make_error(data, size, qi, rcode, out, n - 1) == 0);

	/* built over the query itself, as the engine does */
	over = fuzz_alloc(size > outsz ? size : outsz);
	memcpy(over, data, size);
	FUZZ_ASSERT(dns_make_error(over, size, qi, rcode, over,
	    size > outsz ? size : outsz) == n);
	FUZZ_ASSERT(memcmp(over, out, n) == 0);

	/* whatever the limit, a truncated answer fits in it */
	for (cut = 0; cut <= n; cut += 7) {
		memcpy(over, out, n);
		FUZZ_ASSERT(dns_truncate(over, n, cut, qi) <= cut);
	}
	free(out);
	free(over);
}

/* Whether the OPT right after the question of an upstream query has code. */
static int
opt_has(const uint8_t *m, size_t n, size_t qlen, uint16_t code)
{
	size_t	 o = DNS_HDR_LEN + qlen + 11;

	for (; o + 4 <= n; o += 4 + dns_get16(m + o + 2))
		if (dns_get16(m + o) == code)
			return (1);
	return (0);
}

/*
 * An error with an EDE: within the query's size when the query is the
 * limit (a REFUSED, the rate limit's TC), only for an EDNS client, and
 * still an answer to the question.
 */
static void
check_ede(const uint8_t *data, size_t size, const struct dns_query_info *qi,
    const uint8_t *err, size_t n)
{
	uint8_t	*e;
	size_t	 m;

	e = fuzz_alloc(size > n ? size : n);
	memcpy(e, err, n);
	m = dns_add_ede(e, n, size, qi, DNS_EDE_PROHIBITED, "rate limit");
	FUZZ_ASSERT(m == n || (qi->has_opt && m <= size));
	if (m != n && qi->question_len != 0)
		FUZZ_ASSERT(dns_check_reply(e, m, data + DNS_HDR_LEN,
		    qi->question_len, NULL));
	free(e);
}

static void
check_upstream(const uint8_t *data, size_t size,
    const struct dns_query_info *qi, int padblock, int keepalive)
{
	struct dns_query_info	 uqi;
	enum dns_verdict	 v;
	uint8_t			*out;
	size_t			 n, outsz = DNS_MAX_MSG;

	out = fuzz_alloc(outsz);
	n = dns_make_upstream_query(data, size, qi, 0x1234, padblock,
	    keepalive, out, outsz);
	FUZZ_ASSERT(n != 0 && n <= outsz);
	if (padblock > 0)
		FUZZ_ASSERT(n % padblock == 0);
	v = dns_check_query(out, n, &uqi);
	FUZZ_ASSERT(v == DNS_OK || (v == DNS_FORMERR && n > DNS_MAX_QUERY));
	FUZZ_ASSERT(uqi.id == 0x1234 && uqi.has_opt);
	FUZZ_ASSERT(uqi.question_len == qi->question_len);
	FUZZ_ASSERT(memcmp(out + DNS_HDR_LEN, data + DNS_HDR_LEN,
	    qi->question_len) == 0);
	FUZZ_ASSERT(uqi.do_bit == qi->do_bit);
	/* only the opcode, RD, AD and CD go upstream, as the client set them */
	FUZZ_ASSERT(dns_get16(out + 2) == (dns_get16(data + 2) &
	    (0x7800 | DNS_F_RD | DNS_F_AD | DNS_F_CD)));
	/* a client subnet goes upstream only when marked to (pass) */
	if (!qi->ecs)
		FUZZ_ASSERT(!opt_has(out, n, qi->question_len, DNS_EDNS_ECS));
	/* the same again into a buffer one byte short: refused */
	FUZZ_ASSERT(dns_make_upstream_query(data, size, qi, 0x1234, padblock,
	    keepalive, out, n - 1) == 0);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query_info	 qi;
	enum dns_verdict	 v;

	if (size > DNS_MAX_MSG)
		return (0);
	dns_set_client_subnet(size & 1);
	v = dns_check_query(data, size, &qi);
	if (v == DNS_DROP)
		return (0);
	FUZZ_ASSERT(size >= DNS_HDR_LEN);
	FUZZ_ASSERT(qi.question_len == 0 ||
	    (qi.question_len == qi.qname_len + 4 &&
	    qi.qname_len <= DNS_MAX_NAME &&
	    size - DNS_HDR_LEN >= qi.question_len));
	FUZZ_ASSERT(qi.udp_size >= DNS_UDP_MIN);
	FUZZ_ASSERT(dns_client_max_udp(&qi) >= DNS_UDP_MIN);

	check_error(data, size, &qi, DNS_RCODE_FORMERR);
	check_error(data, size, &qi, DNS_RCODE_BADVERS);
	if (v != DNS_OK)
		return (0);
	FUZZ_ASSERT(size <= DNS_MAX_QUERY && qi.question_len != 0);
	FUZZ_ASSERT((qi.flags & DNS_F_TC) == 0);
	check_upstream(data, size, &qi, 0, 0);
	check_upstream(data, size, &qi, 128, 1);
	check_upstream(data, size, &qi, 468, 0);
	return (0);
}
