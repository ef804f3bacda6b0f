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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static int	 sockaddr_port(const struct sockaddr_storage *);
static void	 sockaddr_set_port(struct sockaddr_storage *, int);
static int	 sockaddr_same_host(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static int	 env_port(const char *);
static int	 env_error(char *, size_t, const char *, const char *,
		    const char *);
static void	 env_upstream(struct conf *, const char *, int, const char *);
static void	 env_listen(struct conf *, const char *, int);
static void	 free_upstreams(struct conf *);
static void	 free_listens(struct conf *);
static int	 prefix_match(const uint8_t *, const uint8_t *, int);

/*
 * What an empty ACL becomes: loopback, RFC 1918, RFC 6598 shared space,
 * link-local and ULA may ask, everybody else is refused, so a default
 * install is never an open resolver.
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

struct conf *
conf_new(void)
{
	struct conf	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->upstreams);
	TAILQ_INIT(&conf->acl);
	return (conf);
}

void
conf_free(struct conf *conf)
{
	struct acl_conf	*acl;

	if (conf == NULL)
		return;
	free_listens(conf);
	free_upstreams(conf);
	while ((acl = TAILQ_FIRST(&conf->acl)) != NULL) {
		TAILQ_REMOVE(&conf->acl, acl, entry);
		free(acl);
	}
	free(conf);
}

static void
free_listens(struct conf *conf)
{
	struct listen_conf	*l;

	while ((l = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, l, entry);
		free(l);
	}
}

static void
free_upstreams(struct conf *conf)
{
	struct upstream_conf	*u;

	while ((u = TAILQ_FIRST(&conf->upstreams)) != NULL) {
		TAILQ_REMOVE(&conf->upstreams, u, entry);
		free(u);
	}
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
	(void)strlcpy(sc->control_socket, DOTPROXY_CONTROL,
	    sizeof(sc->control_socket));
	sc->log_queries = 0;
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
		if (conf_parse_addr(DEFAULT_LISTEN_IP, DEFAULT_LISTEN_PORT,
		    &l->ss, &l->sslen) == -1)
			fatalx("bad default listen address");
		TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	}

	if (TAILQ_EMPTY(&conf->upstreams)) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			fatal(NULL);
		if (conf_parse_addr(DEFAULT_UPSTREAM_IP, DEFAULT_UPSTREAM_PORT,
		    &u->ss, &u->sslen) == -1)
			fatalx("bad default upstream address");
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

/*
 * The environment is the container interface: every variable is checked
 * before anything changes, so a bad value leaves the configuration as it
 * was and names the variable.
 */
int
conf_apply_env(struct conf *conf, char *errbuf, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*ip, *port, *name, *ca, *lip, *lport;
	int			 uport = -1, lportnum = -1;

	ip = getenv("DNS_SERVER_IP");
	port = getenv("DNS_SERVER_PORT");
	name = getenv("DNS_SERVER_NAME");
	ca = getenv("CA_PATH");
	lip = getenv("LISTENING_SOCKET_IP");
	lport = getenv("LISTENING_SOCKET_PORT");

	if (ip != NULL && conf_parse_addr(ip, 0, &ss, &sslen) == -1)
		return (env_error(errbuf, errlen, "DNS_SERVER_IP",
		    "invalid address", ip));
	if (port != NULL && (uport = env_port(port)) == -1)
		return (env_error(errbuf, errlen, "DNS_SERVER_PORT",
		    "invalid port", port));
	if (name != NULL && !conf_valid_name(name))
		return (env_error(errbuf, errlen, "DNS_SERVER_NAME",
		    "invalid name", name));
	if (ca != NULL && ca[0] != '/')
		return (env_error(errbuf, errlen, "CA_PATH",
		    "not an absolute path", ca));
	if (ca != NULL && strlen(ca) >= sizeof(conf->sc.ca_file))
		return (env_error(errbuf, errlen, "CA_PATH",
		    "path too long", ca));
	if (lip != NULL && conf_parse_addr(lip, 0, &ss, &sslen) == -1)
		return (env_error(errbuf, errlen, "LISTENING_SOCKET_IP",
		    "invalid address", lip));
	if (lport != NULL && (lportnum = env_port(lport)) == -1)
		return (env_error(errbuf, errlen, "LISTENING_SOCKET_PORT",
		    "invalid port", lport));

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
 * not say comes from the first upstream already configured.  Pins belong
 * to a server: they survive only if both its address and name do.
 */
static void
env_upstream(struct conf *conf, const char *ip, int port, const char *name)
{
	struct upstream_conf	*base, *u;
	int			 baseport;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal(NULL);
	if ((base = TAILQ_FIRST(&conf->upstreams)) != NULL) {
		*u = *base;
		baseport = sockaddr_port(&base->ss);
	} else {
		if (conf_parse_addr(DEFAULT_UPSTREAM_IP, DEFAULT_UPSTREAM_PORT,
		    &u->ss, &u->sslen) == -1)
			fatalx("bad default upstream address");
		(void)strlcpy(u->tls_name, DEFAULT_UPSTREAM_NAME,
		    sizeof(u->tls_name));
		baseport = DEFAULT_UPSTREAM_PORT;
	}

	if (ip != NULL) {
		struct sockaddr_storage	 old = u->ss;
		struct sockaddr_storage	 named;
		socklen_t		 namedlen;
		int			 name_is_addr;

		/* A name that was only the old address follows the new one. */
		name_is_addr = conf_parse_addr(u->tls_name, 0, &named,
		    &namedlen) == 0 && sockaddr_same_host(&named, &old);
		if (conf_parse_addr(ip, baseport, &u->ss, &u->sslen) == -1)
			fatalx("%s: checked address became invalid", __func__);
		if (name_is_addr)
			(void)strlcpy(u->tls_name, ip, sizeof(u->tls_name));
	}
	if (port != -1)
		sockaddr_set_port(&u->ss, port);
	if (name != NULL)
		(void)strlcpy(u->tls_name, name, sizeof(u->tls_name));
	if (ip != NULL || name != NULL) {
		u->npins = 0;
		memset(u->pins, 0, sizeof(u->pins));
	}

	free_upstreams(conf);
	TAILQ_INSERT_TAIL(&conf->upstreams, u, entry);
}

static void
env_listen(struct conf *conf, const char *ip, int port)
{
	struct listen_conf	*base, *l;
	int			 baseport;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	if ((base = TAILQ_FIRST(&conf->listens)) != NULL) {
		*l = *base;
		baseport = sockaddr_port(&base->ss);
	} else {
		if (conf_parse_addr(DEFAULT_LISTEN_IP, DEFAULT_LISTEN_PORT,
		    &l->ss, &l->sslen) == -1)
			fatalx("bad default listen address");
		baseport = DEFAULT_LISTEN_PORT;
	}
	if (ip != NULL && conf_parse_addr(ip, baseport, &l->ss,
	    &l->sslen) == -1)
		fatalx("%s: checked address became invalid", __func__);
	if (port != -1)
		sockaddr_set_port(&l->ss, port);

	free_listens(conf);
	TAILQ_INSERT_TAIL(&conf->listens, l, entry);
}

static int
sockaddr_port(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	case AF_INET6:
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	}
	return (0);
}

static void
sockaddr_set_port(struct sockaddr_storage *ss, int port)
{
	switch (ss->ss_family) {
	case AF_INET:
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		break;
	case AF_INET6:
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		break;
	}
}

static int
sockaddr_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	switch (a->ss_family) {
	case AF_INET:
		return (memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0);
	case AF_INET6:
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	}
	return (0);
}

/*
 * Numeric addresses only: the daemon never resolves names, and a scope
 * (fe80::1%eth0) is refused, inet_pton does not take one.
 */
int
conf_parse_addr(const char *str, int port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535)
		return (-1);
	if (inet_pton(AF_INET, str, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, str, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
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

/* "192.0.2.1:53" or "[2001:db8::1]:53", for log messages. */
const char *
conf_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];

	if (len == 0)
		return (buf);
	switch (sa->sa_family) {
	case AF_INET:
		if (inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, len, "%s:%u", host,
		    ntohs(((const struct sockaddr_in *)sa)->sin_port));
		return (buf);
	case AF_INET6:
		if (inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, len, "[%s]:%u", host,
		    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
		return (buf);
	}
	(void)snprintf(buf, len, "(address family %d)", sa->sa_family);
	return (buf);
}
