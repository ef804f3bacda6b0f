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
 * Configuration: the parser (good and bad files under conf/, every error
 * checked for its file:line), the environment overrides, the access list
 * matcher, and print_config output parsing back to the same thing.
 *
 * usage: test_config [confdir]
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "unit.h"
#include "zone.h"

#ifndef CONF_DIR
#define CONF_DIR	"regress/unit/conf"
#endif

static const char	*confdir = CONF_DIR;
static char		 tmpdir[] = "/tmp/test_config.XXXXXX";
static char		 logbuf[16384];
static size_t		 loglen;

static const char *envvars[] = {
	"DNS_SERVER_IP", "DNS_SERVER_PORT", "DNS_SERVER_NAME", "CA_PATH",
	"LISTENING_SOCKET_IP", "LISTENING_SOCKET_PORT"
};

/* log.c hands every record here instead of writing to stderr. */
static void
capture(int pri, const char *msg)
{
	size_t	len = strlen(msg);

	(void)pri;
	if (loglen + len + 2 > sizeof(logbuf))
		return;
	memcpy(logbuf + loglen, msg, len);
	loglen += len;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
}

static void
log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

static int
log_count(void)
{
	const char	*p;
	int		 n = 0;

	for (p = logbuf; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	return (n);
}

static void
log_dump(void)
{
	const char	*p, *nl;

	for (p = logbuf; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		printf("# log: %.*s\n", (int)(nl - p), p);
	}
}

static void
unset_env(void)
{
	size_t	i;

	for (i = 0; i < sizeof(envvars) / sizeof(envvars[0]); i++)
		unsetenv(envvars[i]);
}

static const char *
conf_path(const char *name)
{
	static char	path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/%s", confdir, name);
	return (path);
}

static const char *
tmp_path(const char *name)
{
	static char	path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return (path);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

/* Parse text written to a temporary file; errors land in logbuf. */
static struct conf *
parse_text(const char *text)
{
	const char	*path = tmp_path("t.conf");

	write_file(path, text);
	log_reset();
	return (parse_config(path, 0));
}

static int
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
}

static const char *
addr_of(const struct sockaddr_storage *ss)
{
	static char	buf[64];

	return (conf_addr_str((const struct sockaddr *)ss, buf,
	    sizeof(buf)));
}

static int
count_listens(const struct conf *c)
{
	const struct listen_conf	*l;
	int				 n = 0;

	TAILQ_FOREACH(l, &c->listens, entry)
		n++;
	return (n);
}

static int
count_upstreams(const struct conf *c)
{
	const struct upstream_conf	*u;
	int				 n = 0;

	TAILQ_FOREACH(u, &c->upstreams, entry)
		n++;
	return (n);
}

static int
count_acl(const struct conf *c)
{
	const struct acl_conf	*a;
	int			 n = 0;

	TAILQ_FOREACH(a, &c->acl, entry)
		n++;
	return (n);
}

static const struct upstream_conf *
nth_upstream(const struct conf *c, int n)
{
	const struct upstream_conf	*u;

	TAILQ_FOREACH(u, &c->upstreams, entry)
		if (n-- == 0)
			return (u);
	return (NULL);
}

static const struct acl_conf *
nth_acl(const struct conf *c, int n)
{
	const struct acl_conf	*a;

	TAILQ_FOREACH(a, &c->acl, entry)
		if (n-- == 0)
			return (a);
	return (NULL);
}

/* The ACL's verdict on a textual address. */
static int
acl_of(const struct conf *c, const char *addr)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	if (conf_parse_addr(addr, 12345, &ss, &sslen) == -1) {
		printf("# bad test address %s\n", addr);
		return (-1);
	}
	return (conf_acl_match(&c->acl, (struct sockaddr *)&ss));
}

/* Two lists walked together: equal when SAME holds for each pair. */
#define LISTS_EQUAL(ha, hb, x, y, same) __extension__ ({		\
	for (x = TAILQ_FIRST(ha), y = TAILQ_FIRST(hb);			\
	    x != NULL && y != NULL && (same);				\
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))		\
		;							\
	x == NULL && y == NULL;						\
})

static int
upstreams_equal(const struct upstream_list *a, const struct upstream_list *b)
{
	const struct upstream_conf	*ua, *ub;

	return (LISTS_EQUAL(a, b, ua, ub, ua->sslen == ub->sslen &&
	    memcmp(&ua->ss, &ub->ss, ua->sslen) == 0 &&
	    strcmp(ua->tls_name, ub->tls_name) == 0 &&
	    ua->zone == ub->zone && ua->transport == ub->transport &&
	    ua->npins == ub->npins &&
	    memcmp(ua->pins, ub->pins, sizeof(ua->pins)) == 0));
}

/* Everything the parser sets, lists included; not acl_is_default. */
static int
conf_equal(const struct conf *a, const struct conf *b)
{
	const struct listen_conf	*la, *lb;
	const struct acl_conf		*aa, *ab;
	const struct zone_conf		*za, *zb;

	return (memcmp(&a->sc, &b->sc, sizeof(a->sc)) == 0 &&
	    LISTS_EQUAL(&a->listens, &b->listens, la, lb,
	    la->sslen == lb->sslen &&
	    memcmp(&la->ss, &lb->ss, la->sslen) == 0) &&
	    upstreams_equal(&a->upstreams, &b->upstreams) &&
	    LISTS_EQUAL(&a->zones, &b->zones, za, zb,
	    strcmp(za->name, zb->name) == 0 && za->index == zb->index &&
	    za->action == zb->action && za->policy == zb->policy &&
	    za->padding == zb->padding &&
	    strcmp(za->ca_file, zb->ca_file) == 0 &&
	    upstreams_equal(&za->upstreams, &zb->upstreams)) &&
	    LISTS_EQUAL(&a->acl, &b->acl, aa, ab,
	    aa->action == ab->action && aa->af == ab->af &&
	    aa->prefixlen == ab->prefixlen &&
	    memcmp(aa->addr, ab->addr, sizeof(aa->addr)) == 0));
}

/* print_config into a file, parse that file, compare. */
static int
roundtrip(const struct conf *c, const char *name)
{
	struct conf	*back;
	const char	*path = tmp_path(name);
	int		 fd, saved, same;

	fflush(stdout);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(STDOUT_FILENO)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1) {
		perror(path);
		exit(2);
	}
	print_config(c);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);

	log_reset();
	if ((back = parse_config(path, 0)) == NULL) {
		log_dump();
		return (0);
	}
	same = conf_equal(c, back);
	conf_free(back);
	return (same);
}

static void
expect_error(const char *name, int line, const char *msg)
{
	struct conf	*c;
	char		 want[PATH_MAX + 256], desc[512];
	const char	*path;
	int		 found;

	path = conf_path(name);
	log_reset();
	c = parse_config(path, 0);
	(void)snprintf(desc, sizeof(desc), "%s is rejected", name);
	CHECK(c == NULL, desc);
	conf_free(c);

	(void)snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	found = strstr(logbuf, want) != NULL;
	(void)snprintf(desc, sizeof(desc), "%s reports \"%s:%d: %s\"", name,
	    name, line, msg);
	CHECK(found, desc);
	if (!found)
		log_dump();
}

