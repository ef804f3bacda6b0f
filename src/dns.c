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
 * DNS message handling on the engine's hot path: validating client
 * queries, building the errors we answer ourselves, rewriting queries for
 * the upstream and replies for the client.  Everything works on buffers
 * the caller owns: nothing here allocates, and every read of a message is
 * bounded by the length the caller passed, because every byte of those
 * messages comes from the network.
 */

#include <string.h>

#include "dns.h"

/*
 * The largest UDP reply we send a client and the size we advertise in
 * every OPT a client sees: `edns-buffer-size`, by default the DNS flag
 * day 2020 value, which avoids IP fragmentation on common paths.
 */
static uint16_t	 edns_size = DNS_EDNS_SIZE;

/*
 * `client-subnet pass`: a client's ECS option (RFC 7871) goes upstream.
 * Off by default, since it tells the upstream where the client sits;
 * off, the option is dropped from the query, and from the reply too,
 * so the client sees what an ECS-unaware resolver would have answered.
 */
static int	 ecs_pass;

/* header field offsets, RFC 1035 4.1.1 */
#define DNS_OFF_ID		0
#define DNS_OFF_FLAGS		2
#define DNS_OFF_QDCOUNT		4
#define DNS_OFF_ANCOUNT		6
#define DNS_OFF_NSCOUNT		8
#define DNS_OFF_ARCOUNT		10

#define DNS_RR_FIXED		10	/* type, class, ttl, rdlength */
#define DNS_OPT_FIXED		11	/* root owner + DNS_RR_FIXED */
#define DNS_OPTION_HDR		4	/* option code + option length */
#define DNS_EDE_FIXED		6	/* option header + INFO-CODE */
#define DNS_QFIXED		4	/* qtype + qclass */
#define DNS_COOKIE_CLIENT	8	/* RFC 7873 4: client cookie only */
#define DNS_COOKIE_MIN		16	/* client + shortest server cookie */
#define DNS_COOKIE_MAX		40	/* client + longest server cookie */
/*
 * RFC 9267: pointers followed for one name.  A name of 255 octets has at
 * most 127 labels, and a compressor never needs more than one pointer
 * per label to reach any suffix.
 */
#define DNS_MAX_PTRS		127

/* bits of the flags word echoed into replies we make ourselves */
#define DNS_F_OPCODE		0x7800
#define DNS_EDNS_DO		0x8000	/* in the OPT TTL's low 16 bits */
/*
 * The bits of a query's flags word that mean something in a query and
 * go upstream: the opcode, RD, CD and AD (RFC 6840 5.7: the client
 * understands AD).  AA, TC, RA, Z and the rcode only mean something in
 * a reply.
 */
#define DNS_F_QUERY		(DNS_F_OPCODE | DNS_F_RD | DNS_F_AD | DNS_F_CD)

/* what dns_check_query() learnt from a client's OPT record */
struct dns_opt_view {
	uint16_t	udp_size;
	uint8_t		version;
	int		do_bit;
	int		padding;
	int		ecs;
	int		options_ok;
};

static int	 name_len(const uint8_t *, size_t, size_t, int);
static int	 question_name_len(const uint8_t *, size_t, size_t,
		    size_t *);
static int	 options_valid(const uint8_t *, size_t, int,
		    struct dns_opt_view *);
static int	 name_follow(const uint8_t *, size_t, size_t, size_t,
		    uint8_t *);
static int	 reply_skip_rr(const uint8_t *, size_t, size_t *, size_t);
static int	 reply_skip_question(const uint8_t *, size_t, size_t *);
static int	 reply_skip_sections(const uint8_t *, size_t, size_t *,
		    struct dns_summary *);
static int	 reply_next_opt(const uint8_t *, size_t, size_t *, size_t *,
		    size_t *, size_t *);
static int	 reply_walk(const uint8_t *, size_t, struct dns_summary *);
static void	 note_rr(const uint8_t *, size_t, int, struct dns_summary *);
static int	 opt_keepalive(const uint8_t *, size_t);
static void	 cache_verdict(struct dns_summary *);
static size_t	 fix_opt(uint8_t *, size_t, size_t, size_t,
		    const struct dns_query_info *);
static int	 is_opt(const uint8_t *, size_t, size_t);
static int	 same_rrset(const uint8_t *, size_t, size_t, size_t);
static void	 reverse(uint8_t *, size_t);
static size_t	 trim_additional(uint8_t *, size_t, size_t, int);
static size_t	 strip_options(uint8_t *, size_t, size_t, size_t, int, int);
static uint8_t	 ascii_lower(uint8_t);

/*
 * Length of the question name at off, stricter than
 * dns_name_wire_len(): a query's question must not use compression (there
 * is nothing earlier in the message to point at, and a pointer would let
 * the echoed question differ from what we forward), nor the reserved
 * 0x40/0x80 label types.  The name must be followed by qtype and qclass.
 */
static int
question_name_len(const uint8_t *msg, size_t len, size_t off,
    size_t *namelen)
{
	int	n;

	if ((n = name_len(msg, len, off, 0)) == -1 ||
	    len - off - n < DNS_QFIXED)
		return (-1);
	*namelen = n;
	return (0);
}

/*
 * Check that the OPT rdata is a clean sequence of option TLVs that ends
 * exactly at the end of the rdata (RFC 6891 6.1.2); with v, note padding
 * and a client subnet.  In a query, a COOKIE of a length RFC 7873 5.2.2
 * does not allow is malformed too.
 */
static int
options_valid(const uint8_t *rd, size_t rdlen, int query,
    struct dns_opt_view *v)
{
	size_t	 off = 0, olen;

	while (off < rdlen) {
		if (rdlen - off < DNS_OPTION_HDR)
			return (-1);
		olen = dns_get16(rd + off + 2);
		if (rdlen - off - DNS_OPTION_HDR < olen)
			return (-1);
		if (query && dns_get16(rd + off) == DNS_EDNS_COOKIE &&
		    olen != DNS_COOKIE_CLIENT &&
		    (olen < DNS_COOKIE_MIN || olen > DNS_COOKIE_MAX))
			return (-1);
		if (v != NULL && dns_get16(rd + off) == DNS_EDNS_PADDING)
			v->padding = 1;
		if (v != NULL && dns_get16(rd + off) == DNS_EDNS_ECS)
			v->ecs = 1;
		off += DNS_OPTION_HDR + olen;
	}
	return (0);
}

