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

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "zone.h"

/* byacc keeps its stack between parses unless told otherwise. */
#define YY_NO_LEAKS	1

#define MAXINCLUDE	16	/* nesting depth of include */
#define LEX_BUFSIZE	8192	/* longest word or quoted string */

/*
 * Out-of-band values in the pushback buffer, beyond any byte: the end of
 * a macro's text, and a lexical error already reported by lgetc().
 */
#define EXPAND_END	0x100
#define LEX_ERR		0x101

static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			*ungetbuf;
	size_t			 ungetpos;
	size_t			 ungetsize;
	int			 lineno;
	int			 eof_reached;
} *file, *topfile;

static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*val;
};

typedef struct {
	union {
		int64_t		 number;
		char		*string;
	} v;
	int lineno;
} YYSTYPE;

/* byacc's default leaves msg unused; the token number picks the member. */
#define YYDESTRUCT_DECL() \
	yydestruct(const char *msg __attribute__((__unused__)), int psymb, \
	    YYSTYPE *val)

int		 yyparse(void);
int		 yylex(void);
int		 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static struct file	*pushfile(char *);
static int		 popfile(void);
static char		*include_path(const char *);
static int		 include_depth(void);
static int		 igetc(void);
static int		 lgetc(int);
static void		 lungetc(int);
static int		 findeol(void);
static int		 expand_macro(void);
static int		 lookup(const char *);
static int		 lex_token(int, const char *);
static int		 allowed_in_string(int);
static int		 allowed_to_start_string(int);
static int		 allowed_to_end_number(int);
static void		 verror(int, const char *, va_list)
			    __attribute__((__format__ (printf, 2, 0)));
static void		 conf_error(int, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));
static void		 lex_error(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static int		 symset(const char *, const char *);
static const char	*symget(const char *);
static void		 symclear(void);
static int		 valid_macro_name(const char *);
static int		 check_range(int, const char *, int64_t, int64_t,
			    int64_t);
static int		 check_path(int, const char *, const char *);
static int		 add_listen(int, const char *, int);
static int		 upstream_begin(int, const char *);
static int		 upstream_port(int, int64_t);
static int		 upstream_tls_name(int, const char *);
static int		 upstream_pin(int, const char *);
static int		 upstream_cleartext(int, int);
static int		 upstream_end(int);
static struct upstream_list *upstream_list(void);
static int		 set_policy(int, const char *, int *);
static int		 set_padding(int, const char *, int64_t, int *);
static int		 zone_begin(int, const char *);
static int		 zone_local(int, const char *);
static int		 zone_end(int);
static int		 add_acl(int, int, const char *);
static int		 b64_decode(const char *, uint8_t *, size_t);

static struct conf	*conf;
static int		 errors;
static int		 expanding;	/* reading a macro's text */

/* What the lexer saw of the current statement, for "syntax error". */
static int		 lex_ntok;
static int		 lex_bol;
static int		 lex_errored;
static int		 lex_first_unknown;
static int		 lex_second_eq;
static char		 lex_first[64];
static char		 lex_last[64];

/* The upstream being parsed; copied into the list once complete. */
static struct upstream_conf	 up_cur;
static char			 up_addr[INET6_ADDRSTRLEN];
static int			 up_port;
static int			 up_named;

/* The zone statement being parsed, NULL at the top level. */
static struct zone_conf		*zone_cur;
%}

