/* catalogue.c - the built-in probe points: names, typed fields, attach points, docs.
 *
 * Every probe is a row; every field says its type and where its value comes
 * from. Lookup is by exact name, never by table order. */
#include "probe.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define F_INT(n, d)        {.name = n, .type = {TYPE_INT, 8}, .doc = d, .src = FIELD_KERNEL}
#define F_STR(n, sz, d)    {.name = n, .type = {TYPE_STR, sz}, .doc = d, .src = FIELD_KERNEL}
#define F_ERRNO(n, d)      {.name = n, .type = {TYPE_ERRNO, 8}, .doc = d, .src = FIELD_KERNEL}
#define F_NFSSTAT(n, d)    {.name = n, .type = {TYPE_NFSSTAT, 8}, .doc = d, .src = FIELD_KERNEL}
#define F_LATENCY(n, d)    {.name = n, .type = {TYPE_INT, 8}, .doc = d, .src = FIELD_LATENCY}

#define FILE_F   F_STR("file", 64, "name of the file (last path component)")
#define INODE_F  F_INT("inode", "inode number (NFS fileid)")
#define MOUNT_F  F_STR("mount", 64, "the mount, as server:/export")
#define ERROR_F  F_ERRNO("error", "errno returned to the caller (0 = success)")
#define LAT_F    F_LATENCY("latency", "ns from entry to return")

/* ---- NFS client, VFS entry points ---- */

static const struct probe_field nfs_rw_fields[] = {
	FILE_F, INODE_F, MOUNT_F,
	F_INT("offset", "file offset of the operation, bytes"),
	F_INT("bytes", "bytes actually moved (the return value when positive)"),
	ERROR_F, LAT_F,
};

static const struct probe_field nfs_op_fields[] = {FILE_F, INODE_F, MOUNT_F, ERROR_F, LAT_F};

static const struct probe_attach nfs_read_at[] = {
	{ATTACH_KPROBE, "nfs_file_read", ATTACH_KRETPROBE, "nfs_file_read"},
};
static const struct probe_attach nfs_write_at[] = {
	{ATTACH_KPROBE, "nfs_file_write", ATTACH_KRETPROBE, "nfs_file_write"},
};
static const struct probe_attach nfs_open_at[] = {
	{ATTACH_KPROBE, "nfs4_file_open", ATTACH_KRETPROBE, "nfs4_file_open"},
	{ATTACH_KPROBE, "nfs_file_open", ATTACH_KRETPROBE, "nfs_file_open"},
};
static const struct probe_attach nfs_fsync_at[] = {
	{ATTACH_KPROBE, "nfs_file_fsync", ATTACH_KRETPROBE, "nfs_file_fsync"},
};
static const struct probe_attach nfs_getattr_at[] = {
	{ATTACH_KPROBE, "nfs_getattr", ATTACH_KRETPROBE, "nfs_getattr"},
};
static const struct probe_attach nfs_setattr_at[] = {
	{ATTACH_KPROBE, "nfs_setattr", ATTACH_KRETPROBE, "nfs_setattr"},
};
static const struct probe_attach nfs_lookup_at[] = {
	{ATTACH_KPROBE, "nfs_lookup", ATTACH_KRETPROBE, "nfs_lookup"},
};
static const struct probe_attach nfs_readdir_at[] = {
	{ATTACH_KPROBE, "nfs_readdir", ATTACH_KRETPROBE, "nfs_readdir"},
};
static const struct probe_attach nfs_create_at[] = {
	{ATTACH_KPROBE, "nfs_create", ATTACH_KRETPROBE, "nfs_create"},
};
static const struct probe_attach nfs_remove_at[] = {
	{ATTACH_KPROBE, "nfs_unlink", ATTACH_KRETPROBE, "nfs_unlink"},
};
static const struct probe_attach nfs_rename_at[] = {
	{ATTACH_KPROBE, "nfs_rename", ATTACH_KRETPROBE, "nfs_rename"},
};

/* ---- NFS client page-cache I/O ---- */

