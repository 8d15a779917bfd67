/* unsafe.bpf.c - programs for tests/safety/check.c: one that only does what nfsq's
 * programs do (allowed), and ones calling helpers nfsq must never load: writing user
 * memory, overriding a return value, sending a signal. Built with clang -target bpf. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, long);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int safe_count(void *ctx)
{
	int key = bpf_get_smp_processor_id();
	long one = bpf_ktime_get_ns(), *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 0;
}

SEC("kprobe/do_sys_openat2")
int unsafe_write_user(void *ctx)
{
	char buf[8] = "pwned";

	bpf_probe_write_user((void *)0x1000, buf, sizeof(buf));
	return 0;
}

SEC("kprobe/should_fail")
int unsafe_override(struct pt_regs *ctx)
{
	bpf_override_return(ctx, -1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int unsafe_signal(void *ctx)
{
	bpf_send_signal(9);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
