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
 * Unit tests for src/dns.c.  Messages are built by hand on the wire so
 * each test states exactly which bytes it feeds in; the fuzz loop at the
 * end mutates valid messages and places each one at the very end of a
 * heap buffer, so that any read past the given length trips valgrind or
 * AddressSanitizer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "unit.h"

#define QNAME		"www.example.com"
#define QNAME_LEN	17	/* 3www7example3com0 */
#define T_A		1
#define T_NS		2
#define T_AAAA		28
#define C_IN		1
#define OPT_NSID	3
#define OPT_COOKIE	10
#define BIG_SETS	30	/* RRsets in big_reply()'s additional section */
#define BIG_BASE	83	/* big_reply() up to its additional section */
#define BIG_OPT		19	/* big_reply()'s OPT: a 4-octet NSID */
#define EDE_OUT		2048	/* test_ede()'s answers */

struct buf {
	uint8_t		 b[8192];
	size_t		 len;
};

/* what dns_check_reply() learnt of the last reply it took */
static struct dns_summary	 sum;

/* what a test wants in a query */
struct qspec {
	uint16_t	 id;
	uint16_t	 flags;
	const char	*name;
	uint16_t	 qtype;
	int		 edns;
	uint16_t	 udp;
	uint8_t		 version;
	int		 dobit;
	int		 padlen;	/* client padding option, -1: none */
	int		 cookie;	/* add an 8 byte cookie option */
	int		 ecs;		/* add ECS 192.0.2.0/24 */
};

static void	 b_u8(struct buf *, uint8_t);
static void	 b_u16(struct buf *, uint16_t);
static void	 b_bytes(struct buf *, const void *, size_t);
static void	 b_name(struct buf *, const char *);
static void	 b_hdr(struct buf *, uint16_t, uint16_t, uint16_t, uint16_t,
		    uint16_t, uint16_t);
static void	 b_question(struct buf *, const char *, uint16_t, uint16_t);
static size_t	 b_opt_begin(struct buf *, uint16_t, uint8_t, uint8_t,
		    uint16_t);
static void	 b_opt_end(struct buf *, size_t);
static void	 b_option(struct buf *, uint16_t, uint16_t, uint8_t);
static void	 b_rr_a(struct buf *, const char *, int, uint8_t);
static void	 b_ecs(struct buf *);
static void	 b_query(struct buf *, uint16_t, uint16_t, uint16_t,
		    uint16_t);
static void	 qspec_default(struct qspec *);
static void	 mkquery(struct buf *, const struct qspec *);
static void	 mkreply(struct buf *, uint16_t, const char *, int, int,
		    int);
static void	 big_reply(struct buf *, int);
static void	 long_name_query(struct buf *, int, size_t);
static void	 padded_query(struct buf *, uint16_t);
static int	 trimmed(const uint8_t *, size_t, const struct buf *,
		    size_t, int);
static int	 find_opt(const uint8_t *, size_t, size_t *);
static int	 count_option(const uint8_t *, size_t, uint16_t, size_t *);
static enum dns_verdict check(struct buf *, struct dns_query_info *);

static void	 test_names(void);
static void	 test_check_query(void);
static void	 test_limits(void);
static void	 test_opt(void);
static void	 test_make_error(void);
static void	 test_upstream(void);
static void	 test_check_reply(void);
static void	 test_fix_reply(void);
static void	 test_adopt_reply(void);
static void	 test_truncate(void);
static void	 test_truncate_rrsets(void);
static void	 test_query_flags(void);
static void	 test_fuzz(void);
static void	 test_qtypes(void);
static void	 test_cookie(void);
static void	 test_pointers(void);
static void	 test_ecs(void);
static void	 test_ede(void);
static void	 ecs_reply(struct buf *);
static int	 ede_at(const uint8_t *, size_t, uint16_t, size_t);
static size_t	 ede_error(const struct qspec *, struct buf *,
		    struct dns_query_info *, int, uint8_t *);
static void	 ptr_reply(struct buf *, int);
static size_t	 chain_reply(struct buf *, int, int);

static void
b_u8(struct buf *b, uint8_t v)
{
	if (b->len < sizeof(b->b))
		b->b[b->len++] = v;
}

static void
b_u16(struct buf *b, uint16_t v)
{
	b_u8(b, v >> 8);
	b_u8(b, v & 0xff);
}

static void
b_bytes(struct buf *b, const void *p, size_t n)
{
	const uint8_t	*s = p;
	size_t		 i;

	for (i = 0; i < n; i++)
		b_u8(b, s[i]);
}

