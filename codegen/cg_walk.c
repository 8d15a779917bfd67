/* cg_walk.c - reads that walk kernel structures in a bounded loop: a dentry's full path
 * (READ_PATH) and the NFS mount of an RPC client (READ_RPCMOUNT).
 *
 * The path is walked as d_path walks it: up the
 * dentries' d_parent to the root of their mount, across to the dentry the mount is
 * mounted on, and on to the root of the mount tree (a mount that is its own parent).
 *
 * BPF has no d_path here (bpf_d_path is for a few fentry targets only), so the walk is a
 * bounded loop. The path is written backwards, each component before the last, into the
 * first half of a buffer of twice the path's size whose second half stays zero: every
 * offset is masked to the first half, so the verifier sees each write in bounds, and the
 * result, copied from where the path begins, is zero padded. The buffer is bigger than a
 * clause's stack budget, so it lives in the program's per-CPU scratch value (cg_prog.c). */
#include "cg.h"

#define CG_PATH_SIZE 256  /* the string (a power of two: offsets are masked with size - 1) */
#define CG_PATH_DEPTH 48  /* components and mount crossings walked before the path is cut */
#define CG_PATH_ROOM 16   /* kept free at the front for the prefix of a cut or unnamed path */

static const char cg_path_cut[] = "...";
static const char cg_path_disc[] = "(disconnected)";

/* Writes s before position pos of buf; returns the new position. */
static LLVMValueRef cg_path_prefix(struct cg *g, LLVMValueRef buf, LLVMValueRef pos, const char *s, size_t n)
{
	LLVMValueRef at = LLVMBuildSub(g->b, pos, cg_i64(g, (int64_t)n), "");
	LLVMValueRef p = LLVMBuildGEP2(g->b, g->i8, buf, (LLVMValueRef[]){LLVMBuildAnd(g->b, at, cg_i64(g, CG_PATH_SIZE - 1), "")}, 1, "");

	for (size_t i = 0; i < n; i++)
		cg_store(g, LLVMConstInt(g->i8, (unsigned char)s[i], 0), p, (uint32_t)i);
	return at;
}

/* A loop's latch: phis of the values the iterations carry (n of them, from the blocks in
 * from[0..nfrom-1], in[k][j] from from[k]), then the next iteration's count i + 1 tested
 * there, so that the back-edge is a conditional jump: the verifier rejects a back-edge that
 * is the fall-through of a helper call ("back-edge from insn N to N+1"), which a loop tested
 * at its head gets when the latch ends with a call. */
static void cg_latch(struct cg *g, LLVMValueRef *out, LLVMValueRef *const *in, LLVMBasicBlockRef *from,
		     unsigned nfrom, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		out[j] = LLVMBuildPhi(g->b, g->i64, "");
		for (unsigned k = 0; k < nfrom; k++)
			LLVMAddIncoming(out[j], &in[k][j], &from[k], 1);
	}
}

