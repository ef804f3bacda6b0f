/* zone.c: the zone that decides for a name, local zones' answers; no I/O. */
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

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "zone.h"

/*
 * The zone table an engine routes by: "." (the top-level upstreams), the
 * built-in local zones unless local-zones is off, and the zone
 * statements, which replace a built-in zone of the same name.  The
 * longest zone that is a suffix of the name on a label boundary decides,
 * letter case aside.  A lookup walks the name once to find its labels,
 * then hashes its suffixes from the root outwards, each from the last
 * one's hash, and probes only for label counts some zone has: a few
 * dozen instructions, no allocation, whatever the number of zones.
 */

#define FNV_BASIS	2166136261U
#define FNV_PRIME	16777619U
#define MAX_LABELS	128	/* a 255-octet name has at most 127 */
#define LOCAL_TTL	300	/* the negative TTL too: RFC 6303 zones */

#define T_A		1
#define T_NS		2
#define T_SOA		6
#define T_PTR		12
#define T_AAAA		28
#define C_IN		1

/* 31 zero nibbles and a dot: with one more nibble, :: or ::1 */
#define Z31		"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0." \
			"0.0.0.0."

/*
 * RFC 6303 (private and special reverse zones), RFC 6598 (shared
 * address space), RFC 6761 (localhost, invalid), RFC 7686 (onion),
 * RFC 8375 (home.arpa) and RFC 9462 (resolver.arpa: a public
 * resolver's designation must not send clients around us).  A range
 * expands the format over its numbers.
 */
