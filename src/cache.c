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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "dns.h"
#include "clientshm.h"
#include "clock.h"
#include "log.h"
#include "siphash.h"

/*
 * The answer cache of one engine.  An entry is the upstream's reply,
 * stored once with the offsets of its TTLs: a hit copies it, puts in the
 * client's ID, question spelling and RD bit, counts the TTLs down by the
 * time since it was stored (monotonic clock) and lets dns_fix_reply()
 * give the client its own EDNS view.  The key is the lower-cased name,
 * type, class, DO and CD.  Entries live on one LRU list; the least
 * recently used goes when the count or the byte bound is reached.  An
 * expired entry stays until evicted or CACHE_STALE_MAX old, for
 * serve-stale (RFC 8767).  Allocation happens when a reply is stored,
 * never on a hit.
 */

#define KEY_MAX		CACHE_KEY_MAX
#define BYTES_PER_ENTRY	1024	/* the memory bound: entries * this */
#define PREFETCH_HITS	2	/* hits before an entry is worth refreshing */
#define PREFETCH_MIN_TTL 10	/* seconds; shorter ones just expire */
#define COPY_SHARE	8	/* copies: this part of the share, on top */

struct centry {
	TAILQ_ENTRY(centry)	 lru;
	struct centry		*next;		/* hash chain */
	uint64_t		 hash;
	uint64_t		 stored;	/* ms, monotonic */
	uint32_t		 ttl;		/* seconds */
	uint32_t		 hits;
	int			 prefetching;
	int			 copy;		/* of another engine's answer */
	uint16_t		 keylen;
	uint16_t		 len;		/* of the reply */
	uint16_t		 nttl;
	size_t			 size;		/* bytes, for the bound */
	uint8_t			 data[];	/* key, TTL offsets, reply */
};
TAILQ_HEAD(centry_list, centry);

static struct {
	struct centry		**buckets;
	uint64_t		  mask;
	struct centry_list	  lru;
	struct centry_list	  clru;		/* copies, apart */
	size_t			  count;
	size_t			  ccount;	/* copies */
	size_t			  cbytes;	/* theirs */
	size_t			  max;		/* the host's */
	size_t			  share;	/* max / engines */
	size_t			  bytes;
	size_t			  maxbytes;
	uint32_t		  min_ttl;
	uint32_t		  max_ttl;
	uint64_t		  key[2];	/* SipHash key */
	uint64_t		  hits, misses, stale, stores, evictions;
} c;

static void	unlink_entry(struct centry *);
static int	cache_full(void);
static void	copies_trim(void);
static void	store(const uint8_t *, const struct dns_query_info *,
		    const uint8_t *, size_t, const struct dns_summary *, int);

/*
 * SipHash-2-4 with a per-engine random key: clients choose the names, so
 * they must not be able to choose the hash chains.
 */
uint64_t
cache_hash(const uint8_t *p, size_t len)
{
	return (siphash24(c.key, p, len));
}

void
cache_init(int entries, int min_ttl, int max_ttl)
{
	struct centry	*e;
	uint64_t	 n = 1;

	/* a second call starts over: the unit tests use that */
	if (c.buckets != NULL) {
		while ((e = TAILQ_FIRST(&c.lru)) != NULL)
			unlink_entry(e);
		while ((e = TAILQ_FIRST(&c.clru)) != NULL)
			unlink_entry(e);
		free(c.buckets);
	}
	memset(&c, 0, sizeof(c));
	TAILQ_INIT(&c.lru);
	TAILQ_INIT(&c.clru);
	c.max = c.share = entries;
	c.maxbytes = (size_t)entries * BYTES_PER_ENTRY;
	c.min_ttl = min_ttl;
	c.max_ttl = max_ttl;
	/* the in-flight table hashes with this key even without a cache */
	arc4random_buf(c.key, sizeof(c.key));
	if (entries == 0)
		return;
	while (n < (uint64_t)entries)
		n <<= 1;
	if ((c.buckets = calloc(n, sizeof(*c.buckets))) == NULL)
		fatal("cache");
	c.mask = n - 1;
}

/*
 * The key: name folded to lower case, type, class, then DO and CD.  The
 * in-flight table (coalesce.c) groups questions by the same key.  A
 * query whose client subnet goes upstream (client-subnet pass) has none:
 * its answer is meant for that subnet alone, so it is neither answered
 * from nor stored in the cache, nor joined with another in flight.  A
 * key holding the subnet would do as well only while every client of a
 * subnet is entitled to the others' answers, and would let one client
 * fill the cache with a subnet per query.
 */
