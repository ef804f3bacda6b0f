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

#ifndef DOTPROXY_PROC_H
#define DOTPROXY_PROC_H

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdint.h>

#include "ipc.h"

/*
 * The parent's table of children (proc.c): every kind of child is
 * spawned, fed, heard, reaped and restarted the same way; a kind says
 * only what differs.
 */

struct proc;

/* A message type a child may send, and the payload lengths it may have. */
struct proc_msg {
	uint32_t	type;
	uint32_t	min;
	uint32_t	max;
};

struct proc_slot {
	struct proc_kind	*kind;
	int			 idx;
	int			 backoff;	/* ms, the next delay */
	int			 crashes;	/* in a row */
	struct event		 ev;
};

struct proc_kind {
	const char		*name;		/* "engine", "metrics process" */
	const char		*title;		/* ps shows "dotproxy: TITLE" */
	const char		*flag;		/* its command line switch */
	int			 batch;		/* SCHED_BATCH, see proc.c */
	int			 numbered;	/* "engine 0", not "engine" */
	uint32_t		 fdtypes;	/* IPC_FDTYPE() it may send on */
	const struct proc_msg	*msgs;		/* ends with type 0 */
	void			(*start)(struct proc *);
	/* one message, its type and length checked: -1 kills the child */
	int			(*message)(struct proc *, struct ipc_msg *);
	/* reaped, its last messages read: 1 starts the slot again */
	int			(*ended)(struct proc *);
	int			 generation;	/* what a new child joins */
	struct proc_slot	*slots;		/* proc_register() */
	int			 nslots;
};

struct proc {
	TAILQ_ENTRY(proc)	 entry;
	struct proc_kind	*kind;
	char			 name[32];	/* for logs: "engine 0" */
	pid_t			 pid;
	int			 idx;
	int			 generation;
	int			 ready;
	int			 retiring;	/* SIGTERM sent */
	uint64_t		 started;	/* monotonic ms */
	int			 vfd;		/* names a violation */
	struct ipc		 ipc;
	struct event		 ev;
	short			 evflags;
};

TAILQ_HEAD(proc_list, proc);
extern struct proc_list	procs;

void	 proc_init(struct event_base *, const char *, int, int);
void	 proc_register(struct proc_kind *, int);
void	 proc_set_verbose(int);
void	 proc_spawn(struct proc_kind *, int);
void	 proc_compose(struct proc *, uint32_t, int, const void *, size_t);
void	 proc_give(struct proc *, uint32_t, int);
void	 proc_flush(struct proc *);
void	 proc_broadcast(const struct proc_kind *, uint32_t, const void *,
	    size_t);
void	 proc_kill(struct proc *, const char *);
void	 proc_signal(const struct proc_kind *, int);
void	 proc_reset(struct proc_kind *);
int	 proc_reap(int);
int	 proc_log_record(const char *, const struct ipc_msg *);

#endif /* DOTPROXY_PROC_H */
