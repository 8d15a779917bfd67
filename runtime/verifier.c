/* verifier.c - a rejected program explained in the script's terms: the failing
 * instruction (the last one the verifier log names) is looked up in the object's
 * .BTF.ext line info, which LLVM filled from the DILocations codegen attached to
 * each statement and expression, giving the script's line:col. */
#include "rt.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

struct rt_btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct rt_btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, func_info_off, func_info_len, line_info_off, line_info_len;
};

static Elf_Data *rt_section(Elf *e, const char *name)
{
	size_t shstrndx;
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((s = elf_nextscn(e, s))) {
		const char *n;

		if (!gelf_getshdr(s, &sh) || !(n = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(n, name))
			return elf_getdata(s, NULL);
	}
	return NULL;
}

/* Line and column of instruction insn of section sec; 0 when unknown. */
static int rt_insn_linecol(const void *obj, size_t size, const char *sec, unsigned insn,
			   uint32_t *line, uint32_t *col)
{
	Elf *e;
	Elf_Data *btf, *ext;
	const struct rt_btf_hdr *bh;
	const struct rt_btf_ext_hdr *eh;
	const char *strs;
	const uint8_t *p, *end;
	uint32_t rec_size, best_off = 0;
	int found = 0;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)obj, size);
	if (!e)
		return 0;
	btf = rt_section(e, ".BTF");
	ext = rt_section(e, ".BTF.ext");
	if (!btf || !ext || btf->d_size < sizeof(*bh) || ext->d_size < sizeof(*eh))
		goto cleanup;
	bh = btf->d_buf;
	eh = ext->d_buf;
	strs = (const char *)btf->d_buf + bh->hdr_len + bh->str_off;
	if (eh->hdr_len + eh->line_info_off + eh->line_info_len > ext->d_size || !eh->line_info_len)
		goto cleanup;
	p = (const uint8_t *)ext->d_buf + eh->hdr_len + eh->line_info_off;
	end = p + eh->line_info_len;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < 16)
		goto cleanup;
	while (p + 8 <= end) {
		uint32_t name_off, n;
		const char *name;

		memcpy(&name_off, p, 4);
		memcpy(&n, p + 4, 4);
		p += 8;
		name = name_off < bh->str_len ? strs + name_off : "";
		for (uint32_t i = 0; i < n && p + rec_size <= end; i++, p += rec_size) {
			uint32_t off, lc;

			memcpy(&off, p, 4);
			memcpy(&lc, p + 12, 4);
			if (strcmp(name, sec) || off > insn * 8u || (found && off < best_off) || !(lc >> 10))
				continue;
			best_off = off;
			*line = lc >> 10;
			*col = lc & 0x3ff;
			found = 1;
		}
	}
cleanup:
	elf_end(e);
	return found;
}

/* The index of the last instruction the log mentions ("12: (85) call ..."). */
static int rt_last_insn(const char *log)
{
	int last = -1;

	for (const char *l = log; l && *l;) {
		const char *nl = strchr(l, '\n');
		char *endp;
		long v = strtol(l, &endp, 10);

		if (endp != l && *endp == ':' && (endp[1] == ' ' || endp[1] == '\n' || !endp[1]))
			last = (int)v;
		l = nl ? nl + 1 : NULL;
	}
	return last;
}

void rt_report_verifier(struct rt *r, const struct ct_prog *p, const char *section,
			const char *log)
{
	const char *lines[8];
	unsigned nlines = 0;
	const char *why = "";
	size_t whylen = 0;
	int insn = rt_last_insn(log);
	uint32_t line = 0, col = 0;
	const char *probe = p->probe ? p->probe : p->name;
	const char *inf = strstr(log, "infinite loop detected"); /* (a while that never ends) */

	/* the last non-empty lines; the first of them that is not an instruction or a
	 * statistics line is the reason */
	for (const char *l = log; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len) {
			if (nlines == 8)
				memmove(lines, lines + 1, 7 * sizeof(lines[0])), nlines--;
			lines[nlines++] = l;
		}
		l = nl ? nl + 1 : NULL;
	}
	for (unsigned i = nlines; i-- > 0;) {
		const char *l = lines[i];
		size_t len = strcspn(l, "\n");

		if (!strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) ||
		    !strncmp(l, "stack depth", 11) || !strncmp(l, "max_states", 10) ||
		    !strncmp(l, "-- END PROG LOAD LOG --", 23) || (l[0] >= '0' && l[0] <= '9') ||
		    l[0] == ';')
			continue;
		why = l;
		whylen = len;
		break;
	}
	if (inf) {
		why = inf;
		whylen = strcspn(inf, "\n");
	}
	if (insn >= 0 && rt_insn_linecol(r->obj->elf, r->obj->elf_size, section, insn, &line, &col) &&
	    line >= 1 && line <= r->obj->src->nlines) {
		struct loc at;
		struct diag d;

		diag_init(&d, r->obj->src, stderr);
		at.begin = r->obj->src->lines[line - 1] + (col ? col - 1 : 0);
		at.end = at.begin + 1;
		diag_error(&d, at,
			   "the kernel's BPF verifier rejected the code for probe %s here: %.*s",
			   probe, (int)whylen, why);
	} else {
		fprintf(stderr, "nfsq: the kernel's BPF verifier rejected the code for probe %s: %.*s\n",
			probe, (int)whylen, why);
	}
	fprintf(stderr, "  last lines of the verifier log (run with -v for all of it):\n");
	for (unsigned i = nlines > 6 ? nlines - 6 : 0; i < nlines; i++)
		fprintf(stderr, "    %.*s\n", (int)strcspn(lines[i], "\n"), lines[i]);
	if (inf)
		fprintf(stderr, "  a while loop must end: its condition must become false in its body\n");
	else if (strstr(log, "unknown func bpf_for_each_map_elem") || strstr(log, "invalid func unknown#164") ||
		 strstr(log, "number of funcs in func_info doesn't match")) /* (a callback unknown before 5.13) */
		fprintf(stderr, "  for loops over maps need Linux 5.13 or later (bpf_for_each_map_elem)\n");
	else if (strstr(log, "unknown func bpf_map_lookup_percpu_elem") || strstr(log, "invalid func unknown#195"))
		fprintf(stderr, "  for loops over count() or sum() maps need Linux 5.19 or later (bpf_map_lookup_percpu_elem)\n");
	else
		fprintf(stderr, "  this is an nfsq bug or a kernel limit: please report it with the script\n");
}
