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
 * dotserver: a DNS-over-TLS upstream for the regress tests.
 *
 * One process, one libevent loop, any number of TLS connections, each
 * carrying any number of pipelined, length-framed queries.  Answers are
 * deterministic and may be delayed or deliberately broken, per query
 * (by the first label of the name) or for every query (-m), so that the
 * tests can drive the proxy through each of its upstream failure paths.
 * The log file (-L) is how a test sees what reached the upstream.
 *
 * Answers by default: A 192.0.2.1, AAAA 2001:db8::1, TXT "dotserver",
 * all with TTL 300; any other type gets NOERROR with no records at all.
 * The reply's flags echo the query's opcode, RD and CD; a query with an
 * OPT gets one back (DO echoed, padded to 468 octets when the query was
 * padded, edns-tcp-keepalive with -K).
 *
 * Name rules (-N turns them off), on the first label, case-insensitive.
 * "slow" matches slow, slow-anything and slow2..., not slower:
 *
 *	slow		answer 2000 ms later (on top of -d)
 *	close		send half the reply, then close the connection
 *	wrongid		reply with the ID plus one
 *	wrongq		reply with another question
 *	garbage		reply with random bytes behind the right ID
 *	noqr		the normal reply with QR=0
 *	shortlen	the normal reply framed 3 octets short, so its tail
 *			is read as the next frame's length
 *	longlen		the normal reply framed 100 octets long; the rest
 *			never comes (until later replies fill it up)
 *	badptr		the first answer's owner is a pointer to itself
 *	silent		never reply
 *	drop		close the connection without a reply
 *	servfail	SERVFAIL, no records
 *	big, huge	a 4000- or 16000-octet answer of distinct records
 *	nxnosoa		NXDOMAIN, no records at all (nothing to cache it by)
 *	nodatanosoa	NOERROR, no records at all (likewise)
 *	nodata		NOERROR, no answer; SOA of the parent in authority with
 *			TTL 3 and MINIMUM 60: RFC 2308 negative TTL 3 s
 *	serial		the answer's rdata changes with every query received:
 *			A 198.51.100.S, AAAA 2001:db8::100:S (S in hex there),
 *			TXT "serial S", where S = (serial - 1) % 250 + 1 and the
 *			serial counts every query this server has received,
 *			this one included; a cached answer keeps an old S
 *	ttlN		like serial, with TTL N (0 to 2^31 - 1) on the answer;
 *			"ttl" without digits keeps TTL 300
 *	tc		the normal answer, with TC=1
 *	ecs		like serial, and the reply's OPT carries the client
 *			subnet 203.0.113.0/24 (scope 24) even when the query
 *			had none; a query's own subnet is always echoed back
 *			with the scope set to its source prefix
 *	aa		like serial, with AA=1 and AD=1, as from an
 *			authoritative server that validated its data
 *	dup		the normal reply, sent twice
 *	trail		the normal reply with 8 random octets after the
 *			message, inside its frame (the length covers them)
 *	orphan		first a reply to the ID plus one (a query never
 *			asked, same question), then the normal reply
 *	dribble		the normal reply written 1 to 3 octets at a time,
 *			each piece a tls_write, so a TLS record, of its own,
 *			about 1 ms apart; later replies wait behind it
 *	fin, rst, alert, notify
 *			the normal reply, and once it is written the
 *			connection ends that way (below)
 *	glue		a referral-like answer for truncation tests, whatever
 *			the type: A 192.0.2.1 and 192.0.2.2; in authority NS
 *			ns1.<name>; in additional ns1..ns30.<name>, each with
 *			A 198.51.100.i and 198.51.100.(100 + i), owners a label
 *			and a pointer to the question's name; all TTL 300, the
 *			OPT last; 1327 octets for glue.example.test, no OPT
 *	once-RULE	RULE (any of the above, e.g. once-garbage, once-fin)
 *			for the first query for this exact name, any case,
 *			that the process receives; the normal answer for the
 *			later ones.  The first 4096 such names are remembered;
 *			once that is full a new name gets the normal answer
 *	*nx*		any other first label containing "nx", and any name
 *			strictly below nx.test: NXDOMAIN, in authority the SOA
 *			of the parent (of nx.test for the names below it) with
 *			TTL 60 and MINIMUM 3: RFC 2308 negative TTL 3 s
 *
 * Ending a connection: when the server decides to (-I, -x and the fin,
 * rst, alert and notify rules; not close, drop or -m close, which keep
 * their tls_close), -E lists the ways it may do so, comma-separated, and
 * each end draws one at random (a way listed twice weighs double; notify
 * alone without -E).  Input not yet read is drained first, since close(2)
 * with unread data sends RST whatever the way; a peer still sending after
 * the end gets RST anyway.  What a libtls client on OpenSSL 3 sees, in
 * every case after reading whatever was sent before the end:
 *
 *	notify	close_notify then FIN: tls_read returns 0
 *	fin	FIN alone: tls_read -1, "read failed: ... unexpected eof
 *		while reading"
 *	rst	SO_LINGER 0 then close(2), so RST: tls_read -1, "read failed:
 *		Connection reset by peer" (tls_close then fails with EPIPE)
 *	alert	the bytes 15 03 03 00 02 02 50, a fatal internal_error alert
 *		record in the clear, written behind libtls's back, then FIN.
 *		No client takes it for an alert: over TLS 1.3 tls_read says
 *		"read failed: ... bad record type"; over TLS 1.2 it is a
 *		record that fails to decrypt, "invalid aad" with AES-GCM,
 *		"invalid data" with ChaCha20, "length too short" with CBC
 *
 * -x min:max ends every connection (in one of the -E ways) a random
 * min..max ms after its handshake, busy or idle: replies not yet written
 * are lost.  Public resolvers close connections like that.
 *
 * -z KEY=PERCENT,... (PERCENT 0 to 100, one decimal allowed) misbehaves
 * at random, each key drawn on its own for every query that no name rule
 * (*nx* included) nor -m matches: drop never replies, dup sends the frame
 * twice, garble sends 12..500 random octets behind the right ID, delay
 * replies 1..500 ms later (so out of order), trail puts 1..16 random
 * octets after the message inside the frame, dribble writes the frame as
 * the dribble rule does.  drop wins; the others combine.
 *
 * -A selects no ALPN, as a server that predates RFC 7301 or ignores it;
 * otherwise "dot" is selected when the client offers it.
 *
 * -R writes each reply with a tls_write, so a TLS record, of its own, as
 * Unbound does, instead of all the replies ready in one.
 *
 * The log has one line per event: "conn alpn=dot|none" for each finished
 * handshake (none: the client offered no "dot", or -A),
 * "resumed" when it resumed a session, "idle close" (-I), "lifetime
 * close" (-x), then "end WAY" (WAY as in -E) for every end the server
 * chose, "delay N" (SIGUSR1 with -D), "z id=ID name=NAME KEYS" for a query
 * -z misbehaved on (KEYS: drop, or any of dup, garble, delay=MS, trail=N,
 * dribble), and for every query
 *	query len=N id=ID name=NAME type=TYPE padded=0|1[ keepalive][ do][ cd]
 *	    [ cookie][ ecs=ADDR/SOURCE] flags=0xXXXX
 * with "do" when the query's OPT had the DO bit, "cd" for the CD bit,
 * "cookie" when the OPT carried a COOKIE option, ecs its client subnet
 * (RFC 7871; "bad" for one that does not parse) and flags the header's
 * flags word as received, 4 lowercase hex digits.  With -u each query
 * line ends in " proto=udp" or " proto=tcp".
 *
 * -u: plain DNS instead, as a cleartext upstream (a cluster DNS) speaks
 * it: UDP and TCP on the same port, no TLS (-c and -k not needed), the
 * same answers and name rules over TCP, except that tc answers in full
 * there.  Over UDP, tc answers with the header and question alone and
 * TC=1, as a server does when the answer does not fit; wrongid, wrongq,
 * garbage and orphan send their bad reply and then the normal one, as a
 * forger racing the server would; -d and slow do not delay UDP answers.
 * A TCP connection logs "conn" when accepted.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#define MAX_MSG		65535		/* the 2-byte length limit */
#define FRAME_MAX	(2 + MAX_MSG)
#define IN_INIT		4096
#define OUT_HIGHWATER	(1024 * 1024)	/* stop reading above this */
#define SLOW_MS		2000
#define BIG_SIZE	4000
#define HUGE_SIZE	16000		/* stays below 16384 once padded */
#define PAD_BLOCK	468		/* RFC 8467 response block size */
#define EDNS_SIZE	1232
#define SESSION_LIFE	3600
#define DEFAULT_TTL	300		/* of every answer record */
#define SERIAL_MOD	250		/* serial rdata: 1..250, then again */
#define GARBLE_MAX	500		/* -z garble: 12..500 octets */
#define ZDELAY_MAX	500		/* -z delay: 1..500 ms */
#define ZTRAIL_MAX	16		/* -z trail: 1..16 octets */
#define TRAIL_LEN	8		/* the trail rule's octets */
#define DRIP_MAX	3		/* dribble: 1..3 octets a record */
#define DRIP_US		1000		/* ... about 1 ms apart */
#define GLUE_NS		30		/* glue: ns1..ns30, two A each */
#define ONCE_MAX	4096		/* once-: names remembered */
#define ONCE_SLOTS	8192		/* a power of two, twice ONCE_MAX */
#define WAYS_MAX	16		/* -E: ways listed, repeats weigh */
#define DRAIN_MAX	(1024 * 1024)	/* unread input thrown away at end */

/*
 * RFC 2308: a negative answer may be cached for min(SOA TTL, SOA MINIMUM).
 * nx and nodata each put the smaller value in a different field, so that
 * a cache using only one of the two keeps one of them for a minute.
 */
#define NX_SOA_TTL	60
#define NX_SOA_MIN	3		/* nx: negative TTL 3 s */
#define NODATA_SOA_TTL	3
#define NODATA_SOA_MIN	60		/* nodata: negative TTL 3 s */

