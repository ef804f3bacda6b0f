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

#ifndef DOTPROXY_DNS_H
#define DOTPROXY_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN		12
#define DNS_MAX_NAME		255	/* wire length, RFC 1035 2.3.4 */
#define DNS_MAX_LABEL		63
#define DNS_MAX_QUERY		1280	/* largest query we accept */
#define DNS_MAX_MSG		65535	/* TCP framing limit */
#define DNS_UDP_MIN		512	/* RFC 1035 limit without EDNS */
#define DNS_EDNS_SIZE		1232	/* default edns-buffer-size */
#define DNS_EDNS_SIZE_MAX	4096	/* largest edns-buffer-size */

#define DNS_TYPE_OPT		41
#define DNS_TYPE_META_MIN	128	/* RFC 6895 3.1: QTYPEs, meta-TYPEs */
#define DNS_TYPE_IXFR		251
#define DNS_TYPE_AXFR		252
#define DNS_TYPE_ANY		255
#define DNS_EDNS_ECS		8	/* RFC 7871 client subnet */
#define DNS_EDNS_COOKIE		10	/* RFC 7873 option code */
#define DNS_EDNS_KEEPALIVE	11	/* RFC 7828 option code */
#define DNS_EDNS_PADDING	12	/* RFC 7830 option code */
#define DNS_EDNS_EDE		15	/* RFC 8914 extended DNS error */

/* RFC 8914 4: the INFO-CODEs of the answers the proxy makes itself */
#define DNS_EDE_OTHER		0	/* Other: with EXTRA-TEXT */
#define DNS_EDE_STALE		3	/* Stale Answer: served from cache */
#define DNS_EDE_BLOCKED		15	/* Blocked: not forwarded by policy */
#define DNS_EDE_PROHIBITED	18	/* Prohibited: ACL, rate limit */
#define DNS_EDE_NOT_SUPPORTED	21	/* Not Supported: opcode, AXFR */
#define DNS_EDE_NETWORK		23	/* Network Error: no upstream answered */

#define DNS_OPCODE_QUERY	0

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5
#define DNS_RCODE_BADVERS	16	/* extended, lives partly in the OPT */

/* header flag bits, host order of the 16-bit flags word */
#define DNS_F_QR		0x8000
#define DNS_F_AA		0x0400
#define DNS_F_TC		0x0200
#define DNS_F_RD		0x0100
#define DNS_F_RA		0x0080
#define DNS_F_Z		0x0040	/* must be zero, RFC 1035 4.1.1 */
#define DNS_F_AD		0x0020
#define DNS_F_CD		0x0010
#define DNS_OPCODE(f)		(((f) >> 11) & 0x0f)

/* what dns_check_query() decided */
enum dns_verdict {
	DNS_OK = 0,	/* forward it */
	DNS_DROP,	/* no readable header, or QR=1: say nothing */
	DNS_FORMERR,	/* answer FORMERR */
	DNS_NOTIMP,	/* opcode other than QUERY */
	DNS_BADVERS,	/* EDNS version other than 0 */
	DNS_REFUSED	/* AXFR or IXFR: not through a forwarder */
};

/* What the proxy keeps of a client query to answer it later. */
struct dns_query_info {
	uint16_t	id;
	uint16_t	flags;		/* header flags word, host order */
	uint16_t	qtype;
	uint16_t	qclass;
	size_t		qname_len;	/* wire length incl. root label */
	size_t		question_len;	/* qname_len + 4; 0 if unreadable */
	int		has_opt;	/* client sent an OPT record */
	uint16_t	udp_size;	/* advertised size, DNS_UDP_MIN if none */
	uint8_t		edns_version;
	int		do_bit;
	int		client_padding;	/* client's OPT carried padding */
	int		ecs;		/* its client subnet goes upstream */
};

enum dns_verdict dns_check_query(const uint8_t *, size_t,
		    struct dns_query_info *);
size_t		 dns_make_error(const uint8_t *, size_t,
		    const struct dns_query_info *, int, uint8_t *, size_t);
size_t		 dns_make_upstream_query(const uint8_t *, size_t,
		    const struct dns_query_info *, uint16_t, int, int,
		    uint8_t *, size_t);
size_t		 dns_add_ede(uint8_t *, size_t, size_t,
		    const struct dns_query_info *, uint16_t, const char *);

/*
 * What the one walk of an upstream reply (dns_check_reply()) learnt of
 * it, carried with the reply so that matching, the cache and each
 * client's fix-up never walk it again.  The offsets hold for the reply
 * as read and for copies of it whose question was respelt in place.
 */
#define DNS_MAX_TTLS		512	/* RRs whose TTL a cached reply tracks */
struct dns_summary {
	size_t		len;		/* of the message described */
	uint16_t	flags;		/* header flags word, host order */
	uint16_t	qtype;
	uint16_t	qclass;
	uint16_t	qname_len;	/* wire length incl. root label */
	uint16_t	ancount, nscount, arcount;
	uint16_t	ar_off;		/* the additional section */
	uint16_t	opt_off;	/* the OPT record; 0: none */
	uint16_t	opt_len;	/* the whole OPT record */
	int		keepalive;	/* edns-tcp-keepalive TIMEOUT, or -1 */
	uint32_t	min_ttl;	/* shortest TTL, OPT excluded */
	uint32_t	soa_ttl;	/* RFC 2308 negative TTL, or UINT32_MAX */
	uint32_t	ttl;		/* seconds it may be cached; 0: never */
	int		nttl;		/* TTL fields, OPT excluded */
	uint16_t	ttl_off[DNS_MAX_TTLS];
};

int		 dns_check_reply(const uint8_t *, size_t, const uint8_t *,
		    size_t, struct dns_summary *);
size_t		 dns_fix_reply(uint8_t *, size_t,
		    const struct dns_query_info *);
size_t		 dns_fix_summarized(uint8_t *, size_t,
		    const struct dns_summary *, const struct dns_query_info *);
size_t		 dns_adopt_reply(uint8_t *, size_t, const uint8_t *,
		    const struct dns_query_info *, const struct dns_summary *);
size_t		 dns_truncate(uint8_t *, size_t, size_t,
		    const struct dns_query_info *);
size_t		 dns_client_max_udp(const struct dns_query_info *);
void		 dns_set_edns_size(uint16_t);
void		 dns_set_client_subnet(int);
int		 dns_name_wire_len(const uint8_t *, size_t, size_t);
int		 dns_skip_rr(const uint8_t *, size_t, size_t *);

static inline uint16_t
dns_get16(const uint8_t *p)
{
	return ((uint16_t)p[0] << 8 | p[1]);
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint32_t
dns_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static inline void
dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

#endif /* DOTPROXY_DNS_H */
