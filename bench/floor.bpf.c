/* floor.bpf.c - the hand-written libbpf baseline of the per-event bench: the same work
 * as the nfsq / bpftrace one-liners, written the way a careful libbpf C tool would
 * (per-CPU array where there is no key, no exit-flag check, no drop counters).
 * Compiled by bench/run with clang -O2 -target bpf -g; loaded by floor.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long u64;
typedef unsigned int u32;

struct key2 {
	char comm[16];
	u64 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key2);
	__type(value, u64);
} cnt2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 66);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} events SEC(".maps");

/* tracepoint/syscalls/sys_enter_read's record (tracefs format) */
struct enter_read {
	u64 common;
	int nr;
	u64 fd, buf, count;
};

SEC("tracepoint/syscalls/sys_enter_getppid")
int count1(void *ctx)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&cnt, &k);

	if (v)
		(*v)++;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int count2(void *ctx)
{
	struct key2 k = {};
	u64 one = 1, *v;

	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.pid = bpf_get_current_pid_tgid() >> 32;
	v = bpf_map_lookup_elem(&cnt2, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&cnt2, &k, &one, BPF_NOEXIST);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int hist1(struct enter_read *ctx)
{
	u64 x = ctx->count;
	u32 b = 1; /* [0] */
	u64 *v;

	if (x) { /* 2 + floor(log2 x) */
		b = 2;
		if (x >> 32) { x >>= 32; b += 32; }
		if (x >> 16) { x >>= 16; b += 16; }
		if (x >> 8) { x >>= 8; b += 8; }
		if (x >> 4) { x >>= 4; b += 4; }
		if (x >> 2) { x >>= 2; b += 2; }
		if (x >> 1) { b += 1; }
	}
	v = bpf_map_lookup_elem(&hist, &b);
	if (v)
		(*v)++;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int printf1(void *ctx)
{
	u64 *e = bpf_ringbuf_reserve(&events, 8, 0);

	if (!e)
		return 0;
	*e = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
