/* ksyms.h - the running kernel's text symbols (/proc/kallsyms), loaded on first use. */
#ifndef NFSQ_KSYMS_H
#define NFSQ_KSYMS_H

#include <stdbool.h>
#include <stdint.h>

/* false when kallsyms cannot be read or shows no addresses (not root: kptr_restrict) */
bool ksyms_available(void);
/* The address of a symbol; false when there is none of that name. */
bool ksyms_addr(const char *name, uint64_t *addr);
/* The address of a kernel variable, read from kallsyms each call (the text symbols' table
 * does not keep variables); any type matches: 7.3 lists super_blocks as 't'. False when
 * there is none. */
bool ksyms_data_addr(const char *name, uint64_t *addr);
/* The first symbol whose address ksyms_addr or ksyms_data_addr gave (NULL: none): a program
 * holding it is good for this boot only (KASLR moves the kernel at every boot). */
extern const char *ksyms_address_used;
/* The symbol at or below addr and addr's offset into it; NULL below the first. */
const char *ksyms_name(uint64_t addr, uint64_t *off);

#endif
