/* serve.c - --serve: an HTTP endpoint (libmicrohttpd) that answers GET /metrics with
 * the maps in the Prometheus text format (prom.c), read from the kernel on each scrape.
 *
 * Threads: MHD runs a small pool of its own threads (epoll); the answer to a scrape is
 * built on one of them under a mutex (one readout at a time: prom_render remembers
 * histogram ranges). The tracing loop in run.c never waits for it, and reading the maps
 * only needs the map fds, which do not change while serving. The pool threads start
 * with every signal blocked, so SIGINT / SIGTERM keep going to run.c's signalfd.
 *
 * Limits, so that many connections or huge requests get errors and never a crash or a
 * stall: SERVE_MAX_CONN connections in all, SERVE_MAX_PER_IP per client address (more
 * are refused at once), SERVE_TIMEOUT s of inactivity, SERVE_MEM bytes per connection
 * for the request (a larger request line or header gets 431/414 and is closed). */
#define _GNU_SOURCE
#include "serve.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "prom.h"
#include "rt.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* libmicrohttpd is opened when --serve asks for it, not linked: it brings GnuTLS, whose
 * initialisation (ASN.1 trees, run in every process that links it) was about a third of
 * the user-space time of a plain `nfsq --version` (bench/SUMMARY.md). */
#define SERVE_MHD_LIB "libmicrohttpd.so.12"
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static int serve_open_mhd(void)
{
#define SERVE_SYM(f) {"MHD_" #f, (void **)&mhd.f}
	const struct { const char *name; void **fn; } syms[] = {
		SERVE_SYM(start_daemon), SERVE_SYM(stop_daemon), SERVE_SYM(get_daemon_info),
		SERVE_SYM(create_response_from_buffer), SERVE_SYM(add_response_header),
		SERVE_SYM(queue_response), SERVE_SYM(destroy_response),
	};
#undef SERVE_SYM
	void *h;

	if (mhd.start_daemon)
		return 0;
	h = dlopen(SERVE_MHD_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "nfsq: --serve needs libmicrohttpd (apt install libmicrohttpd12): %s\n",
			dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
			fprintf(stderr, "nfsq: --serve: %s has no %s (libmicrohttpd 0.9.71 or later is needed)\n",
				SERVE_MHD_LIB, syms[i].name);
			memset(&mhd, 0, sizeof(mhd));
			dlclose(h);
			return -1;
		}
	}
	return 0;
}

#define SERVE_THREADS 2
#define SERVE_MAX_CONN 64
#define SERVE_MAX_PER_IP 16
#define SERVE_TIMEOUT 10          /* seconds */
#define SERVE_MEM (32u << 10)     /* bytes per connection for the request */
#define SERVE_PATH "/metrics"
#define SERVE_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct serve {
	struct MHD_Daemon *d;
	struct prom *p;
	pthread_mutex_t lock;
	bool verbose;
};

static void serve_log(void *cls, const char *fmt, va_list ap)
{
	const struct serve *s = cls;

	if (!s->verbose)
		return;
	fputs("nfsq: --serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static MHD_RESULT serve_reply(struct MHD_Connection *conn, unsigned code, const char *text,
			      const char *allow)
{
	struct MHD_Response *resp =
		mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	MHD_RESULT ret;

	if (!resp)
		return MHD_NO;
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = mhd.queue_response(conn, code, resp);
	mhd.destroy_response(resp);
	return ret;
}

static MHD_RESULT serve_answer(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_size, void **con_cls)
{
	struct serve *s = cls;
	struct MHD_Response *resp;
	MHD_RESULT ret;
	size_t len = 0;
	char *text;

	(void)version, (void)upload_data, (void)upload_size, (void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return serve_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed: use GET\n",
				   "GET, HEAD");
	if (strcmp(url, SERVE_PATH))
		return serve_reply(conn, MHD_HTTP_NOT_FOUND, "404 not found: the metrics are at " SERVE_PATH "\n",
				   NULL);
	pthread_mutex_lock(&s->lock);
	text = prom_render(s->p, &len);
	pthread_mutex_unlock(&s->lock);
	if (!text)
		return serve_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n", NULL);
	resp = mhd.create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SERVE_CONTENT_TYPE);
	ret = mhd.queue_response(conn, MHD_HTTP_OK, resp);
	mhd.destroy_response(resp);
	return ret;
}

