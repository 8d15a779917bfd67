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

#include "../base/arena.h"
#include "../base/types.h"

enum field_src {
	FIELD_TP,      /* tracepoint record: offset/size/is_signed; a string is a char
			  array (size bytes) or a __data_loc (u32: len << 16 | offset) */
	FIELD_ARG,     /* kprobe argument register number `index` (arg0..arg5) */
	FIELD_RETVAL,  /* kretprobe return value */
	FIELD_LATENCY, /* end time - start time of a paired probe, ns */
	FIELD_KERNEL,  /* catalogue only: read by a recipe, resolved per kernel into FIELD_READ */
	FIELD_READ,    /* a resolved kernel read: see struct field_read */
	FIELD_UNAVAIL, /* resolved: cannot be read on this kernel (probe_field.unavail says why) */
};

/* Where a resolved read starts. */
enum read_base {
	READ_BASE_ARG, /* argument `index`: kprobe register, or raw tracepoint args[index] */
	READ_BASE_RET, /* the return value (kretprobe) */
	READ_BASE_TP,  /* the tracepoint record (ctx) */
	READ_BASE_SAVED, /* the end of a pair: the value its attach point's `saved` recipe had at the start */
	READ_BASE_CUR,   /* the entry a list walk is at (READ_RPCMOUNT's `then`) */
};

/* What the read ends with. */
enum read_final {
	READ_VALUE,  /* the value reached (base or after the derefs) as an integer */
	READ_INT,    /* `size` bytes at ptr + off */
	READ_STR,    /* the char array at ptr + off (a string) */
	READ_STRPTR, /* the char * at ptr + off, then the string it points to */
	READ_STR_AT, /* the value reached is a char *: the string it points to */
	READ_CONST,  /* the integer `value`, or the string `text` */
	READ_SELECT, /* (sel == value) != negate ? then : els (integers, or strings) */
	READ_ADDR,   /* ptr + off: the address of the struct reached (a path's mount) */
	READ_PATH,   /* the path of dentry `sel` in mount `then` (a struct mount *), walked up
			to the root of its mount tree as d_path does (struct path_offs) */
	READ_RPCMOUNT, /* the string `then` of the NFS super_block whose server's RPC client is
			  `sel` (else the first whose nfs_client's is): struct rpcmount_offs */
	READ_STAMP,    /* ns since the probe's stamp program stamped key `sel` (0: it did not);
			  the stamp is taken (deleted) */
	READ_SPAN,     /* the bytes from offset `sel` to offset `then` inclusive, 0 when `then` is
			  past any file (OFFSET_MAX, or negative as a u64's all ones): a byte
			  range's length, 0 meaning to the end of the file */
};

/* The list walk of READ_RPCMOUNT: the kernel's super_blocks list (its address) and the
 * members read on the way, at their offsets on this kernel. */
struct rpcmount_offs {
	uint64_t head;                     /* &super_blocks */
	int32_t s_list, s_magic, s_fs_info; /* struct super_block */
	int32_t client, client_acl, nfs_client; /* struct nfs_server (client_acl: -1 when the
						   kernel has no NFSv3 ACL support) */
	int32_t cl_rpcclient;              /* struct nfs_client */
};
#define RPCMOUNT_MAX_SB 256 /* super_blocks walked (a bigger list names no mount past them) */

/* The members a path walk reads (READ_PATH), at their offsets on this kernel. */
struct path_offs {
	int32_t d_parent, d_name, d_len;       /* struct dentry: d_parent, d_name.name, d_name.len */
	int32_t mnt_root, mnt_parent, mnt_mountpoint; /* struct mount: mnt.mnt_root, mnt_parent, mnt_mountpoint */
};

enum read_xform {
	XFORM_NONE,
	XFORM_ERRNO,    /* v < 0 ? -v : 0 (an error return to an errno) */
	XFORM_ERR_PTR,  /* -4095 <= v < 0 ? -v : 0 (an ERR_PTR return to an errno) */
	XFORM_POSITIVE, /* v > 0 ? v : 0 (bytes moved, from a return value) */
	XFORM_BE32,     /* a big-endian u32 (an XID on the wire) to host order */
	XFORM_BE16,     /* a big-endian u16 (a port in a socket) to host order */
	XFORM_SINCE,    /* bpf_ktime_get_ns() - v (a ktime_t start stamp to a duration) */
	XFORM_ABS,      /* v < 0 ? -v : v (an errno recorded either way) */
	XFORM_BIT,      /* (v >> value) & 1 (a flag bit) */
};

#define READ_MAX_DEREF 8