/*
 * RFC 9267: follow the name at off through its compression pointers
 * before trusting it.  Every pointer must aim strictly before the stretch
 * of labels it ends, and past the header, so a chain can neither loop nor
 * point forward; there are at most DNS_MAX_PTRS of them, and the name
 * they spell must fit DNS_MAX_NAME.  With out (DNS_MAX_NAME octets) the
 * name is also spelt out there, letters folded, and its length returned;
 * otherwise the walk only proves that any client which decompresses it
 * will reach the root label.
 * The labels a pointer leads to must also lie wholly before that pointer,
 * as a name written earlier in the message does; otherwise a name could
 * run on into bytes that follow it, such as an OPT record we rewrite, and
 * mean something else once we have.  Nothing a pointer leads to may lie
 * at or past fence, neither its target nor the labels that run on from
 * it: the caller has moved or rewritten what lies there.
 */
static int
name_follow(const uint8_t *msg, size_t len, size_t off, size_t fence,
    uint8_t *out)
{
	size_t	 pos = off, start = off, total = 0, target, limit = len, i;
	int	 hops = 0;
	uint8_t	 c;

	for (;;) {
		if (pos >= limit)
			return (-1);
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (limit - pos < 2)
				return (-1);
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target < DNS_HDR_LEN || target >= start ||
			    target >= fence || ++hops > DNS_MAX_PTRS)
				return (-1);
			limit = pos < fence ? pos : fence;
			pos = start = target;
			continue;
		}
		if ((c & 0xc0) != 0 || limit - pos <= c)
			return (-1);
		if (total + 1 + c > DNS_MAX_NAME)
			return (-1);
		/* spelt out, letters folded: two spellings compare equal */
		if (out != NULL) {
			out[total] = c;
			for (i = 1; i <= c; i++)
				out[total + i] = ascii_lower(msg[pos + i]);
		}
		total += 1 + c;
		if (c == 0)
			return ((int)total);
		pos += 1 + c;
	}
}

/* dns_skip_rr() for upstream replies: the owner name is followed too. */
static int
reply_skip_rr(const uint8_t *msg, size_t len, size_t *offp, size_t fence)
{
	if (*offp < len && name_follow(msg, len, *offp, fence, NULL) == -1)
		return (-1);
	return (dns_skip_rr(msg, len, offp));
}

/* Skips one question of a reply, its name followed as above. */
static int
reply_skip_question(const uint8_t *msg, size_t len, size_t *offp)
{
	size_t	 off = *offp;
	int	 n;

	if ((n = dns_name_wire_len(msg, len, off)) == -1 ||
	    name_follow(msg, len, off, len, NULL) == -1 ||
	    len - off - n < DNS_QFIXED)
		return (-1);
	*offp = off + n + DNS_QFIXED;
	return (0);
}

/*
 * Walks the header's questions and the answer and authority sections of
 * a reply, owner names followed, leaving *offp at the additional section.
 * An OPT has no place in those sections (RFC 6891 6.1.1).  With s, each
 * record's TTL is noted on the way.
 */
static int
reply_skip_sections(const uint8_t *msg, size_t len, size_t *offp,
    struct dns_summary *s)
{
	size_t	 off = DNS_HDR_LEN, rr, nan, nrr, i;
	int	 n;

	if (len < DNS_HDR_LEN)
		return (-1);
	nrr = dns_get16(msg + DNS_OFF_QDCOUNT);
	for (i = 0; i < nrr; i++)
		if (reply_skip_question(msg, len, &off) == -1)
			return (-1);
	nan = dns_get16(msg + DNS_OFF_ANCOUNT);
	nrr = nan + dns_get16(msg + DNS_OFF_NSCOUNT);
	for (i = 0; i < nrr; i++) {
		rr = off;
		if (reply_skip_rr(msg, len, &off, len) == -1)
			return (-1);
		n = dns_name_wire_len(msg, len, rr);
		if (dns_get16(msg + rr + n) == DNS_TYPE_OPT)
			return (-1);
		if (s != NULL)
			note_rr(msg, rr + n, i >= nan, s);
	}
	*offp = off;
	return (0);
}

/*
 * The cache's view of one record, at its type (its owner skipped): where
 * its TTL is, the shortest TTL so far, and for the first SOA of the
 * authority section the RFC 2308 5 negative TTL, the lesser of its TTL
 * and its MINIMUM.  The walk has checked that the record lies inside the
 * message.  Past DNS_MAX_TTLS records only the count goes on, which
 * makes the reply one not to cache.
 */
static void
note_rr(const uint8_t *msg, size_t at, int authority, struct dns_summary *s)
{
	uint32_t	 ttl, minimum;
	uint16_t	 rdlen;

	ttl = dns_get32(msg + at + 4);
	/* RFC 2181 8: a TTL with the top bit set means zero */
	if (ttl & 0x80000000U)
		ttl = 0;
	if (ttl < s->min_ttl)
		s->min_ttl = ttl;
	if (s->nttl < DNS_MAX_TTLS)
		s->ttl_off[s->nttl] = at + 4;
	s->nttl++;
	rdlen = dns_get16(msg + at + 8);
	if (authority && dns_get16(msg + at) == 6 && rdlen >= 20 &&
	    s->soa_ttl == UINT32_MAX) {
		minimum = dns_get32(msg + at + DNS_RR_FIXED + rdlen - 4);
		s->soa_ttl = ttl < minimum ? ttl : minimum;
	}
}

/* The TIMEOUT of the first edns-tcp-keepalive among valid options, or -1. */
static int
opt_keepalive(const uint8_t *rd, size_t rdlen)
{
	size_t	 off, olen;

	for (off = 0; off < rdlen; off += DNS_OPTION_HDR + olen) {
		olen = dns_get16(rd + off + 2);
		if (dns_get16(rd + off) == DNS_EDNS_KEEPALIVE && olen == 2)
			return (dns_get16(rd + off + DNS_OPTION_HDR));
	}
	return (-1);
}

/*
 * Whether a reply may be cached and for how long (0: not at all).  Not
 * cacheable: TC set, an rcode other than NOERROR or NXDOMAIN, too many
 * records, a TTL of 0, or a negative answer without an SOA to bound it.
 * Positive answers live as long as their shortest TTL; negative ones, per
 * RFC 2308 5, as long as the SOA allows.
 */