#define HDR_LEN		12
#define FLAG_QR		0x8000
#define FLAG_OPCODE	0x7800
#define FLAG_AA		0x0400
#define FLAG_TC		0x0200
#define FLAG_RD		0x0100
#define FLAG_RA		0x0080
#define FLAG_AD		0x0020
#define FLAG_CD		0x0010

#define T_A		1
#define T_NS		2
#define T_SOA		6
#define T_TXT		16
#define T_AAAA		28
#define T_OPT		41
#define OPT_KEEPALIVE	11
#define OPT_PADDING	12
#define OPT_COOKIE	10
#define OPT_ECS		8		/* RFC 7871 client subnet */
#define ECS_FIXED	4		/* family, source and scope prefix */

#define RCODE_NOERROR	0
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3

enum action {
	ACT_ANSWER,
	ACT_CLOSEMID,
	ACT_WRONGID,
	ACT_WRONGQ,
	ACT_GARBAGE,
	ACT_CLOSE,
	ACT_SILENT,
	ACT_NOHANDSHAKE,
	ACT_NOQR,
	ACT_SHORTLEN,
	ACT_LONGLEN,
	ACT_BADPTR,
	ACT_GARBLE	/* -z garble: garbage of 12..500 octets */
};

enum content {
	C_NORMAL,
	C_SERVFAIL,
	C_NX,		/* NXDOMAIN, the zone's SOA in authority */
	C_NXNOSOA,	/* NXDOMAIN, empty authority */
	C_NODATA,	/* NOERROR, no answer, the zone's SOA in authority */
	C_NODATANOSOA,	/* NOERROR, nothing in any section */
	C_BIG,
	C_HUGE,
	C_GLUE		/* a referral-like answer with 60 glue records */
};

/* How the server ends a connection it decides to end (-E). */
enum endway {
	END_NOTIFY,	/* close_notify, then close(2) */
	END_FIN,	/* close(2) alone: a bare FIN */
	END_RST,	/* SO_LINGER 0, then close(2): RST */
	END_ALERT	/* a raw fatal alert record, then close(2) */
};

/* What becomes of a connection once its output has all been written. */
#define AFTER_KEEP	0
#define AFTER_CLOSE	1		/* conn_close(), as close-mid does */
#define AFTER_END	2		/* + enum endway: conn_end() that way */

/* -z: the per-query misbehaviours, each drawn on its own. */
enum zkey {
	Z_DROP,
	Z_DUP,
	Z_GARBLE,
	Z_DELAY,
	Z_TRAIL,
	Z_DRIBBLE,
	Z_NKEYS
};

/* How one query is answered: -d, -m and the name rules together. */
struct rule {
	enum action	 act;
	enum content	 content;
	int		 delay;		/* ms before the reply is sent */
	size_t		 zone;		/* SOA owner's offset: nx, nodata */
	uint32_t	 ttl;		/* of the answer records */
	int		 serial;	/* rdata carries the query serial */
	int		 tc;		/* reply with TC=1 */
	int		 aa;		/* reply with AA=1 and AD=1 */
	int		 dup;		/* the reply frame twice */
	int		 orphan;	/* first a reply to ID + 1 */
	size_t		 trail;		/* random octets after the message */
	int		 dribble;	/* 1 to 3 octets per TLS record */
	int		 after;		/* AFTER_*: once the reply is written */
	int		 ecs;		/* an ECS in the reply, asked or not */
};

enum state {
	ST_HANDSHAKE,
	ST_OPEN,
	ST_RAW		/* -m no-handshake: TCP only, TLS never starts */
};

struct conn;

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	struct conn		*conn;
	struct event		*ev;
	uint8_t			*buf;
	size_t			 len;
	int			 dribble;
	int			 closeafter;	/* AFTER_* */
};

/* Octets [start, end) of a connection's out are to be dribbled. */
struct region {
	TAILQ_ENTRY(region)	 entry;
	size_t			 start;
	size_t			 end;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	int			 fd;
	enum state		 state;
	struct tls		*tls;
	struct event		*rd;
	struct event		*wr;
	uint8_t			*in;
	size_t			 inlen;
	size_t			 insize;
	uint8_t			*out;
	size_t			 outoff;
	size_t			 frameleft;	/* -R: of the reply being written */
	size_t			 outlen;
	size_t			 outsize;
	int			 closing;	/* AFTER_*, once out is sent */
	struct event		*idle;		/* -I: close when quiet */
	struct event		*life;		/* -x: end at a random time */
	struct event		*drip;		/* the pause after a piece */
	int			 dripping;	/* drip is pending */
	size_t			 piece;		/* octets of this piece */
	TAILQ_HEAD(, region)	 drips;		/* in out, in order */
	TAILQ_HEAD(, pending)	 pending;
};

struct query {
	const uint8_t	*msg;
	size_t		 len;
	uint16_t	 id;
	uint16_t	 flags;
	size_t		 qname_end;	/* offset just past the qname */
	size_t		 q_end;		/* offset just past the question */
	uint16_t	 qtype;
	uint16_t	 qclass;
	size_t		 label_off;	/* first label, 0 for the root */
	size_t		 label_len;
	int		 has_opt;
	int		 do_bit;
	int		 padded;
	int		 cookie;	/* carried a COOKIE option */
	uint32_t	 serial;	/* queries received so far, this one too */
	int		 keepalive;	/* asked with edns-tcp-keepalive */
	size_t		 ecs_off;	/* its ECS option's data, 0: none */
	size_t		 ecs_len;
	char		 ecs[INET6_ADDRSTRLEN + 4];	/* ADDR/SOURCE */
	const char	*proto;		/* -u: "udp" or "tcp"; else NULL */
	char		 name[4 * 255 + 2];
};

struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 overflow;
};

static const struct {
	const char	*name;
	enum action	 act;
} modes[] = {
	{ "none",		ACT_ANSWER },
	{ "close-mid",		ACT_CLOSEMID },
	{ "wrong-id",		ACT_WRONGID },
	{ "wrong-question",	ACT_WRONGQ },
	{ "garbage",		ACT_GARBAGE },
	{ "close",		ACT_CLOSE },
	{ "silent",		ACT_SILENT },
	{ "no-handshake",	ACT_NOHANDSHAKE },
	{ "no-qr",		ACT_NOQR },
	{ "short-length",	ACT_SHORTLEN },
	{ "long-length",	ACT_LONGLEN },
	{ "bad-pointer",	ACT_BADPTR },
};

static const struct {
	const char	*name;
	uint16_t	 type;
} typenames[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "HINFO", 13 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
	{ "SRV", 33 }, { "NAPTR", 35 }, { "OPT", 41 }, { "DS", 43 },
	{ "SSHFP", 44 }, { "RRSIG", 46 }, { "NSEC", 47 }, { "DNSKEY", 48 },
	{ "NSEC3", 50 }, { "TLSA", 52 }, { "SVCB", 64 }, { "HTTPS", 65 },
	{ "AXFR", 252 }, { "ANY", 255 }, { "CAA", 257 },
};

static const char *const	 endnames[] = {
	"notify", "fin", "rst", "alert"
};
static const char *const	 znames[Z_NKEYS] = {
	"drop", "dup", "garble", "delay", "trail", "dribble"
};

static __dead void	usage(void);
static int		parse_num(const char *, long, long, const char *);
static void		parse_ways(const char *);
static void		parse_life(const char *);
static void		parse_chaos(const char *);
static int		parse_rate(const char *);
static void		raise_nofile(void);
static int		listen_on(const char *, const char *, int);
static void		udp_cb(int, short, void *);
static ssize_t		io_read(struct conn *, void *, size_t);
static ssize_t		io_write(struct conn *, const void *, size_t);
static const char	*io_error(struct conn *);
static struct tls	*server_tls(const char *, const char *, const char *,
			    const char *);
static void		write_pidfile(const char *);
static void		logline(const char *, ...)
			    __attribute__((__format__(printf, 1, 2)));
static void		debugx(const char *, ...)
			    __attribute__((__format__(printf, 1, 2)));
static void		accept_cb(int, short, void *);
static void		accept_resume(int, short, void *);
static void		signal_cb(int, short, void *);
static void		usr1_cb(int, short, void *);
static void		idle_cb(int, short, void *);
static void		idle_arm(struct conn *);
static void		life_cb(int, short, void *);
static void		life_arm(struct conn *);
static void		drip_cb(int, short, void *);
static void		conn_new(int);
static void		conn_cb(int, short, void *);
static void		raw_cb(int, short, void *);
static void		conn_io(struct conn *);
static void		conn_arm(struct conn *, short);
static void		conn_close(struct conn *);
static void		conn_end(struct conn *, int);
static void		conn_free(struct conn *, int);
static void		drain(int);
static int		conn_input(struct conn *);
static int		conn_query(struct conn *, const uint8_t *, size_t);
static void		conn_emit(struct conn *, const uint8_t *, size_t, int,
			    int);
static void		pending_cb(int, short, void *);
static void		pending_free(struct pending *);
static int		parse_query(const uint8_t *, size_t, struct query *);
static int		skip_name(const uint8_t *, size_t, size_t *);
static void		log_query(const struct query *);
static int		keyword(const char *, size_t, const char *);
static int		name_rules(const struct query *, struct rule *);
static int		label_rules(const struct query *, const char *, size_t,
			    struct rule *);
static int		once_seen(const char *);
static void		chaos(const struct query *, struct rule *);
static size_t		nxtest_zone(const struct query *);
static size_t		build_reply(const struct query *,
			    const struct rule *, uint8_t *, size_t);
static void		put_rrhdr(struct wbuf *, uint16_t, uint16_t, uint32_t,
			    uint16_t);
static void		put_answers(struct wbuf *, const struct query *,
			    const struct rule *, uint16_t *);
static void		put_soa(struct wbuf *, const struct query *, size_t,
			    uint32_t, uint32_t);
static void		put_opt(struct wbuf *, const struct query *,
			    const struct rule *);
static void		put_ecs(struct wbuf *, const struct query *,
			    const struct rule *);
