/* main.c - the nfsq command line.
 *
 * Exit codes:
 *   0  success (the program ran, or --check / -d / -l succeeded)
 *   1  the script has errors (syntax, names, types)
 *   2  usage error (bad options, unreadable script)
 *   3  the program could not be loaded, attached or run on this kernel
 * With -c, nfsq exits with its own code above; the command's status is reported. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "cli/driver.h"
#include "lang/compile.h"
#include "probes/probe.h"
#include "runtime/run.h"
#include "runtime/serve.h"

#ifndef NFSQ_VERSION
#define NFSQ_VERSION "dev"
#endif

#define MAX_SCRIPT (16u << 20)

static void usage(FILE *out)
{
	fputs("usage: nfsq [options] script.nfsq [args...]\n"
	      "       nfsq [options] -e 'program' [args...]\n"
	      "       nfsq -l [pattern...] list probes (-lv: with fields, docs and kernel recipes)\n"
	      "\n"
	      "options:\n"
	      "  -e PROGRAM      run PROGRAM given on the command line\n"
	      "  -l [PATTERN...] list built-in probes matching the globs and whether they work here\n"
	      "  -c CMD          run CMD, trace until it exits; 'cpid' is its pid\n"
	      "  -p PID          trace only process PID\n"
	      "  -o FILE         write output to FILE\n"
	      "  -f text|json    output format (json: one object per line)\n"
	      "  -d ast|ir|bpf   print the typed syntax tree, the LLVM IR or the BPF code, and stop\n"
	      "  --check         parse and type-check only (exit 0 if fine, 1 if not)\n"
	      "  --map-size N    entries per map (default 4096); updates to a full map are counted and reported\n"
	      "  --ringbuf SIZE  printf/print/exit event buffer, bytes (k/m suffix; a power of 2, 4k to\n"
	      "                  256m; default 256k); events it cannot hold are counted and reported\n"
	      "  --no-fentry     attach kernel functions with kprobes even where fentry/fexit would do\n"
	      "  --serve [ADDR:]PORT  serve the maps at http://ADDR:PORT/metrics for Prometheus\n"
	      "                  (ADDR 127.0.0.1 unless given; no map printout at the end)\n"
	      "  -q              quiet: no 'Attaching' line\n"
	      "  -v              verbose: libbpf's log, timings\n"
	      "  -h, --help      this help\n"
	      "  --version       print the version\n"
	      "\n"
	      "exit codes: 0 ok, 1 script errors, 2 usage errors, 3 cannot load or run on this kernel,\n"
	      "            or output lost\n"
	      "example: nfsq -e 'nfs.read /latency > 10ms/ { @slow[comm, file] = hist(latency); }'\n",
	      out);
}

/* Reads a pipe (nfsq <(...)) or a FIFO to its end into a new buffer; NULL with a message
 * on failure. *fd was opened with O_NONBLOCK, so that open() did not wait for a writer. A
 * named FIFO that nobody writes reads as empty at once: then nfsq says that it waits and
 * opens it again, blocking until a writer comes. */
static char *read_pipe(int *fd, const char *path, size_t *len)
{
	size_t got = 0, cap = 64u << 10;
	char *buf = malloc(cap + 1), *more;
	bool waited = false;
	struct statfs sfs;
	bool anonymous = fstatfs(*fd, &sfs) == 0 && sfs.f_type == PIPEFS_MAGIC;

	while (buf) {
		if (got == cap) {
			if (cap > MAX_SCRIPT) {
				fprintf(stderr, "nfsq: %s is more than %u bytes; scripts may be at most %u bytes\n",
					path, MAX_SCRIPT, MAX_SCRIPT);
				break;
			}
			cap = cap * 2 > MAX_SCRIPT ? MAX_SCRIPT + 1 : cap * 2;
			if (!(more = realloc(buf, cap + 1)))
				break;
			buf = more;
		}
		ssize_t n = read(*fd, buf + got, cap - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && fcntl(*fd, F_SETFL, 0) == 0)
			continue; /* a writer, no data yet: wait for it */
		if (n < 0) {
			fprintf(stderr, "nfsq: cannot read %s: %s\n", path, strerror(errno));
			break;
		}
		if (got == 0 && !anonymous && !waited) { /* no writer on the FIFO */
			fprintf(stderr, "nfsq: waiting for a writer on FIFO %s\n", path);
			close(*fd);
			*fd = open(path, O_RDONLY | O_CLOEXEC);
			if (*fd < 0) {
				fprintf(stderr, "nfsq: cannot open script %s: %s\n", path, strerror(errno));
				break;
			}
			waited = true;
			continue;
		}
		buf[got] = '\0';
		*len = got;
		return buf;
	}
	free(buf);
	return NULL;
}

