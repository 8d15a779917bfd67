/* cg_path.c - a dentry's full path (READ_PATH), walked as d_path walks it: up the
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

LLVMValueRef cg_path(struct cg *g, const struct path_offs *o, uint32_t size, LLVMValueRef d0, LLVMValueRef m0)
{
	LLVMValueRef buf = cg_alloca(g, 2 * CG_PATH_SIZE), out = cg_alloca(g, CG_PATH_SIZE);
	LLVMValueRef mask = cg_i64(g, CG_PATH_SIZE - 1), args[3], i, d, m, pos, root, parent, v;
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b), head = cg_block(g, "path.head");
	LLVMBasicBlockRef body = cg_block(g, "path.body"), top = cg_block(g, "path.top");
	LLVMBasicBlockRef up = cg_block(g, "path.up"), cross = cg_block(g, "path.cross");
	LLVMBasicBlockRef comp = cg_block(g, "path.comp"), write = cg_block(g, "path.write");
	LLVMBasicBlockRef cut = cg_block(g, "path.cut"), disc = cg_block(g, "path.disc");
	LLVMBasicBlockRef fin = cg_block(g, "path.fin"), slash = cg_block(g, "path.slash");
	LLVMBasicBlockRef copy = cg_block(g, "path.copy"), empty = cg_block(g, "path.empty");
	LLVMBasicBlockRef done = cg_block(g, "path.done");

	/* no dentry or no mount (a read that failed, an op without a file): "" */
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, d0, cg_i64(g, 0), ""), LLVMBuildICmp(g->b, LLVMIntEQ, m0, cg_i64(g, 0), ""), ""), empty, head);
	cg_at(g, empty);
	cg_zero(g, out, 0, CG_PATH_SIZE);
	LLVMBuildBr(g->b, done);

	cg_at(g, head);
	i = LLVMBuildPhi(g->b, g->i64, "i");
	d = LLVMBuildPhi(g->b, g->i64, "d");
	m = LLVMBuildPhi(g->b, g->i64, "m");
	pos = LLVMBuildPhi(g->b, g->i64, "pos");
	LLVMAddIncoming(i, (LLVMValueRef[]){cg_i64(g, 0)}, &pre, 1);
	LLVMAddIncoming(d, &d0, &pre, 1);
	LLVMAddIncoming(m, &m0, &pre, 1);
	LLVMAddIncoming(pos, (LLVMValueRef[]){cg_i64(g, CG_PATH_SIZE)}, &pre, 1);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, i, cg_i64(g, CG_PATH_DEPTH), ""), body, cut);

	/* at the root of its mount (or of its file system: a dentry that is its own parent)? */
	cg_at(g, body);
	root = cg_kread(g, m, o->mnt_root, 8);
	parent = cg_kread(g, d, o->d_parent, 8);
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, d, root, ""), LLVMBuildICmp(g->b, LLVMIntEQ, d, parent, ""), ""), top, comp);

	/* a file system's root that is not its mount's: a dentry the kernel cannot name */
	cg_at(g, top);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, d, root, ""), disc, up);
	cg_at(g, up);
	v = cg_kread(g, m, o->mnt_parent, 8); /* the mount tree's root is its own parent */
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, m, ""), LLVMBuildICmp(g->b, LLVMIntEQ, v, cg_i64(g, 0), ""), ""), fin, cross);
	cg_at(g, cross);
	LLVMAddIncoming(d, (LLVMValueRef[]){cg_kread(g, m, o->mnt_mountpoint, 8)}, &cross, 1);
	LLVMAddIncoming(m, &v, &cross, 1);
	LLVMAddIncoming(pos, &pos, &cross, 1);
	LLVMAddIncoming(i, (LLVMValueRef[]){LLVMBuildAdd(g->b, i, cg_i64(g, 1), "")}, &cross, 1);
	LLVMBuildBr(g->b, head);

	/* "/name" before what is written, if it leaves room for a prefix */
	cg_at(g, comp);
	LLVMValueRef len = cg_kread(g, d, o->d_len, 4);
	LLVMValueRef np = LLVMBuildSub(g->b, LLVMBuildSub(g->b, pos, len, ""), cg_i64(g, 1), "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, np, cg_i64(g, CG_PATH_ROOM), ""), cut, write);
	cg_at(g, write);
	np = LLVMBuildAnd(g->b, np, mask, "");
	args[0] = LLVMBuildGEP2(g->b, g->i8, buf, (LLVMValueRef[]){LLVMBuildAdd(g->b, np, cg_i64(g, 1), "")}, 1, "");
	args[1] = LLVMBuildTrunc(g->b, LLVMBuildAnd(g->b, len, mask, ""), g->i32, "");
	args[2] = LLVMBuildIntToPtr(g->b, cg_kread(g, d, o->d_name, 8), g->ptr, "");
	cg_helper(g, H_PROBE_READ_KERNEL, args, 3);
	cg_store(g, LLVMConstInt(g->i8, '/', 0), LLVMBuildGEP2(g->b, g->i8, buf, &np, 1, ""), 0);
	LLVMAddIncoming(d, &parent, &write, 1);
	LLVMAddIncoming(m, &m, &write, 1);
	LLVMAddIncoming(pos, &np, &write, 1);
	LLVMAddIncoming(i, (LLVMValueRef[]){LLVMBuildAdd(g->b, i, cg_i64(g, 1), "")}, &write, 1);
	LLVMBuildBr(g->b, head);

	/* too long or too deep: "..." and the end of the path, counted as a cut string */
	cg_at(g, cut);
	cg_count_drop(g, LAYOUT_DROP_CUT(g->c->prog->nmaps));
	LLVMValueRef pcut = cg_path_prefix(g, buf, pos, cg_path_cut, sizeof(cg_path_cut) - 1);
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