%token	LISTEN ON PORT USER CHROOT CAFILE UPSTREAM TLSNAME PIN
%token	UPSTREAMPOLICY PADDING CACHE SIZE TCPIDLETIMEOUT QUERYTIMEOUT
%token	TCPMAXCONN TCPMAXPIPELINE MAXQUERIES ENGINES ALLOW DENY FROM
%token	TCPMAXCONNCLIENT MAXQUERIESCLIENT TCPMAXLIFETIME TCPMAXOUTPUT
%token	MINTTL MAXTTL INCLUDE ERROR DENYACTION EDNSBUFSIZE
%token	RATELIMIT RATEBURST RATEACTION RATEV4 RATEV6 RATETABLE
%token	COALESCEMAXWAITERS UPSTREAMMAXFAIL UPSTREAMCONNS
%token	CONTROL SOCKET LOG QUERIES METRICS CLIENTSUBNET ZONE LOCALZONES
%token	CLEARTEXT PLAIN TCP
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	number port aclaction cleartextover
%destructor		{ free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'		{ yyerrok; zone_cur = NULL; }
		;

include		: INCLUDE STRING		{
			struct file	*nfile;
			char		*path;

			if (include_depth() >= MAXINCLUDE) {
				conf_error($<lineno>2,
				    "include \"%s\": nested too deep (max %d)",
				    $2, MAXINCLUDE);
				YYERROR;
			}
			path = include_path($2);
			if ((nfile = pushfile(path)) == NULL) {
				if (strcmp(path, $2) == 0)
					conf_error($<lineno>2,
					    "include \"%s\": %s", $2,
					    strerror(errno));
				else
					conf_error($<lineno>2,
					    "include \"%s\": %s: %s", $2,
					    path, strerror(errno));
				free(path);
				YYERROR;
			}
			free($2);
			file = nfile;
			/* The grammar wants the include statement ended. */
			lungetc('\n');
		}
		;

varset		: STRING '=' STRING		{
			if (!valid_macro_name($1)) {
				conf_error($<lineno>1,
				    "invalid macro name \"%s\"", $1);
				YYERROR;
			}
			if (symset($1, $3) == -1)
				fatal(NULL);
			free($1);
			free($3);
		}
		| STRING '=' NUMBER		{
			char	buf[32];

			if (!valid_macro_name($1)) {
				conf_error($<lineno>1,
				    "invalid macro name \"%s\"", $1);
				YYERROR;
			}
			(void)snprintf(buf, sizeof(buf), "%lld",
			    (long long)$3);
			if (symset($1, buf) == -1)
				fatal(NULL);
			free($1);
		}
		;

number		: NUMBER
		| STRING			{
			conf_error($<lineno>1, "\"%s\" is not a number", $1);
			YYERROR;
		}
		;

port		: /* empty */			{ $$ = -1; }
		| PORT number			{
			if (check_range($<lineno>2, "port", $2, 1, 65535) ==
			    -1)
				YYERROR;
			$$ = $2;
		}
		;

main		: LISTEN ON STRING port		{
			if (add_listen($<lineno>3, $3, $4 == -1 ?
			    DEFAULT_LISTEN_CONF_PORT : (int)$4) == -1)
				YYERROR;
			free($3);
		}
		| USER STRING			{
			if ($2[0] == '\0' || strlen($2) >= CONF_USER_MAX) {
				conf_error($<lineno>2,
				    "user \"%s\": invalid user name", $2);
				YYERROR;
			}
			(void)strlcpy(conf->sc.user, $2, sizeof(conf->sc.user));
			free($2);
		}
		| CHROOT STRING			{
			if (check_path($<lineno>2, "chroot", $2) == -1)
				YYERROR;
			(void)strlcpy(conf->sc.chroot, $2,
			    sizeof(conf->sc.chroot));
			free($2);
		}
		| CAFILE STRING			{
			if (check_path($<lineno>2, "ca-file", $2) == -1)
				YYERROR;
			(void)strlcpy(conf->sc.ca_file, $2,
			    sizeof(conf->sc.ca_file));
			free($2);
		}
		| UPSTREAM STRING		{
			if (upstream_begin($<lineno>2, $2) == -1)
				YYERROR;
			/*
			 * Gone from the stack's point of view, so that an
			 * error later in the statement does not free it twice.
			 */
			free($2);
			$2 = NULL;
		} upstream_opts			{
			if (upstream_end($<lineno>2) == -1)
				YYERROR;
		}
		| UPSTREAMPOLICY STRING		{
			if (set_policy($<lineno>2, $2, &conf->sc.policy) == -1)
				YYERROR;
			free($2);
		}
		| PADDING NUMBER		{
			if (set_padding($<lineno>2, NULL, $2,
			    &conf->sc.padding) == -1)
				YYERROR;
		}
		| PADDING STRING		{
			if (set_padding($<lineno>2, $2, 0,
			    &conf->sc.padding) == -1)
				YYERROR;
			free($2);
		}
		| ZONE STRING			{
			if (zone_begin($<lineno>2, $2) == -1)
				YYERROR;
			free($2);
			$2 = NULL;
		} zonebody			{
			if (zone_end($<lineno>2) == -1)
				YYERROR;
		}
		| LOCALZONES ON			{
			conf->sc.local_zones = 1;
		}
		| LOCALZONES STRING		{
			if (strcmp($2, "off") == 0)
				conf->sc.local_zones = 0;
			else {
				conf_error($<lineno>2, "local-zones \"%s\": "
				    "on or off expected", $2);
				YYERROR;
			}
			free($2);
		}
		| CACHE SIZE number		{
			if (check_range($<lineno>3, "cache size", $3, 1,
			    10000000) == -1)
				YYERROR;
			conf->sc.cache_size = $3;
		}
		| CACHE MINTTL number		{
			if (check_range($<lineno>3, "cache min-ttl", $3, 0,
			    86400) == -1)
				YYERROR;
			conf->sc.cache_min_ttl = $3;
		}
		| CACHE MAXTTL number		{
			if (check_range($<lineno>3, "cache max-ttl", $3, 1,
			    604800) == -1)
				YYERROR;
			conf->sc.cache_max_ttl = $3;
		}
		| CACHE STRING			{
			if (strcmp($2, "off") != 0) {
				conf_error($<lineno>2, "cache \"%s\": "
				    "size N or off expected", $2);
				YYERROR;
			}
			conf->sc.cache_size = 0;
			free($2);
		}
		| TCPIDLETIMEOUT number		{
			if (check_range($<lineno>2, "tcp-idle-timeout", $2, 1,
			    3600) == -1)
				YYERROR;
			conf->sc.tcp_idle_timeout = $2;
		}
		| UPSTREAMCONNS number		{
			if (check_range($<lineno>2, "upstream-connections",
			    $2, 1, 1024) == -1)
				YYERROR;
			conf->sc.upstream_connections = $2;
		}
		| UPSTREAMMAXFAIL number		{
			if (check_range($<lineno>2, "upstream-max-failures",
			    $2, 1, 100) == -1)
				YYERROR;
			conf->sc.upstream_max_failures = $2;
		}
		| QUERYTIMEOUT number		{
			if (check_range($<lineno>2, "query-timeout", $2, 1,
			    60) == -1)
				YYERROR;
			conf->sc.query_timeout = $2;
		}
		| TCPMAXCONN number		{
			if (check_range($<lineno>2, "tcp-max-connections", $2,
			    1, 65535) == -1)
				YYERROR;
			conf->sc.tcp_max_conn = $2;
		}
		| TCPMAXPIPELINE number		{
			if (check_range($<lineno>2, "tcp-max-pipeline", $2,
			    1, 65535) == -1)
				YYERROR;
			conf->sc.tcp_max_pipeline = $2;
		}
		| MAXQUERIES number		{
			if (check_range($<lineno>2, "max-queries", $2, 16,
			    1048576) == -1)
				YYERROR;
			conf->sc.max_queries = $2;
		}
		| COALESCEMAXWAITERS NUMBER	{
			if (check_range($<lineno>2, "coalesce-max-waiters", $2,
			    1, CONF_MAX_COALESCE) == -1)
				YYERROR;
			conf->sc.coalesce_max_waiters = $2;
		}
		| COALESCEMAXWAITERS STRING	{
			if (strcmp($2, "off") != 0) {
				conf_error($<lineno>2, "coalesce-max-waiters "
				    "\"%s\": a number or off expected", $2);
				YYERROR;
			}
			conf->sc.coalesce_max_waiters = 0;
			free($2);
		}
		| TCPMAXCONNCLIENT number	{
			if (check_range($<lineno>2,
			    "tcp-max-connections-per-client", $2, 1, 65535) ==
			    -1)
				YYERROR;
			conf->sc.tcp_max_conn_client = $2;
		}
		| MAXQUERIESCLIENT number	{
			if (check_range($<lineno>2, "max-queries-per-client",
			    $2, 1, 1048576) == -1)
				YYERROR;
			conf->sc.max_queries_client = $2;
		}
		| TCPMAXLIFETIME number		{
			if (check_range($<lineno>2, "tcp-max-lifetime", $2, 1,
			    86400) == -1)
				YYERROR;
			conf->sc.tcp_max_lifetime = $2;
		}
		| TCPMAXOUTPUT number		{
			if (check_range($<lineno>2, "tcp-max-output", $2,
			    65536, 67108864) == -1)
				YYERROR;
			conf->sc.tcp_max_output = $2;
		}
		| ENGINES NUMBER		{
			if (check_range($<lineno>2, "engines", $2, 1, 256) ==
			    -1)
				YYERROR;
			conf->sc.engines = $2;
		}
		| ENGINES STRING		{
			if (strcmp($2, "auto") != 0) {
				conf_error($<lineno>2, "engines \"%s\": "
				    "a number or auto expected", $2);
				YYERROR;
			}
			conf->sc.engines = 0;
			free($2);
		}
		| DENYACTION STRING		{
			if (strcmp($2, "refuse") == 0)
				conf->sc.deny_action = DENY_REFUSE;
			else if (strcmp($2, "drop") == 0)
				conf->sc.deny_action = DENY_DROP;
			else {
				conf_error($<lineno>2, "deny-action \"%s\": "
				    "refuse or drop expected", $2);
				YYERROR;
			}
			free($2);
		}
		| CLIENTSUBNET STRING		{
			if (strcmp($2, "strip") == 0)
				conf->sc.client_subnet_pass = 0;
			else if (strcmp($2, "pass") == 0)
				conf->sc.client_subnet_pass = 1;
			else {
				conf_error($<lineno>2, "client-subnet \"%s\": "
				    "strip or pass expected", $2);
				YYERROR;
			}
			free($2);
		}
		| EDNSBUFSIZE number		{
			if (check_range($<lineno>2, "edns-buffer-size", $2,
			    512, 4096) == -1)
				YYERROR;
			conf->sc.edns_buffer_size = $2;
		}
		| RATELIMIT NUMBER		{
			if (check_range($<lineno>2, "rate-limit", $2, 1,
			    1000000) == -1)
				YYERROR;
			conf->sc.rate_limit = $2;
		}
		| RATELIMIT STRING		{
			if (strcmp($2, "off") != 0) {
				conf_error($<lineno>2, "rate-limit \"%s\": "
				    "queries per second or off expected", $2);
				YYERROR;
			}
			conf->sc.rate_limit = 0;
			free($2);
		}
		| RATEBURST number		{
			if (check_range($<lineno>2, "rate-limit-burst", $2, 1,
			    1000000) == -1)
				YYERROR;
			conf->sc.rate_limit_burst = $2;
		}
		| RATEACTION STRING		{
			if (strcmp($2, "truncate") == 0)
				conf->sc.rate_limit_action = RATE_TRUNCATE;
			else if (strcmp($2, "drop") == 0)
				conf->sc.rate_limit_action = RATE_DROP;
			else {
				conf_error($<lineno>2, "rate-limit-action "
				    "\"%s\": truncate or drop expected", $2);
				YYERROR;
			}
			free($2);
		}
		| RATEV4 number			{
			if (check_range($<lineno>2, "rate-limit-ipv4-prefix",
			    $2, 8, 32) == -1)
				YYERROR;
			conf->sc.rate_limit_v4 = $2;
		}
		| RATEV6 number			{
			if (check_range($<lineno>2, "rate-limit-ipv6-prefix",
			    $2, 16, 128) == -1)
				YYERROR;
			conf->sc.rate_limit_v6 = $2;
		}
		| RATETABLE number		{
			if (check_range($<lineno>2, "rate-limit-table", $2,
			    256, 1048576) == -1)
				YYERROR;
			conf->sc.rate_limit_table = $2;
		}
		| CONTROL SOCKET STRING		{
			if (strcmp($3, "off") == 0)
				conf->sc.control_socket[0] = '\0';
			else if (check_path($<lineno>3, "control socket",
			    $3) == -1)
				YYERROR;
			else if (strlen($3) >= sizeof(conf->sc.control_socket)) {
				conf_error($<lineno>3, "control socket \"%s\": "
				    "path too long", $3);
				YYERROR;
			} else
				(void)strlcpy(conf->sc.control_socket, $3,
				    sizeof(conf->sc.control_socket));
			free($3);
		}
		| LOG QUERIES STRING		{
			if (strcmp($3, "yes") == 0)
				conf->sc.log_queries = 1;
			else if (strcmp($3, "no") == 0)
				conf->sc.log_queries = 0;
			else {
				conf_error($<lineno>3, "log queries \"%s\": "
				    "yes or no expected", $3);
				YYERROR;
			}
			free($3);
		}
		| METRICS LISTEN ON STRING PORT number {
			if (check_range($<lineno>6, "port", $6, 1, 65535) ==
			    -1)
				YYERROR;
			if (conf_parse_addr($4, $6, &conf->sc.metrics_ss,
			    &conf->sc.metrics_sslen) == -1) {
				conf_error($<lineno>4, "metrics listen on "
				    "\"%s\": not an address", $4);
				YYERROR;
			}
			free($4);
		}
		| METRICS STRING		{
			if (strcmp($2, "off") != 0) {
				conf_error($<lineno>2, "metrics \"%s\": "
				    "listen on ADDR port N or off expected", $2);
				YYERROR;
			}
			conf->sc.metrics_sslen = 0;
			free($2);
		}
		| aclaction FROM STRING		{
			if (add_acl($<lineno>3, $1, $3) == -1)
				YYERROR;
			free($3);
		}
		;

/*
 * zone "name" refuse | nxdomain, or a block of upstream statements and
 * the per-upstream settings, one a line or separated by semicolons.
 */
zonebody	: STRING			{
			if (zone_local($<lineno>1, $1) == -1)
				YYERROR;
			free($1);
		}
		| '{' zonelist '}'
		;

zonelist	: zoneitems
		| zoneitems zonestmt
		;

zoneitems	: /* empty */
		| zoneitems zonesep
		| zoneitems zonestmt zonesep
		;

zonesep		: '\n'
		| ';'
		;

zonestmt	: UPSTREAM STRING		{
			if (upstream_begin($<lineno>2, $2) == -1)
				YYERROR;
			free($2);
			$2 = NULL;
		} upstream_opts			{
			if (upstream_end($<lineno>2) == -1)
				YYERROR;
		}
		| UPSTREAMPOLICY STRING		{
			if (set_policy($<lineno>2, $2, &zone_cur->policy) ==
			    -1)
				YYERROR;
			free($2);
		}
		| PADDING NUMBER		{
			if (set_padding($<lineno>2, NULL, $2,
			    &zone_cur->padding) == -1)
				YYERROR;
		}
		| PADDING STRING		{
			if (set_padding($<lineno>2, $2, 0,
			    &zone_cur->padding) == -1)
				YYERROR;
			free($2);
		}
		| CAFILE STRING			{
			if (check_path($<lineno>2, "ca-file", $2) == -1)
				YYERROR;
			(void)strlcpy(zone_cur->ca_file, $2,
			    sizeof(zone_cur->ca_file));
			free($2);
		}
		;

upstream_opts	: /* empty */
		| upstream_opts upstream_opt
		;

upstream_opt	: PORT number			{
			if (upstream_port($<lineno>2, $2) == -1)
				YYERROR;
		}
		| TLSNAME STRING		{
			if (upstream_tls_name($<lineno>2, $2) == -1)
				YYERROR;
			free($2);
		}
		| PIN STRING			{
			if (upstream_pin($<lineno>2, $2) == -1)
				YYERROR;
			free($2);
		}
		| cleartext cleartextover	{
			if (upstream_cleartext($<lineno>1, $2) == -1)
				YYERROR;
		}
		;

/* "plain" reads as well as the contract's "cleartext" */
cleartext	: CLEARTEXT
		| PLAIN
		;

cleartextover	: /* empty */			{ $$ = UP_CLEARTEXT_UDP; }
		| TCP				{ $$ = UP_CLEARTEXT_TCP; }
		;

aclaction	: ALLOW				{ $$ = ACL_ALLOW; }
		| DENY				{ $$ = ACL_DENY; }
		;

%%

struct keywords {
	const char	*k_name;
	int		 k_val;
};

/* Sorted for bsearch(3). */
static const struct keywords keywords[] = {
	{ "allow",			ALLOW },
	{ "ca-file",			CAFILE },
	{ "cache",			CACHE },
	{ "chroot",			CHROOT },
	{ "cleartext",			CLEARTEXT },
	{ "client-subnet",		CLIENTSUBNET },
	{ "coalesce-max-waiters",	COALESCEMAXWAITERS },
	{ "control",			CONTROL },
	{ "deny",			DENY },
	{ "deny-action",		DENYACTION },
	{ "edns-buffer-size",		EDNSBUFSIZE },
	{ "engines",			ENGINES },
	{ "from",			FROM },
	{ "include",			INCLUDE },
	{ "listen",			LISTEN },
	{ "local-zones",		LOCALZONES },
	{ "log",			LOG },
	{ "max-queries",		MAXQUERIES },
	{ "max-queries-per-client",	MAXQUERIESCLIENT },
	{ "max-ttl",			MAXTTL },
	{ "metrics",			METRICS },
	{ "min-ttl",			MINTTL },
	{ "on",				ON },
	{ "padding",			PADDING },
	{ "pin",			PIN },
	{ "plain",			PLAIN },
	{ "port",			PORT },
	{ "queries",			QUERIES },
	{ "query-timeout",		QUERYTIMEOUT },
	{ "rate-limit",			RATELIMIT },
	{ "rate-limit-action",		RATEACTION },
	{ "rate-limit-burst",		RATEBURST },
	{ "rate-limit-ipv4-prefix",	RATEV4 },
	{ "rate-limit-ipv6-prefix",	RATEV6 },
	{ "rate-limit-table",		RATETABLE },
	{ "size",			SIZE },
	{ "socket",			SOCKET },
	{ "tcp",			TCP },
	{ "tcp-idle-timeout",		TCPIDLETIMEOUT },
	{ "tcp-max-connections",	TCPMAXCONN },
	{ "tcp-max-connections-per-client", TCPMAXCONNCLIENT },
	{ "tcp-max-lifetime",		TCPMAXLIFETIME },
	{ "tcp-max-output",		TCPMAXOUTPUT },
	{ "tcp-max-pipeline",		TCPMAXPIPELINE },
	{ "tls-name",			TLSNAME },
	{ "upstream",			UPSTREAM },
	{ "upstream-connections",	UPSTREAMCONNS },
	{ "upstream-max-failures",	UPSTREAMMAXFAIL },
	{ "upstream-policy",		UPSTREAMPOLICY },
	{ "user",			USER },
	{ "zone",			ZONE }
};

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keywords *)e)->k_name));
}