/* The zone statements: both block styles, the local answers, errors. */
static void
test_zones(void)
{
	struct conf		*c;
	const struct zone_conf	*z;
	const struct upstream_conf *u;
	int			 n = 0;

	log_reset();
	c = parse_config(conf_path("good-zones.conf"), 0);
	CHECK(c != NULL && loglen == 0, "good-zones.conf parses");
	if (c == NULL) {
		log_dump();
		return;
	}
	TAILQ_FOREACH(z, &c->zones, entry)
		CHECK(z->index == ++n, "zones are numbered in order from 1");
	z = TAILQ_FIRST(&c->zones);
	CHECK(n == 5 && strcmp(z->name, "cluster.local") == 0 &&
	    z->action == ZONE_FORWARD && z->policy == POLICY_FAILOVER &&
	    z->padding == 64 && strcmp(z->ca_file,
	    "/etc/ssl/certs/ca-certificates.crt") == 0,
	    "a one-line block: lower case, no final dot, its own settings");
	u = TAILQ_FIRST(&z->upstreams);
	CHECK(u != NULL && u->zone == 1 && strcmp(u->tls_name, "kube-dns") ==
	    0 && conf_addr_port(&u->ss) == 853 && TAILQ_NEXT(u, entry) == NULL,
	    "its upstream belongs to it");
	z = TAILQ_NEXT(z, entry);
	CHECK(z->action == ZONE_REFUSE && TAILQ_EMPTY(&z->upstreams),
	    "zone refuse");
	z = TAILQ_NEXT(z, entry);
	CHECK(z->action == ZONE_NXDOMAIN, "zone nxdomain");
	z = TAILQ_NEXT(z, entry);
	u = TAILQ_FIRST(&z->upstreams);
	CHECK(strcmp(z->name, "10.in-addr.arpa") == 0 && z->padding == 0 &&
	    z->policy == POLICY_ROUNDROBIN && z->ca_file[0] == '\0' &&
	    u != NULL && u->npins == 1 && u->zone == 4 &&
	    TAILQ_NEXT(u, entry) != NULL,
	    "a block over many lines, pins and ';' included");
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(u != NULL && u->zone == 0 && TAILQ_NEXT(u, entry) == NULL,
	    "the same server at the top level too, in its own list");
	z = TAILQ_NEXT(z, entry);
	CHECK(strcmp(z->name, "_tcp.example") == 0 && z->policy == -1 &&
	    z->padding == -1, "what a zone does not say is the top level's");
	CHECK(c->sc.local_zones == 0, "local-zones off");
	CHECK(conf_count_upstreams(c) == 5, "upstreams counted in all zones");
	CHECK(roundtrip(c, "zones.out"), "print_config of the zones parses "
	    "back to the same configuration");
	conf_free(c);

	log_reset();
	CHECK(parse_config(conf_path("bad-zones.conf"), 0) == NULL &&
	    log_count() == 9, "bad-zones.conf: nine errors reported");
	expect_error("bad-zones.conf", 1, "zone \".\": the upstream "
	    "statements outside any zone are the root zone's");
	expect_error("bad-zones.conf", 2, "zone \"a..b\": not a domain name");
	expect_error("bad-zones.conf", 3, "zone \"x.example\": refuse, "
	    "nxdomain or a block { ... } expected, not \"forward\"");
	expect_error("bad-zones.conf", 4, "zone \"y.example\": no upstream");
	expect_error("bad-zones.conf", 6, "zone \"z.example\" defined twice");
	expect_error("bad-zones.conf", 7, "duplicate upstream 192.0.2.1 port "
	    "853");
	expect_error("bad-zones.conf", 8, "unknown upstream-policy \"random\"");
	expect_error("bad-zones.conf", 9, "local-zones \"maybe\": on or off "
	    "expected");
	expect_error("bad-zones.conf", 10, "padding 2000 out of range");
}

static void
test_good(void)
{
	struct conf			*c;
	const struct listen_conf	*l;
	const struct upstream_conf	*u;
	const struct acl_conf		*a;
	char				 buf[64];

	log_reset();
	c = parse_config(conf_path("good.conf"), 0);
	CHECK(c != NULL, "good.conf parses");
	CHECK(loglen == 0, "good.conf logs nothing");
	if (c == NULL) {
		log_dump();
		return;
	}

	CHECK(strcmp(c->sc.user, "_dotproxy") == 0, "user");
	CHECK(strcmp(c->sc.chroot, "/var/empty") == 0, "chroot");
	CHECK(strcmp(c->sc.ca_file,
	    "/etc/ssl/certs/ca-certificates.crt") == 0, "ca-file");
	CHECK(c->sc.policy == POLICY_ROUNDROBIN, "upstream-policy");
	CHECK(c->sc.upstream_max_failures == 5, "upstream-max-failures");
	CHECK(c->sc.upstream_connections == 2, "upstream-connections");
	CHECK(c->sc.padding == 468, "padding");
	CHECK(c->sc.cache_size == 5000, "cache size");
	CHECK(c->sc.tcp_idle_timeout == 30, "tcp-idle-timeout from a macro");
	CHECK(c->sc.query_timeout == 5, "query-timeout");
	CHECK(c->sc.tcp_max_conn == 100, "tcp-max-connections");
	CHECK(c->sc.tcp_max_pipeline == 32, "tcp-max-pipeline");
	CHECK(c->sc.max_queries == 4096, "max-queries");
	CHECK(c->sc.coalesce_max_waiters == 16, "coalesce-max-waiters");
	CHECK(c->sc.tcp_max_conn_client == 10,
	    "tcp-max-connections-per-client");
	CHECK(c->sc.max_queries_client == 200, "max-queries-per-client");
	CHECK(c->sc.tcp_max_lifetime == 60, "tcp-max-lifetime");
	CHECK(c->sc.tcp_max_output == 100000, "tcp-max-output");
	CHECK(c->sc.engines == 4, "engines on a continuation line");
	CHECK(c->sc.edns_buffer_size == 1400, "edns-buffer-size");
	CHECK(c->sc.rate_limit == 50 && c->sc.rate_limit_burst == 20 &&
	    c->sc.rate_limit_action == RATE_DROP &&
	    c->sc.rate_limit_v4 == 28 && c->sc.rate_limit_v6 == 64 &&
	    c->sc.rate_limit_table == 4096, "rate-limit and its settings");
	CHECK(c->sc.deny_action == DENY_DROP, "deny-action");
	CHECK(c->sc.client_subnet_pass == 1, "client-subnet pass");

	CHECK(count_listens(c) == 3, "three listeners, no default one");
	l = TAILQ_FIRST(&c->listens);
	CHECK(l != NULL && strcmp(conf_addr_str((struct sockaddr *)&l->ss,
	    buf, sizeof(buf)), "127.0.0.1:5353") == 0,
	    "listen on $lan4 port 5353");
	l = l != NULL ? TAILQ_NEXT(l, entry) : NULL;
	CHECK(l != NULL && strcmp(conf_addr_str((struct sockaddr *)&l->ss,
	    buf, sizeof(buf)), "[::1]:5353") == 0,
	    "listen on $lan6 port 5353");
	l = l != NULL ? TAILQ_NEXT(l, entry) : NULL;
	CHECK(l != NULL && strcmp(addr_of(&l->ss), "127.0.0.2:53") == 0,
	    "listen without port is port 53");

	CHECK(count_upstreams(c) == 4, "four upstreams, no default one");
	u = nth_upstream(c, 0);
	CHECK(u != NULL && strcmp(addr_of(&u->ss),
	    "[2606:4700:4700::1111]:853") == 0 &&
	    strcmp(u->tls_name, "one.one.one.one") == 0 && u->npins == 0,
	    "included upstream comes first, options in any order");
	u = nth_upstream(c, 1);
	CHECK(u != NULL && strcmp(addr_of(&u->ss), "8.8.8.8:853") == 0 &&
	    strcmp(u->tls_name, "dns.google") == 0,
	    "last line of the include without a newline");
	u = nth_upstream(c, 2);
	CHECK(u != NULL && strcmp(addr_of(&u->ss), "1.1.1.1:853") == 0 &&
	    strcmp(u->tls_name, "cloudflare-dns.com") == 0,
	    "upstream 1.1.1.1 port 853");
	u = nth_upstream(c, 3);
	CHECK(u != NULL && strcmp(addr_of(&u->ss), "9.9.9.9:853") == 0 &&
	    strcmp(u->tls_name, "dns.quad9.net") == 0 && u->npins == 2,
	    "upstream with two pins over a continuation line");
	CHECK(u != NULL && u->pins[0][0] == 0x76 && u->pins[0][1] == 0x92 &&
	    u->pins[0][31] == 0xed && u->pins[1][0] == 0x3f &&
	    u->pins[1][31] == 0xf3, "pins decode to the right bytes");

	CHECK(c->acl_is_default == 0, "the file's ACL replaces the default");
	CHECK(count_acl(c) == 6, "six ACL rules");
	a = nth_acl(c, 3);
	CHECK(a != NULL && a->af == AF_INET && a->prefixlen == 24 &&
	    a->addr[0] == 192 && a->addr[1] == 0 && a->addr[2] == 2,
	    "::ffff:192.0.2.0/120 becomes 192.0.2.0/24");
	a = nth_acl(c, 4);
	CHECK(a != NULL && a->af == AF_INET6 && a->prefixlen == 8 &&
	    a->addr[0] == 0xfd, "macro defined in the include is usable");
	CHECK(acl_of(c, "10.9.8.7") == ACL_ALLOW, "good: 10.9.8.7 allowed");
	CHECK(acl_of(c, "127.0.0.1") == ACL_ALLOW, "good: 127.0.0.1 allowed");
	CHECK(acl_of(c, "127.0.0.2") == ACL_DENY, "good: 127.0.0.2 denied");
	CHECK(acl_of(c, "::ffff:192.0.2.77") == ACL_ALLOW,
	    "good: ::ffff:192.0.2.77 allowed");
	CHECK(acl_of(c, "2001:db8::1") == ACL_DENY, "good: 2001:db8::1 denied");
	CHECK(acl_of(c, "fd12::1") == ACL_ALLOW, "good: fd12::1 allowed");

	CHECK(roundtrip(c, "good.out"), "print_config of good.conf parses "
	    "back to the same configuration");
	conf_free(c);
}