/* a dotted name without compression; "" is the root */
static void
b_name(struct buf *b, const char *name)
{
	const char	*dot;
	size_t		 n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot == NULL ? strlen(name) : (size_t)(dot - name);
		b_u8(b, n);
		b_bytes(b, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	b_u8(b, 0);
}

static void
b_hdr(struct buf *b, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
    uint16_t ns, uint16_t ar)
{
	b_u16(b, id);
	b_u16(b, flags);
	b_u16(b, qd);
	b_u16(b, an);
	b_u16(b, ns);
	b_u16(b, ar);
}

static void
b_question(struct buf *b, const char *name, uint16_t type, uint16_t class)
{
	b_name(b, name);
	b_u16(b, type);
	b_u16(b, class);
}

/* returns the offset of the rdlength, for b_opt_end() */
static size_t
b_opt_begin(struct buf *b, uint16_t udp, uint8_t ext, uint8_t version,
    uint16_t eflags)
{
	size_t	 at;

	b_u8(b, 0);
	b_u16(b, DNS_TYPE_OPT);
	b_u16(b, udp);
	b_u8(b, ext);
	b_u8(b, version);
	b_u16(b, eflags);
	at = b->len;
	b_u16(b, 0);
	return (at);
}

static void
b_opt_end(struct buf *b, size_t at)
{
	dns_put16(b->b + at, b->len - at - 2);
}

static void
b_option(struct buf *b, uint16_t code, uint16_t len, uint8_t fill)
{
	uint16_t	 i;

	b_u16(b, code);
	b_u16(b, len);
	for (i = 0; i < len; i++)
		b_u8(b, fill);
}

/* RFC 7871 6: family 1, source /24, scope 0, 192.0.2 */
static void
b_ecs(struct buf *b)
{
	static const uint8_t	 ecs[] = { 0, 1, 24, 0, 192, 0, 2 };

	b_u16(b, DNS_EDNS_ECS);
	b_u16(b, sizeof(ecs));
	b_bytes(b, ecs, sizeof(ecs));
}

/* an A record; ptr != 0 means the owner is a pointer to offset 12 */
static void
b_rr_a(struct buf *b, const char *name, int ptr, uint8_t last)
{
	if (ptr)
		b_u16(b, 0xc000 | DNS_HDR_LEN);
	else
		b_name(b, name);
	b_u16(b, T_A);
	b_u16(b, C_IN);
	b_u16(b, 0);
	b_u16(b, 300);
	b_u16(b, 4);
	b_u8(b, 192);
	b_u8(b, 0);
	b_u8(b, 2);
	b_u8(b, last);
}

/* A new message: one question, for QNAME A IN, and the other counts. */
static void
b_query(struct buf *b, uint16_t id, uint16_t an, uint16_t ns, uint16_t ar)
{
	b->len = 0;
	b_hdr(b, id, 0, 1, an, ns, ar);
	b_question(b, QNAME, T_A, C_IN);
}

static void
qspec_default(struct qspec *q)
{
	memset(q, 0, sizeof(*q));
	q->id = 0x1234;
	q->flags = DNS_F_RD;
	q->name = QNAME;
	q->qtype = T_A;
	q->udp = 4096;
	q->padlen = -1;
}

static void
mkquery(struct buf *b, const struct qspec *q)
{
	size_t	 at;

	b->len = 0;
	b_hdr(b, q->id, q->flags, 1, 0, 0, q->edns ? 1 : 0);
	b_question(b, q->name, q->qtype, C_IN);
	if (q->edns) {
		at = b_opt_begin(b, q->udp, 0, q->version,
		    q->dobit ? 0x8000 : 0);
		if (q->cookie)
			b_option(b, OPT_COOKIE, 8, 0xab);
		if (q->ecs)
			b_ecs(b);
		if (q->padlen >= 0)
			b_option(b, DNS_EDNS_PADDING, q->padlen, 0);
		b_opt_end(b, at);
	}
}

/*
 * A reply to QNAME/A with nans answers whose owners are compression
 * pointers, one authority record, and in the additional section a glue
 * record, an OPT (with cookie and optionally padding) and another glue
 * record, so that removals in the middle must move the tail.
 */
static void
mkreply(struct buf *b, uint16_t id, const char *name, int nans, int opt,
    int padlen)
{
	size_t	 at;
	int	 i;

	b->len = 0;
	b_hdr(b, id, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, nans, 1,
	    opt ? 3 : 2);
	b_question(b, name, T_A, C_IN);
	for (i = 0; i < nans; i++)
		b_rr_a(b, NULL, 1, i);
	b_rr_a(b, "ns.example.com", 0, 100);
	b_rr_a(b, "ns.example.com", 0, 101);
	if (opt) {
		at = b_opt_begin(b, 1232, 0, 0, 0x8000);
		b_option(b, OPT_COOKIE, 16, 0xcd);
		if (padlen >= 0)
			b_option(b, DNS_EDNS_PADDING, padlen, 0);
		b_opt_end(b, at);
	}
	b_rr_a(b, "ns2.example.com", 0, 102);
}

/*
 * A reply to QNAME/A as a resolver sends one with glue: two A answers
 * (BIG_BASE octets up to here with the NS), example.com NS
 * ns1.example.com in the authority section, and BIG_SETS RRsets of two
 * A records each, hNN.example.com, in the additional section.  The
 * first record of an RRset spells "hNN" and points at example.com in the
 * question (20 octets); the second is a bare pointer to the first's
 * owner (16 octets) when NN is even, and spells "HNN" in capitals (20)
 * when it is odd, so that grouping must follow pointers and fold case.
 * An OPT of BIG_OPT octets goes before additional record optpos (-1:
 * none, 2 * BIG_SETS: last); no record after it points at one after it
 * (dns_fix_reply() refuses that), so those second records spell "HNN".
 */
static void
big_reply(struct buf *b, int optpos)
{
	size_t	 own = 0, at;
	char	 lab[3];
	int	 i, set;

	b->len = 0;
	b_hdr(b, 5, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 2, 1,
	    2 * BIG_SETS + (optpos >= 0));
	b_question(b, QNAME, T_A, C_IN);
	b_rr_a(b, NULL, 1, 1);
	b_rr_a(b, NULL, 1, 2);
	b_u16(b, 0xc000 | 16);		/* example.com */
	b_u16(b, T_NS);
	b_u16(b, C_IN);
	b_u16(b, 0);
	b_u16(b, 300);
	b_u16(b, 6);
	b_u8(b, 3);
	b_bytes(b, "ns1", 3);
	b_u16(b, 0xc000 | 16);
	for (i = 0; i <= 2 * BIG_SETS; i++) {
		if (i == optpos) {
			at = b_opt_begin(b, 1232, 0, 0, 0x8000);
			b_option(b, OPT_NSID, 4, 'n');
			b_opt_end(b, at);
		}
		if (i == 2 * BIG_SETS)
			break;
		set = i / 2;
		if (i % 2 == 0 || set % 2 != 0 ||
		    (optpos >= 0 && i - 1 >= optpos)) {
			if (i % 2 == 0)
				own = b->len;
			lab[0] = i % 2 == 0 ? 'h' : 'H';
			lab[1] = '0' + set / 10;
			lab[2] = '0' + set % 10;
			b_u8(b, 3);
			b_bytes(b, lab, 3);
			b_u16(b, 0xc000 | 16);
		} else
			b_u16(b, 0xc000 | own);
		b_u16(b, T_A);
		b_u16(b, C_IN);
		b_u16(b, 0);
		b_u16(b, 300);
		b_u16(b, 4);
		b_u8(b, 192);
		b_u8(b, 0);
		b_u8(b, 2);
		b_u8(b, i);
	}
}

/*
 * Whether m (n octets) is the big_reply() orig cut to maxlen by RFC 2181
 * 9: TC clear, header, question, answer and authority as they were,
 * then the additional records of whole RRsets in their order, as many
 * as fit, then the OPT for an EDNS client (edns) and nothing after it;
 * and the result passes dns_check_reply() and dns_fix_reply().
 * Returns the number of A records kept, or -1.
 */
static int
trimmed(const uint8_t *m, size_t n, const struct buf *orig, size_t maxlen,
    int edns)
{
	struct dns_query_info	 qi;
	struct buf		 c;
	size_t			 rec[2 * BIG_SETS], len[2 * BIG_SETS];
	size_t			 off, rr, opt = 0, optlen = 0;
	int			 i, nrec = 0, k;

	/* the original's additional records, the OPT set aside */
	off = BIG_BASE;
	for (i = 0; i < dns_get16(orig->b + 10); i++) {
		rr = off;
		if (dns_skip_rr(orig->b, orig->len, &off) == -1)
			return (-1);
		if (orig->b[rr] == 0 && dns_get16(orig->b + rr + 1) ==
		    DNS_TYPE_OPT) {
			opt = rr;
			optlen = off - rr;
			continue;
		}
		if (nrec == 2 * BIG_SETS)
			return (-1);
		rec[nrec] = rr;
		len[nrec++] = off - rr;
	}
	if (!edns)
		optlen = 0;

	if (n > maxlen || n < BIG_BASE ||
	    dns_get16(m + 2) != dns_get16(orig->b + 2) ||
	    memcmp(m, orig->b, 10) != 0 ||
	    memcmp(m + 12, orig->b + 12, BIG_BASE - 12) != 0)
		return (-1);
	off = BIG_BASE;
	for (k = 0; k < nrec && off + optlen + len[k] <= n &&
	    memcmp(m + off, orig->b + rec[k], len[k]) == 0; k++)
		off += len[k];
	/* whole RRsets only, and no room for the next one */
	if (k % 2 != 0 || (k < nrec && off + optlen + len[k] +
	    len[k + 1] <= maxlen))
		return (-1);
	if (optlen != 0 && (n - off != optlen ||
	    memcmp(m + off, orig->b + opt, optlen) != 0))
		return (-1);
	if (off + optlen != n || dns_get16(m + 10) != k + (optlen != 0))
		return (-1);

	if (dns_check_reply(m, n, orig->b + 12, QNAME_LEN + 4, &sum) != 1)
		return (-1);
	memset(&qi, 0, sizeof(qi));
	qi.id = dns_get16(m);
	qi.has_opt = edns;
	memcpy(c.b, m, n);
	if (dns_fix_reply(c.b, n, &qi) != n || memcmp(c.b, m, n) != 0)
		return (-1);
	return (k);
}

/* locate the first root-owned OPT of a message; its offset in *at */
static int
find_opt(const uint8_t *m, size_t len, size_t *at)
{
	size_t	 off = DNS_HDR_LEN, rr;
	int	 i, n, qd, nrr;

	if (len < DNS_HDR_LEN)
		return (0);
	qd = dns_get16(m + 4);
	for (i = 0; i < qd; i++) {
		if ((n = dns_name_wire_len(m, len, off)) == -1)
			return (0);
		off += n + 4;
	}
	nrr = dns_get16(m + 6) + dns_get16(m + 8) + dns_get16(m + 10);
	for (i = 0; i < nrr; i++) {
		rr = off;
		if (dns_skip_rr(m, len, &off) == -1)
			return (0);
		if (m[rr] == 0 && dns_get16(m + rr + 1) == DNS_TYPE_OPT) {
			*at = rr;
			return (1);
		}
	}
	return (0);
}

/* how many options with this code the OPT at opt carries */
static int
count_option(const uint8_t *m, size_t opt, uint16_t code, size_t *olen)
{
	size_t	 rdlen, off;
	int	 n = 0;

	rdlen = dns_get16(m + opt + 9);
	for (off = 0; off + 4 <= rdlen;
	    off += 4 + dns_get16(m + opt + 11 + off + 2)) {
		if (dns_get16(m + opt + 11 + off) == code) {
			n++;
			if (olen != NULL)
				*olen = dns_get16(m + opt + 11 + off + 2);
		}
	}
	return (n);
}

static enum dns_verdict
check(struct buf *b, struct dns_query_info *qi)
{
	return (dns_check_query(b->b, b->len, qi));
}

static void
test_names(void)
{
	static const uint8_t	 plain[] = { 3, 'w', 'w', 'w', 0, 0xff };
	static const uint8_t	 ptr[] = { 1, 'a', 0xc0, 0x0c, 0xff };
	static const uint8_t	 cutptr[] = { 1, 'a', 0xc0 };
	static const uint8_t	 resv[] = { 0x41, 'a', 0 };
	static const uint8_t	 resv2[] = { 0x80, 0 };
	static const uint8_t	 over[] = { 5, 'a', 'b', 0 };
	static const uint8_t	 noroot[] = { 1, 'a' };
	uint8_t			 big[300];
	struct buf		 b;
	size_t			 off;
	int			 i;

	CHECK(dns_name_wire_len(plain, sizeof(plain), 0) == 5,
	    "name length of a plain name");
	CHECK(dns_name_wire_len(plain, sizeof(plain), 4) == 1,
	    "name length of the root");
	CHECK(dns_name_wire_len(ptr, sizeof(ptr), 0) == 4,
	    "name length stops after a pointer");
	CHECK(dns_name_wire_len(ptr, sizeof(ptr), 2) == 2,
	    "bare pointer is two bytes");
	CHECK(dns_name_wire_len(cutptr, sizeof(cutptr), 0) == -1,
	    "cut pointer is malformed");
	CHECK(dns_name_wire_len(resv, sizeof(resv), 0) == -1,
	    "label type 0x40 is malformed");
	CHECK(dns_name_wire_len(resv2, sizeof(resv2), 0) == -1,
	    "label type 0x80 is malformed");
	CHECK(dns_name_wire_len(over, sizeof(over), 0) == -1,
	    "label running past the end is malformed");
	CHECK(dns_name_wire_len(noroot, sizeof(noroot), 0) == -1,
	    "name without terminator is malformed");
	CHECK(dns_name_wire_len(plain, sizeof(plain), sizeof(plain)) == -1,
	    "name starting at the end is malformed");
	CHECK(dns_name_wire_len(plain, 0, 0) == -1,
	    "name in an empty buffer is malformed");

	/* 4 labels of 63 = 256 bytes before the root: too long */
	for (i = 0; i < 4 * 64; i += 64) {
		big[i] = 63;
		memset(big + i + 1, 'x', 63);
	}
	big[256] = 0;
	CHECK(dns_name_wire_len(big, sizeof(big), 0) == -1,
	    "name over 255 bytes is malformed");
	big[192] = 61;
	big[254] = 0;
	CHECK(dns_name_wire_len(big, sizeof(big), 0) == 255,
	    "name of exactly 255 bytes is fine");

	b.len = 0;
	b_rr_a(&b, NULL, 1, 1);
	off = 0;
	CHECK(dns_skip_rr(b.b, b.len, &off) == 0 && off == b.len,
	    "skip_rr over a compressed A record");
	off = 0;
	CHECK(dns_skip_rr(b.b, b.len - 1, &off) == -1 && off == 0,
	    "skip_rr fails on short rdata and leaves off alone");
	off = 0;
	CHECK(dns_skip_rr(b.b, 11, &off) == -1,
	    "skip_rr fails on a cut fixed part");
	off = b.len;
	CHECK(dns_skip_rr(b.b, b.len, &off) == -1,
	    "skip_rr fails at the end of the message");
}

static void
test_check_query(void)
{
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	enum dns_verdict	 v;

	qspec_default(&q);
	mkquery(&b, &q);
	v = check(&b, &qi);
	CHECK(v == DNS_OK, "plain A query is OK");
	CHECK(qi.id == 0x1234, "id parsed");
	CHECK(qi.flags == DNS_F_RD, "flags parsed");
	CHECK(qi.qtype == T_A && qi.qclass == C_IN, "qtype/qclass parsed");
	CHECK(qi.qname_len == QNAME_LEN, "qname_len");
	CHECK(qi.question_len == QNAME_LEN + 4, "question_len");
	CHECK(qi.has_opt == 0 && qi.udp_size == DNS_UDP_MIN,
	    "no OPT: udp_size 512");
	CHECK(dns_client_max_udp(&qi) == 512, "no OPT: client max 512");

	q.edns = 1;
	q.dobit = 1;
	mkquery(&b, &q);
	v = check(&b, &qi);
	CHECK(v == DNS_OK, "A query with EDNS is OK");
	CHECK(qi.has_opt == 1, "has_opt set");
	CHECK(qi.udp_size == 4096, "udp size parsed");
	CHECK(qi.do_bit == 1, "DO bit parsed");
	CHECK(qi.edns_version == 0, "version 0");
	CHECK(qi.client_padding == 0, "no padding seen");
	CHECK(dns_client_max_udp(&qi) == 1232,
	    "client max follows EDNS, clamped to edns-buffer-size 1232");
	dns_set_edns_size(4096);
	CHECK(dns_client_max_udp(&qi) == 4096,
	    "edns-buffer-size 4096: the client's 4096 is honoured");
	dns_set_edns_size(1000);
	CHECK(dns_client_max_udp(&qi) == 1000,
	    "edns-buffer-size 1000: the client's 4096 is cut to 1000");
	dns_set_edns_size(DNS_EDNS_SIZE);

	q.dobit = 0;
	q.udp = 100;
	mkquery(&b, &q);
	v = check(&b, &qi);
	CHECK(v == DNS_OK && qi.udp_size == 512 && qi.do_bit == 0,
	    "EDNS size below 512 counts as 512, DO clear");
	CHECK(dns_client_max_udp(&qi) == 512, "client max never below 512");

	q.udp = 1232;
	q.padlen = 20;
	q.cookie = 1;
	mkquery(&b, &q);
	v = check(&b, &qi);
	CHECK(v == DNS_OK && qi.client_padding == 1,
	    "padding option detected");
	q.padlen = 0;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && qi.client_padding == 1,
	    "empty padding option detected");
	q.padlen = -1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && qi.client_padding == 0,
	    "cookie alone is not padding");

	qspec_default(&q);
	q.name = "";
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && qi.qname_len == 1 &&
	    qi.question_len == 5, "query for the root is OK");

	/* drops */
	qspec_default(&q);
	q.flags |= DNS_F_QR;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_DROP, "QR=1 is dropped");
	qspec_default(&q);
	mkquery(&b, &q);
	CHECK(dns_check_query(b.b, 11, &qi) == DNS_DROP,
	    "11 byte message is dropped");
	CHECK(dns_check_query(b.b, 0, &qi) == DNS_DROP,
	    "empty message is dropped");

	/* opcodes */
	q.flags = DNS_F_RD | 4 << 11;
	mkquery(&b, &q);
	v = check(&b, &qi);
	CHECK(v == DNS_NOTIMP, "NOTIFY gets NOTIMP");
	CHECK(qi.question_len == QNAME_LEN + 4 && qi.id == 0x1234,
	    "NOTIMP keeps the question");
	q.flags = 2 << 11;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP, "STATUS gets NOTIMP");
	q.edns = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP && qi.has_opt == 1,
	    "NOTIMP keeps the EDNS view");
	b.len = 0;
	b_hdr(&b, 7, 5 << 11, 1, 1, 1, 0);
	b_question(&b, "example.com", 6, C_IN);
	b_rr_a(&b, NULL, 1, 1);
	b_rr_a(&b, NULL, 1, 2);
	v = check(&b, &qi);
	CHECK(v == DNS_NOTIMP && qi.question_len == 13 + 4 && qi.qtype == 6,
	    "UPDATE gets NOTIMP with its zone echoed");
	b.len = 0;
	b_hdr(&b, 7, 5 << 11, 0, 0, 0, 0);
	CHECK(check(&b, &qi) == DNS_NOTIMP && qi.question_len == 0,
	    "NOTIMP without question");
	b.len = 0;
	b_hdr(&b, 7, 4 << 11, 1, 0, 0, 0);
	b_u8(&b, 0xc0);
	b_u8(&b, 0x0c);
	b_u16(&b, 1);
	b_u16(&b, 1);
	CHECK(check(&b, &qi) == DNS_NOTIMP && qi.question_len == 0,
	    "NOTIMP with unreadable question");

	/* counts */
	b.len = 0;
	b_hdr(&b, 9, 0, 0, 0, 0, 0);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.question_len == 0 &&
	    qi.id == 9, "QDCOUNT 0 is FORMERR without question");
	b.len = 0;
	b_hdr(&b, 9, 0, 2, 0, 0, 0);
	b_question(&b, QNAME, T_A, C_IN);
	b_question(&b, QNAME, T_AAAA, C_IN);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.question_len == 0,
	    "QDCOUNT 2 is FORMERR");
	b_query(&b, 9, 1, 0, 0);
	b_rr_a(&b, NULL, 1, 1);
	v = check(&b, &qi);
	CHECK(v == DNS_FORMERR, "ANCOUNT 1 is FORMERR");
	CHECK(qi.question_len == QNAME_LEN + 4,
	    "FORMERR still echoes a readable question");
	b_query(&b, 9, 1, 0, 0);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "ANCOUNT 1 without the record is FORMERR");
	b_query(&b, 9, 0, 1, 1);
	b_rr_a(&b, NULL, 1, 1);
	b_opt_end(&b, b_opt_begin(&b, 1232, 0, 0, 0));
	v = check(&b, &qi);
	CHECK(v == DNS_FORMERR && qi.has_opt == 1,
	    "NSCOUNT 1 is FORMERR, the OPT is still seen");
	b_query(&b, 9, 0, 0, 1);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "ARCOUNT 1 without a record is FORMERR");
	b_query(&b, 9, 0, 0, 1);
	b_rr_a(&b, "x", 0, 1);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "non-OPT additional record is FORMERR");

	/* question encoding */
	b.len = 0;
	b_hdr(&b, 9, 0, 1, 0, 0, 0);
	b_u8(&b, 3);
	b_bytes(&b, "www", 3);
	b_u16(&b, 0xc000 | DNS_HDR_LEN);
	b_u16(&b, T_A);
	b_u16(&b, C_IN);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.question_len == 0,
	    "compression pointer in the question is FORMERR");
	b.b[16] = 0x40;
	CHECK(check(&b, &qi) == DNS_FORMERR, "label type 0x40 is FORMERR");
	b.b[16] = 0x80;
	CHECK(check(&b, &qi) == DNS_FORMERR, "label type 0x80 is FORMERR");

	long_name_query(&b, 0, 64);
	CHECK(check(&b, &qi) == DNS_FORMERR, "64 byte label is FORMERR");
	long_name_query(&b, 0, 63);
	CHECK(check(&b, &qi) == DNS_OK && qi.qname_len == 65,
	    "63 byte label is fine");

	/* truncations of a valid query */
	qspec_default(&q);
	mkquery(&b, &q);
	CHECK(dns_check_query(b.b, b.len - 1, &qi) == DNS_FORMERR &&
	    qi.question_len == 0, "question without full qclass is FORMERR");
	CHECK(dns_check_query(b.b, DNS_HDR_LEN + QNAME_LEN, &qi) ==
	    DNS_FORMERR, "question without type/class is FORMERR");
	CHECK(dns_check_query(b.b, DNS_HDR_LEN + 5, &qi) == DNS_FORMERR,
	    "question cut in a label is FORMERR");
	CHECK(dns_check_query(b.b, DNS_HDR_LEN, &qi) == DNS_FORMERR,
	    "header alone with QDCOUNT 1 is FORMERR");

	/* trailing garbage */
	b_u8(&b, 0);
	v = check(&b, &qi);
	CHECK(v == DNS_FORMERR, "trailing byte is FORMERR");
	CHECK(qi.question_len == QNAME_LEN + 4 && qi.has_opt == 0,
	    "trailing byte: question still echoed");
	q.edns = 1;
	mkquery(&b, &q);
	b_u16(&b, 0);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "garbage after the OPT: FORMERR, OPT not trusted");

	/* qtype OPT */
	qspec_default(&q);
	q.qtype = DNS_TYPE_OPT;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.qtype == DNS_TYPE_OPT,
	    "qtype OPT is FORMERR");
}

