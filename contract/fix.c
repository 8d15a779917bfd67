/* fix.c - markers of kernel facts in a BPF ELF object (fix.h). */
#include "fix.h"

#include <elf.h>
#include <string.h>

#define FIX_LD_IMM64 0x18 /* BPF_LD | BPF_IMM | BPF_DW */

struct fix_insn { /* struct bpf_insn, without the kernel headers */
	uint8_t code;
	uint8_t regs;
	int16_t off;
	int32_t imm;
};

/* Calls fn for each executable section (its name, instructions and count); bounds-checked. */
static int fix_sections(const void *elf, size_t size,
			int (*fn)(void *arg, const char *name, struct fix_insn *insns, size_t n), void *arg)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *strs;
	int r;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const Elf64_Shdr *)((const char *)elf + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > size || strs->sh_size > size - strs->sh_offset || !strs->sh_size ||
	    ((const char *)elf)[strs->sh_offset + strs->sh_size - 1])
		return -1;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_EXECINSTR))
			continue;
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    sh[i].sh_name >= strs->sh_size || sh[i].sh_offset % 8)
			return -1;
		if ((r = fn(arg, (const char *)elf + strs->sh_offset + sh[i].sh_name,
			    (struct fix_insn *)((char *)elf + sh[i].sh_offset), sh[i].sh_size / 8)))
			return r;
	}
	return 0;
}

static bool fix_is_marker(const struct fix_insn *in, size_t i, size_t n)
{
	return in[i].code == FIX_LD_IMM64 && !(in[i].regs >> 4) && i + 1 < n &&
	       (uint32_t)in[i + 1].imm == CT_FIX_MAGIC;
}

struct fix_scan {
	int (*fn)(void *arg, const char *section, uint32_t insn, uint32_t num);
	void *arg;
};

static int fix_scan_section(void *arg, const char *name, struct fix_insn *in, size_t n)
{
	struct fix_scan *s = arg;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!fix_is_marker(in, i, n)) {
			i += in[i].code == FIX_LD_IMM64; /* its second half */
			continue;
		}
		if ((r = s->fn(s->arg, name, (uint32_t)i, (uint32_t)in[i].imm)))
			return r;
		i++;
	}
	return 0;
}

int ct_fix_scan(const void *elf, size_t size,
		int (*fn)(void *arg, const char *section, uint32_t insn, uint32_t num), void *arg)
{
	struct fix_scan s = {fn, arg};

	return fix_sections(elf, size, fix_scan_section, &s);
}

struct fix_set {
	const char *section;
	uint32_t insn;
	uint64_t v;
};

static int fix_set_section(void *arg, const char *name, struct fix_insn *in, size_t n)
{
	struct fix_set *s = arg;

	if (strcmp(name, s->section))
		return 0;
	if (s->insn + 1 >= n || in[s->insn].code != FIX_LD_IMM64 || in[s->insn].regs >> 4)
		return -1; /* (a marker that has its value already is still an ld_imm64) */
	in[s->insn].imm = (int32_t)(uint32_t)s->v;
	in[s->insn + 1].imm = (int32_t)(uint32_t)(s->v >> 32);
	return 1;
}

int ct_fix_set(void *elf, size_t size, const char *section, uint32_t insn, uint64_t v)
{
	struct fix_set s = {section, insn, v};

	return fix_sections(elf, size, fix_set_section, &s) == 1 ? 0 : -1;
}