static int
lookup(const char *s)
{
	const struct keywords	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	if (p != NULL)
		return (p->k_val);
	return (STRING);
}

int
yyerror(const char *fmt, ...)
{
	va_list	ap;

	/* byacc's own message: say something more useful, or nothing. */
	if (strcmp(fmt, "syntax error") == 0) {
		if (lex_errored)
			return (0);
		if (lex_first_unknown && !lex_second_eq)
			conf_error(yylval.lineno, "unknown keyword \"%s\"",
			    lex_first);
		else if (lex_last[0] == '\0')
			conf_error(yylval.lineno,
			    "syntax error at end of line");
		else
			conf_error(yylval.lineno, "syntax error near \"%s\"",
			    lex_last);
		return (0);
	}
	va_start(ap, fmt);
	verror(yylval.lineno, fmt, ap);
	va_end(ap);
	return (0);
}

static void
verror(int lineno, const char *fmt, va_list ap)
{
	char	msg[1024];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warnx("%s:%d: %s", file->name, lineno, msg);
	errors++;
}

static void
conf_error(int lineno, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	verror(lineno, fmt, ap);
	va_end(ap);
}

static void
lex_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	verror(file->lineno, fmt, ap);
	va_end(ap);
}

static int
igetc(void)
{
	if (file->ungetpos > 0)
		return (file->ungetbuf[--file->ungetpos]);
	return (getc(file->stream));
}