static void
test_bad(void)
{
	char	msg[PATH_MAX + 128];

	expect_error("bad-keyword.conf", 3, "unknown keyword \"frobnicate\"");
	/* a word where a number or a keyword's word belongs: no double free */
	expect_error("bad-coalesce.conf", 2,
	    "coalesce-max-waiters \"many\": a number or off expected");
	expect_error("bad-coalesce.conf", 3,
	    "coalesce-max-waiters 0 out of range (1..65535)");
	expect_error("bad-engines.conf", 1,
	    "engines \"lots\": a number or auto expected");
	expect_error("bad-syntax.conf", 1, "syntax error near \"127.0.0.1\"");
	expect_error("bad-addr.conf", 2,
	    "invalid listen address \"300.1.1.1\"");
	expect_error("bad-upstream-addr.conf", 3,
	    "invalid upstream address \"dns.example.com\"");
	expect_error("bad-port0.conf", 2, "port 0 out of range (1..65535)");
	expect_error("bad-port70000.conf", 1,
	    "port 70000 out of range (1..65535)");
	expect_error("bad-port-twice.conf", 1,
	    "upstream 1.1.1.1: port given twice");
	expect_error("bad-pin-len.conf", 2,
	    "pin \"sha256/AAAAAAAAAAAAAAAAAAAAAA==\": 16 bytes");
	expect_error("bad-pin-b64.conf", 3, "pin \"sha256/dpLDrTVAu4A8Ags67mbNi"
	    "IcSMjTqDG5xQ8Ct1z/0Me0*\": invalid base64");
	expect_error("bad-pin-prefix.conf", 1, "pin \"sha1/dpLDrTVAu4A8Ags67mb"
	    "NiIcSMjTqDG5xQ8Ct1z/0Me0=\": must start with \"sha256/\"");
	expect_error("bad-tlsname.conf", 1,
	    "tls-name \"bad_name!\": not a valid host name");
	expect_error("bad-hostbits.conf", 2,
	    "allow from \"10.0.0.1/8\": host bits set");
	expect_error("bad-chroot.conf", 1,
	    "chroot \"var/empty\": must be an absolute path");
	(void)snprintf(msg, sizeof(msg), "include \"does-not-exist.conf\": "
	    "%s/does-not-exist.conf: No such file or directory", confdir);
	expect_error("bad-include.conf", 2, msg);
	expect_error("bad-loop.conf", 2,
	    "include \"bad-loop.conf\": nested too deep (max 16)");
	expect_error("bad-macro.conf", 3, "macro \"nope\" not defined");
	CHECK(log_count() == 1, "an undefined macro is reported once");
	expect_error("bad-macro-name.conf", 1, "invalid macro name \"1abc\"");
	expect_error("bad-string.conf", 2, "unterminated quoted string");
	CHECK(log_count() == 1,
	    "the line after an unterminated string parses");
	expect_error("bad-dup-listen.conf", 3,
	    "duplicate listen on 127.0.0.1 port 5353");
	expect_error("bad-nonewline.conf", 2,
	    "engines 0 out of range (1..256)");

	/* The included file's errors name it, then the includer goes on. */
	expect_error("bad-include-err.conf", 4, "unknown keyword");
	log_reset();
	CHECK(parse_config(conf_path("bad-include-err.conf"), 0) == NULL,
	    "bad-include-err.conf is rejected again");
	(void)snprintf(msg, sizeof(msg), "%s:2: syntax error at end of line",
	    conf_path("bad-included.inc"));
	CHECK(strstr(logbuf, msg) != NULL,
	    "error in the included file names it and its line");
	CHECK(log_count() == 2, "both errors of the include are reported");

	/* Every error is reported, not just the first. */
	log_reset();
	CHECK(parse_config(conf_path("bad-multi.conf"), 0) == NULL,
	    "bad-multi.conf is rejected");
	CHECK(log_count() == 8, "bad-multi.conf: eight errors reported");
	expect_error("bad-multi.conf", 1, "padding 0 out of range");
	expect_error("bad-multi.conf", 2, "cache size 0 out of range");
	expect_error("bad-multi.conf", 3, "engines 300 out of range (1..256)");
	expect_error("bad-multi.conf", 4,
	    "max-queries 8 out of range (16..1048576)");
	expect_error("bad-multi.conf", 5, "\"abc\" is not a number");
	expect_error("bad-multi.conf", 6,
	    "query-timeout 61 out of range (1..60)");
	expect_error("bad-multi.conf", 7, "unknown upstream-policy \"random\"");
	expect_error("bad-multi.conf", 8, "syntax error");

	/* The client limits have their ranges too. */
	log_reset();
	CHECK(parse_config(conf_path("bad-limits.conf"), 0) == NULL,
	    "bad-limits.conf is rejected");
	CHECK(log_count() == 8, "bad-limits.conf: eight errors reported");
	expect_error("bad-limits.conf", 1,
	    "tcp-max-output 65535 out of range (65536..67108864)");
	expect_error("bad-limits.conf", 2,
	    "max-queries-per-client 0 out of range (1..1048576)");
	expect_error("bad-limits.conf", 3,
	    "tcp-max-connections-per-client 70000 out of range (1..65535)");
	expect_error("bad-limits.conf", 4,
	    "tcp-max-lifetime 0 out of range (1..86400)");
	expect_error("bad-limits.conf", 5,
	    "upstream-max-failures 0 out of range (1..100)");
	expect_error("bad-limits.conf", 6,
	    "upstream-max-failures 101 out of range (1..100)");
	expect_error("bad-limits.conf", 7,
	    "upstream-connections 0 out of range (1..1024)");
	expect_error("bad-limits.conf", 8,
	    "upstream-connections 1025 out of range (1..1024)");
}

