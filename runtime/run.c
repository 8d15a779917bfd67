/* run.c - the runtime's driver: a compiled object (contract/object.h) opened -> loaded ->
 * attached, BEGIN run, then the ring buffer (printf, print, clear, exit events), interval
 * timers, signals and the -c command, then detach, run END and print the maps. One
 * cleanup path.
 *
 * BEGIN, END and interval bodies are raw_tp programs that are never attached: the
 * runtime runs them with BPF_PROG_TEST_RUN on its own thread, exactly when it wants
 * them (BEGIN before the probes are released, END after they are detached, interval
 * from a timerfd), and their print/clear events are handled right after. That needs
 * no uprobe on nfsq itself nor a perf timer, and it is ordered with the output. */
#define _GNU_SOURCE
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../base/exitcode.h"
#include "../probes/probe.h"
#include "serve.h"
#include "symbols.h"

#define RT_BURST 4096 /* ring-buffer events handled before the event loop looks around */

struct rt_child {
	pid_t pid;
	bool held; /* stopped before exec, not released yet */
	int pidfd;
	bool exited;
	int status;
	bool group; /* in a process group of its own (killed as one at the end) */
};

static int rt_verbose;

/* libbpf's own messages: silent unless -v (warnings and info), -vv (debug too). */
static int rt_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!rt_verbose || (level == LIBBPF_DEBUG && rt_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

double rt_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- the -c command ---- */

/* Run without a shell (split into words at blanks) unless the command has characters
 * the shell would interpret; '=' only matters in the first word (an assignment). */
static bool rt_needs_shell(const char *cmd)
{
	const char *w = cmd + strspn(cmd, " \t");

	return strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~{}!\n") != NULL || memchr(w, '=', strcspn(w, " \t"));
}

/* A shell command that is one simple command (words, quotes, expansions, redirections;
 * no list, pipeline, background, subshell or compound command) can be run as
 * `exec CMD` (`exec env CMD` when it begins with an assignment), so that the shell's
 * process becomes the command and cpid is its pid: that prefix, else NULL. */
static const char *rt_exec_prefix(const char *cmd)
{
	const char *w = cmd + strspn(cmd, " \t");
	char q = 0;

	if (*w == '!' || *w == '{' || (!strncmp(w, "exec", 4) && strchr(" \t", w[4])))
		return NULL; /* negation, a group, exec already */
	for (const char *c = cmd; *c; c++) {
		if (q) { /* in quotes */
			if (*c == q)
				q = 0;
			else if (q == '"' && *c == '\\' && c[1])
				c++;
			else if (q == '"' && *c == '`')
				return false;
			continue;
		}
		if (*c == '\\' && c[1])
			c++;
		else if (*c == '\'' || *c == '"')
			q = *c;
		else if (*c == '&' && c > cmd && (c[-1] == '>' || c[-1] == '<'))
			continue; /* 2>&1 */
		else if (strchr(";&|()`\n", *c))
			return false;
		else if (*c == '#' && (c == cmd || c[-1] == ' ' || c[-1] == '\t'))
			break; /* a comment */
	}
	if (q)
		return NULL;
	return memchr(w, '=', strcspn(w, " \t\"'")) ? "exec env " : "exec ";
}

static bool rt_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Forks the command, stopped before exec until rt_child_release(). The child stops
 * itself (SIGSTOP) rather than waiting on a pipe, so that the only system calls it
 * makes once the probes are attached are the end of that kill() and the execve(). */
static int rt_child_spawn(const char *cmd, struct rt_child *ch)
{
	char *copy = strdup(cmd), *argv[256];
	int argc = 0;
	bool shell = rt_needs_shell(cmd);
	pid_t parent;

	memset(ch, 0, sizeof(*ch));
	ch->pidfd = -1;
	if (!copy)
		return -1;
	if (shell) { /* exec'd by the shell when simple: cpid is then the command, not sh */
		const char *pre = rt_exec_prefix(cmd);
		char *ex = pre ? malloc(strlen(pre) + strlen(cmd) + 1) : NULL;

		if (ex) {
			strcpy(ex, pre);
			strcat(ex, cmd);
			free(copy);
			copy = ex;
		}
		argv[0] = "/bin/sh", argv[1] = "-c", argv[2] = copy, argv[3] = NULL;
	} else {
		for (char *t = strtok(copy, " \t"); t && argc < 255; t = strtok(NULL, " \t"))
			argv[argc++] = t;
		argv[argc] = NULL;
		if (!argc) {
			fprintf(stderr, "nfsq: -c: empty command\n");
			free(copy);
			return -1;
		}
		if (!rt_in_path(argv[0])) {
			fprintf(stderr, "nfsq: -c: cannot run '%s': command not found or not executable\n",
				argv[0]);
			free(copy);
			return -1;
		}
	}
	fflush(NULL);
	parent = getpid();
	/* A process group of its own, unless nfsq runs in the foreground of a terminal: there
	 * the command stays in nfsq's group, so that it can read the terminal and Ctrl-C
	 * reaches both (as with bpftrace). */
	ch->group = !(isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp());
	ch->pid = fork();
	if (ch->pid < 0) {
		fprintf(stderr, "nfsq: -c: fork: %s\n", strerror(errno));
		free(copy);
		return -1;
	}
	if (ch->pid == 0) {
		/* its own process group (killed as one at the end), and dead with nfsq even
		 * when nfsq is SIGKILLed (the death signal survives exec) */
		if (ch->group)
			setpgid(0, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		fprintf(stderr, "nfsq: -c: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(copy);
	if (ch->group)
		setpgid(ch->pid, ch->pid); /* also here: no window where it is in nfsq's group */
	ch->held = true;
	ch->pidfd = (int)syscall(SYS_pidfd_open, ch->pid, 0);
	return 0;
}

/* Before attaching: the child must have stopped, so that nothing it does before
 * exec is traced (it has, long since: this runs after compiling and loading). */
static int rt_child_stopped(struct rt_child *ch)
{
	int status;

	if (ch->pid <= 0)
		return 0;
	if (waitpid(ch->pid, &status, WUNTRACED) != ch->pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "nfsq: -c: the command did not start\n");
		ch->exited = true;
		return -1;
	}
	return 0;
}

static void rt_child_release(struct rt_child *ch)
{
	if (ch->pid > 0 && ch->held) {
		kill(ch->pid, SIGCONT);
		ch->held = false;
	}
}

/* One line on stderr when the command, having exited by itself, did not succeed. */
static void rt_child_report(const struct rt_child *ch)
{
	const char *name;

	if (ch->pid <= 0 || !ch->exited)
		return;
	if (WIFEXITED(ch->status) && WEXITSTATUS(ch->status))
		fprintf(stderr, "nfsq: the -c command exited with status %d\n", WEXITSTATUS(ch->status));
	else if (WIFSIGNALED(ch->status) && (name = sigabbrev_np(WTERMSIG(ch->status))))
		fprintf(stderr, "nfsq: the -c command was killed by SIG%s\n", name);
	else if (WIFSIGNALED(ch->status))
		fprintf(stderr, "nfsq: the -c command was killed by signal %d\n", WTERMSIG(ch->status));
}

static void rt_child_reap(struct rt_child *ch, bool kill_it)
{
	if (ch->pid <= 0)
		goto cleanup;
	if (ch->held) /* never released: it must not run at all */
		kill(ch->group ? -ch->pid : ch->pid, SIGKILL);
	else if (kill_it && ch->group) /* its group: what it started too, also after it exited */
		kill(-ch->pid, SIGTERM);
	else if (kill_it && !ch->exited) /* (an exited pid may be reused) */
		kill(ch->pid, SIGTERM);
	if (!ch->exited && waitpid(ch->pid, &ch->status, 0) == ch->pid)
		ch->exited = true;
	ch->pid = 0;
cleanup:
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	ch->pidfd = -1;
}

void rt_take_signals(struct rt *r)
{
	struct signalfd_siginfo si;

	while (r->sigfd >= 0 && read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (!r->stopping)
			r->stop_ms = rt_now_ms();
		r->stopping = r->exiting = true;
	}
}

/* ---- events ---- */

static int rt_on_event(void *ctx, void *data, size_t size)
{
	struct rt *r = ctx;
	uint64_t id;

	if (r->exit_called || size < 8) /* events already queued when tracing stops for
					     another reason are still handled */
		return 0;
	if (!(++r->nevents % 64)) /* a stop signal is seen in the middle of a burst too */
		rt_take_signals(r);
	if (r->stopping && rt_now_ms() - r->stop_ms > RT_STOP_MS) {
		r->unprinted++;
		return 0;
	}
	memcpy(&id, data, 8);
	switch (id & LAYOUT_EV_KIND_MASK) {
	case 0: {
		/* test-only faults for tests/runtime/flood.sh --selftest, never for use:
		 * NFSQ_TEST_DROP_EVENTS=N drops every Nth printf event without counting it,
		 * NFSQ_TEST_SLOW_EVENTS=US spends US microseconds on each one */
		static long drop = -1, slow, seen;

		if (drop < 0) {
			drop = getenv("NFSQ_TEST_DROP_EVENTS") ? atol(getenv("NFSQ_TEST_DROP_EVENTS")) : 0;
			slow = getenv("NFSQ_TEST_SLOW_EVENTS") ? atol(getenv("NFSQ_TEST_SLOW_EVENTS")) : 0;
		}
		if (slow > 0)
			usleep(slow);
		if (drop > 0 && ++seen % drop == 0)
			break;
		if (id < r->obj->nprintfs)
			rt_printf_event(r, r->obj->printfs[id], data, size);
		break;
	}
	case LAYOUT_EV_EXIT:
		r->exiting = r->exit_called = true;
		if (size >= 16 && r->exit_code < 0) {
			int64_t code;

			memcpy(&code, (uint8_t *)data + 8, 8);
			r->exit_code = (int)(code & 0xff); /* as a shell takes an exit status */
		}
		break;
	case LAYOUT_EV_PRINT:
	case LAYOUT_EV_PRINT_CLEAR: {
		uint64_t top = 0;

		if (size >= 16)
			memcpy(&top, (uint8_t *)data + 8, 8);
		if ((id & 0xffffffff) < r->obj->nmaps)
			rt_print_map(r, id & 0xffffffff, top, (id & LAYOUT_EV_KIND_MASK) == LAYOUT_EV_PRINT_CLEAR);
		break;
	}
	case LAYOUT_EV_CLEAR:
		if ((id & 0xffffffff) < r->obj->nmaps)
			rt_clear_map(r, id & 0xffffffff);
		break;
	case LAYOUT_EV_ZERO:
		if ((id & 0xffffffff) < r->obj->nmaps)
			rt_zero_map(r, id & 0xffffffff);
		break;
	}
	return r->burst && !--r->burst ? -EAGAIN : 0; /* libbpf stops after this event */
}

/* Handles at most RT_BURST queued events: when probes fire faster than nfsq can print,
 * ring_buffer__consume() alone would not return while the flood lasts, and signals,
 * timers and the -c command's end would wait for it. The rest stays queued (epoll
 * reports it again), and after tracing stops the ring buffer is drained whole. */
static void rt_consume_some(struct rt *r, struct ring_buffer *rb)
{
	r->burst = RT_BURST;
	ring_buffer__consume(rb);
	r->burst = 0;
}

static int rt_test_run(struct rt *r, const struct ct_prog *p)
{
	struct bpf_program *bp = r->bprogs[p - r->obj->progs];
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (!bp || bpf_prog_test_run_opts(bpf_program__fd(bp), &opts)) {
		fprintf(stderr, "nfsq: cannot run %s: %s\n", p->probe ? p->probe : p->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void rt_run_kind(struct rt *r, struct ring_buffer *rb, enum ct_prog_kind kind)
{
	for (unsigned i = 0; i < r->obj->nprogs && !r->exiting; i++) {
		if (r->obj->progs[i].kind != kind)
			continue;
		rt_test_run(r, &r->obj->progs[i]);
		rt_consume_some(r, rb);
	}
}

/* ---- loading and attaching ---- */

static bool rt_can_bpf(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0};
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2] = {{0}};

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	/* CAP_BPF is 39, CAP_SYS_ADMIN 21 */
	return (data[1].effective & (1u << (39 - 32))) || (data[0].effective & (1u << 21));
}

static int rt_attach_error(const struct ct_prog *p, int err)
{
	const struct attach_ops *at = attach_ops(p->attach);
	const char *what = ct_prog_label(p);

	for (const int *e = at->missing; *e; e++)
		if (err == *e) {
			fprintf(stderr, "nfsq: cannot attach %s: ", what);
			fprintf(stderr, at->missing_hint, p->target);
			fputc('\n', stderr);
			return -1;
		}
	if (err == EPERM || err == EACCES)
		fprintf(stderr, "nfsq: cannot attach %s: permission denied (run as root, or with "
				"CAP_BPF and CAP_PERFMON, and CAP_SYS_ADMIN for kprobes)\n",
			what);
	else if (err == E2BIG && p->attach == ATTACH_TRACEPOINT)
		fprintf(stderr, "nfsq: cannot attach %s to %s: the kernel attaches at most %d BPF "
				"programs to one tracepoint, other tracers' included; put fewer clauses on "
				"this probe, or merge them\n",
			what, p->target, PROBE_TRACEPOINT_MAX_PROGS);
	else
		fprintf(stderr, "nfsq: cannot attach %s to %s: %s\n", what, p->target, strerror(err));
	return -1;
}

static int rt_find_maps(struct rt *r)
{
	struct bpf_map *m;

	r->map_fds = calloc(r->obj->nmaps + 1, sizeof(int));
	r->zeroed = calloc(r->obj->nmaps + 1, sizeof(bool));
	r->base = calloc(r->obj->nmaps + 1, sizeof(*r->base));
	if (!r->map_fds || !r->zeroed || !r->base)
		return -1;
	for (unsigned i = 0; i < r->obj->nmaps; i++) {
		const struct map_layout *l = &r->obj->maps[i];

		m = bpf_object__find_map_by_name(r->bobj, l->obj_name);
		if (!m) {
			fprintf(stderr, "nfsq: internal error: map %s missing from the object\n",
				r->obj->maps[i].obj_name);
			return -1;
		}
		/* the buffers maps are read into are sized by the layout: a map of another
		 * shape (a damaged or crafted compiled file) is not read */
		if (bpf_map__type(m) != l->map_type || bpf_map__key_size(m) != (l->array ? 4 : l->key_size) ||
		    bpf_map__value_size(m) != l->value_size) {
			fprintf(stderr, "nfsq: map %s of the object does not have the layout its description "
					"gives (a damaged compiled file, or an nfsq bug)\n", l->obj_name);
			return -1;
		}
		r->map_fds[i] = bpf_map__fd(m);
	}
	m = bpf_object__find_map_by_name(r->bobj, CT_DROPS_NAME);
	r->drops_fd = m && bpf_map__value_size(m) == 8 ? bpf_map__fd(m) : -1;
	m = bpf_object__find_map_by_name(r->bobj, CT_STACKS_NAME);
	rt_sym_open(m && bpf_map__value_size(m) == LAYOUT_STACK_SIZE ? bpf_map__fd(m) : -1);
	return 0;
}

/* Stops the probes: the exit flag turns them into no-ops at once; detaching (a
 * synchronize_rcu per perf tracepoint, 10-30 ms each) is left to the cleanup, after
 * the output. Without the flag map, detach now. */
static void rt_stop_probes(struct rt *r, struct probe_links *links)
{
	struct bpf_map *m = bpf_object__find_map_by_name(r->bobj, CT_STATE_NAME);
	uint32_t key = 0;
	uint64_t one = 1;

	if (m && !bpf_map_update_elem(bpf_map__fd(m), &key, &one, 0))
		return;
	probe_links_free(links);
}

/* Closing a perf tracepoint's last reference waits for RCU grace periods (10-70 ms
 * per probe, far more in a TCG VM), and nothing needs to wait for it once the probes
 * are stopped (the exit flag) and the output is out. So a double-forked orphan keeps
 * a reference to every file until it exits, and the kernel does the slow releases
 * there; nfsq's own closes below only drop references. The orphan closes the standard
 * streams at once, so that a pipe reading nfsq's output sees its end now. */
static void rt_detach_in_background(struct rt *r, const struct probe_links *links)
{
	int alive[2];
	pid_t pid;

	if (!links->n || getenv("NFSQ_DETACH_NOW") || pipe2(alive, O_CLOEXEC))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		char c;

		if (fd >= 0)
			for (int i = 0; i < 3; i++)
				dup2(fd, i);
		if (r->o->out && fileno(r->o->out) > 2)
			close(fileno(r->o->out));
		close(alive[1]);
		if (fork() != 0)
			_exit(0);
		/* the orphan: waits until nfsq has exited (end of file on the pipe), then
		 * its exit drops the last references and the kernel detaches the probes */
		while (read(alive[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(alive[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	/* alive[1] stays open until nfsq exits (close-on-exec: no other program gets it) */
}

/* ---- the main loop ---- */

static int rt_epoll_add(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

#define TAG_RINGBUF 1
#define TAG_SIGNAL 2
#define TAG_CHILD 3
#define TAG_TIMER 100 /* + program index */

static int rt_loop(struct rt *r, struct ring_buffer *rb, struct rt_child *ch)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), ret = -1;
	int *timers = calloc(r->obj->nprogs + 1, sizeof(int));

	if (ep < 0 || !timers)
		goto cleanup;
	for (unsigned i = 0; i < r->obj->nprogs; i++)
		timers[i] = -1;
	rt_epoll_add(ep, ring_buffer__epoll_fd(rb), TAG_RINGBUF);
	rt_epoll_add(ep, r->sigfd, TAG_SIGNAL);
	if (ch->pidfd >= 0)
		rt_epoll_add(ep, ch->pidfd, TAG_CHILD);
	for (unsigned i = 0; i < r->obj->nprogs; i++) {
		const struct ct_prog *p = &r->obj->progs[i];
		struct itimerspec its;

		if (p->kind != CT_PROG_INTERVAL || p->interval_ns <= 0)
			continue;
		timers[i] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		its.it_interval.tv_sec = p->interval_ns / 1000000000;
		its.it_interval.tv_nsec = p->interval_ns % 1000000000;
		its.it_value = its.it_interval;
		if (timers[i] < 0 || timerfd_settime(timers[i], 0, &its, NULL) ||
		    rt_epoll_add(ep, timers[i], TAG_TIMER + i)) {
			fprintf(stderr, "nfsq: cannot start the interval timer: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	while (!r->exiting) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto cleanup;
		}
		for (int i = 0; i < n && !r->exiting; i++) {
			uint64_t tag = evs[i].data.u64, ticks;

			if (tag == TAG_RINGBUF) {
				rt_consume_some(r, rb);
			} else if (tag == TAG_SIGNAL) {
				rt_take_signals(r);
			} else if (tag == TAG_CHILD) {
				if (ch->pid <= 0) { /* the -p process exited */
					rt_consume_some(r, rb);
					r->exiting = true;
				} else if (waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid) {
					ch->exited = true;
					rt_consume_some(r, rb);
					r->exiting = true;
				}
			} else if (tag >= TAG_TIMER && tag < TAG_TIMER + r->obj->nprogs) {
				unsigned pi = (unsigned)(tag - TAG_TIMER);

				if (read(timers[pi], &ticks, sizeof(ticks)) > 0) {
					rt_consume_some(r, rb);
					rt_test_run(r, &r->obj->progs[pi]);
					rt_consume_some(r, rb);
					rt_out_flush(r);
				}
			}
		}
	}
	ret = 0;
cleanup:
	for (unsigned i = 0; timers && i < r->obj->nprogs; i++)
		if (timers[i] >= 0)
			close(timers[i]);
	free(timers);
	if (ep >= 0)
		close(ep);
	return ret;
}

/* The run's values the programs read (cpid, -p pid, elapsed origin): layout.h. */
static int rt_set_config(struct rt *r, pid_t cpid, pid_t pid, uint64_t start_ns)
{
	struct bpf_map *m = bpf_object__find_map_by_name(r->bobj, CT_CFG_NAME);
	uint8_t val[LAYOUT_CFG_SIZE];
	int64_t cp = cpid, p = pid;
	uint32_t key = 0;

	memcpy(val + LAYOUT_CFG_CPID, &cp, 8);
	memcpy(val + LAYOUT_CFG_PID, &p, 8);
	memcpy(val + LAYOUT_CFG_START, &start_ns, 8);
	if (!m || bpf_map_update_elem(bpf_map__fd(m), &key, val, 0)) {
		fprintf(stderr, "nfsq: internal error: cannot set the configuration map: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* What the output lost, and why; events a stop signal left unhandled. */
static void rt_report_output(struct rt *r)
{
	if (r->unprinted)
		fprintf(stderr, "nfsq: %llu queued events not handled: after a stop signal they get "
				"%d ms\n",
			(unsigned long long)r->unprinted, RT_STOP_MS);
	if (r->out_errno)
		fprintf(stderr, "nfsq: writing the output failed: %s%s; %llu bytes of output lost\n",
			strerror(r->out_errno),
			r->out_errno == EPIPE ? " (its reader closed it)" : "",
			(unsigned long long)r->out_lost);
	else if (r->out_lost)
		fprintf(stderr, "nfsq: %llu bytes of output lost: after the stop signal it was not "
				"read for %d ms\n",
			(unsigned long long)r->out_lost, RT_STOP_MS);
}

int run_object(const struct ct_object *obj, const struct run_options *o)
{
	struct rt r;
	struct rt_child ch = {.pid = 0, .pidfd = -1};
	struct probe_links links = {0};
	struct ring_buffer *rb = NULL;
	struct serve *srv = NULL;
	struct bpf_map *rbmap;
	sigset_t sigs, oldsigs;
	int ret = NFSQ_EXIT_RUNTIME, nattached = 0;
	void (*old_pipe)(int) = SIG_ERR;
	bool sigs_blocked = false, need_tracefs = false;
	double t0 = rt_now_ms(), ta;
	struct timespec ts;

	memset(&r, 0, sizeof(r));
	r.obj = obj;
	r.o = o;
	r.drops_fd = -1;
	r.sigfd = -1;
	r.exit_code = -1;
	rt_verbose = o->verbose;
	libbpf_set_print(rt_libbpf_log);
	if (!rt_can_bpf()) {
		fprintf(stderr, "nfsq: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): "
				"run it with sudo\n");
		return NFSQ_EXIT_RUNTIME;
	}
	r.ncpus = libbpf_num_possible_cpus();
	if (r.ncpus <= 0) {
		fprintf(stderr, "nfsq: cannot count the CPUs: %s\n", strerror(-r.ncpus));
		return NFSQ_EXIT_RUNTIME;
	}
	for (unsigned i = 0; i < obj->nprogs; i++)
		if (obj->progs[i].kind == CT_PROG_ATTACH &&
		    (obj->progs[i].attach == ATTACH_TRACEPOINT || obj->progs[i].builtin))
			need_tracefs = true;
	if (need_tracefs) {
		char err[256];

		if (!probe_tracefs(err, sizeof(err))) {
			fprintf(stderr, "nfsq: %s\n", err);
			return NFSQ_EXIT_RUNTIME;
		}
	}
	if (o->pid > 0 && kill(o->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "nfsq: -p %d: no such process\n", (int)o->pid);
		return NFSQ_EXIT_RUNTIME;
	}
	if (o->cmd && rt_child_spawn(o->cmd, &ch))
		return NFSQ_EXIT_RUNTIME;
	if (!o->cmd && o->pid > 0) /* -p: stop when the process exits */
		ch.pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
	if (o->verbose)
		fprintf(stderr, "nfsq: %.2f ms: command forked\n", rt_now_ms() - t0);
	/* (after the fork: a command must not inherit SIGPIPE ignored) a reader that is gone
	 * is a write error of the output stream, reported, not a silent death */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	fflush(o->out);
	if (fileno(o->out) < 0) { /* a memory stream (tests): written as it is */
		r.out = o->out;
	} else if (!(r.out = rt_out_open(&r, fileno(o->out)))) {
		fprintf(stderr, "nfsq: cannot set up the output: %s\n", strerror(errno));
		goto cleanup;
	}
	if (rt_load(&r) || rt_find_maps(&r))
		goto cleanup;
	if (o->verbose)
		fprintf(stderr, "nfsq: %.2f ms: loaded\n", rt_now_ms() - t0);
	rbmap = bpf_object__find_map_by_name(r.bobj, CT_RINGBUF_NAME);
	rb = rbmap ? ring_buffer__new(bpf_map__fd(rbmap), rt_on_event, &r, NULL) : NULL;
	if (!rb) {
		fprintf(stderr, "nfsq: cannot set up the event ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	for (unsigned i = 0; i < r.obj->nprogs; i++)
		if (!r.obj->progs[i].is_start)
			nattached += r.obj->progs[i].nprobes;
	if (!o->quiet && o->format == OUT_TEXT)
		fprintf(stderr, "Attaching %d probe%s...\n", nattached, nattached == 1 ? "" : "s");
	if (rt_child_stopped(&ch))
		goto cleanup;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* elapsed counts from here */
	if (rt_set_config(&r, ch.pid, o->pid, (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec))
		goto cleanup;
	/* until now SIGINT / SIGTERM end nfsq at once (nothing is attached; the kernel frees
	 * what was loaded, and the held command dies with it); from here they are taken in
	 * turn: between attaches (a slow attach is not cut short), then by the event loop.
	 * Reset first: started in the background of a non-interactive shell, they arrive
	 * ignored (main() resets them too, for the compile phase). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &sigs, &oldsigs);
	sigs_blocked = true;
	for (unsigned i = 0; i < r.obj->nprogs && !r.exiting; i++) {
		const struct ct_prog *p = &r.obj->progs[i];
		struct bpf_program *bp;
		sigset_t pending;

		if (!sigpending(&pending) && (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)))
			r.exiting = true; /* the signalfd below still has it: stopping starts there */
		if (r.exiting || p->kind == CT_PROG_BEGIN || p->kind == CT_PROG_END ||
		    p->kind == CT_PROG_INTERVAL)
			continue;
		bp = r.bprogs[i];
		ta = rt_now_ms();
		if (!bp)
			errno = ENOENT;
		if (!bp || attach_ops(p->attach)->attach(bp, p->target, &links)) {
			rt_attach_error(p, errno);
			goto cleanup;
		}
		ta = rt_now_ms() - ta;
		if (o->verbose)
			fprintf(stderr, "nfsq: attached %s (%s:%s) in %.2f ms\n", p->name,
				attach_ops(p->attach)->name, p->target, ta);
	}
	if (o->verbose)
		fprintf(stderr, "nfsq: compiled, loaded and attached in %.2f ms\n", rt_now_ms() - t0);
	/* (its existence tells tests/lib.sh's nfsq_ready that the probes are attached) */
	r.sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r.sigfd < 0)
		goto cleanup;
	rt_take_signals(&r);
	rt_run_kind(&r, rb, CT_PROG_BEGIN);
	rt_out_flush(&r);
	if (!r.exiting && o->serve && !(srv = serve_start(&r, o->serve)))
		goto cleanup;
	if (!r.exiting) {
		rt_child_release(&ch);
		if (rt_loop(&r, rb, &ch))
			goto cleanup;
	}
	serve_stop(srv);
	srv = NULL;
	rt_stop_probes(&r, &links);
	ring_buffer__consume(rb);
	r.exiting = r.exit_called = false; /* END runs, and may print */
	rt_run_kind(&r, rb, CT_PROG_END);
	r.exiting = true;
	if (!o->serve) /* --serve: the maps were the scrapes' */
		rt_print_maps(&r);
	rt_report_drops(&r);
	rt_out_flush(&r);
	rt_report_output(&r);
	ret = r.out_errno || r.out_lost ? NFSQ_EXIT_RUNTIME : r.exit_code > 0 ? r.exit_code : 0;
	rt_child_report(&ch);
	rt_child_reap(&ch, true);
	rt_detach_in_background(&r, &links);
cleanup:
	serve_stop(srv);
	rt_child_reap(&ch, true);
	probe_links_free(&links);
	ring_buffer__free(rb);
	rt_sym_close();
	bpf_object__close(r.bobj);
	free(r.map_fds);
	free(r.zeroed);
	for (unsigned i = 0; r.base && i < r.obj->nmaps; i++)
		free(r.base[i]);
	free(r.base);
	free(r.bprogs);
	if (r.out && r.out != o->out)
		fclose(r.out);
	if (old_pipe != SIG_ERR)
		signal(SIGPIPE, old_pipe);
	if (r.sigfd >= 0)
		close(r.sigfd);
	if (sigs_blocked)
		sigprocmask(SIG_SETMASK, &oldsigs, NULL);
	return ret;
}