size_t
cache_key(const uint8_t *query, const struct dns_query_info *qi, uint8_t *key)
{
	const uint8_t	*q = query + DNS_HDR_LEN;
	size_t		 i, n = qi->question_len;

	if (n == 0 || n > KEY_MAX - 1 || qi->ecs)
		return (0);
	for (i = 0; i < qi->qname_len; i++)
		key[i] = (q[i] >= 'A' && q[i] <= 'Z') ? q[i] + 32 : q[i];
	memcpy(key + i, q + i, n - i);
	key[n] = (qi->do_bit ? 1 : 0) | ((qi->flags & DNS_F_CD) ? 2 : 0);
	return (n + 1);
}

static struct centry *
find(const uint8_t *key, size_t keylen, uint64_t h, struct centry ***linkp)
{
	struct centry	**link, *e;

	for (link = &c.buckets[h & c.mask]; (e = *link) != NULL;
	    link = &e->next)
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e->data, key, keylen) == 0) {
			if (linkp != NULL)
				*linkp = link;
			return (e);
		}
	return (NULL);
}

static void
unlink_entry(struct centry *e)
{
	struct centry	**link;

	for (link = &c.buckets[e->hash & c.mask]; *link != e;
	    link = &(*link)->next)
		;
	*link = e->next;
	if (e->copy) {
		TAILQ_REMOVE(&c.clru, e, lru);
		c.ccount--;
		c.cbytes -= e->size;
	} else {
		TAILQ_REMOVE(&c.lru, e, lru);
		c.count--;
		(void)clientshm_held(c.count);
	}
	c.bytes -= e->size;
	free(e);
}

static inline const uint16_t *
entry_offs(const struct centry *e)
{
	return ((const uint16_t *)(e->data + ((e->keylen + 1) & ~1)));
}

static inline const uint8_t *
entry_reply(const struct centry *e)
{
	return ((const uint8_t *)(entry_offs(e) + e->nttl));
}

/*
 * The entry's reply made the client's: its ID, its spelling of the
 * question, its RD bit, TTLs counted down (or the stale TTL), and its own
 * EDNS view.  AA goes: an answer from a cache is not the authority's
 * (RFC 1035 4.1.1, RFC 2181 5.4.1).  AD stays only for a client that set
 * DO or AD (RFC 6840 5.8); DO is in the key, AD is not, so an entry made
 * for a client that set AD may carry it.  Returns the length, or 0 if the
 * reply cannot be fixed.
 */
static size_t
answer(const struct centry *e, const uint8_t *query,
    const struct dns_query_info *qi, uint8_t *out, size_t outsz,
    uint32_t remaining, int stale)
{
	const uint16_t	*offs = entry_offs(e);
	uint32_t	 ttl;
	int		 i;

	if (e->len > outsz)
		return (0);
	memcpy(out, entry_reply(e), e->len);
	for (i = 0; i < e->nttl; i++) {
		if (stale)
			ttl = CACHE_STALE_TTL;
		else {
			ttl = dns_get32(out + offs[i]);
			if (ttl & 0x80000000U || ttl > remaining)
				ttl = remaining;
		}
		dns_put32(out + offs[i], ttl);
	}
	dns_put16(out + 2, dns_get16(out + 2) & ~DNS_F_AA);
	return (dns_adopt_reply(out, e->len, query, qi, NULL));
}