static void
cache_verdict(struct dns_summary *s)
{
	int	 rcode = s->flags & 0x0f;

	s->ttl = 0;
	if ((s->flags & DNS_F_TC) || s->nttl > DNS_MAX_TTLS ||
	    (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN))
		return;
	if (rcode == DNS_RCODE_NXDOMAIN || s->ancount == 0)
		s->ttl = s->soa_ttl == UINT32_MAX ? 0 : s->soa_ttl;
	else
		s->ttl = s->min_ttl;
}

/*
 * The next OPT among the *leftp records of a reply's additional section
 * from *offp on, each skipped as reply_skip_rr() does with nothing its
 * owner leads to at or past fence; an OPT moves the fence to itself,
 * since what follows it moves when it is rewritten.  Returns 1 with *rrp
 * at the OPT and *offp past it, 0 when no record is left, -1 for one
 * that does not walk.
 */
static int
reply_next_opt(const uint8_t *msg, size_t len, size_t *offp, size_t *fencep,
    size_t *leftp, size_t *rrp)
{
	size_t	rr;

	while (*leftp > 0) {
		(*leftp)--;
		rr = *offp;
		if (reply_skip_rr(msg, len, offp, *fencep) == -1)
			return (-1);
		if (is_opt(msg, len, rr)) {
			if (*fencep > rr)
				*fencep = rr;
			*rrp = rr;
			return (1);
		}
	}
	return (0);
}

/*
 * A reply is one well-formed message and nothing more: every question
 * and record walks, owner names followed, and the last record ends
 * exactly at len, so no bytes ride along inside the frame.  An OPT
 * (type 41, RFC 6891 6.1.1) is owned by the root, appears at most once
 * and only in the additional section, and its options are clean; the
 * records after it lead to nothing at or past it, since dns_fix_reply()
 * rewrites it.  So whatever passes here also passes dns_fix_reply(),
 * and with s noted (the sections, the OPT and its keepalive, the TTLs)
 * dns_fix_summarized() makes the same rewrite without a walk.
 */
static int
reply_walk(const uint8_t *msg, size_t len, struct dns_summary *s)
{
	size_t	 off, rr, nrr, i, fence = len;
	int	 n, nopt = 0;

	if (reply_skip_sections(msg, len, &off, s) == -1)
		return (-1);
	if (s != NULL)
		s->ar_off = off;
	nrr = dns_get16(msg + DNS_OFF_ARCOUNT);
	for (i = 0; i < nrr; i++) {
		rr = off;
		if (reply_skip_rr(msg, len, &off, fence) == -1)
			return (-1);
		n = dns_name_wire_len(msg, len, rr);
		if (dns_get16(msg + rr + n) != DNS_TYPE_OPT) {
			if (s != NULL)
				note_rr(msg, rr + n, 0, s);
			continue;
		}
		if (!is_opt(msg, len, rr) || ++nopt > 1 ||
		    options_valid(msg + rr + DNS_OPT_FIXED,
		    dns_get16(msg + rr + 9), 0, NULL) == -1)
			return (-1);
		fence = rr;
		if (s != NULL) {
			s->opt_off = rr;
			s->opt_len = off - rr;
			s->keepalive = opt_keepalive(msg + rr + DNS_OPT_FIXED,
			    dns_get16(msg + rr + 9));
		}
	}
	return (off == len ? 0 : -1);
}

/*
 * An OPT record is one owned by the root; callers have already checked
 * with dns_skip_rr() that the whole record lies inside the message.
 */
static int
is_opt(const uint8_t *msg, size_t len, size_t rr)
{
	if (len - rr < DNS_OPT_FIXED)
		return (0);
	return (msg[rr] == 0 && dns_get16(msg + rr + 1) == DNS_TYPE_OPT);
}

/*
 * Remove the options the proxy owns from the OPT rdata at rdoff, moving
 * the rest of the message down: edns-tcp-keepalive always (RFC 7828 makes
 * it hop-by-hop), a COOKIE always (we never send the client's upstream,
 * so one in a reply belongs to our own hop), padding when it answers ours,
 * a client subnet (ecs) when the client's did not go upstream: RFC 7871
 * 7.2.2 lets no ECS reach a client that was not asked with one.  The
 * rdata must have passed options_valid().  Returns the number of bytes
 * removed.
 */
static size_t
strip_options(uint8_t *msg, size_t len, size_t rdoff, size_t rdlen,
    int padding, int ecs)
{
	size_t	 off = rdoff, end = rdoff + rdlen, olen, cut = 0;
	uint16_t code;

	while (off < end) {
		olen = DNS_OPTION_HDR + dns_get16(msg + off + 2);
		code = dns_get16(msg + off);
		if (code == DNS_EDNS_KEEPALIVE || code == DNS_EDNS_COOKIE ||
		    (padding && code == DNS_EDNS_PADDING) ||
		    (ecs && code == DNS_EDNS_ECS)) {
			memmove(msg + off, msg + off + olen,
			    len - cut - (off + olen));
			end -= olen;
			cut += olen;
		} else
			off += olen;
	}
	return (cut);
}

/*
 * Names compare case-insensitively in ASCII only (RFC 4343); locale
 * dependent tolower() has no business on wire data.
 */
static uint8_t
ascii_lower(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A' + 'a');
	return (c);
}

/*
 * Whether the records at a and b, which dns_skip_rr() walks, belong to
 * one RRset: the same owner (RFC 4343: in any case, however compressed),
 * type and class (RFC 2181 5).  -1 if an owner cannot be spelt out.
 */
static int
same_rrset(const uint8_t *msg, size_t len, size_t a, size_t b)
{
	uint8_t	 na[DNS_MAX_NAME], nb[DNS_MAX_NAME];
	int	 la, lb;

	la = dns_name_wire_len(msg, len, a);
	lb = dns_name_wire_len(msg, len, b);
	if (la == -1 || lb == -1)
		return (-1);
	/* type and class: the four octets after the owner */
	if (memcmp(msg + a + la, msg + b + lb, 4) != 0)
		return (0);
	if ((la = name_follow(msg, len, a, len, na)) == -1 ||
	    (lb = name_follow(msg, len, b, len, nb)) == -1)
		return (-1);
	return (la == lb && memcmp(na, nb, la) == 0);
}

static void
reverse(uint8_t *p, size_t n)
{
	size_t	 i;
	uint8_t	 c;

	for (i = 0; i < n / 2; i++) {
		c = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = c;
	}
}

