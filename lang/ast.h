/* ast.h - the nfsq syntax tree, typed in place by the semantic passes.
 *
 * Every node lives in the compilation's arena. Lists are singly linked through
 * `next`. The parser fills the syntactic fields; the passes of sema.c fill the
 * fields marked (sema) and rewrite a few kinds to more precise ones (noted). */
#ifndef NFSQ_AST_H
#define NFSQ_AST_H

#include "../base/arena.h"
#include "../base/diag.h"
#include "../base/types.h"
#include "../contract/object.h"

struct probe_def;

enum expr_kind {
	EXPR_INT,     /* integer literal, units applied: .num */
	EXPR_STR,     /* string literal: .str */
	EXPR_ERRNO,   /* symbolic error name (sema, from EXPR_IDENT): .num value, .name */
	EXPR_ARG,     /* script argument $1.. (.num index), or $# (0); sema rewrites to EXPR_INT/EXPR_STR */
	EXPR_IDENT,   /* bare name; sema sets .ident (builtin or probe field) or EXPR_ERRNO */
	EXPR_LOCAL,   /* $name: .name, .local (sema) */
	EXPR_MAP,     /* @name[keys] (a read in an expression, or an lvalue): .map */
	EXPR_UNARY,   /* .unary */
	EXPR_BINARY,  /* .binary */
	EXPR_TERNARY, /* .ternary */
	EXPR_CALL,    /* name(args): .call; only aggregations and statement functions */
	EXPR_TUPLE,   /* (a, b, ...): .tuple */
	EXPR_ELEM,    /* t.N, an element of a tuple: .elem */
};

enum unop {
	UNOP_NEG,  /* -x */
	UNOP_NOT,  /* !x (1 if x == 0 else 0) */
	UNOP_BNOT, /* ~x */
};

enum binop {
	BINOP_ADD,
	BINOP_SUB,
	BINOP_MUL,
	BINOP_DIV,
	BINOP_MOD, /* int only; / and % by 0 give 0 */
	BINOP_AND,
	BINOP_OR,
	BINOP_XOR,
	BINOP_SHL,
	BINOP_SHR, /* bitwise, int only */
	BINOP_EQ,
	BINOP_NE,
	BINOP_LT,
	BINOP_LE,
	BINOP_GT,
	BINOP_GE, /* int or str (EQ/NE only for str) */
	BINOP_LAND,
	BINOP_LOR, /* short-circuit, result 0/1 */
};

/* Builtin variables, valid in every probe (cpid only with -c). */
enum builtin {
	BUILTIN_NONE,
	BUILTIN_PID,     /* process id (tgid) of the task that fired */
	BUILTIN_TID,     /* thread id */
	BUILTIN_UID,     /* real user id */
	BUILTIN_COMM,    /* task name, string[16] */
	BUILTIN_CPU,     /* current cpu */
	BUILTIN_NSECS,   /* bpf_ktime_get_ns() */
	BUILTIN_ELAPSED, /* ns since nfsq started its probes */
	BUILTIN_PROBE,   /* full name of the probe that fired, string */
	BUILTIN_CPID,    /* pid of the -c command */
	BUILTIN_KSTACK,  /* the kernel stack (kstack, kstack(perf, N)) */
	BUILTIN_USTACK,  /* the user stack (ustack, ustack(perf, N)) */
};

struct local_info {
	const char *name; /* "$x" */
	struct type type;
	unsigned id; /* index within its clause */
};