LLVMValueRef cg_path(struct cg *g, const struct path_offs *o, uint32_t size, LLVMValueRef d0, LLVMValueRef m0)
{
	LLVMValueRef buf = cg_alloca(g, 2 * CG_PATH_SIZE), out = cg_alloca(g, CG_PATH_SIZE);
	LLVMValueRef mask = cg_i64(g, CG_PATH_SIZE - 1), args[3], i, d, m, pos, root, parent, v, next[4];
	LLVMBasicBlockRef pre, body = cg_block(g, "path.body"), top = cg_block(g, "path.top");
	LLVMBasicBlockRef up = cg_block(g, "path.up"), cross = cg_block(g, "path.cross");
	LLVMBasicBlockRef comp = cg_block(g, "path.comp"), write = cg_block(g, "path.write");
	LLVMBasicBlockRef latch = cg_block(g, "path.latch");
	LLVMBasicBlockRef cut = cg_block(g, "path.cut"), disc = cg_block(g, "path.disc");
	LLVMBasicBlockRef fin = cg_block(g, "path.fin"), slash = cg_block(g, "path.slash");
	LLVMBasicBlockRef copy = cg_block(g, "path.copy"), empty = cg_block(g, "path.empty");
	LLVMBasicBlockRef done = cg_block(g, "path.done");
	LLVMValueRef from_cross[4], from_write[4];

	/* no dentry or no mount (a read that failed, an op without a file): "" */
	pre = LLVMGetInsertBlock(g->b);
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, d0, cg_i64(g, 0), ""), LLVMBuildICmp(g->b, LLVMIntEQ, m0, cg_i64(g, 0), ""), ""), empty, body);
	cg_at(g, empty);
	cg_zero(g, out, 0, CG_PATH_SIZE);
	LLVMBuildBr(g->b, done);

	/* at the root of its mount (or of its file system: a dentry that is its own parent)? */
	cg_at(g, body);
	i = LLVMBuildPhi(g->b, g->i64, "i");
	d = LLVMBuildPhi(g->b, g->i64, "d");
	m = LLVMBuildPhi(g->b, g->i64, "m");
	pos = LLVMBuildPhi(g->b, g->i64, "pos");
	LLVMAddIncoming(i, (LLVMValueRef[]){cg_i64(g, 0)}, &pre, 1);
	LLVMAddIncoming(d, &d0, &pre, 1);
	LLVMAddIncoming(m, &m0, &pre, 1);
	LLVMAddIncoming(pos, (LLVMValueRef[]){cg_i64(g, CG_PATH_SIZE)}, &pre, 1);
	root = cg_kread_at(g, m, &o->mnt_root, 8);
	parent = cg_kread_at(g, d, &o->d_parent, 8);
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, d, root, ""), LLVMBuildICmp(g->b, LLVMIntEQ, d, parent, ""), ""), top, comp);

	/* a file system's root that is not its mount's: a dentry the kernel cannot name */
	cg_at(g, top);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, d, root, ""), disc, up);
	cg_at(g, up);
	v = cg_kread_at(g, m, &o->mnt_parent, 8); /* the mount tree's root is its own parent */
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, m, ""), LLVMBuildICmp(g->b, LLVMIntEQ, v, cg_i64(g, 0), ""), ""), fin, cross);
	cg_at(g, cross);
	from_cross[0] = cg_kread_at(g, m, &o->mnt_mountpoint, 8);
	from_cross[1] = v;
	from_cross[2] = pos;
	from_cross[3] = i;
	cross = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, latch);

	/* "/name" before what is written, if it leaves room for a prefix */
	cg_at(g, comp);
	LLVMValueRef len = cg_kread_at(g, d, &o->d_len, 4);
	LLVMValueRef np = LLVMBuildSub(g->b, LLVMBuildSub(g->b, pos, len, ""), cg_i64(g, 1), "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, np, cg_i64(g, CG_PATH_ROOM), ""), cut, write);
	cg_at(g, write);
	np = LLVMBuildAnd(g->b, np, mask, "");
	args[0] = LLVMBuildGEP2(g->b, g->i8, buf, (LLVMValueRef[]){LLVMBuildAdd(g->b, np, cg_i64(g, 1), "")}, 1, "");
	args[1] = LLVMBuildTrunc(g->b, LLVMBuildAnd(g->b, len, mask, ""), g->i32, "");
	args[2] = LLVMBuildIntToPtr(g->b, cg_kread_at(g, d, &o->d_name, 8), g->ptr, "");
	cg_helper(g, H_PROBE_READ_KERNEL, args, 3);
	cg_store(g, LLVMConstInt(g->i8, '/', 0), LLVMBuildGEP2(g->b, g->i8, buf, &np, 1, ""), 0);
	from_write[0] = parent;
	from_write[1] = m;
	from_write[2] = np;
	from_write[3] = i;
	LLVMBuildBr(g->b, latch);

	/* the next step, or the path is too deep */
	cg_at(g, latch);
	cg_latch(g, next, (LLVMValueRef *[]){from_cross, from_write}, (LLVMBasicBlockRef[]){cross, write}, 2, 4);
	next[3] = LLVMBuildAdd(g->b, next[3], cg_i64(g, 1), "");
	LLVMAddIncoming(d, &next[0], &latch, 1);
	LLVMAddIncoming(m, &next[1], &latch, 1);
	LLVMAddIncoming(pos, &next[2], &latch, 1);
	LLVMAddIncoming(i, &next[3], &latch, 1);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, next[3], cg_i64(g, CG_PATH_DEPTH), ""), body, cut);

	/* too long or too deep: "..." and the end of the path, counted as a cut string */
	cg_at(g, cut);
	LLVMValueRef cutpos = LLVMBuildPhi(g->b, g->i64, "");
	LLVMAddIncoming(cutpos, (LLVMValueRef[]){pos, next[2]}, (LLVMBasicBlockRef[]){comp, latch}, 2);
	cg_count_drop(g, LAYOUT_DROP_CUT(g->c->prog->nmaps));
	LLVMValueRef pcut = cg_path_prefix(g, buf, cutpos, cg_path_cut, sizeof(cg_path_cut) - 1);
	LLVMBasicBlockRef cut_end = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, fin);
	cg_at(g, disc);
	LLVMValueRef pdisc = cg_path_prefix(g, buf, pos, cg_path_disc, sizeof(cg_path_disc) - 1);
	LLVMBuildBr(g->b, fin);

	/* the root itself is "/" */
	cg_at(g, fin);
	LLVMValueRef p = LLVMBuildPhi(g->b, g->i64, "start");
	LLVMAddIncoming(p, (LLVMValueRef[]){pos, pcut, pdisc}, (LLVMBasicBlockRef[]){up, cut_end, disc}, 3);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, p, cg_i64(g, CG_PATH_SIZE), ""), slash, copy);
	cg_at(g, slash);
	LLVMValueRef pslash = cg_path_prefix(g, buf, p, "/", 1);
	LLVMBuildBr(g->b, copy);
	cg_at(g, copy);
	LLVMValueRef start = LLVMBuildPhi(g->b, g->i64, "start");
	LLVMAddIncoming(start, (LLVMValueRef[]){p, pslash}, (LLVMBasicBlockRef[]){fin, slash}, 2);
	args[0] = out;
	args[1] = cg_i32(g, CG_PATH_SIZE);
	args[2] = LLVMBuildGEP2(g->b, g->i8, buf, (LLVMValueRef[]){LLVMBuildAnd(g->b, start, mask, "")}, 1, "");
	cg_helper(g, H_PROBE_READ_KERNEL, args, 3);
	LLVMBuildBr(g->b, done);

	cg_at(g, done);
	if (size == CG_PATH_SIZE)
		return out;
	buf = cg_alloca(g, size);
	cg_copy_str(g, buf, 0, size, out, CG_PATH_SIZE);
	return buf;
}

