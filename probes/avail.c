/* avail.c - which attach points exist on the running kernel (the checks of the kinds
 * of attach point, attach.c, and the probes made of them). */
#define _GNU_SOURCE /* memrchr */
#include "probe.h"
#include "../base/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tracefs list (available_filter_functions: "fn [module]"; available_events:
 * "category:event"), read once per run and kept sorted: the files have tens of thousands
 * of lines, and scanning them once per attach point cost seconds in a slow VM. */
struct avail_set {
	bool loaded, ok;
	char *buf;
	char **names;
	size_t n;
};

static int avail_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads all of f into a NUL-terminated malloc'd buffer (*len bytes before the NUL). */
static char *avail_slurp(FILE *f, size_t *len)
{
	size_t cap = 0;
	char chunk[65536], *buf = NULL;

	*len = 0;
	for (size_t got; (got = fread(chunk, 1, sizeof(chunk), f)) > 0;) {
		if (*len + got + 1 > cap) {
			cap = (*len + got + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		memcpy(buf + *len, chunk, got);
		*len += got;
	}
	if (buf)
		buf[*len] = '\0';
	return buf;
}

/* ---- the lists, kept across runs ----
 * Reading them is costly: for available_filter_functions the kernel looks up the symbol
 * of each of its ~43 000 traceable functions (0.4 s of a 1 s start in a TCG VM), and
 * they change only when the kernel boots or a module comes or goes. So with a cache
 * directory (the object cache's, checked by codegen) the sorted names are kept in a file
 * per list, named by a hash of the boot id and of /proc/modules (each module's name,
 * size, state and address: not its use count, which mounts change). The file ends with
 * a line "#nfsq-avail COUNT HASH" of its names: a cut or damaged file is read from the
 * kernel again and rewritten. Files of other boots are left for the cache's owner to
 * clean (a few hundred KB each). */
static const char *avail_cache_dir;

void probe_avail_cache(const char *dir)
{
	avail_cache_dir = dir;
}

uint64_t probe_boot_hash(void)
{
	static uint64_t h;
	static bool done;
	char line[512], *w[6];
	FILE *f;

	if (done)
		return h;
	done = true;
	if (!(f = fopen("/proc/sys/kernel/random/boot_id", "r")))
		return h = 0;
	h = HASH_INIT;
	if (fgets(line, sizeof(line), f))
		h = hash_bytes(h, line, strlen(line));
	fclose(f);
	if (!(f = fopen("/proc/modules", "r"))) /* none: a kernel without modules, or unknown */
		return h = errno == ENOENT ? hash_bytes(h, "no modules", 10) : 0;
	while (fgets(line, sizeof(line), f)) { /* name size uses deps state address */
		char *save = NULL;
		unsigned n = 0;

		for (char *t = strtok_r(line, " \n", &save); t && n < 6; t = strtok_r(NULL, " \n", &save))
			w[n++] = t;
		for (unsigned i = 0; i < n; i++)
			if (i != 2 && i != 3)
				h = hash_bytes(hash_bytes(h, w[i], strlen(w[i])), " ", 1);
		h = hash_bytes(h, "\n", 1);
	}
	fclose(f);
	return h;
}

/* The cache file of list `name` for this boot and set of modules, or false. */
static bool avail_cache_path(const char *name, char *path, size_t len)
{
	uint64_t h = avail_cache_dir ? probe_boot_hash() : 0;

	if (!h)
		return false;
	snprintf(path, len, "%s/avail-%s-%016llx", avail_cache_dir, name, (unsigned long long)h);
	return true;
}

/* s from the cache file: only a whole file, of this user, writable by nobody else. */
static bool avail_cache_load(struct avail_set *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	struct stat st;
	size_t len, n = 0, count = 0;
	unsigned long long hash = 0;
	char *tail;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022) || !(s->buf = avail_slurp(f, &len)))
		goto bad;
	tail = len ? memrchr(s->buf, '#', len) : NULL;
	if (!tail || (tail != s->buf && tail[-1] != '\n') ||
	    sscanf(tail, "#nfsq-avail %zu %llx", &count, &hash) != 2 ||
	    hash_bytes(HASH_INIT, s->buf, (size_t)(tail - s->buf)) != hash)
		goto bad;
	*tail = '\0';
	if (!(s->names = calloc(count + 1, sizeof(char *))))
		goto bad;
	for (char *line = s->buf, *end; *line; line = end + 1) {
		if (!(end = strchr(line, '\n')) || n == count)
			goto bad;
		*end = '\0';
		s->names[n++] = line;
	}
	if (n != count)
		goto bad;
	s->n = n;
	s->ok = true;
	fclose(f);
	return true;
bad:
	free(s->names);
	free(s->buf);
	s->names = NULL, s->buf = NULL, s->n = 0;
	fclose(f);
	return false;
}

