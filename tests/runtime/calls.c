/* calls.c - makes an exactly known number of system calls with known arguments,
 * for the runtime tests (tests/runtime/run_tests.sh).
 *
 *   calls getppid N            N getppid() calls
 *   calls read-sizes S1 S2 ... read(-1, NULL, S) for each S (fails with EBADF)
 *   calls sleep-ms MS [FILE]   sleeps MS milliseconds (for interval / exit tests); then
 *                              writes the time it woke to FILE (us since the epoch)
 *   calls write-fds FD1 FD2 .. write(FD, NULL, 0) for each FD (sys_enter_write fd)
 *   calls open PATH1 PATH2 ..  openat(AT_FDCWD, PATH, O_RDONLY) for each PATH (closed if
 *                              it opened): sys_enter_openat's filename, a user string
 *   calls delay-getppid MS N   sleeps MS milliseconds, then N getppid() calls
 *   calls wait-getppid FILE N  waits until FILE exists (the test's go: its tracer is
 *                              ready), makes N getppid() calls, creates FILE.done, and
 *                              exits once FILE is gone (-p tests)
 *   calls mixed N S1 S2 ...    N getppid() calls, then read(-1, NULL, S) for each S
 *   calls spin-getppid MS      getppid() calls for MS milliseconds; prints how many
 *   calls lateness MS N        N sleeps of MS milliseconds; prints the wake-up delays past
 *                              the deadline, in microseconds: the largest, the 90th
 *                              percentile and the median
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: calls getppid N | read-sizes S... | sleep-ms MS [FILE] | write-fds FD... | open PATH... | delay-getppid MS N | wait-getppid FILE N | mixed N S... | spin-getppid MS | lateness MS N\n");
		return 2;
	}
	if (!strcmp(argv[1], "getppid") && argc == 3) {
		long n = strtol(argv[2], NULL, 0);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		return 0;
	}
	if (!strcmp(argv[1], "mixed") && argc >= 3) {
		long n = strtol(argv[2], NULL, 0);

		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		for (int i = 3; i < argc; i++)
			if (syscall(SYS_read, -1, NULL, strtoul(argv[i], NULL, 0)) != -1)
				return 1;
		return 0;
	}
	if (!strcmp(argv[1], "read-sizes")) {
		for (int i = 2; i < argc; i++)
			if (syscall(SYS_read, -1, NULL, strtoul(argv[i], NULL, 0)) != -1)
				return 1;
		return 0;
	}
	if (!strcmp(argv[1], "write-fds")) {
		for (int i = 2; i < argc; i++)
			syscall(SYS_write, (int)strtol(argv[i], NULL, 0), NULL, 0);
		return 0;
	}
	if (!strcmp(argv[1], "open")) {
		for (int i = 2; i < argc; i++) {
			long fd = syscall(SYS_openat, AT_FDCWD, argv[i], O_RDONLY);

			if (fd >= 0)
				syscall(SYS_close, fd);
		}
		return 0;
	}
	if (!strcmp(argv[1], "delay-getppid") && argc == 4) {
		long ms = strtol(argv[2], NULL, 0), n = strtol(argv[3], NULL, 0);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		return 0;
	}
	if (!strcmp(argv[1], "wait-getppid") && argc == 4) {
		long n = strtol(argv[3], NULL, 0);
		struct timespec ts = {0, 1000000L};
		char done[4096];
		FILE *f;

		for (long i = 0; access(argv[2], F_OK); i++) {
			if (i == 600000) /* 10 minutes: nobody will say go */
				return 1;
			nanosleep(&ts, NULL);
		}
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		snprintf(done, sizeof(done), "%s.done", argv[2]);
		if (!(f = fopen(done, "w")))
			return 1;
		fclose(f);
		for (long i = 0; !access(argv[2], F_OK) && i < 600000; i++)
			nanosleep(&ts, NULL);
		return 0;
	}
	if (!strcmp(argv[1], "sleep-ms") && (argc == 3 || argc == 4)) {
		long ms = strtol(argv[2], NULL, 0);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		FILE *f;

		nanosleep(&ts, NULL);
		if (argc == 4) { /* when it woke: CLOCK_REALTIME in us, as bash's $EPOCHREALTIME */
			clock_gettime(CLOCK_REALTIME, &ts);
			if (!(f = fopen(argv[3], "w")))
				return 1;
			fprintf(f, "%lld\n", ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
			fclose(f);
		}
		return 0;
	}
	if (!strcmp(argv[1], "spin-getppid") && argc == 3) {
		long long end = now_ns() + strtol(argv[2], NULL, 0) * 1000000LL, n = 0;

		while (now_ns() < end)
			for (int i = 0; i < 1000; i++, n++)
				syscall(SYS_getppid);
		printf("%lld\n", n);
		return 0;
	}
	if (!strcmp(argv[1], "lateness") && argc == 4) {
		long ms = strtol(argv[2], NULL, 0), n = strtol(argv[3], NULL, 0);
		long long *late = calloc(n > 0 ? n : 1, sizeof(*late));

		if (!late || n <= 0)
			return 2;
		for (long i = 0; i < n; i++) {
			long long deadline = now_ns() + ms * 1000000LL;
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
			late[i] = now_ns() - deadline;
		}
		qsort(late, n, sizeof(*late), cmp_ll);
		printf("%lld %lld %lld\n", late[n - 1] / 1000, late[n * 9 / 10] / 1000, late[n / 2] / 1000);
		free(late);
		return 0;
	}
	fprintf(stderr, "calls: unknown mode '%s'\n", argv[1]);
	return 2;
}
