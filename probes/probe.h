/* probe.h - the probe catalogue: names, typed fields, kernel attach points, docs.
 *
 * Built-in probes (nfs.read, rpc.done, ...) are rows of a static table
 * (catalogue.c), looked up by exact name. Raw probes (tracepoint:, kprobe:)
 * get a definition built from the running kernel (tracefs format files). */
#ifndef NFSQ_PROBE_H
#define NFSQ_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lang/arena.h"
#include "../lang/types.h"

enum field_src {
	FIELD_TP,      /* tracepoint record: offset/size/is_signed; a string is a char
			  array (size bytes) or a __data_loc (u32: len << 16 | offset) */
	FIELD_ARG,     /* kprobe argument register number `index` (arg0..arg5) */
	FIELD_RETVAL,  /* kretprobe return value */
	FIELD_LATENCY, /* end time - start time of a paired probe, ns */
	FIELD_KERNEL,  /* read by a recipe of the built-in probe (see catalogue.c) */
};

struct probe_field {
	const char *name;
	struct type type;
	const char *doc;
	enum field_src src;
	uint32_t offset, size; /* FIELD_TP */
	bool is_signed;        /* FIELD_TP */
	bool data_loc;         /* FIELD_TP string stored as __data_loc */
	unsigned index;        /* FIELD_ARG */
};

enum attach_kind {
	ATTACH_TRACEPOINT, /* "category:event" */
	ATTACH_KPROBE,     /* kernel function entry */
	ATTACH_KRETPROBE,  /* kernel function return */
	ATTACH_FENTRY,     /* BTF-typed entry (where the kernel supports it) */
	ATTACH_FEXIT,      /* BTF-typed return */
};

/* One way of attaching: a single event, or a start/end pair that gives latency. */
struct probe_attach {
	enum attach_kind kind;
	const char *target;     /* the event (or the start event of a pair) */
	enum attach_kind end_kind;
	const char *end_target; /* NULL unless the probe spans start to end */
};

enum probe_layer {
	LAYER_NONE,      /* not an NFS probe (raw, BEGIN/END, tests) */
	LAYER_NFS,       /* NFS client, VFS entry points */
	LAYER_NFS_IO,    /* NFS client page-cache I/O */
	LAYER_RPC,       /* sunrpc client and transport */
	LAYER_NFSD,      /* NFS server */
};

struct probe_def {
	const char *name;       /* "nfs.read" */
	enum probe_layer layer;
	const char *module;     /* kernel module it needs: "nfs", "sunrpc", "nfsd", or NULL */
	const char *summary;    /* one line, for -l */
	const char *doc;        /* where it sits in the NFS stack and what latency covers, for -lv */
	const struct probe_field *fields;
	unsigned nfields;
	const struct probe_attach *attach; /* alternatives, most preferred first */
	unsigned nattach;
	bool hidden;            /* test-only probes, not listed by -l */
};

/* Builtin probes. */
unsigned probe_count(void);
const struct probe_def *probe_at(unsigned i);
const struct probe_def *probe_lookup(const char *name);
const struct probe_field *probe_field_find(const struct probe_def *p, const char *name);
/* Names of all built-in probes (NULL-terminated, static), for "did you mean". */
const char *const *probe_names(void);

/* The tracefs directory (mounting tracefs when root and it is missing), or NULL
 * with a message in err. */
const char *probe_tracefs(char *err, size_t errlen);
/* A definition for tracepoint:category:event from its tracefs format file.
 * NULL with a message in err when it does not exist or cannot be read. */
const struct probe_def *probe_tracepoint(struct arena *a, const char *target, char *err,
					 size_t errlen);
/* A definition for kprobe:fn (arg0..arg5) or kretprobe:fn (retval). */
const struct probe_def *probe_kprobe(struct arena *a, const char *fn, bool ret);



/* Whether p can be attached on the running kernel: the index of the first
 * usable attach alternative, or -1 with the reason in why. */
int probe_available(const struct probe_def *p, char *why, size_t whylen);
#endif