static const struct probe_field nfs_io_fields[] = {
	INODE_F,
	F_INT("offset", "file offset of the RPC, bytes"),
	F_INT("bytes", "bytes the server reported moved"),
	F_INT("stable", "write stability: 0 unstable, 1 data sync, 2 file sync"),
	ERROR_F, LAT_F,
};
static const struct probe_attach nfs_rpc_read_at[] = {
	{ATTACH_TRACEPOINT, "nfs:nfs_initiate_read", ATTACH_TRACEPOINT, "nfs:nfs_readpage_done"},
};
static const struct probe_attach nfs_rpc_write_at[] = {
	{ATTACH_TRACEPOINT, "nfs:nfs_initiate_write", ATTACH_TRACEPOINT, "nfs:nfs_writeback_done"},
};
static const struct probe_attach nfs_rpc_commit_at[] = {
	{ATTACH_TRACEPOINT, "nfs:nfs_initiate_commit", ATTACH_TRACEPOINT, "nfs:nfs_commit_done"},
};

/* ---- RPC client ---- */

static const struct probe_field rpc_done_fields[] = {
	F_STR("prog", 16, "RPC program name (nfs, mount, nlockmgr, ...)"),
	F_INT("version", "RPC program version (3, 4)"),
	F_STR("op", 32, "procedure name (READ, WRITE, GETATTR, COMPOUND ops by name)"),
	F_INT("xid", "RPC transaction id"),
	F_STR("server", 48, "server address"),
	F_INT("rtt", "ns from transmit to reply"),
	F_INT("execute", "ns from task start to completion"),
	F_INT("backlog", "ns queued before transmit"),
	F_ERRNO("status", "task status (0 or an errno)"),
};
static const struct probe_attach rpc_done_at[] = {
	{ATTACH_TRACEPOINT, "sunrpc:rpc_stats_latency", 0, NULL},
};

static const struct probe_field rpc_trouble_fields[] = {
	F_STR("op", 32, "procedure name"),
	F_INT("xid", "RPC transaction id"),
	F_STR("server", 48, "server address"),
	F_INT("ntrans", "transmissions so far"),
	F_ERRNO("status", "task status (an errno)"),
};
static const struct probe_attach rpc_retransmit_at[] = {
	{ATTACH_TRACEPOINT, "sunrpc:xprt_retransmit", 0, NULL},
};
static const struct probe_attach rpc_timeout_at[] = {
	{ATTACH_TRACEPOINT, "sunrpc:rpc_task_end", 0, NULL},
};
static const struct probe_attach rpc_error_at[] = {
	{ATTACH_TRACEPOINT, "sunrpc:rpc_call_rpcerror", 0, NULL},
};

/* ---- NFS server ---- */

static const struct probe_field nfsd_request_fields[] = {
	F_STR("client", 48, "client address"),
	F_INT("version", "NFS version of the request"),
	F_STR("op", 32, "procedure name (COMPOUND for v4)"),
	F_INT("xid", "RPC transaction id"),
	F_NFSSTAT("status", "reply status"),
	LAT_F,
};
static const struct probe_attach nfsd_request_at[] = {
	{ATTACH_TRACEPOINT, "sunrpc:svc_stats_latency", 0, NULL},
};

static const struct probe_field nfsd_op_fields[] = {
	F_STR("client", 48, "client address"),
	F_STR("op", 32, "NFSv4 operation or NFSv3 procedure name"),
	F_NFSSTAT("status", "status of the operation"),
	LAT_F,
};
static const struct probe_attach nfsd_op_at[] = {
	{ATTACH_TRACEPOINT, "nfsd:nfsd_compound_status", 0, NULL},
};

static const struct probe_field nfsd_io_fields[] = {
	F_STR("client", 48, "client address"),
	F_INT("xid", "RPC transaction id"),
	F_INT("offset", "file offset, bytes"),
	F_INT("bytes", "bytes moved"),
	F_NFSSTAT("status", "status of the operation"),
	LAT_F,
};
static const struct probe_attach nfsd_read_at[] = {
	{ATTACH_TRACEPOINT, "nfsd:nfsd_read_start", ATTACH_TRACEPOINT, "nfsd:nfsd_read_done"},
};
static const struct probe_attach nfsd_write_at[] = {
	{ATTACH_TRACEPOINT, "nfsd:nfsd_write_start", ATTACH_TRACEPOINT, "nfsd:nfsd_write_done"},
};
static const struct probe_attach nfsd_commit_at[] = {
	{ATTACH_KPROBE, "nfsd_commit", ATTACH_KRETPROBE, "nfsd_commit"},
};