static void
test_files(void)
{
	struct conf	*c;
	char		 want[PATH_MAX + 64];

	log_reset();
	c = parse_config(tmp_path("missing.conf"), 1);
	CHECK(c != NULL && loglen == 0,
	    "missing optional file gives the defaults quietly");
	if (c != NULL) {
		CHECK(strcmp(c->sc.user, DOTPROXY_USER) == 0 &&
		    c->sc.padding == DEFAULT_PADDING &&
		    c->sc.cache_size == DEFAULT_CACHE_SIZE &&
		    c->sc.engines == DEFAULT_ENGINES &&
		    c->sc.max_queries == DEFAULT_MAX_QUERIES &&
		    c->sc.upstream_max_failures == 3 &&
		    c->sc.upstream_connections == 4 &&
		    c->sc.edns_buffer_size == 1232 &&
		    c->sc.rate_limit == 0 &&
		    c->sc.rate_limit_action == RATE_TRUNCATE &&
		    c->sc.rate_limit_v4 == 24 && c->sc.rate_limit_v6 == 56 &&
		    c->sc.deny_action == DENY_REFUSE &&
		    c->sc.client_subnet_pass == 0 &&
		    c->sc.coalesce_max_waiters == DEFAULT_COALESCE_WAITERS,
		    "defaults: scalars");
		CHECK(count_listens(c) == 1 && strcmp(addr_of(
		    &TAILQ_FIRST(&c->listens)->ss), "0.0.0.0:35353") == 0,
		    "defaults: listen on 0.0.0.0 port 35353");
		CHECK(count_upstreams(c) == 1 && strcmp(addr_of(
		    &TAILQ_FIRST(&c->upstreams)->ss), "1.1.1.1:853") == 0 &&
		    strcmp(TAILQ_FIRST(&c->upstreams)->tls_name,
		    "cloudflare-dns.com") == 0,
		    "defaults: upstream 1.1.1.1 tls-name cloudflare-dns.com");
		CHECK(c->acl_is_default == 1 && count_acl(c) == 10,
		    "defaults: the built-in ACL");
		CHECK(roundtrip(c, "defaults.out"),
		    "print_config of the defaults parses back the same");
	}
	conf_free(c);

	log_reset();
	c = parse_config(tmp_path("missing.conf"), 0);
	(void)snprintf(want, sizeof(want), "%s: No such file or directory",
	    tmp_path("missing.conf"));
	CHECK(c == NULL && strstr(logbuf, want) != NULL,
	    "missing -f file: \"file: No such file or directory\"");
	conf_free(c);

	log_reset();
	c = parse_config(tmpdir, 0);
	CHECK(c == NULL && strstr(logbuf, "Is a directory") != NULL,
	    "a directory is not a configuration file");
	conf_free(c);

	/* Lists: each one the file leaves empty gets its default. */
	c = parse_text("listen on ::1 port 5300\n");
	CHECK(c != NULL && count_listens(c) == 1 && count_upstreams(c) == 1 &&
	    c->acl_is_default == 1,
	    "only listen given: default upstream and ACL");
	conf_free(c);
	c = parse_text("upstream 9.9.9.9\ndeny from 192.0.2.0/24\n");
	CHECK(c != NULL && count_upstreams(c) == 1 &&
	    strcmp(TAILQ_FIRST(&c->upstreams)->tls_name, "9.9.9.9") == 0 &&
	    port_of(&TAILQ_FIRST(&c->upstreams)->ss) == 853,
	    "upstream without options: port 853, tls-name the address");
	CHECK(c != NULL && c->acl_is_default == 0 && count_acl(c) == 1 &&
	    strcmp(addr_of(&TAILQ_FIRST(&c->listens)->ss),
	    "0.0.0.0:35353") == 0, "one deny rule replaces the default ACL");
	conf_free(c);

	c = parse_text("padding off\ncache off\nupstream-policy failover\n"
	    "user 'nobody'\ncoalesce-max-waiters off\n");
	CHECK(c != NULL && c->sc.padding == 0 && c->sc.cache_size == 0 &&
	    c->sc.policy == POLICY_FAILOVER &&
	    strcmp(c->sc.user, "nobody") == 0 &&
	    c->sc.coalesce_max_waiters == 0,
	    "padding off, cache off, failover, single quotes, "
	    "coalesce-max-waiters off");
	if (c != NULL)
		CHECK(roundtrip(c, "off.out"), "off values print back");
	conf_free(c);

	c = parse_text("rate-limit 10\nrate-limit off\n");
	CHECK(c != NULL && c->sc.rate_limit == 0, "rate-limit off");
	conf_free(c);
	CHECK(parse_text("rate-limit fast\n") == NULL,
	    "rate-limit takes a number or off");
	CHECK(parse_text("rate-limit 0\n") == NULL, "rate-limit 0 refused");
	CHECK(parse_text("rate-limit-action slip\n") == NULL,
	    "rate-limit-action takes truncate or drop");
	CHECK(parse_text("rate-limit-ipv4-prefix 33\n") == NULL,
	    "rate-limit-ipv4-prefix 33 refused");
	CHECK(parse_text("rate-limit-ipv6-prefix 129\n") == NULL,
	    "rate-limit-ipv6-prefix 129 refused");
	CHECK(parse_text("rate-limit-table 10\n") == NULL,
	    "rate-limit-table 10 refused");
	CHECK(parse_text("edns-buffer-size 511\n") == NULL &&
	    parse_text("edns-buffer-size 4097\n") == NULL,
	    "edns-buffer-size outside 512..4096 refused");
	CHECK(parse_text("deny-action ignore\n") == NULL,
	    "deny-action takes refuse or drop");
	CHECK(parse_text("client-subnet keep\n") == NULL &&
	    parse_text("client-subnet\n") == NULL,
	    "client-subnet takes strip or pass");

	c = parse_text("net = \"10.1.0.0\"\np = 5300\nallow from $net/16\n"
	    "listen on 127.0.0.1 port $p\nuser \"a\\\"b\\\\c\"\n"
	    "chroot \"/var/\\\nempty\"\r\nlisten on ::1 # c \\\n"
	    "listen on ::2\n");
	CHECK(c != NULL, "lexer corner cases parse");
	if (c != NULL) {
		CHECK(nth_acl(c, 0)->prefixlen == 16,
		    "macro followed by /16 makes one word");
		CHECK(port_of(&TAILQ_FIRST(&c->listens)->ss) == 5300,
		    "numeric macro");
		CHECK(strcmp(c->sc.user, "a\"b\\c") == 0,
		    "escaped quote and backslash");
		CHECK(strcmp(c->sc.chroot, "/var/empty") == 0,
		    "continuation inside quotes, CRLF line end");
		CHECK(count_listens(c) == 3,
		    "a comment ends at its newline, even after a backslash");
		CHECK(roundtrip(c, "corner.out"),
		    "quotes and backslashes print back");
	}
	conf_free(c);

	c = parse_text("upstream 1.1.1.1 pin \"sha256/"
	    "dpLDrTVAu4A8Ags67mbNiIcSMjTqDG5xQ8Ct1z/0Me0=\" pin \"sha256/"
	    "dpLDrTVAu4A8Ags67mbNiIcSMjTqDG5xQ8Ct1z/0Me0=\"\n");
	CHECK(c != NULL && TAILQ_FIRST(&c->upstreams)->npins == 1,
	    "a repeated pin is kept once");
	conf_free(c);

	c = parse_text("upstream 1.1.1.1 pin \"sha256/"
	    "dpLDrTVAu4A8Ags67mbNiIcSMjTqDG5xQ8Ct1z/0Me=0\"\n");
	CHECK(c == NULL && strstr(logbuf, "invalid base64") != NULL,
	    "'=' inside base64 is invalid");
	conf_free(c);
	c = parse_text("upstream 1.1.1.1 pin \"sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n");
	CHECK(c == NULL && strstr(logbuf, "33 bytes") != NULL,
	    "33-byte pin is rejected");
	conf_free(c);

	c = parse_text("listen on fe80::1%eth0\n");
	CHECK(c == NULL && strstr(logbuf, ":1: invalid listen address") !=
	    NULL, "scoped IPv6 address is refused");
	conf_free(c);

	c = parse_text("deny from 2001:db8::1/129\n");
	CHECK(c == NULL && strstr(logbuf, "invalid prefix length") != NULL,
	    "IPv6 prefix longer than 128");
	conf_free(c);
	c = parse_text("deny from 10.0.0.0/33\n");
	CHECK(c == NULL && strstr(logbuf, "invalid prefix length") != NULL,
	    "IPv4 prefix longer than 32");
	conf_free(c);
	c = parse_text("deny from 2001:db8::1/64\n");
	CHECK(c == NULL && strstr(logbuf, "host bits set") != NULL,
	    "IPv6 host bits set");
	conf_free(c);

	c = parse_text("upstream 1.1.1.1\nupstream 1.1.1.1 port 853\n");
	CHECK(c == NULL && strstr(logbuf, ":2: duplicate upstream") != NULL,
	    "duplicate upstream");
	conf_free(c);
	c = parse_text("listen on 127.0.0.1\nlisten on 127.0.0.1 port 54\n");
	CHECK(c != NULL && count_listens(c) == 2,
	    "same address on two ports is no duplicate");
	conf_free(c);

	c = parse_text("ca-file \"certs.pem\"\n");
	CHECK(c == NULL && strstr(logbuf, ":1: ca-file \"certs.pem\": must "
	    "be an absolute path") != NULL, "relative ca-file");
	conf_free(c);

	c = parse_text("tcp-idle-timeout 99999999999999999999\n");
	CHECK(c == NULL && strstr(logbuf, ":1: ") != NULL &&
	    strstr(logbuf, "not a valid number") != NULL,
	    "number too large for strtonum");
	conf_free(c);

	c = parse_text("engines -3\n");
	CHECK(c == NULL && strstr(logbuf, "engines -3 out of range") != NULL,
	    "negative number");
	conf_free(c);
}

