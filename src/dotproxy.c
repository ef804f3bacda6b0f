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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "metrics.h"
#include "log.h"
#include "parent.h"

static void	usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: dotproxy [-dnv] [-f file]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct conf	*conf;
	const char	*conffile = DOTPROXY_CONF;
	char		 err[256];
	int		 ch, debug = 0, check = 0, verbose = 0, engine = 0;
	int		 metrics = 0;
	int		 optional = 1;

	while ((ch = getopt(argc, argv, "dEf:Mnv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'E':
			/* hidden: set by the parent when it execs an engine */
			engine = 1;
			break;
		case 'M':
			/* hidden: the parent's metrics endpoint process */
			metrics = 1;
			break;
		case 'f':
			conffile = optarg;
			optional = 0;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc != 0)
		usage();

	if (engine)
		engine_main(debug, verbose);
	if (metrics)
		metrics_main(debug);

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);

	/* a missing default file means built-in defaults; -f must exist */
	if ((conf = parse_config(conffile, optional)) == NULL)
		exit(1);
	if (conf_apply_env(conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "dotproxy: %s\n", err);
		exit(1);
	}
	if (conf->sc.engines > ENGINES_MAX) {
		fprintf(stderr, "dotproxy: at most %d engines\n", ENGINES_MAX);
		exit(1);
	}
	if (check) {
		if (verbose)
			print_config(conf);
		printf("configuration OK\n");
		exit(0);
	}
	parent_main(conf, conffile, optional, debug, verbose);
}
