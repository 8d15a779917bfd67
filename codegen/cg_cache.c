/* cg_cache.c - the object cache: BPF objects and what the runtime needs of them, kept on
 * disk under a hash of everything they are made from. */
#define _GNU_SOURCE
#include "cg.h"

#include "../contract/buf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the object cache ----
 * A compiled object is a function of: the script (its text, name and arguments), the
 * options that reach the compiler, nfsq's own build, LLVM's version, and the kernel facts
 * probe resolution reads (BTF, tracefs formats and lists), which are fixed for a boot and
 * set of modules (probe_boot_hash). Nothing of the run is compiled in (see cg_cfg_load).
 * So objects are kept in cache_dir under a 128-bit hash of those: a repeated script skips
 * probe resolution, IR, the passes and the BPF back end, and never sets LLVM up (in the TCG
 * lab 0.1-0.6 s of a cached start). nfsq's build is named by its GNU build id (any change
 * to its code changes it); a process without one, or a kernel whose boot id cannot be read,
 * gets no cache. The first run after a boot, or after a module comes or goes, compiles
 * again. The directory must belong to the user and be writable by nobody else, or the
 * cache is not used.
 * Each file is the ELF object, then the programs' table (struct ct_prog: what the runtime
 * needs besides the ELF; maps and printfs come from the checked script), then a trailer
 * with their sizes and hash: a truncated or damaged file (a full disk, a crash) is not
 * loaded but compiled again and rewritten. */
#define CG_CACHE_MAX (16u << 20)
#define CG_CACHE_MAGIC "nfsqobj3"

struct cg_cache_trailer {
	uint64_t size;      /* of the object before the table */
	uint64_t meta_size; /* of the programs' table */
	uint64_t hash[2];   /* ct_hash of both */
	char magic[8];      /* CG_CACHE_MAGIC, without its NUL */
};

bool cg_cache_dir_ok(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) && (errno != ENOENT || mkdir(dir, 0700) || lstat(dir, &st)))
		return false;
	return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

struct cg_key_hash {
	uint64_t h[2];
	bool build_id; /* nfsq's build id is in h */
};

/* dl_iterate_phdr: the GNU build id of the first object, nfsq itself, into the hash. */
static int cg_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	struct cg_key_hash *k = data;

	(void)size;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof(*n), *desc = name + ((n->n_namesz + 3) & ~3u);

			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
			    n->n_descsz) {
				ct_hash(desc, n->n_descsz, k->h);
				k->build_id = true;
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1; /* only the first */
}

bool cg_cache_key(const struct compilation *c, const struct cg_options *o, uint32_t map_size,
		  char *key, size_t len)
{
	struct cg_key_hash k = {CT_HASH_INIT, false};
	uint64_t *h = k.h, boot = probe_boot_hash();
	unsigned major = 0, minor = 0, patch = 0;
	char salt[256];

	dl_iterate_phdr(cg_build_id, &k);
	if (!k.build_id || !boot)
		return false;
	LLVMGetVersion(&major, &minor, &patch);
	snprintf(salt, sizeof(salt),
		 "%s llvm %u.%u.%u opt %d cg %d boot %016llx pid %d maps %u reject %u fentry %d cpid %d args %d",
		 cg_cache_version, major, minor, patch, o->opt_level, (int)cg_codegen_level(),
		 (unsigned long long)boot, o->filter_pid, map_size, o->test_reject_line, probe_fentry,
		 c->have_cpid, c->argc);
	ct_hash(salt, strlen(salt) + 1, h);
	ct_hash(c->src.name, strlen(c->src.name) + 1, h);
	ct_hash(&c->src.len, sizeof(c->src.len), h);
	ct_hash(c->src.text, c->src.len, h);
	for (int i = 0; i < c->argc; i++)
		ct_hash(c->argv[i], strlen(c->argv[i]) + 1, h);
	snprintf(key, len, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
	return true;
}

static void cg_cache_trailer(const char *buf, size_t size, size_t meta_size,
			     struct cg_cache_trailer *t)
{
	uint64_t h[2] = CT_HASH_INIT;

	memset(t, 0, sizeof(*t));
	t->size = size;
	t->meta_size = meta_size;
	ct_hash(buf, size + meta_size, h);
	memcpy(t->hash, h, sizeof(h));
	memcpy(t->magic, CG_CACHE_MAGIC, sizeof(t->magic));
}

int cg_cache_load(const char *dir, const char *key, struct arena *a, struct cg_object *obj)
{
	char path[4096];
	struct stat st;
	struct cg_cache_trailer want, got;
	struct ct_rd rd;
	size_t size;
	char *buf = NULL;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_size < 64 + (off_t)sizeof(got) || st.st_size > CG_CACHE_MAX ||
	    !(buf = malloc(st.st_size)))
		goto cleanup;
	size = (size_t)st.st_size - sizeof(got);
	if (read(fd, buf, st.st_size) != st.st_size || memcmp(buf, "\177ELF", 4))
		goto cleanup;
	memcpy(&got, buf + size, sizeof(got));
	if (got.meta_size > size || got.size != size - got.meta_size)
		goto cleanup;
	cg_cache_trailer(buf, got.size, got.meta_size, &want);
	if (memcmp(&got, &want, sizeof(got)))
		goto cleanup;
	rd = (struct ct_rd){buf + got.size, buf + size};
	if (!ct_rd_progs(&rd, a, &obj->ct_progs, &obj->nprogs) || rd.p != rd.end)
		goto cleanup;
	obj->elf = buf; /* the table after the ELF stays in the allocation */
	obj->elf_size = got.size;
	buf = NULL;
	ret = 0;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

void cg_cache_store(const char *dir, const char *key, const struct cg_object *obj)
{
	char path[4096], tmp[4096];
	struct ct_buf b = {0};
	struct cg_cache_trailer t;
	int fd;
	bool ok;

	ct_buf_put(&b, obj->elf, obj->elf_size);
	ct_buf_put_progs(&b, obj->ct_progs, obj->nprogs);
	if (b.oom)
		goto cleanup;
	cg_cache_trailer(b.p, obj->elf_size, b.len - obj->elf_size, &t);
	ct_buf_put(&b, &t, sizeof(t));
	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, key, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b.oom || fd < 0)
		goto cleanup;
	ok = write(fd, b.p, b.len) == (ssize_t)b.len;
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path))
		unlink(tmp);
cleanup:
	free(b.p);
}
