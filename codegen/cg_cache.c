/* cg_cache.c - the object cache: BPF objects kept on disk under a hash of their IR. */
#include "cg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the object cache ----
 * The object is a function of the LLVM module (code, maps, BTF, line info), LLVM's
 * version and nfsq's pipeline, and nothing of the run is compiled in (see cg_cfg_load).
 * So objects are kept in cache_dir under a 128-bit hash of the unoptimised IR: a repeated
 * script skips the passes and the BPF back end (about 3 ms of a 5 ms start). The directory
 * must belong to the user and be writable by nobody else, or the cache is not used.
 * Each file is the ELF object followed by a trailer with its size and hash: a truncated
 * or damaged file (a full disk, a crash) is not loaded but compiled again and rewritten. */
#define CG_CACHE_MAX (16u << 20)
#define CG_CACHE_MAGIC "nfsqobj2"

struct cg_cache_trailer {
	uint64_t size;    /* of the object before the trailer */
	uint64_t hash[2]; /* cg_hash of the object */
	char magic[8];    /* CG_CACHE_MAGIC, without its NUL */
};

static void cg_hash(const char *s, size_t n, uint64_t h[2])
{
	for (size_t i = 0; i < n; i++) {
		h[0] = (h[0] ^ (unsigned char)s[i]) * 0x100000001b3ull;
		h[1] = (h[1] ^ (unsigned char)s[i]) * 0x100000001b3ull + (h[1] >> 29);
	}
}

bool cg_cache_dir_ok(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) && (errno != ENOENT || mkdir(dir, 0700) || lstat(dir, &st)))
		return false;
	return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

void cg_cache_key(const struct cg *g, char *key, size_t len)
{
	uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
	unsigned major = 0, minor = 0, patch = 0;
	char salt[160];
	char *ir = LLVMPrintModuleToString(g->mod);

	LLVMGetVersion(&major, &minor, &patch);
	snprintf(salt, sizeof(salt), "%s llvm %u.%u.%u opt %d cg %d", cg_cache_version, major, minor,
		 patch, g->o->opt_level, (int)cg_codegen_level());
	cg_hash(salt, strlen(salt), h);
	cg_hash(ir, strlen(ir), h);
	LLVMDisposeMessage(ir);
	snprintf(key, len, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

static void cg_cache_trailer(const char *elf, size_t size, struct cg_cache_trailer *t)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->hash[0] = 0xcbf29ce484222325ull;
	t->hash[1] = 0x84222325cbf29ce4ull;
	cg_hash(elf, size, t->hash);
	memcpy(t->magic, CG_CACHE_MAGIC, sizeof(t->magic));
}

int cg_cache_load(const char *dir, const char *key, struct cg_object *obj)
{
	char path[4096];
	struct stat st;
	struct cg_cache_trailer want, got;
	size_t size;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_size < 64 + (off_t)sizeof(got) || st.st_size > CG_CACHE_MAX ||
	    !(obj->elf = malloc(st.st_size)))
		goto cleanup;
	size = (size_t)st.st_size - sizeof(got);
	if (read(fd, obj->elf, st.st_size) != st.st_size || memcmp(obj->elf, "\177ELF", 4))
		goto bad;
	memcpy(&got, (char *)obj->elf + size, sizeof(got));
	cg_cache_trailer(obj->elf, size, &want);
	if (memcmp(&got, &want, sizeof(got)))
		goto bad;
	obj->elf_size = size;
	ret = 0;
	goto cleanup;
bad:
	free(obj->elf);
	obj->elf = NULL;
cleanup:
	close(fd);
	return ret;
}

void cg_cache_store(const char *dir, const char *key, const struct cg_object *obj)
{
	char path[4096], tmp[4096];
	struct cg_cache_trailer t;
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, key, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	cg_cache_trailer(obj->elf, obj->elf_size, &t);
	ok = write(fd, obj->elf, obj->elf_size) == (ssize_t)obj->elf_size &&
		write(fd, &t, sizeof(t)) == (ssize_t)sizeof(t);
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path))
		unlink(tmp);
}