enum cache_result
cache_lookup(const uint8_t *query, const struct dns_query_info *qi,
    uint8_t *out, size_t outsz, size_t *lenp)
{
	struct centry	*e;
	uint8_t		 key[KEY_MAX];
	uint64_t	 h, age, now;
	uint32_t	 remaining;
	size_t		 keylen;

	if (c.max == 0 || (keylen = cache_key(query, qi, key)) == 0)
		return (CACHE_MISS);
	h = cache_hash(key, keylen);
	if ((e = find(key, keylen, h, NULL)) == NULL)
		goto miss;
	now = now_ms();
	age = (now - e->stored) / 1000;
	if (age >= e->ttl)
		goto miss;	/* kept for serve-stale only */
	remaining = e->ttl - age;
	/*
	 * A copy is never refreshed here: its holder's entry is.  In the
	 * last tenth of its life it is passed over, so that the holder is
	 * asked, counts the hit and refreshes its entry (prefetch, below),
	 * and what it sends back is the next copy: a name asked often stays
	 * fresh in every engine, not only in the one holding it.
	 */
	if (e->copy && e->ttl >= PREFETCH_MIN_TTL &&
	    remaining * 10 <= e->ttl)
		goto miss;
	if ((*lenp = answer(e, query, qi, out, outsz, remaining, 0)) == 0)
		goto miss;
	c.hits++;
	if (e->copy) {
		TAILQ_REMOVE(&c.clru, e, lru);
		TAILQ_INSERT_TAIL(&c.clru, e, lru);
		return (CACHE_HIT);
	}
	TAILQ_REMOVE(&c.lru, e, lru);
	TAILQ_INSERT_TAIL(&c.lru, e, lru);
	/* asked often and in the last tenth of its life: refresh it */
	if (++e->hits > PREFETCH_HITS && !e->prefetching &&
	    e->ttl >= PREFETCH_MIN_TTL && remaining * 10 <= e->ttl) {
		e->prefetching = 1;
		return (CACHE_HIT_PREFETCH);
	}
	return (CACHE_HIT);
 miss:
	c.misses++;
	return (CACHE_MISS);
}

/* RFC 8767: when no upstream can answer, an expired answer will do. */
size_t
cache_lookup_stale(const uint8_t *query, const struct dns_query_info *qi,
    uint8_t *out, size_t outsz)
{
	struct centry	*e;
	uint8_t		 key[KEY_MAX];
	uint64_t	 h;
	size_t		 keylen, n;

	if (c.max == 0 || (keylen = cache_key(query, qi, key)) == 0)
		return (0);
	h = cache_hash(key, keylen);
	if ((e = find(key, keylen, h, NULL)) == NULL)
		return (0);
	if ((now_ms() - e->stored) / 1000 >=
	    (uint64_t)e->ttl + CACHE_STALE_MAX) {
		unlink_entry(e);
		return (0);
	}
	if ((n = answer(e, query, qi, out, outsz, 0, 1)) != 0)
		c.stale++;
	return (n);
}

/*
 * Stores the upstream's reply to query, replacing what the key held.
 * Whether it may be cached, for how long and where its TTLs are, the
 * summary of the matcher's walk says (sum: dns_check_reply()).  The
 * stored copy keeps an OPT if the upstream sent one, without the
 * padding and keepalive options, which belong to that exchange only.
 */
void
cache_store(const uint8_t *query, const struct dns_query_info *qi,
    const uint8_t *reply, size_t len, const struct dns_summary *sum)
{
	store(query, qi, reply, len, sum, 0);
}

/*
 * A copy of the answer the holder of a question sent (relay.h): served
 * here until it expires, never refreshed here, bounded apart from the
 * held answers (copies_trim()).  It saves the holder a question per hit
 * over TCP.
 */
void
cache_store_copy(const uint8_t *query, const struct dns_query_info *qi,
    const uint8_t *reply, size_t len, const struct dns_summary *sum)
{
	store(query, qi, reply, len, sum, 1);
}

static void
store(const uint8_t *query, const struct dns_query_info *qi,
    const uint8_t *reply, size_t len, const struct dns_summary *sum, int copy)
{
	static uint8_t		 r[DNS_MAX_MSG];
	struct dns_query_info	 sqi;
	struct centry		*e, *old, **link;
	uint16_t		*offs;
	uint8_t			 key[KEY_MAX];
	uint64_t		 h;
	size_t			 keylen, koff, size, n;
	int			 i;

	if (c.max == 0 || sum->ttl == 0 || len > sizeof(r) ||
	    (keylen = cache_key(query, qi, key)) == 0)
		return;
	/*
	 * Strip the exchange's own options first, in a scratch copy, so
	 * the entry is allocated at its final size: padded replies would
	 * otherwise cost a padding block each.
	 */
	memcpy(r, reply, len);
	sqi = *qi;
	sqi.has_opt = 1;
	sqi.client_padding = 0;
	if ((n = dns_fix_summarized(r, len, sum, &sqi)) == 0)
		return;
	koff = (keylen + 1) & ~(size_t)1;
	size = sizeof(*e) + koff + sum->nttl * sizeof(uint16_t) + n;
	if ((e = malloc(size)) == NULL)
		return;
	memcpy(e->data, key, keylen);
	/* the TTLs of records after the OPT moved down by what it lost */
	offs = (uint16_t *)(e->data + koff);
	for (i = 0; i < sum->nttl; i++)
		offs[i] = sum->ttl_off[i] - (sum->opt_off != 0 &&
		    sum->ttl_off[i] > sum->opt_off ? len - n : 0);
	memcpy(e->data + koff + sum->nttl * sizeof(uint16_t), r, n);
	e->keylen = keylen;
	e->len = n;
	e->nttl = sum->nttl;
	e->size = size;
	e->ttl = sum->ttl < c.min_ttl ? c.min_ttl : sum->ttl;
	if (e->ttl > c.max_ttl)
		e->ttl = c.max_ttl;
	e->stored = now_ms();
	e->hits = 0;
	e->prefetching = 0;
	e->copy = copy;
	h = cache_hash(key, keylen);
	e->hash = h;
	if ((old = find(key, keylen, h, &link)) != NULL)
		unlink_entry(old);
	e->next = c.buckets[h & c.mask];
	c.buckets[h & c.mask] = e;
	c.bytes += size;
	if (copy) {
		TAILQ_INSERT_TAIL(&c.clru, e, lru);
		c.ccount++;
		c.cbytes += size;
		copies_trim();
		return;
	}
	TAILQ_INSERT_TAIL(&c.lru, e, lru);
	c.count++;
	c.stores++;
	while (cache_full() && (old = TAILQ_FIRST(&c.lru)) != e) {
		unlink_entry(old);
		c.evictions++;
	}
	(void)clientshm_held(c.count);
}

