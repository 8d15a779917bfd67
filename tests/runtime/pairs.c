/* pairs.c - the start/end pairing building block, beyond test.getppid: a script on
 * test.getppid is checked by the front end, then its probe definition is swapped for
 * one pairing sys_enter_read -> sys_exit_read with fields read at the start (saved in
 * the start map and carried to the end), a resolved kernel read, an errno transform,
 * and a pair key made of tracepoint fields instead of the thread.
 *
 *   pairs NFSQ_CALLS   (needs root; exit 77 when not root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang/compile.h"
#include "probes/probe.h"
#include "cli/driver.h"

/* sys_enter_read: __syscall_nr@8 fd@16 buf@24 count@32; sys_exit_read: ret@16 */
static const struct probe_field fields[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* "ret" here is the read's count argument, saved at the start */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_TP, .offset = 32, .size = 8,
	 .at_start = true},
};
static const struct probe_field fields_read[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* a resolved read from the start record: fd (an int at 16) */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_READ,
	 .read = {.base = READ_BASE_TP, .final = READ_INT, .off = 16, .size = 4, .is_signed = true,
		  .at_start = true}},
};
static const struct probe_field fields_errno[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* the return value at the end, -EBADF, as a positive errno */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_TP, .offset = 16, .size = 8,
	 .is_signed = true, .read = {.xform = XFORM_ERRNO}},
};
static const struct probe_field fields_be32[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* count (at 32) read as a big-endian u32: bswap32 */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_READ,
	 .read = {.base = READ_BASE_TP, .final = READ_INT, .off = 32, .size = 8, .xform = XFORM_BE32,
		  .at_start = true}},
};
static const struct probe_field fields_deref[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* buf (at 24, NULL here) followed as a pointer: the faulting read gives 0; scaled */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_READ,
	 .read = {.base = READ_BASE_TP, .nderef = 1, .deref = {24}, .final = READ_INT, .off = 8,
		  .size = 4, .scale = 1000, .at_start = true}},
};
static const struct probe_field fields_positive[] = {
	{.name = "latency", .type = {TYPE_INT, 8, 0}, .src = FIELD_LATENCY},
	/* ret at the end (-EBADF): :positive gives 0; count at the start * 3 */
	{.name = "ret", .type = {TYPE_INT, 8, 0}, .src = FIELD_READ,
	 .read = {.base = READ_BASE_TP, .final = READ_INT, .off = 16, .size = 8, .is_signed = true,
		  .xform = XFORM_POSITIVE}},
};
static const struct probe_attach by_thread[] = {
	{.kind = ATTACH_TRACEPOINT, .target = "syscalls:sys_enter_read",
	 .end_kind = ATTACH_TRACEPOINT, .end_target = "syscalls:sys_exit_read"},
};

#define DEF(f, at) {.name = "test.read_pair", .fields = f, .nfields = 2, .attach = at, .nattach = 1}
static const struct {
	const char *what;
	struct probe_def def;
	const char *want;
} cases[] = {
	{"at-start field, by thread", DEF(fields, by_thread), "@c: 4\n@lat: 4\n@s: 1010\n"},
	/* (pairing by pair_key fields is tested in the NFS lab: nfs.rpc_read/write/commit
	 * pair by fileid and offset; on syscalls the only shared field, __syscall_nr, lets
	 * any other process's read take the entry, which made a flaky test) */
	{"resolved read at start", DEF(fields_read, by_thread), "@c: 4\n@lat: 4\n@s: -4\n"},
	{"errno transform at end", DEF(fields_errno, by_thread), "@c: 4\n@lat: 4\n@s: 36\n"},
	/* bswap32(1) + bswap32(2) + bswap32(7) + bswap32(1000) */
	{"be32 transform", DEF(fields_be32, by_thread), "@c: 4\n@lat: 4\n@s: 4060282880\n"},
	{"pointer chain (faulting)", DEF(fields_deref, by_thread), "@c: 4\n@lat: 4\n@s: 0\n"},
	{"positive transform", DEF(fields_positive, by_thread), "@c: 4\n@lat: 4\n@s: 0\n"},
};

static const char *const scripts[] = {
	"test.getppid /pid == cpid/ { @c = count(); @s = sum(ret); @lat = sum(latency > 0 ? 1 : 0); }",
	/* three clauses sharing one start record: the saved field read by two, latency by
	 * one (the output has @s2, equal to @s, after @s) */
	"test.getppid /pid == cpid/ { @c = count(); @s = sum(ret); }\n"
	"test.getppid /pid == cpid/ { @lat = sum(latency > 0 ? 1 : 0); }\n"
	"test.getppid /pid == cpid/ { @s2 = sum(ret); }",
};

/* The output wanted from script k: a case's, with @s2 (k = 1). */
static void want_for(const char *want, unsigned k, char *buf, size_t len)
{
	const char *s = strstr(want, "@s: ");

	if (k == 0 || !s)
		snprintf(buf, len, "%s", want);
	else
		snprintf(buf, len, "%s@s2: %s", want, s + 4);
}

int main(int argc, char **argv)
{
	char cmd[4096];
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: pairs CALLS\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: pairs loads BPF programs and needs root\n");
		return 77;
	}
	/* the probes' definitions are put into the checked scripts, past the cache's key (the
	 * script's text): no cache, or one case would run another's object */
	setenv("NFSQ_NO_CACHE", "1", 1);
	snprintf(cmd, sizeof(cmd), "%s read-sizes 1 2 7 1000", argv[1]);
	for (unsigned n = 0; n < 2 * sizeof(cases) / sizeof(cases[0]); n++) {
		unsigned i = n / 2, k = n % 2;
		const char *script = scripts[k];
		char want[256];
		struct compilation c;
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);
		struct run_options o = {.out = f, .cmd = cmd, .quiet = true};
		int rc = -1;

		if (compile_init(&c, "pairs", script, strlen(script), 0, NULL, stderr))
			return 1;
		c.have_cpid = true;
		if (compile_parse(&c) || compile_check(&c)) {
			fprintf(stderr, "pairs: the front end rejected the script\n");
			return 1;
		}
		for (struct clause *cl = c.prog->clauses; cl; cl = cl->next)
			for (struct probe_ref *pr = cl->probes; pr; pr = pr->next)
				pr->def = &cases[i].def;
		rc = driver_run(&c, DUMP_NONE, &o);
		fclose(f);
		want_for(cases[i].want, k, want, sizeof(want));
		if (rc != 0 || strcmp(out, want)) {
			fprintf(stderr, "FAIL: %s (%s): exit %d, output:\n%s--- expected:\n%s",
				cases[i].what, k ? "three clauses" : "one clause", rc, out, want);
			failed = 1;
		} else {
			printf("ok: %s (%s)\n", cases[i].what, k ? "three clauses" : "one clause");
		}
		free(out);
		compile_free(&c);
	}
	return failed;
}
