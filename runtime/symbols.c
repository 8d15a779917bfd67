/* symbols.c - kstack, ustack and ksym() values printed as what they name: frames read
 * from the stack map (contract/layout.h), kernel addresses named from /proc/kallsyms
 * (probes/ksyms.c), user addresses from the process's mappings (/proc/PID/maps) and the
 * symbol tables of the files mapped there (libelf). A process that has exited by the time
 * its stack is printed can no longer be asked: its frames print as addresses, as
 * bpftrace's do. */
#include "symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "../probes/ksyms.h"

#define RT_SYM_MAX_PROCS 64
#define RT_SYM_MAX_FILES 128

struct rt_sym_fn {
	uint64_t addr, size;
	const char *name; /* in the file's names */
};

struct rt_sym_file {
	char *path; /* as opened: /proc/PID/root/... */
	bool ok;
	struct rt_sym_fn *fns; /* sorted by addr */
	size_t nfns;
	char *names;
	GElf_Phdr *loads; /* PT_LOAD segments: file offsets to addresses */
	size_t nloads;
};

struct rt_sym_map {
	uint64_t start, end, off;
	struct rt_sym_file *file; /* NULL until first used; by path */
	char *path;
};

struct rt_sym_proc {
	int pid;
	bool ok; /* its maps were read */
	struct rt_sym_map *maps;
	size_t nmaps;
};

static struct {
	int stacks_fd;
	struct rt_sym_proc procs[RT_SYM_MAX_PROCS];
	unsigned nprocs;
	struct rt_sym_file *files[RT_SYM_MAX_FILES];
	unsigned nfiles;
} syms = {.stacks_fd = -1};

void rt_sym_open(int stacks_fd)
{
	syms.stacks_fd = stacks_fd;
}

static void rt_sym_proc_free(struct rt_sym_proc *p)
{
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	memset(p, 0, sizeof(*p));
}

static void rt_sym_file_free(struct rt_sym_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->fns);
	free(f->names);
	free(f->loads);
	free(f);
}

void rt_sym_close(void)
{
	for (unsigned i = 0; i < syms.nprocs; i++)
		rt_sym_proc_free(&syms.procs[i]);
	for (unsigned i = 0; i < syms.nfiles; i++)
		rt_sym_file_free(syms.files[i]);
	syms.nprocs = syms.nfiles = 0;
	syms.stacks_fd = -1;
}

static int rt_sym_fn_cmp(const void *a, const void *b)
{
	const struct rt_sym_fn *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The function symbols (.symtab, else .dynsym) and PT_LOAD segments of one ELF file. */
static bool rt_sym_file_read(struct rt_sym_file *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	size_t nph = 0, cap = 0, nlen = 0, ncap = 0;
	bool ok = false, have_symtab = false;

	if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL)) ||
	    elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &nph))
		goto out;
	f->loads = calloc(nph ? nph : 1, sizeof(*f->loads));
	if (!f->loads)
		goto out;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->loads[f->nloads++] = ph;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		have_symtab |= gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != (have_symtab ? SHT_SYMTAB : SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;
			size_t len;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value ||
			    !(name = elf_strptr(e, sh.sh_link, s.st_name)) || !*name)
				continue;
			len = strlen(name) + 1;
			if (f->nfns == cap) {
				struct rt_sym_fn *nf = realloc(f->fns, (cap = cap ? 2 * cap : 1024) * sizeof(*nf));
				if (!nf)
					goto out;
				f->fns = nf;
			}
			if (nlen + len > ncap) {
				char *nn = realloc(f->names, ncap = (nlen + len) * 2 + 4096);
				if (!nn)
					goto out;
				f->names = nn;
			}
			memcpy(f->names + nlen, name, len);
			f->fns[f->nfns++] = (struct rt_sym_fn){s.st_value, s.st_size, (const char *)(uintptr_t)nlen};
			nlen += len;
		}
	}
	for (size_t i = 0; i < f->nfns; i++)
		f->fns[i].name = f->names + (uintptr_t)f->fns[i].name;
	if (f->nfns)
		qsort(f->fns, f->nfns, sizeof(*f->fns), rt_sym_fn_cmp);
	ok = true;
out:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return ok;
}

static struct rt_sym_file *rt_sym_file_get(int pid, const char *path)
{
	char full[4200];
	struct rt_sym_file *f;

	snprintf(full, sizeof(full), "/proc/%d/root%s", pid, path);
	for (unsigned i = 0; i < syms.nfiles; i++)
		if (strcmp(syms.files[i]->path, full) == 0)
			return syms.files[i];
	if (syms.nfiles == RT_SYM_MAX_FILES) { /* start over rather than grow without end */
		for (unsigned i = 0; i < syms.nfiles; i++)
			rt_sym_file_free(syms.files[i]);
		syms.nfiles = 0;
		for (unsigned i = 0; i < syms.nprocs; i++)
			for (size_t k = 0; k < syms.procs[i].nmaps; k++)
				syms.procs[i].maps[k].file = NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(full))) {
		free(f);
		return NULL;
	}
	f->ok = rt_sym_file_read(f);
	syms.files[syms.nfiles++] = f;
	return f;
}

/* The executable mappings of pid with a file behind them. */
static struct rt_sym_proc *rt_sym_proc_get(int pid, bool reread)
{
	struct rt_sym_proc *p = NULL;
	char path[64], line[4400];
	FILE *fp;
	size_t cap = 0;

