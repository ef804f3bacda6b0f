/* clientshm.c: the per-client counts, rate-limit buckets and holders' directory all engines share, in one sealed memfd the parent makes at start-up; the parent only hands it out and releases a dead engine's share, and no answer ever depends on it. */
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
 * Why a shared table.  The kernel spreads one client over every engine
 * (SO_REUSEPORT hashes UDP by the 4-tuple, so each source port may land
 * elsewhere, and TCP connections likewise), so a limit each engine kept
 * alone let a client have `engines` times each.  Engines never talk to
 * each other and the parent must not parse network input, so the counts
 * live in memory all engines map: one memfd, made by the parent at
 * start-up (before its filter, which has no F_ADD_SEALS), sized from
 * the configuration's maxima, sealed against shrinking and growing so
 * that no engine can cut it under another (a SIGBUS), and handed to
 * each engine with its configuration.  Engines update it with atomic
 * operations only: no lock a dying engine could leave held.
 *
 * What it holds, all integers, no pointers:
 *  - counts: a bucket per (address, kind), kind being TCP connections or
 *    queries in flight.  A bucket is one 64-bit word, the upper half a
 *    fingerprint of the keyed hash of address and kind, the lower half
 *    the units held by all engines.  An address may sit in any of
 *    CSHM_WAYS buckets from its hash; a bucket whose count is zero is
 *    free and is claimed by compare-and-swap.  Sized at four times the
 *    units the engines may hold, so spoofed sources cannot fill it.
 *  - the rate-limit buckets (ratelimit.c): a tag and a state word each.
 *  - the holders' directory (inbox.c): which engine fetched, and so
 *    caches, each question, a word per hash (a tag and an engine place),
 *    four per answer of `cache size'; a hint only, see inbox_holder().
 *  - columns: one per engine running, in which it journals what it
 *    holds (bucket and units, one word per charge record), written
 *    before it takes a unit and after it gives one back.  The engine
 *    only writes its column; the parent reads it once the engine is
 *    dead and reaped, subtracts what it held and frees the column for
 *    a new engine.  So a crash leaks nothing (at worst one unit the
 *    other way: a limit a little loose, never stuck), and a reload,
 *    old and new engines side by side, needs nothing special: each
 *    engine has its own column and both generations count into the same
 *    buckets, each checking its own configuration's limit.
 *
 * What it must never do: decide an answer.  Any engine can write any
 * bytes here, so what is read from it only decides admission (a limit
 * a little off), every index is masked or checked against sizes that
 * came from the parent, never from the table, every loop is bounded,
 * and each engine keeps a private copy of its own charge records, so
 * garbage in the table costs at most wrong counts.
 *
 * Sizes are fixed at start-up: a reload that raises `engines` or the
 * maxima keeps the start-up table.  An engine that finds no column left
 * (more engines than the table was made for) or no free bucket for an
 * address counts those clients in itself alone, as before, and says so.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientshm.h"
#include "config.h"
#include "ipc.h"
#include "log.h"
#include "siphash.h"

#define CSHM_WAYS	16	/* buckets an address may use: two lines */
#define CSHM_TRIES	8	/* lost races before a query is refused */
#define CSHM_BUCKETS_MIN 1024
#define CSHM_BUCKETS_MAX (1U << 24)
#define CSHM_RL_MAX	(1U << 22)
#define CSHM_SLOTS_MAX	(2 * 256 + 2)	/* two generations of 256 */
#define CSHM_CHARGES_MAX (1048576 + 65535)
#define CSHM_HOLDERS_MIN 4096
#define CSHM_HOLDERS_MAX (1U << 22)
#define CSHM_LINE	64
#define CSHM_PAGE	4096

#define W_FP(w)		((uint32_t)((w) >> 32))
#define W_N(w)		((uint32_t)(w))
#define W_MAKE(fp, n)	((uint64_t)(fp) << 32 | (n))

static struct {
	uint8_t		*base;
	uint64_t	 size;
	uint64_t	 key[2];
	uint32_t	 nbuckets, nrl, nslots, ncharges, nholders;
	size_t		 stride;	/* words from one column to the next */
	uint64_t	*counts;
	uint64_t	*rl;		/* pairs: tag, state */
	uint64_t	*cols;
	uint64_t	*held;		/* per column: answers cached */
	uint64_t	*holders;	/* which engine holds a question */
	/* the parent */
	int		 fd;
	pid_t		*holder;	/* per column: its engine, or 0 */
	/* an engine: its column, written only, and the private copy */
	int		 attached;
	uint64_t	*col;
	uint32_t	 col_index;
	uint32_t	*cbucket;
	uint32_t	*cn;
	uint32_t	*cfree;
	uint32_t	 nfree;
} cs = { .fd = -1 };

static uint64_t	 page(uint64_t);
static uint64_t	 cshm_layout(void);
static void	 cshm_map(int);
static void	 unit_sub(uint32_t, uint32_t);
static uint32_t	 charge_rec(uint32_t *, uint32_t);
static void	 charge(uint32_t, int);
static void	 uncharge(uint32_t *, uint32_t);

static uint64_t
page(uint64_t n)
{
	return ((n + CSHM_PAGE - 1) & ~(uint64_t)(CSHM_PAGE - 1));
}

/* Each region's place from the four sizes; the whole size. */
static uint64_t
cshm_layout(void)
{
	uint64_t	off, rloff, coloff, heldoff, holdoff;

	cs.stride = ((uint64_t)cs.ncharges * 8 + CSHM_LINE - 1) /
	    CSHM_LINE * CSHM_LINE / 8;
	rloff = page((uint64_t)cs.nbuckets * 8);
	coloff = rloff + page((uint64_t)cs.nrl * 16);
	heldoff = coloff + page((uint64_t)cs.nslots * cs.stride * 8);
	holdoff = heldoff + page((uint64_t)cs.nslots * 8);
	off = holdoff + page((uint64_t)cs.nholders * 8);
	if (cs.base != NULL) {
		cs.counts = (uint64_t *)cs.base;
		cs.rl = (uint64_t *)(cs.base + rloff);
		cs.cols = (uint64_t *)(cs.base + coloff);
		cs.held = (uint64_t *)(cs.base + heldoff);
		cs.holders = (uint64_t *)(cs.base + holdoff);
	}
	return (off);
}

static void
cshm_map(int fd)
{
	cs.base = mmap(NULL, cs.size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (cs.base == MAP_FAILED) {
		cs.base = NULL;
		return;
	}
	(void)cshm_layout();
}

/*
 * The parent, at start-up: the table for the configuration's maxima.
 * Returns -1 (engines then count alone) if the system has no memfd.
 */
int
clientshm_create(const struct conf_scalars *sc)
{
	uint64_t	units, n;
	uint32_t	e = sc->engines > 0 ? sc->engines : 1;
	int		fd;

	units = (uint64_t)sc->max_queries + sc->tcp_max_conn;
	cs.ncharges = units < CSHM_CHARGES_MAX ? units : CSHM_CHARGES_MAX;
	cs.nslots = 2 * e + 2 < CSHM_SLOTS_MAX ? 2 * e + 2 : CSHM_SLOTS_MAX;
	for (n = CSHM_BUCKETS_MIN; n < 4 * units * e && n < CSHM_BUCKETS_MAX;)
		n <<= 1;
	cs.nbuckets = n;
	n = (uint64_t)sc->rate_limit_table * e;
	cs.nrl = n < CSHM_RL_MAX ? n : CSHM_RL_MAX;
	if (cs.nrl == 0)
		cs.nrl = 1;
	for (n = CSHM_HOLDERS_MIN; n < 4 * (uint64_t)sc->cache_size &&
	    n < CSHM_HOLDERS_MAX;)
		n <<= 1;
	cs.nholders = n;
	cs.size = cshm_layout();
	arc4random_buf(cs.key, sizeof(cs.key));
	if ((cs.holder = calloc(cs.nslots, sizeof(*cs.holder))) == NULL)
		fatal(NULL);
	if ((fd = memfd_create("dotproxy-clients", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) != -1 && ftruncate(fd, cs.size) == 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == 0)
		cshm_map(fd);
	if (cs.base == NULL) {
		log_warn("shared client table: per-client limits hold per "
		    "engine, and each engine fetches its own TCP misses");
		if (fd != -1)
			close(fd);
		cs.nslots = 0;
		return (-1);
	}
	cs.fd = fd;
	log_debug("shared client table: %u buckets, %u rate-limit buckets, "
	    "%u columns of %u, %llu octets", cs.nbuckets, cs.nrl, cs.nslots,
	    cs.ncharges, (unsigned long long)cs.size);
	return (0);
}

/*
 * A free column for the engine pid; the memfd to send with m, or -1 if
 * there is no table.  Without a column it counts its clients alone.
 */
int
clientshm_assign(pid_t pid, struct ipc_clientshm *m)
{
	uint32_t	i;

	if (cs.fd == -1)
		return (-1);
	memset(m, 0, sizeof(*m));
	memcpy(m->key, cs.key, sizeof(m->key));
	m->size = cs.size;
	m->nbuckets = cs.nbuckets;
	m->nrl = cs.nrl;
	m->nslots = cs.nslots;
	m->ncharges = cs.ncharges;
	m->nholders = cs.nholders;
	m->slot = CSHM_NONE;
	for (i = 0; i < cs.nslots; i++)
		if (cs.holder[i] == 0) {
			cs.holder[i] = pid;
			m->slot = i;
			break;
		}
	if (m->slot == CSHM_NONE)
		log_warnx("shared client table: no column left for engine "
		    "pid %d, it counts its clients alone", (int)pid);
	return (cs.fd);
}

/* With the configuration: the table, right after the scalars. */
void
clientshm_send(struct ipc *ipc, pid_t pid)
{
	struct ipc_clientshm	m;
	int			fd;

	if ((fd = clientshm_assign(pid, &m)) == -1)
		return;
	if (ipc_compose(ipc, IPC_RECONF_CLIENTSHM, fd, &m, sizeof(m)) == -1)
		fatal("ipc_compose");
}

/* Takes up to n units off bucket b, never below zero. */
static void
unit_sub(uint32_t b, uint32_t n)
{
	uint64_t	w;
	uint32_t	k;

	if (b >= cs.nbuckets)
		return;
	w = __atomic_load_n(&cs.counts[b], __ATOMIC_RELAXED);
	do {
		k = W_N(w) < n ? W_N(w) : n;
	} while (k != 0 && !__atomic_compare_exchange_n(&cs.counts[b], &w,
	    w - k, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
}

/*
 * The engine pid is dead and reaped: what its column says it held goes
 * back, and the column is free.  Only integers are read, each bucket
 * index checked; a lying column costs wrong counts, nothing else.
 */
void
clientshm_release(pid_t pid)
{
	uint64_t	*col, v;
	uint32_t	 s, i;

	for (s = 0; s < cs.nslots; s++)
		if (cs.holder[s] == pid)
			break;
	if (s == cs.nslots || pid == 0)
		return;
	col = cs.cols + s * cs.stride;
	for (i = 0; i < cs.ncharges; i++) {
		if ((v = __atomic_load_n(&col[i], __ATOMIC_RELAXED)) == 0)
			continue;
		unit_sub(v >> 32, (uint32_t)v);
		__atomic_store_n(&col[i], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&cs.held[s], 0, __ATOMIC_RELAXED);
	cs.holder[s] = 0;
}

/*
 * An engine, before its sandbox: the table the parent sent.  The parent
 * is trusted, yet its sizes are checked: a mismatch means the two sides
 * disagree and nothing after can be believed.  The seals are what keeps
 * another engine from shrinking the file under this one.
 */
void
clientshm_attach(int fd, const void *data, size_t len)
{
	struct ipc_clientshm	m;
	struct stat		st;
	int			seals, want = F_SEAL_SHRINK | F_SEAL_SEAL;
	uint32_t		i;

	if (len != sizeof(m) || cs.attached)
		fatalx("bad IPC_RECONF_CLIENTSHM");
	cs.attached = 1;
	memcpy(&m, data, sizeof(m));
	if (m.nbuckets < CSHM_BUCKETS_MIN || m.nbuckets > CSHM_BUCKETS_MAX ||
	    (m.nbuckets & (m.nbuckets - 1)) != 0 || m.nrl < 1 ||
	    m.nrl > CSHM_RL_MAX || m.nslots < 1 ||
	    m.nslots > CSHM_SLOTS_MAX || m.ncharges < 1 ||
	    m.ncharges > CSHM_CHARGES_MAX ||
	    m.nholders < CSHM_HOLDERS_MIN || m.nholders > CSHM_HOLDERS_MAX ||
	    (m.nholders & (m.nholders - 1)) != 0 ||
	    (m.slot != CSHM_NONE && m.slot >= m.nslots))
		fatalx("bad shared client table");
	memcpy(cs.key, m.key, sizeof(cs.key));
	cs.nbuckets = m.nbuckets;
	cs.nrl = m.nrl;
	cs.nslots = m.nslots;
	cs.ncharges = m.ncharges;
	cs.nholders = m.nholders;
	cs.size = m.size;
	if (cshm_layout() != m.size || fstat(fd, &st) == -1 ||
	    (uint64_t)st.st_size < m.size ||
	    (seals = fcntl(fd, F_GET_SEALS)) == -1 || (seals & want) != want)
		fatalx("shared client table: not a sealed memfd of its size");
	cshm_map(fd);
	if (cs.base == NULL)
		fatal("mmap shared client table");
	close(fd);
	if (m.slot == CSHM_NONE)
		return;
	cs.col = cs.cols + m.slot * cs.stride;
	cs.col_index = m.slot;
	if ((cs.cbucket = calloc(cs.ncharges, sizeof(*cs.cbucket))) == NULL ||
	    (cs.cn = calloc(cs.ncharges, sizeof(*cs.cn))) == NULL ||
	    (cs.cfree = calloc(cs.ncharges, sizeof(*cs.cfree))) == NULL)
		fatal(NULL);
	for (i = 0; i < cs.ncharges; i++)
		cs.cfree[i] = cs.ncharges - 1 - i;
	cs.nfree = cs.ncharges;
}

/*
 * The answers this engine caches for the questions it holds, in its
 * column's word: `cache size' is for the host, so each engine weighs its
 * own against all of them (cache.c).  Copies of other engines' answers
 * are bounded apart and not counted here.  -1 without a column.
 */