/* Reads a whole script file, pipe or FIFO; NULL with a message on failure. */
static char *read_script(const char *path, size_t *len)
{
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "nfsq: cannot open script %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		buf = read_pipe(&fd, path, len);
		goto cleanup;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "nfsq: %s is not a regular file or a pipe\n", path);
		goto cleanup;
	}
	if ((size_t)st.st_size > MAX_SCRIPT) {
		fprintf(stderr, "nfsq: %s is %lld bytes; scripts may be at most %u bytes\n", path,
			(long long)st.st_size, MAX_SCRIPT);
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto cleanup;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "nfsq: cannot read %s: %s\n", path, n ? strerror(errno) : "short read");
			free(buf);
			buf = NULL;
			goto cleanup;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
cleanup:
	if (fd >= 0)
		close(fd);
	return buf;
}

static const char *layer_name(enum probe_layer l)
{
	switch (l) {
	case LAYER_NFS: return "NFS client (VFS entry points)";
	case LAYER_NFS_IO: return "NFS client page-cache I/O";
	case LAYER_RPC: return "RPC client and transport";
	case LAYER_NFSD: return "NFS server";
	case LAYER_NONE: return "other";
	}
	return "other";
}

/* Whether probe name is selected by the -l patterns (none: every visible probe). */
static bool list_match(const struct probe_def *p, char **pats, int npats)
{
	if (npats == 0)
		return !p->hidden;
	for (int i = 0; i < npats; i++)
		if (p->hidden ? strcmp(pats[i], p->name) == 0 : fnmatch(pats[i], p->name, 0) == 0)
			return true;
	return false;
}

/* -lvv: a resolved read (offsets on this kernel). */
static void list_read_one(const struct field_read *r)
{
	static const char *const bases[] = {"arg", "ret", "record", "saved", "entry"};
	static const char *const finals[] = {"value", "int", "char[]", "char *", "string at", "", "", "address"};

	if (r->final == READ_CONST) {
		if (r->text)
			printf("\"%s\"", r->text);
		else
			printf("%lld", (long long)r->value);
		return;
	}
	if (r->final == READ_SPAN) {
		printf("(bytes from ");
		list_read_one(r->sel);
		printf(" to ");
		list_read_one(r->then);
		printf(", 0 to the end of the file)");
		return;
	}
	if (r->final == READ_SELECT) {
		printf("(");
		list_read_one(r->sel);
		printf(" %s %lld ? ", r->negate ? "!=" : "==", (long long)r->value);
		list_read_one(r->then);
		printf(" : ");
		list_read_one(r->els);
		printf(")");
		return;
	}
	if (r->final == READ_PATH || r->final == READ_RPCMOUNT) {
		bool path = r->final == READ_PATH;

		printf(path ? "path(" : "(of the NFS super_block whose RPC client is ");
		list_read_one(r->sel);
		printf(path ? " in mount " : ": ");
		list_read_one(r->then);
		printf(")");
		return;
	}
	if (r->final == READ_STAMP) {
		printf("(ns since the stamp program stamped ");
		list_read_one(r->sel);
		printf(")");
		return;
	}
	printf("%s%u", bases[r->base], r->base == READ_BASE_ARG ? r->index : 0);
	for (unsigned i = 0; i < r->nderef; i++)
		printf(" ->[%+d]", r->deref[i]);
	printf(" %s", finals[r->final]);
	if (r->final != READ_VALUE && r->final != READ_STR_AT)
		printf(" at %+d", r->off);
	if (r->final == READ_INT || r->final == READ_STR)
		printf(" (%u bytes)", r->size);
	if (r->strip[0])
		printf(" without a leading \"%s\"", r->strip);
}