static void
test_limits(void)
{
	struct dns_query_info	 qi;
	struct buf		 b;

	/* 3 * 64 + 62 + 1 = 255 */
	long_name_query(&b, 3, 61);
	CHECK(check(&b, &qi) == DNS_OK && qi.qname_len == 255,
	    "255 byte name is fine");
	/* one more byte in the last label: 256 */
	long_name_query(&b, 3, 62);
	CHECK(check(&b, &qi) == DNS_FORMERR, "256 byte name is FORMERR");

	/* over DNS_MAX_QUERY, but otherwise well formed */
	padded_query(&b, DNS_MAX_QUERY);
	CHECK(b.len > DNS_MAX_QUERY && check(&b, &qi) == DNS_FORMERR,
	    "query over DNS_MAX_QUERY is FORMERR");
	padded_query(&b, DNS_MAX_QUERY - (DNS_HDR_LEN + QNAME_LEN + 4 + 11 +
	    4));
	CHECK(b.len == DNS_MAX_QUERY && check(&b, &qi) == DNS_OK,
	    "query of exactly DNS_MAX_QUERY is fine");
}

/* A query for N labels of 63 bytes and one of LAST bytes. */
static void
long_name_query(struct buf *b, int n, size_t last)
{
	int	i;

	b->len = 0;
	b_hdr(b, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < n; i++) {
		b_u8(b, 63);
		memset(b->b + b->len, 'x', 63);
		b->len += 63;
	}
	b_u8(b, last);
	memset(b->b + b->len, 'y', last);
	b->len += last;
	b_u8(b, 0);
	b_u16(b, T_A);
	b_u16(b, C_IN);
}

/* A query for QNAME with an OPT whose padding option has PADLEN bytes. */
static void
padded_query(struct buf *b, uint16_t padlen)
{
	size_t	at;

	b_query(b, 1, 0, 0, 1);
	at = b_opt_begin(b, 1232, 0, 0, 0);
	b_option(b, DNS_EDNS_PADDING, padlen, 0);
	b_opt_end(b, at);
}

static void
test_opt(void)
{
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	size_t			 at;

	/* two OPTs */
	b_query(&b, 1, 0, 0, 2);
	b_opt_end(&b, b_opt_begin(&b, 1232, 0, 0, 0));
	b_opt_end(&b, b_opt_begin(&b, 1232, 0, 0, 0));
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "two OPTs are FORMERR");

	/* OPT not owned by the root */
	b_query(&b, 1, 0, 0, 1);
	b_u8(&b, 1);
	b_u8(&b, 'x');
	b_opt_end(&b, b_opt_begin(&b, 1232, 0, 0, 0));
	/* b_opt_begin wrote its own root byte: drop it */
	memmove(b.b + b.len - 11, b.b + b.len - 10, 10);
	b.len--;
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "OPT with a non-root owner is FORMERR");
	b_query(&b, 1, 0, 0, 1);
	b_u16(&b, 0xc000 | DNS_HDR_LEN);
	b_opt_end(&b, b_opt_begin(&b, 1232, 0, 0, 0));
	memmove(b.b + b.len - 11, b.b + b.len - 10, 10);
	b.len--;
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "OPT owned by a pointer is FORMERR");

	/* bad option TLVs */
	b_query(&b, 1, 0, 0, 1);
	at = b_opt_begin(&b, 1232, 0, 0, 0);
	b_option(&b, OPT_COOKIE, 8, 1);
	b_opt_end(&b, at);
	dns_put16(b.b + b.len - 10, 9);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "option length past the rdata is FORMERR");
	b_query(&b, 1, 0, 0, 1);
	at = b_opt_begin(&b, 1232, 0, 0, 0);
	b_u16(&b, OPT_COOKIE);
	b_u8(&b, 0);
	b_opt_end(&b, at);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "3 byte option header is FORMERR");
	b_query(&b, 1, 0, 0, 1);
	at = b_opt_begin(&b, 1232, 0, 0, 0);
	b_option(&b, OPT_COOKIE, 8, 1);
	b_opt_end(&b, at);
	dns_put16(b.b + at, 13);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "OPT rdlength past the message is FORMERR");
	dns_put16(b.b + at, 11);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "OPT rdlength short of the message is FORMERR");

	/* versions */
	qspec_default(&q);
	q.edns = 1;
	q.version = 1;
	q.dobit = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_BADVERS, "EDNS version 1 is BADVERS");
	CHECK(qi.has_opt == 1 && qi.edns_version == 1 && qi.do_bit == 1,
	    "BADVERS keeps the EDNS view");
	q.version = 255;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_BADVERS, "EDNS version 255 is BADVERS");
	b_query(&b, 1, 0, 0, 1);
	at = b_opt_begin(&b, 1232, 0, 1, 0);
	b_u8(&b, 0xff);
	b_opt_end(&b, at);
	CHECK(check(&b, &qi) == DNS_BADVERS,
	    "version 1 rdata is not read as version 0 options");
	b.b[b.len - 6] = 0;	/* back to version 0: now it is broken */
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "the same rdata under version 0 is FORMERR");
	dns_put16(b.b + 2, 4 << 11);
	CHECK(check(&b, &qi) == DNS_NOTIMP && qi.has_opt == 0,
	    "NOTIMP does not echo a broken OPT");
	q.version = 1;
	q.qtype = DNS_TYPE_OPT;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_FORMERR,
	    "FORMERR takes precedence over BADVERS");
	q.qtype = T_A;
	q.flags = 4 << 11;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP,
	    "NOTIMP takes precedence over BADVERS");
}

static void
test_make_error(void)
{
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	uint8_t			 out[512];
	size_t			 n;

	/* FORMERR with the question */
	b.len = 0;
	b_hdr(&b, 0xbeef, DNS_F_RD | DNS_F_CD | DNS_F_AD, 1, 1, 0, 0);
	b_question(&b, QNAME, T_A, C_IN);
	b_rr_a(&b, NULL, 1, 1);
	CHECK(check(&b, &qi) == DNS_FORMERR, "setup: FORMERR query");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_FORMERR, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4, "FORMERR with question size");
	CHECK(dns_get16(out) == 0xbeef, "FORMERR keeps the ID");
	CHECK(dns_get16(out + 2) == (DNS_F_QR | DNS_F_RD | DNS_F_RA |
	    DNS_F_CD | DNS_RCODE_FORMERR), "FORMERR flags: QR RD RA CD, no AD");
	CHECK(dns_get16(out + 4) == 1 && dns_get16(out + 6) == 0 &&
	    dns_get16(out + 8) == 0 && dns_get16(out + 10) == 0,
	    "FORMERR counts");
	CHECK(memcmp(out + 12, b.b + 12, QNAME_LEN + 4) == 0,
	    "FORMERR echoes the question");

	/* FORMERR without the question */
	b.len = 0;
	b_hdr(&b, 0x0102, 0, 0, 0, 0, 0);
	CHECK(check(&b, &qi) == DNS_FORMERR, "setup: QDCOUNT 0");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_FORMERR, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN && dns_get16(out + 4) == 0 &&
	    dns_get16(out + 2) == (DNS_F_QR | DNS_F_RA | DNS_RCODE_FORMERR),
	    "FORMERR without question is a bare header, RD not set");
	CHECK(dns_make_error(b.b, b.len, &qi, DNS_RCODE_FORMERR, out, 11) ==
	    0, "FORMERR does not fit in 11 bytes");

	/* BADVERS */
	qspec_default(&q);
	q.edns = 1;
	q.version = 1;
	q.dobit = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_BADVERS, "setup: BADVERS query");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_BADVERS, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 + 11, "BADVERS size");
	CHECK((dns_get16(out + 2) & 0x0f) == 0, "BADVERS header rcode is 0");
	CHECK(dns_get16(out + 10) == 1, "BADVERS has ARCOUNT 1");
	n = DNS_HDR_LEN + QNAME_LEN + 4;
	CHECK(out[n] == 0 && dns_get16(out + n + 1) == DNS_TYPE_OPT,
	    "BADVERS OPT owner and type");
	CHECK(dns_get16(out + n + 3) == 1232, "BADVERS OPT advertises 1232");
	CHECK(out[n + 5] == 1 && out[n + 6] == 0,
	    "BADVERS OPT: extended rcode 1, version 0");
	CHECK(dns_get16(out + n + 7) == 0x8000 && dns_get16(out + n + 9) == 0,
	    "BADVERS OPT: DO copied, no rdata");
	qi.has_opt = 0;
	CHECK(dns_make_error(b.b, b.len, &qi, DNS_RCODE_BADVERS, out,
	    sizeof(out)) == DNS_HDR_LEN + QNAME_LEN + 4 + 11 &&
	    dns_get16(out + 10) == 1, "BADVERS always carries an OPT");
	CHECK(dns_make_error(b.b, b.len, &qi, DNS_RCODE_BADVERS, out,
	    DNS_HDR_LEN + QNAME_LEN + 4 + 10) == 0,
	    "BADVERS one byte short does not fit");

	/* SERVFAIL for an EDNS query */
	qspec_default(&q);
	q.id = 0x4242;
	q.edns = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK, "setup: EDNS query");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_SERVFAIL, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 + 11, "SERVFAIL size");
	CHECK(dns_get16(out) == 0x4242, "SERVFAIL echoes the ID");
	CHECK(dns_get16(out + 2) == (DNS_F_QR | DNS_F_RD | DNS_F_RA |
	    DNS_RCODE_SERVFAIL), "SERVFAIL flags, RD copied");
	CHECK(memcmp(out + 12, b.b + 12, QNAME_LEN + 4) == 0,
	    "SERVFAIL echoes the question");
	n = DNS_HDR_LEN + QNAME_LEN + 4;
	CHECK(out[n + 5] == 0 && dns_get16(out + n + 7) == 0,
	    "SERVFAIL OPT: no extended rcode, DO clear");
	qspec_default(&q);
	q.flags = 0;
	mkquery(&b, &q);
	check(&b, &qi);
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_REFUSED, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 &&
	    dns_get16(out + 2) == (DNS_F_QR | DNS_F_RA | DNS_RCODE_REFUSED),
	    "REFUSED without EDNS, RD clear stays clear");

	/* NOTIMP keeps the opcode */
	qspec_default(&q);
	q.flags = DNS_F_RD | 4 << 11;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP, "setup: NOTIFY");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_NOTIMP, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 &&
	    DNS_OPCODE(dns_get16(out + 2)) == 4 &&
	    (dns_get16(out + 2) & 0x0f) == DNS_RCODE_NOTIMP,
	    "NOTIMP echoes the opcode");

	/* built over the query itself */
	qspec_default(&q);
	mkquery(&b, &q);
	check(&b, &qi);
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_SERVFAIL, b.b,
	    sizeof(b.b));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 && dns_get16(b.b) == 0x1234 &&
	    (dns_get16(b.b + 2) & 0x0f) == DNS_RCODE_SERVFAIL,
	    "error built in place");
	b.len = n;
	CHECK(dns_check_reply(b.b, b.len, b.b + 12, qi.question_len, &sum) == 1,
	    "error reply matches its question");
}