/*
 * The next character of the input, across included files.  Unless
 * literal (comments, quoted strings), a backslash-newline is a blank and
 * $name is replaced by the macro's text.
 */
static int
lgetc(int literal)
{
	int	c, next;

	for (;;) {
		c = igetc();
		if (c == EXPAND_END) {
			expanding = 0;
			continue;
		}
		if (c == EOF) {
			/*
			 * Every file ends in a newline, so a statement never
			 * runs on into the file that included it and a last
			 * line without one gets the right line number.
			 */
			if (!file->eof_reached) {
				file->eof_reached = 1;
				return ('\n');
			}
			if (file == topfile || popfile() == EOF)
				return (EOF);
			continue;
		}
		if (literal)
			return (c);
		if (c == '\\') {
			next = igetc();
			if (next == '\n') {
				file->lineno++;
				return (' ');
			}
			lungetc(next);
			return (c);
		}
		if (c == '$' && !expanding) {
			if (expand_macro() == -1)
				return (LEX_ERR);
			continue;
		}
		return (c);
	}
}

static void
lungetc(int c)
{
	int	*p;
	size_t	 n;

	if (c == EOF)
		return;
	if (file->ungetpos >= file->ungetsize) {
		n = file->ungetsize == 0 ? 128 : file->ungetsize * 2;
		if ((p = reallocarray(file->ungetbuf, n, sizeof(*p))) == NULL)
			fatal(NULL);
		file->ungetbuf = p;
		file->ungetsize = n;
	}
	file->ungetbuf[file->ungetpos++] = c;
}

