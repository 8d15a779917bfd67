/* ready.c - time from the exec of a tracer to the first line of its output that
 * contains PATTERN (the line a tool prints once its probes are attached), for tools
 * without a -c option (libbpf-tools' nfsdist: "Tracing ... Hit Ctrl-C to end.").
 *
 *   ready PATTERN FILE TRACER ARGS...
 *
 * Runs TRACER on a pseudo-terminal (so that its stdio is line-buffered, as in a shell:
 * libbpf-tools print "Tracing ..." with a plain printf), prints "ready_ms maxrss_kb" once
 * PATTERN has been seen, then sends SIGINT and waits for the tracer's exit; everything
 * the tracer wrote goes to FILE. Exit 1 if the tracer ends without printing PATTERN, or
 * has not printed it after READY_TIMEOUT seconds (then it is killed: a tracer that hangs
 * while attaching must not hang the benchmark with it). A tracer that printed PATTERN but
 * has not exited EXIT_TIMEOUT seconds after the SIGINT is killed too, and said so on stderr
 * (the start-up figure stands); one that cannot even be reaped then (stuck in the kernel) is
 * left behind. (On 2026-11-30 libbpf-tools' nfsdist did not end after its SIGINT in the lab,
 * and bench/lab waited until its VM was killed.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <pty.h>
#include <unistd.h>

#define READY_TIMEOUT 300
#define EXIT_TIMEOUT 60

static pid_t child;

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	kill(child, SIGKILL);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long long t0, t1 = 0;
	size_t len = 0;
	struct rusage ru;
	int master, status;
	FILE *log;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: ready PATTERN FILE TRACER ARGS...\n");
		return 2;
	}
	log = fopen(argv[2], "w");
	if (!log)
		return 1;
	t0 = now_ns();
	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0)
		return 1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	child = pid;
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm; /* no SA_RESTART: read and wait4 return at the alarm */
		sigaction(SIGALRM, &sa, NULL);
	}
	alarm(READY_TIMEOUT);
	for (;;) {
		ssize_t n = read(master, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		fwrite(buf + len, 1, (size_t)n, log);
		len += (size_t)n;
		buf[len] = 0;
		if (!t1 && strstr(buf, argv[1])) {
			t1 = now_ns();
			alarm(EXIT_TIMEOUT);
			kill(pid, SIGINT);
		}
		if (len >= sizeof(buf) - 1)
			len = 0;
	}
	while (wait4(pid, &status, 0, &ru) != pid)
		if (errno != EINTR || alarms > 1) { /* killed and still not reaped: leave it */
			fprintf(stderr, "ready: %s could not be reaped after SIGKILL\n", argv[3]);
			if (!t1)
				return 1;
			printf("%.2f 0\n", (t1 - t0) / 1e6);
			return 0;
		} else if (alarms == 1) {
			alarm(10); /* the SIGKILL's grace */
		}
	alarm(0);
	fclose(log);
	if (t1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		fprintf(stderr, "ready: %s did not exit within %d s of SIGINT: killed\n", argv[3], EXIT_TIMEOUT);
	if (!t1) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			fprintf(stderr, "ready: %s printed no '%s' in %d s: killed\n", argv[3], argv[1],
				READY_TIMEOUT);
		else
			fprintf(stderr, "ready: %s ended without printing '%s'\n", argv[3], argv[1]);
		return 1;
	}
	printf("%.2f %ld\n", (t1 - t0) / 1e6, ru.ru_maxrss);
	return 0;
}