/*
 * `cache size' is for the host.  Every engine caches the questions it
 * holds (relay.h), which are spread unevenly: 4,000 names over 4
 * engines are not 1,000 each, and an engine held to exactly its share
 * would evict, and with names asked in turn miss, every name over it.
 * So an engine holds up to its share unconditionally and more while the
 * host as a whole (the counts in the shared table) has room.  Without
 * the table, the share is the bound.
 */
static int
cache_full(void)
{
	if (c.count > c.max || c.bytes - c.cbytes > c.maxbytes)
		return (1);
	if (c.count <= c.share)
		return (0);
	if (clientshm_held(c.count) == -1)
		return (1);
	return (clientshm_held_total(c.max) > c.max);
}

/*
 * Copies are bounded apart: an eighth of the engine's share, on top of
 * the answers the engines hold, so at most an eighth more answers for
 * the host whatever the number of engines.  Within `cache size' they
 * would have to give way to held answers, and a busy cache is full:
 * they would never be kept, and every TCP hit for a question another
 * engine holds would cross between engines.
 */
static void
copies_trim(void)
{
	struct centry	*e;
	size_t		 max = c.share / COPY_SHARE > 0 ? c.share / COPY_SHARE : 1;

	while ((e = TAILQ_FIRST(&c.clru)) != NULL &&
	    (c.ccount > max || c.cbytes > max * BYTES_PER_ENTRY))
		unlink_entry(e);
}

/* engines share `cache size': this engine's part of it */
void
cache_set_share(int share)
{
	c.share = share;
}

static size_t
flush_list(struct centry_list *l, const uint8_t *name, size_t namelen)
{
	struct centry	*e, *next;
	size_t		 n = 0;

	for (e = TAILQ_FIRST(l); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (namelen == 0 || (e->keylen > namelen &&
		    memcmp(e->data, name, namelen) == 0)) {
			unlink_entry(e);
			n++;
		}
	}
	return (n);
}

/*
 * Drops every entry, or every entry for one name (lower-case wire
 * format, root label included: a key starts with exactly that).  Returns
 * how many went.  Walks the whole LRU list: an operator's command, not
 * the hot path.
 */
size_t
cache_flush(const uint8_t *name, size_t namelen)
{
	if (c.max == 0)
		return (0);
	return (flush_list(&c.lru, name, namelen) +
	    flush_list(&c.clru, name, namelen));
}

void
cache_counters(uint64_t *entries, uint64_t *bytes, uint64_t *hits,
    uint64_t *misses)
{
	*entries = c.count + c.ccount;
	*bytes = c.bytes;
	*hits = c.hits;
	*misses = c.misses;
}

void
cache_log_stats(void)
{
	if (c.max == 0)
		return;
	log_debug("cache: %zu entries, %zu bytes, hits %llu misses %llu "
	    "stale %llu stores %llu evictions %llu", c.count, c.bytes,
	    (unsigned long long)c.hits, (unsigned long long)c.misses,
	    (unsigned long long)c.stale, (unsigned long long)c.stores,
	    (unsigned long long)c.evictions);
}