static void
test_upstream(void)
{
	struct dns_query_info	 qi, uq;
	struct qspec		 q;
	struct buf		 b, c;
	uint8_t			 out[2048];
	char			 name[256];
	size_t			 n, opt, olen, i, j, k, bare;
	int			 ok;

	/* client without EDNS */
	qspec_default(&q);
	q.flags = DNS_F_RD | DNS_F_CD;
	mkquery(&b, &q);
	check(&b, &qi);
	n = dns_make_upstream_query(b.b, b.len, &qi, 0xaaaa, 128, 0, out,
	    sizeof(out));
	CHECK(n != 0 && n % 128 == 0, "padded to 128");
	CHECK(dns_get16(out) == 0xaaaa, "ID replaced");
	CHECK(dns_get16(out + 2) == (DNS_F_RD | DNS_F_CD), "flags copied");
	CHECK(dns_get16(out + 4) == 1 && dns_get16(out + 6) == 0 &&
	    dns_get16(out + 8) == 0 && dns_get16(out + 10) == 1,
	    "upstream counts");
	CHECK(memcmp(out + 12, b.b + 12, QNAME_LEN + 4) == 0,
	    "question copied");
	CHECK(find_opt(out, n, &opt) && opt == 12 + QNAME_LEN + 4,
	    "OPT follows the question");
	CHECK(dns_get16(out + opt + 3) == 1232 && out[opt + 5] == 0 &&
	    out[opt + 6] == 0 && dns_get16(out + opt + 7) == 0,
	    "fresh OPT: 1232, TTL 0");
	CHECK(opt + 11 + dns_get16(out + opt + 9) == n,
	    "OPT rdlength ends the message");
	CHECK(count_option(out, opt, DNS_EDNS_PADDING, &olen) == 1,
	    "one padding option");
	for (ok = 1, i = n - olen; i < n; i++)
		if (out[i] != 0)
			ok = 0;
	CHECK(ok, "padding bytes are zero");
	CHECK(dns_check_query(out, n, &uq) == DNS_OK && uq.has_opt &&
	    uq.client_padding && uq.udp_size == 1232,
	    "upstream query is itself a valid query");

	n = dns_make_upstream_query(b.b, b.len, &qi, 1, 468, 0, out,
	    sizeof(out));
	CHECK(n != 0 && n % 468 == 0, "padded to 468");

	n = dns_make_upstream_query(b.b, b.len, &qi, 1, 0, 0, out, sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 + 11 &&
	    dns_get16(out + n - 2) == 0, "padblock 0: bare OPT, no padding");

	/* client with EDNS, DO, cookie and its own padding */
	qspec_default(&q);
	q.edns = 1;
	q.dobit = 1;
	q.udp = 4000;
	q.cookie = 1;
	q.padlen = 77;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && qi.client_padding, "setup: padded");
	n = dns_make_upstream_query(b.b, b.len, &qi, 2, 128, 0, out,
	    sizeof(out));
	CHECK(n != 0 && n % 128 == 0, "client padding replaced by ours");
	CHECK(find_opt(out, n, &opt) && dns_get16(out + opt + 3) == 4000 &&
	    dns_get16(out + opt + 7) == 0x8000,
	    "client udp size and DO kept");
	CHECK(count_option(out, opt, OPT_COOKIE, &olen) == 0,
	    "client cookie not passed upstream");
	CHECK(count_option(out, opt, DNS_EDNS_PADDING, NULL) == 1,
	    "only one padding option");
	c = b;
	CHECK(dns_make_upstream_query(c.b, c.len, &qi, 2, 128, 0, c.b,
	    sizeof(c.b)) == n && memcmp(c.b, out, n) == 0,
	    "upstream query built in place is the same");
	n = dns_make_upstream_query(b.b, b.len, &qi, 2, 0, 0, out, sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 + 11 &&
	    find_opt(out, n, &opt) &&
	    count_option(out, opt, DNS_EDNS_PADDING, NULL) == 0 &&
	    count_option(out, opt, OPT_COOKIE, NULL) == 0,
	    "padblock 0: client padding and cookie stripped");

	/* sizes */
	qspec_default(&q);
	mkquery(&b, &q);
	check(&b, &qi);
	CHECK(dns_make_upstream_query(b.b, b.len, &qi, 1, 128, 0, out, 127) ==
	    0, "no room for the padded query");
	CHECK(dns_make_upstream_query(b.b, b.len, &qi, 1, 128, 0, out, 128) ==
	    128, "exactly one block of room");
	CHECK(dns_make_upstream_query(b.b, b.len, &qi, 1, 0, 0, out,
	    DNS_HDR_LEN + QNAME_LEN + 4 + 10) == 0,
	    "no room for the OPT");
	qi.question_len = 0;
	CHECK(dns_make_upstream_query(b.b, b.len, &qi, 1, 0, 0, out,
	    sizeof(out)) == 0, "no question, nothing to forward");

	/* every name length, every alignment */
	for (ok = 1, i = 1; i < 200; i++) {
		memset(name, 'a', i);
		name[i] = '\0';
		for (j = 60; j < i; j += 61)
			name[j] = '.';
		qspec_default(&q);
		q.name = name;
		q.edns = (i % 3) != 0;
		q.padlen = (i % 2) != 0 ? (int)(i % 17) : -1;
		mkquery(&b, &q);
		if (check(&b, &qi) != DNS_OK) {
			ok = 0;
			break;
		}
		/* the least padding that reaches a block boundary */
		bare = dns_make_upstream_query(b.b, b.len, &qi, 3, 0, 0, out,
		    sizeof(out));
		for (k = 1; k < 520; k += 37) {
			n = dns_make_upstream_query(b.b, b.len, &qi, 3, k, 0, out,
			    sizeof(out));
			if (bare == 0 || n == 0 || n % k != 0 ||
			    n < bare + 4 || n >= bare + 4 + k ||
			    dns_check_query(out, n, &uq) != DNS_OK)
				ok = 0;
		}
	}
	CHECK(ok, "padding right for 199 name lengths x 15 block sizes");
}

static void
test_check_reply(void)
{
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b, r;
	size_t			 i;

	qspec_default(&q);
	mkquery(&b, &q);
	check(&b, &qi);

	mkreply(&r, 5, "WwW.ExAmple.COM", 1, 1, -1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "reply with different case matches");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "reply with the same name matches");
	r.b[12 + QNAME_LEN + 1] = T_AAAA;
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "wrong qtype rejected");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	r.b[12 + QNAME_LEN + 3] = 3;
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "wrong qclass rejected");
	mkreply(&r, 5, "www.example.org", 1, 1, -1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "wrong name rejected");
	mkreply(&r, 5, "www.example.co", 1, 1, -1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "shorter name rejected");
	mkreply(&r, 5, "www.exampl.ecom", 1, 1, -1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "same letters, other labels rejected");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	r.b[2] &= ~(DNS_F_QR >> 8);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "QR=0 rejected");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	dns_put16(r.b + 4, 0);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "QDCOUNT 0 rejected");
	dns_put16(r.b + 4, 2);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "QDCOUNT 2 rejected");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	CHECK(dns_check_reply(r.b, 12 + QNAME_LEN + 3, b.b + 12,
	    qi.question_len, NULL) == 0, "cut question rejected");
	CHECK(dns_check_reply(r.b, 11, b.b + 12, qi.question_len, &sum) == 0,
	    "short reply rejected");
	CHECK(dns_check_reply(r.b, 12 + QNAME_LEN + 4, b.b + 12,
	    qi.question_len, NULL) == 0, "records missing after the question");
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR | DNS_F_RA | DNS_RCODE_SERVFAIL, 1, 0, 0, 0);
	b_question(&r, QNAME, T_A, C_IN);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "bare question section with no records is enough");

	/* a compressed question in the reply never matches */
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR, 1, 0, 0, 0);
	b_u8(&r, 3);
	b_bytes(&r, "www", 3);
	b_u16(&r, 0xc000 | 16);
	b_u16(&r, T_A);
	b_u16(&r, C_IN);
	b_name(&r, "example.com");
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "compressed question rejected");

	/* the whole message is walked, to its last octet */
	mkreply(&r, 5, QNAME, 3, 1, 40);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "good reply with glue around a padded OPT accepted");
	b_u8(&r, 0);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "one trailing octet rejected");
	b_bytes(&r, r.b, 40);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "a second message after the first rejected");
	mkreply(&r, 5, QNAME, 3, 1, 40);
	CHECK(dns_check_reply(r.b, r.len - 1, b.b + 12, qi.question_len, &sum) == 0,
	    "last record cut short rejected");
	dns_put16(r.b + 6, 4);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "ANCOUNT one past the records rejected");
	mkreply(&r, 5, QNAME, 3, 1, 40);
	dns_put16(r.b + 10, 2);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "ARCOUNT one short (a record left over) rejected");
	mkreply(&r, 5, QNAME, 3, 0, -1);
	r.b[12 + QNAME_LEN + 4 + 16] = 0xc0;	/* 2nd answer's owner */
	r.b[12 + QNAME_LEN + 4 + 17] = 0xff;
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "a pointer beyond the message in the answer rejected");

	/* at most one OPT, in the additional section, options clean */
	mkreply(&r, 5, QNAME, 1, 1, -1);
	dns_put16(r.b + 10, dns_get16(r.b + 10) + 1);
	b_opt_end(&r, b_opt_begin(&r, 1232, 0, 0, 0));
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "two OPTs rejected");
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR, 1, 1, 0, 0);
	b_question(&r, QNAME, T_A, C_IN);
	b_opt_end(&r, b_opt_begin(&r, 1232, 0, 0, 0));
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "OPT in the answer section rejected");
	dns_put16(r.b + 6, 0);
	dns_put16(r.b + 8, 1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "OPT in the authority section rejected");
	dns_put16(r.b + 8, 0);
	dns_put16(r.b + 10, 1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "the same OPT in the additional section accepted");
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR, 1, 0, 0, 1);
	b_question(&r, QNAME, T_A, C_IN);
	b_u16(&r, 0xc000 | DNS_HDR_LEN);
	b_opt_end(&r, b_opt_begin(&r, 1232, 0, 0, 0));
	memmove(r.b + r.len - 11, r.b + r.len - 10, 10);
	r.len--;
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "OPT not owned by the root rejected");
	mkreply(&r, 5, QNAME, 1, 1, -1);
	find_opt(r.b, r.len, &i);
	dns_put16(r.b + i + 11 + 2, 17);	/* the cookie overruns */
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "OPT with an option past its rdata rejected");

	/* RFC 9267: owner names are followed through their pointers */
	ptr_reply(&r, 0);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 1,
	    "owner pointing back at the question accepted");
	ptr_reply(&r, 4);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "owner in a pointer loop rejected");
	ptr_reply(&r, 1);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "owner pointing at itself rejected");
	ptr_reply(&r, 2);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) == 0,
	    "owner pointing forward rejected");
}

static void
test_fix_reply(void)
{
	struct dns_query_info	 qi;
	struct buf		 r, orig;
	size_t			 n, opt, optlen, tail;
	uint8_t			 glue2[64];

	memset(&qi, 0, sizeof(qi));
	qi.id = 0x7777;

	/* client without EDNS: our OPT goes, glue on both sides stays */
	mkreply(&r, 5, QNAME, 2, 1, 40);
	orig = r;
	CHECK(find_opt(r.b, r.len, &opt), "setup: reply has an OPT");
	optlen = 11 + dns_get16(r.b + opt + 9);
	tail = r.len - opt - optlen;
	memcpy(glue2, r.b + opt + optlen, tail);
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == orig.len - optlen, "OPT removed: length shrinks by it");
	CHECK(dns_get16(r.b) == 0x7777, "ID restored");
	CHECK(dns_get16(r.b + 10) == 2, "ARCOUNT decremented");
	CHECK(memcmp(r.b + 2, orig.b + 2, 8) == 0, "other header kept");
	CHECK(memcmp(r.b + 12, orig.b + 12, opt - 12) == 0,
	    "records before the OPT untouched");
	CHECK(memcmp(r.b + opt, glue2, tail) == 0,
	    "record after the OPT moved down intact");
	CHECK(!find_opt(r.b, n, &opt), "no OPT left");
	CHECK(dns_fix_reply(r.b, n, &qi) == n, "fixed reply parses again");

	/*
	 * client with EDNS, no padding: our padding goes, and so does the
	 * cookie, which can only be the upstream's for our own hop
	 */
	qi.has_opt = 1;
	mkreply(&r, 5, QNAME, 2, 1, 40);
	orig = r;
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == orig.len - 44 - 20,
	    "padding and cookie removed: length shrinks by 64");
	CHECK(dns_get16(r.b + 10) == 3, "ARCOUNT kept");
	CHECK(find_opt(r.b, n, &opt) && dns_get16(r.b + opt + 9) == 0,
	    "OPT rdlength fixed");
	CHECK(count_option(r.b, opt, DNS_EDNS_PADDING, NULL) == 0 &&
	    count_option(r.b, opt, OPT_COOKIE, NULL) == 0,
	    "cookie and padding gone");
	CHECK(memcmp(r.b + n - 16, orig.b + orig.len - 16, 16) == 0,
	    "record after the OPT intact");
	CHECK(dns_fix_reply(r.b, n, &qi) == n, "stripped reply parses again");

	/* the client padded: its padding answer stays */
	qi.client_padding = 1;
	mkreply(&r, 5, QNAME, 2, 1, 40);
	orig = r;
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == orig.len - 20 && find_opt(r.b, n, &opt) &&
	    count_option(r.b, opt, DNS_EDNS_PADDING, NULL) == 1 &&
	    count_option(r.b, opt, OPT_COOKIE, NULL) == 0,
	    "padded client: the padding stays, the cookie goes");

	/* no OPT at all */
	qi.has_opt = 0;
	qi.client_padding = 0;
	mkreply(&r, 5, QNAME, 3, 0, -1);
	orig = r;
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == orig.len && memcmp(r.b + 2, orig.b + 2, n - 2) == 0,
	    "reply without OPT unchanged but for the ID");

	/* malformed replies */
	mkreply(&r, 5, QNAME, 2, 1, 40);
	dns_put16(r.b + 6, 9);
	CHECK(dns_fix_reply(r.b, r.len, &qi) == 0, "ANCOUNT too high");
	mkreply(&r, 5, QNAME, 2, 1, 40);
	CHECK(dns_fix_reply(r.b, r.len - 1, &qi) == 0, "last record cut");
	CHECK(dns_fix_reply(r.b, 11, &qi) == 0, "short reply");
	mkreply(&r, 5, QNAME, 2, 1, 40);
	find_opt(r.b, r.len, &opt);
	dns_put16(r.b + opt + 11 + 2, 17);	/* cookie overruns */
	CHECK(dns_fix_reply(r.b, r.len, &qi) == 0, "broken OPT options");
	mkreply(&r, 5, QNAME, 1, 0, -1);
	r.b[12 + QNAME_LEN + 4] = 0x80;
	CHECK(dns_fix_reply(r.b, r.len, &qi) == 0, "bad label type");
}

/*
 * One client's upstream reply made another's (coalescing): that client's
 * ID, spelling, RD and EDNS view, AD only if it asked for AD or DO.
 */
