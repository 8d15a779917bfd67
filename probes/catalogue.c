/* catalogue.c - the built-in probe points: names, typed fields, attach points, docs.
 *
 * Every probe is a row; every field says its type and where its value comes
 * from. Lookup is by exact name, never by table order. */
#include "probe.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define F_INT(n, d)                                                             \
	{                                                                       \
		.name = n, .type = {TYPE_INT, 8, 0}, .doc = d, .src = FIELD_KERNEL \
	}
#define F_STR(n, sz, d)                                                          \
	{                                                                        \
		.name = n, .type = {TYPE_STR, sz, 0}, .doc = d, .src = FIELD_KERNEL \
	}
#define F_ERRNO(n, d)                                                             \
	{                                                                         \
		.name = n, .type = {TYPE_ERRNO, 8, 0}, .doc = d, .src = FIELD_KERNEL \
	}
#define F_NFSSTAT(n, d)                                                             \
	{                                                                           \
		.name = n, .type = {TYPE_NFSSTAT, 8, 0}, .doc = d, .src = FIELD_KERNEL \
	}
#define F_LATENCY(n, d)                                                          \
	{                                                                        \
		.name = n, .type = {TYPE_INT, 8, 0}, .doc = d, .src = FIELD_LATENCY \
	}

#define FILE_F                                                                                 \
	{                                                                                      \
		.name = "file", .type = {TYPE_STR, 64, 0}, .doc = "name of the file (last path component)", \
		.src = FIELD_KERNEL, .instead = "inode (the file's NFS fileid; find / -inum N names it)" \
	}
#define INODE_F                                                                                \
	{                                                                                      \
		.name = "inode", .type = {TYPE_INT, 8, 0}, .doc = "inode number (NFS fileid)",   \
		.src = FIELD_KERNEL, .instead = "file (its name)"                               \
	}
#define MOUNT_F                                                                                \
	{                                                                                      \
		.name = "mount", .type = {TYPE_STR, 64, 0}, .doc = "the mount, as server:/export", \
		.src = FIELD_KERNEL,                                                           \
		.instead = "rpc.done's server field (the server's address); /proc/self/mountinfo maps it to the mount" \
	}
#define PATH_F                                                                                 \
	{                                                                                      \
		.name = "path", .type = {TYPE_STR, 256, 0},                                    \
		.doc = "full path of the file as processes see it (/mnt/nfs4/dir/f.dat), up to the root " \
		       "of the mount tree; a file system mounted at several places is named by the " \
		       "first mount where only the file's name is at hand (lookup, create, remove, " \
		       "rename, setattr, access); \"...\" begins a path cut to fit (counted), "     \
		       "\"(disconnected)\" one the kernel cannot name",                             \
		.src = FIELD_KERNEL, .instead = "file (the last path component) and mount"          \
	}
#define ERROR_F F_ERRNO("error", "errno returned to the caller (0 = success)")
#define LAT_F F_LATENCY("latency", "ns from entry to return")

/* ---- NFS client, VFS entry points ---- */

static const struct probe_field nfs_rw_fields[] = {
	FILE_F,
	PATH_F,
	INODE_F,
	MOUNT_F,
	F_INT("offset", "file offset of the operation, bytes"),
	F_INT("bytes", "bytes actually moved (the return value when positive)"),
	ERROR_F,
	LAT_F,
};

static const struct probe_field nfs_op_fields[] = {FILE_F, PATH_F, INODE_F, MOUNT_F, ERROR_F, LAT_F};

/* Each attach alternative says how to compute each field (see struct field_recipe).
 * Arguments are found by type, not position, so prototypes may change between kernels. */
#define KPAIR1(fn, rec, grp)                                                               \
	{                                                                                  \
		.kind = ATTACH_KPROBE, .target = fn, .end_kind = ATTACH_KRETPROBE,         \
		.end_target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp \
	}
/* fentry/fexit first (a call through the BPF trampoline, cheaper than a kprobe's ftrace
 * handler and a kretprobe's return hook), the kprobe pair where it cannot be had */
#define KPAIRG(fn, rec, grp) {.kind = ATTACH_FENTRY, .target = fn, .end_kind = ATTACH_FEXIT, .end_target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp}, KPAIR1(fn, rec, grp)
#define KPAIR(fn, rec) KPAIRG(fn, rec, 0)
/* the kprobe pair on kernels before 5.11, which have no BTF for the NFS modules: the
 * prototype as Linux 5.10 declares it, the structs it points to from vmlinux's BTF */
#define KOLDG(fn, rec, grp, decl)                                                                            \
	{                                                                                                    \
		.kind = ATTACH_KPROBE, .target = fn, .end_kind = ATTACH_KRETPROBE, .end_target = fn,         \
		.recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp, .proto = decl                      \
	}
#define KOLD(fn, rec, decl) KOLDG(fn, rec, 0, decl)
#define P_FILE_OP "int (struct inode *, struct file *)"
#define MOUNT_OF_FILE(f) f "->f_path.mnt:container(struct mount, mnt)"
#define MNT_FROM_FILE(f) MOUNT_OF_FILE(f) ".mnt_devname"
/* a super_block's first mount: s_mounts lists them through mount.mnt_instance; since Linux
 * 6.17 s_mounts points to the first one, linked by mnt_next_for_sb. (Both read the same way,
 * a pointer and then the struct mount around a member, so that a program compiled with one
 * runs with the other's offsets: nfsq --compile on 6.1, nfsq-run on 7.3.) */
#define MOUNT_OF_SB(sb) sb "->s_mounts.next:container(struct mount, mnt_instance)"
#define MOUNT_OF_SB2(sb) sb "->s_mounts->mnt:container(struct mount, mnt)"
#define MNT_FROM_SB(sb) MOUNT_OF_SB(sb) ".mnt_devname"
#define MNT_FROM_SB2(sb) MOUNT_OF_SB2(sb) ".mnt_devname"
/* the full path of a file (struct file *f), or of a dentry in its super_block's first mount */
#define PATH_OF_FILE(f) "path(" f "->f_path.dentry | " MOUNT_OF_FILE(f) ")"
#define PATH_OF_DENTRY(d, sb) "path(" d " | " MOUNT_OF_SB(sb) ")"
#define PATH_OF_DENTRY2(d, sb) "path(" d " | " MOUNT_OF_SB2(sb) ")"
#define DENTRY_PATHS {"path", PATH_OF_DENTRY("arg(struct dentry)", "arg(struct dentry)->d_sb"), true}, \
	{"path", PATH_OF_DENTRY2("arg(struct dentry)", "arg(struct dentry)->d_sb"), true}
#define MNT_FROM_DENTRY MNT_FROM_SB("arg(struct dentry)->d_sb")
#define MNT_FROM_INODE MNT_FROM_SB("arg(struct inode)->i_sb")
#define MNT_FROM_DENTRY2 MNT_FROM_SB2("arg(struct dentry)->d_sb")
#define MNT_FROM_INODE2 MNT_FROM_SB2("arg(struct inode)->i_sb")

