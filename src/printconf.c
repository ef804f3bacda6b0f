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

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "zone.h"

struct scalar;

static void	 print_string(const char *);
static void	 print_addr(const struct sockaddr_storage *);
static void	 print_ints(const struct conf_scalars *, const struct scalar *,
		    size_t);
static void	 print_pin(const uint8_t *);
static const char *policy_name(int);
static void	 print_upstreams(const struct upstream_list *, const char *);
static void	 print_zone(const struct zone_conf *);

/*
 * The numeric settings in the order they are printed: the keyword, where
 * the number sits in struct conf_scalars, and what stands for 0 where
 * the grammar has a word for it (NULL: the number itself).
 */
#define SC(f)		offsetof(struct conf_scalars, f)
static const struct scalar {
	const char	*keyword;
	size_t		 field;
	const char	*zero;
} limits[] = {
	{ "padding",		SC(padding),		"padding off" },
	{ "cache size",		SC(cache_size),		"cache off" },
	{ "cache min-ttl",	SC(cache_min_ttl),	NULL },
	{ "cache max-ttl",	SC(cache_max_ttl),	NULL },
	{ "tcp-idle-timeout",	SC(tcp_idle_timeout),	NULL },
	{ "query-timeout",	SC(query_timeout),	NULL },
	{ "tcp-max-connections", SC(tcp_max_conn),	NULL },
	{ "tcp-max-pipeline",	SC(tcp_max_pipeline),	NULL },
	{ "max-queries",	SC(max_queries),	NULL },
	{ "coalesce-max-waiters", SC(coalesce_max_waiters),
	    "coalesce-max-waiters off" },
	{ "tcp-max-connections-per-client", SC(tcp_max_conn_client), NULL },
	{ "max-queries-per-client", SC(max_queries_client), NULL },
	{ "tcp-max-lifetime",	SC(tcp_max_lifetime),	NULL },
	{ "tcp-max-output",	SC(tcp_max_output),	NULL },
	{ "engines",		SC(engines),		"engines auto" },
	{ "edns-buffer-size",	SC(edns_buffer_size),	NULL },
	{ "rate-limit",		SC(rate_limit),		"rate-limit off" },
	{ "rate-limit-burst",	SC(rate_limit_burst),	NULL },
}, rate_prefixes[] = {
	{ "rate-limit-ipv4-prefix", SC(rate_limit_v4),	NULL },
	{ "rate-limit-ipv6-prefix", SC(rate_limit_v6),	NULL },
	{ "rate-limit-table",	SC(rate_limit_table),	NULL },
};
#define NSCALARS(t)	(sizeof(t) / sizeof((t)[0]))

/*
 * The effective configuration in the grammar of dotproxy.conf, defaults
 * and environment included, so that the output parses back to the same
 * configuration (dotproxy -nv).
 */
void
print_config(const struct conf *conf)
{
	const struct conf_scalars	*sc = &conf->sc;
	const struct listen_conf	*l;
	const struct acl_conf		*acl;
	const struct zone_conf		*z;
	char				 buf[INET6_ADDRSTRLEN];

	printf("user ");
	print_string(sc->user);
	printf("\nchroot ");
	print_string(sc->chroot);
	printf("\nca-file ");
	print_string(sc->ca_file);
	printf("\n\n");

	TAILQ_FOREACH(l, &conf->listens, entry) {
		printf("listen on ");
		print_addr(&l->ss);
		printf("\n");
	}
	printf("\n");

	printf("upstream-policy %s\n", policy_name(sc->policy));
	printf("upstream-max-failures %d\n", sc->upstream_max_failures);
	printf("upstream-connections %d\n", sc->upstream_connections);
	print_upstreams(&conf->upstreams, "");
	printf("\n");
	printf("local-zones %s\n", sc->local_zones ? "on" : "off");
	TAILQ_FOREACH(z, &conf->zones, entry)
		print_zone(z);
	printf("\n");

	print_ints(sc, limits, NSCALARS(limits));
	printf("rate-limit-action %s\n",
	    sc->rate_limit_action == RATE_DROP ? "drop" : "truncate");
	print_ints(sc, rate_prefixes, NSCALARS(rate_prefixes));
	printf("\n");

	if (sc->control_socket[0] == '\0')
		printf("control socket off\n");
	else {
		printf("control socket ");
		print_string(sc->control_socket);
		printf("\n");
	}
	printf("log queries %s\n", sc->log_queries ? "yes" : "no");
	if (sc->metrics_sslen == 0)
		printf("metrics off\n");
	else {
		printf("metrics listen on ");
		print_addr(&sc->metrics_ss);
		printf("\n");
	}
	printf("\n");

	printf("client-subnet %s\n", sc->client_subnet_pass ? "pass" : "strip");
	printf("deny-action %s\n",
	    sc->deny_action == DENY_DROP ? "drop" : "refuse");

	if (conf->acl_is_default)
		printf("# built-in access list\n");
	TAILQ_FOREACH(acl, &conf->acl, entry) {
		printf("%s from ",
		    acl->action == ACL_ALLOW ? "allow" : "deny");
		if (acl->af == AF_UNSPEC)
			printf("any\n");
		else if (inet_ntop(acl->af, acl->addr, buf, sizeof(buf)) !=
		    NULL)
			printf("%s/%d\n", buf, acl->prefixlen);
		else
			printf("# rule of address family %d\n", acl->af);
	}
}

