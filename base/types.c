/* types.c - type names and the table of symbolic error names. */
#include "types.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool type_same(struct type a, struct type b)
{
	if (a.kind != b.kind)
		return false;
	if (a.kind != TYPE_TUPLE)
		return true;
	if (a.tuple->n != b.tuple->n)
		return false;
	for (unsigned i = 0; i < a.tuple->n; i++)
		if (!type_same(a.tuple->elems[i], b.tuple->elems[i]))
			return false;
	return true;
}

static void type_name_add(char *buf, size_t len, struct type t)
{
	size_t n = strlen(buf);

	if (t.kind != TYPE_TUPLE) {
		char one[32];

		switch (t.kind) {
		case TYPE_STR: snprintf(one, sizeof(one), "string[%u]", t.size); break;
		case TYPE_NONE: snprintf(one, sizeof(one), "none"); break;
		case TYPE_INT: snprintf(one, sizeof(one), "int"); break;
		case TYPE_ERRNO: snprintf(one, sizeof(one), "errno"); break;
		case TYPE_NFSSTAT: snprintf(one, sizeof(one), "nfsstat"); break;
		case TYPE_KSTACK: snprintf(one, sizeof(one), "kstack"); break;
		case TYPE_USTACK: snprintf(one, sizeof(one), "ustack"); break;
		case TYPE_KSYM: snprintf(one, sizeof(one), "ksym"); break;
		case TYPE_TUPLE: break;
		}
		snprintf(buf + n, len - n, "%s", one);
		return;
	}
	snprintf(buf + n, len - n, "(");
	for (unsigned i = 0; i < t.tuple->n; i++) {
		if (i)
			snprintf(buf + strlen(buf), len - strlen(buf), ", ");
		type_name_add(buf, len, t.tuple->elems[i]);
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ")");
}

const char *type_name(struct type t)
{
	static char buf[256];
	if (t.kind == TYPE_TUPLE) {
		buf[0] = '\0';
		type_name_add(buf, sizeof(buf), t);
		return buf;
	}
	switch (t.kind) {
	case TYPE_NONE: return "none";
	case TYPE_INT: return "int";
	case TYPE_ERRNO: return "errno";
	case TYPE_NFSSTAT: return "nfsstat";
	case TYPE_KSTACK: return "kstack";
	case TYPE_USTACK: return "ustack";
	case TYPE_KSYM: return "ksym";
	case TYPE_TUPLE: break;
	case TYPE_STR:
		snprintf(buf, sizeof(buf), "string[%u]", t.size);
		return buf;
	}
	return "?";
}

int unit_apply(uint64_t v, const char *suffix, int64_t *out)
{
	static const struct {
		const char *suffix;
		int64_t mult;
	} units[] = {
		{"", 1},
		{"ns", 1},
		{"us", 1000},
		{"ms", 1000000},
		{"s", 1000000000},
		{"k", 1024},
		{"m", 1024 * 1024},
		{"g", 1024 * 1024 * 1024},
		{"K", 1024},
		{"M", 1024 * 1024},
		{"G", 1024 * 1024 * 1024},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].suffix) != 0)
			continue;
		if (v > (uint64_t)(INT64_MAX / units[i].mult))
			return -2;
		*out = (int64_t)v * units[i].mult;
		return 0;
	}
	return -1;
}

bool int_parse(const char *s, int64_t *out)
{
	char *end;
	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	bool neg = *s == '-';
	const char *digits = s + neg;
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	errno = 0;
	unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || (hex && *end) || unit_apply(v, end, out) != 0)
		return false;
	if (neg)
		*out = -*out;
	return true;
}

#define E(n)                      \
	{                         \
#n, n, TYPE_ERRNO \
	}
#define K(n, v)                   \
	{                         \
#n, v, TYPE_ERRNO \
	} /* kernel-internal errno, not in <errno.h> */
#define N(n, v)                                \
	{                                      \
		"NFS4ERR_" #n, v, TYPE_NFSSTAT \
	}
#define N3(n, v)                               \
	{                                      \
		"NFS3ERR_" #n, v, TYPE_NFSSTAT \
	}

