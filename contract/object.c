/* object.c - the compiled program's shared helpers. */
#include "object.h"

#include <stdlib.h>

const char *agg_name(enum agg_kind k)
{
	static const char *const names[] = {
		[AGG_NONE] = "value",
		[AGG_COUNT] = "count",
		[AGG_SUM] = "sum",
		[AGG_AVG] = "avg",
		[AGG_MIN] = "min",
		[AGG_MAX] = "max",
		[AGG_STATS] = "stats",
		[AGG_HIST] = "hist",
		[AGG_LHIST] = "lhist",
	};
	return names[k];
}

const char *ct_prog_label(const struct ct_prog *p)
{
	return p->probe ? p->probe : p->target;
}

void ct_object_free(struct ct_object *obj)
{
	free(obj->elf);
	free(obj->ir);
	obj->elf = NULL;
	obj->ir = NULL;
}
