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

#ifndef DOTPROXY_ENGINE_H
#define DOTPROXY_ENGINE_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>
#include <stdint.h>
#include <tls.h>

#include "buffer.h"
#include "clock.h"
#include "config.h"
#include "dns.h"
#include "frame.h"
#include "ipc.h"
#include "stats.h"

#define ENGINE_MAX_LISTEN	(2 * CONF_MAX_LISTEN)
#define UDP_BATCH		64	/* datagrams read per wake-up */
#define UPCONN_OUT_MAX		(4 * 1024 * 1024)
#define UPSTREAM_POOL		4	/* TLS connections per upstream */
#define UPCONN_MAX_INFLIGHT	256	/* queries and tombstones per conn */
#define UPCONN_SPREAD		32	/* in flight before opening another */
#define UPCONN_IDLE_TIMEOUT	30	/* seconds without queries */
#define UPSTREAM_BACKOFF_MIN	500	/* ms */
#define UPSTREAM_BACKOFF_MAX	30000	/* ms */
#define QUERY_MAX_SENDS		2	/* copies of one query out at once */
#define QUERY_MAX_TRIES		4	/* copies that count: the first, a
					   hedge, those whose connect or
					   handshake failed and those spoilt
					   by the query's own reply */
#define QUERY_MAX_COPIES	16	/* copies ever sent, also those lost
					   when a connection ended */

enum query_transport {
	QT_UDP = 1,
	QT_TCP,
	QT_PREFETCH	/* no client: refreshes a cache entry */
};

struct tcp_client;
struct upconn;
struct query;

/*
 * One copy of a query on an upstream connection.  A query has at most
 * two out at once: the first, and a hedge on another upstream; the
 * first answer wins.  A copy whose connection is lost is sent again.
 */
struct qsend {
	TAILQ_ENTRY(qsend)	 entry;	/* on its upstream connection */
	struct query		*q;
	struct upconn		*uc;	/* NULL when not in use */
	uint64_t		 sent;	/* us, monotonic */
	uint16_t		 upid;
	int			 measured;	/* RTT sample is clean */
	int			 blameless;	/* lost, but not by its reply */
};
TAILQ_HEAD(qsend_list, qsend);

/*
 * One preallocated slot per query in flight.  The client's query is kept
 * whole: it is what SERVFAIL echoes and what a retry re-sends.  A query
 * whose question is already in flight is a follower: it sends nothing
 * and is answered from its leader's reply (coalesce.c).
 */
TAILQ_HEAD(query_list, query);
struct query {
	TAILQ_ENTRY(query)	 tq;	/* deadline order, or free list */
	TAILQ_ENTRY(query)	 cq;	/* on its TCP client */
	TAILQ_ENTRY(query)	 fq;	/* on its leader's followers */
	struct query		*leader;	/* a follower's */
	struct query_list	 followers;	/* a leader's */
	int			 nfollowers;
	struct query		*hnext;	/* in-flight table chain */
	uint64_t		 hash;
	int			 hashed;	/* in the in-flight table */
	int			 busy;
	int			 counted;	/* in its client's in-flight count */
	int			 transport;
	int			 lfd;	/* UDP socket to answer from */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct tcp_client	*tc;	/* NULL once the client went away */
	struct qsend		 sends[QUERY_MAX_SENDS];
	int			 nsends;	/* copies in flight */
	int			 tries;		/* copies that count */
	int			 copies;	/* copies ever sent */
	int			 hedged;	/* a hedge went out */
	uint32_t		 tried;		/* upstream index bitmap */
	struct event		 hedge_ev;	/* late first answer */
	int			 hedge_armed;
	uint64_t		 deadline;	/* ms, monotonic */
	uint64_t		 started;	/* us, for the latency */
	struct dns_query_info	 qi;
	uint16_t		 qlen;
	uint8_t			 qbuf[DNS_MAX_QUERY];
};

struct listener {
	int			 fd;
	int			 proto;	/* enum listen_proto */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct event		 ev;
	int			 paused;
};

struct tcp_client {
	TAILQ_ENTRY(tcp_client)	 entry;
	int			 fd;
	int			 allowed;	/* ACL verdict at accept */
	int			 closing;
	int			 abort;	/* reset, not close: it does not read */
	int			 eof;	/* client shut its side, or retired */
	int			 reading;	/* read event armed */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct event		 rev;
	struct event		 wev;
	struct event		 tmo;	/* idle clock, or deferred close */
	struct event		 life;	/* tcp-max-lifetime */
	struct query_list	 queries;
	int			 inflight;
	size_t			 rlen;
	struct frame		 frame;	/* the rest of an oversized query */
	struct buf		 out;
	uint8_t			 rbuf[2 + DNS_MAX_QUERY];
};
TAILQ_HEAD(tcp_client_list, tcp_client);