struct expr {
	enum expr_kind kind;
	struct loc loc;
	struct type type;  /* (sema) */
	unsigned depth;    /* nesting depth, for the parser's limit */
	struct expr *next; /* next in an argument or key list */
	union {
		int64_t num;
		struct {
			const char *text; /* escapes already applied, NUL-terminated */
			uint32_t len;
		} str;
		const char *name; /* EXPR_IDENT, EXPR_LOCAL */
		struct {
			const char *name;     /* as written, e.g. "latency" */
			enum builtin builtin; /* (sema) BUILTIN_NONE for a probe field */
			unsigned frames;      /* (sema) kstack, ustack: at most this many frames */
			bool perf;            /* (sema) kstack, ustack: perf's format */
		} ident;
		struct {
			const char *name;        /* "$x" */
			struct local_info *info; /* (sema) */
		} local;
		struct {
			const char *name;  /* "@name" or "@" */
			struct expr *keys; /* list; NULL for a scalar map */
			unsigned nkeys;
			struct map_info *info; /* (sema) */
		} map;
		struct {
			enum unop op;
			struct expr *arg;
		} unary;
		struct {
			enum binop op;
			struct expr *lhs, *rhs;
		} binary;
		struct {
			struct expr *cond, *then, *els;
		} ternary;
		struct {
			const char *name;
			struct loc name_loc;
			struct expr *args; /* list */
			unsigned nargs;
		} call;
		struct {
			struct expr *elems; /* list, two or more */
			unsigned n;
		} tuple;
		struct {
			struct expr *tuple;
			unsigned index;
		} elem;
	} u;
	/* EXPR_ERRNO keeps its name here too (u.num holds the value) */
	const char *errname;
};

enum stmt_kind {
	STMT_ASSIGN,    /* parser: lhs = rhs (lhs is EXPR_MAP or EXPR_LOCAL); sema rewrites to one of: */
	STMT_MAP_AGG,   /* (sema) @m[k] = agg(args): .assign.lhs map, .assign.rhs the EXPR_CALL */
	STMT_MAP_SET,   /* (sema) @m[k] = expr */
	STMT_MAP_ADD,   /* (sema) @m[k] += expr: an atomic add to a plain integer map */
	STMT_LOCAL_SET, /* (sema) $x = expr */
	STMT_CALL,      /* parser: f(args); sema rewrites to one of: */
	STMT_PRINTF,    /* (sema) printf("fmt", args): .call, .printf */
	STMT_PRINT,     /* (sema) print(@m[, top]): .call args[0] the EXPR_MAP, args[1] top */
	STMT_CLEAR,     /* (sema) clear(@m) */
	STMT_ZERO,      /* (sema) zero(@m): every value 0, the keys kept */
	STMT_DELETE,    /* (sema) delete(@m[k]) */
	STMT_EXIT,      /* (sema) exit() or exit(code): .call args[0] the code */
	STMT_IF,        /* if (cond) { then } else { els } */
	STMT_WHILE,     /* while (cond) { then }: .ifs, els NULL */
	STMT_UNROLL,    /* unroll(N) { then }: .ifs, cond the count N (1 to 100), els NULL */
	STMT_FOR,       /* for ($kv : @m) { then }: .ifs, cond the map, var the local */
	STMT_BREAK,     /* break (in a while) */
	STMT_CONTINUE,  /* continue (in a while) */
};

struct stmt {
	enum stmt_kind kind;
	struct loc loc;
	struct stmt *next;
	union {
		struct {
			struct expr *lhs, *rhs;
			bool add;       /* parser: written with += (or ++, --) */
			const char *op; /* with add: "+=", "++" or "--", for messages */
		} assign;
		struct {
			struct expr *call;          /* EXPR_CALL */
			struct printf_info *printf; /* (sema) STMT_PRINTF */
			bool time;                  /* (sema) time(fmt), a STMT_PRINTF of the clock */
		} call;
		struct {
			struct expr *cond;
			struct stmt *then, *els; /* els may be NULL; "else if" nests an STMT_IF */
			struct expr *var;        /* STMT_FOR: the local given each entry */
		} ifs;
	} u;
};

enum probe_kind {
	PROBE_BUILTIN,    /* a catalogue probe: nfs.read, rpc.done, ... */
	PROBE_TRACEPOINT, /* tracepoint:category:event */
	PROBE_KPROBE,     /* kprobe:function */
	PROBE_KRETPROBE,  /* kretprobe:function */
	PROBE_FENTRY,     /* fentry:function (kfunc:), arguments typed by BTF */
	PROBE_FEXIT,      /* fexit:function (kretfunc:), and retval */
	PROBE_BEGIN,      /* BEGIN */
	PROBE_END,        /* END */
	PROBE_INTERVAL,   /* interval 1s */
	PROBE_PROFILE,    /* profile:hz:99: on every CPU (target "hz:99") */
};

