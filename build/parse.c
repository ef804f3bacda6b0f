/* original parser id follows */
/* yysccsid[] = "@(#)yaccpar	1.9 (Berkeley) 02/21/93" */
/* (use YYMAJOR/YYMINOR for ifdefs dependent on parser version) */

#define YYBYACC 1
#define YYMAJOR 2
#define YYMINOR 0
#define YYPATCH 20221106

#define YYEMPTY        (-1)
#define yyclearin      (yychar = YYEMPTY)
#define yyerrok        (yyerrflag = 0)
#define YYRECOVERING() (yyerrflag != 0)
#define YYENOMEM       (-2)
#define YYEOF          0
#undef YYBTYACC
#define YYBTYACC 0
#define YYDEBUGSTR YYPREFIX "debug"
#define YYPREFIX "yy"

#define YYPURE 0

#line 18 "src/parse.y"
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
static int		 upstream_end(int);
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
#line 146 "build/parse.c"

/* compatibility with bison */
#ifdef YYPARSE_PARAM
/* compatibility with FreeBSD */
# ifdef YYPARSE_PARAM_TYPE
#  define YYPARSE_DECL() yyparse(YYPARSE_PARAM_TYPE YYPARSE_PARAM)
# else
#  define YYPARSE_DECL() yyparse(void *YYPARSE_PARAM)
# endif
#else
# define YYPARSE_DECL() yyparse(void)
#endif

/* Parameters sent to lex. */
#ifdef YYLEX_PARAM
# define YYLEX_DECL() yylex(void *YYLEX_PARAM)
# define YYLEX yylex(YYLEX_PARAM)
#else
# define YYLEX_DECL() yylex(void)
# define YYLEX yylex()
#endif

#if !(defined(yylex) || defined(YYSTATE))
int YYLEX_DECL();
#endif

/* Parameters sent to yyerror. */
#ifndef YYERROR_DECL
#define YYERROR_DECL() yyerror(const char *s)
#endif
#ifndef YYERROR_CALL
#define YYERROR_CALL(msg) yyerror(msg)
#endif

#ifndef YYDESTRUCT_DECL
#define YYDESTRUCT_DECL() yydestruct(const char *msg, int psymb, YYSTYPE *val)
#endif
#ifndef YYDESTRUCT_CALL
#define YYDESTRUCT_CALL(msg, psymb, val) yydestruct(msg, psymb, val)
#endif

extern int YYPARSE_DECL();

#define LISTEN 257
#define ON 258
#define PORT 259
#define USER 260
#define CHROOT 261
#define CAFILE 262
#define UPSTREAM 263
#define TLSNAME 264
#define PIN 265
#define UPSTREAMPOLICY 266
#define PADDING 267
#define CACHE 268
#define SIZE 269
#define TCPIDLETIMEOUT 270
#define QUERYTIMEOUT 271
#define TCPMAXCONN 272
#define TCPMAXPIPELINE 273
#define MAXQUERIES 274
#define ENGINES 275
#define ALLOW 276
#define DENY 277
#define FROM 278
#define INCLUDE 279
#define ERROR 280
#define STRING 281
#define NUMBER 282
#define YYERRCODE 256
typedef int YYINT;
static const YYINT yylhs[] = {                           -1,
    0,    0,    0,    0,    0,    0,    4,    5,    5,    1,
    1,    2,    2,    6,    6,    6,    6,    8,    6,    6,
    6,    6,    6,    6,    6,    6,    6,    6,    6,    6,
    6,    7,    7,    9,    9,    9,    3,    3,
};
static const YYINT yylen[] = {                            2,
    0,    2,    3,    3,    3,    3,    2,    3,    3,    1,
    1,    0,    2,    4,    2,    2,    2,    0,    4,    2,
    2,    2,    3,    2,    2,    2,    2,    2,    2,    2,
    3,    0,    2,    2,    2,    2,    1,    1,
};
static const YYINT yydefred[] = {                         1,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,   37,   38,    0,    0,
    2,    0,    0,    0,    0,    6,    0,   15,   16,   17,
   18,   20,   22,   21,    0,   24,   11,   10,   25,   26,
   27,   28,   29,   30,    7,    0,    0,    3,    4,    5,
    0,   32,   23,    8,    9,   31,    0,   14,    0,   13,
    0,    0,    0,   33,   34,   35,   36,
};
#if defined(YYDESTRUCT_CALL) || defined(YYSTYPE_TOSTRING)
static const YYINT yystos[] = {                           0,
  284,  256,  257,  260,  261,  262,  263,  266,  267,  268,
  270,  271,  272,  273,  274,  275,  276,  277,  279,  281,
   10,  287,  288,  289,  290,   10,  258,  281,  281,  281,
  281,  281,  281,  282,  269,  281,  281,  282,  285,  285,
  285,  285,  285,  285,  281,   61,  278,   10,   10,   10,
  281,  292,  285,  281,  282,  281,  259,  286,  291,  285,
  259,  264,  265,  293,  285,  281,  281,
};
#endif /* YYDESTRUCT_CALL || YYSTYPE_TOSTRING */
static const YYINT yydgoto[] = {                          1,
   39,   58,   22,   23,   24,   25,   59,   52,   64,
};
static const YYINT yysindex[] = {                         0,
  -10,    6, -241, -262, -261, -260, -259, -258, -273, -263,
 -271, -271, -271, -271, -271, -271,    0,    0, -256,  -35,
    0, -251,   18,   19,   20,    0, -250,    0,    0,    0,
    0,    0,    0,    0, -271,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0, -267, -249,    0,    0,    0,
 -226,    0,    0,    0,    0,    0, -271,    0, -252,    0,
 -271, -247, -246,    0,    0,    0,    0,
};
static const YYINT yyrindex[] = {                         0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
   26,    0,    0,    0,    0,    0,    0,    0,   27,    0,
    0,    0,    0,    0,    0,    0,    0,
};
#if YYBTYACC
static const YYINT yycindex[] = {                         0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,
};
#endif
static const YYINT yygindex[] = {                         0,
  -11,    0,    0,    0,    0,    0,    0,    0,    0,
};
#define YYTABLESIZE 271
static const YYINT yytable[] = {                         21,
   40,   41,   42,   43,   44,   35,   61,   33,   34,   37,
   38,   62,   63,   54,   55,   26,   27,   36,   28,   29,
   30,   31,   32,   53,   45,   46,   47,   48,   49,   50,
   51,   56,   57,   66,   67,   12,   19,    0,    0,    0,
    0,    0,    0,    0,    0,   60,    0,    0,    0,   65,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    2,    3,    0,    0,    4,
    5,    6,    7,    0,    0,    8,    9,   10,    0,   11,
   12,   13,   14,   15,   16,   17,   18,    0,   19,    0,
   20,
};
static const YYINT yycheck[] = {                         10,
   12,   13,   14,   15,   16,  269,  259,  281,  282,  281,
  282,  264,  265,  281,  282,   10,  258,  281,  281,  281,
  281,  281,  281,   35,  281,   61,  278,   10,   10,   10,
  281,  281,  259,  281,  281,   10,   10,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   57,   -1,   -1,   -1,   61,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,  256,  257,   -1,   -1,  260,
  261,  262,  263,   -1,   -1,  266,  267,  268,   -1,  270,
  271,  272,  273,  274,  275,  276,  277,   -1,  279,   -1,
  281,
};
#if YYBTYACC
static const YYINT yyctable[] = {                        -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,   -1,
};
#endif
#define YYFINAL 1
#ifndef YYDEBUG
#define YYDEBUG 0
#endif
#define YYMAXTOKEN 282
#define YYUNDFTOKEN 294
#define YYTRANSLATE(a) ((a) > YYMAXTOKEN ? YYUNDFTOKEN : (a))
#if YYDEBUG
static const char *const yyname[] = {

"$end",0,0,0,0,0,0,0,0,0,"'\\n'",0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"'='",0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"error","LISTEN","ON","PORT",
"USER","CHROOT","CAFILE","UPSTREAM","TLSNAME","PIN","UPSTREAMPOLICY","PADDING",
"CACHE","SIZE","TCPIDLETIMEOUT","QUERYTIMEOUT","TCPMAXCONN","TCPMAXPIPELINE",
"MAXQUERIES","ENGINES","ALLOW","DENY","FROM","INCLUDE","ERROR","STRING",
"NUMBER","$accept","grammar","number","port","aclaction","include","varset",
"main","upstream_opts","$$1","upstream_opt","illegal-symbol",
};
static const char *const yyrule[] = {
"$accept : grammar",
"grammar :",
"grammar : grammar '\\n'",
"grammar : grammar include '\\n'",
"grammar : grammar varset '\\n'",
"grammar : grammar main '\\n'",
"grammar : grammar error '\\n'",
"include : INCLUDE STRING",
"varset : STRING '=' STRING",
"varset : STRING '=' NUMBER",
"number : NUMBER",
"number : STRING",
"port :",
"port : PORT number",
"main : LISTEN ON STRING port",
"main : USER STRING",
"main : CHROOT STRING",
"main : CAFILE STRING",
"$$1 :",
"main : UPSTREAM STRING $$1 upstream_opts",
"main : UPSTREAMPOLICY STRING",
"main : PADDING NUMBER",
"main : PADDING STRING",
"main : CACHE SIZE number",
"main : CACHE STRING",
"main : TCPIDLETIMEOUT number",
"main : QUERYTIMEOUT number",
"main : TCPMAXCONN number",
"main : TCPMAXPIPELINE number",
"main : MAXQUERIES number",
"main : ENGINES number",
"main : aclaction FROM STRING",
"upstream_opts :",
"upstream_opts : upstream_opts upstream_opt",
"upstream_opt : PORT number",
"upstream_opt : TLSNAME STRING",
"upstream_opt : PIN STRING",
"aclaction : ALLOW",
"aclaction : DENY",

};
#endif