static void
test_adopt_reply(void)
{
	struct dns_query_info	 qi;
	struct qspec		 qs;
	struct buf		 q, q2, r, orig;
	size_t			 n, opt;

	qspec_default(&qs);
	qs.id = 0x4242;
	qs.name = "wWw.ExAmPlE.cOm";
	qs.flags = 0;			/* RD=0 */
	mkquery(&q, &qs);
	CHECK(dns_check_query(q.b, q.len, &qi) == DNS_OK, "setup: query");
	mkreply(&r, 5, QNAME, 2, 1, 40);
	dns_put16(r.b + 2, dns_get16(r.b + 2) | DNS_F_AD | DNS_F_AA);
	orig = r;
	n = dns_adopt_reply(r.b, r.len, q.b, &qi, NULL);
	CHECK(n > 0 && n < orig.len, "adopted, our OPT removed");
	CHECK(dns_get16(r.b) == 0x4242, "the follower's ID");
	CHECK(memcmp(r.b + 12, q.b + 12, QNAME_LEN + 4) == 0,
	    "the follower's spelling of the name");
	CHECK(!(dns_get16(r.b + 2) & DNS_F_RD), "the follower's RD bit (0)");
	CHECK(!(dns_get16(r.b + 2) & DNS_F_AD),
	    "AD cleared: the follower set neither AD nor DO");
	CHECK(dns_get16(r.b + 2) & DNS_F_AA, "AA kept: not from a cache");
	CHECK(!find_opt(r.b, n, &opt), "no OPT for a client without EDNS");
	CHECK(memcmp(r.b + 12 + QNAME_LEN + 4, orig.b + 12 + QNAME_LEN + 4,
	    32) == 0, "answers untouched");

	qs.edns = 1;
	qs.dobit = 1;
	qs.flags = DNS_F_RD;
	mkquery(&q, &qs);
	CHECK(dns_check_query(q.b, q.len, &qi) == DNS_OK, "setup: DO query");
	r = orig;
	n = dns_adopt_reply(r.b, r.len, q.b, &qi, NULL);
	q2 = orig;
	CHECK(n == dns_fix_reply(q2.b, q2.len, &qi),
	    "EDNS follower: the options dns_fix_reply keeps, no fewer");
	CHECK((dns_get16(r.b + 2) & (DNS_F_RD | DNS_F_AD)) ==
	    (DNS_F_RD | DNS_F_AD), "RD and AD for a DO follower");
	CHECK(find_opt(r.b, n, &opt), "OPT kept for an EDNS follower");

	r = orig;
	CHECK(dns_adopt_reply(r.b, 12 + QNAME_LEN + 3, q.b, &qi, NULL) == 0,
	    "a reply shorter than the question is refused");
	qi.question_len = 0;
	CHECK(dns_adopt_reply(r.b, r.len, q.b, &qi, NULL) == 0,
	    "an unreadable question is refused");
}

static void
test_truncate(void)
{
	struct dns_query_info	 qi;
	struct buf		 r, orig;
	size_t			 n, opt;

	memset(&qi, 0, sizeof(qi));
	qi.id = 5;
	qi.has_opt = 1;

	mkreply(&r, 5, QNAME, 60, 1, -1);
	orig = r;
	CHECK(r.len > 512, "setup: big reply");
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(n <= 512 && n == 12 + QNAME_LEN + 4 + 11 + 20,
	    "truncated to question + OPT");
	CHECK((dns_get16(r.b + 2) & DNS_F_TC) != 0, "TC set");
	CHECK((dns_get16(r.b + 2) & ~DNS_F_TC) == dns_get16(orig.b + 2),
	    "other flags kept");
	CHECK(dns_get16(r.b + 4) == 1 && dns_get16(r.b + 6) == 0 &&
	    dns_get16(r.b + 8) == 0 && dns_get16(r.b + 10) == 1,
	    "counts: QD 1, AN 0, NS 0, AR 1");
	CHECK(memcmp(r.b + 12, orig.b + 12, QNAME_LEN + 4) == 0,
	    "question kept");
	CHECK(find_opt(r.b, n, &opt) && dns_get16(r.b + opt + 3) == 1232 &&
	    dns_get16(r.b + opt + 7) == 0x8000 &&
	    count_option(r.b, opt, OPT_COOKIE, NULL) == 1,
	    "upstream OPT kept whole");
	CHECK(dns_fix_reply(r.b, n, &qi) != 0, "truncated reply parses");

	qi.has_opt = 0;
	mkreply(&r, 5, QNAME, 60, 1, -1);
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 && dns_get16(r.b + 10) == 0,
	    "no OPT for a client without EDNS");

	qi.has_opt = 1;
	mkreply(&r, 5, QNAME, 60, 1, -1);
	n = dns_truncate(r.b, r.len, 12 + QNAME_LEN + 4 + 11 + 5, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 + 11 && dns_get16(r.b + 10) == 1 &&
	    dns_get16(r.b + n - 2) == 0, "OPT without options when tight");
	mkreply(&r, 5, QNAME, 60, 1, -1);
	n = dns_truncate(r.b, r.len, 12 + QNAME_LEN + 4 + 3, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 && dns_get16(r.b + 10) == 0,
	    "question only when the OPT cannot fit");
	mkreply(&r, 5, QNAME, 60, 1, -1);
	n = dns_truncate(r.b, r.len, 20, &qi);
	CHECK(n == 12 && dns_get16(r.b + 4) == 0 &&
	    (dns_get16(r.b + 2) & DNS_F_TC) != 0,
	    "header only when the question cannot fit");
	mkreply(&r, 5, QNAME, 60, 1, -1);
	CHECK(dns_truncate(r.b, r.len, 11, &qi) == 0,
	    "nothing fits in 11 bytes");

	mkreply(&r, 5, QNAME, 3, 1, -1);
	orig = r;
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(n == orig.len && memcmp(r.b, orig.b, n) == 0,
	    "short reply unchanged");
	n = dns_truncate(r.b, r.len, r.len, &qi);
	CHECK(n == orig.len && memcmp(r.b, orig.b, n) == 0,
	    "reply of exactly maxlen unchanged");

	/* broken records: the question survives, the OPT is not searched */
	mkreply(&r, 5, QNAME, 60, 1, -1);
	dns_put16(r.b + 6, 200);
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 && dns_get16(r.b + 4) == 1 &&
	    dns_get16(r.b + 10) == 0, "unparseable records: question only");
	mkreply(&r, 5, QNAME, 60, 1, -1);
	r.b[12] = 0xc0;
	r.b[13] = 0xff;
	r.b[14] = 0xff;
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(n <= 512 && (dns_get16(r.b + 2) & DNS_F_TC) != 0,
	    "odd question still truncates within the limit");
}

/*
 * RFC 2181 9: additional records go first, whole RRsets at a time, and
 * TC is set only when the answer or authority sections do not fit.
 * big_reply()'s additional RRsets take 36 (even) and 40 (odd) octets.
 */
static void
test_truncate_rrsets(void)
{
	struct dns_query_info	 qi;
	struct buf		 r, orig;
	size_t			 n, opt;
	int			 k;

	memset(&qi, 0, sizeof(qi));
	qi.id = 5;

	/* a client without EDNS: dns_fix_reply() left no OPT */
	big_reply(&r, -1);
	orig = r;
	CHECK(r.len == BIG_BASE + 15 * 36 + 15 * 40, "setup: big_reply size");
	CHECK(dns_check_reply(r.b, r.len, r.b + 12, QNAME_LEN + 4, &sum) == 1,
	    "setup: big_reply is a good reply");
	n = dns_truncate(r.b, r.len, 512, &qi);
	k = trimmed(r.b, n, &orig, 512, 0);
	CHECK(k == 22 && n == BIG_BASE + 5 * 76 + 36,
	    "512, no EDNS: answer and authority whole, 11 RRsets kept");
	CHECK((dns_get16(r.b + 2) & DNS_F_TC) == 0 &&
	    dns_get16(r.b + 6) == 2 && dns_get16(r.b + 8) == 1 &&
	    dns_get16(r.b + 10) == 22, "512, no EDNS: TC clear, ARCOUNT 22");

	/*
	 * An EDNS client: the OPT's room comes first.  At 700 the first
	 * record of set 15 still fits (690 octets) but its second does
	 * not: the set goes whole.
	 */
	qi.has_opt = 1;
	big_reply(&r, 2 * BIG_SETS);
	orig = r;
	CHECK(BIG_BASE + 7 * 76 + 36 + 20 + BIG_OPT == 690,
	    "setup: set 15's first record would fit in 700");
	n = dns_truncate(r.b, r.len, 700, &qi);
	k = trimmed(r.b, n, &orig, 700, 1);
	CHECK(k == 30 && n == BIG_BASE + 7 * 76 + 36 + BIG_OPT,
	    "700, EDNS: 15 RRsets, the straddling set 15 dropped whole");
	CHECK((dns_get16(r.b + 2) & DNS_F_TC) == 0 &&
	    dns_get16(r.b + 10) == 31 && find_opt(r.b, n, &opt) &&
	    opt == n - BIG_OPT, "700, EDNS: TC clear, ARCOUNT 31, OPT last");
	big_reply(&r, 2 * BIG_SETS);
	n = dns_truncate(r.b, r.len, 687, &qi);
	CHECK(trimmed(r.b, n, &orig, 687, 1) == 30,
	    "687, EDNS: set 15's first record does not fit either");

	/*
	 * The OPT in the middle, inside set 4, moves to the end; the sets
	 * after it take 40 octets each.
	 */
	big_reply(&r, 9);
	orig = r;
	n = dns_truncate(r.b, r.len, 700, &qi);
	k = trimmed(r.b, n, &orig, 700, 1);
	CHECK(k == 30 && n == BIG_BASE + 2 * 76 + 36 + 10 * 40 + BIG_OPT &&
	    find_opt(r.b, n, &opt) && opt == n - BIG_OPT &&
	    dns_get16(r.b + 10) == 31,
	    "OPT in the middle: written after the records kept");
	big_reply(&r, 9);
	n = dns_truncate(r.b, r.len, 202, &qi);
	k = trimmed(r.b, n, &orig, 202, 1);
	CHECK(k == 4 && n == BIG_BASE + 76 + BIG_OPT &&
	    find_opt(r.b, n, &opt) && opt == n - BIG_OPT,
	    "OPT after the cut: moved down behind the records kept");
	qi.has_opt = 0;
	big_reply(&r, 9);
	n = dns_truncate(r.b, r.len, 512, &qi);
	CHECK(trimmed(r.b, n, &orig, 512, 0) == 22 &&
	    n == BIG_BASE + 2 * 76 + 36 + 6 * 40 && !find_opt(r.b, n, &opt),
	    "OPT in the middle, client without EDNS: dropped");

	/* the limits of the answer and authority sections */
	qi.has_opt = 1;
	big_reply(&r, 2 * BIG_SETS);
	orig = r;
	n = dns_truncate(r.b, r.len, BIG_BASE + BIG_OPT, &qi);
	CHECK(trimmed(r.b, n, &orig, BIG_BASE + BIG_OPT, 1) == 0 &&
	    n == BIG_BASE + BIG_OPT, "answer, authority and OPT exactly fit: "
	    "no additional records, TC clear");
	big_reply(&r, 2 * BIG_SETS);
	n = dns_truncate(r.b, r.len, BIG_BASE + BIG_OPT - 1, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 + BIG_OPT &&
	    (dns_get16(r.b + 2) & DNS_F_TC) != 0 &&
	    dns_get16(r.b + 4) == 1 && dns_get16(r.b + 6) == 0 &&
	    dns_get16(r.b + 8) == 0 && dns_get16(r.b + 10) == 1 &&
	    memcmp(r.b + n - BIG_OPT, orig.b + r.len - BIG_OPT, BIG_OPT) == 0,
	    "one octet short: TC, the question and the OPT only");
	CHECK(dns_check_reply(r.b, n, orig.b + 12, QNAME_LEN + 4, &sum) == 1,
	    "TC reply is a good reply");
	qi.has_opt = 0;
	big_reply(&r, -1);
	orig = r;
	n = dns_truncate(r.b, r.len, BIG_BASE, &qi);
	CHECK(trimmed(r.b, n, &orig, BIG_BASE, 0) == 0 && n == BIG_BASE,
	    "no EDNS: answer and authority exactly fit, TC clear");
	big_reply(&r, -1);
	n = dns_truncate(r.b, r.len, BIG_BASE - 1, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 && (dns_get16(r.b + 2) & DNS_F_TC) &&
	    dns_get16(r.b + 10) == 0, "no EDNS, one octet short: TC");

	/*
	 * What cannot be walked, or moved, falls back to TC: here the
	 * OPT comes first and the second A record's owner points at the
	 * first's, which would move with it.
	 */
	qi.has_opt = 1;
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR | DNS_F_RA, 1, 0, 0, 3);
	b_question(&r, QNAME, T_A, C_IN);
	b_opt_end(&r, b_opt_begin(&r, 1232, 0, 0, 0));
	b_rr_a(&r, "x.example.com", 0, 1);
	b_u16(&r, 0xc000 | (12 + QNAME_LEN + 4 + 11));
	b_bytes(&r, r.b + r.len - 16, 14);
	CHECK(dns_check_reply(r.b, r.len, r.b + 12, QNAME_LEN + 4, &sum) == 0,
	    "owners after the OPT pointing past it: not a reply we accept");
	n = dns_truncate(r.b, r.len, r.len - 1, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 + 11 &&
	    (dns_get16(r.b + 2) & DNS_F_TC) != 0,
	    "an owner after the OPT pointing past it: TC");
	big_reply(&r, 2 * BIG_SETS);
	dns_put16(r.b + 10, 2 * BIG_SETS + 2);
	n = dns_truncate(r.b, r.len, 700, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 + BIG_OPT &&
	    (dns_get16(r.b + 2) & DNS_F_TC) != 0,
	    "ARCOUNT past the records: TC");
	big_reply(&r, 2 * BIG_SETS);
	orig = r;
	n = dns_truncate(r.b, r.len, r.len, &qi);
	CHECK(n == orig.len && memcmp(r.b, orig.b, n) == 0,
	    "big reply of exactly maxlen unchanged");

	/*
	 * An RRset whose records are not together: the cut goes back to
	 * its first record, and what followed it goes too.
	 */
	qi.has_opt = 0;
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR | DNS_F_RA, 1, 0, 0, 3);
	b_question(&r, QNAME, T_A, C_IN);
	b_rr_a(&r, "x.example.com", 0, 1);
	b_rr_a(&r, "y.example.com", 0, 2);
	b_rr_a(&r, "X.EXAMPLE.COM", 0, 3);
	n = dns_truncate(r.b, r.len, r.len - 1, &qi);
	CHECK(n == 12 + QNAME_LEN + 4 && dns_get16(r.b + 10) == 0 &&
	    (dns_get16(r.b + 2) & DNS_F_TC) == 0,
	    "RRset apart: everything from its first record goes");
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR | DNS_F_RA, 1, 0, 0, 3);
	b_question(&r, QNAME, T_A, C_IN);
	b_rr_a(&r, "x.example.com", 0, 1);
	b_rr_a(&r, "y.example.com", 0, 2);
	b_rr_a(&r, "x.example.net", 0, 3);
	orig = r;
	n = dns_truncate(r.b, r.len, r.len - 1, &qi);
	CHECK(n == orig.len - 29 && dns_get16(r.b + 10) == 2 &&
	    memcmp(r.b + 12, orig.b + 12, n - 12) == 0,
	    "another name is another RRset: only it goes");
}

