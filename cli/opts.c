/* opts.c - the options of a run, shared by nfsq and nfsq-run (opts.h). */
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../base/exitcode.h"
#include "../runtime/serve.h"

/* --ringbuf SIZE: bytes with an optional k or m suffix, a power of 2 from 4 KiB (the
 * page) to 256 MiB, as the kernel's ring buffer wants; 0 with a message if not. */
static uint32_t opts_ringbuf(const char *arg)
{
	char *end;
	unsigned long long n = strtoull(arg, &end, 10);

	if (end != arg && (*end == 'k' || *end == 'K'))
		n <<= 10, end++;
	else if (end != arg && (*end == 'm' || *end == 'M'))
		n <<= 20, end++;
	if (end == arg || *end || *arg == '-' || n < 4096 || n > (256ull << 20) || (n & (n - 1))) {
		fprintf(stderr, "nfsq: --ringbuf takes a power of 2 from 4k to 256m (e.g. 1m), not '%s'\n",
			arg);
		return 0;
	}
	return (uint32_t)n;
}

int opts_run(int opt, const char *arg, struct run_options *ro, const char **outpath)
{
	char *end;
	long n;

	switch (opt) {
	case 'c': ro->cmd = arg; return 1;
	case 'p':
		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end || n <= 0 || n > 4194304) {
			fprintf(stderr, "nfsq: -p needs a process id, not '%s'\n", arg);
			return -1;
		}
		if (kill((pid_t)n, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "nfsq: -p %ld: no such process\n", n);
			return -1;
		}
		ro->pid = (pid_t)n;
		return 1;
	case 'o': *outpath = arg; return 1;
	case 'f':
		if (strcmp(arg, "text") == 0)
			ro->format = OUT_TEXT;
		else if (strcmp(arg, "json") == 0)
			ro->format = OUT_JSON;
		else {
			fprintf(stderr, "nfsq: -f takes text or json, not '%s'\n", arg);
			return -1;
		}
		return 1;
	case 'q': ro->quiet = true; return 1;
	case 'v': ro->verbose++; return 1;
	case OPTS_SERVE:
		if (!serve_addr_ok(arg))
			return -1;
		ro->serve = arg;
		return 1;
	case OPTS_MAP_SIZE:
		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end || n < 1 || n > (1L << 24)) {
			fprintf(stderr, "nfsq: --map-size takes a number of entries from 1 to 16777216, not '%s'\n", arg);
			return -1;
		}
		ro->map_size = (uint32_t)n;
		return 1;
	case OPTS_RINGBUF: return (ro->ringbuf_size = opts_ringbuf(arg)) ? 1 : -1;
	default: return 0;
	}
}

/* -o FILE, opened for a root that may be writing into /tmp: no symbolic link is
 * followed, and a file that another user owns (planted there to catch the output) is
 * left alone, not truncated. Devices such as /dev/null are fine. */
FILE *opts_open_output(const char *path)
{
	struct stat st;
	FILE *f = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "nfsq: cannot write %s: %s%s\n", path, strerror(errno),
			errno == ELOOP ? " (it is a symbolic link; nfsq does not follow them)" : "");
		return NULL;
	}
	if (fstat(fd, &st))
		fprintf(stderr, "nfsq: cannot write %s: %s\n", path, strerror(errno));
	else if (st.st_uid != geteuid())
		fprintf(stderr, "nfsq: will not write %s: it belongs to user %u, not to you "
				"(remove it, or choose another path)\n",
			path, (unsigned)st.st_uid);
	else if ((S_ISREG(st.st_mode) && ftruncate(fd, 0)) || fcntl(fd, F_SETFL, 0) ||
		 !(f = fdopen(fd, "w")))
		fprintf(stderr, "nfsq: cannot write %s: %s\n", path, strerror(errno));
	if (!f)
		close(fd);
	return f;
}

int opts_check(const struct run_options *ro)
{
	if (ro->cmd && ro->pid) {
		fprintf(stderr, "nfsq: -c and -p cannot be used together (-c traces everything; filter with /pid == cpid/)\n");
		return -1;
	}
	return 0;
}

int opts_open(struct run_options *ro, const char *outpath)
{
	return outpath && !(ro->out = opts_open_output(outpath)) ? -1 : 0;
}

int opts_close(struct run_options *ro, const char *outpath, int rc)
{
	if (outpath && ro->out && fclose(ro->out) != 0 && !rc) { /* else the run said why */
		fprintf(stderr, "nfsq: writing %s failed: %s\n", outpath, strerror(errno));
		rc = NFSQ_EXIT_RUNTIME;
	}
	return rc;
}

/* Reads a pipe (nfsq <(...)) or a FIFO to its end into a new buffer; NULL with a message
 * on failure. *fd was opened with O_NONBLOCK, so that open() did not wait for a writer. A
 * named FIFO that nobody writes reads as empty at once: then nfsq says that it waits and
 * opens it again, blocking until a writer comes. */
static char *opts_read_pipe(int *fd, const char *path, size_t *len)
{
	size_t got = 0, cap = 64u << 10;
	char *buf = malloc(cap + 1), *more;
	bool waited = false;
	struct statfs sfs;
	bool anonymous = fstatfs(*fd, &sfs) == 0 && sfs.f_type == PIPEFS_MAGIC;

	while (buf) {
		if (got == cap) {
			if (cap > OPTS_MAX_FILE) {
				fprintf(stderr, "nfsq: %s is more than %u bytes; scripts may be at most %u bytes\n",
					path, OPTS_MAX_FILE, OPTS_MAX_FILE);
				break;
			}
			cap = cap * 2 > OPTS_MAX_FILE ? OPTS_MAX_FILE + 1 : cap * 2;
			if (!(more = realloc(buf, cap + 1)))
				break;
			buf = more;
		}
		ssize_t n = read(*fd, buf + got, cap - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && fcntl(*fd, F_SETFL, 0) == 0)
			continue; /* a writer, no data yet: wait for it */
		if (n < 0) {
			fprintf(stderr, "nfsq: cannot read %s: %s\n", path, strerror(errno));
			break;
		}
		if (got == 0 && !anonymous && !waited) { /* no writer on the FIFO */
			fprintf(stderr, "nfsq: waiting for a writer on FIFO %s\n", path);
			close(*fd);
			*fd = open(path, O_RDONLY | O_CLOEXEC);
			if (*fd < 0) {
				fprintf(stderr, "nfsq: cannot open script %s: %s\n", path, strerror(errno));
				break;
			}
			waited = true;
			continue;
		}
		buf[got] = '\0';
		*len = got;
		return buf;
	}
	free(buf);
	return NULL;
}

char *opts_read_file(const char *path, size_t *len)
{
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "nfsq: cannot open script %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		buf = opts_read_pipe(&fd, path, len);
		goto cleanup;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "nfsq: %s is not a regular file or a pipe\n", path);
		goto cleanup;
	}
	if ((size_t)st.st_size > OPTS_MAX_FILE) {
		fprintf(stderr, "nfsq: %s is %lld bytes; scripts may be at most %u bytes\n", path,
			(long long)st.st_size, OPTS_MAX_FILE);
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto cleanup;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "nfsq: cannot read %s: %s\n", path, n ? strerror(errno) : "short read");
			free(buf);
			buf = NULL;
			goto cleanup;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
cleanup:
	if (fd >= 0)
		close(fd);
	return buf;
}
