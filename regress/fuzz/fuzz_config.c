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
 * The configuration parser on arbitrary text.  What parses must print
 * (print_config) as text that parses again and prints the same: the
 * round trip `dotproxy -nv` promises.  Files are opened only inside a
 * scratch directory: the parser alone is built with -Dfopen=fuzz_fopen,
 * so that an include of any other path fails as a missing file would and
 * the fuzzer never reads the machine's files.  The directory holds two
 * files to include: inc.conf (a good fragment) and self.conf (includes
 * itself, for the nesting limit).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"

FILE	*fuzz_fopen(const char *, const char *);
int	 LLVMFuzzerInitialize(int *, char ***);

/* tmpfs: the parser opens a file per input, or more */
static char	 dir[] = "/dev/shm/fuzz_config.XXXXXX";
static char	 input[PATH_MAX], print1[PATH_MAX], print2[PATH_MAX];
static char	*text1, *text2;

FILE *
fuzz_fopen(const char *path, const char *mode)
{
	size_t	 n = strlen(dir);

	if (strncmp(path, dir, n) != 0 || path[n] != '/' ||
	    strstr(path, "/..") != NULL) {
		errno = ENOENT;
		return (NULL);
	}
	return (fopen(path, mode));
}

static void
quiet(int pri, const char *msg)
{
	(void)pri;
	(void)msg;
}

static void
put_file(const char *path, const void *p, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(p, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* print_config writes to stdout: point it at path for the call. */
static void
print_to(const struct conf *c, const char *path)
{
	int	 fd, saved;

	fflush(stdout);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (saved = dup(STDOUT_FILENO)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1)
		abort();
	print_config(c);
	fflush(stdout);
	if (dup2(saved, STDOUT_FILENO) == -1)
		abort();
	close(saved);
	close(fd);
}

static char *
slurp(const char *path, char *old)
{
	FILE	*f;
	char	*p;
	long	 n;

	free(old);
	if ((f = fopen(path, "r")) == NULL ||
	    fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) == -1 ||
	    fseek(f, 0, SEEK_SET) == -1 ||
	    (p = calloc(1, n + 1)) == NULL ||
	    fread(p, 1, n, f) != (size_t)n)
		abort();
	fclose(f);
	return (p);
}

static void
cleanup(void)
{
	const char	*files[] = { "inc.conf", "self.conf", "input.conf",
			    "print1.conf", "print2.conf" };
	char		 path[PATH_MAX];
	size_t		 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/*
 * Drops the comment lines of a printed configuration: a comment notes
 * where a value came from (the built-in access list), and once printed
 * and parsed again it comes from the file.
 */
static void
strip_comments(char *p)
{
	char	*out = p;
	size_t	 n;

	while (*p != '\0') {
		n = strcspn(p, "\n");
		if (p[n] == '\n')
			n++;
		if (*p != '#') {
			memmove(out, p, n);
			out += n;
		}
		p += n;
	}
	*out = '\0';
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char inc[] = "upstream 192.0.2.1 port 853 "
	    "tls-name \"dns.example\"\n";
	static const char self[] = "include \"self.conf\"\n";
	char	path[PATH_MAX];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/inc.conf", dir);
	put_file(path, inc, sizeof(inc) - 1);
	snprintf(path, sizeof(path), "%s/self.conf", dir);
	put_file(path, self, sizeof(self) - 1);
	snprintf(input, sizeof(input), "%s/input.conf", dir);
	snprintf(print1, sizeof(print1), "%s/print1.conf", dir);
	snprintf(print2, sizeof(print2), "%s/print2.conf", dir);
	log_set_sender(quiet);
	atexit(cleanup);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	*c, *back;

	put_file(input, data, size);
	if ((c = parse_config(input, 0)) == NULL)
		return (0);
	print_to(c, print1);
	back = parse_config(print1, 0);
	FUZZ_ASSERT(back != NULL);
	print_to(back, print2);
	text1 = slurp(print1, text1);
	text2 = slurp(print2, text2);
	strip_comments(text1);
	strip_comments(text2);
	FUZZ_ASSERT(strcmp(text1, text2) == 0);
	conf_free(c);
	conf_free(back);
	return (0);
}
