/* floor.c - loader of the hand-written baseline (floor.bpf.c):
 *
 *   floor OBJ count|count2|hist|printf CMD ARGS...
 *
 * opens and loads OBJ, attaches the one program, runs CMD, and when it exits reads
 * the map and prints it (printf: prints each event as it arrives, like a tracer). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)size;
	printf("getppid %llu\n", *(unsigned long long *)data);
	return 0;
}

int main(int argc, char **argv)
{
	const char *progs[][2] = {{"count", "count1"}, {"count2", "count2"}, {"hist", "hist1"},
				  {"printf", "printf1"}};
	struct bpf_object *obj;
	struct bpf_program *prog = NULL;
	struct bpf_link *link;
	struct ring_buffer *rb = NULL;
	int ncpus = libbpf_num_possible_cpus(), status = 0;
	const char *mode;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: floor OBJ count|count2|hist|printf CMD ARGS...\n");
		return 2;
	}
	mode = argv[2];
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 1;
	for (unsigned i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i][1]);

		if (!strcmp(mode, progs[i][0]))
			prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!prog || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", mode);
		return 1;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "floor: cannot attach %s\n", mode);
		return 1;
	}
	if (!strcmp(mode, "printf"))
		rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
				      on_event, NULL, NULL);
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	for (;;) {
		pid_t w;

		if (rb)
			ring_buffer__poll(rb, 100);
		w = waitpid(pid, &status, rb ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
	}
	if (rb)
		ring_buffer__consume(rb);
	bpf_link__destroy(link);
	if (!strcmp(mode, "count") || !strcmp(mode, "hist")) {
		int fd = bpf_map__fd(bpf_object__find_map_by_name(obj, mode[0] == 'c' ? "cnt" : "hist"));
		unsigned n = mode[0] == 'c' ? 1 : 66;
		unsigned long long *v = calloc(ncpus, 8);

		for (unsigned k = 0; k < n; k++) {
			unsigned long long s = 0;

			if (bpf_map_lookup_elem(fd, &k, v))
				continue;
			for (int c = 0; c < ncpus; c++)
				s += v[c];
			if (s)
				printf("%s[%u]: %llu\n", mode, k, s);
		}
	} else if (!strcmp(mode, "count2")) {
		int fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "cnt2"));
		struct { char comm[16]; unsigned long long pid; } k, *prev = NULL;
		unsigned long long *v = calloc(ncpus, 8);

		while (!bpf_map_get_next_key(fd, prev, &k)) {
			unsigned long long s = 0;

			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, v))
				continue;
			for (int c = 0; c < ncpus; c++)
				s += v[c];
			printf("@[%.16s, %llu]: %llu\n", k.comm, k.pid, s);
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
