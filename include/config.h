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

#ifndef DOTPROXY_CONFIG_H
#define DOTPROXY_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <limits.h>
#include <stdint.h>

#include "defaults.h"

#define CONF_NAME_MAX		256	/* tls-name, incl. NUL */
#define CONF_USER_MAX		64
#define CONF_MAX_PINS		8
#define CONF_PIN_LEN		32	/* SHA-256 of the SPKI */
#define CONF_MAX_LISTEN		32
#define ENGINE_MAX_LISTEN	(2 * CONF_MAX_LISTEN)	/* sockets an engine serves */
#define CONF_MAX_UPSTREAM	16	/* in one zone */
#define CONF_MAX_UPSTREAMS	64	/* in all zones together */
#define CONF_MAX_ZONES		256	/* zone statements */

enum upstream_policy { POLICY_FASTEST, POLICY_FAILOVER, POLICY_ROUNDROBIN };
enum acl_action { ACL_ALLOW = 0, ACL_DENY };
/* TLS unless the upstream line says cleartext: UDP (TCP on TC=1), or TCP */
enum upstream_transport { UP_TLS = 0, UP_CLEARTEXT_UDP, UP_CLEARTEXT_TCP };

/* what a client the access list denies gets */
enum deny_action {
	DENY_REFUSE = 0,	/* REFUSED, never larger than its query */
	DENY_DROP		/* nothing; TCP closed at once */
};

/* what a UDP query over its prefix's rate gets */
enum rate_action {
	RATE_TRUNCATE = 0,	/* empty TC=1 reply: real clients use TCP */
	RATE_DROP		/* nothing */
};

/*
 * The list entries travel between parent and engine as the flat structs
 * of ipc.h, without their linkage; conf_scalars travels as it is.
 */
struct listen_conf {
	TAILQ_ENTRY(listen_conf)	 entry;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
};

struct upstream_conf {
	TAILQ_ENTRY(upstream_conf)	 entry;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	char				 tls_name[CONF_NAME_MAX];
	int				 transport;	/* enum upstream_transport */
	int				 zone;	/* its zone's index, 0 is "." */
	int				 npins;
	uint8_t				 pins[CONF_MAX_PINS][CONF_PIN_LEN];
};

struct acl_conf {
	TAILQ_ENTRY(acl_conf)		 entry;
	int				 action;	/* enum acl_action */
	int				 af;	/* AF_UNSPEC means any */
	uint8_t				 addr[16];	/* network order */
	int				 prefixlen;
};

TAILQ_HEAD(listen_list, listen_conf);
TAILQ_HEAD(upstream_list, upstream_conf);
TAILQ_HEAD(acl_list, acl_conf);
TAILQ_HEAD(zone_list, zone_conf);	/* zone.h */

/* The scalar part of the configuration; sent to the engine as one message. */
struct conf_scalars {
	char		user[CONF_USER_MAX];
	char		chroot[PATH_MAX];
	char		ca_file[PATH_MAX];
	int		policy;		/* enum upstream_policy */
	int		padding;	/* block size, 0 is off */
	int		cache_size;	/* entries, 0 is off */
	int		cache_min_ttl;	/* seconds */
	int		cache_max_ttl;	/* seconds */
	int		tcp_idle_timeout;	/* seconds */
	int		query_timeout;		/* seconds */
	int		upstream_max_failures;	/* consecutive, then down */
	int		upstream_connections;	/* per upstream, host-wide */
	int		tcp_max_conn;
	int		tcp_max_pipeline;
	int		max_queries;
	int		coalesce_max_waiters;	/* 0 is off */
	int		tcp_max_conn_client;	/* per client address */
	int		max_queries_client;	/* in flight, per address */
	int		tcp_max_lifetime;	/* seconds */
	int		tcp_max_output;		/* unread octets */
	int		engines;
	int		deny_action;		/* enum deny_action */
	int		edns_buffer_size;	/* octets */
	int		client_subnet_pass;	/* a client's ECS goes upstream */
	int		rate_limit;	/* queries/s per prefix, 0 is off */
	int		rate_limit_burst;
	int		rate_limit_action;	/* enum rate_action */
	int		rate_limit_v4;	/* IPv4 prefix length */
	int		rate_limit_v6;	/* IPv6 prefix length */
	int		rate_limit_table;	/* buckets per engine */
	char		control_socket[108];	/* sun_path; "" is off */
	int		log_queries;	/* one log line per query */
	int		local_zones;	/* the built-in zones (zone.c) */
	struct sockaddr_storage metrics_ss;	/* metrics listen on */
	socklen_t	metrics_sslen;	/* 0 is off */
	/* filled in by the parent, not by the parser */
	uid_t		uid;
	gid_t		gid;
	int		verbose;
};

struct conf {
	struct conf_scalars	 sc;
	struct listen_list	 listens;
	struct upstream_list	 upstreams;
	struct acl_list		 acl;
	struct zone_list	 zones;		/* in order, indexes 1.. */
	int			 acl_is_default;
};

/* config.c */
struct conf	*conf_new(void);
void		 conf_free(struct conf *);
void		 conf_set_defaults(struct conf *);
void		 conf_fill_default_lists(struct conf *);
int		 conf_apply_env(struct conf *, char *, size_t);
int		 conf_parse_addr(const char *, int, struct sockaddr_storage *,
		    socklen_t *);
int		 conf_count_upstreams(const struct conf *);
int		 conf_acl_match(const struct acl_list *,
		    const struct sockaddr *);
const char	*conf_addr_str(const struct sockaddr *, char *, size_t);
int		 conf_addr_port(const struct sockaddr_storage *);
const char	*conf_addr_host(const struct sockaddr *, char *, size_t);
int		 conf_valid_name(const char *);
int		 conf_cleartext_allowed(const struct sockaddr *);
const char	*conf_transport_name(int);
int		 conf_parse_prefix(const char *, struct acl_conf *,
		    const char **);

/* parse.y */
struct conf	*parse_config(const char *, int);

/* printconf.c */
void		 print_config(const struct conf *);

#endif /* DOTPROXY_CONFIG_H */
