/* launch.c - measures a tracer's startup: exec of the tracer to the start of the
 * command it traces (-c), which both nfsq and bpftrace run only once their probes
 * are attached.
 *
 *   launch --stamp FILE               (the traced command) writes CLOCK_MONOTONIC ns to FILE
 *   launch FILE TRACER ARGS...        runs TRACER, prints "startup_ms total_ms maxrss_kb"
 *
 * The tracer's output goes to /dev/null, or to the file $LAUNCH_OUT. (bench/readout has
 * the traced command write the stamp when it ends instead: total - stamp is then the
 * time from the end of the workload to the tracer's exit, i.e. reading and printing.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1, stamp = 0;
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "--stamp")) {
		long long t = now_ns();

		f = fopen(argv[2], "w");
		if (!f)
			return 1;
		fprintf(f, "%lld\n", t);
		return fclose(f) ? 1 : 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: launch FILE TRACER ARGS... | launch --stamp FILE\n");
		return 2;
	}
	unlink(argv[1]);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		const char *out = getenv("LAUNCH_OUT");
		int devnull = open("/dev/null", O_WRONLY);
		int o = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : devnull;

		dup2(o, 1);
		dup2(devnull, 2);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return 1;
	t1 = now_ns();
	f = fopen(argv[1], "r");
	if (!f || fscanf(f, "%lld", &stamp) != 1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "launch: %s failed (status %d)\n", argv[2], status);
		return 1;
	}
	fclose(f);
	printf("%.2f %.2f %ld\n", (stamp - t0) / 1e6, (t1 - t0) / 1e6, ru.ru_maxrss);
	return 0;
}
