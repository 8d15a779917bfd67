/* stream.c - the output stream (r->out): stdio over the output's descriptor, whose writes
 * never hold up a stop. A write waits for the reader (poll) and for a signal at once; after
 * a stop signal it waits at most RT_STOP_MS without progress, then the output is given up
 * and what was not written is counted. A write error (EPIPE: the reader is gone; ENOSPC)
 * gives it up at once and stops tracing. Nothing is lost without being counted: the end of
 * the run reports r->out_lost with the cause. */
#define _GNU_SOURCE
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

static ssize_t rt_out_write(void *cookie, const char *buf, size_t n)
{
	struct rt *r = cookie;
	size_t done = 0;

	while (done < n && !r->out_gone) {
		struct pollfd p[2] = {{.fd = r->out_fd, .events = POLLOUT}, {.fd = r->sigfd, .events = POLLIN}};
		int wait = r->stopping ? RT_STOP_MS : -1, ready;
		ssize_t w;

		ready = poll(p, r->sigfd >= 0 ? 2 : 1, wait);
		if (ready < 0 && errno != EINTR) {
			r->out_errno = errno;
			r->out_gone = true;
		} else if (ready == 0) { /* stopping, and nothing could be written for RT_STOP_MS */
			r->out_gone = true;
		} else if (ready > 0 && (p[1].revents & POLLIN)) {
			rt_take_signals(r);
		} else if (ready > 0 && p[0].revents) {
			/* at most PIPE_BUF: POLLOUT on a pipe promises room for that much, so the
			 * write cannot block */
			w = write(r->out_fd, buf + done, n - done < PIPE_BUF ? n - done : PIPE_BUF);
			if (w > 0) {
				done += (size_t)w;
			} else if (w < 0 && errno != EINTR && errno != EAGAIN) {
				r->out_errno = errno;
				r->out_gone = true;
				r->exiting = true; /* nowhere to write: tracing stops */
			}
		}
	}
	r->out_lost += n - done;
	return (ssize_t)n; /* what was not written is counted, not retried by stdio */
}

FILE *rt_out_open(struct rt *r, int fd)
{
	cookie_io_functions_t io = {.write = rt_out_write};
	FILE *f = fopencookie(r, "w", io);

	r->out_fd = fd;
	if (f && setvbuf(f, NULL, isatty(fd) ? _IOLBF : _IOFBF, BUFSIZ)) {
		fclose(f);
		f = NULL;
	}
	return f;
}