int
clientshm_held(uint64_t n)
{
	if (cs.col == NULL)
		return (-1);
	__atomic_store_n(&cs.held[cs.col_index], n, __ATOMIC_RELAXED);
	return (0);
}

/*
 * The answers every engine caches.  Any engine can write any word here:
 * each is taken at most as `max' (what one engine may hold), so that a
 * wrong word costs evictions, never memory, and no answer.
 */
uint64_t
clientshm_held_total(uint64_t max)
{
	uint64_t	t = 0, v;
	uint32_t	i;

	for (i = 0; i < cs.nslots; i++) {
		v = __atomic_load_n(&cs.held[i], __ATOMIC_RELAXED);
		t += v < max ? v : max;
	}
	return (t);
}

/* The keyed hash's key every engine uses, or NULL if none is shared. */
const uint64_t *
clientshm_key(void)
{
	return (cs.attached ? cs.key : NULL);
}

/* The directory of who holds a question (inbox.c), *n words, or NULL. */
uint64_t *
clientshm_holders(uint32_t *n)
{
	*n = cs.nholders;
	return (cs.attached ? cs.holders : NULL);
}

/* The shared rate-limit buckets, *n of them, or NULL. */
uint64_t *
clientshm_rl(size_t *n)
{
	*n = cs.nrl;
	return (cs.attached ? cs.rl : NULL);
}