static void
print_ints(const struct conf_scalars *sc, const struct scalar *t, size_t n)
{
	size_t	i;
	int	v;

	for (i = 0; i < n; i++) {
		memcpy(&v, (const char *)sc + t[i].field, sizeof(v));
		if (v == 0 && t[i].zero != NULL)
			printf("%s\n", t[i].zero);
		else
			printf("%s %d\n", t[i].keyword, v);
	}
}

/* Quoted, with the two characters the lexer treats specially escaped. */
static void
print_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/* The address and its port, as listen, upstream and metrics take them. */
static void
print_addr(const struct sockaddr_storage *ss)
{
	char	buf[INET6_ADDRSTRLEN];

	if (conf_addr_host((const struct sockaddr *)ss, buf, sizeof(buf)) ==
	    NULL)
		printf("?");
	else
		printf("%s", buf);
	printf(" port %d", conf_addr_port(ss));
}

/* "sha256/" and the padded base64 (RFC 4648) of the digest. */
static void
print_pin(const uint8_t *pin)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 out[(CONF_PIN_LEN + 2) / 3 * 4 + 1];
	size_t			 i, o = 0;
	uint32_t		 acc;

	for (i = 0; i < CONF_PIN_LEN; i += 3) {
		acc = (uint32_t)pin[i] << 16;
		if (i + 1 < CONF_PIN_LEN)
			acc |= (uint32_t)pin[i + 1] << 8;
		if (i + 2 < CONF_PIN_LEN)
			acc |= pin[i + 2];
		out[o++] = alphabet[acc >> 18 & 0x3f];
		out[o++] = alphabet[acc >> 12 & 0x3f];
		out[o++] = i + 1 < CONF_PIN_LEN ? alphabet[acc >> 6 & 0x3f] :
		    '=';
		out[o++] = i + 2 < CONF_PIN_LEN ? alphabet[acc & 0x3f] : '=';
	}
	out[o] = '\0';
	printf("\"sha256/%s\"", out);
}

static const char *
policy_name(int policy)
{
	switch (policy) {
	case POLICY_FAILOVER:
		return ("failover");
	case POLICY_ROUNDROBIN:
		return ("round-robin");
	}
	return ("fastest");
}

static void
print_upstreams(const struct upstream_list *list, const char *indent)
{
	const struct upstream_conf	*u;
	int				 i;

	TAILQ_FOREACH(u, list, entry) {
		printf("%supstream ", indent);
		print_addr(&u->ss);
		if (u->transport != UP_TLS) {
			printf(" %s\n", conf_transport_name(u->transport));
			continue;
		}
		printf(" tls-name ");
		print_string(u->tls_name);
		for (i = 0; i < u->npins; i++) {
			printf(" \\\n    %spin ", indent);
			print_pin(u->pins[i]);
		}
		printf("\n");
	}
}

/* What a zone does not say is the top level's, and stays unsaid. */
static void
print_zone(const struct zone_conf *z)
{
	printf("zone ");
	print_string(z->name);
	if (z->action == ZONE_REFUSE) {
		printf(" refuse\n");
		return;
	}
	if (z->action == ZONE_NXDOMAIN) {
		printf(" nxdomain\n");
		return;
	}
	printf(" {\n");
	if (z->policy != -1)
		printf("\tupstream-policy %s\n", policy_name(z->policy));
	if (z->padding == 0)
		printf("\tpadding off\n");
	else if (z->padding != -1)
		printf("\tpadding %d\n", z->padding);
	if (z->ca_file[0] != '\0') {
		printf("\tca-file ");
		print_string(z->ca_file);
		printf("\n");
	}
	print_upstreams(&z->upstreams, "\t");
	printf("}\n");
}