/* Up to the limits, and one more. */
static void
test_limits(void)
{
	struct conf	*c;
	char		 text[8192], line[128];
	int		 i;

	text[0] = '\0';
	for (i = 0; i < CONF_MAX_LISTEN; i++) {
		(void)snprintf(line, sizeof(line), "listen on 127.0.0.1 "
		    "port %d\n", 1000 + i);
		(void)strlcat(text, line, sizeof(text));
	}
	c = parse_text(text);
	CHECK(c != NULL && count_listens(c) == CONF_MAX_LISTEN,
	    "CONF_MAX_LISTEN listeners");
	conf_free(c);
	(void)strlcat(text, "listen on ::1\n", sizeof(text));
	c = parse_text(text);
	CHECK(c == NULL && strstr(logbuf, "too many listen") != NULL,
	    "one listener too many");
	conf_free(c);

	text[0] = '\0';
	for (i = 0; i < CONF_MAX_UPSTREAM; i++) {
		(void)snprintf(line, sizeof(line), "upstream 192.0.2.%d\n",
		    i + 1);
		(void)strlcat(text, line, sizeof(text));
	}
	c = parse_text(text);
	CHECK(c != NULL && count_upstreams(c) == CONF_MAX_UPSTREAM,
	    "CONF_MAX_UPSTREAM upstreams");
	conf_free(c);
	(void)strlcat(text, "upstream ::1\n", sizeof(text));
	c = parse_text(text);
	CHECK(c == NULL && strstr(logbuf, "too many upstreams") != NULL,
	    "one upstream too many");
	conf_free(c);

	(void)strlcpy(text, "upstream 1.1.1.1", sizeof(text));
	for (i = 0; i < CONF_MAX_PINS + 1; i++) {
		/* 32 bytes are 43 characters and one '=': vary the first. */
		(void)snprintf(line, sizeof(line), " \\\n pin \"sha256/%c"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", 'B' + i);
		(void)strlcat(text, line, sizeof(text));
	}
	(void)strlcat(text, "\n", sizeof(text));
	c = parse_text(text);
	CHECK(c == NULL && strstr(logbuf, "too many pins (max 8)") != NULL,
	    "nine pins are too many");
	CHECK(strstr(logbuf, ":10: ") != NULL,
	    "the ninth pin's line is reported");
	if (c != NULL || strstr(logbuf, ":10: ") == NULL)
		log_dump();
	conf_free(c);
}

static void
test_env(void)
{
	struct conf			*c;
	const struct upstream_conf	*u;
	char				 err[256];
	const char			*base;
	int				 rv;

	base = "upstream 9.9.9.9 port 8853 tls-name \"dns.quad9.net\" "
	    "pin \"sha256/dpLDrTVAu4A8Ags67mbNiIcSMjTqDG5xQ8Ct1z/0Me0=\"\n"
	    "upstream 1.1.1.1\n"
	    "listen on ::1 port 5353\nlisten on 127.0.0.1\n";

	unset_env();
	c = parse_text(base);
	CHECK(c != NULL && conf_apply_env(c, err, sizeof(err)) == 0 &&
	    count_upstreams(c) == 2 && count_listens(c) == 2,
	    "no variables: nothing changes");
	conf_free(c);

	setenv("DNS_SERVER_PORT", "853", 1);
	c = parse_text(base);
	rv = conf_apply_env(c, err, sizeof(err));
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(rv == 0 && count_upstreams(c) == 1 &&
	    strcmp(addr_of(&u->ss), "9.9.9.9:853") == 0 &&
	    strcmp(u->tls_name, "dns.quad9.net") == 0 && u->npins == 1,
	    "DNS_SERVER_PORT alone keeps the first upstream's address, "
	    "name and pins");
	CHECK(count_listens(c) == 2, "DNS_SERVER_* leaves listeners alone");
	conf_free(c);
	unset_env();

	setenv("DNS_SERVER_IP", "149.112.112.112", 1);
	c = parse_text(base);
	rv = conf_apply_env(c, err, sizeof(err));
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(rv == 0 && count_upstreams(c) == 1 &&
	    strcmp(addr_of(&u->ss), "149.112.112.112:8853") == 0 &&
	    strcmp(u->tls_name, "dns.quad9.net") == 0 && u->npins == 0,
	    "DNS_SERVER_IP alone: port and name from the file, pins dropped");
	conf_free(c);

	setenv("DNS_SERVER_IP", "2620:fe::fe", 1);
	c = parse_text("upstream 9.9.9.9\n");
	rv = conf_apply_env(c, err, sizeof(err));
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(rv == 0 && strcmp(addr_of(&u->ss), "[2620:fe::fe]:853") == 0 &&
	    strcmp(u->tls_name, "2620:fe::fe") == 0,
	    "DNS_SERVER_IP: a name that was only the address follows it");
	conf_free(c);
	unset_env();

	setenv("DNS_SERVER_NAME", "dns9.quad9.net", 1);
	c = parse_text(base);
	rv = conf_apply_env(c, err, sizeof(err));
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(rv == 0 && strcmp(addr_of(&u->ss), "9.9.9.9:8853") == 0 &&
	    strcmp(u->tls_name, "dns9.quad9.net") == 0 && u->npins == 0,
	    "DNS_SERVER_NAME alone: new name, pins dropped");
	conf_free(c);
	unset_env();

	setenv("DNS_SERVER_IP", "8.8.4.4", 1);
	setenv("DNS_SERVER_PORT", "5853", 1);
	setenv("DNS_SERVER_NAME", "dns.google", 1);
	setenv("CA_PATH", "/tmp/ca.pem", 1);
	setenv("LISTENING_SOCKET_IP", "::", 1);
	setenv("LISTENING_SOCKET_PORT", "5300", 1);
	log_reset();
	c = parse_config(tmp_path("missing.conf"), 1);
	rv = conf_apply_env(c, err, sizeof(err));
	u = TAILQ_FIRST(&c->upstreams);
	CHECK(rv == 0 && count_upstreams(c) == 1 &&
	    strcmp(addr_of(&u->ss), "8.8.4.4:5853") == 0 &&
	    strcmp(u->tls_name, "dns.google") == 0,
	    "all DNS_SERVER_* over the defaults");
	CHECK(strcmp(c->sc.ca_file, "/tmp/ca.pem") == 0, "CA_PATH");
	CHECK(count_listens(c) == 1 && strcmp(addr_of(
	    &TAILQ_FIRST(&c->listens)->ss), "[::]:5300") == 0,
	    "LISTENING_SOCKET_IP and _PORT");
	CHECK(roundtrip(c, "env.out"), "print_config after the environment "
	    "parses back the same");
	conf_free(c);
	unset_env();

	setenv("LISTENING_SOCKET_PORT", "5300", 1);
	c = parse_text(base);
	rv = conf_apply_env(c, err, sizeof(err));
	CHECK(rv == 0 && count_listens(c) == 1 && strcmp(addr_of(
	    &TAILQ_FIRST(&c->listens)->ss), "[::1]:5300") == 0 &&
	    count_upstreams(c) == 2,
	    "LISTENING_SOCKET_PORT alone keeps the first listener's address");
	conf_free(c);
	unset_env();

	setenv("LISTENING_SOCKET_IP", "127.0.0.53", 1);
	c = parse_text(base);
	rv = conf_apply_env(c, err, sizeof(err));
	CHECK(rv == 0 && count_listens(c) == 1 && strcmp(addr_of(
	    &TAILQ_FIRST(&c->listens)->ss), "127.0.0.53:5353") == 0,
	    "LISTENING_SOCKET_IP alone keeps the first listener's port");
	conf_free(c);
	unset_env();

	{
		static const struct {
			const char	*var, *val, *msg;
		} bad[] = {
		    { "DNS_SERVER_IP", "dns.google",
			"DNS_SERVER_IP: invalid address \"dns.google\"" },
		    { "DNS_SERVER_IP", "",
			"DNS_SERVER_IP: invalid address \"\"" },
		    { "DNS_SERVER_PORT", "abc",
			"DNS_SERVER_PORT: invalid port \"abc\"" },
		    { "DNS_SERVER_PORT", "0",
			"DNS_SERVER_PORT: invalid port \"0\"" },
		    { "DNS_SERVER_PORT", "70000",
			"DNS_SERVER_PORT: invalid port \"70000\"" },
		    { "DNS_SERVER_PORT", "",
			"DNS_SERVER_PORT: invalid port \"\"" },
		    { "DNS_SERVER_NAME", "bad name",
			"DNS_SERVER_NAME: invalid name \"bad name\"" },
		    { "DNS_SERVER_NAME", "",
			"DNS_SERVER_NAME: invalid name \"\"" },
		    { "CA_PATH", "certs/ca.pem",
			"CA_PATH: not an absolute path \"certs/ca.pem\"" },
		    { "CA_PATH", "",
			"CA_PATH: not an absolute path \"\"" },
		    { "LISTENING_SOCKET_IP", "localhost",
			"LISTENING_SOCKET_IP: invalid address \"localhost\"" },
		    { "LISTENING_SOCKET_IP", "fe80::1%eth0",
			"LISTENING_SOCKET_IP: invalid address "
			"\"fe80::1%eth0\"" },
		    { "LISTENING_SOCKET_PORT", "99999",
			"LISTENING_SOCKET_PORT: invalid port \"99999\"" },
		    { "LISTENING_SOCKET_PORT", "53x",
			"LISTENING_SOCKET_PORT: invalid port \"53x\"" }
		};
		char	desc[256];
		size_t	i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			unset_env();
			/* A good one too: nothing may change on failure. */
			setenv("DNS_SERVER_PORT", "1853", 1);
			setenv(bad[i].var, bad[i].val, 1);
			c = parse_text(base);
			err[0] = '\0';
			rv = conf_apply_env(c, err, sizeof(err));
			(void)snprintf(desc, sizeof(desc), "%s=\"%s\" fails: %s",
			    bad[i].var, bad[i].val, bad[i].msg);
			CHECK(rv == -1 && strcmp(err, bad[i].msg) == 0, desc);
			if (strcmp(err, bad[i].msg) != 0)
				printf("# got: %s\n", err);
			CHECK(count_upstreams(c) == 2 && count_listens(c) == 2 &&
			    port_of(&TAILQ_FIRST(&c->upstreams)->ss) == 8853 &&
			    strcmp(c->sc.ca_file, DOTPROXY_CA_FILE) == 0,
			    "a failed apply changes nothing");
			conf_free(c);
		}
		unset_env();
	}
}