#if YYDEBUG
int      yydebug;
#endif

int      yyerrflag;
int      yychar;
YYSTYPE  yyval;
YYSTYPE  yylval;
int      yynerrs;

#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
YYLTYPE  yyloc; /* position returned by actions */
YYLTYPE  yylloc; /* position from the lexer */
#endif

#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
#ifndef YYLLOC_DEFAULT
#define YYLLOC_DEFAULT(loc, rhs, n) \
do \
{ \
    if (n == 0) \
    { \
        (loc).first_line   = YYRHSLOC(rhs, 0).last_line; \
        (loc).first_column = YYRHSLOC(rhs, 0).last_column; \
        (loc).last_line    = YYRHSLOC(rhs, 0).last_line; \
        (loc).last_column  = YYRHSLOC(rhs, 0).last_column; \
    } \
    else \
    { \
        (loc).first_line   = YYRHSLOC(rhs, 1).first_line; \
        (loc).first_column = YYRHSLOC(rhs, 1).first_column; \
        (loc).last_line    = YYRHSLOC(rhs, n).last_line; \
        (loc).last_column  = YYRHSLOC(rhs, n).last_column; \
    } \
} while (0)
#endif /* YYLLOC_DEFAULT */
#endif /* defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED) */
#if YYBTYACC

#ifndef YYLVQUEUEGROWTH
#define YYLVQUEUEGROWTH 32
#endif
#endif /* YYBTYACC */

/* define the initial stack-sizes */
#ifdef YYSTACKSIZE
#undef YYMAXDEPTH
#define YYMAXDEPTH  YYSTACKSIZE
#else
#ifdef YYMAXDEPTH
#define YYSTACKSIZE YYMAXDEPTH
#else
#define YYSTACKSIZE 10000
#define YYMAXDEPTH  10000
#endif
#endif

#ifndef YYINITSTACKSIZE
#define YYINITSTACKSIZE 200
#endif

typedef struct {
    unsigned stacksize;
    YYINT    *s_base;
    YYINT    *s_mark;
    YYINT    *s_last;
    YYSTYPE  *l_base;
    YYSTYPE  *l_mark;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    YYLTYPE  *p_base;
    YYLTYPE  *p_mark;
#endif
} YYSTACKDATA;
#if YYBTYACC

struct YYParseState_s
{
    struct YYParseState_s *save;    /* Previously saved parser state */
    YYSTACKDATA            yystack; /* saved parser stack */
    int                    state;   /* saved parser state */
    int                    errflag; /* saved error recovery status */
    int                    lexeme;  /* saved index of the conflict lexeme in the lexical queue */
    YYINT                  ctry;    /* saved index in yyctable[] for this conflict */
};
typedef struct YYParseState_s YYParseState;
#endif /* YYBTYACC */
/* variables for the parser stack */
static YYSTACKDATA yystack;
#if YYBTYACC

/* Current parser state */
static YYParseState *yyps = 0;

/* yypath != NULL: do the full parse, starting at *yypath parser state. */
static YYParseState *yypath = 0;

/* Base of the lexical value queue */
static YYSTYPE *yylvals = 0;

/* Current position at lexical value queue */
static YYSTYPE *yylvp = 0;

/* End position of lexical value queue */
static YYSTYPE *yylve = 0;

/* The last allocated position at the lexical value queue */
static YYSTYPE *yylvlim = 0;

#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
/* Base of the lexical position queue */
static YYLTYPE *yylpsns = 0;

/* Current position at lexical position queue */
static YYLTYPE *yylpp = 0;

/* End position of lexical position queue */
static YYLTYPE *yylpe = 0;

/* The last allocated position at the lexical position queue */
static YYLTYPE *yylplim = 0;
#endif

/* Current position at lexical token queue */
static YYINT  *yylexp = 0;

static YYINT  *yylexemes = 0;
#endif /* YYBTYACC */
#line 382 "src/parse.y"

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
	{ "deny",			DENY },
	{ "engines",			ENGINES },
	{ "from",			FROM },
	{ "include",			INCLUDE },
	{ "listen",			LISTEN },
	{ "max-queries",		MAXQUERIES },
	{ "on",				ON },
	{ "padding",			PADDING },
	{ "pin",			PIN },
	{ "port",			PORT },
	{ "query-timeout",		QUERYTIMEOUT },
	{ "size",			SIZE },
	{ "tcp-idle-timeout",		TCPIDLETIMEOUT },
	{ "tcp-max-connections",	TCPMAXCONN },
	{ "tcp-max-pipeline",		TCPMAXPIPELINE },
	{ "tls-name",			TLSNAME },
	{ "upstream",			UPSTREAM },
	{ "upstream-policy",		UPSTREAMPOLICY },
	{ "user",			USER }
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
	    c == '\n' || c == '#');
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
	TAILQ_FOREACH(u, &conf->upstreams, entry)
		count++;
	if (count >= CONF_MAX_UPSTREAM) {
		conf_error(lineno, "too many upstreams (max %d)",
		    CONF_MAX_UPSTREAM);
		return (-1);
	}
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

