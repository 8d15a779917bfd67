/* check.c - ct_check_calls (contract/safety.c), the check nfsq runs on every object
 * before loading it: the allowed program of unsafe.bpf.o passes, and each program
 * calling a helper that writes memory, overrides a return or sends a signal is refused
 * with the instruction and the helper named.
 *   check OBJECT    exit 0 when every program got the expected answer */
#include "contract/object.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int fails = 0, n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: check OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "check: cannot open %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		const char *name = bpf_program__name(p);
		bool want_safe = !strncmp(name, "safe_", 5);
		char why[160] = "";
		int r = ct_check_calls(bpf_program__insns(p), bpf_program__insn_cnt(p), why, sizeof(why));

		n++;
		if ((r == 0) == want_safe && (want_safe || strstr(why, "calls BPF helper"))) {
			printf("PASS %s: %s\n", name, want_safe ? "allowed" : why);
		} else {
			printf("FAIL %s: %s, want %s\n", name, r ? why : "allowed", want_safe ? "allowed" : "refused");
			fails++;
		}
	}
	bpf_object__close(obj);
	if (n != 4) {
		printf("FAIL: %d programs in %s, want 4\n", n, argv[1]);
		fails++;
	}
	return fails ? 1 : 0;
}