/*
 * The macro's text is pushed back and read again as input; it is not
 * expanded again, so a macro cannot recurse.
 */
static int
expand_macro(void)
{
	char		 name[128];
	const char	*val, *p;
	size_t		 len = 0;
	int		 c;

	for (;;) {
		c = igetc();
		if (c >= 0 && c <= UCHAR_MAX && (isalnum(c) || c == '_')) {
			if (len + 1 >= sizeof(name)) {
				lex_error("macro name too long");
				return (-1);
			}
			name[len++] = c;
			continue;
		}
		lungetc(c);
		break;
	}
	name[len] = '\0';
	if (len == 0) {
		lex_error("macro name expected after '$'");
		return (-1);
	}
	if ((val = symget(name)) == NULL) {
		lex_error("macro \"%s\" not defined", name);
		return (-1);
	}
	lungetc(EXPAND_END);
	for (p = val + strlen(val); p > val; )
		lungetc((unsigned char)*--p);
	expanding = 1;
	return (0);
}

/*
 * Skip what is left of a statement in error, but leave its newline for
 * the grammar's error rule, so the next line is parsed again.
 */
static int
findeol(void)
{
	int	c;

	for (;;) {
		c = lgetc(1);
		if (c == '\\') {
			if ((c = lgetc(1)) == '\n') {
				file->lineno++;
				continue;
			}
		}
		if (c == '\n' || c == EOF)
			break;
	}
	lungetc(c);
	return (lex_token(ERROR, NULL));
}

static int
allowed_in_string(int c)
{
	if (c < 0 || c > UCHAR_MAX)
		return (0);
	if (isalnum(c))
		return (1);
	/* Base64 pins end in '='; inside a macro's text that is no varset. */
	if (c == '=')
		return (expanding);
	return (ispunct(c) && strchr("(){}<>!#,;\"'", c) == NULL);
}

static int
allowed_to_start_string(int c)
{
	if (c < 0 || c > UCHAR_MAX)
		return (0);
	return (isalnum(c) || c == ':' || c == '_' || c == '/' || c == '.');
}

static int
allowed_to_end_number(int c)
{
	return (c == EOF || c == ' ' || c == '\t' || c == '\r' ||
	    c == '\n' || c == '#' || c == ';' || c == '}');
}

/* Remembers the statement's tokens so syntax errors can name them. */
static int
lex_token(int token, const char *text)
{
	if (lex_bol) {
		lex_bol = 0;
		lex_ntok = 0;
		lex_errored = 0;
	}
	/* Reported already: the parser's "syntax error" would repeat it. */
	if (token == ERROR)
		lex_errored = 1;
	if (lex_ntok == 0) {
		lex_first_unknown = token == STRING;
		(void)strlcpy(lex_first, text != NULL ? text : "",
		    sizeof(lex_first));
		lex_second_eq = 0;
	} else if (lex_ntok == 1)
		lex_second_eq = token == '=';
	lex_ntok++;
	(void)strlcpy(lex_last, text != NULL ? text : "", sizeof(lex_last));
	if (token == '\n')
		lex_bol = 1;
	return (token);
}

int
yylex(void)
{
	char		 buf[LEX_BUFSIZE], *p;
	const char	*errstr;
	int		 c, next, quotec, token;

	p = buf;
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;

	yylval.lineno = file->lineno;
	if (c == LEX_ERR)
		return (findeol());
	if (c == '#')
		while ((c = lgetc(1)) != '\n' && c != EOF)
			;

	switch (c) {
	case '\'':
	case '"':
		quotec = c;
		for (;;) {
			c = lgetc(1);
			if (c == '\n' || c == EOF) {
				conf_error(yylval.lineno,
				    "unterminated quoted string");
				lungetc(c);
				return (lex_token(ERROR, NULL));
			}
			if (c == '\\') {
				next = lgetc(1);
				if (next == '\n') {
					file->lineno++;
					continue;
				}
				if (next == quotec || next == '\\')
					c = next;
				else
					lungetc(next);
			} else if (c == quotec)
				break;
			else if (c == '\0') {
				lex_error("NUL byte in quoted string");
				return (findeol());
			}
			if (p + 1 >= buf + sizeof(buf)) {
				lex_error("quoted string too long");
				return (findeol());
			}
			*p++ = c;
		}
		*p = '\0';
		if ((yylval.v.string = strdup(buf)) == NULL)
			fatal(NULL);
		return (lex_token(STRING, buf));
	case '\n':
		file->lineno++;
		return (lex_token('\n', NULL));
	case EOF:
		return (lex_token(0, NULL));
	}

	if (c == '-' || (c >= 0 && c <= UCHAR_MAX && isdigit(c))) {
		do {
			*p++ = c;
			if ((size_t)(p - buf) >= sizeof(buf) - 1) {
				lex_error("word too long");
				return (findeol());
			}
		} while ((c = lgetc(0)) >= 0 && c <= UCHAR_MAX && isdigit(c));
		if (c == LEX_ERR)
			return (findeol());
		lungetc(c);
		if (p == buf + 1 && buf[0] == '-')
			goto nodigits;
		if (allowed_to_end_number(c)) {
			*p = '\0';
			yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX,
			    &errstr);
			if (errstr != NULL) {
				lex_error("\"%s\" is not a valid number: %s",
				    buf, errstr);
				return (findeol());
			}
			return (lex_token(NUMBER, buf));
		}
nodigits:
		/* Not a number after all (1.2.3.4, 2001:db8::1): a word. */
		while (p > buf + 1)
			lungetc((unsigned char)*--p);
		c = (unsigned char)*--p;
		if (c == '-')
			return (lex_token(c, "-"));
	}

	if (allowed_to_start_string(c)) {
		do {
			*p++ = c;
			if ((size_t)(p - buf) >= sizeof(buf) - 1) {
				lex_error("word too long");
				return (findeol());
			}
		} while (allowed_in_string(c = lgetc(0)));
		if (c == LEX_ERR)
			return (findeol());
		lungetc(c);
		*p = '\0';
		if ((token = lookup(buf)) == STRING)
			if ((yylval.v.string = strdup(buf)) == NULL)
				fatal(NULL);
		return (lex_token(token, buf));
	}

	buf[0] = c;
	buf[1] = '\0';
	return (lex_token(c, buf));
}