static const struct field_recipe nfs_rw_rec[] = {
	{"file", "arg(struct kiocb)->ki_filp->f_path.dentry->d_name.name", RECIPE_STABLE},
	{"inode", "arg(struct kiocb)->ki_filp->f_inode->i_ino", RECIPE_STABLE},
	{"mount", MNT_FROM_FILE("arg(struct kiocb)->ki_filp"), RECIPE_STABLE},
	{"path", PATH_OF_FILE("arg(struct kiocb)->ki_filp"), RECIPE_STABLE},
	{"offset", "arg(struct kiocb)->ki_pos", true},
	{"bytes", "ret:positive", false},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_file_rec[] = {
	/* f(struct inode *, struct file *) and f(struct file *, ...) */
	{"file", "arg(struct file)->f_path.dentry->d_name.name", RECIPE_STABLE},
	{"inode", "arg(struct file)->f_inode->i_ino", RECIPE_STABLE},
	{"mount", MNT_FROM_FILE("arg(struct file)"), RECIPE_STABLE},
	{"path", PATH_OF_FILE("arg(struct file)"), RECIPE_STABLE},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_path_rec[] = {
	/* nfs_getattr(idmap, const struct path *, ...) */
	{"file", "arg(struct path)->dentry->d_name.name", true},
	{"inode", "arg(struct path)->dentry->d_inode->i_ino", true},
	{"mount", "arg(struct path)->mnt:container(struct mount, mnt).mnt_devname", true},
	{"path", "path(arg(struct path)->dentry | arg(struct path)->mnt:container(struct mount, mnt))", true},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_dentry_rec[] = {
	/* f(..., struct dentry *, ...): the dentry's own inode */
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "arg(struct dentry)->d_inode->i_ino", true},
	{"mount", MNT_FROM_DENTRY, true},
	{"mount", MNT_FROM_DENTRY2, true},
	DENTRY_PATHS,
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_dir_rec[] = {
	/* f(struct inode *dir, struct dentry *, ...): the directory's inode */
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "arg(struct inode)->i_ino", true},
	{"mount", MNT_FROM_DENTRY, true},
	{"mount", MNT_FROM_DENTRY2, true},
	DENTRY_PATHS,
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_lookup_rec[] = {
	/* returns a dentry or an ERR_PTR */
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "arg(struct inode)->i_ino", true},
	{"mount", MNT_FROM_DENTRY, true},
	{"mount", MNT_FROM_DENTRY2, true},
	DENTRY_PATHS,
	{"error", "ret:err_ptr", false},
};

/* NFSv4 opens of names not in the client's cache, and its creates, are atomic opens:
 * nfs_atomic_open(dir, dentry, file, open_flags, mode) sends the OPEN and finishes the
 * open itself (nfs4_file_open is not called). Only fexit sees the file afterwards,
 * and whether it was opened (f_op set). */
#define FGUARD(fn, rec, grd, grp)                                                                        \
	{                                                                                                \
		.kind = ATTACH_FENTRY, .target = fn, .end_kind = ATTACH_FEXIT,                           \
		.end_target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .guard = grd, .group = grp \
	}
#define ATOMIC_PATHS(when) {"path", PATH_OF_DENTRY("arg(struct dentry)", "arg(struct inode)->i_sb"), when}, \
	{"path", PATH_OF_DENTRY2("arg(struct dentry)", "arg(struct inode)->i_sb"), when}
static const struct field_recipe nfs_atomic_rec[] = {
	ATOMIC_PATHS(false),
	{"file", "arg(struct dentry)->d_name.name", false},
	{"inode", "arg(struct file)->f_inode->i_ino", false},
	{"mount", MNT_FROM_INODE, false},
	{"mount", MNT_FROM_INODE2, false},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_atomic_create_rec[] = {
	ATOMIC_PATHS(false),
	{"file", "arg(struct dentry)->d_name.name", false},
	{"inode", "arg(struct inode)->i_ino", false},
	{"mount", MNT_FROM_INODE, false},
	{"mount", MNT_FROM_INODE2, false},
	{"error", "ret:errno", false},
};
/* kernels before 5.11: a kprobe pair (no fexit without BTF) keeps the file at the start */
static const struct field_recipe nfs_atomic_old_rec[] = {
	ATOMIC_PATHS(true),
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "saved(struct file)->f_inode->i_ino", false},
	{"mount", MNT_FROM_INODE, true},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_atomic_create_old_rec[] = {
	ATOMIC_PATHS(true),
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "arg(struct inode)->i_ino", true},
	{"mount", MNT_FROM_INODE, true},
	{"error", "ret:errno", false},
};
/* 5.11+ with --no-fentry: the same kprobe pair through BTF's prototype */
static const struct field_recipe nfs_atomic_kp_rec[] = {
	ATOMIC_PATHS(true),
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "saved(struct file)->f_inode->i_ino", false},
	{"mount", MNT_FROM_INODE, true},
	{"mount", MNT_FROM_INODE2, true},
	{"error", "ret:errno", false},
};
static const struct field_recipe nfs_atomic_create_kp_rec[] = {
	ATOMIC_PATHS(true),
	{"file", "arg(struct dentry)->d_name.name", true},
	{"inode", "arg(struct inode)->i_ino", true},
	{"mount", MNT_FROM_INODE, true},
	{"mount", MNT_FROM_INODE2, true},
	{"error", "ret:errno", false},
};
#define P_ATOMIC_OPEN "int (struct inode *, struct dentry *, struct file *, unsigned int, umode_t)"
#define KOLDSAVE(fn, rec, grp, decl, save, grd)                                                            \
	{                                                                                                  \
		.kind = ATTACH_KPROBE, .target = fn, .end_kind = ATTACH_KRETPROBE, .end_target = fn,       \
		.recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp, .proto = decl, .saved = save,    \
		.guard = grd                                                                               \
	}
#define KSAVE(fn, rec, grp, save, grd) KOLDSAVE(fn, rec, grp, NULL, save, grd)
/* opened, or failed (an open that fails there fails) */
#define ATOMIC_OPENED "ret == 0 ? arg(struct file)->f_op : 1"
/* with O_CREAT (bit 6 of open_flags): an OPEN that creates the file unless it exists
 * (NFSv4 does not tell the client which; the kernel guesses from the directory's change
 * attribute, and FMODE_CREATED stays clear for creates on a tmpfs export) */
#define ATOMIC_CREATED "arg3:bit(6)"

static const struct probe_attach nfs_read_at[] = {KPAIR("nfs_file_read", nfs_rw_rec), KOLD("nfs_file_read", nfs_rw_rec, "ssize_t (struct kiocb *, struct iov_iter *)")};
static const struct probe_attach nfs_write_at[] = {KPAIR("nfs_file_write", nfs_rw_rec), KOLD("nfs_file_write", nfs_rw_rec, "ssize_t (struct kiocb *, struct iov_iter *)")};
static const struct probe_attach nfs_open_at[] = {
	KPAIRG("nfs4_file_open", nfs_file_rec, 0),
	KOLDG("nfs4_file_open", nfs_file_rec, 0, P_FILE_OP),
	KPAIRG("nfs_file_open", nfs_file_rec, 1),
	KOLDG("nfs_file_open", nfs_file_rec, 1, P_FILE_OP),
	FGUARD("nfs_atomic_open", nfs_atomic_rec, ATOMIC_OPENED, 2),
	KSAVE("nfs_atomic_open", nfs_atomic_kp_rec, 2, "arg(struct file)", "ret == 0 ? saved(struct file)->f_op : 1"),
	KOLDSAVE("nfs_atomic_open", nfs_atomic_old_rec, 2, P_ATOMIC_OPEN, "arg(struct file)",
		 "ret == 0 ? saved(struct file)->f_op : 1"),
};
static const struct probe_attach nfs_fsync_at[] = {KPAIR("nfs_file_fsync", nfs_file_rec), KOLD("nfs_file_fsync", nfs_file_rec, "int (struct file *, loff_t, loff_t, int)")};
static const struct probe_attach nfs_getattr_at[] = {KPAIR("nfs_getattr", nfs_path_rec), KOLD("nfs_getattr", nfs_path_rec, "int (struct path *, struct kstat *, u32, unsigned int)")};
static const struct probe_attach nfs_setattr_at[] = {KPAIR("nfs_setattr", nfs_dentry_rec), KOLD("nfs_setattr", nfs_dentry_rec, "int (struct dentry *, struct iattr *)")};
static const struct probe_attach nfs_lookup_at[] = {KPAIR("nfs_lookup", nfs_lookup_rec), KOLD("nfs_lookup", nfs_lookup_rec, "struct dentry *(struct inode *, struct dentry *, unsigned int)")};
static const struct probe_attach nfs_readdir_at[] = {KPAIR("nfs_readdir", nfs_file_rec), KOLD("nfs_readdir", nfs_file_rec, "int (struct file *, struct dir_context *)")};
/* 6.4+ has nfs_do_create, shared by nfs_create and the NFSv3 atomic open (creat(2) and
 * open(O_CREAT) go through the latter); before, nfs_create did the work */
static const struct probe_attach nfs_create_at[] = {
	KPAIRG("nfs_do_create", nfs_dir_rec, 0),
	KPAIRG("nfs_create", nfs_dir_rec, 0),
	KOLDG("nfs_create", nfs_dir_rec, 0, "int (struct inode *, struct dentry *, umode_t, bool)"),
	FGUARD("nfs_atomic_open", nfs_atomic_create_rec, ATOMIC_CREATED, 1),
	KSAVE("nfs_atomic_open", nfs_atomic_create_kp_rec, 1, ATOMIC_CREATED, "saved"),
	KOLDSAVE("nfs_atomic_open", nfs_atomic_create_old_rec, 1, P_ATOMIC_OPEN, ATOMIC_CREATED, "saved"),
};
static const struct probe_attach nfs_remove_at[] = {KPAIR("nfs_unlink", nfs_dentry_rec), KOLD("nfs_unlink", nfs_dentry_rec, "int (struct inode *, struct dentry *)")};
static const struct probe_attach nfs_rename_at[] = {KPAIR("nfs_rename", nfs_dentry_rec), KOLD("nfs_rename", nfs_dentry_rec, "int (struct inode *, struct dentry *, struct inode *, struct dentry *, unsigned int)")};

/* dentry revalidation: a cached name checked against the server (where ESTALE shows) */
static const struct probe_field nfs_reval_fields[] = {
	FILE_F,
	F_INT("inode", "inode number of the directory"),
	ERROR_F,
	LAT_F,
};
static const struct field_recipe nfs_reval_rec[] = {
	{"file", "tp.name", false},
	{"inode", "tp.dir", false},
	{"error", "tp.error:abs", false}, /* these tracepoints record a positive errno */
};
static const struct probe_attach nfs_reval_at[] = {
	{.kind = ATTACH_TRACEPOINT, .target = "nfs:nfs_lookup_revalidate_enter", .end_kind = ATTACH_TRACEPOINT, .end_target = "nfs:nfs_lookup_revalidate_exit", .recipes = nfs_reval_rec, .nrecipes = ARRAY_LEN(nfs_reval_rec)},
};

/* permission checks: every path component walked, ACCESS RPCs when the cache is cold */
static const struct field_recipe nfs_access_rec[] = {
	/* nfs_permission(idmap, struct inode *, mask) */
	/* the inode's first alias: dentry.d_alias is in the union d_u, anonymous since 6.x */
	{"file", "arg(struct inode)->i_dentry.first:container(struct dentry, d_u).d_name.name", true},
	{"file", "arg(struct inode)->i_dentry.first:container(struct dentry, d_alias).d_name.name", true},
#define ALIAS(m) "arg(struct inode)->i_dentry.first:container(struct dentry, " m ")"
	{"path", PATH_OF_DENTRY(ALIAS("d_u"), "arg(struct inode)->i_sb"), true},
	{"path", PATH_OF_DENTRY2(ALIAS("d_u"), "arg(struct inode)->i_sb"), true},
	{"path", PATH_OF_DENTRY(ALIAS("d_alias"), "arg(struct inode)->i_sb"), true},
	{"path", PATH_OF_DENTRY2(ALIAS("d_alias"), "arg(struct inode)->i_sb"), true},
	{"inode", "arg(struct inode)->i_ino", true},
	{"mount", MNT_FROM_INODE, true},
	{"mount", MNT_FROM_INODE2, true},
	{"error", "ret:errno", false},
};
static const struct probe_attach nfs_access_at[] = {KPAIR("nfs_permission", nfs_access_rec), KOLD("nfs_permission", nfs_access_rec, "int (struct inode *, int)")};

/* ---- NFS client page-cache I/O ---- */

static const struct probe_field nfs_io_fields[] = {
	INODE_F,
	F_INT("offset", "file offset of the RPC, bytes"),
	F_INT("bytes", "bytes the server reported moved"),
	F_INT("stable", "write stability: 0 unstable, 1 data sync, 2 file sync"),
	ERROR_F,
	LAT_F,
};
/* started by one task, completed by another (rpciod): paired by file and offset */
static const char *const nfs_io_pair[] = {"fileid", "offset"};
static const struct field_recipe nfs_rpc_read_rec[] = {
	{"inode", "tp.fileid", false},
	{"offset", "tp.offset", false},
	{"bytes", "tp.res_count", false},
	{"stable", "tp.eof", false},
	{"error", "tp.error:errno", false},
	{"error", "tp.status:errno", false}, /* before 5.11: the task's status */
};
static const struct field_recipe nfs_rpc_write_rec[] = {
	{"inode", "tp.fileid", false},
	{"offset", "tp.offset", false},
	{"bytes", "tp.res_count", false},
	{"stable", "tp.stable", false},
	{"error", "tp.error:errno", false},
	{"error", "tp.status:errno", false}, /* before 5.11: the task's status */
};
static const struct field_recipe nfs_rpc_commit_rec[] = {
	{"inode", "tp.fileid", false},
	{"offset", "tp.offset", false},
	{"bytes", "tp.count", true},
	{"stable", "tp.stable", false},
	{"error", "tp.error:errno", false},
	{"error", "tp.status:errno", false}, /* before 5.11: the task's status */
};
#define TPAIR(a, b, rec, key)                                                                \
	{                                                                                    \
		.kind = ATTACH_TRACEPOINT, .target = a, .end_kind = ATTACH_TRACEPOINT,       \
		.end_target = b, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .pair_key = key \
	}
static const struct probe_attach nfs_rpc_read_at[] = {
	TPAIR("nfs:nfs_initiate_read", "nfs:nfs_readpage_done", nfs_rpc_read_rec, nfs_io_pair),
};
static const struct probe_attach nfs_rpc_write_at[] = {
	TPAIR("nfs:nfs_initiate_write", "nfs:nfs_writeback_done", nfs_rpc_write_rec, nfs_io_pair),
};
static const struct probe_attach nfs_rpc_commit_at[] = {
	TPAIR("nfs:nfs_initiate_commit", "nfs:nfs_commit_done", nfs_rpc_commit_rec, nfs_io_pair),
};

/* ---- RPC client ---- */

#define RMOUNT_F                                                                               \
	{                                                                                      \
		.name = "mount", .type = {TYPE_STR, 64, 0}, .src = FIELD_KERNEL,               \
		.doc = "the NFS mount the RPC is for, as nfs.*'s mount (server:/export): the mount " \
		       "whose RPC client sent it; an NFSv4 lease or state RPC (SEQUENCE, RENEW, ...), " \
		       "sent by the client shared by every mount of that server, names the first of " \
		       "them, and mountstats counts it in each; an NFSv3 ACL RPC (prog nfsacl) names " \
		       "its mount, though mountstats does not count it; \"\" for RPCs of no NFS mount " \
		       "(lockd, the MOUNT protocol); found by walking the kernel's super_blocks (at most 256) " \
		       "at each event",                                                         \
		.instead = "server (the server's address); /proc/self/mountinfo maps it to the mounts" \
	}
/* the mount of an RPC client: its super_block's first mount's name */
#define RPCMOUNT(clnt) {"mount", "rpcmount(" clnt " | " MNT_FROM_SB("cur(struct super_block)") ")", false}, \
	{"mount", "rpcmount(" clnt " | " MNT_FROM_SB2("cur(struct super_block)") ")", false}

static const struct probe_field rpc_done_fields[] = {
	F_STR("prog", 16, "RPC program name (nfs, mount, nlockmgr, ...)"),
	F_INT("version", "RPC program version (3, 4)"),
	F_STR("op", 32, "procedure name (READ, WRITE, GETATTR, COMPOUND ops by name)"),
	F_INT("xid", "RPC transaction id"),
	F_STR("server", 48, "server address"),
	{.name = "port", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "the client's local port of the RPC's connection (the port the server sees, nfsd.request's "
		"client_port); 0 for a transport without a socket",
	 .instead = "xid alone, to match the request on the server"},
	RMOUNT_F,
	F_INT("rtt", "ns from transmit to reply"),
	F_INT("execute", "ns from task start to completion"),
	F_INT("backlog", "ns queued before transmit"),
	{.name = "status", .type = {TYPE_ERRNO, 8, 0}, .doc = "task status (0 or an errno)", .src = FIELD_KERNEL,
	 .instead = "rpc.error (each RPC that ends with an error, with its status)"},
	{.name = "ntrans", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "transmissions of the request: 1, plus its retransmissions (0: never sent; mountstats "
		"counts it as 1)",
	 .instead = "rpc.retransmit (each retransmission)"},
	{.name = "sent", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "bytes of the request sent, its retransmissions included (mountstats' per-op bytes sent)",
	 .instead = "nfs.rpc_read/nfs.rpc_write's bytes (the data moved, without the RPC headers)"},
	{.name = "received", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "bytes of the reply received (mountstats' per-op bytes received)",
	 .instead = "nfs.rpc_read/nfs.rpc_write's bytes (the data moved, without the RPC headers)"},
};
#define RAW(tp, rec)                                                                                    \
	{                                                                                               \
		.kind = ATTACH_RAW_TRACEPOINT, .target = tp, .recipes = rec, .nrecipes = ARRAY_LEN(rec) \
	}
#define TASK "arg(struct rpc_task)"
/* the raw tracepoint on kernels before 5.11, its arguments typed as Linux 5.10 declares them
 * (sunrpc's client structs are in 5.10's vmlinux BTF; nfsd's and svc_xprt are not) */
#define RAWOLD(tp, rec, decl)                                                                 \
	{                                                                                     \
		.kind = ATTACH_RAW_TRACEPOINT, .target = tp, .recipes = rec,                  \
		.nrecipes = ARRAY_LEN(rec), .proto = decl                                     \
	}
/* rpc_stats_latency(task, backlog, rtt, execute): the ktime_t durations are ns */
static const struct field_recipe rpc_done_rec[] = {
	{"prog", TASK "->tk_client->cl_program->name", false},
	{"version", TASK "->tk_client->cl_vers", false},
	{"op", TASK "->tk_msg.rpc_proc->p_name", false},
	{"xid", TASK "->tk_rqstp->rq_xid:be32", false},
	{"server", TASK "->tk_xprt->address_strings[0]", false},
	{"port", TASK "->tk_xprt:container(struct sock_xprt, xprt).inet->__sk_common.skc_num", false},
	{"backlog", "arg1", false},
	{"rtt", "arg2", false},
	{"execute", "arg3", false},
	{"status", TASK "->tk_status:errno", false},
	RPCMOUNT(TASK "->tk_client"),
	{"ntrans", TASK "->tk_rqstp->rq_ntrans", false},
	{"sent", TASK "->tk_rqstp->rq_xmit_bytes_sent", false},
	{"received", TASK "->tk_rqstp->rq_reply_bytes_recvd", false},
};
/* the classic tracepoint, where the raw one's struct rpc_task has no BTF (before 5.11): its
 * durations are in microseconds, and it records neither the server nor the status */
static const struct field_recipe rpc_done_tp_rec[] = {
	{"prog", "tp.progname", false},
	{"version", "tp.version", false},
	{"op", "tp.procname", false},
	{"xid", "tp.xid", false},
	{"backlog", "tp.backlog*1000", false},
	{"rtt", "tp.rtt*1000", false},
	{"execute", "tp.execute*1000", false},
};
#define TP(tp, rec)                                                                                 \
	{                                                                                           \
		.kind = ATTACH_TRACEPOINT, .target = tp, .recipes = rec, .nrecipes = ARRAY_LEN(rec) \
	}
static const struct probe_attach rpc_done_at[] = {
	RAW("rpc_stats_latency", rpc_done_rec),
	RAWOLD("rpc_stats_latency", rpc_done_rec, "void (struct rpc_task *, ktime_t, ktime_t, ktime_t)"),
	TP("sunrpc:rpc_stats_latency", rpc_done_tp_rec),
};

static const struct probe_field rpc_trouble_fields[] = {
	F_STR("op", 32, "procedure name"),
	F_INT("xid", "RPC transaction id"),
	F_STR("server", 48, "server address"),
	RMOUNT_F,
	F_INT("ntrans", "transmissions so far"),
	F_ERRNO("status", "task status (an errno)"),
};
#define RQST "arg(struct rpc_rqst)"
static const struct field_recipe rpc_retransmit_rec[] = {
	/* xprt_retransmit(rqst) */
	{"op", RQST "->rq_task->tk_msg.rpc_proc->p_name", false},
	{"xid", RQST "->rq_xid:be32", false},
	{"server", RQST "->rq_xprt->address_strings[0]", false},
	{"ntrans", RQST "->rq_ntrans", false},
	{"status", RQST "->rq_task->tk_status:errno", false},
	RPCMOUNT(RQST "->rq_task->tk_client"),
};
static const struct field_recipe rpc_task_rec[] = {
	/* f(task, ...) */
	{"op", TASK "->tk_msg.rpc_proc->p_name", false},
	{"xid", TASK "->tk_rqstp->rq_xid:be32", false},
	{"server", TASK "->tk_xprt->address_strings[0]", false},
	{"ntrans", TASK "->tk_rqstp->rq_ntrans", false},
	{"status", TASK "->tk_status:errno", false},
	RPCMOUNT(TASK "->tk_client"),
};
/* before 5.11 (no xprt_retransmit): xprt_transmit(rqst, status) ends each send, where later
 * kernels fire xprt_retransmit just before it for a send that succeeded and was not the first,
 * rq_ntrans counting this one in both; a retransmission here is such a send. (A request whose
 * reply came while it waited to be sent again also ends with status 0 and no send: counted.) */
static const struct field_recipe rpc_transmit_old_rec[] = {
	{"op", RQST "->rq_task->tk_msg.rpc_proc->p_name", false},
	{"ntrans", RQST "->rq_ntrans", false},
	{"xid", RQST "->rq_xid:be32", false},
	{"server", RQST "->rq_xprt->address_strings[0]", false},
	{"status", RQST "->rq_task->tk_status:errno", false},
	RPCMOUNT(RQST "->rq_task->tk_client"),
};
static const struct probe_attach rpc_retransmit_at[] = {
	RAW("xprt_retransmit", rpc_retransmit_rec),
	{.kind = ATTACH_RAW_TRACEPOINT, .target = "xprt_transmit", .recipes = rpc_transmit_old_rec, .nrecipes = ARRAY_LEN(rpc_transmit_old_rec), .proto = "void (struct rpc_rqst *, int)", .guard = "arg1 != 0 ? 0 : " RQST "->rq_ntrans == 1 ? 0 : 1"},
};
/* a major timeout: "server not responding" on hard mounts, the end of the task on soft ones */
static const struct field_recipe rpc_timeout_tp_rec[] = {{"status", "tp.status:errno", false}};
static const struct probe_attach rpc_timeout_at[] = {
	RAW("rpc_timeout_status", rpc_task_rec),
	RAWOLD("rpc_timeout_status", rpc_task_rec, "void (struct rpc_task *)"),
	TP("sunrpc:rpc_timeout_status", rpc_timeout_tp_rec),
};
static const struct field_recipe rpc_error_rec[] = {
	/* rpc_call_rpcerror(task, tk_status, rpc_status) */
	{"op", TASK "->tk_msg.rpc_proc->p_name", false},
	{"xid", TASK "->tk_rqstp->rq_xid:be32", false},
	{"server", TASK "->tk_xprt->address_strings[0]", false},
	{"ntrans", TASK "->tk_rqstp->rq_ntrans", false},
	{"status", "arg1:errno", false}, /* the error the task ends with */
	RPCMOUNT(TASK "->tk_client"),
};
static const struct field_recipe rpc_error_tp_rec[] = {{"status", "tp.tk_status:errno", false}};
static const struct probe_attach rpc_error_at[] = {
	RAW("rpc_call_rpcerror", rpc_error_rec),
	RAWOLD("rpc_call_rpcerror", rpc_error_rec, "void (struct rpc_task *, int, int)"),
	TP("sunrpc:rpc_call_rpcerror", rpc_error_tp_rec),
};

/* ---- NFS server ---- */

#define SVC "arg(struct svc_rqst)"
#define CLIENT_F                                                                             \
	{                                                                                    \
		.name = "client", .type = {TYPE_STR, 48, 0}, .doc = "client address", .src = FIELD_KERNEL, \
		.instead = "xid, to match the request in the client's rpc.done (its server field) or in a capture" \
	}
#define SVC_CLIENT SVC "->rq_xprt->xpt_remotebuf"

#define SPATH_F                                                                                \
	{                                                                                      \
		.name = "path", .type = {TYPE_STR, 256, 0},                                    \
		.doc = "the file's path on the server (/srv/export/dir/f.dat), as the nfs.* path; " \
		       "\"(disconnected)\" where the server's dentry for the file handle is not " \
		       "connected to its export (a handle decoded after the name left the cache)", \
		.src = FIELD_KERNEL, .instead = "xid, to match the client's request and its path" \
	}
#define EXPORT_F                                                                               \
	{                                                                                      \
		.name = "export", .type = {TYPE_STR, 256, 0},                                  \
		.doc = "the export's root on the server (/srv/export)", .src = FIELD_KERNEL,   \
		.instead = "client, and the server's /etc/exports"                             \
	}
#define FH_EXPORT_MNT(fh) fh "->fh_export->ex_path.mnt:container(struct mount, mnt)"
#define FH_PATHS(fh, when) {"path", "path(" fh "->fh_dentry | " FH_EXPORT_MNT(fh) ")", when}, \
	{"export", "path(" fh "->fh_export->ex_path.dentry | " FH_EXPORT_MNT(fh) ")", when}

static const struct probe_field nfsd_request_fields[] = {
	CLIENT_F,
	{.name = "client_port", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "the client's port (rpc.done's port on the client), over TCP; 0 over UDP and RDMA",
	 .instead = "client (the address and port, as a string)"},
	F_INT("prog", "RPC program number (100003 NFS, 100227 NFS ACL)"),
	F_INT("version", "NFS version of the request"),
	F_STR("op", 32, "procedure name (COMPOUND for v4)"),
	F_INT("xid", "RPC transaction id"),
	F_NFSSTAT("status", "NFS status of the reply (v4: of the whole compound; 0 for NULL and non-NFS programs)"),
	{.name = "client_uid", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "uid of the request's credential as the client sent it (AUTH_SYS), before the export's "
		"root or all squashing (the builtin uid is the nfsd thread's)",
	 .instead = "client (the client's address)"},
	{.name = "client_gid", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "gid of the request's credential as the client sent it, before squashing",
	 .instead = "client (the client's address)"},
	F_INT("latency", "ns from the request's arrival to its reply"),
	{.name = "queue", .type = {TYPE_INT, 8, 0}, .src = FIELD_KERNEL,
	 .doc = "ns the request's transport waited for an nfsd thread: from svc_xprt_enqueue queueing "
		"it (data arrived, or the thread before took a request off and more is there) to a thread "
		"taking it (the svc_xprt_dequeue tracepoint): an idle thread's wake-up, or with none idle "
		"the rest of a busy thread's request at least (a request behind others on one connection "
		"waits in its socket before that, unseen). Read at a pair of events and a stamp program "
		"(costlier per request); requests no thread dequeues (NFSv4.1 callbacks on the client) "
		"are not seen where it is read",
	 .instead = "/proc/fs/nfsd/pool_stats (threads-woken against sockets-enqueued), or latency"},
};
/* The status the reply carries: every NFSv2/v3 (and NFS ACL) result struct starts with it;
 * an NFSv4 COMPOUND keeps it in cstate.status; NULL and other programs (lockd, the
 * client's callback service) have none here. */
#define NFSD_STATUS                                                                     \
	SVC "->rq_proc == 0 ? 0 : " SVC "->rq_prog == 100227 ? " NFSD_STATUS3 " : " SVC \
	    "->rq_prog != 100003 ? 0 : " SVC "->rq_vers == 4 ? " NFSD_STATUS4 " : " NFSD_STATUS3
#define NFSD_STATUS3 SVC "->rq_resp:container(struct nfsd3_attrstat, status).status:be32"
#define NFSD_STATUS4 SVC "->rq_resp:container(struct nfsd4_compoundres, xdr).cstate.status:be32"
#define NFSD_REQUEST_RECIPES                                                                   \
	{"client", SVC_CLIENT, false}, \
	{"client_port", SVC "->rq_prot != 6 ? 0 : " SVC "->rq_xprt:container(struct svc_sock, sk_xprt).sk_sk->__sk_common.skc_dport:be16", false}, \
	{"prog", SVC "->rq_prog", false}, \
	{"version", SVC "->rq_vers", false}, \
	{"op", SVC "->rq_procinfo->pc_name", false}, \
	{"xid", SVC "->rq_xid:be32", false}, \
	{"status", NFSD_STATUS, false}, \
	{"latency", SVC "->rq_stime:since", false}, \
	{"client_uid", SVC "->rq_cred.cr_uid.val", false}, \
	{"client_gid", SVC "->rq_cred.cr_gid.val", false}
static const struct field_recipe nfsd_request_rec[] = {
	/* svc_stats_latency(rqst): at the reply */
	NFSD_REQUEST_RECIPES,
};
/* queue: a thread takes the transport (svc_xprt_dequeue) and handles one request of it to
 * its reply (svc_stats_latency), in that thread. Linux 7.x keeps when the transport was
 * queued (xpt_qtime); before, the stamp program below keeps it. */
static const struct field_recipe nfsd_request_qtime_rec[] = {
	NFSD_REQUEST_RECIPES,
	{"queue", SVC "->rq_xprt->xpt_qtime:since", true},
};
static const struct field_recipe nfsd_request_stamp_rec[] = {
	NFSD_REQUEST_RECIPES,
	{"queue", "stamp(" SVC "->rq_xprt)", true},
};
/* svc_xprt_enqueue(xprt) queues a transport only when it is not XPT_BUSY (bit 0 of
 * xpt_flags on every kernel; a thread holds it, or it is queued already), and keeps it busy
 * until a thread has taken it and read a request off: stamped at its entry where that bit
 * is clear, the last stamp before a thread takes it is when it was queued. (Most calls, a
 * socket's write space callback, find nothing to do and are stamped too, to no harm: the
 * test for something to do reads flags whose bits moved between kernels, XPT_DEFERRED 8 on
 * 6.1 and 7 on 6.12, and 6.1's BTF has not their enum.) */
#define SVC_ENQUEUE_GUARD "arg(struct svc_xprt)->xpt_flags:bit(0) == 0 ? 1 : 0"
static const struct probe_stamp svc_enqueue_fentry = {ATTACH_FENTRY, "svc_xprt_enqueue", "arg(struct svc_xprt)",
						      SVC_ENQUEUE_GUARD, NULL};
static const struct probe_stamp svc_enqueue_kprobe = {ATTACH_KPROBE, "svc_xprt_enqueue", "arg(struct svc_xprt)",
						      SVC_ENQUEUE_GUARD, NULL};
#define SVC_QUEUE_PAIR(rec, st)                                                                           \
	{                                                                                                 \
		.kind = ATTACH_RAW_TRACEPOINT, .target = "svc_xprt_dequeue", .end_kind = ATTACH_RAW_TRACEPOINT, \
		.end_target = "svc_stats_latency", .recipes = rec, .nrecipes = ARRAY_LEN(rec), .stamp = st      \
	}
/* the classic tracepoint as Linux 5.10 has it (execute in microseconds) */
static const struct field_recipe nfsd_request_tp_rec[] = {
	{"client", "tp.addr", false},
	{"op", "tp.procedure", false},
	{"xid", "tp.xid", false},
	{"latency", "tp.execute*1000", false},
};
static const struct probe_attach nfsd_request_at[] = {
	RAW("svc_stats_latency", nfsd_request_rec),
	RAWOLD("svc_stats_latency", nfsd_request_rec, "void (struct svc_rqst *)"),
	TP("sunrpc:svc_stats_latency", nfsd_request_tp_rec),
	SVC_QUEUE_PAIR(nfsd_request_qtime_rec, NULL),
	SVC_QUEUE_PAIR(nfsd_request_stamp_rec, &svc_enqueue_fentry),
	SVC_QUEUE_PAIR(nfsd_request_stamp_rec, &svc_enqueue_kprobe),
};

static const struct probe_field nfsd_op_fields[] = {
	CLIENT_F,
	SPATH_F,
	EXPORT_F,
	F_INT("xid", "RPC transaction id of the compound"),
	F_STR("op", 32, "NFSv4 operation name (READ, GETATTR, OPEN, ...)"),
	F_NFSSTAT("status", "status of the operation"),
	F_INT("index", "position of the operation in its compound (1 = first)"),
	F_LATENCY("latency", "ns from the end of the previous op (or the compound's start) to this op's end"),
};
/* nfsd_compound(rqst, ...) when a compound starts, nfsd_compound_status(args_opcnt,
 * resp_opcnt, status, name) after each of its ops, in the same nfsd thread */
static const struct field_recipe nfsd_op_rec[] = {
	{"client", SVC_CLIENT, true},
	{"xid", SVC "->rq_xid:be32", true},
	{"op", "arg3:strip(OP_)", false}, /* the kernel's names are OP_READ, ...: the protocol's READ */
	{"status", "arg2:be32", false},
	{"index", "arg1", false},
	/* the compound's current file handle after the op (none: "") */
#define CURRENT_FH "saved(struct svc_rqst)->rq_resp:container(struct nfsd4_compoundres, xdr).cstate.current_fh"
	{"path", "path(" CURRENT_FH ".fh_dentry | " CURRENT_FH ".fh_export->ex_path.mnt:container(struct mount, mnt))", false},
	{"export", "path(" CURRENT_FH ".fh_export->ex_path.dentry | " CURRENT_FH ".fh_export->ex_path.mnt:container(struct mount, mnt))", false},
};
static const struct probe_attach nfsd_op_at[] = {
	{.kind = ATTACH_RAW_TRACEPOINT, .target = "nfsd_compound", .end_kind = ATTACH_RAW_TRACEPOINT, .end_target = "nfsd_compound_status", .recipes = nfsd_op_rec, .nrecipes = ARRAY_LEN(nfsd_op_rec), .chain = true, .saved = SVC},
	{.kind = ATTACH_RAW_TRACEPOINT, .target = "nfsd_compound", .end_kind = ATTACH_RAW_TRACEPOINT, .end_target = "nfsd_compound_status", .recipes = nfsd_op_rec, .nrecipes = ARRAY_LEN(nfsd_op_rec), .chain = true, .saved = SVC, .proto = "void (struct svc_rqst *, u32)", .end_proto = "void (u32, u32, __be32, const char *)"},
};

static const struct probe_field nfsd_io_fields[] = {
	CLIENT_F,
	SPATH_F,
	EXPORT_F,
	F_INT("xid", "RPC transaction id"),
	F_INT("offset", "file offset, bytes"),
	F_INT("bytes", "bytes moved"),
	LAT_F,
};
/* nfsd_{read,write}_{start,done}(rqstp, fhp, offset, len), both in the nfsd thread */
static const struct field_recipe nfsd_io_rec[] = {
	{"client", SVC_CLIENT, false},
	{"xid", SVC "->rq_xid:be32", false},
	{"offset", "arg2", false},
	{"bytes", "arg3", false},
	FH_PATHS("arg(struct svc_fh)", false),
};
#define RAWPAIR(a, b, rec)                                                                     \
	{                                                                                      \
		.kind = ATTACH_RAW_TRACEPOINT, .target = a, .end_kind = ATTACH_RAW_TRACEPOINT, \
		.end_target = b, .recipes = rec, .nrecipes = ARRAY_LEN(rec)                    \
	}
#define NFSD_IO_DECL "void (struct svc_rqst *, struct svc_fh *, loff_t, unsigned long)"
#define RAWPAIR_OLD(a, b, rec)                                                                 \
	{                                                                                      \
		.kind = ATTACH_RAW_TRACEPOINT, .target = a, .end_kind = ATTACH_RAW_TRACEPOINT, \
		.end_target = b, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .proto = NFSD_IO_DECL \
	}
static const struct field_recipe nfsd_io_tp_rec[] = {
	{"xid", "tp.xid", false},
	{"offset", "tp.offset", false},
	{"bytes", "tp.len", false},
};
#define TPAIR_THREAD(a, b, rec)                                                          \
	{                                                                                \
		.kind = ATTACH_TRACEPOINT, .target = a, .end_kind = ATTACH_TRACEPOINT,   \
		.end_target = b, .recipes = rec, .nrecipes = ARRAY_LEN(rec)              \
	}
static const struct probe_attach nfsd_read_at[] = {
	RAWPAIR("nfsd_read_start", "nfsd_read_done", nfsd_io_rec),
	RAWPAIR_OLD("nfsd_read_start", "nfsd_read_done", nfsd_io_rec),
	TPAIR_THREAD("nfsd:nfsd_read_start", "nfsd:nfsd_read_done", nfsd_io_tp_rec),
};
static const struct probe_attach nfsd_write_at[] = {
	RAWPAIR("nfsd_write_start", "nfsd_write_done", nfsd_io_rec),
	RAWPAIR_OLD("nfsd_write_start", "nfsd_write_done", nfsd_io_rec),
	TPAIR_THREAD("nfsd:nfsd_write_start", "nfsd:nfsd_write_done", nfsd_io_tp_rec),
};

static const struct probe_field nfsd_commit_fields[] = {
	CLIENT_F,
	SPATH_F,
	EXPORT_F,
	F_INT("xid", "RPC transaction id"),
	F_INT("offset", "start of the range committed, bytes"),
	F_INT("bytes", "length of the range committed (0 = to the end of the file)"),
	F_NFSSTAT("status", "status of the commit"),
	LAT_F,
};
static const struct field_recipe nfsd_commit_rec[] = {
	/* nfsd_commit(rqst, fhp, nf, offset, count) */
	{"client", SVC_CLIENT, true},
	{"xid", SVC "->rq_xid:be32", true},
	{"offset", "arg3", true},
	{"bytes", "arg4", true},
	{"status", "ret:be32", false},
	FH_PATHS("arg(struct svc_fh)", RECIPE_STABLE),
};
/* nfsd_commit(rqstp, fhp, offset, count) before 5.12 */
static const struct field_recipe nfsd_commit_old_rec[] = {
	{"client", SVC_CLIENT, true},
	{"xid", SVC "->rq_xid:be32", true},
	{"offset", "arg2", true},
	{"bytes", "arg3", true},
	{"status", "ret:be32", false},
	FH_PATHS("arg(struct svc_fh)", RECIPE_STABLE),
};
static const struct probe_attach nfsd_commit_at[] = {
	KPAIR("nfsd_commit", nfsd_commit_rec),
	KOLD("nfsd_commit", nfsd_commit_old_rec, "__be32 (struct svc_rqst *, struct svc_fh *, loff_t, unsigned long)"),
};

/* ---- NFSv4 state: locks (client and server), callbacks ---- */

static const struct probe_field nfs_lock_fields[] = {
	FILE_F,
	PATH_F,
	INODE_F,
	MOUNT_F,
	F_STR("type", 8, "READ or WRITE (a LOCK request), UNLOCK (a LOCKU)"),
	F_INT("start", "first byte of the range, bytes"),
	F_INT("length", "bytes in the range (0 = to the end of the file)"),
	F_INT("lock_pid", "the process whose lock it is (the builtin pid and comm are the RPC's worker "
			  "thread, kworker: the completion runs in rpciod)"),
	F_INT("xid", "RPC transaction id (nfsd.lock's xid on the server); 0 on NFSv3, whose event is a "
		     "lock call, not one RPC"),
	F_ERRNO("error", "the request's result as an errno: 0 granted (or unlocked), EAGAIN denied "
			 "(NFS4ERR_DENIED: another owner holds a conflicting lock), an NFSv4 error "
			 "number above 10000 where the kernel has no errno for it"),
	F_INT("latency", "ns from the RPC task's start (or its restart) to its completion, "
			 "as rpc.done's execute; on NFSv3 the lock call's, entry to return, its waiting included"),
};
/* nfs4_lock_done(task, calldata) and nfs4_locku_done(task, data), the RPCs' completion
 * callbacks: calldata is a struct nfs4_lockdata (nfs4_unlockdata), its first member the
 * RPC's arguments, with a copy of the lock request (fl); struct file_lock keeps its file
 * and type in fl_file, fl_type before Linux 6.9 and in c.flc_file, c.flc_type since */
#define NFS_LOCK_RECIPES(data)                                                                        \
	{"file", FL_FILE(data, "fl_file") "->f_path.dentry->d_name.name", false},                     \
	{"file", FL_FILE(data, "c.flc_file") "->f_path.dentry->d_name.name", false},                  \
	{"path", PATH_OF_FILE(FL_FILE(data, "fl_file")), false},                                      \
	{"path", PATH_OF_FILE(FL_FILE(data, "c.flc_file")), false},                                   \
	{"inode", FL_FILE(data, "fl_file") "->f_inode->i_ino", false},                                \
	{"inode", FL_FILE(data, "c.flc_file") "->f_inode->i_ino", false},                             \
	{"mount", MNT_FROM_FILE(FL_FILE(data, "fl_file")), false},                                    \
	{"mount", MNT_FROM_FILE(FL_FILE(data, "c.flc_file")), false},                                 \
	{"type", FL_TYPE(data, "fl_type"), false},                                                    \
	{"type", FL_TYPE(data, "c.flc_type"), false},                                                 \
	{"lock_pid", FL(data) ".fl_pid", false},                                                      \
	{"lock_pid", FL(data) ".c.flc_pid", false},                                                   \
	{"start", FL(data) ".fl_start", false},                                                       \
	{"length", "span(" FL(data) ".fl_start | " FL(data) ".fl_end)", false},                       \
	{"xid", TASK "->tk_rqstp->rq_xid:be32", false},                                          \
	{"error", TASK "->tk_status == -10010 ? 11 : " TASK "->tk_status:errno", false},    \
	{"latency", TASK "->tk_start:since", false}
#define FL(data) "arg1:container(struct " data ", arg).fl"
#define FL_FILE(data, m) FL(data) "." m
/* F_RDLCK 0, F_WRLCK 1, F_UNLCK 2 */
#define FL_TYPE(data, m) FL(data) "." m " == 0 ? 'READ' : " FL(data) "." m " == 1 ? 'WRITE' : 'UNLOCK'"
static const struct field_recipe nfs_lock_rec[] = {NFS_LOCK_RECIPES("nfs4_lockdata")};
static const struct field_recipe nfs_locku_rec[] = {NFS_LOCK_RECIPES("nfs4_unlockdata")};
/* one event at a function's entry: fentry, or a kprobe where it cannot be had */
#define KONE(fn, rec, grp)                                                                           \
	{.kind = ATTACH_FENTRY, .target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp}, \
	{                                                                                            \
		.kind = ATTACH_KPROBE, .target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp \
	}
/* before 5.11 (no BTF for the modules): what the RPC task gives */
#define KONEOLD(fn, rec, grp, decl)                                                                          \
	{                                                                                                    \
		.kind = ATTACH_KPROBE, .target = fn, .recipes = rec, .nrecipes = ARRAY_LEN(rec), .group = grp, \
		.proto = decl                                                                                \
	}
#define P_RPC_DONE "void (struct rpc_task *, void *)"
/* NFSv3: nlmclnt_proc(host, cmd, fl, data), the NLM client's entry for a lock or unlock
 * (and F_GETLK, left out by the guard: F_GETLK 5, F_OFD_GETLK 36), in the process's own
 * context; fl is its struct file_lock. The request may change fl (a lock merged with an
 * adjacent one), so the range and type are read at the entry. */
#define NLM_FL "arg(struct file_lock)"
#define NLMCLNT_RECIPES(m)                                                                            \
	{"file", NLM_FL "->" m "file->f_path.dentry->d_name.name", RECIPE_STABLE},                    \
	{"path", PATH_OF_FILE(NLM_FL "->" m "file"), RECIPE_STABLE},                                  \
	{"inode", NLM_FL "->" m "file->f_inode->i_ino", RECIPE_STABLE},                               \
	{"mount", MNT_FROM_FILE(NLM_FL "->" m "file"), RECIPE_STABLE},                                \
	{"type", NLM_FL "->" m "type == 0 ? 'READ' : " NLM_FL "->" m "type == 1 ? 'WRITE' : 'UNLOCK'", true}, \
	{"lock_pid", NLM_FL "->" m "pid", true}
static const struct field_recipe nlmclnt_rec[] = {
	NLMCLNT_RECIPES("fl_"),
	NLMCLNT_RECIPES("c.flc_"),
	{"start", NLM_FL "->fl_start", true},
	{"length", "span(" NLM_FL "->fl_start | " NLM_FL "->fl_end)", true},
	{"xid", "0", false},
	{"error", "ret:errno", false},
	{"latency", "elapsed", false},
};
#define NLM_NOT_GETLK(cmd) cmd " == 5 ? 0 : " cmd " == 36 ? 0 : 1"
#define P_NLMCLNT_PROC "int (void *, int, struct file_lock *, void *)"
static const struct probe_attach nfs_lock_at[] = {
	KONE("nfs4_lock_done", nfs_lock_rec, 0),
	KONEOLD("nfs4_lock_done", nfs_lock_rec, 0, P_RPC_DONE),
	KONE("nfs4_locku_done", nfs_locku_rec, 1),
	KONEOLD("nfs4_locku_done", nfs_locku_rec, 1, P_RPC_DONE),
	FGUARD("nlmclnt_proc", nlmclnt_rec, NLM_NOT_GETLK("arg1"), 2),
	KSAVE("nlmclnt_proc", nlmclnt_rec, 2, "arg1", NLM_NOT_GETLK("saved")),
	KOLDSAVE("nlmclnt_proc", nlmclnt_rec, 2, P_NLMCLNT_PROC, "arg1", NLM_NOT_GETLK("saved")),
};

static const struct probe_field nfsd_lock_fields[] = {
	CLIENT_F,
	SPATH_F,
	EXPORT_F,
	F_INT("xid", "RPC transaction id of the compound or the NLM request (nfs.lock's xid on an NFSv4 client)"),
	F_STR("type", 8, "READ or WRITE (a LOCK), UNLOCK (a LOCKU, an NLM UNLOCK)"),
	F_INT("wait", "1 for a LOCK whose client will wait for the lock (READW, WRITEW; NLM's block flag: "
		      "F_SETLKW), else 0"),
	F_INT("start", "first byte of the range, bytes"),
	F_INT("length", "bytes in the range (0 = to the end of the file)"),
	F_NFSSTAT("status", "the operation's status (NFS4ERR_DENIED: a conflicting lock is held)"),
	LAT_F,
};
/* nfsd4_lock(rqstp, cstate, u) and nfsd4_locku: u (union nfsd4_op_u *) holds a struct
 * nfsd4_lock (lk_type: READ_LT 1, WRITE_LT 2, READW_LT 3, WRITEW_LT 4) or nfsd4_locku;
 * the compound's current file handle is the file */
#define CSTATE_FH "arg(struct nfsd4_compound_state)->current_fh"
#define NFSD_LOCK_COMMON                                                                              \
	{"client", SVC_CLIENT, RECIPE_STABLE},                                                        \
	{"xid", SVC "->rq_xid:be32", RECIPE_STABLE},                                                  \
	{"path", "path(" CSTATE_FH ".fh_dentry | " CSTATE_FH ".fh_export->ex_path.mnt:container(struct mount, mnt))", RECIPE_STABLE}, \
	{"export", "path(" CSTATE_FH ".fh_export->ex_path.dentry | " CSTATE_FH ".fh_export->ex_path.mnt:container(struct mount, mnt))", RECIPE_STABLE}, \
	{"status", "ret:be32", false}
#define LK "arg2:container(struct nfsd4_lock, lk_type)"
#define LU "arg2:container(struct nfsd4_locku, lu_type)"
static const struct field_recipe nfsd_lock_rec[] = {
	NFSD_LOCK_COMMON,
	{"type", LK ".lk_type == 2 ? 'WRITE' : " LK ".lk_type == 4 ? 'WRITE' : 'READ'", RECIPE_STABLE},
	{"wait", LK ".lk_type == 3 ? 1 : " LK ".lk_type == 4 ? 1 : 0", RECIPE_STABLE},
	{"start", LK ".lk_offset", RECIPE_STABLE},
	{"length", LK ".lk_length == -1 ? 0 : " LK ".lk_length", RECIPE_STABLE},
};
static const struct field_recipe nfsd_locku_rec[] = {
	NFSD_LOCK_COMMON,
	{"type", "'UNLOCK'", false},
	{"wait", "0", false},
	{"start", LU ".lu_offset", RECIPE_STABLE},
	{"length", LU ".lu_length == -1 ? 0 : " LU ".lu_length", RECIPE_STABLE},
};
#define P_NFSD4_OP "__be32 (struct svc_rqst *, void *, void *)"
/* NFSv3 (NLM, in lockd): nlmsvc_lock(rqstp, file, host, lock, wait, cookie, reclaim) for
 * every LOCK (NLMv4 and v1/3, LOCK and LOCK_MSG); lock->fl is the request, its file set to
 * the server's open file. The status is NLM's, given as its NFSv4 equivalent: GRANTED
 * NFS_OK, DENIED and BLOCKED (a waiting lock queued: the server calls back with GRANTED)
 * NFS4ERR_DENIED, DENIED_NOLOCKS RESOURCE, DENIED_GRACE_PERIOD GRACE, DEADLCK DEADLOCK,
 * ROFS, STALE_FH STALE, FBIG, FAILED IO; nfsd's internal ones (drop the reply) as they are. */
#define NLM_STATUS(r)                                                                                 \
	r " == 0 ? 0 : " r " == 1 ? 10010 : " r " == 3 ? 10010 : " r " == 2 ? 10018 : " r " == 4 ? 10013 : " \
	r " == 5 ? 10045 : " r " == 6 ? 30 : " r " == 7 ? 70 : " r " == 8 ? 27 : " r " == 9 ? 5 : " r
#define NLMSVC_PATHS(f, when)                                                                         \
	{"path", PATH_OF_FILE(f), when},                                                              \
	{"export", "path(" f "->f_path.mnt->mnt_root | " MOUNT_OF_FILE(f) ")", when}
/* by position: struct nlm_lock became struct lockd_lock in Linux 7.x */
#define NLML "arg3->fl"
static const struct field_recipe nlmsvc_lock_rec[] = {
	{"client", SVC_CLIENT, RECIPE_STABLE},
	{"xid", SVC "->rq_xid:be32", RECIPE_STABLE},
	NLMSVC_PATHS(NLML ".fl_file", RECIPE_STABLE),
	NLMSVC_PATHS(NLML ".c.flc_file", RECIPE_STABLE),
	{"type", NLML ".fl_type == 1 ? 'WRITE' : 'READ'", true},
	{"type", NLML ".c.flc_type == 1 ? 'WRITE' : 'READ'", true},
	{"wait", "arg4 == 0 ? 0 : 1", RECIPE_STABLE},
	{"start", NLML ".fl_start", true},
	{"length", "span(" NLML ".fl_start | " NLML ".fl_end)", true},
	{"status", NLM_STATUS("ret:be32"), false},
};
/* an UNLOCK: from the handler (nlm4svc_proc_unlock(rqstp): the client, the xid) to the end
 * of nlmsvc_unlock(net, file, lock), whose file (arg1, a struct nlm_file) holds the server's
 * open file, f_file[O_RDONLY] (the one an unlock's lookup opens) */
#define NLMSVC_SAVED "saved(struct svc_rqst)"
static const struct field_recipe nlmsvc_unlock_rec[] = {
	{"client", NLMSVC_SAVED "->rq_xprt->xpt_remotebuf", false},
	{"xid", NLMSVC_SAVED "->rq_xid:be32", false},
	NLMSVC_PATHS("arg1->f_file[0]", false),
	{"type", "'UNLOCK'", false},
	{"wait", "0", false},
	{"start", "arg2->fl.fl_start", false},
	{"length", "span(arg2->fl.fl_start | arg2->fl.fl_end)", false},
	{"status", NLM_STATUS("ret:be32"), false},
};
#define NLM_UNLOCK(k, ek, ...)                                                                        \
	{                                                                                             \
		.kind = k, .target = "nlm4svc_proc_unlock", .end_kind = ek, .end_target = "nlmsvc_unlock", \
		.recipes = nlmsvc_unlock_rec, .nrecipes = ARRAY_LEN(nlmsvc_unlock_rec), .group = 3,   \
		.saved = SVC, __VA_ARGS__                                                             \
	}
static const struct probe_attach nfsd_lock_at[] = {
	KPAIRG("nfsd4_lock", nfsd_lock_rec, 0),
	KOLDG("nfsd4_lock", nfsd_lock_rec, 0, P_NFSD4_OP),
	KPAIRG("nfsd4_locku", nfsd_locku_rec, 1),
	KOLDG("nfsd4_locku", nfsd_locku_rec, 1, P_NFSD4_OP),
	KPAIRG("nlmsvc_lock", nlmsvc_lock_rec, 2),
	KOLDG("nlmsvc_lock", nlmsvc_lock_rec, 2, "__be32 (struct svc_rqst *, void *, void *, void *, int, void *, int)"),
	NLM_UNLOCK(ATTACH_FENTRY, ATTACH_FEXIT),
	NLM_UNLOCK(ATTACH_KPROBE, ATTACH_KRETPROBE),
	NLM_UNLOCK(ATTACH_KPROBE, ATTACH_KRETPROBE, .proto = "__be32 (struct svc_rqst *)",
		   .end_proto = "__be32 (void *, void *, void *)"),
};

static const struct probe_field nfsd_callback_fields[] = {
	{.name = "client", .type = {TYPE_STR, 48, 0}, .src = FIELD_KERNEL,
	 .doc = "the client's callback address (on NFSv4.1 and later, the client's own connection)",
	 .instead = "rpc.done's server on the server host (the callback RPCs are client RPCs of nfsd)"},
	F_STR("op", 32, "the callback: CB_NULL (the server probing the callback path), CB_RECALL, "
			"CB_GETATTR, CB_NOTIFY_LOCK, CB_RECALL_ANY, CB_OFFLOAD, CB_LAYOUT (on 4.1 and later "
			"each carries a CB_SEQUENCE)"),
	F_INT("xid", "RPC transaction id"),
	F_ERRNO("status", "0, or the error the callback ended with: the RPC's (ETIMEDOUT, ECONNREFUSED, "
			  "EIO: the callback path is down) or else the client's reply's, as an errno"),
	F_INT("latency", "ns from the callback RPC's start (or its restart) to its completion"),
};
/* nfsd4_cb_done(task, calldata) ends each callback RPC, nfsd4_cb_probe_done the CB_NULL
 * probes; calldata is a struct nfsd4_callback (cb_status: the reply's status as an errno) */
#define CB "arg1:container(struct nfsd4_callback, cb_clp)"
static const struct field_recipe nfsd_callback_rec[] = {
	{"client", TASK "->tk_xprt->address_strings[0]", false},
	{"op", TASK "->tk_msg.rpc_proc->p_name", false},
	{"xid", TASK "->tk_rqstp->rq_xid:be32", false},
	{"status", TASK "->tk_status != 0 ? " TASK "->tk_status:errno : " CB ".cb_status:errno", false},
	{"latency", TASK "->tk_start:since", false},
};
static const struct probe_attach nfsd_callback_at[] = {
	KONE("nfsd4_cb_done", nfsd_callback_rec, 0),
	KONEOLD("nfsd4_cb_done", nfsd_callback_rec, 0, P_RPC_DONE),
	KONE("nfsd4_cb_probe_done", nfsd_callback_rec, 1),
	KONEOLD("nfsd4_cb_probe_done", nfsd_callback_rec, 1, P_RPC_DONE),
};

/* ---- NFSv4 delegations, client and server ---- */

#define DELEG_EVENT_F(who)                                                                           \
	{                                                                                            \
		.name = "event", .type = {TYPE_STR, 16, 0}, .src = FIELD_KERNEL,                     \
		.doc = "granted (" who "), recalled (the server asks for it back) or returned (the "  \
		       "client gives it back: DELEGRETURN)"                                          \
	}
static const struct probe_field nfs_deleg_fields[] = {
	DELEG_EVENT_F("at an OPEN's reply"),
	F_STR("type", 8, "READ or WRITE (a write delegation lets the client cache writes and locks)"),
	FILE_F,
	PATH_F,
	INODE_F,
	MOUNT_F,
};
/* the file of an NFS inode: its first alias, as nfs.access has it */
#define INODE_ALIAS(ino, m) ino "->i_dentry.first:container(struct dentry, " m ")"
#define DELEG_INODE_RECIPES(ino)                                                                     \
	{"file", INODE_ALIAS(ino, "d_u") ".d_name.name", false},                                       \
	{"file", INODE_ALIAS(ino, "d_alias") ".d_name.name", false},                                   \
	{"path", PATH_OF_DENTRY(INODE_ALIAS(ino, "d_u"), ino "->i_sb"), false},                        \
	{"path", PATH_OF_DENTRY2(INODE_ALIAS(ino, "d_u"), ino "->i_sb"), false},                       \
	{"path", PATH_OF_DENTRY(INODE_ALIAS(ino, "d_alias"), ino "->i_sb"), false},                    \
	{"path", PATH_OF_DENTRY2(INODE_ALIAS(ino, "d_alias"), ino "->i_sb"), false},                   \
	{"inode", ino "->i_ino", false},                                                               \
	{"mount", MNT_FROM_SB(ino "->i_sb"), false},                                                   \
	{"mount", MNT_FROM_SB2(ino "->i_sb"), false}
/* fmode_t: FMODE_READ 1, FMODE_WRITE 2 (a write delegation is both) */
#define FMODE_TYPE(m) m ":bit(1) == 1 ? 'WRITE' : 'READ'"
/* a grant: _nfs4_opendata_to_nfs4_state(data) turns an OPEN's reply into the open state and
 * takes the delegation the reply gave (o_res: delegation_type, an fmode, before 6.x's
 * nfs4_open_delegation; since, delegation.open_delegation_type, NONE 0 and NONE_EXT 3 giving
 * none). The file is the dentry opened: an atomic open's new name has no inode alias yet. */
#define OD "arg(struct nfs4_opendata)"
#define OD_FILE                                                                                        \
	{"file", OD "->dentry->d_name.name", false},                                                    \
	{"path", PATH_OF_DENTRY(OD "->dentry", OD "->dentry->d_sb"), false},                            \
	{"path", PATH_OF_DENTRY2(OD "->dentry", OD "->dentry->d_sb"), false},                           \
	{"inode", OD "->f_attr.fileid", false},                                                         \
	{"mount", MNT_FROM_SB(OD "->dentry->d_sb"), false},                                             \
	{"mount", MNT_FROM_SB2(OD "->dentry->d_sb"), false}
static const struct field_recipe nfs_deleg_open_rec[] = {
	{"event", "'granted'", false},
	{"type", FMODE_TYPE(OD "->o_res.delegation.type"), false},
	OD_FILE,
};
static const struct field_recipe nfs_deleg_open_old_rec[] = {
	{"event", "'granted'", false},
	{"type", FMODE_TYPE(OD "->o_res.delegation_type"), false},
	OD_FILE,
};
#define OD_TYPE OD "->o_res.delegation.open_delegation_type"
#define OD_GRANTED OD_TYPE " == 0 ? 0 : " OD_TYPE " == 3 ? 0 : 1"
#define OD_GRANTED_OLD OD "->o_res.delegation_type == 0 ? 0 : 1"
/* the raw tracepoint nfs4_set_delegation(inode, fmode), where nfs_inode_set_delegation took
 * it: without fexit (Linux 5.10, --no-fentry), only the inode and the type */
static const struct field_recipe nfs_deleg_set_rec[] = {
	{"event", "'granted'", false},
	{"type", FMODE_TYPE("arg1"), false},
	{"inode", "arg(struct inode)->i_ino", false},
};
/* the raw tracepoint nfs4_cb_recall(clp, fh, inode, stateid, error), after the client's
 * callback service took a CB_RECALL (inode NULL: a file the client no longer has) */
static const struct field_recipe nfs_deleg_recall_rec[] = {
	{"event", "'recalled'", false},
	{"type", FMODE_TYPE("arg(struct inode):container(struct nfs_inode, vfs_inode).delegation->type"), false},
	DELEG_INODE_RECIPES("arg(struct inode)"),
};
/* nfs_do_return_delegation(inode, delegation, issync): a DELEGRETURN about to be sent */
static const struct field_recipe nfs_deleg_return_rec[] = {
	{"event", "'returned'", false},
	{"type", FMODE_TYPE("arg(struct nfs_delegation)->type"), false},
	DELEG_INODE_RECIPES("arg(struct inode)"),
};
#define RAWG(tp, rec, grp, decl)                                                                      \
	{                                                                                             \
		.kind = ATTACH_RAW_TRACEPOINT, .target = tp, .recipes = rec, .nrecipes = ARRAY_LEN(rec), \
		.group = grp, .proto = decl                                                           \
	}
/* (before 5.11, typed as 5.10 declares them: what vmlinux's BTF gives, the inode) */
static const struct probe_attach nfs_deleg_at[] = {
	FGUARD("_nfs4_opendata_to_nfs4_state", nfs_deleg_open_rec, OD_GRANTED, 0),
	FGUARD("_nfs4_opendata_to_nfs4_state", nfs_deleg_open_old_rec, OD_GRANTED_OLD, 0),
	RAWG("nfs4_set_delegation", nfs_deleg_set_rec, 0, NULL),
	RAWG("nfs4_set_delegation", nfs_deleg_set_rec, 0, "void (const struct inode *, fmode_t)"),
	RAWG("nfs4_cb_recall", nfs_deleg_recall_rec, 1, NULL),
	RAWG("nfs4_cb_recall", nfs_deleg_recall_rec, 1, "void (void *, void *, const struct inode *, void *, int)"),
	KONE("nfs_do_return_delegation", nfs_deleg_return_rec, 2),
	KONEOLD("nfs_do_return_delegation", nfs_deleg_return_rec, 2, "int (struct inode *, void *, int)"),
};

static const struct probe_field nfsd_deleg_fields[] = {
	DELEG_EVENT_F("in an OPEN's reply"),
	F_STR("type", 8, "READ or WRITE; \"\" for returned (DELEGRETURN names only the stateid)"),
	{.name = "client", .type = {TYPE_STR, 48, 0}, .src = FIELD_KERNEL,
	 .doc = "the client's address: its callback path's for granted and recalled, the request's for returned",
	 .instead = "path, and nfsd.callback's client for the recall"},
	SPATH_F,
};
/* struct nfs4_delegation embeds its stateid (dl_stid.sc_stateid) and keeps the file the
 * server holds the lease on (the nfs4_file's fi_deleg_file) */
#define DL_PATHS(dp) {"path", PATH_OF_FILE(dp ".dl_stid.sc_file->fi_deleg_file->nf_file"), false}
#define DL_CLIENT(dp) {"client", dp ".dl_stid.sc_client->cl_cb_client->cl_xprt->address_strings[0]", false}
#define DL_TYPE(dp) {"type", dp ".dl_type == 2 ? 'WRITE' : 'READ'", false} /* NFS4_OPEN_DELEGATE_READ 1, _WRITE 2 */
/* the raw tracepoints nfsd_deleg_read (and, from 6.6, nfsd_deleg_write)(stateid) at a grant */
#define DL_OF_STATEID "arg0:container(struct nfs4_delegation, dl_stid.sc_stateid)"
static const struct field_recipe nfsd_deleg_grant_rec[] = {
	{"event", "'granted'", false}, DL_TYPE(DL_OF_STATEID), DL_CLIENT(DL_OF_STATEID), DL_PATHS(DL_OF_STATEID),
};
/* nfsd_break_deleg_cb(lease): a conflicting access breaks the delegation's lease; its owner
 * is the delegation (struct file_lock's fl_owner; c.flc_owner from 6.9, a struct file_lease
 * from 6.10) */
#define DL_OF_LEASE(l) "arg(struct " l ")->fl_owner:container(struct nfs4_delegation, dl_stid)"
#define DL_OF_LEASE2(l) "arg(struct " l ")->c.flc_owner:container(struct nfs4_delegation, dl_stid)"
#define DL_RECALL(dp) DL_TYPE(dp), DL_CLIENT(dp), DL_PATHS(dp)
static const struct field_recipe nfsd_deleg_recall_rec[] = {
	{"event", "'recalled'", false},
	DL_RECALL(DL_OF_LEASE2("file_lease")),
	DL_RECALL(DL_OF_LEASE2("file_lock")),
	DL_RECALL(DL_OF_LEASE("file_lock")),
};
/* nfsd4_delegreturn(rqstp, cstate, u): the current file handle is the file */
static const struct field_recipe nfsd_deleg_return_rec[] = {
	{"event", "'returned'", false},
	{"type", "''", false},
	{"client", SVC_CLIENT, false},
	{"path", "path(" CSTATE_FH ".fh_dentry | " CSTATE_FH ".fh_export->ex_path.mnt:container(struct mount, mnt))", false},
};
static const struct probe_attach nfsd_deleg_at[] = {
	RAWG("nfsd_deleg_read", nfsd_deleg_grant_rec, 0, NULL),
	RAWG("nfsd_deleg_read", nfsd_deleg_grant_rec, 0, "void (void *)"),
	RAWG("nfsd_deleg_write", nfsd_deleg_grant_rec, 1, NULL),
	KONE("nfsd_break_deleg_cb", nfsd_deleg_recall_rec, 2),
	KONEOLD("nfsd_break_deleg_cb", nfsd_deleg_recall_rec, 2, "bool (struct file_lock *)"),
	KONE("nfsd4_delegreturn", nfsd_deleg_return_rec, 3),
	KONEOLD("nfsd4_delegreturn", nfsd_deleg_return_rec, 3, P_NFSD4_OP),
};

/* ---- test probes (hidden): the start/end pairing on syscall tracepoints ---- */

static const struct probe_field test_getppid_fields[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .doc = "ns from sys_enter to sys_exit", .src = FIELD_LATENCY},
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .doc = "return value (read at the end)", .src = FIELD_TP, .offset = 16, .size = 8, .is_signed = true},
};
static const struct probe_attach test_getppid_at[] = {
	{.kind = ATTACH_TRACEPOINT, .target = "syscalls:sys_enter_getppid", .end_kind = ATTACH_TRACEPOINT, .end_target = "syscalls:sys_exit_getppid"},
};

