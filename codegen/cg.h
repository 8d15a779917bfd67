/* cg.h - private to codegen/: the state the files of the code generator share (struct cg)
 * and the functions one of them calls in another (each file says what it holds).
 *
 * One BPF program per attach point (or BEGIN, or END), for up to 64 (clause, probe)s on it
 * run in turn (cg_prog.c); start/end probes add a start program on their start attach
 * point, fused the same way, that records the start time per thread, and some a stamp
 * program on a third (cg_pair.c). Every function gets a DISubprogram and a
 * named ctx parameter, and every statement and expression a DILocation from its
 * script position, so the BTF line info LLVM emits maps instructions back to the
 * script (see runtime/verifier.c). Maps are BTF-defined globals in ".maps".
 *
 * Values: integers are i64; a string is a pointer to an 8-byte aligned stack
 * buffer of layout_type_size() bytes, zero padded after its NUL (every producer
 * keeps that invariant, so comparing and hashing strings is word-wise). */
#ifndef NFSQ_CG_H
#define NFSQ_CG_H

#include "codegen.h"

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/TargetMachine.h>

#include "../contract/fix.h"
#include "../probes/facts.h"
#include "../probes/probe.h"

/* BPF helper ids (enum bpf_func_id). */
enum {
	H_MAP_LOOKUP = 1,
	H_MAP_UPDATE = 2,
	H_MAP_DELETE = 3,
	H_KTIME_GET_NS = 5,
	H_GET_SMP_PROCESSOR_ID = 8,
	H_GET_CURRENT_PID_TGID = 14,
	H_GET_CURRENT_UID_GID = 15,
	H_GET_CURRENT_COMM = 16,
	H_GET_STACK = 67,
	H_FOR_EACH_MAP_ELEM = 164,
	H_MAP_LOOKUP_PERCPU = 195,
	H_PROBE_READ_USER = 112,
	H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_USER_STR = 114,
	H_PROBE_READ_KERNEL_STR = 115,
	H_RINGBUF_OUTPUT = 130,
	H_RINGBUF_RESERVE = 131,
	H_RINGBUF_SUBMIT = 132,
};

#define BPF_ANY 0
#define BPF_NOEXIST 1

/* The start record of a start/end pair, one for all the clauses on one attach alternative
 * of a probe that need something from the start (cg_pair.c): one map update at the start
 * event, one lookup and one delete at the end for all of them. */
struct cg_start {
	const struct probe_attach *at; /* the alternative (a pointer into the catalogue) */
	const struct probe_def *def;   /* the first clause's resolution: the start reads with it */
	bool *used;                    /* per field of the probe: a clause reads it at the start */
	uint32_t *off;                 /* per field: offset in the value, 0 = not saved */
	uint32_t size;
	bool timed; /* a clause reads latency: the start time is kept (at offset 0) */
	char name[16];
	/* its hash maps: one per end program holding its clauses (one unless a fused end
	 * program had to be split); the start writes each */
	LLVMValueRef *maps;
	unsigned nmaps, nmade;
	int map_prog;       /* the program (index in obj->progs) maps[nmaps - 1] is for, or -1 */
	unsigned gen;       /* the function (cg.fn_gen) key and val belong to */
	LLVMValueRef key, val; /* there: the pair key, the record looked up (or NULL) */
	struct cg_start *next;
};

/* The stamp program of an attach alternative (struct probe_stamp), one per object however
 * many clauses read it, and its map: key -> the time of the key's last stamp. */
struct cg_stamp {
	const struct probe_stamp *st;
	LLVMValueRef map;
	struct cg_stamp *next;
};

/* A probe as a clause resolved it, for a compiled file's records (cg_fix.c). */
struct cg_fixrec {
	enum ct_fix_kind kind;
	const char *name;
	const char *const *used; /* the clause's fields (and any other its definition's code reads) */
	unsigned nused;
	const struct probe_def *def;
	struct cg_fixrec *next;
};