static int
upstream_end(int lineno)
{
	struct upstream_conf	*u, *n;
	int			 port;

	port = up_port == -1 ? DEFAULT_UPSTREAM_PORT : up_port;
	if (conf_parse_addr(up_addr, port, &up_cur.ss, &up_cur.sslen) == -1)
		fatalx("%s: checked address became invalid", __func__);
	/* Verify the certificate against the address when not told. */
	if (!up_named)
		(void)strlcpy(up_cur.tls_name, up_addr,
		    sizeof(up_cur.tls_name));
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
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
	TAILQ_INSERT_TAIL(&conf->upstreams, n, entry);
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
#line 1444 "build/parse.c"

/* Release memory associated with symbol. */
#if ! defined YYDESTRUCT_IS_DECLARED
static void
YYDESTRUCT_DECL()
{
    switch (psymb)
    {
	case 281:
#line 148 "src/parse.y"
	{ free((*val).v.string); }
#line 1456 "build/parse.c"
	break;
    }
}
#define YYDESTRUCT_IS_DECLARED 1
#endif

/* For use in generated program */
#define yydepth (int)(yystack.s_mark - yystack.s_base)
#if YYBTYACC
#define yytrial (yyps->save)
#endif /* YYBTYACC */

#if YYDEBUG
#include <stdio.h>	/* needed for printf */
#endif

#include <stdlib.h>	/* needed for malloc, etc */
#include <string.h>	/* needed for memset */

/* allocate initial stack or double stack size, up to YYMAXDEPTH */
static int yygrowstack(YYSTACKDATA *data)
{
    int i;
    unsigned newsize;
    YYINT *newss;
    YYSTYPE *newvs;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    YYLTYPE *newps;
#endif

    if ((newsize = data->stacksize) == 0)
        newsize = YYINITSTACKSIZE;
    else if (newsize >= YYMAXDEPTH)
        return YYENOMEM;
    else if ((newsize *= 2) > YYMAXDEPTH)
        newsize = YYMAXDEPTH;

    i = (int) (data->s_mark - data->s_base);
    newss = (YYINT *)realloc(data->s_base, newsize * sizeof(*newss));
    if (newss == 0)
        return YYENOMEM;

    data->s_base = newss;
    data->s_mark = newss + i;

    newvs = (YYSTYPE *)realloc(data->l_base, newsize * sizeof(*newvs));
    if (newvs == 0)
        return YYENOMEM;

    data->l_base = newvs;
    data->l_mark = newvs + i;

#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    newps = (YYLTYPE *)realloc(data->p_base, newsize * sizeof(*newps));
    if (newps == 0)
        return YYENOMEM;

    data->p_base = newps;
    data->p_mark = newps + i;
#endif

    data->stacksize = newsize;
    data->s_last = data->s_base + newsize - 1;

#if YYDEBUG
    if (yydebug)
        fprintf(stderr, "%sdebug: stack size increased to %d\n", YYPREFIX, newsize);
#endif
    return 0;
}

#if YYPURE || defined(YY_NO_LEAKS)
static void yyfreestack(YYSTACKDATA *data)
{
    free(data->s_base);
    free(data->l_base);
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    free(data->p_base);
#endif
    memset(data, 0, sizeof(*data));
}
#else
#define yyfreestack(data) /* nothing */
#endif /* YYPURE || defined(YY_NO_LEAKS) */
#if YYBTYACC

static YYParseState *
yyNewState(unsigned size)
{
    YYParseState *p = (YYParseState *) malloc(sizeof(YYParseState));
    if (p == NULL) return NULL;

    p->yystack.stacksize = size;
    if (size == 0)
    {
        p->yystack.s_base = NULL;
        p->yystack.l_base = NULL;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        p->yystack.p_base = NULL;
#endif
        return p;
    }
    p->yystack.s_base    = (YYINT *) malloc(size * sizeof(YYINT));
    if (p->yystack.s_base == NULL) return NULL;
    p->yystack.l_base    = (YYSTYPE *) malloc(size * sizeof(YYSTYPE));
    if (p->yystack.l_base == NULL) return NULL;
    memset(p->yystack.l_base, 0, size * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    p->yystack.p_base    = (YYLTYPE *) malloc(size * sizeof(YYLTYPE));
    if (p->yystack.p_base == NULL) return NULL;
    memset(p->yystack.p_base, 0, size * sizeof(YYLTYPE));
#endif

    return p;
}

static void
yyFreeState(YYParseState *p)
{
    yyfreestack(&p->yystack);
    free(p);
}
#endif /* YYBTYACC */

#define YYABORT  goto yyabort
#define YYREJECT goto yyabort
#define YYACCEPT goto yyaccept
#define YYERROR  goto yyerrlab
#if YYBTYACC
#define YYVALID        do { if (yyps->save)            goto yyvalid; } while(0)
#define YYVALID_NESTED do { if (yyps->save && \
                                yyps->save->save == 0) goto yyvalid; } while(0)
#endif /* YYBTYACC */

