/* run.h - the runtime's entry: a compiled object (contract/object.h) and the options
 * of the run. */
#ifndef NFSQ_RUN_H
#define NFSQ_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../contract/object.h"

enum out_format {
	OUT_TEXT, /* bpftrace-like text */
	OUT_JSON, /* NDJSON: one object per printf event and per map */
};

struct run_options {
	FILE *out; /* where results go (stdout or the -o file) */
	enum out_format format;
	const char *cmd;       /* -c: command to run, traced until it exits */
	pid_t pid;             /* -p: only events of this process (0 = all) */
	bool quiet;            /* -q: no "Attaching N probes..." line */
	int verbose;           /* -v: libbpf's log, timings */
	uint32_t map_size;     /* --map-size: entries per map (0 = the default, 4096) */
	uint32_t ringbuf_size; /* --ringbuf: bytes of the event ring buffer (0 = the default) */
	const char *serve;     /* --serve [ADDR:]PORT: maps at /metrics; no map printout at the end */
};

/* Loads obj, attaches it and runs it until exit(), Ctrl-C / SIGTERM, or the -c command
 * ends; prints the maps. Errors are printed to stderr as one clear line. Returns the
 * process exit code (base/exitcode.h). */
int run_object(const struct ct_object *obj, const struct run_options *o);

#endif