/* Splits "[ADDR:]PORT": the address (or the default) into host, the port into *port;
 * *v6 for a bracketed address. -1 if malformed. */
static int serve_split(const char *spec, char *host, size_t hostlen, long *port, bool *v6)
{
	const char *colon, *p;
	char *end;

	*v6 = false;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(close - spec - 1), spec + 1);
		*v6 = true;
		p = close + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		if (strchr(spec, ':') != colon) /* an IPv6 address needs brackets */
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
		if (!host[0])
			snprintf(host, hostlen, "0.0.0.0");
		p = colon + 1;
	} else {
		snprintf(host, hostlen, "127.0.0.1");
		p = spec;
	}
	errno = 0;
	*port = strtol(p, &end, 10);
	if (!*p || *end || errno || *port < 0 || *port > 65535 || !host[0])
		return -1;
	return 0;
}

bool serve_addr_ok(const char *spec)
{
	char host[256];
	long port;
	bool v6;

	if (serve_split(spec, host, sizeof(host), &port, &v6) == 0)
		return true;
	fprintf(stderr, "nfsq: --serve takes [ADDR:]PORT (e.g. 9464, 0.0.0.0:9464, [::1]:9464), not '%s'\n",
		spec);
	return false;
}

/* "[ADDR:]PORT" into *ss; the address as given (or the default) in host. */
static int serve_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
		       char *host, size_t hostlen, long *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	bool v6;
	int err;

	if (serve_split(spec, host, hostlen, port, &v6))
		return -1;
	if (v6) {
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_NUMERICHOST;
	}
	err = getaddrinfo(host, NULL, &hints, &res);
	if (err) {
		fprintf(stderr, "nfsq: --serve %s: cannot resolve '%s': %s\n", spec, host, gai_strerror(err));
		return -2;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)*port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)*port);
	freeaddrinfo(res);
	return 0;
}

struct serve *serve_start(struct rt *r, const char *addr)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	char host[256];
	long port = 0;
	sigset_t all, old;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int err;
	const union MHD_DaemonInfo *info;

	if (!s)
		return NULL;
	if (serve_open_mhd()) {
		free(s);
		return NULL;
	}
	s->verbose = r->o->verbose > 0;
	err = serve_parse(addr, &ss, &sslen, host, sizeof(host), &port);
	if (err) {
		if (err == -1)
			serve_addr_ok(addr);
		free(s);
		return NULL;
	}
	s->p = prom_new(r);
	if (!s->p) {
		fprintf(stderr, "nfsq: --serve: out of memory\n");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the pool threads inherit this mask: signals stay with run.c's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->d = mhd.start_daemon(flags, (uint16_t)port, NULL, NULL, serve_answer, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_MAX_CONN,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVE_MAX_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_TIMEOUT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_MEM,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)SERVE_MAX_CONN,
				MHD_OPTION_EXTERNAL_LOGGER, serve_log, s,
				MHD_OPTION_END);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->d) {
		fprintf(stderr, "nfsq: --serve %s: cannot listen on %s port %ld%s%s\n", addr, host, port,
			err ? ": " : "", err ? strerror(err) : "");
		serve_stop(s);
		return NULL;
	}
	info = mhd.get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		port = info->port;
	fprintf(stderr, "Serving metrics at http://%s%s%s:%ld%s\n", ss.ss_family == AF_INET6 ? "[" : "",
		host, ss.ss_family == AF_INET6 ? "]" : "", port, SERVE_PATH);
	return s;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	if (s->d)
		mhd.stop_daemon(s->d);
	if (s->p) {
		pthread_mutex_destroy(&s->lock);
		prom_free(s->p);
	}
	free(s);
}