struct cg {
	struct compilation *c;
	const struct cg_options *o;
	struct cg_object *obj;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMDIBuilderRef dib;
	LLVMTargetMachineRef tm;
	LLVMTypeRef i1, i8, i32, i64, ptr;
	LLVMMetadataRef difile, dicu, di_int, di_s64, di_u64, di_char, di_voidp;
	LLVMValueRef *maps; /* per map_info.id */
	LLVMValueRef ringbuf, drops, state, cfg;
	LLVMValueRef stacks, stackbuf; /* kstack, ustack (cg_stack.c); NULL until one is read */
	bool prealloc;                 /* hash maps preallocated (cg_map_describe) */
	LLVMValueRef scratch;  /* per-CPU array: one value per program that needs it */
	uint32_t scratch_size; /* its value size: the largest need */
	unsigned nscratch;     /* programs using it */
	bool scratch_mode;     /* the function being emitted keeps big buffers there */
	bool scratch_all;      /* ... and the small (8-byte) ones too */
	LLVMValueRef scratch_base;
	uint32_t scratch_used, stack_used;
	/* the function being emitted */
	LLVMValueRef fn, ctxarg;
	LLVMMetadataRef sp;
	LLVMBasicBlockRef entry, ret_bb;
	LLVMBasicBlockRef exit_bb; /* a fused program: where exit() goes (the later clauses skipped) */
	LLVMBasicBlockRef loop_test, loop_done; /* the innermost while's: continue and break go there */
	LLVMValueRef *locals;
	/* a clause with a for loop: its locals in one buffer (cg_for.c) */
	LLVMValueRef locals_base; /* the buffer (a stack one is the callbacks' context) */
	uint32_t locals_off;      /* in scratch mode: its offset in the scratch value */
	uint32_t *local_offs;     /* each local's offset in it */
	uint32_t for_exit_off;    /* the word set when exit() ends a loop, after the locals */
	unsigned nlocals, nfor;   /* (nfor: callbacks made, for their names) */
	const struct cg_prog *prog;
	enum attach_kind attach; /* how ctx is laid out (end event of a pair) */
	LLVMValueRef latency;    /* FIELD_LATENCY value, or NULL */
	LLVMValueRef now;        /* an attach program's one clock read (cg_now), or NULL */
	struct cg_start *start; /* of the (clause, probe) being emitted, or NULL */
	struct cg_start *starts; /* every start record */
	struct cg_stamp *stamps; /* every stamp program's */
	unsigned fn_gen;         /* bumped per function emitted */
	unsigned ctx_seq;        /* cg_ctx_load's passthrough calls: each its own number */
	int prog_index;          /* the program being emitted (index in obj->progs) */
	LLVMValueRef start_val;  /* end program: the start map's value (start ns, saved fields) */
	LLVMValueRef read_cur;   /* a list walk's entry (READ_BASE_CUR), or NULL */
	/* a compiled file's kernel facts (cg_fix.c) */
	struct probe_fact *facts;
	unsigned nfacts, facts_cap;
	struct cg_fixrec *fixrecs, **fixrec_tail;
	bool pinned; /* something in the code only this kernel build gives (a raw fentry's arguments) */
	int errors;
};

/* cg_build.c: builders and debug info */
void cg_error(struct cg *g, struct loc l, const char *msg, const char *what);
LLVMValueRef cg_i64(struct cg *g, int64_t v);
LLVMValueRef cg_i32(struct cg *g, uint32_t v);
void cg_setloc(struct cg *g, struct loc l);
LLVMValueRef cg_alloca(struct cg *g, uint32_t size);
LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off);
LLVMValueRef cg_ctx_load(struct cg *g, LLVMTypeRef t, uint32_t off);
LLVMValueRef cg_load(struct cg *g, LLVMTypeRef t, LLVMValueRef p, uint32_t off);
void cg_store(struct cg *g, LLVMValueRef v, LLVMValueRef p, uint32_t off);
void cg_zero(struct cg *g, LLVMValueRef p, uint32_t off, uint32_t size);
LLVMValueRef cg_helper(struct cg *g, int id, LLVMValueRef *args, unsigned n);
LLVMValueRef cg_helper0(struct cg *g, int id);
LLVMValueRef cg_helper_int(struct cg *g, int id, LLVMValueRef *args, unsigned n);
LLVMBasicBlockRef cg_block(struct cg *g, const char *name);
void cg_at(struct cg *g, LLVMBasicBlockRef bb);
LLVMValueRef cg_bool64(struct cg *g, LLVMValueRef i1v);
void cg_copy_str(struct cg *g, LLVMValueRef dst, uint32_t doff, uint32_t dsize,
		 LLVMValueRef src, uint32_t ssize);
LLVMMetadataRef cg_di_array(struct cg *g, LLVMMetadataRef elem, uint32_t elem_bits,
			    uint32_t n);
LLVMMetadataRef cg_di_ptr(struct cg *g, LLVMMetadataRef to);
LLVMMetadataRef cg_di_member(struct cg *g, const char *name, LLVMMetadataRef t,
			     uint64_t bits, uint64_t off_bytes);
LLVMMetadataRef cg_di_struct(struct cg *g, const char *name, uint64_t size,
			     LLVMMetadataRef *members, unsigned n);
LLVMMetadataRef cg_di_of_type(struct cg *g, struct type t);
LLVMValueRef cg_str_literal(struct cg *g, const char *s, uint32_t len, uint32_t size);
void cg_debug_types(struct cg *g);

/* cg_maps.c: maps, the exit flag, the configuration, drop counters */
LLVMValueRef cg_map_new(struct cg *g, const char *name, bool with_key);
void cg_map_describe(struct cg *g, LLVMValueRef gv, const char *name, uint32_t type,
		     uint32_t max, LLVMMetadataRef key, LLVMMetadataRef value);
LLVMValueRef cg_map_global(struct cg *g, const char *name, uint32_t type, uint32_t max,
			   LLVMMetadataRef key, LLVMMetadataRef value);