int
YYPARSE_DECL()
{
    int yym, yyn, yystate, yyresult;
#if YYBTYACC
    int yynewerrflag;
    YYParseState *yyerrctx = NULL;
#endif /* YYBTYACC */
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    YYLTYPE  yyerror_loc_range[3]; /* position of error start/end (0 unused) */
#endif
#if YYDEBUG
    const char *yys;

    if ((yys = getenv("YYDEBUG")) != 0)
    {
        yyn = *yys;
        if (yyn >= '0' && yyn <= '9')
            yydebug = yyn - '0';
    }
    if (yydebug)
        fprintf(stderr, "%sdebug[<# of symbols on state stack>]\n", YYPREFIX);
#endif
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    memset(yyerror_loc_range, 0, sizeof(yyerror_loc_range));
#endif

#if YYBTYACC
    yyps = yyNewState(0); if (yyps == 0) goto yyenomem;
    yyps->save = 0;
#endif /* YYBTYACC */
    yym = 0;
    /* yyn is set below */
    yynerrs = 0;
    yyerrflag = 0;
    yychar = YYEMPTY;
    yystate = 0;

#if YYPURE
    memset(&yystack, 0, sizeof(yystack));
#endif

    if (yystack.s_base == NULL && yygrowstack(&yystack) == YYENOMEM) goto yyoverflow;
    yystack.s_mark = yystack.s_base;
    yystack.l_mark = yystack.l_base;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yystack.p_mark = yystack.p_base;
#endif
    yystate = 0;
    *yystack.s_mark = 0;

yyloop:
    if ((yyn = yydefred[yystate]) != 0) goto yyreduce;
    if (yychar < 0)
    {
#if YYBTYACC
        do {
        if (yylvp < yylve)
        {
            /* we're currently re-reading tokens */
            yylval = *yylvp++;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            yylloc = *yylpp++;
#endif
            yychar = *yylexp++;
            break;
        }
        if (yyps->save)
        {
            /* in trial mode; save scanner results for future parse attempts */
            if (yylvp == yylvlim)
            {   /* Enlarge lexical value queue */
                size_t p = (size_t) (yylvp - yylvals);
                size_t s = (size_t) (yylvlim - yylvals);

                s += YYLVQUEUEGROWTH;
                if ((yylexemes = (YYINT *)realloc(yylexemes, s * sizeof(YYINT))) == NULL) goto yyenomem;
                if ((yylvals   = (YYSTYPE *)realloc(yylvals, s * sizeof(YYSTYPE))) == NULL) goto yyenomem;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                if ((yylpsns   = (YYLTYPE *)realloc(yylpsns, s * sizeof(YYLTYPE))) == NULL) goto yyenomem;
#endif
                yylvp   = yylve = yylvals + p;
                yylvlim = yylvals + s;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                yylpp   = yylpe = yylpsns + p;
                yylplim = yylpsns + s;
#endif
                yylexp  = yylexemes + p;
            }
            *yylexp = (YYINT) YYLEX;
            *yylvp++ = yylval;
            yylve++;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            *yylpp++ = yylloc;
            yylpe++;
#endif
            yychar = *yylexp++;
            break;
        }
        /* normal operation, no conflict encountered */
#endif /* YYBTYACC */
        yychar = YYLEX;
#if YYBTYACC
        } while (0);
#endif /* YYBTYACC */
        if (yychar < 0) yychar = YYEOF;
#if YYDEBUG
        if (yydebug)
        {
            if ((yys = yyname[YYTRANSLATE(yychar)]) == NULL) yys = yyname[YYUNDFTOKEN];
            fprintf(stderr, "%s[%d]: state %d, reading token %d (%s)",
                            YYDEBUGSTR, yydepth, yystate, yychar, yys);
#ifdef YYSTYPE_TOSTRING
#if YYBTYACC
            if (!yytrial)
#endif /* YYBTYACC */
                fprintf(stderr, " <%s>", YYSTYPE_TOSTRING(yychar, yylval));
#endif
            fputc('\n', stderr);
        }
#endif
    }
#if YYBTYACC

    /* Do we have a conflict? */
    if (((yyn = yycindex[yystate]) != 0) && (yyn += yychar) >= 0 &&
        yyn <= YYTABLESIZE && yycheck[yyn] == (YYINT) yychar)
    {
        YYINT ctry;

        if (yypath)
        {
            YYParseState *save;
#if YYDEBUG
            if (yydebug)
                fprintf(stderr, "%s[%d]: CONFLICT in state %d: following successful trial parse\n",
                                YYDEBUGSTR, yydepth, yystate);
#endif
            /* Switch to the next conflict context */
            save = yypath;
            yypath = save->save;
            save->save = NULL;
            ctry = save->ctry;
            if (save->state != yystate) YYABORT;
            yyFreeState(save);

        }
        else
        {

            /* Unresolved conflict - start/continue trial parse */
            YYParseState *save;
#if YYDEBUG
            if (yydebug)
            {
                fprintf(stderr, "%s[%d]: CONFLICT in state %d. ", YYDEBUGSTR, yydepth, yystate);
                if (yyps->save)
                    fputs("ALREADY in conflict, continuing trial parse.\n", stderr);
                else
                    fputs("Starting trial parse.\n", stderr);
            }
#endif
            save                  = yyNewState((unsigned)(yystack.s_mark - yystack.s_base + 1));
            if (save == NULL) goto yyenomem;
            save->save            = yyps->save;
            save->state           = yystate;
            save->errflag         = yyerrflag;
            save->yystack.s_mark  = save->yystack.s_base + (yystack.s_mark - yystack.s_base);
            memcpy (save->yystack.s_base, yystack.s_base, (size_t) (yystack.s_mark - yystack.s_base + 1) * sizeof(YYINT));
            save->yystack.l_mark  = save->yystack.l_base + (yystack.l_mark - yystack.l_base);
            memcpy (save->yystack.l_base, yystack.l_base, (size_t) (yystack.l_mark - yystack.l_base + 1) * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            save->yystack.p_mark  = save->yystack.p_base + (yystack.p_mark - yystack.p_base);
            memcpy (save->yystack.p_base, yystack.p_base, (size_t) (yystack.p_mark - yystack.p_base + 1) * sizeof(YYLTYPE));
#endif
            ctry                  = yytable[yyn];
            if (yyctable[ctry] == -1)
            {
#if YYDEBUG
                if (yydebug && yychar >= YYEOF)
                    fprintf(stderr, "%s[%d]: backtracking 1 token\n", YYDEBUGSTR, yydepth);
#endif
                ctry++;
            }
            save->ctry = ctry;
            if (yyps->save == NULL)
            {
                /* If this is a first conflict in the stack, start saving lexemes */
                if (!yylexemes)
                {
                    yylexemes = (YYINT *) malloc((YYLVQUEUEGROWTH) * sizeof(YYINT));
                    if (yylexemes == NULL) goto yyenomem;
                    yylvals   = (YYSTYPE *) malloc((YYLVQUEUEGROWTH) * sizeof(YYSTYPE));
                    if (yylvals == NULL) goto yyenomem;
                    yylvlim   = yylvals + YYLVQUEUEGROWTH;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                    yylpsns   = (YYLTYPE *) malloc((YYLVQUEUEGROWTH) * sizeof(YYLTYPE));
                    if (yylpsns == NULL) goto yyenomem;
                    yylplim   = yylpsns + YYLVQUEUEGROWTH;
#endif
                }
                if (yylvp == yylve)
                {
                    yylvp  = yylve = yylvals;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                    yylpp  = yylpe = yylpsns;
#endif
                    yylexp = yylexemes;
                    if (yychar >= YYEOF)
                    {
                        *yylve++ = yylval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                        *yylpe++ = yylloc;
#endif
                        *yylexp  = (YYINT) yychar;
                        yychar   = YYEMPTY;
                    }
                }
            }
            if (yychar >= YYEOF)
            {
                yylvp--;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                yylpp--;
#endif
                yylexp--;
                yychar = YYEMPTY;
            }
            save->lexeme = (int) (yylvp - yylvals);
            yyps->save   = save;
        }
        if (yytable[yyn] == ctry)
        {
#if YYDEBUG
            if (yydebug)
                fprintf(stderr, "%s[%d]: state %d, shifting to state %d\n",
                                YYDEBUGSTR, yydepth, yystate, yyctable[ctry]);
#endif
            if (yychar < 0)
            {
                yylvp++;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                yylpp++;
#endif
                yylexp++;
            }
            if (yystack.s_mark >= yystack.s_last && yygrowstack(&yystack) == YYENOMEM)
                goto yyoverflow;
            yystate = yyctable[ctry];
            *++yystack.s_mark = (YYINT) yystate;
            *++yystack.l_mark = yylval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            *++yystack.p_mark = yylloc;
#endif
            yychar  = YYEMPTY;
            if (yyerrflag > 0) --yyerrflag;
            goto yyloop;
        }
        else
        {
            yyn = yyctable[ctry];
            goto yyreduce;
        }
    } /* End of code dealing with conflicts */
#endif /* YYBTYACC */
    if (((yyn = yysindex[yystate]) != 0) && (yyn += yychar) >= 0 &&
            yyn <= YYTABLESIZE && yycheck[yyn] == (YYINT) yychar)
    {
#if YYDEBUG
        if (yydebug)
            fprintf(stderr, "%s[%d]: state %d, shifting to state %d\n",
                            YYDEBUGSTR, yydepth, yystate, yytable[yyn]);
#endif
        if (yystack.s_mark >= yystack.s_last && yygrowstack(&yystack) == YYENOMEM) goto yyoverflow;
        yystate = yytable[yyn];
        *++yystack.s_mark = yytable[yyn];
        *++yystack.l_mark = yylval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        *++yystack.p_mark = yylloc;
#endif
        yychar = YYEMPTY;
        if (yyerrflag > 0)  --yyerrflag;
        goto yyloop;
    }
    if (((yyn = yyrindex[yystate]) != 0) && (yyn += yychar) >= 0 &&
            yyn <= YYTABLESIZE && yycheck[yyn] == (YYINT) yychar)
    {
        yyn = yytable[yyn];
        goto yyreduce;
    }
    if (yyerrflag != 0) goto yyinrecovery;
#if YYBTYACC

    yynewerrflag = 1;
    goto yyerrhandler;
    goto yyerrlab; /* redundant goto avoids 'unused label' warning */

yyerrlab:
    /* explicit YYERROR from an action -- pop the rhs of the rule reduced
     * before looking for error recovery */
    yystack.s_mark -= yym;
    yystate = *yystack.s_mark;
    yystack.l_mark -= yym;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yystack.p_mark -= yym;
#endif

    yynewerrflag = 0;
yyerrhandler:
    while (yyps->save)
    {
        int ctry;
        YYParseState *save = yyps->save;
#if YYDEBUG
        if (yydebug)
            fprintf(stderr, "%s[%d]: ERROR in state %d, CONFLICT BACKTRACKING to state %d, %d tokens\n",
                            YYDEBUGSTR, yydepth, yystate, yyps->save->state,
                    (int)(yylvp - yylvals - yyps->save->lexeme));
#endif
        /* Memorize most forward-looking error state in case it's really an error. */
        if (yyerrctx == NULL || yyerrctx->lexeme < yylvp - yylvals)
        {
            /* Free old saved error context state */
            if (yyerrctx) yyFreeState(yyerrctx);
            /* Create and fill out new saved error context state */
            yyerrctx                 = yyNewState((unsigned)(yystack.s_mark - yystack.s_base + 1));
            if (yyerrctx == NULL) goto yyenomem;
            yyerrctx->save           = yyps->save;
            yyerrctx->state          = yystate;
            yyerrctx->errflag        = yyerrflag;
            yyerrctx->yystack.s_mark = yyerrctx->yystack.s_base + (yystack.s_mark - yystack.s_base);
            memcpy (yyerrctx->yystack.s_base, yystack.s_base, (size_t) (yystack.s_mark - yystack.s_base + 1) * sizeof(YYINT));
            yyerrctx->yystack.l_mark = yyerrctx->yystack.l_base + (yystack.l_mark - yystack.l_base);
            memcpy (yyerrctx->yystack.l_base, yystack.l_base, (size_t) (yystack.l_mark - yystack.l_base + 1) * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            yyerrctx->yystack.p_mark = yyerrctx->yystack.p_base + (yystack.p_mark - yystack.p_base);
            memcpy (yyerrctx->yystack.p_base, yystack.p_base, (size_t) (yystack.p_mark - yystack.p_base + 1) * sizeof(YYLTYPE));
#endif
            yyerrctx->lexeme         = (int) (yylvp - yylvals);
        }
        yylvp          = yylvals   + save->lexeme;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        yylpp          = yylpsns   + save->lexeme;
#endif
        yylexp         = yylexemes + save->lexeme;
        yychar         = YYEMPTY;
        yystack.s_mark = yystack.s_base + (save->yystack.s_mark - save->yystack.s_base);
        memcpy (yystack.s_base, save->yystack.s_base, (size_t) (yystack.s_mark - yystack.s_base + 1) * sizeof(YYINT));
        yystack.l_mark = yystack.l_base + (save->yystack.l_mark - save->yystack.l_base);
        memcpy (yystack.l_base, save->yystack.l_base, (size_t) (yystack.l_mark - yystack.l_base + 1) * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        yystack.p_mark = yystack.p_base + (save->yystack.p_mark - save->yystack.p_base);
        memcpy (yystack.p_base, save->yystack.p_base, (size_t) (yystack.p_mark - yystack.p_base + 1) * sizeof(YYLTYPE));
#endif
        ctry           = ++save->ctry;
        yystate        = save->state;
        /* We tried shift, try reduce now */
        if ((yyn = yyctable[ctry]) >= 0) goto yyreduce;
        yyps->save     = save->save;
        save->save     = NULL;
        yyFreeState(save);

        /* Nothing left on the stack -- error */
        if (!yyps->save)
        {
#if YYDEBUG
            if (yydebug)
                fprintf(stderr, "%sdebug[%d,trial]: trial parse FAILED, entering ERROR mode\n",
                                YYPREFIX, yydepth);
#endif
            /* Restore state as it was in the most forward-advanced error */
            yylvp          = yylvals   + yyerrctx->lexeme;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            yylpp          = yylpsns   + yyerrctx->lexeme;
#endif
            yylexp         = yylexemes + yyerrctx->lexeme;
            yychar         = yylexp[-1];
            yylval         = yylvp[-1];
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            yylloc         = yylpp[-1];
#endif
            yystack.s_mark = yystack.s_base + (yyerrctx->yystack.s_mark - yyerrctx->yystack.s_base);
            memcpy (yystack.s_base, yyerrctx->yystack.s_base, (size_t) (yystack.s_mark - yystack.s_base + 1) * sizeof(YYINT));
            yystack.l_mark = yystack.l_base + (yyerrctx->yystack.l_mark - yyerrctx->yystack.l_base);
            memcpy (yystack.l_base, yyerrctx->yystack.l_base, (size_t) (yystack.l_mark - yystack.l_base + 1) * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            yystack.p_mark = yystack.p_base + (yyerrctx->yystack.p_mark - yyerrctx->yystack.p_base);
            memcpy (yystack.p_base, yyerrctx->yystack.p_base, (size_t) (yystack.p_mark - yystack.p_base + 1) * sizeof(YYLTYPE));
#endif
            yystate        = yyerrctx->state;
            yyFreeState(yyerrctx);
            yyerrctx       = NULL;
        }
        yynewerrflag = 1;
    }
    if (yynewerrflag == 0) goto yyinrecovery;
#endif /* YYBTYACC */

    YYERROR_CALL("syntax error");
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yyerror_loc_range[1] = yylloc; /* lookahead position is error start position */
#endif

#if !YYBTYACC
    goto yyerrlab; /* redundant goto avoids 'unused label' warning */
yyerrlab:
#endif
    ++yynerrs;

yyinrecovery:
    if (yyerrflag < 3)
    {
        yyerrflag = 3;
        for (;;)
        {
            if (((yyn = yysindex[*yystack.s_mark]) != 0) && (yyn += YYERRCODE) >= 0 &&
                    yyn <= YYTABLESIZE && yycheck[yyn] == (YYINT) YYERRCODE)
            {
#if YYDEBUG
                if (yydebug)
                    fprintf(stderr, "%s[%d]: state %d, error recovery shifting to state %d\n",
                                    YYDEBUGSTR, yydepth, *yystack.s_mark, yytable[yyn]);
#endif
                if (yystack.s_mark >= yystack.s_last && yygrowstack(&yystack) == YYENOMEM) goto yyoverflow;
                yystate = yytable[yyn];
                *++yystack.s_mark = yytable[yyn];
                *++yystack.l_mark = yylval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                /* lookahead position is error end position */
                yyerror_loc_range[2] = yylloc;
                YYLLOC_DEFAULT(yyloc, yyerror_loc_range, 2); /* position of error span */
                *++yystack.p_mark = yyloc;
#endif
                goto yyloop;
            }
            else
            {
#if YYDEBUG
                if (yydebug)
                    fprintf(stderr, "%s[%d]: error recovery discarding state %d\n",
                                    YYDEBUGSTR, yydepth, *yystack.s_mark);
#endif
                if (yystack.s_mark <= yystack.s_base) goto yyabort;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                /* the current TOS position is the error start position */
                yyerror_loc_range[1] = *yystack.p_mark;
#endif
#if defined(YYDESTRUCT_CALL)
#if YYBTYACC
                if (!yytrial)
#endif /* YYBTYACC */
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                    YYDESTRUCT_CALL("error: discarding state",
                                    yystos[*yystack.s_mark], yystack.l_mark, yystack.p_mark);
#else
                    YYDESTRUCT_CALL("error: discarding state",
                                    yystos[*yystack.s_mark], yystack.l_mark);
#endif /* defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED) */
#endif /* defined(YYDESTRUCT_CALL) */
                --yystack.s_mark;
                --yystack.l_mark;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                --yystack.p_mark;
#endif
            }
        }
    }
    else
    {
        if (yychar == YYEOF) goto yyabort;
#if YYDEBUG
        if (yydebug)
        {
            if ((yys = yyname[YYTRANSLATE(yychar)]) == NULL) yys = yyname[YYUNDFTOKEN];
            fprintf(stderr, "%s[%d]: state %d, error recovery discarding token %d (%s)\n",
                            YYDEBUGSTR, yydepth, yystate, yychar, yys);
        }
#endif
#if defined(YYDESTRUCT_CALL)
#if YYBTYACC
        if (!yytrial)
#endif /* YYBTYACC */
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
            YYDESTRUCT_CALL("error: discarding token", yychar, &yylval, &yylloc);
#else
            YYDESTRUCT_CALL("error: discarding token", yychar, &yylval);
#endif /* defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED) */
#endif /* defined(YYDESTRUCT_CALL) */
        yychar = YYEMPTY;
        goto yyloop;
    }

yyreduce:
    yym = yylen[yyn];
#if YYDEBUG
    if (yydebug)
    {
        fprintf(stderr, "%s[%d]: state %d, reducing by rule %d (%s)",
                        YYDEBUGSTR, yydepth, yystate, yyn, yyrule[yyn]);
#ifdef YYSTYPE_TOSTRING
#if YYBTYACC
        if (!yytrial)
#endif /* YYBTYACC */
            if (yym > 0)
            {
                int i;
                fputc('<', stderr);
                for (i = yym; i > 0; i--)
                {
                    if (i != yym) fputs(", ", stderr);
                    fputs(YYSTYPE_TOSTRING(yystos[yystack.s_mark[1-i]],
                                           yystack.l_mark[1-i]), stderr);
                }
                fputc('>', stderr);
            }
#endif
        fputc('\n', stderr);
    }
#endif
    if (yym > 0)
        yyval = yystack.l_mark[1-yym];
    else
        memset(&yyval, 0, sizeof yyval);
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)

    /* Perform position reduction */
    memset(&yyloc, 0, sizeof(yyloc));
#if YYBTYACC
    if (!yytrial)
#endif /* YYBTYACC */
    {
        YYLLOC_DEFAULT(yyloc, &yystack.p_mark[-yym], yym);
        /* just in case YYERROR is invoked within the action, save
           the start of the rhs as the error start position */
        yyerror_loc_range[1] = yystack.p_mark[1-yym];
    }
#endif

    switch (yyn)
    {
case 6:
#line 157 "src/parse.y"
	{ yyerrok; }
#line 2134 "build/parse.c"
break;
case 7:
#line 160 "src/parse.y"
	{
			struct file	*nfile;
			char		*path;

			if (include_depth() >= MAXINCLUDE) {
				conf_error(yystack.l_mark[0].lineno,
				    "include \"%s\": nested too deep (max %d)",
				    yystack.l_mark[0].v.string, MAXINCLUDE);
				YYERROR;
			}
			path = include_path(yystack.l_mark[0].v.string);
			if ((nfile = pushfile(path)) == NULL) {
				conf_error(yystack.l_mark[0].lineno, "include \"%s\": %s: %s",
				    yystack.l_mark[0].v.string, path, strerror(errno));
				free(path);
				YYERROR;
			}
			free(yystack.l_mark[0].v.string);
			file = nfile;
			/* The grammar wants the include statement ended. */
			lungetc('\n');
		}
#line 2160 "build/parse.c"
break;
case 8:
#line 184 "src/parse.y"
	{
			if (!valid_macro_name(yystack.l_mark[-2].v.string)) {
				conf_error(yystack.l_mark[-2].lineno,
				    "invalid macro name \"%s\"", yystack.l_mark[-2].v.string);
				YYERROR;
			}
			if (symset(yystack.l_mark[-2].v.string, yystack.l_mark[0].v.string) == -1)
				fatal(NULL);
			free(yystack.l_mark[-2].v.string);
			free(yystack.l_mark[0].v.string);
		}
#line 2175 "build/parse.c"
break;
case 9:
#line 195 "src/parse.y"
	{
			char	buf[32];

			if (!valid_macro_name(yystack.l_mark[-2].v.string)) {
				conf_error(yystack.l_mark[-2].lineno,
				    "invalid macro name \"%s\"", yystack.l_mark[-2].v.string);
				YYERROR;
			}
			(void)snprintf(buf, sizeof(buf), "%lld",
			    (long long)yystack.l_mark[0].v.number);
			if (symset(yystack.l_mark[-2].v.string, buf) == -1)
				fatal(NULL);
			free(yystack.l_mark[-2].v.string);
		}
#line 2193 "build/parse.c"
break;
case 11:
#line 212 "src/parse.y"
	{
			conf_error(yystack.l_mark[0].lineno, "\"%s\" is not a number", yystack.l_mark[0].v.string);
			YYERROR;
		}
#line 2201 "build/parse.c"
break;
case 12:
#line 218 "src/parse.y"
	{ yyval.v.number = -1; }
#line 2206 "build/parse.c"
break;
case 13:
#line 219 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "port", yystack.l_mark[0].v.number, 1, 65535) ==
			    -1)
				YYERROR;
			yyval.v.number = yystack.l_mark[0].v.number;
		}
#line 2216 "build/parse.c"
break;
case 14:
#line 227 "src/parse.y"
	{
			if (add_listen(yystack.l_mark[-1].lineno, yystack.l_mark[-1].v.string, yystack.l_mark[0].v.number == -1 ?
			    DEFAULT_LISTEN_CONF_PORT : (int)yystack.l_mark[0].v.number) == -1)
				YYERROR;
			free(yystack.l_mark[-1].v.string);
		}
#line 2226 "build/parse.c"
break;
case 15:
#line 233 "src/parse.y"
	{
			if (yystack.l_mark[0].v.string[0] == '\0' || strlen(yystack.l_mark[0].v.string) >= CONF_USER_MAX) {
				conf_error(yystack.l_mark[0].lineno,
				    "user \"%s\": invalid user name", yystack.l_mark[0].v.string);
				YYERROR;
			}
			(void)strlcpy(conf->sc.user, yystack.l_mark[0].v.string, sizeof(conf->sc.user));
			free(yystack.l_mark[0].v.string);
		}
#line 2239 "build/parse.c"
break;
case 16:
#line 242 "src/parse.y"
	{
			if (check_path(yystack.l_mark[0].lineno, "chroot", yystack.l_mark[0].v.string) == -1)
				YYERROR;
			(void)strlcpy(conf->sc.chroot, yystack.l_mark[0].v.string,
			    sizeof(conf->sc.chroot));
			free(yystack.l_mark[0].v.string);
		}
#line 2250 "build/parse.c"
break;
case 17:
#line 249 "src/parse.y"
	{
			if (check_path(yystack.l_mark[0].lineno, "ca-file", yystack.l_mark[0].v.string) == -1)
				YYERROR;
			(void)strlcpy(conf->sc.ca_file, yystack.l_mark[0].v.string,
			    sizeof(conf->sc.ca_file));
			free(yystack.l_mark[0].v.string);
		}
#line 2261 "build/parse.c"
break;
case 18:
#line 256 "src/parse.y"
	{
			if (upstream_begin(yystack.l_mark[0].lineno, yystack.l_mark[0].v.string) == -1)
				YYERROR;
			/*
			 * Gone from the stack's point of view, so that an
			 * error later in the statement does not free it twice.
			 */
			free(yystack.l_mark[0].v.string);
			yystack.l_mark[0].v.string = NULL;
		}
#line 2275 "build/parse.c"
break;
case 19:
#line 265 "src/parse.y"
	{
			if (upstream_end(yystack.l_mark[-2].lineno) == -1)
				YYERROR;
		}
#line 2283 "build/parse.c"
break;
case 20:
#line 269 "src/parse.y"
	{
			if (strcmp(yystack.l_mark[0].v.string, "fastest") == 0)
				conf->sc.policy = POLICY_FASTEST;
			else if (strcmp(yystack.l_mark[0].v.string, "failover") == 0)
				conf->sc.policy = POLICY_FAILOVER;
			else if (strcmp(yystack.l_mark[0].v.string, "round-robin") == 0)
				conf->sc.policy = POLICY_ROUNDROBIN;
			else {
				conf_error(yystack.l_mark[0].lineno, "unknown upstream-policy "
				    "\"%s\" (fastest, failover or round-robin)",
				    yystack.l_mark[0].v.string);
				YYERROR;
			}
			free(yystack.l_mark[0].v.string);
		}
#line 2302 "build/parse.c"
break;
case 21:
#line 284 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "padding", yystack.l_mark[0].v.number, 1, 1024) ==
			    -1)
				YYERROR;
			conf->sc.padding = yystack.l_mark[0].v.number;
		}
#line 2312 "build/parse.c"
break;
case 22:
#line 290 "src/parse.y"
	{
			if (strcmp(yystack.l_mark[0].v.string, "off") != 0) {
				conf_error(yystack.l_mark[0].lineno, "padding \"%s\": "
				    "a block size or off expected", yystack.l_mark[0].v.string);
				YYERROR;
			}
			conf->sc.padding = 0;
			free(yystack.l_mark[0].v.string);
		}
#line 2325 "build/parse.c"
break;
case 23:
#line 299 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "cache size", yystack.l_mark[0].v.number, 1,
			    10000000) == -1)
				YYERROR;
			conf->sc.cache_size = yystack.l_mark[0].v.number;
		}
