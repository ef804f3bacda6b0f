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
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "parent.h"

/*
 * What the configuration names besides itself, read by the parent at
 * start-up and on reload: the CA bundle and the number of CPUs that
 * `engines auto` means.
 */

#define CA_MAX		(16 * 1024 * 1024)

/*
 * engines auto: one per CPU this process may run on, which in a
 * container's cpuset is fewer than the machine has online.
 */
int
conf_engines_auto(void)
{
	cpu_set_t	set;
	long		n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (n > ENGINES_MAX ? ENGINES_MAX : (int)n);
}

/*
 * The CA bundle, read whole: the engines get it over their socketpair,
 * since they open no file.
 */
int
conf_load_ca(const char *path, uint8_t **ca, size_t *calen)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;
	/* the operator who set CA_PATH should read CA_PATH */
	const char	*what = getenv("CA_PATH") != NULL ? "CA_PATH" : "ca-file";

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s %s", what, path);
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > CA_MAX) {
		log_warnx("%s %s: not a regular file of sane size", what,
		    path);
		close(fd);
		return (-1);
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		fatal(NULL);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s %s: read", what, path);
			free(buf);
			close(fd);
			return (-1);
		}
		off += n;
	}
	close(fd);
	buf[off] = '\0';
	*ca = buf;
	*calen = off;
	return (0);
}
