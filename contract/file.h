/* file.h - a compiled program as a file: `nfsq --compile -o FILE` writes it, `nfsq FILE`
 * and nfsq-run read it and run it without the front end or LLVM.
 *
 * The file is a `#!/usr/bin/nfsq-run` line (so that a compiled file with the execute bit
 * runs by its name), the line "NFSQ-OBJECT <format>", then the program: what nfsq
 * compiled it for (its version, the kernel's release and build), the script's name and
 * text (for messages that point into it, and the exporter's help texts), the maps (each
 * map_info; their layouts are made again by layout_map), the printf formats, the
 * programs' table and the BPF ELF object with its kernel facts (fix.h) - once per
 * variant: the same script compiled with fentry and without (for kernels whose modules
 * have no BTF); last a hash of all of it, so that a cut or damaged file is refused rather
 * than run. */
#ifndef NFSQ_FILE_H
#define NFSQ_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../base/arena.h"
#include "../base/diag.h"
#include "object.h"

#define CT_FILE_SHEBANG "#!/usr/bin/nfsq-run\n"
#define CT_FILE_MAGIC "NFSQ-OBJECT "
#define CT_FILE_FORMAT 3 /* bumped whenever what a file holds, or how it is read, changes */
#define CT_FILE_MAX (64u << 20)
#define CT_FILE_VARIANTS 4 /* at most */

/* What a file says beyond the object. */
struct ct_file_info {
	const char *nfsq_version;   /* of the nfsq that compiled it */
	const char *kernel_release; /* uname -r where it was compiled */
	const char *kernel_build;   /* uname -v there */
	const char *boot_id;        /* NULL, or the boot it was compiled in: the program holds the
				     * address of kernel symbol boot_symbol, which moves at each boot */
	const char *boot_symbol;
	const char *boot;           /* the boot it was compiled in (NULL: not known): there its
				     * code holds this kernel's facts as they are */
	bool uses_cpid;             /* the script reads cpid: run it with -c */
	bool pid_filter;            /* the -p filter is compiled in (a pid of 0: every process) */
};

/* One way the script was compiled: its programs, BPF ELF and kernel facts. */
struct ct_file_variant {
	struct ct_prog *progs;
	unsigned nprogs;
	void *elf; /* malloc'd */
	size_t elf_size;
	struct ct_fixups fix;
};

/* A file read back: the object (with variant 0's programs, ELF and facts), its tables
 * and strings, the script, the variants. */
struct ct_file {
	struct arena arena;
	struct src src;
	struct ct_object obj;
	struct ct_file_info info;
	struct ct_file_variant vars[CT_FILE_VARIANTS];
	unsigned nvars;
};

/* Whether buf begins as a compiled file does (a #! line may come first). */
bool ct_file_is(const char *buf, size_t len);
/* Writes objs[0] (with its maps, printfs and script) and the programs, ELF and facts of
 * each of objs[0..n-1] (1 <= n <= CT_FILE_VARIANTS) to out. 0, or -1 with errno. */
int ct_file_write(FILE *out, const struct ct_object *const *objs, unsigned n, const struct ct_file_info *info);
/* Makes variant i the object's (its programs, ELF and facts). */
void ct_file_use(struct ct_file *f, unsigned i);
/* Reads a compiled file from buf (which it copies what it keeps from). 0, or -1 with why
 * (a cut or damaged file, another format). Free f with ct_file_free in either case. */
int ct_file_read(const char *buf, size_t len, struct ct_file *f, char *why, size_t whylen);
void ct_file_free(struct ct_file *f);

#endif