#line 2335 "build/parse.c"
break;
case 24:
#line 305 "src/parse.y"
	{
			if (strcmp(yystack.l_mark[0].v.string, "off") != 0) {
				conf_error(yystack.l_mark[0].lineno, "cache \"%s\": "
				    "size N or off expected", yystack.l_mark[0].v.string);
				YYERROR;
			}
			conf->sc.cache_size = 0;
			free(yystack.l_mark[0].v.string);
		}
#line 2348 "build/parse.c"
break;
case 25:
#line 314 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "tcp-idle-timeout", yystack.l_mark[0].v.number, 1,
			    3600) == -1)
				YYERROR;
			conf->sc.tcp_idle_timeout = yystack.l_mark[0].v.number;
		}
#line 2358 "build/parse.c"
break;
case 26:
#line 320 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "query-timeout", yystack.l_mark[0].v.number, 1,
			    60) == -1)
				YYERROR;
			conf->sc.query_timeout = yystack.l_mark[0].v.number;
		}
#line 2368 "build/parse.c"
break;
case 27:
#line 326 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "tcp-max-connections", yystack.l_mark[0].v.number,
			    1, 65535) == -1)
				YYERROR;
			conf->sc.tcp_max_conn = yystack.l_mark[0].v.number;
		}
#line 2378 "build/parse.c"
break;
case 28:
#line 332 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "tcp-max-pipeline", yystack.l_mark[0].v.number,
			    1, 65535) == -1)
				YYERROR;
			conf->sc.tcp_max_pipeline = yystack.l_mark[0].v.number;
		}
