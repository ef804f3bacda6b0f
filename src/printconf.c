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

#include <stdio.h>
#include <string.h>

#include "config.h"

static void	 print_string(const char *);
static void	 print_addr(const struct sockaddr_storage *);
static int	 addr_port(const struct sockaddr_storage *);
static void	 print_pin(const uint8_t *);
static const char *policy_name(int);

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
	const struct upstream_conf	*u;
	const struct acl_conf		*acl;
	char				 buf[INET6_ADDRSTRLEN];
	int				 i;

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
		printf(" port %d\n", addr_port(&l->ss));
	}
	printf("\n");

	printf("upstream-policy %s\n", policy_name(sc->policy));
	printf("upstream-max-failures %d\n", sc->upstream_max_failures);
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		printf("upstream ");
		print_addr(&u->ss);
		printf(" port %d tls-name ", addr_port(&u->ss));
		print_string(u->tls_name);
		for (i = 0; i < u->npins; i++) {
			printf(" \\\n    pin ");
			print_pin(u->pins[i]);
		}
		printf("\n");
	}
	printf("\n");

	if (sc->padding == 0)
		printf("padding off\n");
	else
		printf("padding %d\n", sc->padding);
	if (sc->cache_size == 0)
		printf("cache off\n");
	else
		printf("cache size %d\n", sc->cache_size);
	printf("cache min-ttl %d\n", sc->cache_min_ttl);
	printf("cache max-ttl %d\n", sc->cache_max_ttl);
	printf("tcp-idle-timeout %d\n", sc->tcp_idle_timeout);
	printf("query-timeout %d\n", sc->query_timeout);
	printf("tcp-max-connections %d\n", sc->tcp_max_conn);
	printf("tcp-max-pipeline %d\n", sc->tcp_max_pipeline);
	printf("max-queries %d\n", sc->max_queries);
	if (sc->coalesce_max_waiters == 0)
		printf("coalesce-max-waiters off\n");
	else
		printf("coalesce-max-waiters %d\n", sc->coalesce_max_waiters);
	printf("tcp-max-connections-per-client %d\n",
	    sc->tcp_max_conn_client);
	printf("max-queries-per-client %d\n", sc->max_queries_client);
	printf("tcp-max-lifetime %d\n", sc->tcp_max_lifetime);
	printf("tcp-max-output %d\n", sc->tcp_max_output);
	if (sc->engines == 0)
		printf("engines auto\n");
	else
		printf("engines %d\n", sc->engines);
	printf("edns-buffer-size %d\n", sc->edns_buffer_size);
	if (sc->rate_limit == 0)
		printf("rate-limit off\n");
	else
		printf("rate-limit %d\n", sc->rate_limit);
	printf("rate-limit-burst %d\n", sc->rate_limit_burst);
	printf("rate-limit-action %s\n",
	    sc->rate_limit_action == RATE_DROP ? "drop" : "truncate");
	printf("rate-limit-ipv4-prefix %d\n", sc->rate_limit_v4);
	printf("rate-limit-ipv6-prefix %d\n", sc->rate_limit_v6);
	printf("rate-limit-table %d\n", sc->rate_limit_table);
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
		printf(" port %d\n", addr_port(&sc->metrics_ss));
	}
	printf("\n");

	printf("deny-action %s\n",
	    sc->deny_action == DENY_DROP ? "drop" : "refuse");

	if (conf->acl_is_default)
		printf("# built-in access list\n");
	TAILQ_FOREACH(acl, &conf->acl, entry) {
		printf("%s from ", acl->action == ACL_ALLOW ? "allow" : "deny");
		if (acl->af == AF_UNSPEC)
			printf("any\n");
		else if (inet_ntop(acl->af, acl->addr, buf, sizeof(buf)) !=
		    NULL)
			printf("%s/%d\n", buf, acl->prefixlen);
		else
			printf("# rule of address family %d\n", acl->af);
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

static void
print_addr(const struct sockaddr_storage *ss)
{
	char		 buf[INET6_ADDRSTRLEN];
	const void	*a;

	switch (ss->ss_family) {
	case AF_INET:
		a = &((const struct sockaddr_in *)ss)->sin_addr;
		break;
	case AF_INET6:
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		break;
	default:
		printf("?");
		return;
	}
	if (inet_ntop(ss->ss_family, a, buf, sizeof(buf)) == NULL)
		printf("?");
	else
		printf("%s", buf);
}

static int
addr_port(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	case AF_INET6:
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	}
	return (0);
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