/* test.fields (hidden): per-field resolution on any kernel with syscall tracepoints. The raw
 * tracepoint sys_enter(regs, id) is preferred; "gone" has no recipe that fits (an error only
 * for scripts that read it), "di" resolves by its second recipe, and "viatp" only the classic
 * tracepoint raw_syscalls:sys_enter records, so a script reading it gets that one. */
static const struct probe_field test_fields_fields[] = {
	F_INT("nr", "the system call's number"),
	F_INT("di", "the first argument register"),
	{.name = "gone", .type = {TYPE_INT, 8, 0}, .doc = "a field no kernel has", .src = FIELD_KERNEL, .instead = "nr"},
	F_INT("viatp", "the system call's number, from the classic tracepoint only"),
	F_STR("name", 16, "getppid, read or other (x86-64 numbers): a choice between strings"),
	F_INT("span", "span(si | dx): the third argument + 1 where the second is 0"),
	F_STR("text", 8, "a constant string: fixed"),
};
static const struct field_recipe test_fields_raw_rec[] = {
	{"nr", "arg1", false},
	{"gone", "arg(struct pt_regs)->no_such_member", false},
	{"di", "arg(struct pt_regs)->no_such_member", false},
	{"di", "arg(struct pt_regs)->di", false},
	{"name", "arg1 == 110 ? 'getppid' : arg1 == 0 ? 'read' : 'other'", false},
	{"span", "span(arg(struct pt_regs)->si | arg(struct pt_regs)->dx)", false},
	{"text", "'fixed'", false},
};
static const struct field_recipe test_fields_tp_rec[] = {
	{"nr", "tp.id", false},
	{"viatp", "tp.id", false},
};
static const struct probe_attach test_fields_at[] = {
	RAW("sys_enter", test_fields_raw_rec),
	{.kind = ATTACH_TRACEPOINT, .target = "raw_syscalls:sys_enter", .recipes = test_fields_tp_rec, .nrecipes = ARRAY_LEN(test_fields_tp_rec)},
};

