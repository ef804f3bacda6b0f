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
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "zone.h"

static void	 sockaddr_set_port(struct sockaddr_storage *, int);
static int	 sockaddr_same_host(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static int	 env_port(const char *);
static int	 env_addr_port(const char *, const char *, const char *,
		    const char *, int *, char *, size_t);
static int	 env_error(char *, size_t, const char *, const char *,
		    const char *);
static void	 env_upstream(struct conf *, const char *, int, const char *);
static void	 env_listen(struct conf *, const char *, int);
static void	 env_set_addr(struct sockaddr_storage *, socklen_t *,
		    const char *, int);
static int	 prefix_match(const uint8_t *, const uint8_t *, int);
static const struct family *family(int);
static void	 default_addr(const char *, const char *, int,
		    struct sockaddr_storage *, socklen_t *);

/*
 * Where IPv4 and IPv6 keep address and port in a sockaddr, so that one
 * function serves both families (offsets, as the structs differ).
 */
static const struct family {
	sa_family_t	 af;
	socklen_t	 sslen;
	size_t		 addr;
	size_t		 addrlen;
	size_t		 port;
} families[] = {
	{ AF_INET, sizeof(struct sockaddr_in),
	    offsetof(struct sockaddr_in, sin_addr), sizeof(struct in_addr),
	    offsetof(struct sockaddr_in, sin_port) },
	{ AF_INET6, sizeof(struct sockaddr_in6),
	    offsetof(struct sockaddr_in6, sin6_addr), sizeof(struct in6_addr),
	    offsetof(struct sockaddr_in6, sin6_port) },
};
#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

/*
 * What an empty ACL becomes: loopback, RFC 1918, RFC 6598 shared space,
 * link-local and ULA may ask, everybody else is refused, so a default
 * install is never an open resolver.  The same ranges are the only ones
 * a cleartext upstream may have (conf_cleartext_allowed()).
 */
static const struct {
	int		 action;
	const char	*prefix;
} default_acl[] = {
	{ ACL_ALLOW,	"127.0.0.0/8" },
	{ ACL_ALLOW,	"::1/128" },
	{ ACL_ALLOW,	"10.0.0.0/8" },
	{ ACL_ALLOW,	"172.16.0.0/12" },
	{ ACL_ALLOW,	"192.168.0.0/16" },
	{ ACL_ALLOW,	"100.64.0.0/10" },
	{ ACL_ALLOW,	"169.254.0.0/16" },
	{ ACL_ALLOW,	"fc00::/7" },
	{ ACL_ALLOW,	"fe80::/10" },
	{ ACL_DENY,	"any" }
};

/* Empties a list of calloc'd entries, var the cursor. */
#define FREE_LIST(head, var) do {					\
	while (((var) = TAILQ_FIRST(head)) != NULL) {			\
		TAILQ_REMOVE(head, var, entry);				\
		free(var);						\
	}								\
} while (0)

struct conf *
conf_new(void)
{
	struct conf	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->upstreams);
	TAILQ_INIT(&conf->acl);
	TAILQ_INIT(&conf->zones);
	return (conf);
}

void
conf_free(struct conf *conf)
{
	struct listen_conf	*l;
	struct upstream_conf	*u;
	struct acl_conf		*acl;
	struct zone_conf	*z;

	if (conf == NULL)
		return;
	FREE_LIST(&conf->listens, l);
	FREE_LIST(&conf->upstreams, u);
	FREE_LIST(&conf->acl, acl);
	while ((z = TAILQ_FIRST(&conf->zones)) != NULL) {
		TAILQ_REMOVE(&conf->zones, z, entry);
		FREE_LIST(&z->upstreams, u);
		free(z->ca);
		free(z);
	}
	free(conf);
}

/* Upstreams in every zone, the top level's included. */
int
conf_count_upstreams(const struct conf *conf)
{
	const struct upstream_conf	*u;
	const struct zone_conf		*z;
	int				 n = 0;

	TAILQ_FOREACH(u, &conf->upstreams, entry)
		n++;
	TAILQ_FOREACH(z, &conf->zones, entry)
		TAILQ_FOREACH(u, &z->upstreams, entry)
			n++;
	return (n);
}

