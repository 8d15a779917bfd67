/* rt.h - runtime internals shared by run.c, load.c, output.c and verifier.c. */
#ifndef NFSQ_RT_H
#define NFSQ_RT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../contract/layout.h"
#include "../contract/object.h"
#include "run.h"

/* A growable output buffer (text, JSON, Prometheus); oom: an allocation failed and the
 * rest was dropped. */
struct rt_buf {
	char *s;
	size_t len, cap;
	bool oom;
};
void rt_buf_add(struct rt_buf *b, const char *s, size_t n);
void rt_buf_int(struct rt_buf *b, int64_t v); /* "%lld" without printf */
__attribute__((format(printf, 2, 3))) void rt_buf_printf(struct rt_buf *b, const char *fmt, ...);

struct rt {
	const struct ct_object *obj;
	const struct run_options *o;
	struct bpf_object *bobj;
	int *map_fds; /* per program map (map_info.id) */
	bool *zeroed; /* per program map: zero() since the last clear() (an array's zero is then a value) */
	uint8_t **base; /* per program map: an additive per-CPU array's raw values at its last
			 * clear(), subtracted from each read (snapshot.c, rt_snap_additive) */
	struct bpf_program **bprogs; /* libbpf's program for each obj->progs[i] (NULL: none) */
	int drops_fd;
	int ncpus;
	bool exiting;     /* stopping: exit(), a signal, or the -c / -p process ended */
	bool exit_called; /* exit() seen: the events after it are ignored */
	int exit_code;    /* exit(code)'s, the first one's (-1: none): nfsq's exit status */
	unsigned burst;   /* events left before the ring buffer hands back (0: no limit) */
	/* the output: o->out's descriptor written through rt_out_open's stream, which never
	 * blocks a stop: while the reader does not read, it waits for the reader or a signal */
	FILE *out;
	int out_fd;
	int out_errno;     /* why the first write to the output failed (0: none failed) */
	bool out_gone;     /* output given up: a write failed, or stopping and not read for RT_STOP_MS */
	uint64_t out_lost; /* bytes of output not written */
	int sigfd;         /* SIGINT / SIGTERM once the probes are attached (-1 before) */
	bool stopping;     /* a signal asked to stop: what is queued gets RT_STOP_MS more */
	double stop_ms;    /* when (rt_now_ms) */
	uint64_t unprinted; /* queued events not handled: stopping ran out of time */
	uint64_t nevents;   /* events handled (every 64th looks for a signal) */
	struct bpf_program *loading; /* the program libbpf is loading (load.c) */
};

/* After a stop signal, queued events get this long in all, and the output this long
 * without progress: nfsq exits within 1 s unless its reader is still reading. */
#define RT_STOP_MS 800

/* Milliseconds on the monotonic clock. */
double rt_now_ms(void);
/* Reads the pending SIGINT / SIGTERM from r->sigfd; the first one starts stopping. */
void rt_take_signals(struct rt *r);
/* The output stream over fd (r->out), buffered as stdio would buffer fd. NULL on error. */
FILE *rt_out_open(struct rt *r, int fd);

/* fflush(r->out), noting why it failed in r->out_errno (glibc drops the data and
 * keeps only the error flag: errno must be taken at once). */
void rt_out_flush(struct rt *r);

/* output.c (maps are read by snapshot.c: snapshot.h) */
/* Prints @m (the top entries when top > 0); with take, emptying it as it is read
 * (print(@m); clear(@m) compiled as one, LAYOUT_EV_PRINT_CLEAR). 0 on success. */
int rt_print_map(struct rt *r, unsigned id, uint64_t top, bool take);
/* Prints every non-empty map, in name order (bpftrace's order). */
void rt_print_maps(struct rt *r);
/* Formats one printf event (the record after the id). */
void rt_printf_event(struct rt *r, const struct printf_info *pi, const uint8_t *rec,
		     size_t size);
/* A value of type t at p as text: a string, a tuple "(1, a)" (JSON: [1,"a"]), a number. */
void rt_fmt_typed(struct rt_buf *b, struct type t, const uint8_t *p, bool json);
/* The drop counters, reported on stderr. */
void rt_report_drops(struct rt *r);

/* snapshot.c */
/* Empties map id (an array map's entries are zeroed). 0 or a negative errno. */
int rt_clear_map(struct rt *r, unsigned id);
/* Sets every value of map id to 0, keeping its keys (zero()). 0 or a negative errno. */
int rt_zero_map(struct rt *r, unsigned id);

/* load.c */
/* Opens r->obj's ELF with libbpf (r->bobj, r->bprogs) and loads it into the kernel; a
 * failure is reported (a program the verifier refused: at the script's line:col). */
int rt_load(struct rt *r);

/* verifier.c */
/* Explains a rejected program: the script line:col of the failing instruction
 * (from the object's BTF line info) and the last lines of the verifier log. */
void rt_report_verifier(struct rt *r, const struct ct_prog *p, const char *section,
			const char *log);

#endif