#define NFS_SUPER_MAGIC 0x6969

/* The string r->then of the NFS super_block whose nfs_server's RPC client (or NFSv3 ACL
 * client) is clnt (or,
 * failing that, the first whose nfs_client's is: the lease and state RPCs of NFSv4), found
 * by walking the kernel's super_blocks list; "" when none is (within RPCMOUNT_MAX_SB). */
LLVMValueRef cg_rpcmount(struct cg *g, struct type t, struct loc l, const char *name, const struct field_read *r,
			 LLVMValueRef clnt)
{
	const struct rpcmount_offs *o = &r->rpcmount;
	LLVMValueRef out = cg_alloca(g, t.size), head_addr = cg_fact(g, &o->head, PROBE_FACT_U64), i, e, fb, sb, v;
	LLVMBasicBlockRef pre, body = cg_block(g, "sb.body"), nfs = cg_block(g, "sb.nfs");
	LLVMBasicBlockRef next = cg_block(g, "sb.next"), none = cg_block(g, "sb.none");
	LLVMBasicBlockRef found = cg_block(g, "sb.found"), empty = cg_block(g, "sb.empty");
	LLVMBasicBlockRef done = cg_block(g, "sb.done");
	LLVMValueRef first = cg_kread(g, head_addr, 0, 8), zero = cg_i64(g, 0), nx[3];

	pre = LLVMGetInsertBlock(g->b);
	LLVMBuildCondBr(g->b, LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, first, head_addr, ""), LLVMBuildICmp(g->b, LLVMIntNE, first, zero, ""), ""), body, none);

	cg_at(g, body);
	i = LLVMBuildPhi(g->b, g->i64, "i");
	e = LLVMBuildPhi(g->b, g->i64, "e");
	fb = LLVMBuildPhi(g->b, g->i64, "fallback");
	LLVMAddIncoming(i, &zero, &pre, 1);
	LLVMAddIncoming(e, &first, &pre, 1);
	LLVMAddIncoming(fb, &zero, &pre, 1);
	sb = LLVMBuildSub(g->b, e, cg_fact(g, &o->s_list, PROBE_FACT_S32), "");
	v = cg_kread_at(g, sb, &o->s_magic, 8);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, cg_i64(g, NFS_SUPER_MAGIC), ""), nfs, next);

	cg_at(g, nfs);
	LLVMValueRef srv = cg_kread_at(g, sb, &o->s_fs_info, 8);
	LLVMValueRef parent = cg_kread_at(g, cg_kread_at(g, srv, &o->nfs_client, 8), &o->cl_rpcclient, 8);
	LLVMValueRef fbnew = LLVMBuildSelect(g->b, LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, fb, zero, ""), LLVMBuildICmp(g->b, LLVMIntEQ, parent, clnt, ""), ""), sb, fb, "");
	LLVMValueRef exact = LLVMBuildICmp(g->b, LLVMIntEQ, cg_kread_at(g, srv, &o->client, 8), clnt, "");
	if (o->client_acl >= 0) /* the NFSv3 ACL program's RPCs (GETACL, SETACL) */
		exact = LLVMBuildOr(g->b, exact, LLVMBuildICmp(g->b, LLVMIntEQ, cg_kread_at(g, srv, &o->client_acl, 8), clnt, ""), "");
	nfs = LLVMGetInsertBlock(g->b);
	LLVMBuildCondBr(g->b, exact, found, next);

	/* the next entry (s_list.next), tested here: see cg_latch */
	cg_at(g, next);
	cg_latch(g, nx, (LLVMValueRef *[]){&fb, &fbnew}, (LLVMBasicBlockRef[]){body, nfs}, 2, 1);
	nx[1] = cg_kread(g, e, 0, 8);
	nx[2] = LLVMBuildAdd(g->b, i, cg_i64(g, 1), "");
	next = LLVMGetInsertBlock(g->b);
	LLVMAddIncoming(fb, &nx[0], &next, 1);
	LLVMAddIncoming(e, &nx[1], &next, 1);
	LLVMAddIncoming(i, &nx[2], &next, 1);
	LLVMValueRef more = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntULT, nx[2], cg_i64(g, RPCMOUNT_MAX_SB), ""),
					 LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, nx[1], head_addr, ""),
						      LLVMBuildICmp(g->b, LLVMIntNE, nx[1], zero, ""), ""), "");
	LLVMBuildCondBr(g->b, more, body, none);

	cg_at(g, none);
	LLVMValueRef last = LLVMBuildPhi(g->b, g->i64, "");
	LLVMAddIncoming(last, (LLVMValueRef[]){zero, nx[0]}, (LLVMBasicBlockRef[]){pre, next}, 2);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, last, zero, ""), found, empty);

	cg_at(g, found);
	g->read_cur = LLVMBuildPhi(g->b, g->i64, "sb");
	LLVMAddIncoming(g->read_cur, (LLVMValueRef[]){sb, last}, (LLVMBasicBlockRef[]){nfs, none}, 2);
	v = cg_read(g, t, l, name, r->then);
	g->read_cur = NULL;
	cg_copy_str(g, out, 0, t.size, v, t.size);
	LLVMBuildBr(g->b, done);
	cg_at(g, empty);
	cg_zero(g, out, 0, t.size);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	return out;
}
