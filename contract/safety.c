/* safety.c - what a program nfsq loads may call: only the helpers below (maps, the
 * clock, the current task, reading kernel and user memory, the ring buffer). None of them writes
 * kernel or user memory, overrides a return value, sends a signal or runs anything, and
 * kernel functions (kfuncs) are not called at all. Checked on every object before it is
 * loaded, compiled now or taken from the cache (docs/LANGUAGE.md, "Safety"). */
#include "object.h"

#include <linux/bpf.h>
#include <stdio.h>

static const int ct_safe_helpers[] = {
	BPF_FUNC_map_lookup_elem,
	BPF_FUNC_map_update_elem,
	BPF_FUNC_map_delete_elem,
	BPF_FUNC_ktime_get_ns,
	BPF_FUNC_get_smp_processor_id,
	BPF_FUNC_get_current_pid_tgid,
	BPF_FUNC_get_current_uid_gid,
	BPF_FUNC_get_current_comm,
	BPF_FUNC_probe_read_kernel,
	BPF_FUNC_probe_read_kernel_str,
	BPF_FUNC_probe_read_user,
	BPF_FUNC_probe_read_user_str,
	BPF_FUNC_ringbuf_output,
	BPF_FUNC_ringbuf_reserve,
	BPF_FUNC_ringbuf_submit,
	BPF_FUNC_get_stack,
	BPF_FUNC_for_each_map_elem,    /* calls nfsq's own callback (a for loop's body) */
	BPF_FUNC_map_lookup_percpu_elem,
};

static bool cg_helper_safe(int id)
{
	for (size_t i = 0; i < sizeof(ct_safe_helpers) / sizeof(ct_safe_helpers[0]); i++)
		if (ct_safe_helpers[i] == id)
			return true;
	return false;
}

int ct_check_calls(const struct bpf_insn *insns, size_t n, char *why, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];

		if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg == BPF_PSEUDO_CALL)
			continue;
		if (in->src_reg == 0 && cg_helper_safe(in->imm))
			continue;
		if (in->src_reg == 0)
			snprintf(why, len, "instruction %zu calls BPF helper %d, which is not one of the "
					   "read-only helpers nfsq allows",
				 i, in->imm);
		else
			snprintf(why, len, "instruction %zu calls a kernel function (kfunc %d); nfsq "
					   "calls none",
				 i, in->imm);
		return -1;
	}
	return 0;
}