static void
test_acl(void)
{
	struct conf	*c;
	static const char *allowed[] = {
		"127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "100.64.0.1",
		"100.127.255.255", "169.254.1.1", "::1", "fd00::1", "fc00::1",
		"fe80::1", "febf::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"
	};
	static const char *denied[] = {
		"8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", "172.32.0.1",
		"172.15.255.255", "100.128.0.1", "100.63.255.255",
		"192.169.0.1", "11.0.0.1", "fec0::1", "::2", "::",
		"0.0.0.0", "255.255.255.255", "::ffff:100.128.0.1"
	};
	struct sockaddr	 other;
	char		 desc[128];
	size_t		 i;

	memset(&other, 0, sizeof(other));
	other.sa_family = AF_UNIX;

	log_reset();
	c = parse_config(tmp_path("missing.conf"), 1);
	if (c == NULL) {
		CHECK(0, "defaults for the ACL tests");
		return;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		(void)snprintf(desc, sizeof(desc), "default ACL allows %s",
		    allowed[i]);
		CHECK(acl_of(c, allowed[i]) == ACL_ALLOW, desc);
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		(void)snprintf(desc, sizeof(desc), "default ACL denies %s",
		    denied[i]);
		CHECK(acl_of(c, denied[i]) == ACL_DENY, desc);
	}
	conf_free(c);

	c = parse_text("deny from 10.1.0.0/16\nallow from 10.0.0.0/8\n"
	    "allow from 2001:db8::/32\ndeny from ::ffff:10.2.0.0/112\n"
	    "allow from any\n");
	if (c == NULL) {
		CHECK(0, "custom ACL parses");
		log_dump();
		return;
	}
	CHECK(acl_of(c, "10.1.2.3") == ACL_DENY, "first match wins: deny");
	CHECK(acl_of(c, "10.2.0.1") == ACL_ALLOW, "first match wins: allow");
	CHECK(acl_of(c, "::ffff:10.1.0.1") == ACL_DENY,
	    "mapped client hits the IPv4 deny");
	CHECK(acl_of(c, "::ffff:10.3.0.1") == ACL_ALLOW,
	    "mapped client hits the IPv4 allow");
	CHECK(acl_of(c, "2001:db8:1::1") == ACL_ALLOW, "IPv6 /32 allow");
	CHECK(acl_of(c, "8.8.8.8") == ACL_ALLOW, "allow from any");
	CHECK(acl_of(c, "2001:db9::1") == ACL_ALLOW, "any covers IPv6 too");
	CHECK(conf_acl_match(&c->acl, (struct sockaddr *)&other) ==
	    ACL_ALLOW, "any covers other families");
	conf_free(c);

	c = parse_text("allow from 192.0.2.0/24\nallow from 0.0.0.0/0\n"
	    "deny from 2001:db8::5\n");
	if (c == NULL) {
		CHECK(0, "second custom ACL parses");
		log_dump();
		return;
	}
	CHECK(acl_of(c, "198.51.100.1") == ACL_ALLOW, "0.0.0.0/0 matches");
	CHECK(acl_of(c, "2001:db8::5") == ACL_DENY, "host route matches");
	CHECK(acl_of(c, "2001:db8::6") == ACL_DENY,
	    "no rule matched: implicit deny");
	CHECK(conf_acl_match(&c->acl, (struct sockaddr *)&other) == ACL_DENY,
	    "other family without any: implicit deny");
	conf_free(c);

	c = parse_text("allow from 10.0.0.0/9\nallow from fe80::/10\n"
	    "allow from 192.0.2.128/25\n");
	CHECK(c != NULL && acl_of(c, "10.127.0.1") == ACL_ALLOW &&
	    acl_of(c, "10.128.0.1") == ACL_DENY &&
	    acl_of(c, "192.0.2.129") == ACL_ALLOW &&
	    acl_of(c, "192.0.2.127") == ACL_DENY &&
	    acl_of(c, "febf:ffff::1") == ACL_ALLOW,
	    "partial-byte prefixes");
	conf_free(c);
}