/* errno values are the host's (nfsq runs on the kernel it traces). The first
 * name of a value is the one printed. */
static const struct errname errnames[] = {
	E(EPERM),
	E(ENOENT),
	E(ESRCH),
	E(EINTR),
	E(EIO),
	E(ENXIO),
	E(E2BIG),
	E(ENOEXEC),
	E(EBADF),
	E(ECHILD),
	E(EAGAIN),
	E(ENOMEM),
	E(EACCES),
	E(EFAULT),
	E(EBUSY),
	E(EEXIST),
	E(EXDEV),
	E(ENODEV),
	E(ENOTDIR),
	E(EISDIR),
	E(EINVAL),
	E(ENFILE),
	E(EMFILE),
	E(ENOTTY),
	E(ETXTBSY),
	E(EFBIG),
	E(ENOSPC),
	E(ESPIPE),
	E(EROFS),
	E(EMLINK),
	E(EPIPE),
	E(EDOM),
	E(ERANGE),
	E(EDEADLK),
	E(ENAMETOOLONG),
	E(ENOLCK),
	E(ENOSYS),
	E(ENOTEMPTY),
	E(ELOOP),
	E(ENOMSG),
	E(EIDRM),
	E(ENODATA),
	E(ETIME),
	E(ENOLINK),
	E(EPROTO),
	E(EBADMSG),
	E(EOVERFLOW),
	E(EOPNOTSUPP),
	E(EADDRINUSE),
	E(EADDRNOTAVAIL),
	E(ENETDOWN),
	E(ENETUNREACH),
	E(ENETRESET),
	E(ECONNABORTED),
	E(ECONNRESET),
	E(ENOBUFS),
	E(EISCONN),
	E(ENOTCONN),
	E(ESHUTDOWN),
	E(ETIMEDOUT),
	E(ECONNREFUSED),
	E(EHOSTDOWN),
	E(EHOSTUNREACH),
	E(EALREADY),
	E(EINPROGRESS),
	E(ESTALE),
	E(EREMOTEIO),
	E(EDQUOT),
	E(ECANCELED),
	E(EKEYEXPIRED),
	E(EKEYREJECTED),
	K(ERESTARTSYS, 512),
	K(ERESTARTNOINTR, 513),
	K(ENOIOCTLCMD, 515),
	K(EBADHANDLE, 521),
	K(ENOTSYNC, 522),
	K(EBADCOOKIE, 523),
	K(ENOTSUPP, 524),
	K(ETOOSMALL, 525),
	K(ESERVERFAULT, 526),
	K(EBADTYPE, 527),
	K(EJUKEBOX, 528),
	K(EIOCBQUEUED, 529),
	K(ERECALLCONFLICT, 530),
	{"NFS_OK", 0, TYPE_NFSSTAT},
	N(PERM, 1),
	N(NOENT, 2),
	N(IO, 5),
	N(NXIO, 6),
	N(ACCESS, 13),
	N(EXIST, 17),
	N(XDEV, 18),
	N(NOTDIR, 20),
	N(ISDIR, 21),
	N(INVAL, 22),
	N(FBIG, 27),
	N(NOSPC, 28),
	N(ROFS, 30),
	N(MLINK, 31),
	N(NAMETOOLONG, 63),
	N(NOTEMPTY, 66),
	N(DQUOT, 69),
	N(STALE, 70),
	N(BADHANDLE, 10001),
	N(BAD_COOKIE, 10003),
	N(NOTSUPP, 10004),
	N(TOOSMALL, 10005),
	N(SERVERFAULT, 10006),
	N(BADTYPE, 10007),
	N(DELAY, 10008),
	N(SAME, 10009),
	N(DENIED, 10010),
	N(EXPIRED, 10011),
	N(LOCKED, 10012),
	N(GRACE, 10013),
	N(FHEXPIRED, 10014),
	N(SHARE_DENIED, 10015),
	N(WRONGSEC, 10016),
	N(CLID_INUSE, 10017),
	N(RESOURCE, 10018),
	N(MOVED, 10019),
	N(NOFILEHANDLE, 10020),
	N(MINOR_VERS_MISMATCH, 10021),
	N(STALE_CLIENTID, 10022),
	N(STALE_STATEID, 10023),
	N(OLD_STATEID, 10024),
	N(BAD_STATEID, 10025),
	N(BAD_SEQID, 10026),
	N(NOT_SAME, 10027),
	N(LOCK_RANGE, 10028),
	N(SYMLINK, 10029),
	N(RESTOREFH, 10030),
	N(LEASE_MOVED, 10031),
	N(ATTRNOTSUPP, 10032),
	N(NO_GRACE, 10033),
	N(RECLAIM_BAD, 10034),
	N(RECLAIM_CONFLICT, 10035),
	N(BADXDR, 10036),
	N(LOCKS_HELD, 10037),
	N(OPENMODE, 10038),
	N(BADOWNER, 10039),
	N(BADCHAR, 10040),
	N(BADNAME, 10041),
	N(BAD_RANGE, 10042),
	N(LOCK_NOTSUPP, 10043),
	N(OP_ILLEGAL, 10044),
	N(DEADLOCK, 10045),
	N(FILE_OPEN, 10046),
	N(ADMIN_REVOKED, 10047),
	N(CB_PATH_DOWN, 10048),
	N(BADSESSION, 10052),
	N(BADSLOT, 10053),
	N(COMPLETE_ALREADY, 10054),
	N(CONN_NOT_BOUND_TO_SESSION, 10055),
	N(SEQ_MISORDERED, 10063),
	N(SEQUENCE_POS, 10064),
	N(REQ_TOO_BIG, 10065),
	N(REP_TOO_BIG, 10066),
	N(REP_TOO_BIG_TO_CACHE, 10067),
	N(RETRY_UNCACHED_REP, 10068),
	N(TOO_MANY_OPS, 10070),
	N(OP_NOT_IN_SESSION, 10071),
	N(CLIENTID_BUSY, 10074),
	N(SEQ_FALSE_RETRY, 10076),
	N(BAD_HIGH_SLOT, 10077),
	N(DEADSESSION, 10078),
	N(NOT_ONLY_OP, 10081),
	N(WRONG_CRED, 10082),
	N(WRONG_TYPE, 10083),
	N(DELEG_REVOKED, 10087),
	N(OFFLOAD_DENIED, 10091),
	N(OFFLOAD_NO_REQS, 10094),
	N3(PERM, 1),
	N3(NOENT, 2),
	N3(IO, 5),
	N3(NXIO, 6),
	N3(ACCES, 13),
	N3(EXIST, 17),
	N3(XDEV, 18),
	N3(NODEV, 19),
	N3(NOTDIR, 20),
	N3(ISDIR, 21),
	N3(INVAL, 22),
	N3(FBIG, 27),
	N3(NOSPC, 28),
	N3(ROFS, 30),
	N3(MLINK, 31),
	N3(NAMETOOLONG, 63),
	N3(NOTEMPTY, 66),
	N3(DQUOT, 69),
	N3(STALE, 70),
	N3(REMOTE, 71),
	N3(BADHANDLE, 10001),
	N3(NOT_SYNC, 10002),
	N3(BAD_COOKIE, 10003),
	N3(NOTSUPP, 10004),
	N3(TOOSMALL, 10005),
	N3(SERVERFAULT, 10006),
	N3(BADTYPE, 10007),
	N3(JUKEBOX, 10008),
};

#define NERRNAMES (sizeof(errnames) / sizeof(errnames[0]))

const struct errname *errname_lookup(const char *name)
{
	for (size_t i = 0; i < NERRNAMES; i++)
		if (strcmp(errnames[i].name, name) == 0)
			return &errnames[i];
	return NULL;
}

const char *errname_of(enum type_kind kind, int64_t value)
{
	if (kind == TYPE_ERRNO && value < 0)
		value = -value; /* the kernel's -EIO is EIO */
	for (size_t i = 0; i < NERRNAMES; i++)
		if (errnames[i].kind == kind && errnames[i].value == value)
			return errnames[i].name;
	return NULL;
}

const char *const *errname_all(void)
{
	static const char *names[NERRNAMES + 1];
	if (!names[0])
		for (size_t i = 0; i < NERRNAMES; i++)
			names[i] = errnames[i].name;
	return names;
}