/* The scalars only: the lists are filled after the file, if still empty. */
void
conf_set_defaults(struct conf *conf)
{
	struct conf_scalars	*sc = &conf->sc;

	(void)strlcpy(sc->user, DOTPROXY_USER, sizeof(sc->user));
	(void)strlcpy(sc->chroot, DOTPROXY_CHROOT, sizeof(sc->chroot));
	(void)strlcpy(sc->ca_file, DOTPROXY_CA_FILE, sizeof(sc->ca_file));
	sc->policy = POLICY_FASTEST;
	sc->padding = DEFAULT_PADDING;
	sc->cache_size = DEFAULT_CACHE_SIZE;
	sc->cache_min_ttl = DEFAULT_CACHE_MIN_TTL;
	sc->cache_max_ttl = DEFAULT_CACHE_MAX_TTL;
	sc->tcp_idle_timeout = DEFAULT_TCP_IDLE;
	sc->query_timeout = DEFAULT_QUERY_TIMEOUT;
	sc->upstream_max_failures = DEFAULT_UPSTREAM_MAX_FAIL;
	sc->upstream_connections = DEFAULT_UPSTREAM_CONNS;
	sc->tcp_max_conn = DEFAULT_TCP_MAX_CONN;
	sc->tcp_max_pipeline = DEFAULT_TCP_PIPELINE;
	sc->max_queries = DEFAULT_MAX_QUERIES;
	sc->coalesce_max_waiters = DEFAULT_COALESCE_WAITERS;
	sc->tcp_max_conn_client = DEFAULT_TCP_MAX_CONN_CLIENT;
	sc->max_queries_client = DEFAULT_MAX_QUERIES_CLIENT;
	sc->tcp_max_lifetime = DEFAULT_TCP_LIFETIME;
	sc->tcp_max_output = DEFAULT_TCP_MAX_OUTPUT;
	sc->engines = DEFAULT_ENGINES;
	sc->deny_action = DEFAULT_DENY_ACTION;
	sc->edns_buffer_size = DEFAULT_EDNS_SIZE;
	sc->client_subnet_pass = 0;	/* strip: ECS tells where clients are */
	(void)strlcpy(sc->control_socket, DOTPROXY_CONTROL,
	    sizeof(sc->control_socket));
	sc->log_queries = 0;
	sc->local_zones = 1;
	sc->metrics_sslen = 0;
	sc->rate_limit = DEFAULT_RATE_LIMIT;
	sc->rate_limit_burst = DEFAULT_RATE_BURST;
	sc->rate_limit_action = DEFAULT_RATE_ACTION;
	sc->rate_limit_v4 = DEFAULT_RATE_V4;
	sc->rate_limit_v6 = DEFAULT_RATE_V6;
	sc->rate_limit_table = DEFAULT_RATE_TABLE;
}

void
conf_fill_default_lists(struct conf *conf)
{
	struct listen_conf	*l;
	struct upstream_conf	*u;
	struct acl_conf		*acl;
	const char		*errstr;
	size_t			 i;

	if (TAILQ_EMPTY(&conf->listens)) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal(NULL);
		default_addr("listen", DEFAULT_LISTEN_IP, DEFAULT_LISTEN_PORT,
		    &l->ss, &l->sslen);
		TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	}

	if (TAILQ_EMPTY(&conf->upstreams)) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			fatal(NULL);
		default_addr("upstream", DEFAULT_UPSTREAM_IP,
		    DEFAULT_UPSTREAM_PORT, &u->ss, &u->sslen);
		(void)strlcpy(u->tls_name, DEFAULT_UPSTREAM_NAME,
		    sizeof(u->tls_name));
		TAILQ_INSERT_TAIL(&conf->upstreams, u, entry);
	}

	if (TAILQ_EMPTY(&conf->acl)) {
		for (i = 0; i < sizeof(default_acl) / sizeof(default_acl[0]);
		    i++) {
			if ((acl = calloc(1, sizeof(*acl))) == NULL)
				fatal(NULL);
			if (conf_parse_prefix(default_acl[i].prefix, acl,
			    &errstr) == -1)
				fatalx("default acl %s: %s",
				    default_acl[i].prefix, errstr);
			acl->action = default_acl[i].action;
			TAILQ_INSERT_TAIL(&conf->acl, acl, entry);
		}
		conf->acl_is_default = 1;
	}
}

/* A built-in address: failing to parse it is a bug. */
static void
default_addr(const char *what, const char *ip, int port,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	if (conf_parse_addr(ip, port, ss, sslen) == -1)
		fatalx("bad default %s address", what);
}

/*
 * The environment is the container interface: every variable is checked
 * before anything changes, so a bad value leaves the configuration as it
 * was and names the variable.
 */
