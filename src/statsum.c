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

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parent.h"
#include "stats.h"

/*
 * The counters the metrics process shows: the last report of each engine
 * that runs, plus the sum of every engine that has ended, so that no
 * counter goes backwards while this process lives.  Reports come from
 * engines through the parent, which checked only their length: each is
 * checked here (stats_check()) before it counts.  Engines of two or
 * three generations run at once during reloads; the table is still
 * bounded.
 */

#define STATSUM_MAX	(4 * ENGINES_MAX)

struct report {
	TAILQ_ENTRY(report)	 entry;
	int32_t			 pid;
	struct ipc_stats	 st;
};

static TAILQ_HEAD(, report)	 reports = TAILQ_HEAD_INITIALIZER(reports);
static int			 nreports;
static struct ipc_stats		 retired;

/* Returns -1, the report dropped, when it is malformed. */
int
statsum_update(const struct ipc_engine_stats *es)
{
	static struct ipc_stats	 st;	/* 42 KiB: not on the stack */
	struct report		*r;

	if (stats_check(&st, &es->st, sizeof(es->st)) == -1)
		return (-1);
	TAILQ_FOREACH(r, &reports, entry)
		if (r->pid == es->pid)
			break;
	if (r == NULL) {
		if (nreports >= STATSUM_MAX ||
		    (r = calloc(1, sizeof(*r))) == NULL)
			return (-1);
		r->pid = es->pid;
		TAILQ_INSERT_TAIL(&reports, r, entry);
		nreports++;
	}
	r->st = st;
	return (0);
}

/* An engine ended: its last counters join the retired sum. */
void
statsum_gone(int32_t pid)
{
	struct report	*r;

	TAILQ_FOREACH(r, &reports, entry)
		if (r->pid == pid)
			break;
	if (r == NULL)
		return;
	stats_add(&retired, &r->st, 0);
	TAILQ_REMOVE(&reports, r, entry);
	nreports--;
	free(r);
}

/* The sum over engines: retired ones, and the last report of each other. */
void
statsum_get(struct ipc_stats *sum)
{
	struct report	*r;

	*sum = retired;
	TAILQ_FOREACH(r, &reports, entry)
		stats_add(sum, &r->st, 1);
}