/* A field read resolved against the running kernel's BTF:
 * ptr = base; for each deref: ptr = *(u64 *)(ptr + deref[i]) (bpf_probe_read_kernel);
 * then `final`. Integers are then transformed and scaled. */
struct field_read {
	enum read_base base;
	unsigned index; /* READ_BASE_ARG */
	unsigned nderef;
	int32_t deref[READ_MAX_DEREF];
	enum read_final final;
	int32_t off;   /* READ_INT, READ_STR, READ_STRPTR */
	uint32_t size; /* READ_INT: 1, 2, 4, 8; READ_STR: array size */
	bool is_signed;
	enum read_xform xform;
	int64_t scale;                             /* multiply integers by this (0 = 1) */
	bool at_start;                             /* read at the start event of a pair, carried to the end */
	char strip[9];                             /* READ_STRPTR, READ_STR_AT: a prefix dropped when present */
	int64_t value;                             /* READ_CONST; READ_SELECT: what sel is compared with; XFORM_BIT: the bit */
	const char *text;                          /* READ_CONST of a string field */
	bool negate;                               /* READ_SELECT: != rather than == */
	const struct field_read *sel, *then, *els; /* READ_SELECT; READ_PATH, READ_RPCMOUNT, READ_SPAN: sel, then */
	struct path_offs path;                     /* READ_PATH */
	struct rpcmount_offs rpcmount;             /* READ_RPCMOUNT */
	const struct probe_stamp *stamp;           /* READ_STAMP: whose */
};

struct probe_field {
	const char *name;
	struct type type;
	const char *doc;
	enum field_src src;
	uint32_t offset, size;  /* FIELD_TP */
	bool is_signed;         /* FIELD_TP */
	bool data_loc;          /* FIELD_TP string stored as __data_loc */
	unsigned index;         /* FIELD_ARG */
	struct field_read read; /* FIELD_READ */
	bool at_start;          /* FIELD_TP of a pair: read from the start event's record */
	const char *instead;    /* catalogue: what else gives the same information, where this
				   field cannot be had on a kernel */
	const char *unavail;    /* FIELD_UNAVAIL: why, on this kernel */
	const struct field_recipe *recipe; /* resolved: the recipe used on this kernel */
};

/* How a built-in probe's field is computed for one attach alternative (a field may have
 * several recipes, most preferred first: the first that fits the kernel's types is used):
 *   "ret"                                                      the return value
 *   "tp.NAME" "tp.NAME*1000"                                   a tracepoint record field
 *   "arg(struct kiocb)->ki_filp->f_path.dentry->d_name.name"   a BTF path from the argument
 *                                                              whose type is that struct pointer
 *   "arg1->...", "...->f_path.mnt:container(struct mount, mnt).mnt_devname"
 *   a suffix transforms an integer: ":errno" ":err_ptr" ":positive" ":be32" ":be16" ":since" ":abs" ":bit(N)"
 *   or a string read through a pointer: ":strip(OP_)" drops that prefix (at most 8 bytes)
 *   "A == N ? B : C" (or !=) chooses between two integer recipes (C may be another choice);
 *   B and C may be decimal constants
 *   "path(D | M)": the full path of dentry D (a struct dentry * recipe) in mount M (a recipe
 *   giving a struct mount *, or the struct itself: "...->f_path.mnt:container(struct mount, mnt)")
 *   "rpcmount(C | S)": string S of the NFS mount whose RPC client is C (a struct rpc_clnt *
 *   recipe); S starts at "cur(struct super_block)", the mount's super_block
 *   "elapsed": a pair's ns from its start to its end (what a latency field is on pairs)
 *   "stamp(K)": ns since the attach alternative's stamp program stamped key K (an integer
 *   recipe, a pointer), 0 when it has not; reading takes the stamp
 * at_start: read when the start event fires (arguments are gone at the return); or
 * RECIPE_STABLE: the same, but the value cannot change during the call (a file's name
 * while the call holds the file), so where the end event has the arguments too (fexit)
 * it is read there instead, only by the clauses that use it, not kept in the start record. */
#define RECIPE_STABLE 2
struct field_recipe {
	const char *field;
	const char *how;
	unsigned char at_start; /* false, true or RECIPE_STABLE */
};

/* The kernel attaches at most this many BPF programs to one tracepoint
 * (BPF_TRACE_MAX_PROGS; one more fails with E2BIG): checked before loading, on the
 * programs after fusion (codegen puts up to 64 clauses in one). */