/* Relative includes are found next to the file that names them. */
static char *
include_path(const char *name)
{
	const char	*slash;
	char		*path;
	size_t		 len;
	int		 dirlen;

	if (name[0] != '/' && (slash = strrchr(file->name, '/')) != NULL) {
		dirlen = slash - file->name;
		len = dirlen + 1 + strlen(name) + 1;
		if ((path = malloc(len)) == NULL)
			fatal(NULL);
		(void)snprintf(path, len, "%.*s/%s", dirlen, file->name, name);
		return (path);
	}
	if ((path = strdup(name)) == NULL)
		fatal(NULL);
	return (path);
}

static int
include_depth(void)
{
	struct file	*f;
	int		 n = 0;

	TAILQ_FOREACH(f, &files, entry)
		n++;
	return (n);
}

/* Takes over name on success; errno tells why not. */
static struct file *
pushfile(char *name)
{
	struct file	*nfile;
	struct stat	 st;
	int		 saved_errno;

	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		fatal(NULL);
	if ((nfile->stream = fopen(name, "re")) == NULL) {
		saved_errno = errno;
		free(nfile);
		errno = saved_errno;
		return (NULL);
	}
	if (fstat(fileno(nfile->stream), &st) == -1)
		saved_errno = errno;
	else if (S_ISDIR(st.st_mode))
		saved_errno = EISDIR;
	else
		saved_errno = 0;
	if (saved_errno != 0) {
		fclose(nfile->stream);
		free(nfile);
		errno = saved_errno;
		return (NULL);
	}
	nfile->name = name;
	/* An include starts with the '\n' that ends its statement. */
	nfile->lineno = TAILQ_EMPTY(&files) ? 1 : 0;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return (nfile);
}

static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file->ungetbuf);
	free(file);
	file = prev;
	return (file != NULL ? 0 : EOF);
}

static int
symset(const char *name, const char *val)
{
	struct sym	*sym;
	char		*v;

	if ((v = strdup(val)) == NULL)
		return (-1);
	TAILQ_FOREACH(sym, &symhead, entry) {
		if (strcmp(sym->name, name) == 0) {
			free(sym->val);
			sym->val = v;
			return (0);
		}
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL ||
	    (sym->name = strdup(name)) == NULL) {
		free(sym);
		free(v);
		return (-1);
	}
	sym->val = v;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return (0);
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			return (sym->val);
	return (NULL);
}

static void
symclear(void)
{
	struct sym	*sym;

	while ((sym = TAILQ_FIRST(&symhead)) != NULL) {
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->val);
		free(sym);
	}
}

/* Only names $name can reach. */
static int
valid_macro_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

static int
check_range(int lineno, const char *what, int64_t val, int64_t min,
    int64_t max)
{
	if (val < min || val > max) {
		conf_error(lineno, "%s %lld out of range (%lld..%lld)", what,
		    (long long)val, (long long)min, (long long)max);
		return (-1);
	}
	return (0);
}

static int
check_path(int lineno, const char *what, const char *path)
{
	if (path[0] != '/') {
		conf_error(lineno, "%s \"%s\": must be an absolute path",
		    what, path);
		return (-1);
	}
	if (strlen(path) >= PATH_MAX) {
		conf_error(lineno, "%s: path too long", what);
		return (-1);
	}
	return (0);
}

static int
add_listen(int lineno, const char *addr, int port)
{
	struct listen_conf	*l, *n;
	int			 count = 0;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal(NULL);
	if (conf_parse_addr(addr, port, &n->ss, &n->sslen) == -1) {
		conf_error(lineno, "invalid listen address \"%s\" "
		    "(IPv4 or IPv6 address expected)", addr);
		free(n);
		return (-1);
	}
	TAILQ_FOREACH(l, &conf->listens, entry) {
		if (l->sslen == n->sslen &&
		    memcmp(&l->ss, &n->ss, n->sslen) == 0) {
			conf_error(lineno, "duplicate listen on %s port %d",
			    addr, port);
			free(n);
			return (-1);
		}
		count++;
	}
	if (count >= CONF_MAX_LISTEN) {
		conf_error(lineno, "too many listen statements (max %d)",
		    CONF_MAX_LISTEN);
		free(n);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&conf->listens, n, entry);
	return (0);
}