int
conf_apply_env(struct conf *conf, char *errbuf, size_t errlen)
{
	const char		*ip, *port, *name, *ca, *lip, *lport;
	int			 uport = -1, lportnum = -1;

	ip = getenv("DNS_SERVER_IP");
	port = getenv("DNS_SERVER_PORT");
	name = getenv("DNS_SERVER_NAME");
	ca = getenv("CA_PATH");
	lip = getenv("LISTENING_SOCKET_IP");
	lport = getenv("LISTENING_SOCKET_PORT");

	if (env_addr_port("DNS_SERVER_IP", ip, "DNS_SERVER_PORT", port,
	    &uport, errbuf, errlen) == -1)
		return (-1);
	if (name != NULL && !conf_valid_name(name))
		return (env_error(errbuf, errlen, "DNS_SERVER_NAME",
		    "invalid name", name));
	if (ca != NULL && ca[0] != '/')
		return (env_error(errbuf, errlen, "CA_PATH",
		    "not an absolute path", ca));
	if (ca != NULL && strlen(ca) >= sizeof(conf->sc.ca_file))
		return (env_error(errbuf, errlen, "CA_PATH",
		    "path too long", ca));
	if (env_addr_port("LISTENING_SOCKET_IP", lip, "LISTENING_SOCKET_PORT",
	    lport, &lportnum, errbuf, errlen) == -1)
		return (-1);

	/* What the variables do not say comes from the file or defaults. */
	conf_fill_default_lists(conf);
	if (ip != NULL || port != NULL || name != NULL)
		env_upstream(conf, ip, uport, name);
	if (lip != NULL || lport != NULL)
		env_listen(conf, lip, lportnum);
	if (ca != NULL)
		(void)strlcpy(conf->sc.ca_file, ca, sizeof(conf->sc.ca_file));
	return (0);
}

static int
env_error(char *errbuf, size_t errlen, const char *var, const char *what,
    const char *val)
{
	if (errlen > 0)
		(void)snprintf(errbuf, errlen, "%s: %s \"%s\"", var, what,
		    val);
	return (-1);
}

/* An address variable and a port variable, either unset; *portnum set. */
static int
env_addr_port(const char *ipvar, const char *ip, const char *portvar,
    const char *port, int *portnum, char *errbuf, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	if (ip != NULL && conf_parse_addr(ip, 0, &ss, &sslen) == -1)
		return (env_error(errbuf, errlen, ipvar, "invalid address",
		    ip));
	if (port != NULL && (*portnum = env_port(port)) == -1)
		return (env_error(errbuf, errlen, portvar, "invalid port",
		    port));
	return (0);
}

static int
env_port(const char *str)
{
	const char	*errstr;
	long long	 port;

	port = strtonum(str, 1, 65535, &errstr);
	if (errstr != NULL)
		return (-1);
	return ((int)port);
}

/*
 * The variables replace the upstream list with one upstream; what they do
 * not say comes from the first upstream configured, which is kept.  Pins
 * belong to a server: they survive only if both its address and name do.
 */
static void
env_upstream(struct conf *conf, const char *ip, int port, const char *name)
{
	struct upstream_conf	*rest, *u;
	struct sockaddr_storage	 named;
	socklen_t		 namedlen;
	int			 name_is_addr;

	u = TAILQ_FIRST(&conf->upstreams);
	TAILQ_REMOVE(&conf->upstreams, u, entry);
	FREE_LIST(&conf->upstreams, rest);

	/* A name that was only the old address follows the new one. */
	name_is_addr = conf_parse_addr(u->tls_name, 0, &named,
	    &namedlen) == 0 && sockaddr_same_host(&named, &u->ss);
	/*
	 * The variables name a DoT server: a cleartext upstream they change
	 * becomes a TLS one on the DoT port, verified against its address
	 * unless named.
	 */
	if (u->transport != UP_TLS) {
		u->transport = UP_TLS;
		sockaddr_set_port(&u->ss, DEFAULT_UPSTREAM_PORT);
		name_is_addr = 1;
		if (conf_addr_host((struct sockaddr *)&u->ss, u->tls_name,
		    sizeof(u->tls_name)) == NULL)
			u->tls_name[0] = '\0';
	}
	env_set_addr(&u->ss, &u->sslen, ip, port);
	if (ip != NULL && name_is_addr)
		(void)strlcpy(u->tls_name, ip, sizeof(u->tls_name));
	if (name != NULL)
		(void)strlcpy(u->tls_name, name, sizeof(u->tls_name));
	if (ip != NULL || name != NULL) {
		u->npins = 0;
		memset(u->pins, 0, sizeof(u->pins));
	}
	TAILQ_INSERT_TAIL(&conf->upstreams, u, entry);
}