#define PROBE_TRACEPOINT_MAX_PROGS 64
#define PROBE_TRACEPOINT_MAX_MSG                                                              \
	"too many programs on tracepoint %s: the kernel attaches at most %d BPF programs to " \
	"one tracepoint, nfsq puts up to 64 clauses in each (fewer when they use many maps), " \
	"and this clause's is one more; put fewer clauses on this probe, or merge them"

enum attach_kind {
	ATTACH_TRACEPOINT,     /* "category:event" */
	ATTACH_KPROBE,         /* kernel function entry */
	ATTACH_KRETPROBE,      /* kernel function return */
	ATTACH_FENTRY,         /* BTF-typed entry (where the kernel supports it) */
	ATTACH_FEXIT,          /* BTF-typed return */
	ATTACH_RAW_TRACEPOINT, /* "event": the tracepoint's C arguments (BTF typed) */
	ATTACH_PROFILE,        /* "hz:99", "ms:10": a timer on every CPU (perf's cpu-clock) */
};

/* The links a program's attach made: one per attach point, one per CPU for profile. */
struct probe_links {
	struct bpf_link **v;
	unsigned n, cap;
};
/* Adds link (NULL: errno is the attach's failure). 0, or -1 with errno. */
int probe_links_add(struct probe_links *l, struct bpf_link *link);
/* Destroys every link (detaching the programs) and frees the vector. */
void probe_links_free(struct probe_links *l);

/* Everything that depends on the kind of an attach point, in one row per kind (attach.c):
 * a new kind of probe (a uprobe, a classic tracepoint fallback) is one more row. */
enum attach_args {
	ATTACH_ARGS_NONE,  /* the C arguments cannot be read here */
	ATTACH_ARGS_REGS,  /* in the pt_regs registers (the first six) */
	ATTACH_ARGS_ARRAY, /* ctx is the array of u64 arguments */
};
enum attach_ret {
	ATTACH_RET_NONE,       /* no return value here */
	ATTACH_RET_REG,        /* in pt_regs' ax */
	ATTACH_RET_AFTER_ARGS, /* in the u64 array, after the arguments */
};
struct bpf_program;
struct bpf_link;
struct attach_ops {
	const char *name;      /* "tracepoint", "kprobe", ... */
	const char *section;   /* the program's ELF section: this, then the target (':' as '/') */
	bool record;           /* ctx is the tracepoint's record (fields at its format's offsets) */
	enum attach_args args; /* where the function's (or raw tracepoint's) arguments are */
	bool btf;              /* the target is typed by the kernel's BTF (fentry, fexit) */
	enum attach_ret ret;   /* where the return value is */
	/* whether target exists on this kernel (tracefs is where tracefs is mounted); else why */
	bool (*available)(const char *tracefs, const char *target, char *why, size_t whylen);
	/* attaches a loaded program to target (libbpf), adding its links to out: 0, or -1 with
	 * errno on failure (the links made before it stay in out) */
	int (*attach)(struct bpf_program *bp, const char *target, struct probe_links *out);
	int missing[5];           /* errnos of a failed attach that mean "not on this kernel" (0 ends) */
	const char *missing_hint; /* then the reason, with %s for the target */
};
const struct attach_ops *attach_ops(enum attach_kind k);
/* The kind as scripts and listings spell it ("raw_tracepoint:", "fexit:"). */
const char *attach_kind_name(enum attach_kind k);

/* The availability checks of the rows (avail.c). */
bool avail_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen);
bool avail_raw_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen);
bool avail_function(const char *tracefs, const char *fn, char *why, size_t whylen);
bool avail_btf_function(const char *tracefs, const char *target, char *why, size_t whylen);
bool avail_profile(const char *tracefs, const char *target, char *why, size_t whylen);

/* A third event before a pair's start: a program of its own, at kind:target, that keeps
 * the time of its last event per key (a pointer) where guard is not 0, for the pair's
 * "stamp(K)" recipes to read (e.g. when a transport was queued, read when a thread takes
 * it). Its key and guard are recipes read at that event; proto as struct probe_attach's. */
struct probe_stamp {
	enum attach_kind kind;
	const char *target;
	const char *key, *guard, *proto;
};

