/* nfsq_run.c - nfsq-run: runs programs compiled by nfsq --compile. It is built from the
 * runtime alone: no front end, no LLVM (a host that runs nfsq's programs need not carry
 * a compiler). Same options, output and exit codes as nfsq's run of the program. */
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/exitcode.h"
#include "cli/opts.h"
#include "cli/runfile.h"

#ifndef NFSQ_VERSION
#define NFSQ_VERSION "dev"
#endif

static void usage(FILE *out)
{
	fputs("usage: nfsq-run [options] FILE\n"
	      "runs FILE, a program compiled by nfsq --compile -o FILE (on this kernel build)\n"
	      "\n"
	      "options:\n" OPTS_HELP
	      "  --info          what FILE holds (compiler, kernel, programs, maps) and whether it\n"
	      "                  runs here; runs nothing\n"
	      "  -h, --help      this help\n"
	      "  --version       print the version\n"
	      "\n"
	      "exit codes: 0 ok, 2 usage errors (or a file that is not a compiled program),\n"
	      "            3 cannot load or run on this kernel, or output lost\n",
	      out);
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256, OPT_INFO };
	static const struct option longopts[] = {
		{"version", no_argument, NULL, OPT_VERSION},
		{"info", no_argument, NULL, OPT_INFO},
		{"help", no_argument, NULL, 'h'},
		OPTS_LONG,
		{NULL, 0, NULL, 0},
	};
	struct run_options ro = {.out = stdout, .format = OUT_TEXT};
	const char *outpath = NULL, *path;
	char *buf = NULL;
	size_t len;
	int opt, taken, rc = NFSQ_EXIT_USAGE;
	bool info = false;

	signal(SIGINT, SIG_DFL); /* (as nfsq: see cli/main.c) */
	signal(SIGTERM, SIG_DFL);
	/* options may follow FILE: a compiled file run by its #! line gets them there */
	while ((opt = getopt_long(argc, argv, "h" OPTS_SHORT, longopts, NULL)) != -1) {
		if ((taken = opts_run(opt, optarg, &ro, &outpath)) < 0)
			return NFSQ_EXIT_USAGE;
		if (taken)
			continue;
		switch (opt) {
		case 'h': usage(stdout); return NFSQ_EXIT_OK;
		case OPT_VERSION: printf("nfsq-run %s\n", NFSQ_VERSION); return NFSQ_EXIT_OK;
		case OPT_INFO: info = true; break;
		default: usage(stderr); return NFSQ_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return NFSQ_EXIT_USAGE;
	}
	if (opts_check(&ro))
		return NFSQ_EXIT_USAGE;
	if (info && (ro.cmd || ro.pid || outpath || ro.serve || ro.format != OUT_TEXT || ro.map_size ||
		     ro.ringbuf_size)) {
		fprintf(stderr, "nfsq: --info runs nothing: it takes no options of a run (-c, -p, -o, -f, "
				"--serve, --map-size, --ringbuf)\n");
		return NFSQ_EXIT_USAGE;
	}
	path = argv[optind++];
	if (!(buf = opts_read_file(path, &len)))
		goto cleanup;
	if (info) {
		rc = runfile_info(path, buf, len, stdout);
		goto cleanup;
	}
	if (opts_open(&ro, outpath))
		goto cleanup;
	rc = opts_close(&ro, outpath, runfile_run(path, buf, len, argc - optind, &ro));
cleanup:
	free(buf);
	return rc;
}