static const struct builtin {
	const char	*fmt;
	int		 first, last;
	int		 action;
} builtins[] = {
	{ "localhost", 0, 0, ZONE_LOCALHOST },
	{ "invalid", 0, 0, ZONE_NXDOMAIN },
	{ "onion", 0, 0, ZONE_NXDOMAIN },
	{ "home.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "resolver.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "10.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "%d.172.in-addr.arpa", 16, 31, ZONE_NXDOMAIN },
	{ "168.192.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "0.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "127.in-addr.arpa", 0, 0, ZONE_LOOPBACK },
	{ "254.169.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "2.0.192.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "100.51.198.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "113.0.203.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "255.255.255.255.in-addr.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "%d.100.in-addr.arpa", 64, 127, ZONE_NXDOMAIN },
	{ "0." Z31 "ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "1." Z31 "ip6.arpa", 0, 0, ZONE_LOOPBACK },
	{ "d.f.ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "8.e.f.ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "9.e.f.ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "a.e.f.ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "b.e.f.ip6.arpa", 0, 0, ZONE_NXDOMAIN },
	{ "8.b.d.0.1.0.0.2.ip6.arpa", 0, 0, ZONE_NXDOMAIN }
};
#define NBUILTINS	(sizeof(builtins) / sizeof(builtins[0]))

static void	 zone_add(const uint8_t *, size_t, int, int, const char *);
static int	 name_is(const uint8_t *, size_t, const uint8_t *, size_t);
static size_t	 put_rr(uint8_t *, size_t, uint16_t, const uint8_t *, size_t);

/* the names a loopback zone answers PTR localhost for */
static const char *const loopback_ptr[] = {
	"1.0.0.127.in-addr.arpa", "1." Z31 "ip6.arpa"
};

/* the table's own state; [0] is the root */
static struct {
	struct zone	*zones;
	char		**names;	/* built-in zones' text, owned */
	int		 n, max;
	uint32_t	*slots;		/* index + 1; 0 is empty */
	uint32_t	 mask;
	int		 maxlabels;
	uint64_t	 haslabels[MAX_LABELS / 64];	/* bit k: some zone
							   has k labels */
	uint8_t		 ptr[2][DNS_MAX_NAME];
	size_t		 ptrlen[2];
} zt;

static inline uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* One label (its length octet first) into the hash of the labels after it. */
static inline uint32_t
label_hash(uint32_t h, const uint8_t *label)
{
	size_t	i;

	for (i = 0; i <= label[0]; i++) {
		h ^= lower(label[i]);
		h *= FNV_PRIME;
	}
	return (h);
}

/*
 * A zone's name as written ("Corp.Example", "corp.example." or ".") into
 * lower-case wire format.  Labels are host-name-like, with the
 * underscore of service names; returns the wire length, or -1.
 */
int
zone_wire(const char *text, uint8_t *out, size_t outsz)
{
	size_t	 len = 0, n;
	const char *p = text, *dot;
	uint8_t	 c;

	if (strcmp(text, ".") == 0) {
		if (outsz < 1)
			return (-1);
		out[0] = 0;
		return (1);
	}
	while (*p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		n = dot - p;
		if (n == 0 || n > DNS_MAX_LABEL || len + n + 2 > outsz ||
		    len + n + 2 > DNS_MAX_NAME)
			return (-1);
		out[len++] = n;
		for (; p < dot; p++) {
			c = *p;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return (-1);
			out[len++] = lower(c);
		}
		if (*p == '.')
			p++;
	}
	if (len == 0)
		return (-1);
	out[len++] = 0;
	return (len);
}

/* Wire format back to text without the final dot; the root is ".". */
int
zone_text(const uint8_t *wire, size_t len, char *buf, size_t size)
{
	size_t	i = 0, o = 0, n;

	if (size < 2)
		return (-1);
	if (len > 0 && wire[0] == 0) {
		(void)strlcpy(buf, ".", size);
		return (0);
	}
	while (i < len && wire[i] != 0) {
		n = wire[i++];
		if (i + n > len || o + n + 2 > size)
			return (-1);
		if (o > 0)
			buf[o++] = '.';
		memcpy(buf + o, wire + i, n);
		o += n;
		i += n;
	}
	buf[o] = '\0';
	return (i < len ? 0 : -1);
}

/* The i-th built-in zone's name, its action in *action; NULL past the end. */
const char *
zone_builtin(int i, int *action)
{
	static char	 buf[64];
	const struct builtin *b;
	size_t		 k;
	int		 n;

	for (k = 0; k < NBUILTINS; k++) {
		b = &builtins[k];
		n = b->last - b->first + 1;
		if (i >= n) {
			i -= n;
			continue;
		}
		*action = b->action;
		if (b->first == b->last)
			return (b->fmt);
		(void)snprintf(buf, sizeof(buf), b->fmt, b->first + i);
		return (buf);
	}
	return (NULL);
}

static void
zone_add(const uint8_t *wire, size_t len, int action, int pool,
    const char *name)
{
	struct zone	*z;
	uint32_t	 h = FNV_BASIS, j;
	size_t		 off[MAX_LABELS], i = 0;
	int		 n = 0, k, x;

	while (wire[i] != 0) {
		off[n++] = i;
		i += wire[i] + 1;
	}
	for (k = 1; k <= n; k++)
		h = label_hash(h, wire + off[n - k]);
	/* a zone statement replaces the built-in zone of its name */
	for (j = h & zt.mask; (x = zt.slots[j]) != 0; j = (j + 1) & zt.mask) {
		z = &zt.zones[x - 1];
		if (z->len == len && memcmp(z->wire, wire, len) == 0) {
			z->action = action;
			z->pool = pool;
			z->name = name;
			return;
		}
	}
	if (zt.n == zt.max)
		fatalx("%s: table full", __func__);
	z = &zt.zones[zt.n++];
	memcpy(z->wire, wire, len);
	z->len = len;
	z->labels = n;
	z->action = action;
	z->pool = pool;
	z->hash = h;
	z->name = name;
	zt.slots[j] = zt.n;
	if (n > zt.maxlabels)
		zt.maxlabels = n;
	zt.haslabels[n / 64] |= 1ULL << (n % 64);
}

void
zone_table_free(void)
{
	int	i;

	if (zt.names != NULL)
		for (i = 0; i < zt.max; i++)
			free(zt.names[i]);
	free(zt.names);
	free(zt.zones);
	free(zt.slots);
	memset(&zt, 0, sizeof(zt));
}

/* The table for a configuration: built in, then the zone statements. */
void
zone_table_init(const struct conf *conf)
{
	const struct zone_conf	*zc;
	uint8_t			 wire[DNS_MAX_NAME];
	const char		*name;
	uint32_t		 nslots = 16;
	int			 i, action, len, nb = 0, nz = 0;

	zone_table_free();
	if (conf->sc.local_zones)
		while (zone_builtin(nb, &action) != NULL)
			nb++;
	TAILQ_FOREACH(zc, &conf->zones, entry)
		nz++;
	zt.max = 1 + nb + nz;
	while (nslots < 2 * (uint32_t)zt.max)
		nslots *= 2;
	zt.mask = nslots - 1;
	if ((zt.zones = calloc(zt.max, sizeof(*zt.zones))) == NULL ||
	    (zt.names = calloc(zt.max, sizeof(*zt.names))) == NULL ||
	    (zt.slots = calloc(nslots, sizeof(*zt.slots))) == NULL)
		fatal(NULL);
	zt.zones[0].len = 1;
	zt.zones[0].action = ZONE_FORWARD;
	zt.zones[0].name = ".";
	zt.n = 1;
	for (i = 0; i < nb; i++) {
		name = zone_builtin(i, &action);
		if ((zt.names[i] = strdup(name)) == NULL)
			fatal(NULL);
		if ((len = zone_wire(name, wire, sizeof(wire))) == -1)
			fatalx("built-in zone %s", name);
		zone_add(wire, len, action, 0, zt.names[i]);
	}
	TAILQ_FOREACH(zc, &conf->zones, entry) {
		if ((len = zone_wire(zc->name, wire, sizeof(wire))) <= 1)
			fatalx("zone \"%s\": bad name", zc->name);
		zone_add(wire, len, zc->action, zc->index, zc->name);
	}
	for (i = 0; i < 2; i++)
		zt.ptrlen[i] = zone_wire(loopback_ptr[i], zt.ptr[i],
		    sizeof(zt.ptr[i]));
}

/*
 * The zone that decides for a name in wire format, as the query holds
 * it (no compression, checked by dns_check_query()): the longest match,
 * the root when none.  A name that is not well-formed gets the root.
 */
const struct zone *
zone_lookup(const uint8_t *name, size_t len)
{
	static const struct zone root = { .len = 1, .name = "." };
	const struct zone	*best, *z;
	uint8_t			 off[MAX_LABELS];
	uint32_t		 h = FNV_BASIS, j, x;
	size_t			 i = 0, s, k;
	int			 n = 0;

	/* before the table is made, everything is the root's */
	if (zt.zones == NULL)
		return (&root);
	best = &zt.zones[0];
	while (i < len && name[i] != 0 && n < MAX_LABELS) {
		off[n++] = i;
		i += name[i] + 1;
	}
	if (i >= len || name[i] != 0)
		return (best);
	for (k = 1; k <= (size_t)n && k <= (size_t)zt.maxlabels; k++) {
		s = off[n - k];
		h = label_hash(h, name + s);
		if ((zt.haslabels[k / 64] & (1ULL << (k % 64))) == 0)
			continue;
		for (j = h & zt.mask; (x = zt.slots[j]) != 0;
		    j = (j + 1) & zt.mask) {
			z = &zt.zones[x - 1];
			if (z->hash != h || z->len != i + 1 - s)
				continue;
			for (x = 0; x < z->len; x++)
				if (lower(name[s + x]) != z->wire[x])
					break;
			if (x == z->len) {
				best = z;
				break;
			}
		}
	}
	return (best);
}

static int
name_is(const uint8_t *name, size_t len, const uint8_t *wire, size_t wlen)
{
	size_t	i;

	if (len != wlen)
		return (0);
	for (i = 0; i < len; i++)
		if (lower(name[i]) != wire[i])
			return (0);
	return (1);
}

/* One record whose owner is a compression pointer into the question. */
static size_t
put_rr(uint8_t *p, size_t owner, uint16_t type, const uint8_t *rd,
    size_t rdlen)
{
	dns_put16(p, 0xc000 | owner);
	dns_put16(p + 2, type);
	dns_put16(p + 4, C_IN);
	dns_put32(p + 6, LOCAL_TTL);
	dns_put16(p + 10, rdlen);
	memcpy(p + 12, rd, rdlen);
	return (12 + rdlen);
}

/*
 * The answer of a zone answered here, for a query admit.c let through:
 * REFUSED, or what a zone of RFC 6303 serves.  Its apex has a SOA and an
 * NS, and other types there are NODATA; a name below it is NXDOMAIN,
 * but in the localhost zone, where every name is 127.0.0.1 and ::1 (RFC
 * 6761 6.3, as Unbound does), and for the loopback addresses' PTR.  A
 * negative answer carries the SOA for RFC 2308 caching.  The header,
 * question and OPT are dns_make_error()'s, as every answer made here;
 * the one place to add to what a locally answered zone says.
 */
size_t
zone_answer(const uint8_t *msg, size_t len, const struct dns_query_info *qi,
    const struct zone *z, uint8_t *out, size_t outsz)
{
	static const uint8_t	 soa[] = {
		9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0,
		6, 'n', 'o', 'b', 'o', 'd', 'y', 7, 'i', 'n', 'v', 'a', 'l',
		'i', 'd', 0,
		0, 0, 0, 1,		/* serial */
		0, 0, 0x0e, 0x10,	/* refresh 3600 */
		0, 0, 0x04, 0xb0,	/* retry 1200 */
		0, 0x09, 0x3a, 0x80,	/* expire 604800 */
		0, 0, 0x01, 0x2c	/* minimum: LOCAL_TTL */
	};
	static const uint8_t	 a[4] = { 127, 0, 0, 1 };
	static const uint8_t	 aaaa[16] = { [15] = 1 };
	uint8_t			 opt[512];
	const uint8_t		*qname = msg + DNS_HDR_LEN;
	size_t			 base, n, optlen, apex;
	uint16_t		 an = 0, ns = 0, t = qi->qtype;
	int			 exists, rcode = DNS_RCODE_NOERROR, at_apex;
	int			 ptr;

	if (z->action == ZONE_REFUSE)
		return (dns_make_error(msg, len, qi, DNS_RCODE_REFUSED, out,
		    outsz));
	base = DNS_HDR_LEN + qi->question_len;
	if (qi->question_len == 0 || len < base ||
	    qi->qname_len < z->len ||
	    (n = dns_make_error(msg, len, qi, DNS_RCODE_NOERROR, out,
	    outsz)) < base || (optlen = n - base) > sizeof(opt) ||
	    outsz < n + 2 * (12 + sizeof(soa)))
		return (0);
	memcpy(opt, out + base, optlen);
	apex = DNS_HDR_LEN + qi->qname_len - z->len;
	at_apex = qi->qname_len == z->len;
	ptr = z->action == ZONE_LOOPBACK &&
	    (name_is(qname, qi->qname_len, zt.ptr[0], zt.ptrlen[0]) ||
	    name_is(qname, qi->qname_len, zt.ptr[1], zt.ptrlen[1]));
	exists = at_apex || ptr || z->action == ZONE_LOCALHOST;

	n = base;
	if (!exists)
		rcode = DNS_RCODE_NXDOMAIN;
	else if (z->action == ZONE_LOCALHOST && (t == T_A || t == T_AAAA ||
	    t == DNS_TYPE_ANY)) {
		if (t != T_AAAA) {
			n += put_rr(out + n, DNS_HDR_LEN, T_A, a, sizeof(a));
			an++;
		}
		if (t != T_A) {
			n += put_rr(out + n, DNS_HDR_LEN, T_AAAA, aaaa,
			    sizeof(aaaa));
			an++;
		}
	} else if (ptr && t == T_PTR) {
		n += put_rr(out + n, DNS_HDR_LEN, T_PTR, soa, 11);
		an++;
	} else if (at_apex && t == T_SOA) {
		n += put_rr(out + n, apex, T_SOA, soa, sizeof(soa));
		an++;
	} else if (at_apex && t == T_NS) {
		n += put_rr(out + n, apex, T_NS, soa, 11);
		an++;
	}
	if (an == 0) {
		n += put_rr(out + n, apex, T_SOA, soa, sizeof(soa));
		ns++;
	}
	memcpy(out + n, opt, optlen);
	n += optlen;
	/* our own data: authoritative, unlike the errors we make */
	dns_put16(out + 2, (dns_get16(out + 2) & ~0x000f) | DNS_F_AA | rcode);
	dns_put16(out + 6, an);
	dns_put16(out + 8, ns);
	return (n);
}
