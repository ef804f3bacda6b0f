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
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include <cap-ng.h>
#include <errno.h>
#include <stdint.h>

#include "config.h"
#include "ipc.h"
#include "log.h"
#include "parent.h"
#include "sandbox.h"
#include "testhook.h"

/*
 * What root the parent keeps once it has started: the capabilities that
 * a reload and the start of an engine (or of the metrics process) still
 * need, and nothing else, in the effective, permitted and bounding sets.
 * An engine runs as root from its exec until it drops to the user, and
 * root's exec gives it the bounding set: so the bounding set is exactly
 * what an engine can use, and the parent keeps nothing an engine does
 * not need either.
 *
 *   CAP_NET_BIND_SERVICE  a reload may add a listener on a port below 1024
 *   CAP_KILL              engines and the metrics process run as another
 *                         user: retiring, stopping and killing them
 *   CAP_SYS_CHROOT        an engine (and the metrics process) chroots
 *   CAP_SETUID, CAP_SETGID  and then takes the user's ids and groups
 *   CAP_SYS_RESOURCE      an engine raises RLIMIT_NOFILE past the hard
 *                         limit to what tcp-max-connections needs, which
 *                         a reload may raise
 *
 * Not kept, and what that costs:
 *   CAP_NET_ADMIN         a UDP listener bound by a reload gets the
 *                         receive buffer net.core.rmem_max allows, not the
 *                         one SO_RCVBUFFORCE would force (listeners kept
 *                         over a reload keep theirs)
 *   CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH  the configuration, its includes
 *                         and the CA bundle must be readable by root by
 *                         their modes (root's own 0600 files are), or a
 *                         reload fails and the old configuration stays
 * Nothing is made inheritable or ambient, and PR_SET_KEEPCAPS stays off,
 * so no exec and no change of user carries a capability on by accident.
 */
static const unsigned int kept_caps[] = {
	CAP_NET_BIND_SERVICE,
	CAP_KILL,
	CAP_SYS_CHROOT,
	CAP_SETUID,
	CAP_SETGID,
	CAP_SYS_RESOURCE,
};

/*
 * Descriptors the parent itself holds besides those per engine: stdio,
 * syslog, the notify socket, the control socket and its clients, the
 * metrics process's socket and socketpair, libevent's, and the pipe and
 * socketpair of an engine being started.
 */
#define PARENT_FIXED_FDS	64

static void	 keep_caps(void);
static void	 set_limit(int, rlim_t, rlim_t, const char *);

/*
 * Called once start-up is done: engines started, sockets bound.  The
 * filter comes last, as it also forbids what the two steps before do.
 */
void
parent_lockdown(const struct conf *conf, const char *self,
    const char *ctlpath, int debug)
{
	keep_caps();
	/*
	 * No core dumps: the parent holds the configuration and the CA
	 * bundle, and engines (which set the same) inherit it.
	 */
	set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");
	parent_nofile(conf, NULL);
	/*
	 * RLIMIT_NPROC is left alone: root is not held to it at all, and
	 * a user's count is of every process of that uid on the host (other
	 * containers run as 65532 too), so no value is right for a
	 * non-root parent either.  RLIMIT_FSIZE too: with -d the log goes to
	 * stderr, which may be a file.
	 */
	/* the sanitizer build: what its runtime would do later, now */
	testhook_presandbox();
#ifdef TEST_VALGRIND
	/*
	 * The valgrind test build only: valgrind's own core runs inside the
	 * parent and inside every child between fork and exec, with system
	 * calls of its own no allowlist of ours names, so the parent keeps
	 * no_new_privs but no filter there.  root.sh proves the filter in
	 * the other builds (regress/valgrind.skip).
	 */
	(void)self;
	(void)ctlpath;
	(void)debug;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
#else
	sandbox_parent(self, ctlpath, debug);
#endif
}

/*
 * The soft descriptor limit: what the configurations in force need (two
 * during a reload, while the old engines retire).  Per engine: its
 * socketpair, violation pipe and inbox, its listeners, and the client
 * connections a retiring engine may hand over, which wait in the parent
 * until their new engine has read them.  The hard limit is the engines'
 * ceiling and stays as it is: engines set theirs within it.
 */
void
parent_nofile(const struct conf *a, const struct conf *b)
{
	const struct conf	*c[2] = { a, b };
	struct listen_conf	*l;
	struct rlimit		 rl;
	rlim_t			 want = PARENT_FIXED_FDS, nl;
	int			 i;

	for (i = 0; i < 2; i++) {
		if (c[i] == NULL)
			continue;
		nl = 0;
		TAILQ_FOREACH(l, &c[i]->listens, entry)
			nl++;
		want += (rlim_t)c[i]->sc.engines * (4 + 2 * nl +
		    IPC_MAX_FDS + (rlim_t)c[i]->sc.tcp_max_conn);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit RLIMIT_NOFILE");
	if (want > rl.rlim_max)
		want = rl.rlim_max;
	set_limit(RLIMIT_NOFILE, want, rl.rlim_max, "RLIMIT_NOFILE");
}

static void
set_limit(int res, rlim_t cur, rlim_t max, const char *name)
{
	struct rlimit	rl;

	rl.rlim_cur = cur;
	rl.rlim_max = max;
	if (setrlimit(res, &rl) == -1)
		fatal("setrlimit %s", name);
}

/*
 * Only what is held can be kept: a daemon started without some of these
 * (a container's reduced set) goes on without them, and one that holds
 * none (not root) has nothing to do.  Dropping from the bounding set
 * needs CAP_SETPCAP; a non-root parent given a few capabilities may not
 * have it, and then keeps its bounding set.
 */
static void
keep_caps(void)
{
	capng_select_t	set = CAPNG_SELECT_ALL;
	int		have[sizeof(kept_caps) / sizeof(kept_caps[0])];
	size_t		i;

	if (capng_get_caps_process() == -1)
		fatalx("cannot read the process's capabilities");
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return;
	for (i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, kept_caps[i]);
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		set = CAPNG_SELECT_CAPS;
	capng_clear(set);
	for (i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		if (have[i] && capng_update(CAPNG_ADD, CAPNG_EFFECTIVE |
		    CAPNG_PERMITTED | (set == CAPNG_SELECT_ALL ?
		    CAPNG_BOUNDING_SET : 0), kept_caps[i]) == -1)
			fatalx("capng_update failed");
	if (capng_apply(set) != 0)
		fatalx("cannot drop capabilities");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		fatal("PR_SET_KEEPCAPS");
}