enum upconn_state {
	UC_CLOSED = 0,
	UC_CONNECTING,
	UC_HANDSHAKE,
	UC_READY
};

struct upstream;

struct upconn {
	struct upstream		*up;
	int			 state;	/* enum upconn_state */
	int			 fd;
	struct tls		*tls;
	struct event		 ev;
	short			 evflags;	/* what ev is armed for */
	int			 want_out;	/* last write wanted POLLOUT */
	int			 read_wants_write;
	int			 dirty;	/* on the flush list */
	int			 asked_keepalive;	/* RFC 7828 option sent */
	int			 used;	/* has carried a query */
	int			 answered;	/* a good reply came on it */
	struct qsend		*culprit;	/* its bad reply spoilt us */
	int			 keepalive_ms;	/* server's idle timeout, or 0 */
	TAILQ_ENTRY(upconn)	 flush_entry;
	struct event		 tmo;	/* connect/handshake, idle */
	struct buf		 in;
	struct buf		 out;
	struct qsend_list	 sends;
	int			 inflight;
	int			 tombstones;
	uint64_t		 last_read;	/* us */
	uint64_t		 last_sent;	/* us, last query queued */
	uint32_t		*ids;	/* DNS id -> send + 1, or TOMBSTONE */
};

struct upstream {
	struct upstream_conf	 conf;
	int			 index;
	char			 name[64];	/* address, for logs */
	struct tls_config	*tls_cfg;	/* its own: the session cache */
	int			 session_fd;
	/* health */
	int			 fails;		/* consecutive, reset by a reply */
	int			 down;
	uint64_t		 retry_at;	/* ms */
	int			 backoff;	/* ms */
	uint64_t		 penalty;	/* us, added to srtt */
	uint64_t		 penalty_at;	/* ms, when it was last raised */
	/* smoothed round-trip time, RFC 6298 style, in us */
	uint64_t		 srtt;
	uint64_t		 rttvar;
	int			 samples;
	uint64_t		 last_query;	/* ms */
	/* counters, logged with -v when the engine exits */
	uint64_t		 nsent;
	uint64_t		 nanswered;
	uint64_t		 nfailed;
	uint64_t		 nretries;	/* copies sent again */
	uint64_t		 nlost;	/* connections ended under us */
	uint64_t		 nbadreply;	/* replies that spoilt a stream */
	uint64_t		 nresumed;
	uint64_t		 nhandshakes;	/* completed, for stats */
	uint64_t		 npinfail;	/* handshakes no pin matched */
	struct upconn		 conns[UPSTREAM_POOL];
};

struct engine {
	struct event_base	*base;
	struct ipc		 ipc;
	struct event		 ipc_ev;
	struct conf		*conf;
	uint8_t			*ca;
	size_t			 calen;

	struct listener		 listeners[ENGINE_MAX_LISTEN];
	int			 nlisteners;

	struct query		*queries;
	int			 nqueries;
	struct query_list	 freeq;
	struct query_list	 deadlines;
	struct event		 deadline_ev;
	int			 deadline_armed;

	struct tcp_client_list	 tcp_clients;
	int			 ntcp;
	int			 accept_paused;
	struct event		 accept_ev;	/* resumes accepting */
	int			 spare_fd;	/* given up on EMFILE */

	struct upstream		*upstreams;
	int			 nupstreams;
	unsigned int		 rr_next;	/* round-robin position */
	int			 hedge_tokens;	/* budget for hedged copies */
	TAILQ_HEAD(, upconn)	 flushq;
	struct event		 flush_ev;

	int			 nbusy;		/* query slots in use */
	struct query		**inflight;	/* coalesce.c: by question */
	uint64_t		 inflight_mask;
	uint64_t		 ncoalesced;	/* queries answered as followers */
	int			 draining;	/* SIGTERM: finish, then exit */
	uint64_t		 drain_until;	/* ms */
	struct event		 drain_ev;
	struct event		 sigterm_ev;
	struct event		 sigint_ev;

	/* abuse counters, exported by a later issue */
	uint64_t		 nrefused;	/* denied by the access list */
	uint64_t		 nratelimited;	/* over their prefix's rate */

	/* counters for the parent (report.c), and the query log switch */
	struct stats		 st;
	int			 querylog;
	struct event		 report_ev;

	/* scratch for building answers that are not upstream replies */
	uint8_t			 scratch[DNS_MAX_QUERY + 512];
	/* a cached answer made the client's, up to the TCP limit */
	uint8_t			 answer[DNS_MAX_MSG];
};

extern struct engine	*env;

/* engine.c */
void		 engine_main(int, int) __attribute__((__noreturn__));

void		 engine_ipc_flush(void);