#line 2388 "build/parse.c"
break;
case 29:
#line 338 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "max-queries", yystack.l_mark[0].v.number, 16,
			    1048576) == -1)
				YYERROR;
			conf->sc.max_queries = yystack.l_mark[0].v.number;
		}
#line 2398 "build/parse.c"
break;
case 30:
#line 344 "src/parse.y"
	{
			if (check_range(yystack.l_mark[0].lineno, "engines", yystack.l_mark[0].v.number, 1, 256) ==
			    -1)
				YYERROR;
			conf->sc.engines = yystack.l_mark[0].v.number;
		}
#line 2408 "build/parse.c"
break;
case 31:
#line 350 "src/parse.y"
	{
			if (add_acl(yystack.l_mark[0].lineno, yystack.l_mark[-2].v.number, yystack.l_mark[0].v.string) == -1)
				YYERROR;
			free(yystack.l_mark[0].v.string);
		}
#line 2417 "build/parse.c"
break;
case 34:
#line 361 "src/parse.y"
	{
			if (upstream_port(yystack.l_mark[0].lineno, yystack.l_mark[0].v.number) == -1)
				YYERROR;
		}
#line 2425 "build/parse.c"
break;
case 35:
#line 365 "src/parse.y"
	{
			if (upstream_tls_name(yystack.l_mark[0].lineno, yystack.l_mark[0].v.string) == -1)
				YYERROR;
			free(yystack.l_mark[0].v.string);
		}
