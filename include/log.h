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

#ifndef DOTPROXY_LOG_H
#define DOTPROXY_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

/* One message a second for a limit that a client may hit at line rate. */
struct ratelog {
	uint64_t	last;	/* ms */
	unsigned int	n;
};

/*
 * Before log_init() and with -d everything goes to stderr; the daemonised
 * parent writes to syslog (daemon facility); an engine hands each record
 * to the function set with log_set_sender(), which ships it to the parent.
 */
void	log_init(int, int);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_procinit(const char *);
void	log_set_sender(void (*)(int, const char *));
void	logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_limit(struct ratelog *, uint64_t, const char *);
void	fatalc(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3), __noreturn__));

/*
 * Names for a level, so that one variadic function takes the arguments
 * for all of them.  fatal() appends strerror(errno), errno as it is once
 * the arguments have been evaluated; fatalx() does not.
 */
#define log_warnx(...)	logit(LOG_ERR, __VA_ARGS__)
#define log_info(...)	logit(LOG_INFO, __VA_ARGS__)
#define fatal(...)	fatalc(1, __VA_ARGS__)
#define fatalx(...)	fatalc(0, __VA_ARGS__)

#endif /* DOTPROXY_LOG_H */