/* One way of attaching: a single event, or a start/end pair that gives latency. */
struct probe_attach {
	enum attach_kind kind;
	const char *target; /* the event (or the start event of a pair) */
	enum attach_kind end_kind;
	const char *end_target;             /* NULL unless the probe spans start to end */
	const struct field_recipe *recipes; /* one per FIELD_KERNEL field */
	unsigned nrecipes;
	const char *const *pair_key; /* two tracepoint fields that pair start and end (else the thread) */
	bool chain;                  /* the end event may repeat: each one measures from the previous (or the start)
		       and the at-start fields stay for the next (e.g. the ops of one compound) */
	const char *guard;           /* a recipe read at the end: the event counts only when it is not 0 */
	const char *saved;           /* a pair: an integer recipe read at the start and kept, which recipes
					read at the end use as "saved" or as the pointer "saved(struct X)"
					(a kretprobe has lost the arguments a fexit still sees) */
	const char *proto;           /* kprobes: the function's C prototype ("int (struct inode *, struct
				        file *)") as Linux 5.10 and older have it, used there when the
				        kernel has no BTF for the module (module BTF came in 5.11); raw
				        tracepoints too ("void (struct rpc_task *, ktime_t)", without the
				        private data argument) */
	const char *end_proto;       /* the end event's, where it differs (a raw tracepoint pair) */
	unsigned group;              /* attach_all: the first usable alternative of each group is attached */
	const struct probe_stamp *stamp; /* a pair: the stamp program its recipes read (NULL: none) */
};

enum probe_layer {
	LAYER_NONE,   /* not an NFS probe (raw, BEGIN/END, tests) */
	LAYER_NFS,    /* NFS client, VFS entry points */
	LAYER_NFS_IO, /* NFS client page-cache I/O */
	LAYER_RPC,    /* sunrpc client and transport */
	LAYER_NFSD,   /* NFS server */
};

struct probe_def {
	const char *name; /* "nfs.read" */
	enum probe_layer layer;
	const char *module;  /* kernel module it needs: "nfs", "sunrpc", "nfsd", or NULL */
	const char *summary; /* one line, for -l */
	const char *doc;     /* where it sits in the NFS stack and what latency covers, for -lv */
	const struct probe_field *fields;
	unsigned nfields;
	const struct probe_attach *attach; /* alternatives, most preferred first */
	unsigned nattach;
	bool hidden;                    /* test-only probes, not listed by -l */
	bool attach_all;                /* attach the first available alternative of every group, not just
				   the first (e.g. nfs.open: v4 files open through nfs4_file_open or
				   nfs_atomic_open, v3 through nfs_file_open) */
	const struct probe_def *also;   /* probe_resolve: the next resolved alternative (attach_all) */
	const struct field_read *guard; /* probe_resolve: the attach alternative's guard, resolved */
	const struct field_read *saved; /* probe_resolve: its saved recipe, resolved */
	const struct field_read *stamp_key, *stamp_guard; /* probe_resolve: its stamp's (guard: NULL
							     when none) */
};

/* Whether recipe rc is read at the start event of attach alternative at (see
 * struct field_recipe). */
bool probe_recipe_at_start(const struct field_recipe *rc, const struct probe_attach *at);

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
/* A definition for tracepoint:category:event from its tracefs format file, read once per
 * process and kept for its life. NULL with a message in err when it does not exist or
 * cannot be read. */
const struct probe_def *probe_tracepoint(const char *target, char *err, size_t errlen);
/* Of n programs on the tracepoints targets[0..n-1] (in order), the indexes of those
 * that are one too many for their tracepoint (the 65th) go to over[] (room for n),
 * ascending; returns how many. O(n log n). */
unsigned probe_tracepoint_excess(const char *const *targets, unsigned n, unsigned *over);
/* The tracepoints ("cat:event", glob "sched:sched_*") or the traceable kernel functions
 * (glob "nfs_*") whose names match glob (fnmatch(3)), sorted, each once: at most max of
 * them in out (strings from a), and the count of all; SIZE_MAX when the list cannot be
 * read (tracefs, available_filter_functions). */
size_t probe_glob(struct arena *a, bool functions, const char *glob, const char **out, size_t max);
/* A definition for kprobe:fn (arg0..arg5) or kretprobe:fn (retval). */
const struct probe_def *probe_kprobe(struct arena *a, const char *fn, bool ret);
/* A definition for fentry:fn (its arguments by their names, typed by the kernel's BTF:
 * integers, strings where they point to characters) or fexit:fn (and retval). NULL with
 * the reason in err when fn has no BTF prototype here. */
const struct probe_def *probe_fentry_def(struct arena *a, const char *fn, bool exit, char *err,
				     size_t errlen);
/* kprobe:fn's definition, its arguments also by their names where the kernel's BTF has
 * fn's prototype (read from the argument registers, typed; members through them). */
const struct probe_def *probe_kprobe_typed(struct arena *a, const char *fn, bool ret);
/* p (an fentry/fexit definition) with one more field, `path`: an argument's members
 * ("file->f_inode->i_ino", "iocb->ki_filp->f_path.dentry"), read by BTF. NULL with the
 * reason in err. */