/*
 * RFC 2181 9: a reply too big for the client loses additional records
 * first, and TC is set only when the answer or authority section does
 * not fit: TC sends the client to TCP, and extra data it can look up
 * itself is not worth that.  The header, question, answer and authority
 * sections stay whole, then as many additional records as fit, in order
 * but never part of an RRset: the first one that does not fit goes, and
 * with it every record from the first of its RRset on.  The OPT of an
 * EDNS client (keepopt) has its room set aside first and is written
 * last, after the records kept; a client without EDNS gets none.
 * Returns the new length, or 0 when the message cannot be walked or its
 * answer and authority sections do not fit with the OPT: dns_truncate()
 * then sets TC.
 */
static size_t
trim_additional(uint8_t *msg, size_t len, size_t maxlen, int keepopt)
{
	size_t	 off, base, aend, rr, stop, opt = 0, optlen = 0, room;
	size_t	 used = 0, fence = len, i, left;
	uint16_t ar, nkeep = 0;
	int	 haveopt = 0, same, n;

	if (reply_skip_sections(msg, len, &off, NULL) == -1)
		return (0);
	base = off;

	/*
	 * Find the OPT before keeping anything: its room comes first.  The
	 * records after it move down by its length when it moves to the
	 * end, so nothing their owners lead to may lie at or past it, as
	 * dns_fix_reply() has already made sure; the pointers of the others
	 * aim backwards at bytes that stay where they are.  Names inside
	 * rdata are not followed, here or there.
	 */
	left = ar = dns_get16(msg + DNS_OFF_ARCOUNT);
	while ((n = reply_next_opt(msg, len, &off, &fence, &left, &rr)) == 1) {
		if (haveopt)
			return (0);
		haveopt = 1;
		opt = rr;
		optlen = off - rr;
	}
	if (n == -1)
		return (0);
	aend = off;
	keepopt = haveopt && keepopt;
	if (base > maxlen || maxlen - base < (keepopt ? optlen : 0))
		return (0);
	room = maxlen - base - (keepopt ? optlen : 0);

	/* the first additional record that does not fit, if any */
	stop = aend;
	for (off = base, i = 0; i < ar; i++) {
		rr = off;
		(void)dns_skip_rr(msg, len, &off);
		if (haveopt && rr == opt)
			continue;
		if (off - rr > room - used) {
			stop = rr;
			break;
		}
		used += off - rr;
	}
	/* ... goes with its whole RRset, from its first record on */
	if (stop != aend) {
		for (off = base; off < stop; ) {
			rr = off;
			(void)dns_skip_rr(msg, len, &off);
			if (haveopt && rr == opt)
				continue;
			if ((same = same_rrset(msg, len, rr, stop)) == -1)
				return (0);
			if (same) {
				stop = rr;
				break;
			}
		}
	}
	for (off = base; off < stop; ) {
		rr = off;
		(void)dns_skip_rr(msg, len, &off);
		if (!haveopt || rr != opt)
			nkeep++;
	}

	if (haveopt && opt < stop) {
		if (keepopt) {
			/* rotate the OPT past the records kept after it */
			reverse(msg + opt, optlen);
			reverse(msg + opt + optlen, stop - opt - optlen);
			reverse(msg + opt, stop - opt);
		} else {
			memmove(msg + opt, msg + opt + optlen,
			    stop - opt - optlen);
			stop -= optlen;
		}
	} else if (keepopt) {
		memmove(msg + stop, msg + opt, optlen);
		stop += optlen;
	}
	dns_put16(msg + DNS_OFF_ARCOUNT, nkeep + keepopt);
	return (stop);
}

int
dns_name_wire_len(const uint8_t *msg, size_t len, size_t off)
{
	return (name_len(msg, len, off, 1));
}

/*
 * The bytes of the name at off as stored there: up to and with its root
 * label, or up to and with a compression pointer when ptr_ok.
 */
static int
name_len(const uint8_t *msg, size_t len, size_t off, int ptr_ok)
{
	size_t	 n = 0;
	uint8_t	 c;

	for (;;) {
		if (off >= len || len - off <= n)
			return (-1);
		c = msg[off + n];
		if ((c & 0xc0) == 0xc0 && ptr_ok) {
			/* a pointer ends the name in place */
			if (len - off - n < 2)
				return (-1);
			n += 2;
			break;
		}
		/* 0x40, 0x80: reserved (RFC 1035 4.1.4, RFC 6891 5) */
		if ((c & 0xc0) != 0)
			return (-1);
		n += 1 + c;
		if (c == 0)
			break;
		if (n > DNS_MAX_NAME)
			return (-1);
	}
	/* the part stored here can never exceed the whole name's limit */
	if (n > DNS_MAX_NAME)
		return (-1);
	return ((int)n);
}

int
dns_skip_rr(const uint8_t *msg, size_t len, size_t *offp)
{
	size_t	 off = *offp, rdlen;
	int	 n;

	if ((n = dns_name_wire_len(msg, len, off)) == -1)
		return (-1);
	off += n;
	if (len - off < DNS_RR_FIXED)
		return (-1);
	rdlen = dns_get16(msg + off + 8);
	off += DNS_RR_FIXED;
	if (len - off < rdlen)
		return (-1);
	*offp = off + rdlen;
	return (0);
}