void cg_maps(struct cg *g);
/* obj's map layouts, from the checked program (also for an object from the cache). */
void cg_map_layouts(struct compilation *c, struct cg_object *obj);
LLVMValueRef cg_state_ptr(struct cg *g, LLVMBasicBlockRef if_null);
LLVMValueRef cg_cfg_load(struct cg *g, uint32_t off);
void cg_exit_check(struct cg *g);
void cg_count_drop(struct cg *g, unsigned idx);

/* cg_for.c: for ($kv : @m) { ... } */
void cg_for(struct cg *g, const struct stmt *s);

/* cg_walk.c: the full path of dentry d0 in mount m0 (READ_PATH), a string of size; the
 * string r->then of the NFS mount of RPC client clnt (READ_RPCMOUNT) */
LLVMValueRef cg_path(struct cg *g, const struct path_offs *o, uint32_t size, LLVMValueRef d0, LLVMValueRef m0);
LLVMValueRef cg_rpcmount(struct cg *g, struct type t, struct loc l, const char *name, const struct field_read *r,
			 LLVMValueRef clnt);

/* cg_stack.c: kstack, ustack (the value naming the stack kept in the stack map) */
LLVMValueRef cg_stack(struct cg *g, const struct expr *e);

/* cg_fix.c: a kernel fact at slot (an offset or address in a resolved probe): a constant,
 * or in a compiled file a marker patched at load; the probe a clause resolved, recorded;
 * after emission, the markers given their values and the object's fix-ups made */
LLVMValueRef cg_fact(struct cg *g, const void *slot, enum probe_fact_width width);
void cg_fix_record(struct cg *g, enum ct_fix_kind kind, const char *name, const char *const *used,
		   unsigned nused, const struct probe_def *def);
int cg_fix_finish(struct cg *g);

/* cg_read.c: kernel and field reads, builtins */
/* size bytes (up to 8) at p + off in kernel memory, as a u64 (0 when it faults) */
LLVMValueRef cg_kread(struct cg *g, LLVMValueRef p, int32_t off, uint32_t size);
/* the same at the offset in slot, a kernel fact (cg_fact) */
LLVMValueRef cg_kread_at(struct cg *g, LLVMValueRef p, const int32_t *off, uint32_t size);
LLVMValueRef cg_str_call(struct cg *g, const struct expr *e);
LLVMValueRef cg_read(struct cg *g, struct type t, struct loc l, const char *name,
		     const struct field_read *r);
bool cg_field_at_start(const struct probe_field *f);
LLVMValueRef cg_field_now(struct cg *g, struct type t, struct loc l,
			  const struct probe_field *f);
LLVMValueRef cg_ident(struct cg *g, const struct expr *e);

/* cg_expr.c: expressions */
void cg_store_value(struct cg *g, const struct expr *e, LLVMValueRef v, struct type slot,
		    LLVMValueRef dst, uint32_t off);
LLVMValueRef cg_key(struct cg *g, const struct map_layout *l, const struct expr *keys,
		    LLVMValueRef bucket);
LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key);
LLVMValueRef cg_truth(struct cg *g, const struct expr *e, LLVMValueRef v);
LLVMValueRef cg_expr(struct cg *g, const struct expr *e);

/* cg_stmt.c: statements */
void cg_stmts(struct cg *g, const struct stmt *s);

/* cg_prog.c: programs */
void cg_begin_function(struct cg *g, const struct cg_prog *p, const char *section,
		       struct loc l);
void cg_pid_filter(struct cg *g);
LLVMValueRef cg_now(struct cg *g);
const char *cg_section(struct cg *g, enum attach_kind k, const char *target);
void cg_programs(struct cg *g);

/* cg_pair.c: start/end pairs */
struct cg_start *cg_start_join(struct cg *g, const struct probe_def *def, const struct clause *cl,
			       const char *name, bool *is_new);
void cg_starts_layout(struct cg *g);
void cg_starts_abandon(struct cg *g, int prog_index);
void cg_start_segment(struct cg *g, const struct cg_prog *m);
void cg_end_pairing(struct cg *g, const struct probe_attach *at, bool last);
struct cg_stamp *cg_stamp_find(struct cg *g, const struct probe_stamp *st, bool make);
void cg_stamp_segment(struct cg *g, const struct cg_prog *m);
LLVMValueRef cg_stamp_take(struct cg *g, const struct probe_stamp *st, LLVMValueRef key);

/* codegen.c: the LLVM driver */
LLVMCodeGenOptLevel cg_codegen_level(void);
extern const char cg_cache_version[];

/* cg_cache.c: the object cache */
bool cg_cache_dir_ok(const char *dir);
/* The key of c compiled with o into key; false when there can be none (cg_cache.c). */
bool cg_cache_key(const struct compilation *c, const struct cg_options *o, uint32_t map_size,
		  char *key, size_t len);
/* obj's ELF and ct_progs (in a) from the entry of key; 0, or -1 when there is no whole one. */
int cg_cache_load(const char *dir, const char *key, struct arena *a, struct cg_object *obj);
/* Keeps obj's ELF and ct_progs under key (nothing when that fails). */
void cg_cache_store(const char *dir, const char *key, const struct cg_object *obj);

#endif