/*
 * Header bits with no meaning in a query: TC makes it FORMERR, the rest
 * are not passed upstream; the answers we make ourselves carry the same
 * bits as the ones we forward.
 */
static void
test_query_flags(void)
{
	static const struct {
		int		 rcode;
		const char	*what;
	} err[] = {
		{ DNS_RCODE_SERVFAIL, "SERVFAIL flags: QR RA RD CD only" },
		{ DNS_RCODE_FORMERR, "FORMERR flags: QR RA RD CD only" },
		{ DNS_RCODE_NOTIMP, "NOTIMP flags: QR RA RD CD only" },
		{ DNS_RCODE_REFUSED, "REFUSED flags: QR RA RD CD only" },
		{ DNS_RCODE_BADVERS, "BADVERS flags: QR RA RD CD only" },
	};
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	uint8_t			 out[512];
	uint16_t		 noise;
	size_t			 n, i, opt;

	/* TC: FORMERR, which still echoes the question and the OPT */
	qspec_default(&q);
	q.flags = DNS_F_RD | DNS_F_TC;
	q.edns = 1;
	q.dobit = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_FORMERR, "TC=1 query is FORMERR");
	CHECK(qi.question_len == QNAME_LEN + 4 && qi.has_opt == 1 &&
	    qi.do_bit == 1, "TC=1: question and OPT still read");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_FORMERR, out,
	    sizeof(out));
	CHECK(n == DNS_HDR_LEN + QNAME_LEN + 4 + 11 &&
	    dns_get16(out + 2) == (DNS_F_QR | DNS_F_RA | DNS_F_RD |
	    DNS_RCODE_FORMERR) && dns_get16(out + 4) == 1 &&
	    dns_get16(out + 10) == 1 &&
	    memcmp(out + 12, b.b + 12, QNAME_LEN + 4) == 0 &&
	    find_opt(out, n, &opt) && dns_get16(out + opt + 7) == 0x8000,
	    "TC=1 FORMERR echoes question and OPT, TC clear in it");
	q.edns = 0;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_FORMERR && qi.has_opt == 0,
	    "TC=1 query without EDNS is FORMERR");
	q.flags = DNS_F_TC | 4 << 11;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP,
	    "TC=1 NOTIFY: NOTIMP takes precedence, as for other FORMERRs");
	q.flags = DNS_F_TC | DNS_F_QR;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_DROP, "TC=1 with QR=1 is still dropped");

	/* AA, Z, RA and an rcode in a query: accepted, not forwarded */
	noise = DNS_F_AA | DNS_F_Z | DNS_F_RA | DNS_RCODE_REFUSED;
	qspec_default(&q);
	q.flags = noise | DNS_F_RD | DNS_F_AD | DNS_F_CD;
	q.edns = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK, "AA, Z, RA and rcode in a query: OK");
	n = dns_make_upstream_query(b.b, b.len, &qi, 0x5555, 128, 0, out,
	    sizeof(out));
	CHECK(n != 0 && dns_get16(out + 2) == (DNS_F_RD | DNS_F_AD |
	    DNS_F_CD), "upstream: RD AD CD kept; AA Z RA rcode cleared");
	q.flags = noise;
	mkquery(&b, &q);
	check(&b, &qi);
	n = dns_make_upstream_query(b.b, b.len, &qi, 0x5555, 0, 0, out,
	    sizeof(out));
	CHECK(n != 0 && dns_get16(out + 2) == 0,
	    "upstream: RD AD CD clear stay clear");
	/* built even for what dns_check_query() refused: still clean */
	q.flags = DNS_F_QR | DNS_F_TC | DNS_F_RD | 2 << 11 | noise;
	mkquery(&b, &q);
	check(&b, &qi);
	qi.question_len = QNAME_LEN + 4;
	qi.has_opt = 1;
	n = dns_make_upstream_query(b.b, b.len, &qi, 0x5555, 0, 0, out,
	    sizeof(out));
	CHECK(n != 0 && dns_get16(out + 2) == (DNS_F_RD | 2 << 11),
	    "upstream: opcode kept, QR and TC cleared");

	/* every error we make has the bits a forwarded answer has */
	qspec_default(&q);
	q.flags = noise | DNS_F_RD | DNS_F_AD | DNS_F_CD;
	q.edns = 1;
	mkquery(&b, &q);
	check(&b, &qi);
	for (i = 0; i < sizeof(err) / sizeof(err[0]); i++) {
		n = dns_make_error(b.b, b.len, &qi, err[i].rcode, out,
		    sizeof(out));
		CHECK(n != 0 && dns_get16(out + 2) == (DNS_F_QR | DNS_F_RA |
		    DNS_F_RD | DNS_F_CD | (err[i].rcode & 0x0f)), err[i].what);
	}
	q.flags = 4 << 11 | DNS_F_AA | DNS_F_Z | DNS_F_AD;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_NOTIMP, "setup: NOTIFY with noise");
	n = dns_make_error(b.b, b.len, &qi, DNS_RCODE_NOTIMP, out,
	    sizeof(out));
	CHECK(n != 0 && dns_get16(out + 2) == (DNS_F_QR | DNS_F_RA |
	    4 << 11 | DNS_RCODE_NOTIMP),
	    "NOTIMP: opcode echoed, RD clear, AA Z AD not echoed");
}

/* deterministic xorshift, so a failing case can be replayed */
static uint32_t fuzz_state = 0x2545f491;

static uint32_t
fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 17;
	fuzz_state ^= fuzz_state << 5;
	return (fuzz_state);
}

/* flip, overwrite, cut, extend or splice a valid message */
static size_t
mutate(uint8_t *m, size_t len, size_t cap)
{
	size_t	 i, n, at;

	n = 1 + fuzz_rand() % 4;
	for (i = 0; i < n; i++) {
		switch (fuzz_rand() % 8) {
		case 0:
		case 1:
			if (len > 0)
				m[fuzz_rand() % len] ^= 1 << (fuzz_rand() % 8);
			break;
		case 2:
		case 3:
			if (len > 0)
				m[fuzz_rand() % len] = fuzz_rand();
			break;
		case 4:
			/* counts and lengths are where parsers break */
			if (len > 12)
				m[4 + fuzz_rand() % 8] = fuzz_rand() % 4;
			break;
		case 5:
			if (len > 0)
				len = fuzz_rand() % len;
			break;
		case 6:
			at = 1 + fuzz_rand() % 8;
			while (at-- > 0 && len < cap)
				m[len++] = fuzz_rand();
			break;
		default:
			if (len > 2) {
				at = fuzz_rand() % (len - 1);
				m[at] = 0xc0 | (fuzz_rand() & 0x3f);
				m[at + 1] = fuzz_rand();
			}
			break;
		}
	}
	return (len);
}

static void
test_fuzz(void)
{
	struct dns_query_info	 qi, rqi;
	struct qspec		 q;
	struct buf		 seed[6], rseed[5];
	uint8_t			*arena, *m, work[4096], out[2048];
	size_t			 cap = 4096, len, n, maxlen, r;
	uint16_t		 flags;
	int			 i, rc, nok = 0, bad = 0, nfix = 0, ntrim = 0;
	int			 fixed, match, nsum = 0;
	enum dns_verdict	 v;
	clock_t			 start = clock();

	if ((arena = malloc(cap)) == NULL) {
		CHECK(0, "fuzz arena");
		return;
	}
	qspec_default(&q);
	mkquery(&seed[0], &q);
	q.edns = 1;
	q.dobit = 1;
	mkquery(&seed[1], &q);
	q.cookie = 1;
	q.padlen = 30;
	mkquery(&seed[2], &q);
	q.version = 1;
	mkquery(&seed[3], &q);
	q.version = 0;
	q.flags = 4 << 11;
	mkquery(&seed[4], &q);
	qspec_default(&q);
	q.name = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p";
	q.edns = 1;
	q.padlen = 0;
	mkquery(&seed[5], &q);
	mkreply(&rseed[0], 5, QNAME, 3, 1, 40);
	mkreply(&rseed[1], 5, QNAME, 40, 1, -1);
	mkreply(&rseed[2], 5, QNAME, 2, 0, -1);
	mkreply(&rseed[3], 5, QNAME, 0, 1, 300);
	big_reply(&rseed[4], 9);

	for (i = 0; i < 200000; i++) {
		/* queries */
		r = fuzz_rand() % 6;
		memcpy(work, seed[r].b, seed[r].len);
		len = mutate(work, seed[r].len, sizeof(work));
		m = arena + cap - len;	/* overreads hit the redzone */
		memcpy(m, work, len);
		v = dns_check_query(m, len, &qi);
		if (qi.question_len != 0 &&
		    (len < 12 || qi.question_len > len - 12 ||
		    qi.question_len != qi.qname_len + 4 ||
		    qi.qname_len > DNS_MAX_NAME))
			bad++;
		if (v == DNS_OK) {
			nok++;
			if (qi.question_len == 0 || len > DNS_MAX_QUERY)
				bad++;
			n = dns_make_upstream_query(m, len, &qi, i, 128, 0, out,
			    sizeof(out));
			if (n == 0 || n % 128 != 0 || n > sizeof(out))
				bad++;
			else {
				/* answer it with itself and run it back */
				out[2] |= DNS_F_QR >> 8;
				if (dns_check_reply(out, n, m + 12,
				    qi.question_len, NULL) != 1)
					bad++;
				r = dns_fix_reply(out, n, &qi);
				if (r == 0 || r > n || dns_get16(out) != qi.id)
					bad++;
				n = dns_truncate(out, r, 64, &qi);
				if ((r > 64 && n > 64) || (r <= 64 && n != r))
					bad++;
			}
		}
		if (v != DNS_OK && v != DNS_DROP) {
			rc = v == DNS_BADVERS ? DNS_RCODE_BADVERS :
			    v == DNS_NOTIMP ? DNS_RCODE_NOTIMP :
			    DNS_RCODE_FORMERR;
			n = dns_make_error(m, len, &qi, rc, out, sizeof(out));
			if (n < 12 || n > 12 + qi.question_len + 11)
				bad++;
		}

		/* replies */
		r = fuzz_rand() % 5;
		memcpy(work, rseed[r].b, rseed[r].len);
		len = mutate(work, rseed[r].len, sizeof(work));
		m = arena + cap - len;
		memcpy(m, work, len);
		memset(&rqi, 0, sizeof(rqi));
		rqi.id = i;
		rqi.has_opt = fuzz_rand() % 2;
		rqi.client_padding = fuzz_rand() % 2;
		match = dns_check_reply(m, len, seed[0].b + 12,
		    QNAME_LEN + 4, &sum);
		if (match)
			memcpy(work, m, len);
		n = dns_fix_reply(m, len, &rqi);
		if (n > len)
			bad++;
		/* the summary's rewrite is the walk's, to the octet */
		if (match) {
			nsum++;
			if (dns_fix_summarized(work, len, &sum, &rqi) != n ||
			    memcmp(work, m, n) != 0)
				bad++;
		}
		fixed = n != 0;
		if (fixed) {
			nfix++;
			/* a fixed reply is well formed: fixing is idempotent */
			if (dns_fix_reply(m, n, &rqi) != n)
				bad++;
			len = n;
		}
		maxlen = fuzz_rand() % (len + 16);
		flags = len >= 12 ? dns_get16(m + 2) : 0;
		n = dns_truncate(m, len, maxlen, &rqi);
		if (n > len || (len > maxlen && n > maxlen))
			bad++;
		if (len > maxlen && maxlen >= 12 && n < 12)
			bad++;
		/* however it was cut, a fixed reply stays well formed */
		if (fixed && n >= 12 && dns_fix_reply(m, n, &rqi) != n)
			bad++;
		if (n >= 12 && n < len && !(flags & DNS_F_TC) &&
		    !(dns_get16(m + 2) & DNS_F_TC))
			ntrim++;
	}
	free(arena);
	printf("# fuzz: %d valid queries, %d fixable replies (%d matched), "
	    "%d cut without TC, %.2fs\n", nok, nfix, nsum, ntrim,
	    (double)(clock() - start) / CLOCKS_PER_SEC);
	CHECK(bad == 0, "fuzz: 200000 mutated queries and replies");
	CHECK(nok > 1000 && nfix > 1000 && ntrim > 1000 && nsum > 1000,
	    "fuzz: mutations reach the paths");
}

