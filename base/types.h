/* types.h - the value types of nfsq expressions. */
#ifndef NFSQ_TYPES_H
#define NFSQ_TYPES_H

#include <stdbool.h>
#include <stdint.h>

enum type_kind {
	TYPE_NONE,    /* no value (statements, not yet typed) */
	TYPE_INT,     /* 64-bit signed integer; durations are ns, sizes bytes */
	TYPE_STR,     /* NUL-terminated string of at most size bytes (NUL included) */
	TYPE_ERRNO,   /* Linux errno as a positive number (0 = success), printed as a name */
	TYPE_NFSSTAT, /* NFS protocol status (NFS4ERR_*, NFS3ERR_*), printed as a name */
	TYPE_KSTACK,  /* kstack: a kernel stack, a u64 naming it (contract/layout.h), printed as frames */
	TYPE_USTACK,  /* ustack: a user stack and its process, printed as frames */
	TYPE_KSYM,    /* ksym(addr): a kernel address, printed as the symbol holding it */
	TYPE_TUPLE,   /* (a, b, ...): its elements one after another, each laid out as a map key is */
};

struct tuple_type;
struct type {
	enum type_kind kind;
	uint32_t size;                  /* TYPE_STR: bytes including the NUL; TYPE_TUPLE: of all
					 * its elements (a multiple of 8); else 8 */
	const struct tuple_type *tuple; /* TYPE_TUPLE: the elements */
};

struct tuple_type {
	unsigned n;
	struct type *elems;
	uint32_t *offs; /* each element's offset: 8-byte aligned, a string's size rounded up to 8 */
};

#define NFSQ_STR_DEFAULT 64 /* string literal / field size when nothing says otherwise */
#define NFSQ_STR_MAX 256    /* longest string a probe field or key may hold */

static inline struct type type_int(void)
{
	return (struct type){TYPE_INT, 8, 0};
}
static inline struct type type_str(uint32_t size)
{
	return (struct type){TYPE_STR, size, 0};
}
/* Kept in a buffer (a string, a tuple), not in a register. */
static inline bool type_is_buffer(struct type t)
{
	return t.kind == TYPE_STR || t.kind == TYPE_TUPLE;
}
/* The same type: kinds, and for tuples each element's (strings of any size alike). */
bool type_same(struct type a, struct type b);
static inline bool type_is_integer(struct type t)
{
	return t.kind == TYPE_INT || t.kind == TYPE_ERRNO || t.kind == TYPE_NFSSTAT;
}
/* kstack, ustack and ksym values: 8 bytes like integers, but printed as what they name */
static inline bool type_is_symbolic(struct type t)
{
	return t.kind == TYPE_KSTACK || t.kind == TYPE_USTACK || t.kind == TYPE_KSYM;
}
const char *type_name(struct type t); /* "int", "string[64]", "(int, string[16])" (static buffer), "errno" */

/* v times the unit named by suffix (ns us ms s: to ns; k m g, K M G: x1024).
 * 0 on success, -1 for an unknown unit, -2 on overflow. */
int unit_apply(uint64_t v, const char *suffix, int64_t *out);
/* A whole string as an integer with an optional unit ("10ms", "4k", "0x10"). */
bool int_parse(const char *s, int64_t *out);

/* Symbolic error names: errno (ESTALE) and NFS status (NFS4ERR_DELAY). */
struct errname {
	const char *name;
	int64_t value;
	enum type_kind kind; /* TYPE_ERRNO or TYPE_NFSSTAT */
};
const struct errname *errname_lookup(const char *name);
/* Name of a value of the given kind, or NULL when unknown. */
const char *errname_of(enum type_kind kind, int64_t value);
/* All names, for "did you mean" (NULL-terminated). */
const char *const *errname_all(void);

#endif
