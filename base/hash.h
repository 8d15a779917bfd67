/* hash.h - FNV-1a (64 bits), nfsq's string hash: hash tables, the names and checks of
 * cached files. Not for inputs chosen to collide: nothing here keys on a hostile one. */
#ifndef NFSQ_HASH_H
#define NFSQ_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 0xcbf29ce484222325ull

/* h extended by the n bytes at p (start from HASH_INIT). */
static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

#endif