/* A negative reply to QNAME: rcode, SOA with TTL ttl and MINIMUM min. */
static void
soa_reply(struct buf *b, int rcode, uint32_t ttl, uint32_t min)
{
	b->len = 0;
	b_hdr(b, 7, DNS_F_QR | DNS_F_RA | rcode, 1, 0, 1, 0);
	b_question(b, QNAME, T_A, C_IN);
	b_u16(b, 0xc000 | 16);		/* example.com */
	b_u16(b, 6);
	b_u16(b, C_IN);
	b_u16(b, ttl >> 16);
	b_u16(b, ttl & 0xffff);
	b_u16(b, 2 + 2 + 20);
	b_u16(b, 0xc000 | 16);		/* mname */
	b_u16(b, 0xc000 | 16);		/* rname */
	b_u16(b, 0);
	b_u16(b, 1);			/* serial */
	b_bytes(b, "\0\0\0\1\0\0\0\1\0\0\0\1", 12);
	b_u16(b, min >> 16);
	b_u16(b, min & 0xffff);
}

/*
 * What dns_check_reply() notes in its one walk: the question, the
 * sections, the OPT and its keepalive, the TTLs and whether and how
 * long the cache may keep the reply; and that dns_fix_summarized()
 * makes from it the rewrite dns_fix_reply() makes by walking.
 */
static void
test_summary(void)
{
	struct dns_query_info	 qi;
	struct qspec		 qs;
	struct buf		 b, r, w;
	size_t			 at, n;
	int			 i, ok;

	qspec_default(&qs);
	mkquery(&b, &qs);
	check(&b, &qi);
	mkreply(&r, 5, QNAME, 3, 1, 40);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.len == r.len && sum.qtype == T_A && sum.qclass == C_IN &&
	    sum.qname_len == QNAME_LEN && sum.ancount == 3 &&
	    sum.nscount == 1 && sum.arcount == 3,
	    "summary: the question and the counts");
	CHECK(sum.opt_off != 0 && r.b[sum.opt_off] == 0 &&
	    dns_get16(r.b + sum.opt_off + 1) == DNS_TYPE_OPT &&
	    sum.opt_len == 11 + 4 + 16 + 4 + 40 && sum.keepalive == -1,
	    "summary: where the OPT is, no keepalive");
	CHECK(sum.nttl == 6 && sum.min_ttl == 300 && sum.ttl == 300 &&
	    sum.soa_ttl == UINT32_MAX,
	    "summary: six TTLs (the OPT's is none), cached for 300 s");
	ok = 1;
	for (i = 0; i < sum.nttl; i++)
		if (dns_get32(r.b + sum.ttl_off[i]) != 300)
			ok = 0;
	CHECK(ok && sum.ttl_off[5] > sum.opt_off,
	    "summary: each TTL offset points at a TTL, the last past the OPT");

	/* the summary's rewrite is dns_fix_reply()'s, EDNS client or not */
	for (i = 0; i < 4; i++) {
		qi.has_opt = i & 1;
		qi.client_padding = (i & 2) != 0;
		w = r;
		n = dns_fix_reply(w.b, w.len, &qi);
		b.len = 0;
		b_bytes(&b, r.b, r.len);
		CHECK(n != 0 && dns_fix_summarized(b.b, r.len, &sum, &qi) == n &&
		    memcmp(b.b, w.b, n) == 0,
		    "summary: fixed without a walk, to the octet");
	}
	CHECK(dns_fix_summarized(w.b, r.len - 1, &sum, &qi) == 0,
	    "summary: a message of another length is not rewritten");

	/* keepalive (RFC 7828), the only option of the OPT */
	r.len = 0;
	b_hdr(&r, 5, DNS_F_QR | DNS_F_RA, 1, 1, 0, 1);
	b_question(&r, QNAME, T_A, C_IN);
	b_rr_a(&r, NULL, 1, 1);
	at = b_opt_begin(&r, 1232, 0, 0, 0);
	b_u16(&r, DNS_EDNS_KEEPALIVE);
	b_u16(&r, 2);
	b_u16(&r, 150);
	b_opt_end(&r, at);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.keepalive == 150, "summary: the keepalive TIMEOUT");

	soa_reply(&r, DNS_RCODE_NXDOMAIN, 60, 3);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.soa_ttl == 3 && sum.ttl == 3 && sum.opt_off == 0,
	    "summary: NXDOMAIN cached by the SOA's MINIMUM");
	soa_reply(&r, DNS_RCODE_NOERROR, 5, 60);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.ttl == 5, "summary: NODATA cached by the SOA's TTL");
	soa_reply(&r, DNS_RCODE_SERVFAIL, 60, 60);
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.ttl == 0, "summary: SERVFAIL is not cached");
	soa_reply(&r, DNS_RCODE_NOERROR, 60, 60);
	r.b[2] |= DNS_F_TC >> 8;
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.ttl == 0, "summary: TC is not cached");
	soa_reply(&r, DNS_RCODE_NXDOMAIN, 60, 60);
	r.b[9] = 0;			/* no authority, the SOA trails */
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    0, "summary: bytes after the last record are still refused");
	dns_put16(r.b + 10, 1);		/* the SOA as an additional record */
	CHECK(dns_check_reply(r.b, r.len, b.b + 12, qi.question_len, &sum) ==
	    1 && sum.ttl == 0 && sum.nttl == 1,
	    "summary: an SOA outside the authority bounds nothing");
}

/* AXFR and IXFR are refused, the other QTYPEs/meta-TYPEs NOTIMP */
static void
test_qtypes(void)
{
	static const struct {
		uint16_t		 type;
		enum dns_verdict	 v;
		const char		*what;
	} t[] = {
		{ 252, DNS_REFUSED, "AXFR gets REFUSED" },
		{ 251, DNS_REFUSED, "IXFR gets REFUSED" },
		{ 128, DNS_NOTIMP, "TYPE128 (first meta) gets NOTIMP" },
		{ 249, DNS_NOTIMP, "TKEY gets NOTIMP" },
		{ 250, DNS_NOTIMP, "TSIG gets NOTIMP" },
		{ 253, DNS_NOTIMP, "MAILB gets NOTIMP" },
		{ 254, DNS_NOTIMP, "MAILA gets NOTIMP" },
		{ 255, DNS_OK, "ANY is forwarded" },
		{ 127, DNS_OK, "TYPE127 is forwarded" },
		{ 256, DNS_OK, "URI (256) is forwarded" },
		{ 0, DNS_OK, "TYPE0 is forwarded" },
	};
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		qspec_default(&q);
		q.qtype = t[i].type;
		q.edns = 1;
		mkquery(&b, &q);
		CHECK(check(&b, &qi) == t[i].v && qi.qtype == t[i].type &&
		    qi.has_opt == 1, t[i].what);
	}
	/* a malformed AXFR is malformed first */
	qspec_default(&q);
	q.qtype = 252;
	mkquery(&b, &q);
	b_u8(&b, 0);
	CHECK(check(&b, &qi) == DNS_FORMERR, "AXFR with a trailing byte: "
	    "FORMERR");
}

/* RFC 7873 5.2.2: a COOKIE of any other length is FORMERR */
static void
test_cookie(void)
{
	static const struct {
		uint16_t	 len;
		int		 ok;
	} t[] = {
		{ 8, 1 }, { 16, 1 }, { 24, 1 }, { 40, 1 },
		{ 0, 0 }, { 7, 0 }, { 9, 0 }, { 15, 0 }, { 41, 0 },
	};
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b;
	char			 what[64];
	size_t			 i, at;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		qspec_default(&q);
		b.len = 0;
		b_hdr(&b, q.id, q.flags, 1, 0, 0, 1);
		b_question(&b, q.name, q.qtype, C_IN);
		at = b_opt_begin(&b, 1232, 0, 0, 0);
		b_option(&b, OPT_COOKIE, t[i].len, 0x5a);
		b_opt_end(&b, at);
		snprintf(what, sizeof(what), "cookie of %u octets: %s",
		    t[i].len, t[i].ok ? "OK" : "FORMERR");
		CHECK(check(&b, &qi) == (t[i].ok ? DNS_OK : DNS_FORMERR),
		    what);
	}
}

/*
 * A reply to QNAME/A whose one answer's owner is a name at off 12+
 * QNAME_LEN+4 built by the caller; kind picks the pointer trouble.
 */
static void
ptr_reply(struct buf *b, int kind)
{
	size_t	 own, i;

	b->len = 0;
	b_hdr(b, 1, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 1, 0, 0);
	b_question(b, QNAME, T_A, C_IN);
	own = b->len;
	switch (kind) {
	case 0:		/* fine: "a" then a pointer back to the question */
		b_u8(b, 1);
		b_u8(b, 'a');
		b_u16(b, 0xc000 | DNS_HDR_LEN);
		break;
	case 1:		/* a pointer at itself */
		b_u16(b, 0xc000 | own);
		break;
	case 2:		/* a pointer forward, to the byte after it */
		b_u16(b, 0xc000 | (own + 2));
		break;
	case 3:		/* a pointer into the header */
		b_u16(b, 0xc000 | 4);
		break;
	case 4:		/* "a" then a pointer back to its own "a": a loop */
		b_u8(b, 1);
		b_u8(b, 'a');
		b_u16(b, 0xc000 | own);
		break;
	case 5:		/* a pointer beyond the message */
		b_u16(b, 0xc000 | 0x3fff);
		break;
	}
	b_u16(b, T_A);
	b_u16(b, C_IN);
	b_u16(b, 0);
	b_u16(b, 300);
	b_u16(b, 4);
	for (i = 0; i < 4; i++)
		b_u8(b, 1);
}

/*
 * A reply to the root question with two answers: a NULL record whose
 * rdata holds links names, each a label of lablen octets and a pointer to
 * the name before (the first to the root question), and an A record whose
 * owner is a pointer to the last link.  Returns the length.
 */
static size_t
chain_reply(struct buf *b, int links, int lablen)
{
	size_t	 own = DNS_HDR_LEN, prev = DNS_HDR_LEN, rdlen;
	int	 i, j;

	b->len = 0;
	b_hdr(b, 1, DNS_F_QR, 1, 2, 0, 0);
	b_question(b, "", T_A, C_IN);
	b_u8(b, 0);
	b_u16(b, 10);
	b_u16(b, C_IN);
	b_u16(b, 0);
	b_u16(b, 300);
	rdlen = b->len;
	b_u16(b, 0);
	for (i = 0; i < links; i++) {
		own = b->len;
		b_u8(b, lablen);
		for (j = 0; j < lablen; j++)
			b_u8(b, 'a');
		b_u16(b, 0xc000 | (i == 0 ? DNS_HDR_LEN : prev));
		prev = own;
	}
	dns_put16(b->b + rdlen, b->len - rdlen - 2);
	b_u16(b, 0xc000 | own);
	b_u16(b, T_A);
	b_u16(b, C_IN);
	b_u16(b, 0);
	b_u16(b, 300);
	b_u16(b, 0);
	return (b->len);
}