static int
upstream_begin(int lineno, const char *addr)
{
	struct upstream_conf	*u;
	int			 count = 0;

	memset(&up_cur, 0, sizeof(up_cur));
	up_addr[0] = '\0';
	up_port = -1;
	up_named = 0;

	if (conf_parse_addr(addr, 0, &up_cur.ss, &up_cur.sslen) == -1) {
		conf_error(lineno, "invalid upstream address \"%s\" "
		    "(IPv4 or IPv6 address expected)", addr);
		return (-1);
	}
	TAILQ_FOREACH(u, upstream_list(), entry)
		count++;
	if (count >= CONF_MAX_UPSTREAM) {
		conf_error(lineno, "too many upstreams (max %d)",
		    CONF_MAX_UPSTREAM);
		return (-1);
	}
	if (conf_count_upstreams(conf) >= CONF_MAX_UPSTREAMS) {
		conf_error(lineno, "too many upstreams in all zones (max %d)",
		    CONF_MAX_UPSTREAMS);
		return (-1);
	}
	up_cur.zone = zone_cur != NULL ? zone_cur->index : 0;
	(void)strlcpy(up_addr, addr, sizeof(up_addr));
	return (0);
}

static int
upstream_port(int lineno, int64_t port)
{
	if (up_port != -1) {
		conf_error(lineno, "upstream %s: port given twice", up_addr);
		return (-1);
	}
	if (check_range(lineno, "port", port, 1, 65535) == -1)
		return (-1);
	up_port = port;
	return (0);
}

static int
upstream_tls_name(int lineno, const char *name)
{
	if (up_named) {
		conf_error(lineno, "upstream %s: tls-name given twice",
		    up_addr);
		return (-1);
	}
	if (!conf_valid_name(name)) {
		conf_error(lineno, "tls-name \"%s\": not a valid host name "
		    "or address", name);
		return (-1);
	}
	(void)strlcpy(up_cur.tls_name, name, sizeof(up_cur.tls_name));
	up_named = 1;
	return (0);
}

/* "sha256/" and the base64 of the SHA-256 of the server's SPKI. */
static int
upstream_pin(int lineno, const char *pin)
{
	static const char	 prefix[] = "sha256/";
	uint8_t			 digest[CONF_PIN_LEN];
	int			 len, i;

	if (strncmp(pin, prefix, sizeof(prefix) - 1) != 0) {
		conf_error(lineno, "pin \"%s\": must start with \"%s\"", pin,
		    prefix);
		return (-1);
	}
	len = b64_decode(pin + sizeof(prefix) - 1, digest, sizeof(digest));
	if (len == -1) {
		conf_error(lineno, "pin \"%s\": invalid base64", pin);
		return (-1);
	}
	if (len != CONF_PIN_LEN) {
		conf_error(lineno, "pin \"%s\": %d bytes, a SHA-256 digest "
		    "has %d", pin, len, CONF_PIN_LEN);
		return (-1);
	}
	for (i = 0; i < up_cur.npins; i++)
		if (memcmp(up_cur.pins[i], digest, sizeof(digest)) == 0)
			return (0);
	if (up_cur.npins >= CONF_MAX_PINS) {
		conf_error(lineno, "upstream %s: too many pins (max %d)",
		    up_addr, CONF_MAX_PINS);
		return (-1);
	}
	memcpy(up_cur.pins[up_cur.npins++], digest, sizeof(digest));
	return (0);
}

/* Plain DNS, only where the upstream line says so. */
static int
upstream_cleartext(int lineno, int transport)
{
	if (up_cur.transport != UP_TLS) {
		conf_error(lineno, "upstream %s: cleartext given twice",
		    up_addr);
		return (-1);
	}
	up_cur.transport = transport;
	return (0);
}

/*
 * A cleartext upstream has no certificate to check, so TLS options on
 * it are a mistake; and its queries travel readable by anyone on the
 * path, so it must be on the host or the site.
 */
static int
upstream_end(int lineno)
{
	struct upstream_conf	*u, *n;
	int			 port, tls = up_cur.transport == UP_TLS;

	port = up_port != -1 ? up_port : tls ? DEFAULT_UPSTREAM_PORT :
	    DEFAULT_CLEARTEXT_PORT;
	if (conf_parse_addr(up_addr, port, &up_cur.ss, &up_cur.sslen) == -1)
		fatalx("%s: checked address became invalid", __func__);
	if (!tls && (up_named || up_cur.npins > 0)) {
		conf_error(lineno, "upstream %s: tls-name and pin are for TLS "
		    "upstreams, not a cleartext one", up_addr);
		return (-1);
	}
	if (!tls && !conf_cleartext_allowed((struct sockaddr *)&up_cur.ss)) {
		conf_error(lineno, "upstream %s: cleartext only to a loopback, "
		    "private, shared (100.64/10), link-local or ULA address",
		    up_addr);
		return (-1);
	}
	/* Verify the certificate against the address when not told. */
	if (tls && !up_named)
		(void)strlcpy(up_cur.tls_name, up_addr,
		    sizeof(up_cur.tls_name));
	/* the same server may serve two zones: two pools, two series */
	TAILQ_FOREACH(u, upstream_list(), entry) {
		if (u->sslen == up_cur.sslen &&
		    memcmp(&u->ss, &up_cur.ss, u->sslen) == 0) {
			conf_error(lineno, "duplicate upstream %s port %d",
			    up_addr, port);
			return (-1);
		}
	}
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal(NULL);
	*n = up_cur;
	TAILQ_INSERT_TAIL(upstream_list(), n, entry);
	return (0);
}

/* Where an upstream statement goes: its zone's list, or the top level's. */
static struct upstream_list *
upstream_list(void)
{
	return (zone_cur != NULL ? &zone_cur->upstreams : &conf->upstreams);
}

static int
set_policy(int lineno, const char *s, int *policy)
{
	if (strcmp(s, "fastest") == 0)
		*policy = POLICY_FASTEST;
	else if (strcmp(s, "failover") == 0)
		*policy = POLICY_FAILOVER;
	else if (strcmp(s, "round-robin") == 0)
		*policy = POLICY_ROUNDROBIN;
	else {
		conf_error(lineno, "unknown upstream-policy \"%s\" (fastest, "
		    "failover or round-robin)", s);
		return (-1);
	}
	return (0);
}

/* padding N, or (s not NULL) padding off */
static int
set_padding(int lineno, const char *s, int64_t n, int *padding)
{
	if (s != NULL && strcmp(s, "off") != 0) {
		conf_error(lineno, "padding \"%s\": a block size or off "
		    "expected", s);
		return (-1);
	}
	if (s == NULL && check_range(lineno, "padding", n, 1, 1024) == -1)
		return (-1);
	*padding = s != NULL ? 0 : n;
	return (0);
}

