/* ksyms.c - the kernel's symbols (/proc/kallsyms), read once per run when a script asks
 * for them: kaddr("name") at compile time, kstack and ksym() when the runtime prints. */
#include "ksyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksym {
	uint64_t addr;
	const char *name; /* in ksyms.names */
};

static struct {
	bool loaded, ok;
	struct ksym *v;
	size_t n;
	char *names; /* every name, NUL-separated */
} ksyms;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Reads the text symbols (t, T, w, W) with a nonzero address: kallsyms shows zeros to a
 * reader without CAP_SYSLOG (kptr_restrict), and zeros name nothing. */
static bool ksyms_load(void)
{
	FILE *f;
	char line[512], type;
	unsigned long long addr;
	size_t cap = 0, ncap = 0, nlen = 0;
	char name[256];
	int ok = 0;

	if (ksyms.loaded)
		return ksyms.ok;
	ksyms.loaded = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr ||
		    !strchr("tTwW", type))
			continue;
		size_t len = strlen(name) + 1;
		if (ksyms.n == cap) {
			struct ksym *nv = realloc(ksyms.v, (cap = cap ? 2 * cap : 65536) * sizeof(*nv));
			if (!nv)
				goto done;
			ksyms.v = nv;
		}
		if (nlen + len > ncap) {
			char *nn = realloc(ksyms.names, ncap = ncap ? 2 * ncap : 1 << 21);
			if (!nn)
				goto done;
			ksyms.names = nn;
		}
		memcpy(ksyms.names + nlen, name, len);
		ksyms.v[ksyms.n].addr = addr;
		ksyms.v[ksyms.n++].name = (const char *)(uintptr_t)nlen; /* an offset until the end */
		nlen += len;
	}
	ok = 1;
done:
	fclose(f);
	for (size_t i = 0; i < ksyms.n; i++)
		ksyms.v[i].name = ksyms.names + (uintptr_t)ksyms.v[i].name;
	qsort(ksyms.v, ksyms.n, sizeof(*ksyms.v), ksym_cmp);
	ksyms.ok = ok && ksyms.n > 0;
	return ksyms.ok;
}

const char *ksyms_address_used;

bool ksyms_addr(const char *name, uint64_t *addr)
{
	if (!ksyms_load())
		return false;
	for (size_t i = 0; i < ksyms.n; i++)
		if (strcmp(ksyms.v[i].name, name) == 0) {
			*addr = ksyms.v[i].addr;
			if (!ksyms_address_used)
				ksyms_address_used = ksyms.v[i].name;
			return true;
		}
	return false;
}

bool ksyms_data_addr(const char *name, uint64_t *addr)
{
	/* the last name asked and its answer: every rpc.* recipe of a run asks for the same one */
	static char last[256];
	static unsigned long long last_addr;
	static bool last_found;
	char line[512], sym[256], type;
	unsigned long long a;
	bool found = false;
	FILE *f;

	if (last[0] && strcmp(last, name) == 0)
		goto done;
	if (!(f = fopen("/proc/kallsyms", "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && a && strcmp(sym, name) == 0;
	fclose(f);
	snprintf(last, sizeof(last), "%s", name);
	last_found = found;
	last_addr = found ? a : 0;
done:
	if (last_found)
		*addr = last_addr;
	if (last_found && !ksyms_address_used)
		ksyms_address_used = last;
	return last_found;
}

const char *ksyms_name(uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi;

	if (!ksyms_load() || addr < ksyms.v[0].addr)
		return NULL;
	hi = ksyms.n;
	while (hi - lo > 1) { /* the last symbol at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms.v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - ksyms.v[lo].addr;
	return ksyms.v[lo].name;
}

bool ksyms_available(void)
{
	return ksyms_load();
}