/* The record of rec[] that charges bucket b, a new one, or CSHM_NONE. */
static uint32_t
charge_rec(uint32_t *rec, uint32_t b)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (rec[i] != CSHM_NONE && cs.cbucket[rec[i]] == b)
			return (rec[i]);
	for (i = 0; i < 2; i++)
		if (rec[i] == CSHM_NONE) {
			if (cs.nfree == 0)
				return (CSHM_NONE);
			rec[i] = cs.cfree[--cs.nfree];
			cs.cbucket[rec[i]] = b;
			cs.cn[rec[i]] = 0;
			return (rec[i]);
		}
	return (CSHM_NONE);
}

/* The record's units change by d, in the copy and in the column. */
static void
charge(uint32_t r, int d)
{
	cs.cn[r] += d;
	__atomic_store_n(&cs.col[r], (uint64_t)cs.cbucket[r] << 32 | cs.cn[r],
	    __ATOMIC_RELAXED);
}

/* One unit of record r less; at zero the record is free again. */
static void
uncharge(uint32_t *rec, uint32_t r)
{
	charge(r, -1);
	if (cs.cn[r] != 0)
		return;
	cs.cfree[cs.nfree++] = r;
	if (rec[0] == r) {
		rec[0] = rec[1];
		rec[1] = CSHM_NONE;
	} else if (rec[1] == r)
		rec[1] = CSHM_NONE;
}