static void
env_listen(struct conf *conf, const char *ip, int port)
{
	struct listen_conf	*rest, *l;

	/* Like the upstream: the first listen address, changed, alone. */
	l = TAILQ_FIRST(&conf->listens);
	TAILQ_REMOVE(&conf->listens, l, entry);
	FREE_LIST(&conf->listens, rest);
	env_set_addr(&l->ss, &l->sslen, ip, port);
	TAILQ_INSERT_TAIL(&conf->listens, l, entry);
}

/*
 * A variable's address keeps the port the address had, a variable's
 * port the address; either may be absent (NULL, -1).  Both were checked.
 */
static void
env_set_addr(struct sockaddr_storage *ss, socklen_t *sslen, const char *ip,
    int port)
{
	if (ip != NULL && conf_parse_addr(ip, conf_addr_port(ss), ss,
	    sslen) == -1)
		fatalx("%s: checked address became invalid", __func__);
	if (port != -1)
		sockaddr_set_port(ss, port);
}

/* The layout of an IPv4 or IPv6 address; NULL for another family. */
static const struct family *
family(int af)
{
	size_t	i;

	for (i = 0; i < NFAMILIES; i++)
		if (families[i].af == af)
			return (&families[i]);
	return (NULL);
}

/* The port of an IPv4 or IPv6 address, 0 for another family. */
int
conf_addr_port(const struct sockaddr_storage *ss)
{
	const struct family	*f;
	in_port_t		 port;

	if ((f = family(ss->ss_family)) == NULL)
		return (0);
	memcpy(&port, (const uint8_t *)ss + f->port, sizeof(port));
	return (ntohs(port));
}

static void
sockaddr_set_port(struct sockaddr_storage *ss, int port)
{
	const struct family	*f;
	in_port_t		 nport = htons(port);

	if ((f = family(ss->ss_family)) != NULL)
		memcpy((uint8_t *)ss + f->port, &nport, sizeof(nport));
}

static int
sockaddr_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct family	*f;

	if (a->ss_family != b->ss_family ||
	    (f = family(a->ss_family)) == NULL)
		return (0);
	return (memcmp((const uint8_t *)a + f->addr,
	    (const uint8_t *)b + f->addr, f->addrlen) == 0);
}

/*
 * Numeric addresses only: the daemon never resolves names, and a scope
 * (fe80::1%eth0) is refused, inet_pton does not take one.
 */
int
conf_parse_addr(const char *str, int port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	size_t	i;

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535)
		return (-1);
	for (i = 0; i < NFAMILIES; i++) {
		if (inet_pton(families[i].af, str,
		    (uint8_t *)ss + families[i].addr) != 1)
			continue;
		ss->ss_family = families[i].af;
		sockaddr_set_port(ss, port);
		*sslen = families[i].sslen;
		return (0);
	}
	memset(ss, 0, sizeof(*ss));
	return (-1);
}

/*
 * A TLS verification name: an IP literal, or a host name of at most 253
 * characters in labels of 1 to 63 letters, digits and inner hyphens.  No
 * trailing dot (certificates do not carry one) and no all-numeric last
 * label, so a mistyped address is not taken for a name.
 */
int
conf_valid_name(const char *name)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*p, *label;
	size_t			 len;
	int			 numeric;

	if (conf_parse_addr(name, 0, &ss, &sslen) == 0)
		return (1);
	len = strlen(name);
	if (len == 0 || len > 253)
		return (0);
	label = name;
	for (p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63)
				return (0);
			if (*label == '-' || p[-1] == '-')
				return (0);
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return (0);
	}
	numeric = 1;
	for (p = label; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			numeric = 0;
	return (!numeric);
}

/*
 * "any", an address (a host route) or address/length.  Host bits beyond
 * the prefix are an error rather than silently cleared: 10.0.0.1/8 is
 * more likely a typo than a wish.  An IPv4-mapped IPv6 prefix becomes the
 * IPv4 prefix, since mapped clients are matched as IPv4.
 */