static void list_read(const struct probe_field *f)
{
	if (f->src == FIELD_TP) {
		printf("      %-10s %-12s   = record+%u (%u bytes%s)\n", "", "", f->offset, f->size,
		       f->data_loc ? ", __data_loc" : "");
		return;
	}
	if (f->src != FIELD_READ)
		return;
	printf("      %-10s %-12s   = ", "", "");
	list_read_one(&f->read);
	printf("\n");
}

/* -l [pattern...]: the catalogue, and whether each probe works on this kernel: a probe
 * is available when one of its attach points exists; each field is resolved as a script
 * reading only it would have it (the alternative and recipe used, or why not). */
static int list_probes(char **pats, int npats, int verbose)
{
	unsigned shown = 0;

	for (unsigned i = 0; i < probe_count(); i++) {
		const struct probe_def *p = probe_at(i);
		const struct probe_def *one[64] = {0}, *r;
		char why[512], fwhy[64][512], missing[512] = "";
		struct arena ar;
		int bad;

		if (!list_match(p, pats, npats))
			continue;
		arena_init(&ar);
		r = probe_resolve(&ar, p, NULL, 0, &bad, why, sizeof(why));
		for (unsigned f = 0; r && f < p->nfields && f < 64; f++) {
			one[f] = probe_resolve(&ar, p, &p->fields[f].name, 1, &bad, fwhy[f], sizeof(fwhy[f]));
			if (!one[f])
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
					 missing[0] ? ", " : "", p->fields[f].name);
		}
		printf("%-15s %-62s %s%s%s\n", p->name, p->summary, r ? "available" : "unavailable: ",
		       r ? (missing[0] ? ", except fields: " : "") : why, r ? missing : "");
		shown++;
		if (!verbose) {
			arena_free(&ar);
			continue;
		}
		printf("    layer: %s\n    %s\n    attach (in order of preference):\n", layer_name(p->layer),
		       p->doc);
		for (unsigned k = 0; k < p->nattach; k++) {
			const struct probe_attach *a = &p->attach[k];
			bool in_use = false;

			printf("      %s:%s", attach_kind_name(a->kind), a->target);
			if (a->end_target)
				printf(" .. %s:%s", attach_kind_name(a->end_kind), a->end_target);
			for (const struct probe_def *d = r; d; d = d->also) /* attach_all: several */
				in_use |= d->attach == a;
			printf("%s\n", in_use ? "   <- used here" : "");
			if (a->proto)
				printf("        only before 5.11, without module BTF: typed as Linux 5.10 declares it: %s%s%s\n",
				       a->proto, a->end_proto ? " .. " : "", a->end_proto ? a->end_proto : "");
			if (a->saved)
				printf("        saved at the start: %s\n", a->saved);
			if (a->guard)
				printf("        only events where: %s\n", a->guard);
			if (a->stamp)
				printf("        and a stamp program at %s:%s: the time of its events under %s%s%s\n",
				       attach_kind_name(a->stamp->kind), a->stamp->target, a->stamp->key,
				       a->stamp->guard ? ", where " : "", a->stamp->guard ? a->stamp->guard : "");
		}
		printf("    fields (and the builtins pid tid uid comm cpu nsecs elapsed probe):\n");
		for (unsigned f = 0; f < p->nfields; f++) {
			const struct probe_field *rf = one[f] ? &one[f]->fields[f] : NULL;

			printf("      %-10s %-12s %s\n", p->fields[f].name, type_name(p->fields[f].type),
			       p->fields[f].doc);
			if (r && !one[f])
				printf("      %-10s %-12s   unavailable here: %s\n", "", "", fwhy[f]);
			for (const struct probe_def *d = one[f]; rf && d; d = d->also) {
				const struct probe_field *df = &d->fields[f];

				bool end = d->attach->end_target && df->recipe && !probe_recipe_at_start(df->recipe, d->attach);

				if (df->recipe)
					printf("      %-10s %-12s   read at %s:%s%s: %s\n", "", "",
					       attach_kind_name(end ? d->attach->end_kind : d->attach->kind),
					       end ? d->attach->end_target : d->attach->target,
					       d->attach->proto ? " (5.10's prototype)" : "", df->recipe->how);
				else if (df->src == FIELD_LATENCY && d->attach->end_target)
					printf("      %-10s %-12s   read at %s:%s: the time since %s:%s\n", "", "",
					       attach_kind_name(d->attach->end_kind), d->attach->end_target, attach_kind_name(d->attach->kind),
					       d->attach->target);
				if (verbose > 1)
					list_read(df);
			}
		}
		printf("\n");
		arena_free(&ar);
	}
	if (npats && !shown) {
		fprintf(stderr, "nfsq: no probe matches '%s'%s\n", pats[0], npats > 1 ? " or the other patterns" : "");
		return NFSQ_EXIT_USAGE;
	}
	return NFSQ_EXIT_OK;
}