/* ---- test probes (hidden): the start/end pairing on syscall tracepoints ---- */

static const struct probe_field test_getppid_fields[] = {
	{.name = "latency", .type = {TYPE_INT, 8}, .doc = "ns from sys_enter to sys_exit",
	 .src = FIELD_LATENCY},
	{.name = "ret", .type = {TYPE_INT, 8}, .doc = "return value (read at the end)",
	 .src = FIELD_TP, .offset = 16, .size = 8, .is_signed = true},
};
static const struct probe_attach test_getppid_at[] = {
	{ATTACH_TRACEPOINT, "syscalls:sys_enter_getppid", ATTACH_TRACEPOINT,
	 "syscalls:sys_exit_getppid"},
};

#define PROBE(n, lay, mod, fs, at, sum, d)                                              \
	{.name = n, .layer = lay, .module = mod, .summary = sum, .doc = d,              \
	 .fields = fs, .nfields = ARRAY_LEN(fs), .attach = at, .nattach = ARRAY_LEN(at)}


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
	PROBE("nfs.open", LAYER_NFS, "nfs", nfs_op_fields, nfs_open_at,
	      "open(2) of an NFS file", "Opening a file on NFS (nfs4_file_open or nfs_file_open). "
	      "On NFSv4 it may send an OPEN RPC; close-to-open consistency revalidates attributes."),
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
	PROBE("nfs.readdir", LAYER_NFS, "nfs", nfs_op_fields, nfs_readdir_at,
	      "directory listing", "Directory reads (nfs_readdir): READDIR/READDIRPLUS RPCs unless cached."),
	PROBE("nfs.create", LAYER_NFS, "nfs", nfs_op_fields, nfs_create_at,
	      "file creation", "File creation (nfs_create): a CREATE RPC (OPEN with create on v4)."),
	PROBE("nfs.remove", LAYER_NFS, "nfs", nfs_op_fields, nfs_remove_at,
	      "unlink(2)", "File removal (nfs_unlink): a REMOVE RPC."),
	PROBE("nfs.rename", LAYER_NFS, "nfs", nfs_op_fields, nfs_rename_at,
	      "rename(2)", "Rename (nfs_rename): a RENAME RPC."),
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
	      "an RPC that ended with a timeout", "[RPC client]: a task that gave up (soft mounts)."),
	PROBE("rpc.error", LAYER_RPC, "sunrpc", rpc_trouble_fields, rpc_error_at,
	      "an RPC that ended with an error", "[RPC client]: a task that failed with an error."),
	PROBE("nfsd.request", LAYER_NFSD, "nfsd", nfsd_request_fields, nfsd_request_at,
	      "every RPC the server handles, dispatch to reply",
	      "transport -> [server nfsd] -> local file system. One request from dispatch to reply."),
	PROBE("nfsd.op", LAYER_NFSD, "nfsd", nfsd_op_fields, nfsd_op_at,
	      "each NFSv4 compound operation / NFSv3 procedure on the server",
	      "[server nfsd]: the operations inside each request."),
	PROBE("nfsd.read", LAYER_NFSD, "nfsd", nfsd_io_fields, nfsd_read_at,
	      "server data path: READ", "[server nfsd] -> local file system: reading file data."),
	PROBE("nfsd.write", LAYER_NFSD, "nfsd", nfsd_io_fields, nfsd_write_at,
	      "server data path: WRITE", "[server nfsd] -> local file system: writing file data."),
	PROBE("nfsd.commit", LAYER_NFSD, "nfsd", nfsd_io_fields, nfsd_commit_at,
	      "server data path: COMMIT", "[server nfsd] -> local file system: flushing to storage."),
	{.name = "test.getppid", .layer = LAYER_NONE, .summary = "getppid(2), entry to exit (tests)",
	 .doc = "A test probe pairing sys_enter_getppid with sys_exit_getppid.",
	 .fields = test_getppid_fields, .nfields = ARRAY_LEN(test_getppid_fields),
	 .attach = test_getppid_at, .nattach = ARRAY_LEN(test_getppid_at), .hidden = true},
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
