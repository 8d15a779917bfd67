/* rt.h - runtime internals shared by run.c, output.c and verifier.c. */
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

struct rt {
	const struct ct_object *obj;
	const struct run_options *o;
	struct bpf_object *bobj;
	int *map_fds;          /* per program map (map_info.id) */
	int drops_fd;
	int ncpus;
	bool exiting;          /* stopping: exit(), a signal, or the -c / -p process ended */
	bool exit_called;      /* exit() seen: the events after it are ignored */
	unsigned burst;        /* events left before the ring buffer hands back (0: no limit) */
	int errors;            /* output errors */
};

/* output.c */
/* One map entry with its per-CPU values summed (see layout.h for v[]). */
struct rt_ent {
	const uint8_t *key;
	int64_t v[4];
	const uint8_t *str; /* AGG_NONE string value */
};

struct rt_map_data {
	const struct map_layout *l;
	uint8_t *keys, *vals;
	struct rt_ent *ents;
	unsigned n;
	double t[3]; /* ms: reading started, read, summed and sorted (for -v) */
};

/* Reads every entry of map l (fd) into d->keys / d->vals (d->n entries; an array map
 * comes back with the logical keys of a hash map). Thread-safe: used by --serve. */
int rt_read_raw(struct rt *r, const struct map_layout *l, int fd, struct rt_map_data *d);
/* Sums one entry's per-CPU values (raw: its stride of d->vals) into e->v / e->str. */
void rt_sum(struct rt *r, const struct map_layout *l, const uint8_t *raw, struct rt_ent *e);
/* Key order: the key tuple, then the bucket. */
int rt_cmp_keys(const struct map_layout *l, const uint8_t *a, const uint8_t *b);
/* Prints @m (the top entries when top > 0). 0 on success. */
int rt_print_map(struct rt *r, unsigned id, uint64_t top);
/* Prints every non-empty map, in name order (bpftrace's order). */
void rt_print_maps(struct rt *r);
int rt_clear_map(struct rt *r, unsigned id);
/* Formats one printf event (the record after the id). */
void rt_printf_event(struct rt *r, const struct printf_info *pi, const uint8_t *rec,
		     size_t size);
/* The drop counters, reported on stderr. */
void rt_report_drops(struct rt *r);

/* verifier.c */
/* Explains a rejected program: the script line:col of the failing instruction
 * (from the object's BTF line info) and the last lines of the verifier log. */
void rt_report_verifier(struct rt *r, const struct ct_prog *p, const char *section,
			const char *log);

#endif
