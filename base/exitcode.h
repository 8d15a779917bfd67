/* exitcode.h - nfsq's process exit codes, one meaning each (docs: nfsq -h). */
#ifndef NFSQ_EXITCODE_H
#define NFSQ_EXITCODE_H

enum nfsq_exit {
	NFSQ_EXIT_OK = 0,      /* ran (or checked) fine */
	NFSQ_EXIT_SCRIPT = 1,  /* errors in the script */
	NFSQ_EXIT_USAGE = 2,   /* errors on the command line */
	NFSQ_EXIT_RUNTIME = 3, /* cannot load or run on this kernel, or the output failed */
};

#endif
