/* snapshot.h - reading maps: one snapshot of a map is every entry it holds, its per-CPU
 * values summed, in the order a printer wants. The printers (output.c: text and JSON,
 * prom.c: Prometheus) only format snapshots; this is the one place that knows how a
 * map is read (batch lookups, get_next_key fallback, array maps) and sorted.
 *
 * Thread-safe: a snapshot only reads the map fds and the layouts of struct rt, so
 * --serve takes them on its own thread while run.c prints. */
#ifndef NFSQ_SNAPSHOT_H
#define NFSQ_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt.h"

/* One map entry with its per-CPU values summed (see layout.h for v[]). */
struct rt_ent {
	const uint8_t *key;
	int64_t v[4];
	const uint8_t *str; /* AGG_NONE string value */
};

enum rt_snap_order {
	/* bpftrace's print order: by value (avg: the average; a string value: as strncmp
	 * orders it), ties by key; a hist / lhist map by key (its histograms in key order) */
	RT_SNAP_BY_VALUE,
	/* by key: the key tuple, then the bucket */
	RT_SNAP_BY_KEY,
};

struct rt_snap {
	const struct map_layout *l;
	uint8_t *keys, *vals; /* as read: n keys (an array map's logical keys), n raw values */
	struct rt_ent *ents;  /* n entries, in the order asked for (pointing into keys, vals) */
	unsigned n;
	double t[3]; /* ms: reading started, read, summed and sorted (for -v) */
};

/* Reads map id of r into s, sorted in order; with take, deleting each entry as it is
 * read (print and clear as one: an update meanwhile is in the map for the next read).
 * 0, or a negative errno with s empty. s is released with rt_snap_free. */
int rt_snap_read(struct rt *r, unsigned id, enum rt_snap_order order, bool take, struct rt_snap *s);
void rt_snap_free(struct rt_snap *s);
/* -v: "nfsq: @m: N entries read in .. ms, sorted in .. ms, printed in .. ms" on stderr
 * (printed: since the snapshot was taken). */
void rt_snap_log_times(const struct rt_snap *s);

/* hist / lhist: the end of the run of entries from `from` on that share its key tuple
 * (one histogram; the runs are whole in either order). */
unsigned rt_snap_group_end(const struct rt_snap *s, unsigned from);
/* Key order: the key tuple, then the bucket. */
int rt_snap_cmp_keys(const struct map_layout *l, const uint8_t *a, const uint8_t *b);

/* The integer key word at offset off of a key. */
static inline int64_t rt_snap_key_int(const uint8_t *key, uint32_t off)
{
	int64_t v;

	memcpy(&v, key + off, 8);
	return v;
}

/* The bucket index of a hist / lhist entry. */
static inline unsigned rt_snap_bucket(const struct map_layout *l, const struct rt_ent *e)
{
	return (unsigned)rt_snap_key_int(e->key, l->bucket_offset);
}

/* avg: the average of an entry (0 before any update). */
static inline int64_t rt_snap_avg(const struct rt_ent *e)
{
	return e->v[1] ? e->v[0] / e->v[1] : 0;
}

/* The sum over the CPUs of drop counter `key` (layout.h), 0 when it cannot be read;
 * cpuvals is room for r->ncpus values. */
uint64_t rt_snap_drop(struct rt *r, uint32_t key, uint64_t *cpuvals);

/* How many times the kernel skipped program i (r->obj->progs[i]) instead of running it:
 * the program was already running on that CPU (a preemptible kernel lets another thread
 * in mid-program; or the event fired nested, from an interrupt). The kernel's count
 * (bpf_prog_info.recursion_misses, Linux 5.12+); 0 when it cannot be read. */
uint64_t rt_snap_missed(struct rt *r, unsigned i);

#endif