static void
test_helpers(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 buf[64], name[300];
	int			 i;

	CHECK(conf_parse_addr("192.0.2.1", 53, &ss, &sslen) == 0 &&
	    ss.ss_family == AF_INET && sslen == sizeof(struct sockaddr_in) &&
	    strcmp(conf_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)),
	    "192.0.2.1:53") == 0, "conf_parse_addr/conf_addr_str IPv4");
	CHECK(conf_parse_addr("2001:db8::1", 853, &ss, &sslen) == 0 &&
	    ss.ss_family == AF_INET6 && sslen == sizeof(struct sockaddr_in6) &&
	    strcmp(conf_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)),
	    "[2001:db8::1]:853") == 0, "conf_parse_addr/conf_addr_str IPv6");
	CHECK(conf_parse_addr("::ffff:1.2.3.4", 1, &ss, &sslen) == 0,
	    "IPv4-mapped literal is an address");
	CHECK(conf_parse_addr("fe80::1%eth0", 53, &ss, &sslen) == -1,
	    "scoped address refused");
	CHECK(conf_parse_addr("1.2.3", 53, &ss, &sslen) == -1,
	    "short IPv4 refused");
	CHECK(conf_parse_addr("localhost", 53, &ss, &sslen) == -1,
	    "names refused");
	CHECK(conf_parse_addr("1.2.3.4", 65536, &ss, &sslen) == -1,
	    "port beyond 65535 refused");

	CHECK(conf_valid_name("dns.google"), "name dns.google");
	CHECK(conf_valid_name("a-b.example"), "name with inner hyphen");
	CHECK(conf_valid_name("localhost"), "single label");
	CHECK(conf_valid_name("1.1.1.1") && conf_valid_name("::1"),
	    "IP literals are valid names");
	CHECK(!conf_valid_name(""), "empty name");
	CHECK(!conf_valid_name("-a.com") && !conf_valid_name("a-.com"),
	    "hyphen at a label's edge");
	CHECK(!conf_valid_name("a..b") && !conf_valid_name(".a") &&
	    !conf_valid_name("a.com."), "empty labels and trailing dot");
	CHECK(!conf_valid_name("a_b.com") && !conf_valid_name("a b"),
	    "underscore and blank");
	CHECK(!conf_valid_name("1.2.3.256"), "all-numeric last label");
	memset(name, 'a', 63);
	(void)strlcpy(name + 63, ".com", sizeof(name) - 63);
	CHECK(conf_valid_name(name), "63-character label");
	memset(name, 'a', 64);
	(void)strlcpy(name + 64, ".com", sizeof(name) - 64);
	CHECK(!conf_valid_name(name), "64-character label");
	memset(name, 'a', sizeof(name));
	for (i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	CHECK(conf_valid_name(name), "253-character name");
	name[253] = 'a';
	name[254] = '\0';
	CHECK(!conf_valid_name(name), "254-character name");
}

/* cleartext text: rejected, with msg on line 1 of it. */
static void
cleartext_error(const char *text, const char *msg)
{
	struct conf	*c;
	char		 desc[512];
	int		 found;

	c = parse_text(text);
	found = c == NULL && strstr(logbuf, ":1: ") != NULL &&
	    strstr(logbuf, msg) != NULL;
	(void)snprintf(desc, sizeof(desc), "\"%.*s\": %s", (int)strcspn(text,
	    "\n"), text, msg);
	CHECK(found, desc);
	if (!found)
		log_dump();
	conf_free(c);
}

static int
cleartext_ok(const char *addr)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	if (conf_parse_addr(addr, 53, &ss, &sslen) == -1)
		return (-1);
	return (conf_cleartext_allowed((struct sockaddr *)&ss));
}