/* RFC 9267: every owner name of a reply is followed, with a budget */
static void
test_pointers(void)
{
	static const char	*what[] = {
		"pointer back to the question is fine",
		"pointer at itself is refused",
		"forward pointer is refused",
		"pointer into the header is refused",
		"label then a pointer to itself (loop) is refused",
		"pointer beyond the message is refused",
	};
	struct dns_query_info	 qi;
	struct buf		 b;
	size_t			 i, n;
	int			 k;

	memset(&qi, 0, sizeof(qi));
	for (k = 0; k < 6; k++) {
		ptr_reply(&b, k);
		n = dns_fix_reply(b.b, b.len, &qi);
		CHECK(k == 0 ? n == b.len : n == 0, what[k]);
	}

	/*
	 * Chains of names "a" + pointer to the one before, down to the
	 * root question, inside the rdata of a first record; a second
	 * record's owner points at the last.  127 pointers spelling 253
	 * octets are fine; 128 pointers are over the budget even though
	 * they spell only 255; 5 pointers over four 63-octet labels spell
	 * 257 octets, too long.
	 */
	CHECK(chain_reply(&b, 126, 1) != 0 &&
	    dns_fix_reply(b.b, b.len, &qi) == b.len,
	    "127 pointers spelling 253 octets are fine");
	CHECK(chain_reply(&b, 127, 1) != 0 &&
	    dns_fix_reply(b.b, b.len, &qi) == 0,
	    "128 pointers are over the budget");
	CHECK(chain_reply(&b, 3, 63) != 0 &&
	    dns_fix_reply(b.b, b.len, &qi) == b.len,
	    "4 pointers over three 63-octet labels are fine");
	CHECK(chain_reply(&b, 4, 63) != 0 &&
	    dns_fix_reply(b.b, b.len, &qi) == 0,
	    "5 pointers spelling 257 octets are too long");

	/*
	 * Found by fuzz_reply: the second answer's owner points back into
	 * the first answer, whose bytes read as labels that run on past
	 * the pointer into the OPT; once the OPT was stripped the same
	 * reply read differently.  Labels reached through a pointer must
	 * end before it.
	 */
	{
		static const uint8_t	 runon[] = {
		    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 1,
		    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		    0, 1, 0, 1,
		    0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1,
		    0xc0, 0x1c, 0, 0, 1, 0, 0, 0, 1, 0x3c, 0, 4, 192, 0, 2, 2,
		    0, 0, 0x29, 0x04, 0xd0, 0, 0, 0, 0, 0, 0x10,
		    0, 0x0b, 0, 2, 0, 0x64, 0, 0x0c, 0, 6, 0, 0, 0, 0, 0, 0 };
		/* an OPT first, then an answer pointing at or past it */
		static const uint8_t	 afteropt[] = {
		    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 2,
		    1, 'a', 0, 0, 1, 0, 1,
		    0, 0, 0x29, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 0x0c, 0, 0,
		    0xc0, 0x13, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
		/*
		 * The last record's owner points before the OPT, at a
		 * label in the first record's rdata whose octets are the
		 * OPT's owner, type and size: dns_fix_reply() rewrites the
		 * size, dns_truncate() moves the OPT.
		 */
		static const uint8_t	 intoopt[] = {
		    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 3,
		    1, 'a', 0, 0, 1, 0, 1,
		    0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 0, 0, 0, 6,
		    0, 0, 0x29, 0x10, 0, 0, 0, 0, 0, 0, 0,
		    0xc0, 0x22, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
		uint8_t			 m[sizeof(runon)];

		qi.has_opt = 1;
		memcpy(m, runon, sizeof(runon));
		CHECK(dns_fix_reply(m, sizeof(runon), &qi) == 0,
		    "labels reached through a pointer may not run past it");
		memcpy(m, afteropt, sizeof(afteropt));
		CHECK(dns_fix_reply(m, sizeof(afteropt), &qi) == 0,
		    "a record after the OPT may not point at the OPT");
		memcpy(m, afteropt, sizeof(afteropt));
		m[sizeof(afteropt) - 15] = 0x0c;
		n = dns_fix_reply(m, sizeof(afteropt), &qi);
		CHECK(n == sizeof(afteropt) - 4 &&
		    dns_fix_reply(m, n, &qi) == n,
		    "a record after the OPT may point at the question");
		memcpy(m, intoopt, sizeof(intoopt));
		CHECK(dns_fix_reply(m, sizeof(intoopt), &qi) == 0,
		    "labels reached through a pointer may not run into the "
		    "OPT");
		memcpy(m, intoopt, sizeof(intoopt));
		CHECK(dns_truncate(m, sizeof(intoopt), sizeof(intoopt) - 1,
		    &qi) == 19 + 11 && (dns_get16(m + 2) & DNS_F_TC) != 0,
		    "... nor be moved by dns_truncate(): TC");
		qi.has_opt = 0;
		memcpy(m, intoopt, sizeof(intoopt));
		CHECK(dns_fix_reply(m, sizeof(intoopt), &qi) == 0,
		    "... nor for a client whose OPT is removed");
		memcpy(m, intoopt, sizeof(intoopt));
		m[sizeof(intoopt) - 15] = 0x0c;
		CHECK(dns_fix_reply(m, sizeof(intoopt), &qi) ==
		    sizeof(intoopt) - 11, "the same reply pointing at the "
		    "question is fine");
		qi.has_opt = 0;
	}

	/* the size a client is offered is ours, not the upstream's */
	qi.has_opt = 1;
	mkreply(&b, 5, QNAME, 2, 1, -1);
	find_opt(b.b, b.len, &i);
	dns_put16(b.b + i + 3, 4096);
	n = dns_fix_reply(b.b, b.len, &qi);
	CHECK(n != 0 && find_opt(b.b, n, &i) && dns_get16(b.b + i + 3) ==
	    DNS_EDNS_SIZE, "upstream's OPT size 4096 becomes 1232");
}

int
main(void)
{
	test_names();
	test_check_query();
	test_limits();
	test_opt();
	test_make_error();
	test_upstream();
	test_check_reply();
	test_fix_reply();
	test_adopt_reply();
	test_summary();
	test_truncate();
	test_truncate_rrsets();
	test_query_flags();
	test_qtypes();
	test_cookie();
	test_pointers();
	test_ecs();
	test_ede();
	test_fuzz();
	return (unit_done());
}

/*
 * A reply to QNAME/A with one answer and an OPT carrying an ECS, then a
 * glue record after the OPT, so that removing the ECS moves the tail.
 */
static void
ecs_reply(struct buf *b)
{
	size_t	 at;

	b->len = 0;
	b_hdr(b, 9, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 1, 0, 2);
	b_question(b, QNAME, T_A, C_IN);
	b_rr_a(b, NULL, 1, 1);
	at = b_opt_begin(b, 1232, 0, 0, 0);
	b_ecs(b);
	b_option(b, OPT_NSID, 2, 0x11);
	b_opt_end(b, at);
	b_rr_a(b, "ns.example.com", 0, 100);
}

static void
test_ecs(void)
{
	struct dns_query_info	 qi, uq;
	struct qspec		 q;
	struct buf		 b, r;
	uint8_t			 out[2048];
	size_t			 n, opt, olen;

	/* strip, the default: the subnet never goes upstream */
	dns_set_client_subnet(0);
	qspec_default(&q);
	q.edns = 1;
	q.cookie = 1;
	q.ecs = 1;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && qi.has_opt && !qi.ecs,
	    "strip: a query with ECS is valid, its ECS not forwarded");
	n = dns_make_upstream_query(b.b, b.len, &qi, 7, 128, 0, out,
	    sizeof(out));
	CHECK(n != 0 && find_opt(out, n, &opt) &&
	    count_option(out, opt, DNS_EDNS_ECS, NULL) == 0 &&
	    count_option(out, opt, OPT_COOKIE, NULL) == 0 &&
	    count_option(out, opt, DNS_EDNS_PADDING, NULL) == 1,
	    "strip: no ECS upstream, padding still added");
	CHECK(dns_check_query(out, n, &uq) == DNS_OK,
	    "strip: the upstream query is valid");

	/* a reply's ECS never reaches a client whose ECS did not go */
	ecs_reply(&r);
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == r.len - 11 && find_opt(r.b, n, &opt) &&
	    count_option(r.b, opt, DNS_EDNS_ECS, NULL) == 0 &&
	    count_option(r.b, opt, OPT_NSID, NULL) == 1 &&
	    dns_get16(r.b + 10) == 2,
	    "strip: the reply's ECS removed, NSID and glue kept");
	ecs_reply(&r);
	CHECK(dns_check_reply(r.b, r.len, b.b + DNS_HDR_LEN,
	    qi.question_len, &sum) == 1, "setup: ECS reply summarised");
	n = dns_fix_summarized(r.b, r.len, &sum, &qi);
	CHECK(n == r.len - 11 && find_opt(r.b, n, &opt) &&
	    count_option(r.b, opt, DNS_EDNS_ECS, NULL) == 0,
	    "strip: the summarised path removes it too");

	/* pass: the client's subnet goes, and comes back */
	dns_set_client_subnet(1);
	CHECK(check(&b, &qi) == DNS_OK && qi.ecs,
	    "pass: the query's ECS is marked to go upstream");
	n = dns_make_upstream_query(b.b, b.len, &qi, 7, 128, 0, out,
	    sizeof(out));
	CHECK(n != 0 && find_opt(out, n, &opt) &&
	    count_option(out, opt, DNS_EDNS_ECS, &olen) == 1 && olen == 7 &&
	    memmem(out + opt, n - opt, "\0\1\030\0\300\0\2", 7) != NULL,
	    "pass: the ECS goes upstream unchanged");
	ecs_reply(&r);
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == r.len && find_opt(r.b, n, &opt) &&
	    count_option(r.b, opt, DNS_EDNS_ECS, NULL) == 1,
	    "pass: the reply's ECS reaches its client");
	q.ecs = 0;
	mkquery(&b, &q);
	CHECK(check(&b, &qi) == DNS_OK && !qi.ecs,
	    "pass: a query without ECS is not marked");
	ecs_reply(&r);
	n = dns_fix_reply(r.b, r.len, &qi);
	CHECK(n == r.len - 11 && find_opt(r.b, n, &opt) &&
	    count_option(r.b, opt, DNS_EDNS_ECS, NULL) == 0,
	    "pass: an ECS the client never sent is removed");
	dns_set_client_subnet(0);
}

/* The EDE at the end of the OPT at opt: code, and the text's length. */
static int
ede_at(const uint8_t *m, size_t opt, uint16_t code, size_t tlen)
{
	size_t	 olen;

	if (count_option(m, opt, DNS_EDNS_EDE, &olen) != 1 ||
	    olen != 2 + tlen)
		return (0);
	return (dns_get16(m + opt + 11 + dns_get16(m + opt + 9) - olen) ==
	    code);
}

/* q's query in b, checked into qi, and its error with rcode in out */
static size_t
ede_error(const struct qspec *q, struct buf *b, struct dns_query_info *qi,
    int rcode, uint8_t *out)
{
	mkquery(b, q);
	check(b, qi);
	return (dns_make_error(b->b, b->len, qi, rcode, out, EDE_OUT));
}

static void
test_ede(void)
{
	struct dns_query_info	 qi;
	struct qspec		 q;
	struct buf		 b, r;
	uint8_t			 out[EDE_OUT];
	size_t			 n, m, opt;

	/* no EDNS, no EDE (RFC 6891 7: no OPT for such a client) */
	qspec_default(&q);
	n = ede_error(&q, &b, &qi, DNS_RCODE_SERVFAIL, out);
	CHECK(n != 0 && dns_add_ede(out, n, sizeof(out), &qi,
	    DNS_EDE_NETWORK, "x") == n && dns_get16(out + 10) == 0,
	    "no EDE for a client without EDNS");

	/* an error of our own: option at the end of the bare OPT */
	q.edns = 1;
	n = ede_error(&q, &b, &qi, DNS_RCODE_SERVFAIL, out);
	m = dns_add_ede(out, n, sizeof(out), &qi, DNS_EDE_NETWORK, "abc");
	CHECK(m == n + 9 && find_opt(out, m, &opt) &&
	    dns_get16(out + opt + 9) == 9 && ede_at(out, opt, 23, 3) &&
	    memcmp(out + m - 3, "abc", 3) == 0,
	    "EDE 23 with text: code 15, length 5, info code, text");
	CHECK(dns_check_reply(out, m, b.b + DNS_HDR_LEN, qi.question_len,
	    NULL) == 1, "the answer with its EDE is one well-formed reply");

	/* never past maxlen: the text goes first, then the option */
	n = ede_error(&q, &b, &qi, DNS_RCODE_SERVFAIL, out);
	m = dns_add_ede(out, n, n + 8, &qi, DNS_EDE_NETWORK, "abc");
	CHECK(m == n + 6 && find_opt(out, m, &opt) &&
	    ede_at(out, opt, 23, 0), "no room for the text: code alone");
	n = ede_error(&q, &b, &qi, DNS_RCODE_SERVFAIL, out);
	CHECK(dns_add_ede(out, n, n + 5, &qi, DNS_EDE_NETWORK, NULL) == n &&
	    dns_get16(out + n - 2) == 0, "no room at all: nothing added");
	CHECK(dns_add_ede(out, n, n - 1, &qi, DNS_EDE_NETWORK, NULL) == n,
	    "maxlen below len: nothing added");

	/* a REFUSED stays within its query: a bare one has no room */
	n = ede_error(&q, &b, &qi, DNS_RCODE_REFUSED, out);
	CHECK(n == b.len && dns_add_ede(out, n, b.len, &qi,
	    DNS_EDE_PROHIBITED, NULL) == n, "REFUSED: no room beside a "
	    "bare query");
	q.cookie = 1;
	n = ede_error(&q, &b, &qi, DNS_RCODE_REFUSED, out);
	m = dns_add_ede(out, n, b.len, &qi, DNS_EDE_PROHIBITED,
	    "far too long a text");
	CHECK(m == n + 6 && m <= b.len && find_opt(out, m, &opt) &&
	    ede_at(out, opt, 18, 0),
	    "REFUSED: EDE 18 in the room a cookie left, text dropped");

	/* an OPT followed by a record: the tail moves, still well formed */
	mkreply(&r, 5, QNAME, 2, 1, -1);
	n = dns_add_ede(r.b, r.len, sizeof(r.b), &qi, DNS_EDE_STALE, NULL);
	CHECK(n == r.len + 6 && find_opt(r.b, n, &opt) &&
	    ede_at(r.b, opt, 3, 0) && dns_get16(r.b + 10) == 3 &&
	    dns_check_reply(r.b, n, b.b + DNS_HDR_LEN, qi.question_len,
	    NULL) == 1, "EDE 3 inside an OPT that is not last");

	/* no OPT in the answer: one is added, last */
	mkreply(&r, 5, QNAME, 2, 0, -1);
	n = dns_add_ede(r.b, r.len, sizeof(r.b), &qi, DNS_EDE_STALE, NULL);
	CHECK(n == r.len + 17 && dns_get16(r.b + 10) == 3 &&
	    find_opt(r.b, n, &opt) && opt == r.len &&
	    dns_get16(r.b + opt + 3) == DNS_EDNS_SIZE &&
	    ede_at(r.b, opt, 3, 0) &&
	    dns_check_reply(r.b, n, b.b + DNS_HDR_LEN, qi.question_len,
	    NULL) == 1, "no OPT: one added with the EDE");

	/* what does not walk is left alone */
	memset(r.b, 0xff, 64);
	CHECK(dns_add_ede(r.b, 64, sizeof(r.b), &qi, DNS_EDE_STALE, NULL) ==
	    64, "a message that does not walk: nothing added");
	r.len = 0;
	b_hdr(&r, 1, DNS_F_QR, 1, 0, 0, 0);
	b_question(&r, QNAME, T_A, C_IN);
	b_u8(&r, 0);
	CHECK(dns_add_ede(r.b, r.len, sizeof(r.b), &qi, DNS_EDE_STALE,
	    NULL) == r.len, "trailing bytes: nothing added");
}