struct probe_ref {
	enum probe_kind kind;
	struct loc loc;
	struct probe_ref *next;
	const char *name;            /* as written: "nfs.read", "tracepoint:syscalls:sys_enter_read" */
	const char *target;          /* TRACEPOINT: "syscalls:sys_enter_read"; K(RET)PROBE: function */
	int64_t interval_ns;         /* PROBE_INTERVAL */
	int interval_arg;            /* PROBE_INTERVAL written `interval $N`: N (sema sets interval_ns) */
	const struct probe_def *def; /* (sema) fields and attach points */
	bool failed;                 /* (sema) reported already (a wildcard matching nothing) */
};

struct clause {
	struct loc loc;
	struct clause *next;
	struct probe_ref *probes;   /* list */
	struct expr *pred;          /* may be NULL */
	struct stmt *body;          /* list */
	unsigned nlocals;           /* (sema) */
	struct local_info **locals; /* (sema) */
	unsigned id;                /* 0.. in source order */
	bool has_for;               /* (sema) a for loop over a map is in it */
	const char **fields;        /* (record.c) the probe fields it reads, each once */
	struct loc *field_locs;     /* (record.c) where each is first read */
	unsigned nfields;
};

struct program {
	struct clause *clauses;
	struct clause *last_clause; /* the parser appends here */
	unsigned nclauses;
	struct expr *arg_default[65]; /* 'default $N = literal;' (EXPR_INT or EXPR_STR), by N */
	/* (sema) */
	unsigned nmaps;
	struct map_info **maps;
	unsigned nprintfs;
	struct printf_info **printfs;
	bool uses_cpid;
	bool uses_kaddr; /* kaddr(): a kernel address of this boot is in the code */
	bool has_exit;
};

/* The compilation: one arena, one source, one diagnostics sink. */
struct compilation {
	struct arena arena;
	struct src src;
	struct diag diag;
	struct program *prog;
	int argc; /* script arguments $1.. */
	char **argv;
	bool have_cpid; /* -c given */
};

/* Constructors used by the grammar actions (ast.c). */
struct expr *ast_expr(struct compilation *c, enum expr_kind k, struct loc l);
struct expr *ast_int(struct compilation *c, struct loc l, int64_t v);
struct expr *ast_unary(struct compilation *c, struct loc l, enum unop op, struct expr *a);
struct expr *ast_binary(struct compilation *c, struct loc l, enum binop op, struct expr *a,
			struct expr *b);
struct expr *ast_ternary(struct compilation *c, struct loc l, struct expr *cond, struct expr *a,
			 struct expr *b);
struct expr *ast_call(struct compilation *c, struct loc l, struct loc name_loc, const char *name,
		      struct expr *args);
struct expr *ast_map(struct compilation *c, struct loc l, const char *name, struct expr *keys);
struct expr *ast_tuple(struct compilation *c, struct loc l, struct expr *elems);
struct expr *ast_elem(struct compilation *c, struct loc l, struct expr *tuple, int64_t index);
struct stmt *ast_stmt(struct compilation *c, enum stmt_kind k, struct loc l);
struct probe_ref *ast_probe(struct compilation *c, enum probe_kind k, struct loc l,
			    const char *name);
unsigned ast_list_len(const struct expr *e);
/* Lists are built newest-first by the grammar and put in order once complete. */
struct expr *ast_expr_reverse(struct expr *list);
struct stmt *ast_stmt_reverse(struct stmt *list);

/* Prints the tree, typed when sema has run (for -d ast and the golden tests). */
void ast_dump(struct program *p, FILE *out);
const char *binop_str(enum binop op);
const char *builtin_name(enum builtin b);
enum builtin builtin_lookup(const char *name);

#define AST_MAX_DEPTH 200 /* expressions nested deeper than this are refused */

#endif
