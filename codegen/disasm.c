/* disasm.c - -d bpf: the BPF instructions of every program section, through LLVM's
 * BPF disassembler, with the relocations (map references) named. */
#include "codegen.h"

#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>

static const char *cg_reloc_sym(Elf *e, size_t sec, uint64_t off)
{
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	while ((s = elf_nextscn(e, s))) {
		Elf_Data *d;
		Elf_Scn *symscn;
		GElf_Shdr symsh;
		Elf_Data *symd;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_REL || sh.sh_info != sec)
			continue;
		d = elf_getdata(s, NULL);
		symscn = elf_getscn(e, sh.sh_link);
		if (!d || !symscn || !gelf_getshdr(symscn, &symsh) || !(symd = elf_getdata(symscn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rel r;
			GElf_Sym sym;

			if (!gelf_getrel(d, (int)i, &r) || r.r_offset != off)
				continue;
			if (!gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			return elf_strptr(e, symsh.sh_link, sym.st_name);
		}
	}
	return NULL;
}

int cg_disasm(const void *elf, size_t size, FILE *out)
{
	Elf *e;
	Elf_Scn *s = NULL;
	size_t shstrndx;
	LLVMDisasmContextRef dc;
	int ret = -1;

	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFDisassembler();
	elf_version(EV_CURRENT);
	e = elf_memory((char *)elf, size);
	if (!e)
		return -1;
	dc = LLVMCreateDisasm("bpfel", NULL, 0, NULL, NULL);
	if (!dc || elf_getshdrstrndx(e, &shstrndx))
		goto cleanup;
	while ((s = elf_nextscn(e, s))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;
		uint64_t pc = 0;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) ||
		    !sh.sh_size)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		d = elf_getdata(s, NULL);
		if (!d)
			continue;
		fprintf(out, "%s:\n", name ? name : "?");
		while (pc < d->d_size) {
			char text[128];
			size_t n = LLVMDisasmInstruction(dc, (uint8_t *)d->d_buf + pc, d->d_size - pc, pc,
							 text, sizeof(text));
			const char *sym = cg_reloc_sym(e, elf_ndxscn(s), pc);

			if (!n) {
				fprintf(out, "%5llu: <unknown>\n", (unsigned long long)(pc / 8));
				n = 8;
			} else {
				fprintf(out, "%5llu:%s%s%s\n", (unsigned long long)(pc / 8), text,
					sym ? "  ; " : "", sym ? sym : "");
			}
			pc += n;
		}
		fprintf(out, "\n");
	}
	ret = 0;
cleanup:
	if (dc)
		LLVMDisasmDispose(dc);
	elf_end(e);
	return ret;
}