static void avail_cache_store(const struct avail_set *s, const char *path)
{
	char tmp[4200];
	uint64_t h = HASH_INIT;
	FILE *f;
	int fd;
	bool ok = true;

	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return;
	}
	for (size_t i = 0; i < s->n && ok; i++) {
		size_t l = strlen(s->names[i]);

		ok = fwrite(s->names[i], 1, l, f) == l && putc('\n', f) != EOF;
		h = hash_bytes(hash_bytes(h, s->names[i], l), "\n", 1);
	}
	ok = ok && fprintf(f, "#nfsq-avail %zu %llx\n", s->n, (unsigned long long)h) > 0;
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path))
		unlink(tmp);
}

/* Loads the tracefs list `name` into s: the first word of each line, or with after_colon
 * the part after the first ':'. s->ok is false when the file cannot be read. */
static void avail_load(struct avail_set *s, const char *tracefs, const char *name, bool after_colon)
{
	char path[512], cpath[4096];
	bool cache = avail_cache_path(name, cpath, sizeof(cpath));
	FILE *f;
	size_t len, n = 0;

	s->loaded = true;
	if (cache && avail_cache_load(s, cpath))
		return;
	snprintf(path, sizeof(path), "%s/%s", tracefs, name);
	if (!(f = fopen(path, "r")))
		return;
	if (!(s->buf = avail_slurp(f, &len)))
		goto cleanup;
	for (size_t i = 0; i < len; i++)
		n += s->buf[i] == '\n';
	s->names = calloc(n + 1, sizeof(char *));
	if (!s->names)
		goto cleanup;
	for (char *line = s->buf, *next; line < s->buf + len; line = next) {
		char *end = strchr(line, '\n'), *w = line;
		next = end ? end + 1 : s->buf + len;
		if (end)
			*end = '\0';
		if (after_colon && !(w = strchr(line, ':')))
			continue;
		w += after_colon;
		w[strcspn(w, " \t")] = '\0';
		if (*w && s->n < n + 1)
			s->names[s->n++] = w;
	}
	qsort(s->names, s->n, sizeof(char *), avail_cmp);
	s->ok = true;
	if (cache)
		avail_cache_store(s, cpath);
cleanup:
	fclose(f);
}

static bool avail_has(struct avail_set *s, const char *name)
{
	return bsearch(&name, s->names, s->n, sizeof(char *), avail_cmp) != NULL;
}

static bool avail_path(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool avail_tracepoint_dir(const char *tracefs, const char *target)
{
	char path[512];
	const char *colon = strchr(target, ':');
	if (!colon)
		return false;
	snprintf(path, sizeof(path), "%s/events/%.*s/%s", tracefs, (int)(colon - target), target,
		 colon + 1);
	return avail_path(path);
}

static struct avail_set avail_functions; /* available_filter_functions: "fn" (kprobes) */

/* A kernel function can be kprobed when kprobes exist and it is traceable. */
bool avail_function(const char *tracefs, const char *fn, char *why, size_t whylen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	if (!avail_path(path)) {
		snprintf(why, whylen, "this kernel has no kprobes (no %s)", path);
		return false;
	}
	if (!avail_functions.loaded)
		avail_load(&avail_functions, tracefs, "available_filter_functions", false);
	if (!avail_functions.ok)
		return true; /* cannot tell; the attach will say */
	bool found = avail_has(&avail_functions, fn);
	if (!found)
		snprintf(why, whylen, "kernel function %s is not traceable here", fn);
	return found;
}

bool avail_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen)
{
	if (avail_tracepoint_dir(tracefs, target))
		return true;
	snprintf(why, whylen, "tracepoint %s does not exist", target);
	return false;
}

bool avail_raw_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen)
{
	static struct avail_set events;
	if (!events.loaded)
		avail_load(&events, tracefs, "available_events", true);
	bool found = events.ok && avail_has(&events, target);
	if (!found)
		snprintf(why, whylen, "tracepoint %s does not exist", target);
	return found;
}