enum dns_verdict
dns_check_query(const uint8_t *msg, size_t len, struct dns_query_info *qi)
{
	struct dns_opt_view	 opt;
	enum dns_verdict	 fail;
	size_t			 off, rr, namelen, rdlen, i, nrr;
	uint16_t		 qd, an, ns, ar;
	int			 notimp, nopt = 0, other = 0;

	memset(qi, 0, sizeof(*qi));
	memset(&opt, 0, sizeof(opt));
	qi->udp_size = DNS_UDP_MIN;

	if (len < DNS_HDR_LEN)
		return (DNS_DROP);
	qi->id = dns_get16(msg + DNS_OFF_ID);
	qi->flags = dns_get16(msg + DNS_OFF_FLAGS);
	if ((qi->flags & DNS_F_QR) != 0)
		return (DNS_DROP);

	/*
	 * A message with another opcode still gets parsed as far as it
	 * goes, so that the NOTIMP can echo its question and EDNS view.
	 */
	notimp = DNS_OPCODE(qi->flags) != DNS_OPCODE_QUERY;
	fail = notimp ? DNS_NOTIMP : DNS_FORMERR;

	qd = dns_get16(msg + DNS_OFF_QDCOUNT);
	an = dns_get16(msg + DNS_OFF_ANCOUNT);
	ns = dns_get16(msg + DNS_OFF_NSCOUNT);
	ar = dns_get16(msg + DNS_OFF_ARCOUNT);

	/* echoing one question out of several would misstate the query */
	if (qd != 1)
		return (fail);
	off = DNS_HDR_LEN;
	if (question_name_len(msg, len, off, &namelen) == -1)
		return (fail);
	qi->qname_len = namelen;
	qi->question_len = namelen + DNS_QFIXED;
	qi->qtype = dns_get16(msg + off + namelen);
	qi->qclass = dns_get16(msg + off + namelen + 2);
	off += qi->question_len;

	/*
	 * Walk every record even where the counts alone condemn the
	 * message: the FORMERR can then still carry an OPT when the client
	 * sent a readable one, as RFC 6891 7 asks.
	 */
	nrr = (size_t)an + ns;
	for (i = 0; i < nrr; i++)
		if (dns_skip_rr(msg, len, &off) == -1)
			return (fail);
	for (i = 0; i < ar; i++) {
		rr = off;
		if (dns_skip_rr(msg, len, &off) == -1)
			return (fail);
		if (is_opt(msg, len, rr) == 0) {
			/*
			 * TSIG or SIG(0) would not survive our new ID and
			 * OPT; an OPT not owned by the root is malformed.
			 */
			other = 1;
			continue;
		}
		/* a second OPT condemns the message below */
		if (++nopt > 1)
			continue;
		opt.udp_size = dns_get16(msg + rr + 3);
		opt.version = msg[rr + 6];
		opt.do_bit = (dns_get16(msg + rr + 7) & DNS_EDNS_DO) != 0;
		rdlen = dns_get16(msg + rr + 9);
		/*
		 * The option layout is only defined for version 0; a higher
		 * version deserves BADVERS rather than a guess at its rdata.
		 */
		if (opt.version != 0)
			opt.options_ok = 1;
		else
			opt.options_ok = options_valid(msg + rr +
			    DNS_OPT_FIXED, rdlen, 1, &opt) == 0;
	}
	/* the last record must end the message */
	if (off != len)
		return (fail);

	/* only an OPT we understood is echoed back in error replies */
	if (nopt == 1 && opt.options_ok) {
		qi->has_opt = 1;
		qi->udp_size = opt.udp_size > DNS_UDP_MIN ?
		    opt.udp_size : DNS_UDP_MIN;
		qi->edns_version = opt.version;
		qi->do_bit = opt.do_bit;
		qi->client_padding = opt.padding;
		qi->ecs = opt.ecs && ecs_pass;
	}

	if (notimp)
		return (DNS_NOTIMP);
	/*
	 * A query cannot have been truncated: TC only means something in a
	 * reply, and Unbound answers a query with TC set FORMERR too.
	 */
	if (an != 0 || ns != 0 || other || nopt > 1 ||
	    (nopt == 1 && !opt.options_ok) || (qi->flags & DNS_F_TC) != 0)
		return (DNS_FORMERR);
	if (len > DNS_MAX_QUERY)
		return (DNS_FORMERR);
	/* OPT is a pseudo-type: it cannot be asked for (RFC 6891 6.1.1) */
	if (qi->qtype == DNS_TYPE_OPT)
		return (DNS_FORMERR);
	if (qi->has_opt && qi->edns_version != 0)
		return (DNS_BADVERS);
	/*
	 * Zone transfers need a stream and an authority, neither of which
	 * a forwarder is; the other QTYPEs and meta-TYPEs of 128-254 (RFC
	 * 6895 3.1: TKEY, TSIG, MAILA, MAILB, unassigned) are not questions
	 * an upstream should be asked through us.  ANY is forwarded.
	 */
	if (qi->qtype == DNS_TYPE_AXFR || qi->qtype == DNS_TYPE_IXFR)
		return (DNS_REFUSED);
	if (qi->qtype >= DNS_TYPE_META_MIN && qi->qtype < DNS_TYPE_ANY)
		return (DNS_NOTIMP);
	return (DNS_OK);
}

size_t
dns_make_error(const uint8_t *query, size_t qlen,
    const struct dns_query_info *qi, int rcode, uint8_t *out, size_t outsz)
{
	size_t	 qsz, len, need;
	uint16_t flags;
	int	 opt;

	if (rcode < 0 || rcode > 0xfff)
		return (0);

	/* trust the recorded question only as far as the query holds it */
	qsz = qi->question_len;
	if (qsz != 0 && (query == NULL || qlen < DNS_HDR_LEN ||
	    qlen - DNS_HDR_LEN < qsz))
		qsz = 0;

	/* an extended rcode only exists inside an OPT (RFC 6891 6.1.3) */
	opt = qi->has_opt || (rcode >> 4) != 0;
	need = DNS_HDR_LEN + qsz + (opt ? DNS_OPT_FIXED : 0);
	if (outsz < need)
		return (0);

	/*
	 * Every answer we make ourselves looks like one we forward: QR and
	 * RA set, the opcode, RD and CD echoed; AA, TC, Z and AD clear, as
	 * we are no authority, cut nothing and validated nothing.
	 */
	flags = DNS_F_QR | DNS_F_RA | (rcode & 0x0f) |
	    (qi->flags & (DNS_F_OPCODE | DNS_F_RD | DNS_F_CD));
	dns_put16(out + DNS_OFF_ID, qi->id);
	dns_put16(out + DNS_OFF_FLAGS, flags);
	dns_put16(out + DNS_OFF_QDCOUNT, qsz != 0 ? 1 : 0);
	dns_put16(out + DNS_OFF_ANCOUNT, 0);
	dns_put16(out + DNS_OFF_NSCOUNT, 0);
	dns_put16(out + DNS_OFF_ARCOUNT, opt ? 1 : 0);
	len = DNS_HDR_LEN;

	/* memmove: the caller may build the error over the query itself */
	if (qsz != 0) {
		memmove(out + len, query + DNS_HDR_LEN, qsz);
		len += qsz;
	}

	if (opt) {
		out[len] = 0;
		dns_put16(out + len + 1, DNS_TYPE_OPT);
		dns_put16(out + len + 3, edns_size);
		out[len + 5] = (rcode >> 4) & 0xff;
		out[len + 6] = 0;
		dns_put16(out + len + 7, qi->do_bit ? DNS_EDNS_DO : 0);
		dns_put16(out + len + 9, 0);
		len += DNS_OPT_FIXED;
	}
	return (len);
}

