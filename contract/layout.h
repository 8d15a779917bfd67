/* layout.h - the one description of every map's key and value layout, and of the
 * ring-buffer events: codegen writes what these say, the runtime reads and prints it.
 *
 * Keys are a tuple of the map's key expressions, each 8-byte aligned: an integer is a
 * 64-bit word, a string its size rounded up to 8 (zero padded after the NUL). hist and
 * lhist maps add a u64 bucket index after the tuple (like bpftrace). A map without keys
 * (and without buckets) has one u64 key, 0. Values depend on the aggregation:
 *
 *   AGG_NONE         the stored value: s64, or a string of size rounded up to 8
 *   count sum        u64 / s64
 *   hist lhist       u64 count of the bucket
 *   avg              { s64 sum; u64 count; }
 *   min max          { s64 value; u64 set; }        (set: 0 until the first update)
 *   stats            { u64 count; s64 sum; s64 min; s64 max; }
 *
 * Aggregations live in per-CPU hash maps (summed by the runtime), AGG_NONE maps in a
 * plain hash map. Exception, for speed: an aggregation without keys (other than sum)
 * lives in a per-CPU array (l->array), whose u32 index is the bucket (hist, lhist) or
 * 0: the verifier inlines array lookups, and no entry has to be created. An array
 * entry is never absent, so the runtime takes an all-zero value for "never updated"
 * (exact for these aggregations: each update sets a count or a set flag) and hands the
 * printers the same logical key as for a hash map (u64 bucket at bucket_offset 0).
 * Likewise an integer AGG_NONE map without keys (`@n += 1`, `@last = x`) lives in a plain
 * array of one { s64 value; u64 set; } (LAYOUT_SCALAR_SET: 1 once written, 0 again
 * when clear() zeroes it): a counter bumped on every event costs no hash lookup. */
#ifndef NFSQ_LAYOUT_H
#define NFSQ_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/arena.h"
#include "object.h"

/* BPF map types used (values of enum bpf_map_type). */
#define LAYOUT_MAP_HASH 1
#define LAYOUT_MAP_ARRAY 2
#define LAYOUT_MAP_PERCPU_HASH 5
#define LAYOUT_MAP_PERCPU_ARRAY 6
#define LAYOUT_MAP_LRU_HASH 9
#define LAYOUT_MAP_RINGBUF 27

#define LAYOUT_HIST_NBUCKETS 65          /* hist buckets: negative, 0, then 2 + log2 (0..63) */
#define LAYOUT_ARRAY_MAX 1024            /* lhist without keys: an array up to this many buckets */
#define LAYOUT_LHIST_MAX 1000            /* lhist: at most this many buckets inside min..max */
#define LAYOUT_MAP_SIZE_DEFAULT 4096     /* entries per map unless --map-size */
#define LAYOUT_RINGBUF_SIZE (256u << 10) /* bytes of the event ring buffer (printf) */
#define LAYOUT_RINGBUF_SMALL (16u << 10) /* without printf: exit/print/clear events only */

/* Value offsets. */
#define LAYOUT_AVG_SUM 0
#define LAYOUT_AVG_COUNT 8
#define LAYOUT_MINMAX_VALUE 0
#define LAYOUT_MINMAX_SET 8
#define LAYOUT_STATS_COUNT 0
#define LAYOUT_STATS_SUM 8
#define LAYOUT_STATS_MIN 16
#define LAYOUT_STATS_MAX 24
#define LAYOUT_SCALAR_SET 8 /* an AGG_NONE integer without keys (see above) */

/* Ring-buffer events: a u64 id first. Below LAYOUT_EV_EXIT it is a printf id
 * (printf_info.id) followed by the arguments at the offsets of printf_info. */
#define LAYOUT_EV_EXIT 0x100000000ull  /* exit(): stop, run END, print maps; then u64 code (exit(code)) */
#define LAYOUT_EV_PRINT 0x200000000ull /* | map id; then u64 top (0 = all) */
#define LAYOUT_EV_CLEAR 0x300000000ull /* | map id */
#define LAYOUT_EV_ZERO 0x400000000ull  /* | map id: every value 0 (zero()) */
#define LAYOUT_EV_PRINT_CLEAR 0x500000000ull /* | map id; then u64 top: print(@m) and the
					      * clear(@m) after it, one read that deletes
					      * each entry as it reads it */
#define LAYOUT_EV_KIND_MASK 0xffffffff00000000ull
#define LAYOUT_EV_PRINT_SIZE 16
#define LAYOUT_EV_SIZE 8

/* The per-CPU u64 counters of the drop map: one per program map (updates that
 * failed because the map was full), then these. */