/* --ringbuf SIZE: bytes with an optional k or m suffix, a power of 2 from 4 KiB (the
 * page) to 256 MiB, as the kernel's ring buffer wants; 0 with a message if not. */
static uint32_t parse_ringbuf(const char *arg)
{
	char *end;
	unsigned long long n = strtoull(arg, &end, 10);

	if (end != arg && (*end == 'k' || *end == 'K'))
		n <<= 10, end++;
	else if (end != arg && (*end == 'm' || *end == 'M'))
		n <<= 20, end++;
	if (end == arg || *end || *arg == '-' || n < 4096 || n > (256ull << 20) || (n & (n - 1))) {
		fprintf(stderr, "nfsq: --ringbuf takes a power of 2 from 4k to 256m (e.g. 1m), not '%s'\n",
			arg);
		return 0;
	}
	return (uint32_t)n;
}

/* -o FILE, opened for a root that may be writing into /tmp: no symbolic link is
 * followed, and a file that another user owns (planted there to catch the output) is
 * left alone, not truncated. Devices such as /dev/null are fine. */
static FILE *open_output(const char *path)
{
	struct stat st;
	FILE *f = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "nfsq: cannot write %s: %s%s\n", path, strerror(errno),
			errno == ELOOP ? " (it is a symbolic link; nfsq does not follow them)" : "");
		return NULL;
	}
	if (fstat(fd, &st))
		fprintf(stderr, "nfsq: cannot write %s: %s\n", path, strerror(errno));
	else if (st.st_uid != geteuid())
		fprintf(stderr, "nfsq: will not write %s: it belongs to user %u, not to you "
				"(remove it, or choose another path)\n",
			path, (unsigned)st.st_uid);
	else if ((S_ISREG(st.st_mode) && ftruncate(fd, 0)) || fcntl(fd, F_SETFL, 0) ||
		 !(f = fdopen(fd, "w")))
		fprintf(stderr, "nfsq: cannot write %s: %s\n", path, strerror(errno));
	if (!f)
		close(fd);
	return f;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256,
	       OPT_VERSION,
	       OPT_MAP_SIZE,
	       OPT_RINGBUF,
	       OPT_NO_FENTRY,
	       OPT_SERVE };
	static const struct option longopts[] = {
		{"check", no_argument, NULL, OPT_CHECK},
		{"map-size", required_argument, NULL, OPT_MAP_SIZE},
		{"ringbuf", required_argument, NULL, OPT_RINGBUF},
		{"no-fentry", no_argument, NULL, OPT_NO_FENTRY},
		{"serve", required_argument, NULL, OPT_SERVE},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run_options ro = {.out = stdout, .format = OUT_TEXT};
	const char *program = NULL, *outpath = NULL, *dump = NULL;
	bool check = false, list = false;
	int opt, rc = NFSQ_EXIT_USAGE;
	char *text = NULL;
	struct compilation c;
	bool have_c = false;

	/* SIGINT / SIGTERM stop nfsq in every phase, also when it was started with them
	 * ignored (in the background of a non-interactive shell): while compiling they end it
	 * at once; the runtime takes them over before attaching (runtime/run.c) */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "+e:lc:p:o:f:d:qvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': program = optarg; break;
		case 'l': list = true; break;
		case 'c': ro.cmd = optarg; break;
		case 'p': {
			char *end;
			long pid = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || pid <= 0 || pid > 4194304) {
				fprintf(stderr, "nfsq: -p needs a process id, not '%s'\n", optarg);
				return NFSQ_EXIT_USAGE;
			}
			if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
				fprintf(stderr, "nfsq: -p %ld: no such process\n", pid);
				return NFSQ_EXIT_USAGE;
			}
			ro.pid = (pid_t)pid;
			break;
		}
		case 'o': outpath = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				ro.format = OUT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				ro.format = OUT_JSON;
			else {
				fprintf(stderr, "nfsq: -f takes text or json, not '%s'\n", optarg);
				return NFSQ_EXIT_USAGE;
			}
			break;
		case 'd':
			if (strcmp(optarg, "ast") != 0 && strcmp(optarg, "ir") != 0 && strcmp(optarg, "bpf") != 0) {
				fprintf(stderr, "nfsq: -d takes ast, ir or bpf, not '%s'\n", optarg);
				return NFSQ_EXIT_USAGE;
			}
			dump = optarg;
			break;
		case 'q': ro.quiet = true; break;
		case 'v': ro.verbose++; break;
		case 'h': usage(stdout); return NFSQ_EXIT_OK;
		case OPT_CHECK: check = true; break;
		case OPT_NO_FENTRY: probe_fentry = false; break;
		case OPT_SERVE:
			if (!serve_addr_ok(optarg))
				return NFSQ_EXIT_USAGE;
			ro.serve = optarg;
			break;
		case OPT_MAP_SIZE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || n < 1 || n > (1L << 24)) {
				fprintf(stderr, "nfsq: --map-size takes a number of entries from 1 to 16777216, not '%s'\n", optarg);
				return NFSQ_EXIT_USAGE;
			}
			ro.map_size = (uint32_t)n;
			break;
		}
		case OPT_RINGBUF:
			if (!(ro.ringbuf_size = parse_ringbuf(optarg)))
				return NFSQ_EXIT_USAGE;
			break;
		case OPT_VERSION: printf("nfsq %s\n", NFSQ_VERSION); return NFSQ_EXIT_OK;
		default: usage(stderr); return NFSQ_EXIT_USAGE;
		}
	}
	if (list) {
		if (program) {
			fprintf(stderr, "nfsq: -l lists probes and takes no program\n");
			return NFSQ_EXIT_USAGE;
		}
		return list_probes(argv + optind, argc - optind, ro.verbose);
	}
	if (ro.cmd && ro.pid) {
		fprintf(stderr, "nfsq: -c and -p cannot be used together (-c traces everything; filter with /pid == cpid/)\n");
		return NFSQ_EXIT_USAGE;
	}
	have_c = ro.cmd != NULL;

	const char *name = "-e";
	size_t len = 0;
	if (program) {
		len = strlen(program);
		if (len > MAX_SCRIPT) {
			fprintf(stderr, "nfsq: the program is %zu bytes; at most %u are allowed\n", len, MAX_SCRIPT);
			return NFSQ_EXIT_USAGE;
		}
		text = strdup(program);
	} else {
		if (optind >= argc) {
			usage(stderr);
			return NFSQ_EXIT_USAGE;
		}
		name = argv[optind++];
		text = read_script(name, &len);
	}
	if (!text)
		return NFSQ_EXIT_USAGE;
	if (compile_init(&c, name, text, len, argc - optind, argv + optind, stderr) != 0) {
		fprintf(stderr, "nfsq: out of memory\n");
		free(text);
		return NFSQ_EXIT_USAGE;
	}
	c.have_cpid = have_c;
	if (compile_parse(&c) != 0 || compile_check(&c) != 0) {
		diag_finish(&c.diag);
		rc = NFSQ_EXIT_SCRIPT;
		goto cleanup;
	}
	if (check) {
		rc = NFSQ_EXIT_OK;
		goto cleanup;
	}
	if (dump && strcmp(dump, "ast") == 0) {
		ast_dump(c.prog, stdout);
		rc = NFSQ_EXIT_OK;
		goto cleanup;
	}
	if (outpath && !(ro.out = open_output(outpath))) {
		rc = NFSQ_EXIT_USAGE;
		goto cleanup;
	}
	rc = driver_run(&c, !dump ? DUMP_NONE : strcmp(dump, "ir") == 0 ? DUMP_IR
									: DUMP_BPF,
			&ro);
	if (outpath && fclose(ro.out) != 0 && !rc) { /* else driver_run said why */
		fprintf(stderr, "nfsq: writing %s failed: %s\n", outpath, strerror(errno));
		rc = rc ? rc : NFSQ_EXIT_RUNTIME;
	}
cleanup:
	compile_free(&c);
	free(text);
	return rc;
}