size_t
dns_make_upstream_query(const uint8_t *query, size_t qlen,
    const struct dns_query_info *qi, uint16_t newid, int padblock,
    int keepalive, uint8_t *out, size_t outsz)
{
	const uint8_t	*rd = NULL;
	uint8_t		 ttl[4] = { 0, 0, 0, 0 };
	size_t		 qsz, len, src, rdlen = 0, off, olen, optstart;
	size_t		 pad;
	uint16_t	 flags, udp = DNS_EDNS_SIZE;

	qsz = qi->question_len;
	if (qsz == 0 || qlen < DNS_HDR_LEN || qlen - DNS_HDR_LEN < qsz)
		return (0);

	/*
	 * Read what we keep of the client's OPT before writing anything,
	 * so that out may overlay query.  Its options are checked again:
	 * this function must not rely on its caller having validated.
	 */
	if (qi->has_opt) {
		src = DNS_HDR_LEN + qsz;
		if (qlen - src < DNS_OPT_FIXED || is_opt(query, qlen, src) == 0)
			return (0);
		rdlen = dns_get16(query + src + 9);
		if (qlen - src - DNS_OPT_FIXED < rdlen)
			return (0);
		rd = query + src + DNS_OPT_FIXED;
		if (options_valid(rd, rdlen, 1, NULL) == -1)
			return (0);
		udp = dns_get16(query + src + 3);
		memcpy(ttl, query + src + 5, sizeof(ttl));
	}
	/* only the bits that mean something in a query go upstream */
	flags = dns_get16(query + DNS_OFF_FLAGS) & DNS_F_QUERY;

	len = DNS_HDR_LEN + qsz;
	if (outsz < len + DNS_OPT_FIXED)
		return (0);
	dns_put16(out + DNS_OFF_ID, newid);
	dns_put16(out + DNS_OFF_FLAGS, flags);
	dns_put16(out + DNS_OFF_QDCOUNT, 1);
	dns_put16(out + DNS_OFF_ANCOUNT, 0);
	dns_put16(out + DNS_OFF_NSCOUNT, 0);
	dns_put16(out + DNS_OFF_ARCOUNT, 1);
	memmove(out + DNS_HDR_LEN, query + DNS_HDR_LEN, qsz);

	/*
	 * Always send an OPT upstream: padding lives in it, and the
	 * client's EDNS view (size, DO, options) must reach the resolver
	 * unchanged so its answer is what the client would have got.
	 */
	optstart = len;
	out[len] = 0;
	dns_put16(out + len + 1, DNS_TYPE_OPT);
	dns_put16(out + len + 3, udp);
	memcpy(out + len + 5, ttl, sizeof(ttl));
	len += DNS_OPT_FIXED;

	/*
	 * Copy the client's options but not its padding, sized for the
	 * message it was in, nor its edns-tcp-keepalive or COOKIE, which
	 * speak for its own hop only (a cookie would also tag the client
	 * to the upstream): we add our own padding and keepalive below.
	 * Its client subnet goes only with `client-subnet pass`: it says
	 * where the client is (RFC 7871 2, 11.1).
	 */
	for (off = 0; off < rdlen; off += olen) {
		olen = DNS_OPTION_HDR + dns_get16(rd + off + 2);
		if (dns_get16(rd + off) == DNS_EDNS_PADDING ||
		    dns_get16(rd + off) == DNS_EDNS_KEEPALIVE ||
		    dns_get16(rd + off) == DNS_EDNS_COOKIE ||
		    (dns_get16(rd + off) == DNS_EDNS_ECS && !qi->ecs))
			continue;
		if (outsz - len < olen)
			return (0);
		memmove(out + len, rd + off, olen);
		len += olen;
	}

	/* RFC 7828 3.2.1: a client asks with an empty option */
	if (keepalive) {
		if (outsz - len < DNS_OPTION_HDR)
			return (0);
		dns_put16(out + len, DNS_EDNS_KEEPALIVE);
		dns_put16(out + len + 2, 0);
		len += DNS_OPTION_HDR;
	}

	/* RFC 8467 4.1: pad the whole message to a multiple of the block */
	if (padblock > 0) {
		pad = (size_t)padblock - (len + DNS_OPTION_HDR) %
		    (size_t)padblock;
		if (pad == (size_t)padblock)
			pad = 0;
		if (outsz - len < DNS_OPTION_HDR + pad)
			return (0);
		dns_put16(out + len, DNS_EDNS_PADDING);
		dns_put16(out + len + 2, pad);
		memset(out + len + DNS_OPTION_HDR, 0, pad);
		len += DNS_OPTION_HDR + pad;
	}

	if (len > DNS_MAX_MSG || len - optstart - DNS_OPT_FIXED > 0xffff)
		return (0);
	dns_put16(out + optstart + 9, len - optstart - DNS_OPT_FIXED);
	return (len);
}

/*
 * RFC 8914: an EXTENDED DNS ERROR with INFO-CODE code and, if it fits,
 * the EXTRA-TEXT text, added to an answer the proxy made or chose itself
 * (an error of its own, a stale answer), for a client that sent EDNS
 * only: one without would not expect an OPT (RFC 6891 7).  msg is a
 * message this file built or fixed, whose OPT, if any, leads nothing
 * after it back into itself (reply_next_opt()), so the option goes at
 * the end of its rdata; without an OPT, one goes at the end.  The
 * answer never grows past maxlen, which the caller sets to what the
 * client may get (a REFUSED: the query's own size): the text goes
 * first, then the whole option, since the rcode is the answer and the
 * EDE only explains it.  Returns the new length; len when nothing was
 * added.
 */