const struct probe_def *probe_member(struct arena *a, const struct probe_def *p, const char *path,
				     char *err, size_t errlen);

/* The definition of built-in probe p for the running kernel, for a script that reads the
 * fields used[0..nused-1]: the first attach alternative whose events exist and where each
 * of these fields has a recipe that fits the kernel; with attach_all, such an alternative
 * of every group, chained by `also`. Every other field is resolved where it can be, or is
 * FIELD_UNAVAIL with the reason. NULL with the reason in err when no attach point exists
 * (*bad = -1), or when a used field cannot be had (*bad = its index in used[]). */
const struct probe_def *probe_resolve(struct arena *a, const struct probe_def *p,
				      const char *const *used, unsigned nused, int *bad, char *err,
				      size_t errlen);
/* probe_resolve, where an alternative that fits may be passed over: accept(ctx, k, d) is asked
 * of each that fits as the k-th of the chain (from 0), and the first it accepts is taken, else
 * the first that fits (nfsq-run: the alternative a compiled file was compiled with, where it
 * still fits, before the one nfsq would choose here). */
typedef bool (*probe_accept_fn)(void *ctx, unsigned k, const struct probe_def *d);
const struct probe_def *probe_resolve_as(struct arena *a, const struct probe_def *p,
					 const char *const *used, unsigned nused, probe_accept_fn accept,
					 void *ctx, int *bad, char *err, size_t errlen);
/* The running kernel's release (uname -r). */
const char *probe_kernel_release(void);
/* Resolves one recipe against kernel BTF (exposed for tests). */
int probe_recipe(struct arena *a, const struct field_recipe *r, const struct probe_attach *at,
		 struct probe_field *out, char *err, size_t errlen);

/* false: never choose fentry/fexit alternatives (nfsq --no-fentry). */
extern bool probe_fentry;
/* true: resolve as on a kernel before 5.11, which has no BTF for its modules: their BTF
 * unseen, the catalogue's declared prototypes used (a compiled file's variant for such
 * kernels, made on a newer one: its kernel facts are patched in where it is loaded). */
extern bool probe_old_kernel;
/* Whether the running kernel has BTF for its NFS modules (Linux 5.11+; false with
 * probe_old_kernel). */
bool probe_have_module_btf(void);
/* Whether kernel function fn has a BTF prototype (vmlinux or an NFS module's BTF);
 * its number of parameters in *nargs. */
bool probe_btf_func(const char *fn, unsigned *nargs);

/* Keep the costly tracefs lists (traceable functions, events) in dir across runs, per boot
 * and set of modules (dir: the object cache's, owned by the user; NULL: read them each run). */
void probe_avail_cache(const char *dir);
/* A hash of this boot and set of modules, which fix everything nfsq reads of the kernel to
 * resolve probes (BTF, tracefs formats and lists); read once; 0 when it cannot be read. */
uint64_t probe_boot_hash(void);
/* The id of kernel function fn in the kernel's BTF: in vmlinux's (*module NULL) or in an
 * NFS module's (*module its name); false when it has none. */
bool probe_btf_func_id(const char *fn, const char **module, int *id);
/* Tells probe_btf_func_id the id of fn found earlier in this boot and set of modules (an
 * object from the cache carries them), so that it need not load the kernel's BTF; fn must
 * outlive the process's use of it. Ignored for a module nfsq does not know. */
void probe_btf_func_known(const char *fn, const char *module, int id);
/* nfsq's handlers of its program sections in libbpf, registered before an object is
 * opened (once per process): libbpf loads fentry/fexit programs with their target's BTF id
 * found by probe_btf_func_id (an index) instead of its own search (a scan of every type of
 * vmlinux and of every module's BTF per program: 90 ms each in a TCG VM); and every
 * program is first passed to the hook set by probe_load_hook (NULL: none). */
void probe_load_handlers(void);
/* whether a program could not load because listing the kernel's BTF objects (to find a
 * module's) needs CAP_SYS_ADMIN, which nfsq does not have (it said so) */
bool probe_btf_denied(void);
void probe_load_hook(void (*hook)(struct bpf_program *bp, void *arg), void *arg);
/* fentry/fexit programs whose section names function `from` are loaded for function `to`
 * (a compiled file's program, on a kernel where its probe's event is another function
 * read the same way; the strings must outlive the load). 0, or -1 when too many moved. */
int probe_retarget(const char *from, const char *to);
/* Whether p can be attached on the running kernel: the index of the first
 * usable attach alternative, or -1 with the reason in why. */
int probe_available(const struct probe_def *p, char *why, size_t whylen);
#endif