/* Cleartext upstreams: only where declared, only on the host or site. */
static void
test_cleartext(void)
{
	static const char *allowed[] = {
		"127.0.0.1", "127.255.255.254", "::1", "10.0.0.1",
		"10.255.255.255", "172.16.0.1", "172.31.255.255",
		"192.168.0.1", "192.168.255.255", "100.64.0.1",
		"100.127.255.255", "169.254.0.1", "169.254.255.255",
		"fe80::1", "febf::1", "fc00::1", "fd12:3456::53",
		"::ffff:10.96.0.10", "::ffff:127.0.0.1"
	};
	static const char *refused[] = {
		"8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860::8888",
		"2606:4700::1111", "0.0.0.0", "::", "11.0.0.1", "9.255.255.255",
		"172.15.255.255", "172.32.0.1", "192.167.255.255",
		"192.169.0.1", "100.63.255.255", "100.128.0.1", "169.253.0.1",
		"169.255.0.1", "fec0::1", "fe00::1", "fbff::1", "fe00::",
		"ff02::1", "224.0.0.1", "255.255.255.255", "128.0.0.1",
		"::2", "::ffff:8.8.8.8", "64:ff9b::a00:1", "2001:db8::1"
	};
	struct conf			*c;
	const struct upstream_conf	*u;
	char				 err[256], desc[128];
	size_t				 i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		(void)snprintf(desc, sizeof(desc), "cleartext allowed to %s",
		    allowed[i]);
		CHECK(cleartext_ok(allowed[i]) == 1, desc);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		(void)snprintf(desc, sizeof(desc), "cleartext refused to %s",
		    refused[i]);
		CHECK(cleartext_ok(refused[i]) == 0, desc);
	}

	c = parse_text("upstream 10.96.0.10 port 53 cleartext\n"
	    "upstream 10.96.0.11 plain tcp\n"
	    "upstream fd00::53 port 5353 cleartext tcp\n"
	    "upstream 127.0.0.1 port 8853 tls-name \"dns.test\"\n"
	    "upstream 192.168.1.1 tcp-idle-timeout 5\n");
	CHECK(c == NULL, "tcp alone after an upstream is a syntax error");
	conf_free(c);
	c = parse_text("upstream 10.96.0.10 port 53 cleartext\n"
	    "upstream 10.96.0.11 plain tcp\n"
	    "upstream fd00::53 port 5353 cleartext tcp\n"
	    "upstream 127.0.0.1 port 8853 tls-name \"dns.test\"\n"
	    "upstream 192.168.1.1\n"
	    "tcp-idle-timeout 5\n");
	CHECK(c != NULL && count_upstreams(c) == 5,
	    "cleartext, plain tcp and TLS upstreams side by side");
	if (c == NULL) {
		log_dump();
		return;
	}
	u = nth_upstream(c, 0);
	CHECK(u->transport == UP_CLEARTEXT_UDP && port_of(&u->ss) == 53 &&
	    u->tls_name[0] == '\0' && u->npins == 0,
	    "cleartext: UDP with TCP fallback, no tls-name");
	u = nth_upstream(c, 1);
	CHECK(u->transport == UP_CLEARTEXT_TCP && port_of(&u->ss) == 53,
	    "plain tcp: TCP only, port 53 by default");
	u = nth_upstream(c, 2);
	CHECK(u->transport == UP_CLEARTEXT_TCP && port_of(&u->ss) == 5353,
	    "cleartext tcp over IPv6 ULA, its own port");
	u = nth_upstream(c, 3);
	CHECK(u->transport == UP_TLS && strcmp(u->tls_name, "dns.test") == 0,
	    "a TLS upstream beside them stays TLS");
	u = nth_upstream(c, 4);
	CHECK(u->transport == UP_TLS && port_of(&u->ss) == 853 &&
	    strcmp(u->tls_name, "192.168.1.1") == 0,
	    "a private address without the keyword is TLS, port 853");
	CHECK(c->sc.tcp_idle_timeout == 5, "tcp-idle-timeout still a keyword");
	CHECK(roundtrip(c, "cleartext.out"),
	    "cleartext upstreams print and parse back the same");
	conf_free(c);

	cleartext_error("upstream 8.8.8.8 port 53 plain\n",
	    "upstream 8.8.8.8: cleartext only to a loopback, private, shared "
	    "(100.64/10), link-local or ULA address");
	cleartext_error("upstream 2001:4860::8888 cleartext tcp\n",
	    "upstream 2001:4860::8888: cleartext only to a loopback");
	cleartext_error("upstream ::ffff:8.8.4.4 cleartext\n",
	    "cleartext only to a loopback");
	cleartext_error("upstream 10.0.0.1 cleartext tls-name \"dns.test\"\n",
	    "upstream 10.0.0.1: tls-name and pin are for TLS upstreams, not a "
	    "cleartext one");
	cleartext_error("upstream 10.0.0.1 pin \"sha256/dpLDrTVAu4A8Ags67mbNi"
	    "IcSMjTqDG5xQ8Ct1z/0Me0=\" plain\n", "tls-name and pin are for TLS");
	cleartext_error("upstream 10.0.0.1 cleartext plain tcp\n",
	    "upstream 10.0.0.1: cleartext given twice");
	cleartext_error("upstream 10.0.0.1 tcp\n", "syntax error");
	cleartext_error("upstream 10.0.0.1 cleartext udp\n", "syntax error");

	CHECK(strcmp(conf_transport_name(UP_TLS), "tls") == 0 &&
	    strcmp(conf_transport_name(UP_CLEARTEXT_UDP), "cleartext") == 0 &&
	    strcmp(conf_transport_name(UP_CLEARTEXT_TCP), "cleartext tcp") ==
	    0, "transport names as the configuration spells them");

	/* the variables name a DoT server: a cleartext one becomes TLS */
	unset_env();
	setenv("DNS_SERVER_IP", "9.9.9.9", 1);
	c = parse_text("upstream 10.96.0.10 cleartext\n");
	CHECK(c != NULL && conf_apply_env(c, err, sizeof(err)) == 0 &&
	    (u = TAILQ_FIRST(&c->upstreams)) != NULL &&
	    u->transport == UP_TLS && strcmp(u->tls_name, "9.9.9.9") == 0 &&
	    port_of(&u->ss) == 853, "DNS_SERVER_IP over a cleartext upstream: "
	    "TLS to the new address on port 853, verified against it");
	conf_free(c);
	unset_env();
	setenv("DNS_SERVER_PORT", "853", 1);
	c = parse_text("upstream 10.96.0.10 cleartext\n");
	CHECK(c != NULL && conf_apply_env(c, err, sizeof(err)) == 0 &&
	    (u = TAILQ_FIRST(&c->upstreams)) != NULL &&
	    u->transport == UP_TLS && strcmp(u->tls_name, "10.96.0.10") == 0 &&
	    port_of(&u->ss) == 853, "DNS_SERVER_PORT alone: TLS to the same "
	    "address, verified against it");
	conf_free(c);
	unset_env();
}

static void
cleanup(void)
{
	static const char *files[] = {
		"t.conf", "good.out", "defaults.out", "off.out",
		"corner.out", "env.out", "cleartext.out"
	};
	size_t	i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		(void)unlink(tmp_path(files[i]));
	(void)rmdir(tmpdir);
}

int
main(int argc, char *argv[])
{
	if (argc > 1)
		confdir = argv[1];
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	log_set_sender(capture);
	unset_env();

	test_good();
	test_zones();
	test_bad();
	test_files();
	test_limits();
	test_env();
	test_acl();
	test_helpers();
	test_cleartext();

	cleanup();
	return (unit_done());
}