/* report.c */
void		 report_init(void);
void		 report_send(void);
void		 report_answer(int, const struct sockaddr *, const uint8_t *,
		    size_t, uint64_t, int);
void		 report_flush_cache(const uint8_t *, size_t);

/* query.c */
void		 query_init(void);
struct query	*query_alloc(void);
void		 query_free(struct query *);
void		 query_start(struct query *);
void		 query_reply(struct query *, uint8_t *, size_t);
void		 query_fail(struct query *, int);
void		 query_send_failed(struct query *);
void		 query_prefetch(const uint8_t *, size_t,
		    const struct dns_query_info *);

/*
 * coalesce.c: the table of questions in flight.  Each follower's end is
 * handed back to the query owner through the one callback given at
 * init: its own answer, or (answer NULL) its rcode to fail with.
 */
typedef void	(*coalesce_cb)(struct query *, uint8_t *, size_t, int);
void		 coalesce_init(coalesce_cb);
int		 coalesce_join(struct query *);
void		 coalesce_reply(struct query *, const uint8_t *, size_t);
void		 coalesce_fail(struct query *, int);
void		 coalesce_leave(struct query *);
/* clients.c */
void		 clients_init(void);
int		 clients_query_add(const struct sockaddr *);
void		 clients_query_del(const struct sockaddr *);
int		 clients_tcp_add(const struct sockaddr *);
void		 clients_tcp_del(const struct sockaddr *);
uint32_t	 clients_live(void);

/* listener.c */
void		 listener_start(struct listener *);
void		 listener_stop_all(void);
struct tcp_client *tcp_client_new(int, const struct sockaddr_storage *,
		    socklen_t);
int		 tcp_client_between_queries(const struct tcp_client *);
int		 tcp_client_release(struct tcp_client *);
/* handoff.c */
int		 handoff_idle_clients(void);
void		 handoff_adopt(int);
void		 listener_query(struct listener *, const struct sockaddr *,
		    socklen_t, struct tcp_client *, const uint8_t *, size_t);

/* udp.c */
void		 udp_init(void);
void		 udp_read_cb(int, short, void *);
void		 udp_send(int, const struct sockaddr *, socklen_t,
		    const uint8_t *, size_t);
size_t		 listener_send(int, const struct sockaddr *, socklen_t,
		    struct tcp_client *, uint8_t *, size_t,
		    const struct dns_query_info *);
void		 listener_answer_error(int, const struct sockaddr *,
		    socklen_t, struct tcp_client *, const uint8_t *, size_t,
		    const struct dns_query_info *, int);
void		 tcp_client_send(struct tcp_client *, const uint8_t *,
		    size_t);
void		 tcp_client_query_done(struct tcp_client *, struct query *);
void		 tcp_client_detach_all(struct tcp_client *);

/* upstream.c */
void		 upstream_init(void);
void		 upstream_session_init(void);
int		 upstream_send(struct query *, int);
void		 upstream_forget_all(struct query *, int);
void		 upstream_answered(struct upstream *, struct qsend *);
uint64_t	 upstream_attempt_us(const struct upstream *);
void		 upstream_log_stats(void);

/* upconn.c */
void		 upconn_init(struct upconn *, struct upstream *);
int		 upconn_connect(struct upconn *);
/* how a connection ended, for upconn_close() */
enum upconn_end {
	UCE_IDLE = 0,	/* we closed it, nothing in flight */
	UCE_ENDED,	/* the upstream ended it, nothing in flight */
	UCE_LOST,	/* it ended or went bad under us: retry its queries */
	UCE_FAILED	/* connect or handshake failed: counts against it */
};
void		 upconn_close(struct upconn *, const char *, enum upconn_end);
/*
 * What a connection reports upward, through hooks the modules above it
 * set: a reply matched to its copy (msg NULL: the copy was lost and
 * should go out again; -1 back: the reply was unusable, drop the
 * stream), and evidence that new connections to an upstream fail.
 */
typedef int	(*upconn_reply_fn)(struct qsend *, struct upstream *,
		    uint8_t *, size_t);
typedef void	(*upconn_failed_fn)(struct upstream *, const char *);
void		 upconn_set_reply_hook(upconn_reply_fn);
void		 upconn_set_failed_hook(upconn_failed_fn);
int		 upconn_usable(struct upconn *);
void		 upconn_forget(struct upconn *, struct qsend *, int);
int		 upconn_queue(struct upconn *, struct qsend *);
void		 upconn_flush_all(int, short, void *);

/* pin.c */
int		 pin_check(struct tls *, const struct upstream_conf *);

/* sandbox.c */
void		 sandbox_init(void);
void		 sandbox_drop_user(const struct conf_scalars *);
void		 sandbox_metrics(void);

#endif /* DOTPROXY_ENGINE_H */