size_t
dns_add_ede(uint8_t *msg, size_t len, size_t maxlen,
    const struct dns_query_info *qi, uint16_t code, const char *text)
{
	size_t	 off, rr = 0, fence = len, left, tlen, add, opt, room;
	size_t	 rdlen = 0;
	int	 n;

	if (!qi->has_opt || len < DNS_HDR_LEN || maxlen > DNS_MAX_MSG)
		return (len);
	if (reply_skip_sections(msg, len, &off, NULL) == -1)
		return (len);
	left = dns_get16(msg + DNS_OFF_ARCOUNT);
	if ((n = reply_next_opt(msg, len, &off, &fence, &left, &rr)) == -1)
		return (len);
	opt = n == 1 ? 0 : DNS_OPT_FIXED;
	if (n == 1)
		rdlen = dns_get16(msg + rr + 9);
	else if (left != 0 || off != len ||
	    dns_get16(msg + DNS_OFF_ARCOUNT) == 0xffff)
		return (len);

	if (maxlen < len)
		return (len);
	room = maxlen - len;
	tlen = text != NULL ? strlen(text) : 0;
	if (opt + DNS_EDE_FIXED + tlen > room ||
	    rdlen + DNS_EDE_FIXED + tlen > 0xffff)
		tlen = 0;
	add = DNS_EDE_FIXED + tlen;
	if (opt + add > room || rdlen + add > 0xffff)
		return (len);

	if (n == 1) {
		/* off is past the OPT: what follows it moves down */
		memmove(msg + off + add, msg + off, len - off);
		dns_put16(msg + rr + 9, rdlen + add);
	} else {
		off = len;
		msg[off] = 0;
		dns_put16(msg + off + 1, DNS_TYPE_OPT);
		dns_put16(msg + off + 3, edns_size);
		dns_put16(msg + off + 5, 0);
		dns_put16(msg + off + 7, qi->do_bit ? DNS_EDNS_DO : 0);
		dns_put16(msg + off + 9, add);
		dns_put16(msg + DNS_OFF_ARCOUNT,
		    dns_get16(msg + DNS_OFF_ARCOUNT) + 1);
		off += DNS_OPT_FIXED;
	}
	dns_put16(msg + off, DNS_EDNS_EDE);
	dns_put16(msg + off + 2, 2 + tlen);
	dns_put16(msg + off + 4, code);
	if (tlen > 0)
		memcpy(msg + off + DNS_EDE_FIXED, text, tlen);
	return (len + opt + add);
}

/*
 * The one walk of an upstream reply: it must be an answer (QR) to the
 * question asked, in any case, and one well-formed message to its last
 * octet (reply_walk()).  With s, what the walk learnt is noted there for
 * matching, the cache and the client's fix-up, so none of them walks
 * the reply again.  Returns 1 for a reply to take, 0 otherwise.
 */
int
dns_check_reply(const uint8_t *reply, size_t rlen, const uint8_t *question,
    size_t question_len, struct dns_summary *s)
{
	const uint8_t	*q;
	size_t		 i, namelen;

	if (rlen < DNS_HDR_LEN || question_len <= DNS_QFIXED)
		return (0);
	if ((dns_get16(reply + DNS_OFF_FLAGS) & DNS_F_QR) == 0)
		return (0);
	if (dns_get16(reply + DNS_OFF_QDCOUNT) != 1)
		return (0);
	if (rlen - DNS_HDR_LEN < question_len)
		return (0);

	/*
	 * The client's question has no pointers, so comparing the bytes
	 * also compares the label structure; folding never turns a length
	 * byte (0-63) into a letter, and a pointer in the reply simply
	 * fails to match.
	 */
	q = reply + DNS_HDR_LEN;
	namelen = question_len - DNS_QFIXED;
	for (i = 0; i < namelen; i++)
		if (ascii_lower(q[i]) != ascii_lower(question[i]))
			return (0);
	if (memcmp(q + namelen, question + namelen, DNS_QFIXED) != 0)
		return (0);
	if (s != NULL) {
		s->len = rlen;
		s->flags = dns_get16(reply + DNS_OFF_FLAGS);
		s->qname_len = namelen;
		s->qtype = dns_get16(q + namelen);
		s->qclass = dns_get16(q + namelen + 2);
		s->ancount = dns_get16(reply + DNS_OFF_ANCOUNT);
		s->nscount = dns_get16(reply + DNS_OFF_NSCOUNT);
		s->arcount = dns_get16(reply + DNS_OFF_ARCOUNT);
		s->ar_off = s->opt_off = s->opt_len = 0;
		s->keepalive = -1;
		s->min_ttl = s->soa_ttl = UINT32_MAX;
		s->nttl = 0;
	}
	/* the rest of the message is checked as strictly as its question */
	if (reply_walk(reply, rlen, s) == -1)
		return (0);
	if (s != NULL)
		cache_verdict(s);
	return (1);
}

/*
 * A reply to one client's question made another's that asked the same
 * (same name in any case, type, class, DO and CD): its spelling of the
 * question, its RD bit, AD only if it set AD or DO (RFC 6840 5.8: AD is
 * not in the key), then its ID and EDNS view by dns_fix_summarized()
 * when the reply's summary is at hand, else by dns_fix_reply().
 * Returns the length, or 0 if the reply cannot be fixed.
 */
size_t
dns_adopt_reply(uint8_t *msg, size_t len, const uint8_t *query,
    const struct dns_query_info *qi, const struct dns_summary *s)
{
	uint16_t	flags;

	if (qi->question_len == 0 || len < DNS_HDR_LEN ||
	    len - DNS_HDR_LEN < qi->question_len)
		return (0);
	memcpy(msg + DNS_HDR_LEN, query + DNS_HDR_LEN, qi->question_len);
	flags = (dns_get16(msg + DNS_OFF_FLAGS) & ~DNS_F_RD) |
	    (qi->flags & DNS_F_RD);
	if (!qi->do_bit && !(qi->flags & DNS_F_AD))
		flags &= ~DNS_F_AD;
	dns_put16(msg + DNS_OFF_FLAGS, flags);
	if (s != NULL)
		return (dns_fix_summarized(msg, len, s, qi));
	return (dns_fix_reply(msg, len, qi));
}

/*
 * The client's own view of the OPT at rr, which ends at end: the size
 * offered is ours, not the upstream's; a client that never spoke EDNS
 * gets no OPT at all, since it only answers the one we added; an EDNS
 * client gets it without the options of our own hop (strip_options()).
 * The options must have passed options_valid().  Returns the number of
 * bytes removed.
 */
static size_t
fix_opt(uint8_t *msg, size_t len, size_t rr, size_t end,
    const struct dns_query_info *qi)
{
	size_t	 rdlen = dns_get16(msg + rr + 9), cut;

	dns_put16(msg + rr + 3, edns_size);
	if (!qi->has_opt) {
		memmove(msg + rr, msg + end, len - end);
		return (end - rr);
	}
	/* padding answers ours unless the client padded */
	cut = strip_options(msg, len, rr + DNS_OPT_FIXED, rdlen,
	    !qi->client_padding, !qi->ecs);
	if (cut != 0)
		dns_put16(msg + rr + 9, rdlen - cut);
	return (cut);
}

