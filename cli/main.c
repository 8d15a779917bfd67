/* main.c - the nfsq command line.
 *
 * Exit codes:
 *   0  success (the program ran, or --check / -d / -l succeeded)
 *   1  the script has errors (syntax, names, types)
 *   2  usage error (bad options, unreadable script)
 *   3  the program could not be loaded, attached or run on this kernel
 * With -c, nfsq exits with its own code above; the command's status is reported. */
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "cli/driver.h"
#include "cli/opts.h"
#include "cli/runfile.h"
#include "contract/file.h"
#include "lang/compile.h"
#include "probes/probe.h"
#include "runtime/run.h"

#ifndef NFSQ_VERSION
#define NFSQ_VERSION "dev"
#endif


static void usage(FILE *out)
{
	fputs("usage: nfsq [options] script.nfsq [args...]\n"
	      "       nfsq [options] -e 'program' [args...]\n"
	      "       nfsq --compile -o FILE (script.nfsq | -e 'program') [args...]\n"
	      "       nfsq [options] FILE         run a compiled FILE (as nfsq-run does)\n"
	      "       nfsq -l [pattern...] list probes (-lv: with fields, docs and kernel recipes)\n"
	      "\n"
	      "options:\n"
	      "  -e PROGRAM      run PROGRAM given on the command line\n"
	      "  -l [PATTERN...] list built-in probes matching the globs and whether they work here\n"
	      OPTS_HELP
	      "  -d ast|ir|bpf   print the typed syntax tree, the LLVM IR or the BPF code, and stop\n"
	      "  --check         parse and type-check only (exit 0 if fine, 1 if not)\n"
	      "  --compile       compile to the file -o names, run nothing: run it with nfsq-run FILE\n"
	      "                  (on this kernel build; the script's arguments are fixed in it)\n"
	      "  --no-fentry     attach kernel functions with kprobes even where fentry/fexit would do\n"
	      "  -h, --help      this help\n"
	      "  --version       print the version\n"
	      "\n"
	      "exit codes: 0 ok, 1 script errors, 2 usage errors, 3 cannot load or run on this kernel,\n"
	      "            or output lost\n"
	      "example: nfsq -e 'nfs.read /latency > 10ms/ { @slow[comm, file] = hist(latency); }'\n",
	      out);
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

/* --compile: the options that make no sense for it. */
static bool compile_opts_ok(const struct run_options *ro, const char *outpath, const char *dump, bool check)
{
	const char *bad = ro->cmd ? "-c" : ro->pid ? "-p" : ro->serve ? "--serve" : ro->ringbuf_size ? "--ringbuf"
			: ro->format != OUT_TEXT ? "-f" : ro->quiet ? "-q" : dump ? "-d" : check ? "--check" : NULL;

	if (bad) {
		fprintf(stderr, "nfsq: --compile runs nothing: %s is an option of the run; give it to nfsq-run "
				"when running the file\n", bad);
		return false;
	}
	if (!outpath) {
		fprintf(stderr, "nfsq: --compile needs -o FILE, the compiled program's file\n");
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256,
	       OPT_VERSION,
	       OPT_NO_FENTRY,
	       OPT_COMPILE };
	static const struct option longopts[] = {
		{"check", no_argument, NULL, OPT_CHECK},
		{"compile", no_argument, NULL, OPT_COMPILE},
		{"no-fentry", no_argument, NULL, OPT_NO_FENTRY},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		OPTS_LONG,
		{NULL, 0, NULL, 0},
	};
	struct run_options ro = {.out = stdout, .format = OUT_TEXT};
	const char *program = NULL, *outpath = NULL, *dump = NULL;
	bool check = false, list = false, compile = false;
	int opt, taken, rc = NFSQ_EXIT_USAGE;
	char *text = NULL;
	struct compilation c;
	bool have_c = false, c_made = false;

	/* SIGINT / SIGTERM stop nfsq in every phase, also when it was started with them
	 * ignored (in the background of a non-interactive shell): while compiling they end it
	 * at once; the runtime takes them over before attaching (runtime/run.c) */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	while ((opt = getopt_long(argc, argv, "+e:ld:h" OPTS_SHORT, longopts, NULL)) != -1) {
		if ((taken = opts_run(opt, optarg, &ro, &outpath)) < 0)
			return NFSQ_EXIT_USAGE;
		if (taken)
			continue;
		switch (opt) {
		case 'e': program = optarg; break;
		case 'l': list = true; break;
		case 'd':
			if (strcmp(optarg, "ast") != 0 && strcmp(optarg, "ir") != 0 && strcmp(optarg, "bpf") != 0) {
				fprintf(stderr, "nfsq: -d takes ast, ir or bpf, not '%s'\n", optarg);
				return NFSQ_EXIT_USAGE;
			}
			dump = optarg;
			break;
		case 'h': usage(stdout); return NFSQ_EXIT_OK;
		case OPT_CHECK: check = true; break;
		case OPT_COMPILE: compile = true; break;
		case OPT_NO_FENTRY: probe_fentry = false; break;
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
	if (compile && !compile_opts_ok(&ro, outpath, dump, check))
		return NFSQ_EXIT_USAGE;
	if (opts_check(&ro))
		return NFSQ_EXIT_USAGE;
	have_c = ro.cmd != NULL || compile; /* a compiled file that reads cpid wants -c when run */

	const char *name = "-e";
	size_t len = 0;
	if (program) {
		len = strlen(program);
		if (len > OPTS_MAX_FILE) {
			fprintf(stderr, "nfsq: the program is %zu bytes; at most %u are allowed\n", len, OPTS_MAX_FILE);
			return NFSQ_EXIT_USAGE;
		}
		text = strdup(program);
	} else {
		if (optind >= argc) {
			usage(stderr);
			return NFSQ_EXIT_USAGE;
		}
		name = argv[optind++];
		text = opts_read_file(name, &len);
	}
	if (!text)
		return NFSQ_EXIT_USAGE;
	if (!program && ct_file_is(text, len)) { /* a compiled file: no front end, no LLVM */
		if (compile || dump || check) {
			fprintf(stderr, "nfsq: %s is compiled already: %s works on scripts\n", name,
				compile ? "--compile" : dump ? "-d" : "--check");
			goto cleanup;
		}
		if (opts_open(&ro, outpath) == 0)
			rc = opts_close(&ro, outpath, runfile_run(name, text, len, argc - optind, &ro));
		goto cleanup;
	}
	if (compile_init(&c, name, text, len, argc - optind, argv + optind, stderr) != 0) {
		fprintf(stderr, "nfsq: out of memory\n");
		goto cleanup;
	}
	c_made = true;
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
	if (compile) {
		rc = driver_compile(&c, outpath, NFSQ_VERSION, &ro);
		goto cleanup;
	}
	if (opts_open(&ro, outpath)) {
		rc = NFSQ_EXIT_USAGE;
		goto cleanup;
	}
	rc = driver_run(&c, !dump ? DUMP_NONE : strcmp(dump, "ir") == 0 ? DUMP_IR
									: DUMP_BPF,
			&ro);
	rc = opts_close(&ro, outpath, rc);
cleanup:
	if (c_made)
		compile_free(&c);
	free(text);
	return rc;
}
