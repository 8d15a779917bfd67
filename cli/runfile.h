/* runfile.h - running a compiled file (nfsq --compile's): `nfsq FILE` and `nfsq-run FILE`.
 * Needs the runtime only: no front end, no LLVM. */
#ifndef NFSQ_RUNFILE_H
#define NFSQ_RUNFILE_H

#include <stddef.h>
#include <stdio.h>

#include "../runtime/run.h"

/* Runs the compiled program in buf (the contents of path) with the run's options; argc
 * arguments after the file (there may be none: a script's are fixed when compiled).
 * Returns the process exit code (base/exitcode.h), with a message for any failure. */
int runfile_run(const char *path, const char *buf, size_t len, int argc, const struct run_options *o);

/* --info: what the compiled file in buf holds and whether it runs here, on out. Returns
 * the exit code: 0 when it runs here, 3 when not, 2 when it is not a whole compiled file. */
int runfile_info(const char *path, const char *buf, size_t len, FILE *out);

/* The kernel a program is compiled on: its release and build (uname -r, -v). */
void runfile_kernel(const char **release, const char **build);

/* Whether any of the n programs attaches with fentry or fexit. */
bool runfile_uses_fentry(const struct ct_prog *progs, unsigned n);
/* This boot's id (/proc/sys/kernel/random/boot_id), NULL when it cannot be read. */
const char *runfile_boot_id(void);

#endif