static void		note_ecs(struct query *, const uint8_t *, size_t);
static size_t		ecs_size(const struct query *, const struct rule *);
static void		put_glue(struct wbuf *, const struct query *,
			    uint16_t *, uint16_t *, uint16_t *);
static void		put8(struct wbuf *, uint8_t);
static void		put16(struct wbuf *, uint16_t);
static void		put32(struct wbuf *, uint32_t);
static void		putbytes(struct wbuf *, const void *, size_t);
static void		set16(uint8_t *, uint16_t);
static uint16_t		get16(const uint8_t *);

static struct event_base	*base;
static struct tls		*srv;
static struct event		*ev_accept;
static struct event		*ev_resume;
static TAILQ_HEAD(, conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static FILE			*logfp;
static enum action		 mode = ACT_ANSWER;
static int			 delay_ms;
static int			 delay2_ms = -1;	/* -D: after SIGUSR1 */
static int			 idle_ms;	/* -I: close idle conns */
static int			 keepalive = -1;	/* -K: RFC 7828 TIMEOUT */
static int			 no_alpn;	/* -A: select no ALPN */
static int			 namerules = 1;
static int			 record_each;	/* -R */
static int			 plain;		/* -u: DNS without TLS */
static int			 verbose;
static uint32_t			 nqueries;	/* the serial of the last */
static int			 endways[WAYS_MAX] = { END_NOTIFY };
static int			 nendways = 1;
static int			 life_min = -1;	/* -x: lifetime bounds, ms */
static int			 life_max = -1;
static int			 zrate[Z_NKEYS];	/* -z: per mille */
static char			*once[ONCE_SLOTS];	/* once-: names seen */
static size_t			 nonce;
/* Two frames: the orphan and the reply, or a reply and its dup. */
static uint8_t			 replybuf[2 * FRAME_MAX];

static __dead void
usage(void)
{
	extern char *__progname;

	fprintf(stderr, "usage: %s [-ANRv] [-C ciphers] [-c certfile] "
	    "[-D ms] [-d ms] [-E ways] [-I ms]\n"
	    "\t[-K tenths] [-k keyfile] [-L logfile] [-l addr] [-m mode] "
	    "[-P protocols]\n"
	    "\t[-u] [-w pidfile] [-x min:max] [-z spec] -p port\n"
	    "modes: none close-mid wrong-id wrong-question garbage close "
	    "silent no-handshake\n"
	    "\tno-qr short-length long-length bad-pointer\n"
	    "ways (-E, comma-separated): notify fin rst alert\n"
	    "spec (-z): KEY=PERCENT,... with KEY drop dup garble delay trail "
	    "dribble\n"
	    "name rules (first label): slow close wrongid wrongq garbage "
	    "silent drop servfail\n"
	    "\tnoqr shortlen longlen badptr\n"
	    "\tbig huge nxnosoa nodatanosoa nodata serial ttlN tc aa ecs "
	    "*nx*\n"
	    "\tdup trail orphan dribble fin rst alert notify glue "
	    "once-RULE\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	*ev_term, *ev_int, *ev_usr1, *ev_udp = NULL;
	struct event_config *evcfg;
	struct conn	*c;
	const char	*addr = "127.0.0.1", *port = NULL;
	const char	*cert = NULL, *key = NULL, *logfile = NULL;
	const char	*pidfile = NULL, *protocols = "secure", *ciphers = NULL;
	size_t		 i;
	int		 ch, fd, ufd = -1;

	while ((ch = getopt(argc, argv,
	    "AC:c:D:d:E:I:K:k:L:l:m:NP:p:Ruvw:x:z:")) != -1) {
		switch (ch) {
		case 'R':
			record_each = 1;
			break;
		case 'A':
			no_alpn = 1;
			break;
		case 'C':
			ciphers = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'D':
			delay2_ms = parse_num(optarg, 0, 3600000, "delay");
			break;
		case 'd':
			delay_ms = parse_num(optarg, 0, 3600000, "delay");
			break;
		case 'E':
			parse_ways(optarg);
			break;
		case 'I':
			idle_ms = parse_num(optarg, 1, 3600000, "idle");
			break;
		case 'K':
			keepalive = parse_num(optarg, 0, 65535, "keepalive");
			break;
		case 'k':
			key = optarg;
			break;
		case 'L':
			logfile = optarg;
			break;
		case 'l':
			addr = optarg;
			break;
		case 'm':
			for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
				if (strcmp(optarg, modes[i].name) == 0)
					break;
			if (i == sizeof(modes) / sizeof(modes[0]))
				errx(1, "unknown mode: %s", optarg);
			mode = modes[i].act;
			break;
		case 'N':
			namerules = 0;
			break;
		case 'P':
			protocols = optarg;
			break;
		case 'p':
			parse_num(optarg, 1, 65535, "port");
			port = optarg;
			break;
		case 'u':
			plain = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			pidfile = optarg;
			break;
		case 'x':
			parse_life(optarg);
			break;
		case 'z':
			parse_chaos(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc != optind || port == NULL)
		usage();
	if (mode != ACT_NOHANDSHAKE && !plain && (cert == NULL || key == NULL))
		errx(1, "-c certfile and -k keyfile are required");

	/* A peer that goes away must not kill us in the middle of a write. */
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	if (logfile != NULL) {
		if ((logfp = fopen(logfile, "a")) == NULL)
			err(1, "%s", logfile);
	}
	if (mode != ACT_NOHANDSHAKE && !plain)
		srv = server_tls(cert, key, protocols, ciphers);
	fd = listen_on(addr, port, SOCK_STREAM);
	if (plain)
		ufd = listen_on(addr, port, SOCK_DGRAM);

	/*
	 * libevent's default clock on Linux is CLOCK_MONOTONIC_COARSE, one
	 * tick per jiffy (4 ms at HZ=250): dribble's 1 ms pauses need better.
	 */
	if ((evcfg = event_config_new()) == NULL ||
	    event_config_set_flag(evcfg, EVENT_BASE_FLAG_PRECISE_TIMER) == -1 ||
	    (base = event_base_new_with_config(evcfg)) == NULL)
		errx(1, "event_base_new");
	event_config_free(evcfg);
	ev_accept = event_new(base, fd, EV_READ | EV_PERSIST, accept_cb, NULL);
	if (plain && ((ev_udp = event_new(base, ufd, EV_READ | EV_PERSIST,
	    udp_cb, NULL)) == NULL || event_add(ev_udp, NULL) == -1))
		errx(1, "UDP event");
	ev_resume = evtimer_new(base, accept_resume, NULL);
	ev_term = evsignal_new(base, SIGTERM, signal_cb, NULL);
	ev_int = evsignal_new(base, SIGINT, signal_cb, NULL);
	ev_usr1 = evsignal_new(base, SIGUSR1, usr1_cb, NULL);
	if (ev_usr1 == NULL || event_add(ev_usr1, NULL) == -1)
		errx(1, "SIGUSR1 event");
	if (ev_accept == NULL || ev_resume == NULL || ev_term == NULL ||
	    ev_int == NULL)
		errx(1, "event_new");
	if (event_add(ev_accept, NULL) == -1 || event_add(ev_term, NULL) == -1 ||
	    event_add(ev_int, NULL) == -1)
		errx(1, "event_add");

	if (pidfile != NULL)
		write_pidfile(pidfile);

	event_base_dispatch(base);

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_close(c);
	if (pidfile != NULL)
		unlink(pidfile);
	event_free(ev_accept);
	event_free(ev_resume);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	if (ev_udp != NULL) {
		event_free(ev_udp);
		close(ufd);
	}
	event_base_free(base);
	for (i = 0; i < ONCE_SLOTS; i++)
		free(once[i]);
	close(fd);
	if (srv != NULL)
		tls_free(srv);
	if (logfp != NULL)
		fclose(logfp);
	return (0);
}

static int
parse_num(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		errx(1, "%s is invalid: %s", what, s);
	return ((int)v);
}

/* -E notify,fin,...: each end draws one; a way listed twice weighs double. */
static void
parse_ways(const char *arg)
{
	char	*s, *p, *w;
	size_t	 i;

	if ((s = p = strdup(arg)) == NULL)
		err(1, NULL);
	nendways = 0;
	while ((w = strsep(&p, ",")) != NULL) {
		for (i = 0; i < sizeof(endnames) / sizeof(endnames[0]); i++)
			if (strcmp(w, endnames[i]) == 0)
				break;
		if (i == sizeof(endnames) / sizeof(endnames[0]))
			errx(1, "unknown way to end: %s", w);
		if (nendways == WAYS_MAX)
			errx(1, "more than %d ways to end", WAYS_MAX);
		endways[nendways++] = i;
	}
	free(s);
}

/* -x min:max, in ms */
static void
parse_life(const char *arg)
{
	char	*s, *max;

	if ((s = strdup(arg)) == NULL)
		err(1, NULL);
	if ((max = strchr(s, ':')) == NULL)
		errx(1, "lifetime is invalid: %s", arg);
	*max++ = '\0';
	life_min = parse_num(s, 0, 3600000, "lifetime");
	life_max = parse_num(max, 0, 3600000, "lifetime");
	if (life_min > life_max)
		errx(1, "lifetime is invalid: %s", arg);
	free(s);
}

/* -z drop=5,dup=0.5,...: a key not given keeps its rate, 0 at first. */
static void
parse_chaos(const char *arg)
{
	char	*s, *p, *kv, *v;
	size_t	 i;

	if ((s = p = strdup(arg)) == NULL)
		err(1, NULL);
	while ((kv = strsep(&p, ",")) != NULL) {
		if ((v = strchr(kv, '=')) == NULL)
			errx(1, "-z: KEY=PERCENT expected: %s", kv);
		*v++ = '\0';
		for (i = 0; i < Z_NKEYS; i++)
			if (strcmp(kv, znames[i]) == 0)
				break;
		if (i == Z_NKEYS)
			errx(1, "-z: unknown key: %s", kv);
		if ((zrate[i] = parse_rate(v)) == -1)
			errx(1, "-z: %s: percent is invalid: %s", kv, v);
	}
	free(s);
}

/* "5" or "0.5", 0 to 100: the rate per mille, so one digit is exact. */
static int
parse_rate(const char *s)
{
	int	v = 0, n = 0;

	for (; isdigit((unsigned char)*s) && n < 3; s++, n++)
		v = v * 10 + (*s - '0');
	if (n == 0)
		return (-1);
	v *= 10;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return (-1);
		v += s[1] - '0';
		s += 2;
	}
	if (*s != '\0' || v > 1000)
		return (-1);
	return (v);
}

/* Many concurrent connections are the point; take every descriptor. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
listen_on(const char *addr, const char *port, int type)
{
	struct addrinfo	 hints, *res;
	int		 error, fd, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = type;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((error = getaddrinfo(addr, port, &hints, &res)) != 0)
		errx(1, "%s: %s", addr, gai_strerror(error));

	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		err(1, "SO_REUSEADDR");
	if (res->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		err(1, "IPV6_V6ONLY");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		err(1, "bind %s port %s", addr, port);
	if (type == SOCK_STREAM && listen(fd, 1024) == -1)
		err(1, "listen");
	freeaddrinfo(res);
	return (fd);
}

static struct tls *
server_tls(const char *cert, const char *key, const char *protocols,
    const char *ciphers)
{
	struct tls_config	*cfg;
	struct tls		*ctx;
	uint32_t		 protos;
	unsigned char		 sid[TLS_MAX_SESSION_ID_LENGTH];
	char			 legacy[512];

	if (tls_init() == -1)
		errx(1, "tls_init");
	if ((cfg = tls_config_new()) == NULL)
		errx(1, "tls_config_new");
	if (tls_config_set_keypair_file(cfg, cert, key) == -1)
		errx(1, "%s", tls_config_error(cfg));
	if (tls_config_parse_protocols(&protos, protocols) == -1)
		errx(1, "bad protocols: %s", protocols);
	if (tls_config_set_protocols(cfg, protos) == -1)
		errx(1, "%s", tls_config_error(cfg));

	/*
	 * OpenSSL 3 refuses TLS 1.0 and 1.1 handshakes (SHA-1 signatures)
	 * above security level 0, and the default cipher list holds no
	 * suite those versions can use.  A server told to speak an old
	 * version should really speak it, so that a client's refusal is
	 * the client's own doing.
	 */
	if ((protos & (TLS_PROTOCOL_TLSv1_0 | TLS_PROTOCOL_TLSv1_1)) != 0) {
		if (ciphers == NULL)
			ciphers = "ALL:!aNULL:!eNULL";
		if (strstr(ciphers, "@SECLEVEL") == NULL) {
			if ((size_t)snprintf(legacy, sizeof(legacy),
			    "%s:@SECLEVEL=0", ciphers) >= sizeof(legacy))
				errx(1, "cipher list too long");
			ciphers = legacy;
		}
	}
	if (ciphers != NULL && tls_config_set_ciphers(cfg, ciphers) == -1)
		errx(1, "%s", tls_config_error(cfg));
	/* "dot" is selected when a client offers it, unless -A */
	if (!no_alpn && tls_config_set_alpn(cfg, "dot") == -1)
		errx(1, "%s", tls_config_error(cfg));

	/*
	 * Let clients resume, so that the log can report it.  Debian 12's
	 * libretls 3.7.0 on OpenSSL 3 sends empty tickets (its ticket
	 * callback returns 0), so "resumed" is never logged there.
	 */
	arc4random_buf(sid, sizeof(sid));
	if (tls_config_set_session_id(cfg, sid, sizeof(sid)) == -1 ||
	    tls_config_set_session_lifetime(cfg, SESSION_LIFE) == -1)
		errx(1, "%s", tls_config_error(cfg));

	if ((ctx = tls_server()) == NULL)
		errx(1, "tls_server");
	if (tls_configure(ctx, cfg) == -1)
		errx(1, "%s", tls_error(ctx));
	tls_config_free(cfg);
	return (ctx);
}

/* Written once listening, and renamed into place so it is never partial. */
static void
write_pidfile(const char *path)
{
	char	 tmp[PATH_MAX];
	FILE	*fp;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		errx(1, "%s: path too long", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) == EOF)
		err(1, "%s", tmp);
	if (rename(tmp, path) == -1)
		err(1, "rename %s", path);
}

static void
logline(const char *fmt, ...)
{
	va_list	ap;

	if (logfp == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

static void
debugx(const char *fmt, ...)
{
	va_list	ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

/* SIGUSR1 switches to the -D delay: an upstream that slows down. */
static void
usr1_cb(int sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	if (delay2_ms >= 0) {
		delay_ms = delay2_ms;
		logline("delay %d", delay_ms);
	}
}

static void
idle_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	logline("idle close");
	conn_end(arg, -1);
}

static void
idle_arm(struct conn *c)
{
	struct timeval	tv;

	if (idle_ms == 0)
		return;
	if (c->idle == NULL &&
	    (c->idle = evtimer_new(base, idle_cb, c)) == NULL)
		errx(1, "evtimer_new");
	tv.tv_sec = idle_ms / 1000;
	tv.tv_usec = (idle_ms % 1000) * 1000;
	evtimer_add(c->idle, &tv);
}

/* -x: public resolvers drop connections whenever they like. */
static void
life_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	logline("lifetime close");
	conn_end(arg, -1);
}

static void
life_arm(struct conn *c)
{
	struct timeval	tv;
	int		ms;

	if (life_max < 0)
		return;
	if ((c->life = evtimer_new(base, life_cb, c)) == NULL)
		errx(1, "evtimer_new");
	ms = life_min + arc4random_uniform(life_max - life_min + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->life, &tv);
}

/* The pause after a dribbled piece is over: write the next one. */
static void
drip_cb(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	c->dripping = 0;
	conn_io(c);
}

static void
signal_cb(int sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	event_base_loopbreak(base);
}

static void
accept_cb(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	int		 s;

	(void)ev;
	(void)arg;
	for (;;) {
		if ((s = accept(fd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Pause rather than spin on a full table. */
				warn("accept");
				event_del(ev_accept);
				evtimer_add(ev_resume, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				warn("accept");
			return;
		}
		conn_new(s);
	}
}

static void
accept_resume(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_add(ev_accept, NULL);
}

static void
conn_new(int s)
{
	struct conn	*c;
	int		 flags, on = 1;

	if ((flags = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(s, F_SETFD, FD_CLOEXEC) == -1) {
		warn("fcntl");
		close(s);
		return;
	}
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(1, NULL);
	c->fd = s;
	TAILQ_INIT(&c->pending);
	TAILQ_INIT(&c->drips);
	TAILQ_INSERT_TAIL(&conns, c, entry);

	if (mode == ACT_NOHANDSHAKE) {
		c->state = ST_RAW;
		c->rd = event_new(base, s, EV_READ | EV_PERSIST, raw_cb, c);
		if (c->rd == NULL)
			errx(1, "event_new");
		event_add(c->rd, NULL);
		return;
	}

	c->state = ST_HANDSHAKE;
	c->rd = event_new(base, s, EV_READ, conn_cb, c);
	c->wr = event_new(base, s, EV_WRITE, conn_cb, c);
	c->drip = evtimer_new(base, drip_cb, c);
	if (c->rd == NULL || c->wr == NULL || c->drip == NULL)
		errx(1, "event_new");
	c->insize = IN_INIT;
	if ((c->in = malloc(c->insize)) == NULL)
		err(1, NULL);
	if (plain) {
		c->state = ST_OPEN;
		logline("conn");
		idle_arm(c);
		life_arm(c);
		conn_io(c);
		return;
	}
	if (tls_accept_socket(srv, &c->tls, s) == -1) {
		warnx("tls_accept_socket: %s", tls_error(srv));
		conn_close(c);
		return;
	}
	conn_io(c);
}

static void
conn_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	conn_io(arg);
}

/* No TLS at all: swallow whatever the client sends until it gives up. */
static void
raw_cb(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	char		 buf[4096];
	ssize_t		 n;

	(void)ev;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR))
		conn_close(c);
}

/*
 * Drive one connection as far as it will go without blocking.  libtls
 * may need the socket readable to write and writable to read, so every
 * wakeup retries both directions and then waits for whatever each of
 * them last asked for.
 */
static void
conn_io(struct conn *c)
{
	struct timeval	 tv = { 0, DRIP_US };
	struct region	*d;
	ssize_t		 n;
	size_t		 nsize, len;
	short		 want;
	const char	*alpn;

	if (c->state == ST_HANDSHAKE) {
		switch (tls_handshake(c->tls)) {
		case 0:
			c->state = ST_OPEN;
			alpn = tls_conn_alpn_selected(c->tls);
			logline("conn alpn=%s", alpn != NULL ? alpn : "none");
			idle_arm(c);
			life_arm(c);
			if (tls_conn_session_resumed(c->tls))
				logline("resumed");
			break;
		case TLS_WANT_POLLIN:
			conn_arm(c, EV_READ);
			return;
		case TLS_WANT_POLLOUT:
			conn_arm(c, EV_WRITE);
			return;
		default:
			debugx("handshake: %s", tls_error(c->tls));
			conn_close(c);
			return;
		}
	}

 again:
	want = 0;
	/* Data may already sit in the TLS layer: read until it says wait. */
	while (!c->closing && c->outlen - c->outoff < OUT_HIGHWATER) {
		if (c->inlen == c->insize) {
			nsize = c->insize * 2;
			if (nsize > FRAME_MAX)
				nsize = FRAME_MAX;
			if (nsize <= c->insize) {
				conn_close(c);
				return;
			}
			if ((c->in = realloc(c->in, nsize)) == NULL)
				err(1, NULL);
			c->insize = nsize;
		}
		n = io_read(c, c->in + c->inlen, c->insize - c->inlen);
		if (n == TLS_WANT_POLLIN) {
			want |= EV_READ;
			break;
		}
		if (n == TLS_WANT_POLLOUT) {
			want |= EV_WRITE;
			break;
		}
		if (n == -1) {
			debugx("read: %s", io_error(c));
			conn_close(c);
			return;
		}
		if (n == 0) {
			conn_close(c);
			return;
		}
		c->inlen += n;
		if (conn_input(c) == -1) {
			conn_close(c);
			return;
		}
	}

	/*
	 * Whatever comes before the next dribbled region goes in one write.
	 * Inside a region each piece is a write, so a record, of its own,
	 * and the same piece is offered again after a WANT, as SSL_write
	 * requires; nothing at all is written until its pause is over.
	 */
	while (c->outoff < c->outlen && !c->dripping) {
		d = TAILQ_FIRST(&c->drips);
		if (d != NULL && c->outoff < d->start) {
			len = d->start - c->outoff;
			d = NULL;
		} else if (d != NULL) {
			if (c->piece == 0)
				c->piece = 1 + arc4random_uniform(DRIP_MAX);
			if (c->piece > d->end - c->outoff)
				c->piece = d->end - c->outoff;
			len = c->piece;
		} else
			len = c->outlen - c->outoff;
		/* -R: no further than the end of this reply's frame */
		if (record_each && c->tls != NULL) {
			if (c->frameleft == 0 && c->outlen - c->outoff >= 2)
				c->frameleft = 2 + (c->out[c->outoff] << 8 |
				    c->out[c->outoff + 1]);
			if (c->frameleft > 0 && len > c->frameleft)
				len = c->frameleft;
		}
		n = io_write(c, c->out + c->outoff, len);
		if (n == TLS_WANT_POLLIN) {
			want |= EV_READ;
			break;
		}
		if (n == TLS_WANT_POLLOUT) {
			want |= EV_WRITE;
			break;
		}
		if (n == -1) {
			debugx("write: %s", io_error(c));
			conn_close(c);
			return;
		}
		c->outoff += n;
		c->frameleft = (size_t)n < c->frameleft ? c->frameleft - n : 0;
		if (d != NULL) {
			c->piece = 0;
			if (c->outoff >= d->end) {
				TAILQ_REMOVE(&c->drips, d, entry);
				free(d);
			}
			c->dripping = 1;
			evtimer_add(c->drip, &tv);
		}
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = c->frameleft = 0;
		if (c->closing == AFTER_CLOSE) {
			conn_close(c);
			return;
		}
		if (c->closing >= AFTER_END) {
			conn_end(c, c->closing - AFTER_END);
			return;
		}
		/* Reading stopped at the high-water mark; it may go on now. */
		if (want == 0)
			goto again;
	}
	conn_arm(c, want);
}

static void
conn_arm(struct conn *c, short want)
{
	if (want & EV_READ)
		event_add(c->rd, NULL);
	else
		event_del(c->rd);
	if (want & EV_WRITE)
		event_add(c->wr, NULL);
	else
		event_del(c->wr);
}

static void
conn_close(struct conn *c)
{
	conn_free(c, 1);
}

/*
 * End a connection the server chose to end, in one of the -E ways when
 * way is -1.  Replies not yet written are lost.  What the peer sent and
 * nobody read is drained first, or close(2) would send RST whatever the
 * way (a peer that goes on sending after that gets RST all the same).
 */
static void
conn_end(struct conn *c, int way)
{
	/* fatal internal_error, TLS 1.2 record version, never encrypted */
	static const uint8_t	alert[] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50
	};
	struct linger		lg = { 1, 0 };

	if (way < 0)
		way = endways[arc4random_uniform(nendways)];
	logline("end %s", endnames[way]);
	switch (way) {
	case END_NOTIFY:
		if (c->state == ST_OPEN && c->tls != NULL)
			(void)tls_close(c->tls);
		drain(c->fd);
		break;
	case END_FIN:
		drain(c->fd);
		break;
	case END_RST:
		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)) == -1)
			warn("SO_LINGER");
		break;
	case END_ALERT:
		/* Behind libtls's back: it must not encrypt this. */
		if (write(c->fd, alert, sizeof(alert)) == -1)
			debugx("alert: %s", strerror(errno));
		drain(c->fd);
		break;
	}
	conn_free(c, 0);
}

