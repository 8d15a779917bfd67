/* drive.c - the workload of the per-event overhead bench: N system calls in a loop,
 * timed with CLOCK_MONOTONIC; prints the mean ns per call.
 *
 *   drive getppid N [FILE]   N x getppid()            (tracepoint syscalls:sys_enter_getppid)
 *   drive read N [FILE]      N x read(-1, NULL, i)    (sys_enter_read; count = i % 65536, EBADF)
 *
 *   drive fill N STAMP       read(-1, NULL, i) for i = 0 .. N-1 (N distinct counts: fills a map
 *                            keyed by count), then writes CLOCK_MONOTONIC ns to STAMP
 *
 * The N calls are made in SEGS segments, each timed on its own; the machine is shared
 * with other people's VMs, so a segment is often preempted: the fastest segment is the
 * cost of a call when nobody else runs. Prints "min_ns median_ns" (per call, over the
 * segments), appended to FILE if given (the tracer's stdout is not ours), else to
 * stdout. A warm-up of N/10 calls comes first. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void run(int rd, long n, long base)
{
	for (long i = 0; i < n; i++) {
		if (rd)
			syscall(SYS_read, -1, NULL, (size_t)((base * n + i) & 0xffff));
		else
			syscall(SYS_getppid);
	}
}

#define SEGS 100

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double seg[SEGS];
	long long t0, t1;
	long n;
	int rd;
	FILE *f = stdout;

	if (argc == 4 && !strcmp(argv[1], "fill")) {
		n = atol(argv[2]);
		for (long i = 0; i < n; i++)
			syscall(SYS_read, -1, NULL, (size_t)i);
		t0 = now_ns();
		if (!(f = fopen(argv[3], "w")))
			return 1;
		fprintf(f, "%lld\n", t0);
		return fclose(f) ? 1 : 0;
	}
	if (argc < 3 || (strcmp(argv[1], "getppid") && strcmp(argv[1], "read"))) {
		fprintf(stderr, "usage: drive getppid|read N [FILE] | drive fill N STAMP\n");
		return 2;
	}
	rd = !strcmp(argv[1], "read");
	n = atol(argv[2]);
	run(rd, n / 10, 0);
	for (int s = 0; s < SEGS; s++) {
		t0 = now_ns();
		run(rd, n / SEGS, s);
		t1 = now_ns();
		seg[s] = (double)(t1 - t0) / (n / SEGS);
	}
	qsort(seg, SEGS, sizeof(seg[0]), cmp);
	if (argc > 3 && !(f = fopen(argv[3], "a")))
		return 1;
	fprintf(f, "%.1f %.1f\n", seg[0], seg[SEGS / 2]);
	return fclose(f) ? 1 : 0;
}