int
conf_parse_prefix(const char *str, struct acl_conf *acl, const char **errstr)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	char		 buf[INET6_ADDRSTRLEN + 1];
	const char	*slash, *e;
	size_t		 alen;
	int		 max, i, bits;

	memset(acl->addr, 0, sizeof(acl->addr));
	acl->prefixlen = 0;
	acl->af = AF_UNSPEC;
	if (strcmp(str, "any") == 0)
		return (0);

	if ((slash = strchr(str, '/')) != NULL)
		alen = slash - str;
	else
		alen = strlen(str);
	if (alen >= sizeof(buf)) {
		*errstr = "invalid address";
		return (-1);
	}
	memcpy(buf, str, alen);
	buf[alen] = '\0';

	if (inet_pton(AF_INET, buf, acl->addr) == 1) {
		acl->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, acl->addr) == 1) {
		acl->af = AF_INET6;
		max = 128;
	} else {
		acl->af = AF_UNSPEC;
		*errstr = "invalid address";
		return (-1);
	}

	acl->prefixlen = max;
	if (slash != NULL) {
		acl->prefixlen = strtonum(slash + 1, 0, max, &e);
		if (e != NULL) {
			*errstr = max == 32 ? "invalid prefix length (0..32)" :
			    "invalid prefix length (0..128)";
			return (-1);
		}
	}

	for (i = acl->prefixlen; i < max; i++) {
		bits = acl->addr[i / 8] & (0x80 >> (i % 8));
		if (bits != 0) {
			*errstr = "host bits set";
			return (-1);
		}
	}

	if (acl->af == AF_INET6 && acl->prefixlen >= 96 &&
	    memcmp(acl->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(acl->addr, acl->addr + 12, 4);
		memset(acl->addr + 4, 0, sizeof(acl->addr) - 4);
		acl->af = AF_INET;
		acl->prefixlen -= 96;
	}
	return (0);
}

static int
prefix_match(const uint8_t *a, const uint8_t *net, int len)
{
	int	bytes = len / 8, bits = len % 8;
	uint8_t	mask;

	if (bytes > 0 && memcmp(a, net, bytes) != 0)
		return (0);
	if (bits != 0) {
		mask = 0xff << (8 - bits);
		if (((a[bytes] ^ net[bytes]) & mask) != 0)
			return (0);
	}
	return (1);
}

/*
 * Runs for every query: no allocation, no conversion beyond looking
 * through an IPv4-mapped address.  The first rule that matches decides;
 * a client no rule matches is denied, as if every list ended in
 * "deny from any".
 */
int
conf_acl_match(const struct acl_list *acl, const struct sockaddr *sa)
{
	const struct acl_conf		*rule;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*a = NULL;
	int				 af = sa->sa_family;

	switch (af) {
	case AF_INET:
		a = (const uint8_t *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		a = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a += 12;
			af = AF_INET;
		}
		break;
	}

	TAILQ_FOREACH(rule, acl, entry) {
		if (rule->af == AF_UNSPEC)
			return (rule->action);
		if (rule->af != af || a == NULL)
			continue;
		if (prefix_match(a, rule->addr, rule->prefixlen))
			return (rule->action);
	}
	return (ACL_DENY);
}

/*
 * Cleartext DNS may only go where it stays on the host or the site: the
 * ranges the default ACL lets ask (loopback, RFC 1918, RFC 6598 shared
 * space, link-local, ULA), an IPv4-mapped address by its IPv4 one.
 */
int
conf_cleartext_allowed(const struct sockaddr *sa)
{
	struct acl_list	 list;
	struct acl_conf	 rules[sizeof(default_acl) / sizeof(default_acl[0])];
	const char	*errstr;
	size_t		 i;

	TAILQ_INIT(&list);
	for (i = 0; i < sizeof(default_acl) / sizeof(default_acl[0]); i++) {
		if (conf_parse_prefix(default_acl[i].prefix, &rules[i],
		    &errstr) == -1)
			fatalx("default acl %s: %s", default_acl[i].prefix,
			    errstr);
		rules[i].action = default_acl[i].action;
		TAILQ_INSERT_TAIL(&list, &rules[i], entry);
	}
	return (conf_acl_match(&list, sa) == ACL_ALLOW);
}

/* As the configuration, show upstreams and the logs say it. */
const char *
conf_transport_name(int transport)
{
	switch (transport) {
	case UP_CLEARTEXT_UDP:
		return ("cleartext");
	case UP_CLEARTEXT_TCP:
		return ("cleartext tcp");
	default:
		return ("tls");
	}
}

/* The numeric host of an IPv4 or IPv6 address; NULL for another. */
const char *
conf_addr_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct family	*f;

	if ((f = family(sa->sa_family)) == NULL)
		return (NULL);
	return (inet_ntop(f->af, (const uint8_t *)sa + f->addr, buf, len));
}

/* "192.0.2.1:53" or "[2001:db8::1]:53", for log messages. */
const char *
conf_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct family	*f = family(sa->sa_family);
	char			 host[INET6_ADDRSTRLEN];
	in_port_t		 port;

	if (len == 0)
		return (buf);
	if (conf_addr_host(sa, host, sizeof(host)) == NULL) {
		(void)snprintf(buf, len, "(address family %d)",
		    sa->sa_family);
		return (buf);
	}
	memcpy(&port, (const uint8_t *)sa + f->port, sizeof(port));
	(void)snprintf(buf, len, f->af == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    host, ntohs(port));
	return (buf);
}
