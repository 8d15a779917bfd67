/* opts.h - the options of a run, shared by nfsq and nfsq-run: -c -p -o -f -q -v,
 * --map-size, --ringbuf and --serve, their help and their checks. */
#ifndef NFSQ_OPTS_H
#define NFSQ_OPTS_H

#include <getopt.h>
#include <stdio.h>

#include "../runtime/run.h"

enum { OPTS_MAP_SIZE = 300, OPTS_RINGBUF, OPTS_SERVE };
#define OPTS_SHORT "c:p:o:f:qv"
#define OPTS_LONG                                                   \
	{"map-size", required_argument, NULL, OPTS_MAP_SIZE},       \
		{"ringbuf", required_argument, NULL, OPTS_RINGBUF}, \
		{"serve", required_argument, NULL, OPTS_SERVE}
#define OPTS_HELP                                                                                                \
	"  -c CMD          run CMD, trace until it exits; 'cpid' is its pid\n"                                       \
	"  -p PID          trace only process PID\n"                                                                 \
	"  -o FILE         write output to FILE\n"                                                                   \
	"  -f text|json    output format (json: one object per line)\n"                                             \
	"  --map-size N    entries per map (default 4096); updates to a full map are counted and reported\n"       \
	"  --ringbuf SIZE  printf/print/exit event buffer, bytes (k/m suffix; a power of 2, 4k to\n"                 \
	"                  256m; default 256k); events it cannot hold are counted and reported\n"                   \
	"  --serve [ADDR:]PORT  serve the maps at http://ADDR:PORT/metrics for Prometheus\n"                         \
	"                  (ADDR 127.0.0.1 unless given; no map printout at the end)\n"                              \
	"  -q              quiet: no 'Attaching' line\n"                                                            \
	"  -v              verbose: libbpf's log, timings\n"

/* Takes getopt's opt if it is an option of the run (-o's path into *outpath): 1; -1 when
 * its value is bad (said on stderr); 0 when it is not one of them. */
int opts_run(int opt, const char *arg, struct run_options *ro, const char **outpath);
/* After the options: 0, or -1 (said) for options that exclude each other (-c and -p). */
int opts_check(const struct run_options *ro);
/* Before the run: the -o file (if any) opened into ro->out. 0, or -1 (said). */
int opts_open(struct run_options *ro, const char *outpath);
/* Closes the -o file (if any): rc, or NFSQ_EXIT_RUNTIME when writing it failed (said). */
int opts_close(struct run_options *ro, const char *outpath, int rc);
#define OPTS_MAX_FILE (16u << 20) /* bytes of a script or a compiled file */
/* Reads a whole script or compiled file, a pipe or a FIFO (NUL-terminated, *len without
 * it); NULL with a message on failure. */
char *opts_read_file(const char *path, size_t *len);
/* -o FILE for nfsq --compile, opened the way the run's output is (opts.c). */
FILE *opts_open_output(const char *path);

#endif
