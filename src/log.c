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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	 log_to_stderr = 1;	/* until log_init() says otherwise */
static int	 verbose;
static const char *procname = "dotproxy";
static void	(*sender)(int, const char *);

void
log_init(int to_stderr, int facility)
{
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog("dotproxy", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return (verbose);
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		procname = name;
}

/*
 * An engine cannot reach syslog from its sandbox (Linux has no
 * sendsyslog), so it hands every record to the parent through this hook.
 */
void
log_set_sender(void (*fn)(int, const char *))
{
	sender = fn;
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	saved_errno = errno;

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	if (sender != NULL)
		sender(pri, buf);
	else if (log_to_stderr)
		fprintf(stderr, "%s\n", buf);
	else
		syslog(pri, "%s", buf);
	errno = saved_errno;
}

static void
vlog_errno(int pri, int err, const char *emsg, va_list ap)
{
	char	 buf[1024];

	if (emsg == NULL) {
		logit(pri, "%s", strerror(err));
		return;
	}
	(void)vsnprintf(buf, sizeof(buf), emsg, ap);
	logit(pri, "%s: %s", buf, strerror(err));
}

void
log_warn(const char *emsg, ...)
{
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, emsg);
	vlog_errno(LOG_ERR, saved_errno, emsg, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_debug(const char *emsg, ...)
{
	va_list	ap;

	if (verbose > 0) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

/* fatal() and fatalx(): with_errno says whether strerror(errno) follows. */
void
fatalc(int with_errno, const char *emsg, ...)
{
	char	buf[1024];
	va_list	ap;
	int	err = with_errno ? errno : 0;

	if (emsg != NULL) {
		va_start(ap, emsg);
		(void)vsnprintf(buf, sizeof(buf), emsg, ap);
		va_end(ap);
	} else
		buf[0] = '\0';
	if (err != 0)
		logit(LOG_CRIT, "%s: fatal: %s%s%s", procname, buf,
		    buf[0] != '\0' ? ": " : "", strerror(err));
	else
		logit(LOG_CRIT, "%s: fatal: %s", procname, buf);
	exit(1);
}

/*
 * A limit hit: counted, and logged (with -v) at most once a second with
 * how often it was hit since.  now is the caller's clock, in ms.
 */
void
log_limit(struct ratelog *r, uint64_t now, const char *what)
{
	r->n++;
	if (r->last != 0 && now - r->last < 1000)
		return;
	log_debug("%u %s", r->n, what);
	r->last = now;
	r->n = 0;
}