/* notify: one try at close_notify; a test server does not linger. */
static void
conn_free(struct conn *c, int notify)
{
	struct pending	*p;
	struct region	*d;

	TAILQ_REMOVE(&conns, c, entry);
	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, p, entry);
		pending_free(p);
	}
	while ((d = TAILQ_FIRST(&c->drips)) != NULL) {
		TAILQ_REMOVE(&c->drips, d, entry);
		free(d);
	}
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->wr != NULL)
		event_free(c->wr);
	if (c->idle != NULL)
		event_free(c->idle);
	if (c->life != NULL)
		event_free(c->life);
	if (c->drip != NULL)
		event_free(c->drip);
	if (c->tls != NULL) {
		if (notify && c->state == ST_OPEN)
			(void)tls_close(c->tls);
		tls_free(c->tls);
	}
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Read and forget what is waiting, within reason. */
static void
drain(int fd)
{
	char	buf[4096];
	size_t	total = 0;
	ssize_t	n;

	while (total < DRAIN_MAX &&
	    (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
}

/* Take every complete frame out of the input buffer. */
static int
conn_input(struct conn *c)
{
	size_t	off = 0, mlen;

	while (!c->closing && c->inlen - off >= 2) {
		mlen = get16(c->in + off);
		if (c->inlen - off - 2 < mlen)
			break;
		idle_arm(c);
		if (conn_query(c, c->in + off + 2, mlen) == -1)
			return (-1);
		off += 2 + mlen;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	return (0);
}

static int
conn_query(struct conn *c, const uint8_t *msg, size_t len)
{
	struct query	 q;
	struct pending	*p;
	struct timeval	 tv;
	struct rule	 r, o;
	uint8_t		*f;
	size_t		 mlen, flen, off = 0;
	int		 delay, closeafter = AFTER_KEEP, matched = 0;

	if (parse_query(msg, len, &q) == -1) {
		debugx("malformed query of %zu bytes", len);
		return (-1);
	}
	q.serial = ++nqueries;
	q.proto = plain ? "tcp" : NULL;
	log_query(&q);

	memset(&r, 0, sizeof(r));
	r.act = ACT_ANSWER;
	r.content = C_NORMAL;
	r.delay = delay_ms;
	r.ttl = DEFAULT_TTL;
	if (namerules)
		matched = name_rules(&q, &r);
	/* plain DNS over TCP: what did not fit over UDP comes whole */
	if (plain)
		r.tc = 0;
	/* A test that names its misbehaviour gets exactly that one. */
	if (mode != ACT_ANSWER)
		r.act = mode;
	else if (!matched)
		chaos(&q, &r);
	delay = r.delay;

	switch (r.act) {
	case ACT_CLOSE:
		return (-1);
	case ACT_SILENT:
		return (0);
	default:
		break;
	}

	/* orphan: an answer to a query never asked comes first. */
	if (r.orphan) {
		o = r;
		o.act = ACT_WRONGID;
		if ((mlen = build_reply(&q, &o, replybuf + 2, MAX_MSG)) == 0)
			return (-1);
		set16(replybuf, mlen);
		off = 2 + mlen;
	}
	f = replybuf + off;

	switch (r.act) {
	case ACT_GARBAGE:
		mlen = HDR_LEN + arc4random_uniform(500);
		arc4random_buf(f + 2, mlen);
		/* Keep the ID, so the proxy has to parse it to reject it. */
		set16(f + 2, q.id);
		break;
	case ACT_GARBLE:
		mlen = HDR_LEN + arc4random_uniform(GARBLE_MAX - HDR_LEN + 1);
		arc4random_buf(f + 2, mlen);
		set16(f + 2, q.id);
		break;
	default:
		mlen = build_reply(&q, &r, f + 2, MAX_MSG);
		if (mlen == 0)
			return (-1);
		break;
	}
	/* trail: junk after the message, inside the frame */
	if (r.trail > MAX_MSG - mlen)
		r.trail = MAX_MSG - mlen;
	arc4random_buf(f + 2 + mlen, r.trail);
	mlen += r.trail;
	set16(f, mlen);
	flen = 2 + mlen;
	/* the first answer's owner pointing at itself: a loop (RFC 9267) */
	if (r.act == ACT_BADPTR && get16(f + 2 + 6) > 0)
		set16(f + 2 + q.q_end, 0xc000 | q.q_end);
	/* a frame 3 octets short: its tail is taken for the next length */
	if (r.act == ACT_SHORTLEN)
		set16(f, mlen - 3);
	/* a frame claiming 100 octets more than ever come */
	if (r.act == ACT_LONGLEN)
		set16(f, mlen + 100);
	if (r.act == ACT_CLOSEMID) {
		flen = 2 + mlen / 2;
		closeafter = AFTER_CLOSE;
	}
	/* replybuf holds two frames: the orphan's or the dup's */
	if (r.dup && off == 0) {
		memcpy(f + flen, f, flen);
		flen *= 2;
	}
	flen += off;
	if (r.after != AFTER_KEEP)
		closeafter = r.after;

	if (delay == 0) {
		conn_emit(c, replybuf, flen, r.dribble, closeafter);
		return (0);
	}

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->buf = malloc(flen)) == NULL)
		err(1, NULL);
	memcpy(p->buf, replybuf, flen);
	p->len = flen;
	p->dribble = r.dribble;
	p->closeafter = closeafter;
	p->conn = c;
	if ((p->ev = evtimer_new(base, pending_cb, p)) == NULL)
		errx(1, "evtimer_new");
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(p->ev, &tv);
	TAILQ_INSERT_TAIL(&c->pending, p, entry);
	return (0);
}

/* Queue a reply; closeafter says what to do once it has all gone out. */
static void
conn_emit(struct conn *c, const uint8_t *buf, size_t len, int dribble,
    int closeafter)
{
	struct region	*d;
	size_t		 nsize;

	if (c->closing)
		return;
	if (c->outsize - c->outlen < len) {
		nsize = c->outsize == 0 ? 4096 : c->outsize;
		while (nsize - c->outlen < len)
			nsize *= 2;
		if ((c->out = realloc(c->out, nsize)) == NULL)
			err(1, NULL);
		c->outsize = nsize;
	}
	if (dribble && len > 0) {
		if ((d = malloc(sizeof(*d))) == NULL)
			err(1, NULL);
		d->start = c->outlen;
		d->end = c->outlen + len;
		TAILQ_INSERT_TAIL(&c->drips, d, entry);
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	if (closeafter != AFTER_KEEP)
		c->closing = closeafter;
}

/* -u: TLS or not, conn_io() reads and writes through these. */
static ssize_t
io_read(struct conn *c, void *buf, size_t len)
{
	ssize_t	n;

	if (c->tls != NULL)
		return (tls_read(c->tls, buf, len));
	n = recv(c->fd, buf, len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return (TLS_WANT_POLLIN);
	return (n);
}

static ssize_t
io_write(struct conn *c, const void *buf, size_t len)
{
	ssize_t	n;

	if (c->tls != NULL)
		return (tls_write(c->tls, buf, len));
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return (TLS_WANT_POLLOUT);
	return (n);
}

static const char *
io_error(struct conn *c)
{
	return (c->tls != NULL ? tls_error(c->tls) : strerror(errno));
}

/*
 * -u: one UDP query, answered at once (see the top of the file): a
 * forger's reply first where the rule asks for a bad one, a truncated
 * answer for tc.
 */
static void
udp_cb(int fd, short ev, void *arg)
{
	static uint8_t		 in[MAX_MSG];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct query		 q;
	struct rule		 r, o;
	uint8_t			*f = replybuf;
	ssize_t			 n;
	size_t			 mlen;

	(void)ev;
	(void)arg;
	n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&ss, &sslen);
	if (n <= 0)
		return;
	if (parse_query(in, n, &q) == -1) {
		debugx("malformed UDP query of %zd bytes", n);
		return;
	}
	q.serial = ++nqueries;
	q.proto = "udp";
	log_query(&q);
	memset(&r, 0, sizeof(r));
	r.act = ACT_ANSWER;
	r.content = C_NORMAL;
	r.ttl = DEFAULT_TTL;
	if (namerules)
		(void)name_rules(&q, &r);
	if (mode != ACT_ANSWER)
		r.act = mode;
	if (r.act == ACT_SILENT || r.act == ACT_CLOSE)
		return;
	if (r.act == ACT_WRONGID || r.act == ACT_WRONGQ ||
	    r.act == ACT_GARBAGE || r.orphan) {
		o = r;
		if (r.orphan)
			o.act = ACT_WRONGID;
		if (o.act == ACT_GARBAGE) {
			mlen = HDR_LEN + arc4random_uniform(500);
			arc4random_buf(f, mlen);
			set16(f, q.id);
		} else
			mlen = build_reply(&q, &o, f, MAX_MSG);
		if (mlen > 0)
			(void)sendto(fd, f, mlen, 0, (struct sockaddr *)&ss,
			    sslen);
		r.act = ACT_ANSWER;
	}
	if ((mlen = build_reply(&q, &r, f, MAX_MSG)) == 0)
		return;
	if (r.tc) {
		mlen = q.q_end;
		memset(f + 6, 0, 6);
	}
	(void)sendto(fd, f, mlen, 0, (struct sockaddr *)&ss, sslen);
	if (r.dup)
		(void)sendto(fd, f, mlen, 0, (struct sockaddr *)&ss, sslen);
}

static void
pending_cb(int fd, short ev, void *arg)
{
	struct pending	*p = arg;
	struct conn	*c = p->conn;

	(void)fd;
	(void)ev;
	TAILQ_REMOVE(&c->pending, p, entry);
	conn_emit(c, p->buf, p->len, p->dribble, p->closeafter);
	pending_free(p);
	conn_io(c);
}

static void
pending_free(struct pending *p)
{
	event_free(p->ev);
	free(p->buf);
	free(p);
}

static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * Accept what a stub or a proxy sends: QR=0, one question whose name
 * has no compression, and any records after it that parse.  Anything
 * else closes the connection.
 */
static int
parse_query(const uint8_t *m, size_t len, struct query *q)
{
	size_t		 off, end, o, nrr, i, l, nlen;
	uint16_t	 type, rdlen, olen;
	char		*np;
	uint8_t		 ch;

	memset(q, 0, sizeof(*q));
	if (len < HDR_LEN)
		return (-1);
	q->msg = m;
	q->len = len;
	q->id = get16(m);
	q->flags = get16(m + 2);
	if ((q->flags & FLAG_QR) != 0 || get16(m + 4) != 1)
		return (-1);
	nrr = (size_t)get16(m + 6) + get16(m + 8) + get16(m + 10);

	off = HDR_LEN;
	np = q->name;
	for (;;) {
		if (off >= len)
			return (-1);
		l = m[off];
		if (l == 0)
			break;
		if (l > 63 || off + 1 + l > len)
			return (-1);
		nlen = off + 1 + l - HDR_LEN;
		if (nlen + 1 > 255)
			return (-1);
		if (q->label_off == 0) {
			q->label_off = off + 1;
			q->label_len = l;
		}
		for (i = 0; i < l; i++) {
			ch = m[off + 1 + i];
			if (ch == '.' || ch == '\\') {
				*np++ = '\\';
				*np++ = ch;
			} else if (ch <= ' ' || ch >= 0x7f)
				np += sprintf(np, "\\%03u", ch);
			else
				*np++ = ch;
		}
		*np++ = '.';
		off += 1 + l;
	}
	off++;
	if (np == q->name)
		*np++ = '.';
	*np = '\0';
	q->qname_end = off;
	if (off + 4 > len)
		return (-1);
	q->qtype = get16(m + off);
	q->qclass = get16(m + off + 2);
	off += 4;
	q->q_end = off;

	for (i = 0; i < nrr; i++) {
		if (skip_name(m, len, &off) == -1 || off + 10 > len)
			return (-1);
		type = get16(m + off);
		rdlen = get16(m + off + 8);
		if (off + 10 + rdlen > len)
			return (-1);
		if (type == T_OPT &&
		    i >= (size_t)get16(m + 6) + get16(m + 8)) {
			q->has_opt = 1;
			q->do_bit = (m[off + 6] & 0x80) != 0;
			o = off + 10;
			end = o + rdlen;
			while (o + 4 <= end) {
				olen = get16(m + o + 2);
				if (o + 4 + olen > end)
					return (-1);
				if (get16(m + o) == OPT_KEEPALIVE)
					q->keepalive = 1;
				if (get16(m + o) == OPT_PADDING)
					q->padded = 1;
				if (get16(m + o) == OPT_COOKIE)
					q->cookie = 1;
				if (get16(m + o) == OPT_ECS)
					note_ecs(q, m + o + 4, olen);
				o += 4 + olen;
			}
			if (o != end)
				return (-1);
		}
		off += 10 + rdlen;
	}
	return (0);
}

static int
skip_name(const uint8_t *m, size_t len, size_t *off)
{
	size_t	o = *off;

	for (;;) {
		if (o >= len)
			return (-1);
		if ((m[o] & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return (-1);
			*off = o + 2;
			return (0);
		}
		if ((m[o] & 0xc0) != 0)
			return (-1);
		if (m[o] == 0) {
			*off = o + 1;
			return (0);
		}
		o += 1 + m[o];
	}
}

static void
log_query(const struct query *q)
{
	char	tbuf[16];
	size_t	i;

	snprintf(tbuf, sizeof(tbuf), "TYPE%u", q->qtype);
	for (i = 0; i < sizeof(typenames) / sizeof(typenames[0]); i++)
		if (typenames[i].type == q->qtype) {
			snprintf(tbuf, sizeof(tbuf), "%s", typenames[i].name);
			break;
		}
	logline("query len=%zu id=%u name=%s type=%s padded=%d%s%s%s%s%s%s "
	    "flags=0x%04x%s%s",
	    q->len, q->id, q->name, tbuf, q->padded,
	    q->keepalive ? " keepalive" : "", q->do_bit ? " do" : "",
	    (q->flags & FLAG_CD) ? " cd" : "", q->cookie ? " cookie" : "",
	    q->ecs_off != 0 ? " ecs=" : "", q->ecs_off != 0 ? q->ecs : "",
	    q->flags, q->proto != NULL ? " proto=" : "",
	    q->proto != NULL ? q->proto : "");
}

/* "slow", "slow-1" and "slow2" all match "slow"; "slower" does not. */
static int
keyword(const char *label, size_t len, const char *kw)
{
	size_t	kl = strlen(kw);

	if (len < kl || memcmp(label, kw, kl) != 0)
		return (0);
	return (len == kl || label[kl] == '-' ||
	    isdigit((unsigned char)label[kl]));
}

/*
 * The rule for the query's first label.  Returns 1 when one applies,
 * so that -z leaves the query alone.
 */
static int
name_rules(const struct query *q, struct rule *r)
{
	char	l[64];
	size_t	n = q->label_len, i;
	int	matched;

	if (q->label_off == 0)
		return (0);
	for (i = 0; i < n; i++)
		l[i] = tolower(q->msg[q->label_off + i]);

	/* once-RULE: RULE the first time, then the plain answer. */
	if (n > 5 && memcmp(l, "once-", 5) == 0) {
		if (once_seen(q->name))
			return (1);
		(void)label_rules(q, l + 5, n - 5, r);
		matched = 1;
	} else
		matched = label_rules(q, l, n, r);

	if (r->content != C_NORMAL || r->serial || r->tc)
		return (matched);
	if ((r->zone = nxtest_zone(q)) != 0) {
		r->content = C_NX;
		return (1);
	}
	for (i = 0; i + 1 < n; i++) {
		if (l[i] == 'n' && l[i + 1] == 'x') {
			r->content = C_NX;
			r->zone = q->label_off + n;
			return (1);
		}
	}
	return (matched);
}

/* The keywords, on l, the lowercased label or what follows "once-". */
static int
label_rules(const struct query *q, const char *l, size_t n, struct rule *r)
{
	size_t		i;
	uint64_t	ttl;

	if (keyword(l, n, "slow"))
		r->delay += SLOW_MS;
	else if (keyword(l, n, "close"))
		r->act = ACT_CLOSEMID;
	else if (keyword(l, n, "wrongid"))
		r->act = ACT_WRONGID;
	else if (keyword(l, n, "wrongq"))
		r->act = ACT_WRONGQ;
	else if (keyword(l, n, "garbage"))
		r->act = ACT_GARBAGE;
	else if (keyword(l, n, "silent"))
		r->act = ACT_SILENT;
	else if (keyword(l, n, "noqr"))
		r->act = ACT_NOQR;
	else if (keyword(l, n, "shortlen"))
		r->act = ACT_SHORTLEN;
	else if (keyword(l, n, "longlen"))
		r->act = ACT_LONGLEN;
	else if (keyword(l, n, "badptr"))
		r->act = ACT_BADPTR;
	else if (keyword(l, n, "drop"))
		r->act = ACT_CLOSE;
	else if (keyword(l, n, "servfail"))
		r->content = C_SERVFAIL;
	else if (keyword(l, n, "big"))
		r->content = C_BIG;
	else if (keyword(l, n, "huge"))
		r->content = C_HUGE;
	else if (keyword(l, n, "nxnosoa"))
		r->content = C_NXNOSOA;
	else if (keyword(l, n, "nodatanosoa"))
		r->content = C_NODATANOSOA;
	else if (keyword(l, n, "nodata")) {
		r->content = C_NODATA;
		r->zone = q->label_off + q->label_len;
	} else if (keyword(l, n, "serial"))
		r->serial = 1;
	else if (keyword(l, n, "ttl")) {
		/* ttlN: the digits right after "ttl", capped at 2^31 - 1. */
		r->serial = 1;
		for (i = 3, ttl = 0; i < n && isdigit((unsigned char)l[i]);
		    i++)
			if ((ttl = ttl * 10 + (l[i] - '0')) > INT32_MAX)
				ttl = INT32_MAX;
		if (i > 3)
			r->ttl = (uint32_t)ttl;
	} else if (keyword(l, n, "tc"))
		r->tc = 1;
	else if (keyword(l, n, "aa"))
		r->aa = r->serial = 1;
	else if (keyword(l, n, "dup"))
		r->dup = 1;
	else if (keyword(l, n, "trail"))
		r->trail = TRAIL_LEN;
	else if (keyword(l, n, "orphan"))
		r->orphan = 1;
	else if (keyword(l, n, "dribble"))
		r->dribble = 1;
	else if (keyword(l, n, "ecs"))
		r->ecs = r->serial = 1;
	else if (keyword(l, n, "fin"))
		r->after = AFTER_END + END_FIN;
	else if (keyword(l, n, "rst"))
		r->after = AFTER_END + END_RST;
	else if (keyword(l, n, "alert"))
		r->after = AFTER_END + END_ALERT;
	else if (keyword(l, n, "notify"))
		r->after = AFTER_END + END_NOTIFY;
	else if (keyword(l, n, "glue"))
		r->content = C_GLUE;
	else
		return (0);
	return (1);
}

/*
 * Whether this process has had a query for the name before, any case;
 * remembers it if not.  Open addressing, never more than half full:
 * once the table holds ONCE_MAX names every further name counts as
 * seen, so that a test never waits on a misbehaviour that never ends.
 */
static int
once_seen(const char *name)
{
	static int	 full;
	char		 lname[4 * 255 + 2];
	uint32_t	 h = 2166136261U;	/* FNV-1a */
	size_t		 i;

	for (i = 0; name[i] != '\0' && i < sizeof(lname) - 1; i++) {
		lname[i] = tolower((unsigned char)name[i]);
		h = (h ^ (uint8_t)lname[i]) * 16777619U;
	}
	lname[i] = '\0';
	for (i = h & (ONCE_SLOTS - 1); once[i] != NULL;
	    i = (i + 1) & (ONCE_SLOTS - 1))
		if (strcmp(once[i], lname) == 0)
			return (1);
	if (nonce == ONCE_MAX) {
		if (!full)
			warnx("once: %d names seen, no room for more",
			    ONCE_MAX);
		full = 1;
		return (1);
	}
	if ((once[i] = strdup(lname)) == NULL)
		err(1, NULL);
	nonce++;
	return (0);
}

/*
 * -z: each misbehaviour drawn on its own for a query no rule named.
 * drop wins over the rest, which all combine.  Logged, so that a test
 * can tell what the proxy was up against.
 */
static void
chaos(const struct query *q, struct rule *r)
{
	char	buf[128];
	size_t	bl;
	int	hit[Z_NKEYS], i, any = 0;

	for (i = 0; i < Z_NKEYS; i++) {
		hit[i] = zrate[i] > 0 &&
		    (int)arc4random_uniform(1000) < zrate[i];
		any |= hit[i];
	}
	if (!any)
		return;
	if (hit[Z_DROP]) {
		r->act = ACT_SILENT;
		logline("z id=%u name=%s drop", q->id, q->name);
		return;
	}
	buf[0] = '\0';
	if (hit[Z_DUP]) {
		r->dup = 1;
		strlcat(buf, " dup", sizeof(buf));
	}
	if (hit[Z_GARBLE]) {
		r->act = ACT_GARBLE;
		strlcat(buf, " garble", sizeof(buf));
	}
	if (hit[Z_DELAY]) {
		i = 1 + arc4random_uniform(ZDELAY_MAX);
		r->delay += i;
		bl = strlen(buf);
		snprintf(buf + bl, sizeof(buf) - bl, " delay=%d", i);
	}
	if (hit[Z_TRAIL]) {
		r->trail = 1 + arc4random_uniform(ZTRAIL_MAX);
		bl = strlen(buf);
		snprintf(buf + bl, sizeof(buf) - bl, " trail=%zu", r->trail);
	}
	if (hit[Z_DRIBBLE]) {
		r->dribble = 1;
		strlcat(buf, " dribble", sizeof(buf));
	}
	logline("z id=%u name=%s%s", q->id, q->name, buf);
}

/* The offset of "nx.test." in a name strictly below it, else 0. */
static size_t
nxtest_zone(const struct query *q)
{
	static const char	 sfx[] = "\002nx\004test";
	const uint8_t		*m = q->msg;
	size_t			 o, i;

	for (o = HDR_LEN; m[o] != 0; o += 1 + m[o]) {
		if (o == HDR_LEN || q->qname_end - o != sizeof(sfx))
			continue;
		for (i = 0; i < sizeof(sfx); i++)
			if (tolower(m[o + i]) != sfx[i])
				break;
		if (i == sizeof(sfx))
			return (o);
	}
	return (0);
}

static size_t
build_reply(const struct query *q, const struct rule *r, uint8_t *out,
    size_t cap)
{
	static const uint8_t	 prefix[] = "\007x-wrong";
	static const uint8_t	 wrong[] = "\016wrong-question\007invalid";
	struct wbuf		 w = { out, 0, cap, 0 };
	uint16_t		 flags, an = 0, ns = 0, ar = 0;
	uint16_t		 rcode = RCODE_NOERROR;
	size_t			 qlen;

	if (r->content == C_SERVFAIL)
		rcode = RCODE_SERVFAIL;
	else if (r->content == C_NX || r->content == C_NXNOSOA)
		rcode = RCODE_NXDOMAIN;
	flags = (r->act == ACT_NOQR ? 0 : FLAG_QR) | FLAG_RA | rcode |
	    (q->flags & (FLAG_OPCODE | FLAG_RD | FLAG_CD));
	if (r->tc)
		flags |= FLAG_TC;
	if (r->aa)
		flags |= FLAG_AA | FLAG_AD;

	put16(&w, r->act == ACT_WRONGID ? (uint16_t)(q->id + 1) : q->id);
	put16(&w, flags);
	put16(&w, 1);
	put16(&w, 0);
	put16(&w, 0);
	put16(&w, 0);

	if (r->act == ACT_WRONGQ) {
		/* A longer name can never equal the one asked. */
		qlen = q->qname_end - HDR_LEN;
		if (qlen + sizeof(prefix) - 1 <= 255) {
			putbytes(&w, prefix, sizeof(prefix) - 1);
			putbytes(&w, q->msg + HDR_LEN, qlen);
		} else
			putbytes(&w, wrong, sizeof(wrong));
		putbytes(&w, q->msg + q->qname_end, 4);
	} else
		putbytes(&w, q->msg + HDR_LEN, q->q_end - HDR_LEN);

	switch (r->content) {
	case C_GLUE:
		put_glue(&w, q, &an, &ns, &ar);
		break;
	case C_NX:
		put_soa(&w, q, r->zone, NX_SOA_TTL, NX_SOA_MIN);
		ns = 1;
		break;
	case C_NODATA:
		put_soa(&w, q, r->zone, NODATA_SOA_TTL, NODATA_SOA_MIN);
		ns = 1;
		break;
	case C_SERVFAIL:
	case C_NXNOSOA:
	case C_NODATANOSOA:
		break;
	default:
		put_answers(&w, q, r, &an);
		break;
	}
	/* The OPT comes last, after any glue. */
	if (q->has_opt) {
		put_opt(&w, q, r);
		ar++;
	}
	if (w.overflow)
		return (0);
	set16(out + 6, an);
	set16(out + 8, ns);
	set16(out + 10, ar);
	return (w.len);
}

/* An answer record owned by the question name (pointer to offset 12). */
static void
put_rrhdr(struct wbuf *w, uint16_t type, uint16_t class, uint32_t ttl,
    uint16_t rdlen)
{
	put16(w, 0xc000 | HDR_LEN);
	put16(w, type);
	put16(w, class);
	put32(w, ttl);
	put16(w, rdlen);
}

static void
put_answers(struct wbuf *w, const struct query *q, const struct rule *r,
    uint16_t *an)
{
	char		 txt[101];
	size_t		 target, rlen, i, j;
	uint32_t	 s = (q->serial - 1) % SERIAL_MOD + 1;
	int		 tl;

	if (r->content == C_NORMAL && r->serial) {
		switch (q->qtype) {
		case T_A:
			put_rrhdr(w, T_A, q->qclass, r->ttl, 4);
			put32(w, 0xc6336400 | s);	/* 198.51.100.S */
			break;
		case T_AAAA:
			put_rrhdr(w, T_AAAA, q->qclass, r->ttl, 16);
			put32(w, 0x20010db8);		/* 2001:db8::100:S */
			put32(w, 0);
			put32(w, 0);
			put32(w, 0x01000000 | s);
			break;
		case T_TXT:
			tl = snprintf(txt, sizeof(txt), "serial %u", s);
			put_rrhdr(w, T_TXT, q->qclass, r->ttl, 1 + tl);
			put8(w, tl);
			putbytes(w, txt, tl);
			break;
		default:
			return;
		}
		(*an)++;
		return;
	}
	if (r->content == C_NORMAL) {
		switch (q->qtype) {
		case T_A:
			put_rrhdr(w, T_A, q->qclass, r->ttl, 4);
			put32(w, 0xc0000201);		/* 192.0.2.1 */
			break;
		case T_AAAA:
			put_rrhdr(w, T_AAAA, q->qclass, r->ttl, 16);
			put32(w, 0x20010db8);		/* 2001:db8::1 */
			put32(w, 0);
			put32(w, 0);
			put32(w, 1);
			break;
		case T_TXT:
			put_rrhdr(w, T_TXT, q->qclass, r->ttl, 10);
			put8(w, 9);
			putbytes(w, "dotserver", 9);
			break;
		default:
			return;
		}
		(*an)++;
		return;
	}

	/* big and huge: fill up to the target with distinct records. */
	target = r->content == C_BIG ? BIG_SIZE : HUGE_SIZE;
	if (q->qtype == T_A)
		rlen = 12 + 4;
	else if (q->qtype == T_AAAA)
		rlen = 12 + 16;
	else
		rlen = 12 + 1 + 100;
	for (i = 0; w->len + rlen <= target && !w->overflow; i++) {
		switch (q->qtype) {
		case T_A:
			put_rrhdr(w, T_A, q->qclass, r->ttl, 4);
			put32(w, 0xc0000201 + (uint32_t)i);
			break;
		case T_AAAA:
			put_rrhdr(w, T_AAAA, q->qclass, r->ttl, 16);
			put32(w, 0x20010db8);
			put32(w, 0);
			put32(w, 0);
			put32(w, (uint32_t)i + 1);
			break;
		default:
			j = snprintf(txt, sizeof(txt), "record %04zu ", i);
			for (; j < 100; j++)
				txt[j] = 'a' + j % 26;
			put_rrhdr(w, T_TXT, q->qclass, r->ttl, 101);
			put8(w, 100);
			putbytes(w, txt, 100);
			break;
		}
		(*an)++;
	}
}

/* RFC 2308 negative answer: the zone's SOA, with the given TTL and minimum. */
static void
put_soa(struct wbuf *w, const struct query *q, size_t zone, uint32_t ttl,
    uint32_t minimum)
{
	size_t	zlen = q->qname_end - zone, owner, rdpos;

	owner = w->len;
	putbytes(w, q->msg + zone, zlen);
	put16(w, T_SOA);
	put16(w, q->qclass);
	put32(w, ttl);
	rdpos = w->len;
	put16(w, 0);
	/* kdig rejects a pointer to a bare root label: spell the root out. */
	if (zlen > 1 && zlen + 11 <= 255 && owner < 0x4000) {
		putbytes(w, "\002ns", 3);
		put16(w, 0xc000 | owner);
		putbytes(w, "\012hostmaster", 11);
		put16(w, 0xc000 | owner);
	} else {
		putbytes(w, "\002ns", 4);
		putbytes(w, "\012hostmaster", 12);
	}
	put32(w, 1);		/* serial */
	put32(w, 3600);		/* refresh */
	put32(w, 900);		/* retry */
	put32(w, 604800);	/* expire */
	put32(w, minimum);	/* minimum */
	if (!w->overflow)
		set16(w->p + rdpos, w->len - rdpos - 2);
}

/*
 * glue: a referral-like answer that a 1232-octet limit truncates.  Two
 * A for the name, its NS ns1.<name> in authority, and in additional
 * ns1..ns30.<name> with two A each (198.51.100.i and .100+i), every
 * owner compressed to a label and a pointer to the question's name.
 */
static void
put_glue(struct wbuf *w, const struct query *q, uint16_t *an, uint16_t *ns,
    uint16_t *ar)
{
	char	label[8];
	int	i, j, ll;

	for (i = 0; i < 2; i++) {
		put_rrhdr(w, T_A, q->qclass, DEFAULT_TTL, 4);
		put32(w, 0xc0000201 + i);		/* 192.0.2.1, .2 */
	}
	*an = 2;
	put_rrhdr(w, T_NS, q->qclass, DEFAULT_TTL, 4 + 2);
	putbytes(w, "\003ns1", 4);
	put16(w, 0xc000 | HDR_LEN);
	*ns = 1;
	for (i = 1; i <= GLUE_NS; i++) {
		ll = snprintf(label + 1, sizeof(label) - 1, "ns%d", i);
		label[0] = ll;
		for (j = 0; j < 2; j++) {
			putbytes(w, label, 1 + ll);
			put16(w, 0xc000 | HDR_LEN);
			put16(w, T_A);
			put16(w, q->qclass);
			put32(w, DEFAULT_TTL);
			put16(w, 4);
			put32(w, 0xc6336400 | (i + 100 * j));
		}
	}
	*ar = 2 * GLUE_NS;
}

/*
 * A client subnet: the query's own, as a server that used it answers
 * (RFC 7871 7.2.1: the scope set to the source prefix); with the ecs
 * rule, 203.0.113.0/24 to a query that sent none, as a broken server
 * might.  Returns nothing when there is neither.
 */
static void
put_ecs(struct wbuf *w, const struct query *q, const struct rule *r)
{
	if (q->ecs_off != 0) {
		put16(w, OPT_ECS);
		put16(w, q->ecs_len);
		putbytes(w, q->msg + q->ecs_off, 2);
		put8(w, q->msg[q->ecs_off + 2]);
		put8(w, q->msg[q->ecs_off + 2]);
		putbytes(w, q->msg + q->ecs_off + ECS_FIXED,
		    q->ecs_len - ECS_FIXED);
	} else if (r->ecs) {
		put16(w, OPT_ECS);
		put16(w, ECS_FIXED + 3);
		put16(w, 1);
		put8(w, 24);
		put8(w, 24);
		putbytes(w, "\313\000\161", 3);
	}
}

static size_t
ecs_size(const struct query *q, const struct rule *r)
{
	if (q->ecs_off != 0)
		return (4 + q->ecs_len);
	return (r->ecs ? 4 + ECS_FIXED + 3 : 0);
}

/* The log's view of a query's client subnet: ADDR/SOURCE, or "bad". */
static void
note_ecs(struct query *q, const uint8_t *d, size_t len)
{
	uint8_t	a[16];
	size_t	alen;
	int	af;

	snprintf(q->ecs, sizeof(q->ecs), "bad");
	if (len < ECS_FIXED)
		return;
	q->ecs_off = d - q->msg;
	q->ecs_len = len;
	af = get16(d) == 1 ? AF_INET : get16(d) == 2 ? AF_INET6 : 0;
	alen = af == AF_INET ? 4 : 16;
	if (af == 0 || len - ECS_FIXED > alen)
		return;
	memset(a, 0, sizeof(a));
	memcpy(a, d + ECS_FIXED, len - ECS_FIXED);
	if (inet_ntop(af, a, q->ecs, sizeof(q->ecs)) != NULL)
		snprintf(q->ecs + strlen(q->ecs),
		    sizeof(q->ecs) - strlen(q->ecs), "/%u", d[2]);
}

/* RFC 8467: a padded query gets a response padded to 468 octets. */
static void
put_opt(struct wbuf *w, const struct query *q, const struct rule *r)
{
	size_t	total, n, i, ka, ecs;

	put8(w, 0);
	put16(w, T_OPT);
	put16(w, EDNS_SIZE);
	put8(w, 0);
	put8(w, 0);
	put16(w, q->do_bit ? 0x8000 : 0);
	ka = keepalive >= 0 ? 6 : 0;
	ecs = ecs_size(q, r);
	if (!q->padded) {
		put16(w, ka + ecs);
		if (ka) {
			put16(w, OPT_KEEPALIVE);
			put16(w, 2);
			put16(w, keepalive);
		}
		put_ecs(w, q, r);
		return;
	}
	total = w->len + 2 + ka + ecs + 4;
	n = (PAD_BLOCK - total % PAD_BLOCK) % PAD_BLOCK;
	put16(w, ka + ecs + 4 + n);
	if (ka) {
		put16(w, OPT_KEEPALIVE);
		put16(w, 2);
		put16(w, keepalive);
	}
	put_ecs(w, q, r);
	put16(w, OPT_PADDING);
	put16(w, n);
	for (i = 0; i < n; i++)
		put8(w, 0);
}

static void
put8(struct wbuf *w, uint8_t v)
{
	putbytes(w, &v, 1);
}

static void
put16(struct wbuf *w, uint16_t v)
{
	uint8_t	b[2];

	set16(b, v);
	putbytes(w, b, 2);
}

static void
put32(struct wbuf *w, uint32_t v)
{
	uint8_t	b[4];

	b[0] = v >> 24;
	b[1] = (v >> 16) & 0xff;
	b[2] = (v >> 8) & 0xff;
	b[3] = v & 0xff;
	putbytes(w, b, 4);
}

static void
putbytes(struct wbuf *w, const void *p, size_t len)
{
	if (w->overflow || w->cap - w->len < len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, p, len);
	w->len += len;
}