/* test.exec (hidden): the path walk (READ_PATH) on any kernel with BTF: the executed file */
static const struct probe_field test_exec_fields[] = {
	{.name = "path", .type = {TYPE_STR, 256, 0}, .doc = "full path of the program executed", .src = FIELD_KERNEL},
};
#define BPRM_FILE "arg(struct linux_binprm)->file"
static const struct field_recipe test_exec_rec[] = {{"path", PATH_OF_FILE(BPRM_FILE), false}};
static const struct probe_attach test_exec_at[] = {RAW("sched_process_exec", test_exec_rec)};

#define PROBE(n, lay, mod, fs, at, sum, d)                                                     \
	{                                                                                      \
		.name = n, .layer = lay, .module = mod, .summary = sum, .doc = d,              \
		.fields = fs, .nfields = ARRAY_LEN(fs), .attach = at, .nattach = ARRAY_LEN(at) \
	}

static const struct probe_def probes[] = {
	PROBE("nfs.read", LAYER_NFS, "nfs", nfs_rw_fields, nfs_read_at,
	      "read(2) through the NFS client, entry to return",
	      "A read system call entering the NFS client (nfs_file_read), from entry to return. "
	      "Latency covers the page cache: a cached read never leaves the client; a miss waits "
	      "for READ RPCs (see nfs.rpc_read and rpc.done)."),
	PROBE("nfs.write", LAYER_NFS, "nfs", nfs_rw_fields, nfs_write_at,
	      "write(2) through the NFS client, entry to return",
	      "A write system call entering the NFS client (nfs_file_write), from entry to return. "
	      "Writes usually land in the page cache and return; WRITE RPCs happen later in "
	      "writeback (nfs.rpc_write), unless the file is opened O_SYNC or the cache is full."),
	{.name = "nfs.open", .layer = LAYER_NFS, .module = "nfs", .summary = "open(2) of an NFS file", .doc = "Opening a file on NFS: nfs_file_open for NFSv2/3 files; on NFSv4, nfs4_file_open "
													      "for names in the client's cache and nfs_atomic_open (the open done during the "
													      "lookup, with an OPEN RPC) for the others and for creates. All are "
													      "attached. Close-to-open consistency revalidates attributes.",
	 .fields = nfs_op_fields,
	 .nfields = ARRAY_LEN(nfs_op_fields),
	 .attach = nfs_open_at,
	 .nattach = ARRAY_LEN(nfs_open_at),
	 .attach_all = true},
	PROBE("nfs.fsync", LAYER_NFS, "nfs", nfs_op_fields, nfs_fsync_at,
	      "fsync(2) of an NFS file", "fsync on NFS (nfs_file_fsync): flushes dirty pages as "
					 "WRITE RPCs and sends a COMMIT; its latency is the time to stable storage on the server."),
	PROBE("nfs.getattr", LAYER_NFS, "nfs", nfs_op_fields, nfs_getattr_at,
	      "stat(2)/attribute revalidation", "Attribute lookups (nfs_getattr): served from the "
						"attribute cache or by a GETATTR RPC."),
	PROBE("nfs.setattr", LAYER_NFS, "nfs", nfs_op_fields, nfs_setattr_at,
	      "chmod/chown/truncate/utimes", "Attribute changes (nfs_setattr), one SETATTR RPC."),
	PROBE("nfs.lookup", LAYER_NFS, "nfs", nfs_op_fields, nfs_lookup_at,
	      "name lookup in a directory", "Path walk misses in the dentry cache (nfs_lookup): a "
					    "LOOKUP RPC."),
	PROBE("nfs.revalidate", LAYER_NFS, "nfs", nfs_reval_fields, nfs_reval_at,
	      "a cached name checked against the server",
	      "Path walks that find a cached dentry ask the server whether it is still valid "
	      "(nfs_lookup_revalidate, with GETATTR/LOOKUP/ACCESS RPCs unless the attribute cache "
	      "answers). Errors here, such as ESTALE when the export changed, fail the whole path walk "
	      "before any nfs.open or nfs.read."),
	PROBE("nfs.access", LAYER_NFS, "nfs", nfs_op_fields, nfs_access_at,
	      "a permission check (every directory walked, every open)",
	      "Permission checks (nfs_permission): answered from the access cache or by an ACCESS "
	      "RPC. A stale file handle usually shows here first (ESTALE), when a path walk checks "
	      "a directory the server no longer knows. ECHILD errors are the kernel retrying a "
	      "lock-free path walk, not failures."),
	PROBE("nfs.readdir", LAYER_NFS, "nfs", nfs_op_fields, nfs_readdir_at,
	      "directory listing", "Directory reads (nfs_readdir): READDIR/READDIRPLUS RPCs unless cached."),
	{.name = "nfs.create", .layer = LAYER_NFS, .module = "nfs", .summary = "file creation", .doc = "File creation requests: on NFSv2/3 a CREATE RPC (nfs_do_create, or nfs_create "
												       "before Linux 6.4); on NFSv4 an open with O_CREAT of a name not in the client's "
												       "cache, an OPEN that creates the file unless the server has it (nfs_atomic_open; "
												       "seen at its return). inode is the directory's.",
	 .fields = nfs_op_fields,
	 .nfields = ARRAY_LEN(nfs_op_fields),
	 .attach = nfs_create_at,
	 .nattach = ARRAY_LEN(nfs_create_at),
	 .attach_all = true},
	PROBE("nfs.remove", LAYER_NFS, "nfs", nfs_op_fields, nfs_remove_at,
	      "unlink(2)", "File removal (nfs_unlink): a REMOVE RPC."),
	PROBE("nfs.rename", LAYER_NFS, "nfs", nfs_op_fields, nfs_rename_at,
	      "rename(2)", "Rename (nfs_rename): a RENAME RPC."),
	{.name = "nfs.lock", .layer = LAYER_NFS, .module = "nfs", .summary = "a lock or unlock request sent to the server (NFSv4 LOCK, LOCKU; NFSv3 through NLM)",
	 .doc = "[NFS client] -> RPC client: each LOCK and LOCKU RPC the NFSv4 client sends for a "
		"fcntl(2) or flock(2) lock, at its completion (nfs4_lock_done, nfs4_locku_done): one "
		"event per RPC, as mountstats counts them. A lock that must wait (F_SETLKW) asks again: "
		"NFSv4.0 polls, LOCK after LOCK answered EAGAIN; NFSv4.1+ waits for the server's "
		"CB_NOTIFY_LOCK (nfsd.callback), and polls too, less often. Sends nothing, so no event: a "
		"lock under a delegation (the client keeps it), an unlock of a range the process does "
		"not hold, F_GETLK (LOCKT). NFSv3 locks go through the NLM protocol (lockd, on mounts "
		"without nolock): there the event is one lock call of the process that asks the server "
		"(nlmclnt_proc, entry to return, F_GETLK left out), whose latency includes any wait for "
		"the lock (a BLOCKED answer, then the server's GRANTED callback or a LOCK again every "
		"30 s), and whose xid is 0.",
	 .fields = nfs_lock_fields,
	 .nfields = ARRAY_LEN(nfs_lock_fields),
	 .attach = nfs_lock_at,
	 .nattach = ARRAY_LEN(nfs_lock_at),
	 .attach_all = true},
	{.name = "nfs.delegation", .layer = LAYER_NFS, .module = "nfsv4", .summary = "a delegation granted to, recalled from or returned by the client",
	 .doc = "[NFS client] <-> server: NFSv4 delegations, the server's promise that no other client "
		"will change a file (READ) or access it (WRITE) until it recalls the promise, so the "
		"client can open, read, cache and lock it without asking. granted: an OPEN's reply gave "
		"one (_nfs4_opendata_to_nfs4_state; without fexit, the nfs4_set_delegation tracepoint, which "
		"has no file name); recalled: a CB_RECALL came in "
		"(nfs4_cb_recall); returned: the client sends DELEGRETURN (nfs_do_return_delegation), "
		"after a recall, on close when it is no longer useful, or at unmount.",
	 .fields = nfs_deleg_fields,
	 .nfields = ARRAY_LEN(nfs_deleg_fields),
	 .attach = nfs_deleg_at,
	 .nattach = ARRAY_LEN(nfs_deleg_at),
	 .attach_all = true},
	PROBE("nfs.rpc_read", LAYER_NFS_IO, "nfs", nfs_io_fields, nfs_rpc_read_at,
	      "a READ RPC issued by the page cache, initiate to done",
	      "VFS -> NFS client -> [page cache I/O] -> RPC client. One READ RPC from the moment "
	      "the client initiates it to its completion."),
	PROBE("nfs.rpc_write", LAYER_NFS_IO, "nfs", nfs_io_fields, nfs_rpc_write_at,
	      "a WRITE RPC issued by writeback, initiate to done",
	      "VFS -> NFS client -> [page cache I/O] -> RPC client. One WRITE RPC of writeback."),
	PROBE("nfs.rpc_commit", LAYER_NFS_IO, "nfs", nfs_io_fields, nfs_rpc_commit_at,
	      "a COMMIT RPC, initiate to done",
	      "VFS -> NFS client -> [page cache I/O] -> RPC client. A COMMIT making unstable writes stable."),
	PROBE("rpc.done", LAYER_RPC, "sunrpc", rpc_done_fields, rpc_done_at,
	      "every completed client RPC, with rtt/execute/backlog",
	      "NFS client -> [RPC client] -> transport. Fires once per completed RPC "
	      "(rpc_stats_latency); rtt is wire + server time, backlog the wait before transmit, "
	      "execute the whole life of the task."),
	PROBE("rpc.retransmit", LAYER_RPC, "sunrpc", rpc_trouble_fields, rpc_retransmit_at,
	      "an RPC sent again after a timeout", "[RPC client] -> transport: a retransmission."),
	PROBE("rpc.timeout", LAYER_RPC, "sunrpc", rpc_trouble_fields, rpc_timeout_at,
	      "a major RPC timeout (server not responding)", "[RPC client]: the retransmissions of a request ran out (rpc_timeout_status): hard mounts log \"server not responding\" and go on, soft mounts fail the request with EIO or ETIMEDOUT."),
	PROBE("rpc.error", LAYER_RPC, "sunrpc", rpc_trouble_fields, rpc_error_at,
	      "an RPC that ended with an error", "[RPC client]: a task that failed with an error."),
	PROBE("nfsd.request", LAYER_NFSD, "nfsd", nfsd_request_fields, nfsd_request_at,
	      "every RPC the server handles, dispatch to reply",
	      "transport -> [server nfsd] -> local file system. One request from dispatch to reply."),
	PROBE("nfsd.op", LAYER_NFSD, "nfsd", nfsd_op_fields, nfsd_op_at,
	      "each NFSv4 operation of a COMPOUND on the server",
	      "[server nfsd]: the operations inside each NFSv4 request, with their status "
	      "(nfsd_compound_status after each op). latency: from the end of the previous op of "
	      "the compound (the first: from its start, after decoding) to this op's end, its reply "
	      "encoded. NFSv3 requests have one procedure each: see nfsd.request."),
	PROBE("nfsd.read", LAYER_NFSD, "nfsd", nfsd_io_fields, nfsd_read_at,
	      "server data path: READ", "[server nfsd] -> local file system: reading file data."),
	PROBE("nfsd.write", LAYER_NFSD, "nfsd", nfsd_io_fields, nfsd_write_at,
	      "server data path: WRITE", "[server nfsd] -> local file system: writing file data."),
	PROBE("nfsd.commit", LAYER_NFSD, "nfsd", nfsd_commit_fields, nfsd_commit_at,
	      "server data path: COMMIT", "[server nfsd] -> local file system: flushing to storage."),
	{.name = "nfsd.lock", .layer = LAYER_NFSD, .module = "nfsd", .summary = "a lock or unlock request on the server (NFSv4 LOCK, LOCKU; NFSv3's NLM LOCK, UNLOCK)",
	 .doc = "[server nfsd] -> file locks: an NFSv4 LOCK or LOCKU operation, from its start to its "
		"end (nfsd4_lock, nfsd4_locku), with the client, the file and the outcome. A LOCK "
		"denied (NFS4ERR_DENIED) is the client's cue to poll again or, on NFSv4.1, to wait for "
		"a CB_NOTIFY_LOCK (nfsd.callback). NFSv3's locks are lockd's NLM requests: every LOCK "
		"(nlmsvc_lock, for NLM versions 1, 3 and 4, LOCK and LOCK_MSG) and every NLMv4 UNLOCK "
		"(nlm4svc_proc_unlock to the end of nlmsvc_unlock; NFSv2's NLMv1/3 UNLOCK and UNLOCK_MSG "
		"are not seen), with NLM's status given as its NFSv4 equivalent: GRANTED NFS_OK, "
		"DENIED and BLOCKED (a waiting lock queued, granted later by a GRANTED callback) "
		"NFS4ERR_DENIED, DENIED_GRACE_PERIOD NFS4ERR_GRACE, DEADLCK NFS4ERR_DEADLOCK, "
		"DENIED_NOLOCKS NFS4ERR_RESOURCE, STALE_FH NFSERR_STALE. NLM names no export: there "
		"export is the root of the file system that holds the file.",
	 .fields = nfsd_lock_fields,
	 .nfields = ARRAY_LEN(nfsd_lock_fields),
	 .attach = nfsd_lock_at,
	 .nattach = ARRAY_LEN(nfsd_lock_at),
	 .attach_all = true},
	{.name = "nfsd.callback", .layer = LAYER_NFSD, .module = "nfsd", .summary = "a callback RPC the server sends to a client (CB_RECALL, CB_NULL, ...)",
	 .doc = "[server nfsd] -> RPC client -> the client's callback service: each callback RPC at "
		"its completion (nfsd4_cb_done; the CB_NULL probes of a new callback path, "
		"nfsd4_cb_probe_done). Callbacks recall delegations (CB_RECALL), ask for a write "
		"delegation holder's attributes (CB_GETATTR), tell a waiting locker to retry "
		"(CB_NOTIFY_LOCK). A callback path that is down shows as an error status; the server "
		"then grants no delegations to that client.",
	 .fields = nfsd_callback_fields,
	 .nfields = ARRAY_LEN(nfsd_callback_fields),
	 .attach = nfsd_callback_at,
	 .nattach = ARRAY_LEN(nfsd_callback_at),
	 .attach_all = true},
	{.name = "nfsd.delegation", .layer = LAYER_NFSD, .module = "nfsd", .summary = "a delegation the server grants, recalls or gets back",
	 .doc = "[server nfsd] -> leases: granted, in an OPEN's reply (the nfsd_deleg_read and, from "
		"Linux 6.6, nfsd_deleg_write tracepoints; only to a client whose callback path is up); "
		"recalled, when an access that conflicts (another client's open or write, a local "
		"process on the server, a rename or remove) breaks its lease (nfsd_break_deleg_cb), "
		"the CB_RECALL then sent showing in nfsd.callback; returned, a DELEGRETURN "
		"(nfsd4_delegreturn). The conflicting access waits for the return, or on NFSv3 gets "
		"NFS3ERR_JUKEBOX and tries again.",
	 .fields = nfsd_deleg_fields,
	 .nfields = ARRAY_LEN(nfsd_deleg_fields),
	 .attach = nfsd_deleg_at,
	 .nattach = ARRAY_LEN(nfsd_deleg_at),
	 .attach_all = true},
	{.name = "test.fields", .layer = LAYER_NONE, .summary = "every system call entry (tests of per-field resolution)", .doc = "A test probe: a field resolved by its second recipe, one no kernel has, one only the second attach point records.", .fields = test_fields_fields, .nfields = ARRAY_LEN(test_fields_fields), .attach = test_fields_at, .nattach = ARRAY_LEN(test_fields_at), .hidden = true},
	{.name = "test.exec", .layer = LAYER_NONE, .summary = "every exec (tests of the path walk)", .doc = "A test probe: the path of each program executed.", .fields = test_exec_fields, .nfields = ARRAY_LEN(test_exec_fields), .attach = test_exec_at, .nattach = ARRAY_LEN(test_exec_at), .hidden = true},
	{.name = "test.getppid", .layer = LAYER_NONE, .summary = "getppid(2), entry to exit (tests)", .doc = "A test probe pairing sys_enter_getppid with sys_exit_getppid.", .fields = test_getppid_fields, .nfields = ARRAY_LEN(test_getppid_fields), .attach = test_getppid_at, .nattach = ARRAY_LEN(test_getppid_at), .hidden = true},
};

#define NPROBES ARRAY_LEN(probes)

unsigned probe_count(void)
{
	return NPROBES;
}

const struct probe_def *probe_at(unsigned i)
{
	return i < NPROBES ? &probes[i] : NULL;
}

const struct probe_def *probe_lookup(const char *name)
{
	for (unsigned i = 0; i < NPROBES; i++)
		if (strcmp(probes[i].name, name) == 0)
			return &probes[i];
	return NULL;
}

const struct probe_field *probe_field_find(const struct probe_def *p, const char *name)
{
	for (unsigned i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i].name, name) == 0)
			return &p->fields[i];
	return NULL;
}

const char *const *probe_names(void)
{
	static const char *names[NPROBES + 1];
	if (!names[0]) {
		unsigned n = 0;
		for (unsigned i = 0; i < NPROBES; i++)
			if (!probes[i].hidden)
				names[n++] = probes[i].name;
	}
	return names;
}
