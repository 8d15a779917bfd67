/* prom.h - the script's maps in the Prometheus text exposition format (0.0.4), read
 * from the kernel on each call. Used by serve.c (--serve); the naming rules (metric
 * and label names, types, HELP) are in docs/DEPLOY.md. */
#ifndef NFSQ_PROM_H
#define NFSQ_PROM_H

#include <stddef.h>

struct rt;
struct prom;

/* Works out every map's metric names, labels and HELP text from the script (warnings
 * on stderr for maps left out). NULL when out of memory. */
struct prom *prom_new(struct rt *r);
void prom_free(struct prom *p);

/* Reads every map and returns the exposition text (malloc'd, *len bytes, NUL
 * terminated), or NULL when out of memory. Not reentrant (it remembers each
 * histogram's bucket range between calls): callers serialize it. */
char *prom_render(struct prom *p, size_t *len);

#endif