/* profile: perf events exist where BPF does; whether this one opens is the attach's to say */
bool avail_profile(const char *tracefs, const char *target, char *why, size_t whylen)
{
	(void)tracefs, (void)target, (void)why, (void)whylen;
	return true;
}

bool avail_btf_function(const char *tracefs, const char *target, char *why, size_t whylen)
{
	unsigned nargs;
	if (!probe_fentry) {
		snprintf(why, whylen, "fentry/fexit not used (--no-fentry)");
		return false;
	}
	if (!avail_function(tracefs, target, why, whylen))
		return false;
	if (!probe_btf_func(target, &nargs) || nargs > 6) { /* the x86 trampoline's limit before 6.6 */
		snprintf(why, whylen, "kernel function %s has no BTF prototype of at most 6 arguments", target);
		return false;
	}
	return true;
}

int probe_available(const struct probe_def *p, char *why, size_t whylen)
{
	char err[256];
	const char *tracefs = probe_tracefs(err, sizeof(err));
	if (!tracefs) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	if (p->module) {
		char path[128];
		snprintf(path, sizeof(path), "/sys/module/%s", p->module); /* loaded or built in */
		if (!avail_path(path)) {
			snprintf(why, whylen, "kernel module '%s' is not loaded (modprobe %s)", p->module,
				 p->module);
			return -1;
		}
	}
	why[0] = '\0';
	for (unsigned i = 0; i < p->nattach; i++) {
		const struct probe_attach *a = &p->attach[i];
		if (!attach_ops(a->kind)->available(tracefs, a->target, why, whylen))
			continue;
		if (a->end_target && !attach_ops(a->end_kind)->available(tracefs, a->end_target, why, whylen))
			continue;
		if (a->stamp && !attach_ops(a->stamp->kind)->available(tracefs, a->stamp->target, why, whylen))
			continue;
		return (int)i;
	}
	return -1;
}

/* ---- globs (kprobe:nfs_*, tracepoint:sched:sched_*) ---- */

static void avail_glob_add(struct arena *a, const char *name, const char **out, size_t max, size_t *n)
{
	if (*n > 0 && *n <= max && strcmp(out[*n - 1], name) == 0)
		return; /* (a function listed twice: a static one in two modules) */
	if (*n < max)
		out[*n] = arena_strdup(a, name);
	++*n;
}

size_t probe_glob(struct arena *a, bool functions, const char *glob, const char **out, size_t max)
{
	char err[256], path[512];
	const char *tracefs = probe_tracefs(err, sizeof(err)), *colon = strchr(glob, ':');
	size_t n = 0;

	if (!tracefs)
		return SIZE_MAX;
	if (functions) {
		if (!avail_functions.loaded)
			avail_load(&avail_functions, tracefs, "available_filter_functions", false);
		if (!avail_functions.ok)
			return SIZE_MAX;
		for (size_t i = 0; i < avail_functions.n; i++)
			if (fnmatch(glob, avail_functions.names[i], 0) == 0)
				avail_glob_add(a, avail_functions.names[i], out, max, &n);
		return n;
	}
	if (!colon)
		return 0;
	/* tracefs/events/CATEGORY/EVENT, both sorted (scandir) */
	char cat[256];
	struct dirent **cats = NULL, **evs;
	int ncats;

	snprintf(cat, sizeof(cat), "%.*s", (int)(colon - glob), glob);
	snprintf(path, sizeof(path), "%s/events", tracefs);
	ncats = scandir(path, &cats, NULL, alphasort);
	for (int i = 0; i < ncats; i++) {
		int nevs;

		if (cats[i]->d_name[0] != '.' && fnmatch(cat, cats[i]->d_name, 0) == 0) {
			snprintf(path, sizeof(path), "%s/events/%s", tracefs, cats[i]->d_name);
			nevs = scandir(path, &evs, NULL, alphasort);
			for (int k = 0; k < nevs; k++) {
				char full[1200];

				snprintf(full, sizeof(full), "%s/%s/format", path, evs[k]->d_name);
				if (evs[k]->d_name[0] != '.' && fnmatch(colon + 1, evs[k]->d_name, 0) == 0 && avail_path(full)) {
					snprintf(full, sizeof(full), "%s:%s", cats[i]->d_name, evs[k]->d_name);
					avail_glob_add(a, full, out, max, &n);
				}
				free(evs[k]);
			}
			free(nevs >= 0 ? evs : NULL);
		}
		free(cats[i]);
	}
	free(ncats >= 0 ? cats : NULL);
	return n;
}