/*
 * One unit of kind for the address (af, addr[16]) against limit, in all
 * engines together.  rec[2] holds this engine's charge records for it:
 * one, or two while a race left the address in two buckets (the older
 * then only drains, as every take goes to the first match).  Returns
 * CSHM_OK, CSHM_OVER, or CSHM_NOROOM when the unit could not be counted
 * here and the caller's own count is all there is.
 */
int
clientshm_take(int kind, const uint8_t *addr, int af, uint32_t limit,
    uint32_t *rec)
{
	uint64_t	h, w, fw = 0;
	uint32_t	fp, start, b, fb, i, r, t, mask = cs.nbuckets - 1;
	uint8_t		k[18];

	if (cs.col == NULL)
		return (CSHM_NOROOM);
	memcpy(k, addr, 16);
	k[16] = af;
	k[17] = kind;
	h = siphash24(cs.key, k, sizeof(k));
	fp = h >> 32;
	start = (uint32_t)h & mask;
	for (t = 0; t < CSHM_TRIES; t++) {
		fb = CSHM_NONE;
		for (i = 0; i < CSHM_WAYS; i++) {
			b = (start + i) & mask;
			w = __atomic_load_n(&cs.counts[b], __ATOMIC_ACQUIRE);
			if (W_N(w) != 0 && W_FP(w) == fp)
				break;
			if (W_N(w) == 0 && fb == CSHM_NONE) {
				fb = b;
				fw = w;
			}
		}
		if (i < CSHM_WAYS) {
			/* found: add, and take it back if that was one too many */
			if (W_N(w) >= limit)
				return (CSHM_OVER);
			if ((r = charge_rec(rec, b)) == CSHM_NONE)
				return (CSHM_NOROOM);
			charge(r, 1);
			w = __atomic_fetch_add(&cs.counts[b], 1,
			    __ATOMIC_SEQ_CST);
			if (W_FP(w) == fp && W_N(w) != 0 && W_N(w) < limit)
				return (CSHM_OK);
			unit_sub(b, 1);
			uncharge(rec, r);
			if (W_FP(w) == fp && W_N(w) >= limit)
				return (CSHM_OVER);
			continue;	/* it went free meanwhile */
		}
		if (fb == CSHM_NONE)
			return (CSHM_NOROOM);
		if ((r = charge_rec(rec, fb)) == CSHM_NONE)
			return (CSHM_NOROOM);
		charge(r, 1);
		if (!__atomic_compare_exchange_n(&cs.counts[fb], &fw,
		    W_MAKE(fp, 1), 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
			uncharge(rec, r);
			continue;
		}
		/*
		 * Another engine may have claimed another bucket for the
		 * same address in the same instant: whichever of the two
		 * sees the other gives way (at least one does) and looks
		 * again.
		 */
		for (i = 0; i < CSHM_WAYS; i++) {
			b = (start + i) & mask;
			w = __atomic_load_n(&cs.counts[b], __ATOMIC_SEQ_CST);
			if (b != fb && W_N(w) != 0 && W_FP(w) == fp)
				break;
		}
		if (i == CSHM_WAYS)
			return (CSHM_OK);
		unit_sub(fb, 1);
		uncharge(rec, r);
	}
	return (CSHM_OVER);
}

/*
 * One unit given back, from the older record first: a second one is
 * made only when takes moved to another bucket, so the older drains.
 */
void
clientshm_put(uint32_t *rec)
{
	if (cs.col == NULL || rec[0] == CSHM_NONE)
		return;
	unit_sub(cs.cbucket[rec[0]], 1);
	uncharge(rec, rec[0]);
}