/*
 * A zone statement is in the list from its first line, so that an
 * error further on leaves nothing for anyone but conf_free().  Its name
 * is kept as zone.c compares it: lower case, without the final dot.
 */
static int
zone_begin(int lineno, const char *name)
{
	struct zone_conf	*z;
	uint8_t			 wire[DNS_MAX_NAME];
	char			 text[CONF_NAME_MAX];
	int			 len, n = 0;

	zone_cur = NULL;
	if ((len = zone_wire(name, wire, sizeof(wire))) == -1 ||
	    zone_text(wire, len, text, sizeof(text)) == -1) {
		conf_error(lineno, "zone \"%s\": not a domain name", name);
		return (-1);
	}
	if (len == 1) {
		conf_error(lineno, "zone \".\": the upstream statements "
		    "outside any zone are the root zone's");
		return (-1);
	}
	TAILQ_FOREACH(z, &conf->zones, entry) {
		if (strcmp(z->name, text) == 0) {
			conf_error(lineno, "zone \"%s\" defined twice", text);
			return (-1);
		}
		n++;
	}
	if (n >= CONF_MAX_ZONES) {
		conf_error(lineno, "too many zones (max %d)", CONF_MAX_ZONES);
		return (-1);
	}
	if ((z = calloc(1, sizeof(*z))) == NULL)
		fatal(NULL);
	(void)strlcpy(z->name, text, sizeof(z->name));
	z->index = n + 1;
	z->action = ZONE_FORWARD;
	z->policy = -1;
	z->padding = -1;
	TAILQ_INIT(&z->upstreams);
	TAILQ_INSERT_TAIL(&conf->zones, z, entry);
	zone_cur = z;
	return (0);
}

static int
zone_local(int lineno, const char *what)
{
	if (strcmp(what, "refuse") == 0)
		zone_cur->action = ZONE_REFUSE;
	else if (strcmp(what, "nxdomain") == 0)
		zone_cur->action = ZONE_NXDOMAIN;
	else {
		conf_error(lineno, "zone \"%s\": refuse, nxdomain or a block "
		    "{ ... } expected, not \"%s\"", zone_cur->name, what);
		return (-1);
	}
	return (0);
}

static int
zone_end(int lineno)
{
	struct zone_conf	*z = zone_cur;

	zone_cur = NULL;
	if (z->action == ZONE_FORWARD && TAILQ_EMPTY(&z->upstreams)) {
		conf_error(lineno, "zone \"%s\": no upstream", z->name);
		return (-1);
	}
	return (0);
}

static int
add_acl(int lineno, int action, const char *prefix)
{
	struct acl_conf	*acl;
	const char	*errstr;

	if ((acl = calloc(1, sizeof(*acl))) == NULL)
		fatal(NULL);
	if (conf_parse_prefix(prefix, acl, &errstr) == -1) {
		conf_error(lineno, "%s from \"%s\": %s",
		    action == ACL_ALLOW ? "allow" : "deny", prefix, errstr);
		free(acl);
		return (-1);
	}
	acl->action = action;
	TAILQ_INSERT_TAIL(&conf->acl, acl, entry);
	return (0);
}

/*
 * Strict base64 (RFC 4648, padded): returns the decoded length, writing
 * the bytes only if they fit in dstlen, or -1 if src is not base64.
 */
static int
b64_decode(const char *src, uint8_t *dst, size_t dstlen)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*pos;
	size_t			 len, i, n, pad = 0;
	uint32_t		 acc;
	int			 j;

	len = strlen(src);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > INT_MAX)
		return (-1);
	if (src[len - 1] == '=')
		pad++;
	if (src[len - 2] == '=')
		pad++;
	n = len / 4 * 3 - pad;

	for (i = 0; i < len; i += 4) {
		acc = 0;
		for (j = 0; j < 4; j++) {
			if (src[i + j] == '=' && i + j >= len - pad) {
				acc <<= 6;
				continue;
			}
			if (src[i + j] == '\0' ||
			    (pos = strchr(alphabet, src[i + j])) == NULL)
				return (-1);
			acc = acc << 6 | (uint32_t)(pos - alphabet);
		}
		if (n > dstlen)
			continue;
		dst[i / 4 * 3] = acc >> 16;
		if (i / 4 * 3 + 1 < n)
			dst[i / 4 * 3 + 1] = acc >> 8;
		if (i / 4 * 3 + 2 < n)
			dst[i / 4 * 3 + 2] = acc;
	}
	return ((int)n);
}

/*
 * Parse filename into a new configuration: built-in scalars, what the
 * file says, then the default lists for the lists it left empty.  Every
 * error is reported as file:line, and parsing goes on to find the others;
 * any error gives NULL.  An optional file that does not exist gives the
 * defaults.
 */
struct conf *
parse_config(const char *filename, int optional)
{
	struct conf	*c;
	char		*name;

	conf = conf_new();
	conf_set_defaults(conf);
	zone_cur = NULL;
	errors = 0;
	expanding = 0;
	lex_ntok = lex_bol = lex_errored = 0;
	lex_first_unknown = lex_second_eq = 0;
	lex_first[0] = lex_last[0] = '\0';
	file = topfile = NULL;

	if ((name = strdup(filename)) == NULL)
		fatal(NULL);
	if ((file = pushfile(name)) == NULL) {
		free(name);
		if (optional && errno == ENOENT) {
			conf_fill_default_lists(conf);
			c = conf;
			conf = NULL;
			return (c);
		}
		log_warnx("%s: %s", filename, strerror(errno));
		conf_free(conf);
		conf = NULL;
		return (NULL);
	}
	topfile = file;

	if (yyparse() != 0 && errors == 0) {
		/* Only an internal failure of the parser gets here. */
		log_warnx("%s: cannot parse", filename);
		errors++;
	}

	while (file != NULL)
		(void)popfile();
	topfile = NULL;
	symclear();

	c = conf;
	conf = NULL;
	if (errors != 0) {
		conf_free(c);
		return (NULL);
	}
	conf_fill_default_lists(c);
	return (c);
}