/*
 * dns_fix_reply() for a reply that dns_check_reply() summarised: the
 * walk is done, its OPT is known, so only the ID and the OPT change.
 * msg is that reply or a copy of it, respelt at most in its question.
 */
size_t
dns_fix_summarized(uint8_t *msg, size_t len, const struct dns_summary *s,
    const struct dns_query_info *qi)
{
	size_t	 cut;

	/* a summary of another message would rewrite the wrong bytes */
	if (len != s->len || len < DNS_HDR_LEN ||
	    (size_t)s->opt_off + s->opt_len > len)
		return (0);
	dns_put16(msg + DNS_OFF_ID, qi->id);
	if (s->opt_off == 0)
		return (len);
	cut = fix_opt(msg, len, s->opt_off, s->opt_off + s->opt_len, qi);
	if (!qi->has_opt)
		dns_put16(msg + DNS_OFF_ARCOUNT,
		    dns_get16(msg + DNS_OFF_ARCOUNT) - 1);
	return (len - cut);
}

size_t
dns_fix_reply(uint8_t *msg, size_t len, const struct dns_query_info *qi)
{
	size_t	 off, rr, cut, fence, left;
	uint16_t newar;
	int	 n;

	if (len < DNS_HDR_LEN)
		return (0);
	dns_put16(msg + DNS_OFF_ID, qi->id);

	/*
	 * Every owner name is followed through its pointers: this is the
	 * one gate all upstream replies pass, fresh or cached, on their way
	 * to a client.
	 */
	if (reply_skip_sections(msg, len, &off, NULL) == -1)
		return (0);

	/* records after an OPT we rewrite may not point at or past it */
	fence = len;
	left = newar = dns_get16(msg + DNS_OFF_ARCOUNT);
	while ((n = reply_next_opt(msg, len, &off, &fence, &left, &rr)) != 0) {
		if (n == -1)
			return (0);
		/* a broken OPT from upstream makes the whole reply suspect */
		if (options_valid(msg + rr + DNS_OPT_FIXED,
		    dns_get16(msg + rr + 9), 0, NULL) == -1)
			return (0);
		cut = fix_opt(msg, len, rr, off, qi);
		len -= cut;
		off -= cut;
		if (!qi->has_opt)
			newar--;
	}
	dns_put16(msg + DNS_OFF_ARCOUNT, newar);
	return (len);
}

/*
 * Cuts a reply to maxlen, what a UDP client takes: additional records
 * first (trim_additional()), then everything but the question and the
 * OPT, with TC set.  A reply that fits is left alone.
 */
size_t
dns_truncate(uint8_t *msg, size_t len, size_t maxlen,
    const struct dns_query_info *qi)
{
	size_t	 off, qend, rr, opt = 0, optlen = 0, i, nrr;
	uint16_t qd, ar, flags;
	int	 n, haveq = 1, haveopt = 0;

	if (len <= maxlen)
		return (len);
	if (maxlen < DNS_HDR_LEN)
		return (0);
	if ((off = trim_additional(msg, len, maxlen, qi->has_opt)) != 0)
		return (off);

	/*
	 * The answer or authority section does not fit, or the message
	 * cannot be walked: the question and the OPT only, with TC set.
	 */
	qd = dns_get16(msg + DNS_OFF_QDCOUNT);
	off = DNS_HDR_LEN;
	for (i = 0; i < qd; i++) {
		if ((n = dns_name_wire_len(msg, len, off)) == -1 ||
		    len - off - n < DNS_QFIXED) {
			haveq = 0;
			break;
		}
		off += n + DNS_QFIXED;
	}
	qend = off;
	if (!haveq || qend > maxlen) {
		/* without its question a TC reply still sends it to TCP */
		qd = 0;
		qend = DNS_HDR_LEN;
	}

	/*
	 * Keep the OPT only for an EDNS client: it carries the extended
	 * rcode and the server's EDNS view the client asked for.
	 */
	if (haveq && qi->has_opt) {
		nrr = (size_t)dns_get16(msg + DNS_OFF_ANCOUNT) +
		    dns_get16(msg + DNS_OFF_NSCOUNT);
		for (i = 0; i < nrr; i++)
			if (dns_skip_rr(msg, len, &off) == -1)
				break;
		/* records we cannot walk hide the OPT: go without it */
		ar = i == nrr ? dns_get16(msg + DNS_OFF_ARCOUNT) : 0;
		for (i = 0; i < ar; i++) {
			rr = off;
			if (dns_skip_rr(msg, len, &off) == -1)
				break;
			if (is_opt(msg, len, rr)) {
				opt = rr;
				optlen = off - rr;
				haveopt = 1;
				break;
			}
		}
	}

	off = qend;
	ar = 0;
	if (haveopt) {
		if (maxlen - off >= optlen) {
			memmove(msg + off, msg + opt, optlen);
			off += optlen;
			ar = 1;
		} else if (maxlen - off >= DNS_OPT_FIXED) {
			/* drop the options rather than the whole OPT */
			memmove(msg + off, msg + opt, DNS_OPT_FIXED - 2);
			dns_put16(msg + off + 9, 0);
			off += DNS_OPT_FIXED;
			ar = 1;
		}
	}

	flags = dns_get16(msg + DNS_OFF_FLAGS) | DNS_F_TC;
	dns_put16(msg + DNS_OFF_FLAGS, flags);
	dns_put16(msg + DNS_OFF_QDCOUNT, qd);
	dns_put16(msg + DNS_OFF_ANCOUNT, 0);
	dns_put16(msg + DNS_OFF_NSCOUNT, 0);
	dns_put16(msg + DNS_OFF_ARCOUNT, ar);
	return (off);
}

/*
 * What a UDP client may receive: its EDNS size, never below 512 (RFC 6891
 * 6.2.5) nor above the size we offer, so a client asking for 65535 still
 * gets replies that need no IP fragmentation.
 */
size_t
dns_client_max_udp(const struct dns_query_info *qi)
{
	if (!qi->has_opt || qi->udp_size <= DNS_UDP_MIN)
		return (DNS_UDP_MIN);
	return (qi->udp_size < edns_size ? qi->udp_size : edns_size);
}

void
dns_set_edns_size(uint16_t size)
{
	edns_size = size < DNS_UDP_MIN ? DNS_UDP_MIN : size;
}

void
dns_set_client_subnet(int pass)
{
	ecs_pass = pass != 0;
}