#line 2434 "build/parse.c"
break;
case 36:
#line 370 "src/parse.y"
	{
			if (upstream_pin(yystack.l_mark[0].lineno, yystack.l_mark[0].v.string) == -1)
				YYERROR;
			free(yystack.l_mark[0].v.string);
		}
#line 2443 "build/parse.c"
break;
case 37:
#line 377 "src/parse.y"
	{ yyval.v.number = ACL_ALLOW; }
#line 2448 "build/parse.c"
break;
case 38:
#line 378 "src/parse.y"
	{ yyval.v.number = ACL_DENY; }
#line 2453 "build/parse.c"
break;
#line 2455 "build/parse.c"
    default:
        break;
    }
    yystack.s_mark -= yym;
    yystate = *yystack.s_mark;
    yystack.l_mark -= yym;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yystack.p_mark -= yym;
#endif
    yym = yylhs[yyn];
    if (yystate == 0 && yym == 0)
    {
#if YYDEBUG
        if (yydebug)
        {
            fprintf(stderr, "%s[%d]: after reduction, ", YYDEBUGSTR, yydepth);
#ifdef YYSTYPE_TOSTRING
#if YYBTYACC
            if (!yytrial)
#endif /* YYBTYACC */
                fprintf(stderr, "result is <%s>, ", YYSTYPE_TOSTRING(yystos[YYFINAL], yyval));
#endif
            fprintf(stderr, "shifting from state 0 to final state %d\n", YYFINAL);
        }
#endif
        yystate = YYFINAL;
        *++yystack.s_mark = YYFINAL;
        *++yystack.l_mark = yyval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        *++yystack.p_mark = yyloc;
#endif
        if (yychar < 0)
        {
#if YYBTYACC
            do {
            if (yylvp < yylve)
            {
                /* we're currently re-reading tokens */
                yylval = *yylvp++;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                yylloc = *yylpp++;
#endif
                yychar = *yylexp++;
                break;
            }
            if (yyps->save)
            {
                /* in trial mode; save scanner results for future parse attempts */
                if (yylvp == yylvlim)
                {   /* Enlarge lexical value queue */
                    size_t p = (size_t) (yylvp - yylvals);
                    size_t s = (size_t) (yylvlim - yylvals);

                    s += YYLVQUEUEGROWTH;
                    if ((yylexemes = (YYINT *)realloc(yylexemes, s * sizeof(YYINT))) == NULL)
                        goto yyenomem;
                    if ((yylvals   = (YYSTYPE *)realloc(yylvals, s * sizeof(YYSTYPE))) == NULL)
                        goto yyenomem;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                    if ((yylpsns   = (YYLTYPE *)realloc(yylpsns, s * sizeof(YYLTYPE))) == NULL)
                        goto yyenomem;
#endif
                    yylvp   = yylve = yylvals + p;
                    yylvlim = yylvals + s;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                    yylpp   = yylpe = yylpsns + p;
                    yylplim = yylpsns + s;
#endif
                    yylexp  = yylexemes + p;
                }
                *yylexp = (YYINT) YYLEX;
                *yylvp++ = yylval;
                yylve++;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
                *yylpp++ = yylloc;
                yylpe++;
#endif
                yychar = *yylexp++;
                break;
            }
            /* normal operation, no conflict encountered */
#endif /* YYBTYACC */
            yychar = YYLEX;
#if YYBTYACC
            } while (0);
#endif /* YYBTYACC */
            if (yychar < 0) yychar = YYEOF;
#if YYDEBUG
            if (yydebug)
            {
                if ((yys = yyname[YYTRANSLATE(yychar)]) == NULL) yys = yyname[YYUNDFTOKEN];
                fprintf(stderr, "%s[%d]: state %d, reading token %d (%s)\n",
                                YYDEBUGSTR, yydepth, YYFINAL, yychar, yys);
            }
#endif
        }
        if (yychar == YYEOF) goto yyaccept;
        goto yyloop;
    }
    if (((yyn = yygindex[yym]) != 0) && (yyn += yystate) >= 0 &&
            yyn <= YYTABLESIZE && yycheck[yyn] == (YYINT) yystate)
        yystate = yytable[yyn];
    else
        yystate = yydgoto[yym];