#define LAYOUT_DROP_RINGBUF(nmaps) (nmaps)     /* events lost: ring buffer full */
#define LAYOUT_DROP_START(nmaps) ((nmaps) + 1) /* start events lost: start map full */
#define LAYOUT_DROP_CUT(nmaps) ((nmaps) + 2)   /* kernel strings cut to their field's size */
#define LAYOUT_DROP_STACK(nmaps) ((nmaps) + 3) /* stacks lost: stack map full */
#define LAYOUT_NDROPS(nmaps) ((nmaps) + 4)

/* kstack and ustack values (TYPE_KSTACK, TYPE_USTACK) are a u64: the low
 * LAYOUT_STACK_HASH_BITS a hash of the stack's frames (0: the stack was lost), then a bit
 * for perf's format, then (ustack) the pid whose addresses they are. The frames are in
 * the stack map (CT_STACKS_NAME), a hash map from the hash to a u64 frame count and the
 * frames' addresses, filled with BPF_NOEXIST. bpf_get_stackid's stack map is not used:
 * stacks whose ids collide there are lost, or (BPF_F_REUSE_STACKID) silently replaced.
 * Two different stacks with one 39-bit hash would print as one: among 10,000 different
 * stacks that happens with a probability of about 1e-4. */
#define LAYOUT_STACK_MAX 127 /* frames kept, the kernel's default perf_event_max_stack */
#define LAYOUT_STACK_SIZE (8 * (1 + LAYOUT_STACK_MAX))
#define LAYOUT_STACK_HASH_BITS 39
#define LAYOUT_STACK_HASH_MASK ((1ull << LAYOUT_STACK_HASH_BITS) - 1)
#define LAYOUT_STACK_PERF (1ull << LAYOUT_STACK_HASH_BITS)
#define LAYOUT_STACK_PID_SHIFT 40

/* The run's configuration (an array map of one value), written by the runtime after
 * loading the object and before attaching it. */
#define LAYOUT_CFG_CPID 0   /* s64: pid of the -c command */
#define LAYOUT_CFG_PID 8    /* s64: the -p process (the filter is compiled in only with -p) */
#define LAYOUT_CFG_START 16 /* u64: CLOCK_MONOTONIC ns, origin of the elapsed builtin */
#define LAYOUT_CFG_SIZE 24

struct layout_key {
	struct type type;
	uint32_t offset; /* in the key */
	uint32_t size;   /* bytes reserved: 8, or a string's size rounded up to 8 */
};

struct map_layout {
	const struct map_info *info;
	char obj_name[16]; /* name of the map in the BPF object, e.g. "m0_bytes" */
	unsigned nkeys;
	struct layout_key *keys;
	bool has_bucket; /* hist / lhist */
	uint32_t bucket_offset;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t map_type; /* LAYOUT_MAP_HASH, _PERCPU_HASH, _PERCPU_ARRAY or _ARRAY */
	bool percpu;
	bool array;           /* an array indexed by a u32, per-CPU unless a scalar (see above) */
	uint32_t max_entries; /* array: its entries (hash maps: the run's map size) */
	uint32_t nbuckets;    /* lhist: buckets including the under/overflow ones */
};

static inline uint32_t layout_round8(uint32_t n)
{
	return (n + 7) & ~7u;
}
/* Bytes a value of type t takes in a key, record or buffer. */
static inline uint32_t layout_type_size(struct type t)
{
	return t.kind == TYPE_STR ? layout_round8(t.size) : t.kind == TYPE_TUPLE ? t.size : 8;
}

/* Fills l for map m (keys allocated from a). */
void layout_map(struct arena *a, const struct map_info *m, struct map_layout *l);

/* hist: the bucket of a value: 0 for v < 0, 1 for 0, 2 + floor(log2 v) above. */
unsigned layout_hist_bucket(int64_t v);
/* The bucket's label: "(..., 0)", "[0]", "[1]", "[2, 4)", "[1K, 2K)". */
void layout_hist_label(unsigned bucket, char *buf, unsigned len);
/* Inclusive bounds of a hist bucket (lo = INT64_MIN for the negative one). */
void layout_hist_bounds(unsigned bucket, int64_t *lo, int64_t *hi);
/* lhist: 0 below min, 1 + (v - min) / step inside, nbuckets - 1 at or above max. */
unsigned layout_lhist_bucket(const struct map_layout *l, int64_t v);
void layout_lhist_label(const struct map_layout *l, unsigned bucket, char *buf, unsigned len);
void layout_lhist_bounds(const struct map_layout *l, unsigned bucket, int64_t *lo, int64_t *hi);

#endif