	for (unsigned i = 0; i < syms.nprocs && !p; i++)
		if (syms.procs[i].pid == pid)
			p = &syms.procs[i];
	if (p && !reread)
		return p;
	if (!p) {
		if (syms.nprocs == RT_SYM_MAX_PROCS) {
			for (unsigned i = 0; i < syms.nprocs; i++)
				rt_sym_proc_free(&syms.procs[i]);
			syms.nprocs = 0;
		}
		p = &syms.procs[syms.nprocs++];
	}
	rt_sym_proc_free(p);
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fp = fopen(path, "re");
	if (!fp)
		return p;
	p->ok = true;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, off;
		char perms[8];
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &at) < 4 || !at ||
		    perms[2] != 'x' || line[at] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		if (p->nmaps == cap) {
			struct rt_sym_map *nm = realloc(p->maps, (cap = cap ? 2 * cap : 32) * sizeof(*nm));
			if (!nm)
				break;
			p->maps = nm;
		}
		p->maps[p->nmaps] = (struct rt_sym_map){start, end, off, NULL, strdup(line + at)};
		if (p->maps[p->nmaps].path)
			p->nmaps++;
	}
	fclose(fp);
	return p;
}

static struct rt_sym_map *rt_sym_map_find(struct rt_sym_proc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

/* The function holding user address addr of pid, and the offset into it; NULL if not
 * known. *file: the file mapped there (NULL if none). */
static const char *rt_sym_user(int pid, uint64_t addr, uint64_t *off, const char **file)
{
	struct rt_sym_proc *p = rt_sym_proc_get(pid, false);
	struct rt_sym_map *m = p->ok ? rt_sym_map_find(p, addr) : NULL;
	struct rt_sym_file *f;
	uint64_t foff, vaddr = 0;
	size_t lo = 0, hi;
	bool in = false;

	if (p->ok && !m && (p = rt_sym_proc_get(pid, true))->ok) /* mapped since (dlopen) */
		m = rt_sym_map_find(p, addr);
	if (!m)
		return NULL;
	*file = m->path;
	if (!m->file)
		m->file = rt_sym_file_get(pid, m->path);
	f = m->file;
	if (!f || !f->ok || !f->nfns)
		return NULL;
	foff = addr - m->start + m->off;
	for (size_t i = 0; i < f->nloads && !in; i++)
		if (foff >= f->loads[i].p_offset && foff < f->loads[i].p_offset + f->loads[i].p_filesz) {
			vaddr = foff - f->loads[i].p_offset + f->loads[i].p_vaddr;
			in = true;
		}
	if (!in || vaddr < f->fns[0].addr)
		return NULL;
	hi = f->nfns;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->fns[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	if (f->fns[lo].size && vaddr >= f->fns[lo].addr + f->fns[lo].size)
		return NULL;
	*off = vaddr - f->fns[lo].addr;
	return f->fns[lo].name;
}

/* One frame: "sym+off" (bpftrace's), "ffffffff81000130 sym+off" (perf's, with the file of a
 * user frame: "439d49 getppid+9 (/usr/bin/x)"); an unknown symbol is its address, "0x..." */
static void rt_sym_frame(struct rt_buf *b, int pid, uint64_t addr, bool perf)
{
	uint64_t off = 0;
	const char *file = NULL, *name = pid ? rt_sym_user(pid, addr, &off, &file)
					     : ksyms_name(addr, &off);

	if (perf)
		rt_buf_printf(b, "%llx ", (unsigned long long)addr);
	if (name)
		rt_buf_printf(b, "%s+%llu", name, (unsigned long long)off);
	else
		rt_buf_printf(b, "0x%llx", (unsigned long long)addr);
	if (perf && pid) /* and the file, as bpftrace's perf format */
		rt_buf_printf(b, " (%s)", file ? file : "[unknown]");
}

void rt_sym_format(struct rt_buf *b, struct type t, uint64_t v, enum rt_sym_style style)
{
	uint64_t frames[LAYOUT_STACK_SIZE / 8], key = v & LAYOUT_STACK_HASH_MASK, off;
	bool perf = v & LAYOUT_STACK_PERF;
	int pid = t.kind == TYPE_USTACK ? (int)(v >> LAYOUT_STACK_PID_SHIFT) : 0;
	const char *indent = perf ? "\t" : style == RT_SYM_KEY ? "    " : "        ";
	unsigned n;

	if (t.kind == TYPE_KSYM) {
		const char *name = ksyms_name(v, &off);

		if (name)
			rt_buf_add(b, name, strlen(name));
		else
			rt_buf_printf(b, "0x%llx", (unsigned long long)v);
		return;
	}
	if (!key || syms.stacks_fd < 0 || bpf_map_lookup_elem(syms.stacks_fd, &key, frames)) {
		if (style != RT_SYM_FOLDED) /* (as one frame) */
			rt_buf_add(b, "\n", 1), rt_buf_add(b, indent, strlen(indent));
		rt_buf_add(b, style == RT_SYM_FOLDED ? "[lost]" : "[lost]\n", style == RT_SYM_FOLDED ? 6 : 7);
		return;
	}
	n = frames[0] < LAYOUT_STACK_MAX ? (unsigned)frames[0] : LAYOUT_STACK_MAX;
	if (style == RT_SYM_FOLDED) { /* flame graphs' folded form: the root first, ';' between */
		for (unsigned i = n; i > 0; i--) {
			rt_sym_frame(b, pid, frames[i], false);
			if (i > 1)
				rt_buf_add(b, ";", 1);
		}
		return;
	}
	if (n) /* (an empty stack, a user stack in the kernel, prints as "@[]", as bpftrace's) */
		rt_buf_add(b, "\n", 1);
	for (unsigned i = 1; i <= n; i++) {
		rt_buf_add(b, indent, strlen(indent));
		rt_sym_frame(b, pid, frames[i], perf);
		rt_buf_add(b, "\n", 1);
	}
}