#if YYDEBUG
    if (yydebug)
    {
        fprintf(stderr, "%s[%d]: after reduction, ", YYDEBUGSTR, yydepth);
#ifdef YYSTYPE_TOSTRING
#if YYBTYACC
        if (!yytrial)
#endif /* YYBTYACC */
            fprintf(stderr, "result is <%s>, ", YYSTYPE_TOSTRING(yystos[yystate], yyval));
#endif
        fprintf(stderr, "shifting from state %d to state %d\n", *yystack.s_mark, yystate);
    }
#endif
    if (yystack.s_mark >= yystack.s_last && yygrowstack(&yystack) == YYENOMEM) goto yyoverflow;
    *++yystack.s_mark = (YYINT) yystate;
    *++yystack.l_mark = yyval;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    *++yystack.p_mark = yyloc;
#endif
    goto yyloop;
#if YYBTYACC

    /* Reduction declares that this path is valid. Set yypath and do a full parse */
yyvalid:
    if (yypath) YYABORT;
    while (yyps->save)
    {
        YYParseState *save = yyps->save;
        yyps->save = save->save;
        save->save = yypath;
        yypath = save;
    }
#if YYDEBUG
    if (yydebug)
        fprintf(stderr, "%s[%d]: state %d, CONFLICT trial successful, backtracking to state %d, %d tokens\n",
                        YYDEBUGSTR, yydepth, yystate, yypath->state, (int)(yylvp - yylvals - yypath->lexeme));
#endif
    if (yyerrctx)
    {
        yyFreeState(yyerrctx);
        yyerrctx = NULL;
    }
    yylvp          = yylvals + yypath->lexeme;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yylpp          = yylpsns + yypath->lexeme;
#endif
    yylexp         = yylexemes + yypath->lexeme;
    yychar         = YYEMPTY;
    yystack.s_mark = yystack.s_base + (yypath->yystack.s_mark - yypath->yystack.s_base);
    memcpy (yystack.s_base, yypath->yystack.s_base, (size_t) (yystack.s_mark - yystack.s_base + 1) * sizeof(YYINT));
    yystack.l_mark = yystack.l_base + (yypath->yystack.l_mark - yypath->yystack.l_base);
    memcpy (yystack.l_base, yypath->yystack.l_base, (size_t) (yystack.l_mark - yystack.l_base + 1) * sizeof(YYSTYPE));
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
    yystack.p_mark = yystack.p_base + (yypath->yystack.p_mark - yypath->yystack.p_base);
    memcpy (yystack.p_base, yypath->yystack.p_base, (size_t) (yystack.p_mark - yystack.p_base + 1) * sizeof(YYLTYPE));
#endif
    yystate        = yypath->state;
    goto yyloop;
#endif /* YYBTYACC */

yyoverflow:
    YYERROR_CALL("yacc stack overflow");
#if YYBTYACC
    goto yyabort_nomem;
yyenomem:
    YYERROR_CALL("memory exhausted");
yyabort_nomem:
#endif /* YYBTYACC */
    yyresult = 2;
    goto yyreturn;

yyabort:
    yyresult = 1;
    goto yyreturn;

yyaccept:
#if YYBTYACC
    if (yyps->save) goto yyvalid;
#endif /* YYBTYACC */
    yyresult = 0;

yyreturn:
#if defined(YYDESTRUCT_CALL)
    if (yychar != YYEOF && yychar != YYEMPTY)
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        YYDESTRUCT_CALL("cleanup: discarding token", yychar, &yylval, &yylloc);
#else
        YYDESTRUCT_CALL("cleanup: discarding token", yychar, &yylval);
#endif /* defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED) */

    {
        YYSTYPE *pv;
#if defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED)
        YYLTYPE *pp;

        for (pv = yystack.l_base, pp = yystack.p_base; pv <= yystack.l_mark; ++pv, ++pp)
             YYDESTRUCT_CALL("cleanup: discarding state",
                             yystos[*(yystack.s_base + (pv - yystack.l_base))], pv, pp);
#else
        for (pv = yystack.l_base; pv <= yystack.l_mark; ++pv)
             YYDESTRUCT_CALL("cleanup: discarding state",
                             yystos[*(yystack.s_base + (pv - yystack.l_base))], pv);
#endif /* defined(YYLTYPE) || defined(YYLTYPE_IS_DECLARED) */
    }
#endif /* defined(YYDESTRUCT_CALL) */

#if YYBTYACC
    if (yyerrctx)
    {
        yyFreeState(yyerrctx);
        yyerrctx = NULL;
    }
    while (yyps)
    {
        YYParseState *save = yyps;
        yyps = save->save;
        save->save = NULL;
        yyFreeState(save);
    }
    while (yypath)
    {
        YYParseState *save = yypath;
        yypath = save->save;
        save->save = NULL;
        yyFreeState(save);
    }
#endif /* YYBTYACC */
    yyfreestack(&yystack);
    return (yyresult);
}
