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
 * stall: SERVE_MAX_CONN connections in all (more are refused at once), SERVE_TIMEOUT s
 * of inactivity, SERVE_MEM bytes per connection for the request (a larger request line
 * or header gets 431/414 and is closed).
 *
 * Slow or idle clients cannot starve a scraper (a slowloris trickling header lines resets
 * the inactivity timeout, and a per-address limit would let one local user take the
 * whole loopback): a connection waiting for a complete request (a new one, or a kept-
 * alive one between requests) is "pending"; each new connection first closes the pending
 * ones older than SERVE_HEADER_DEADLINE s, then the oldest pending ones beyond
 * SERVE_MAX_PENDING. A connection that has sent its request does not count against that
 * budget and is never closed for it; a new one always gets in (SERVE_MAX_CONN is well
 * above the budget) and keeps its place until SERVE_MAX_PENDING newer ones have come.
 * Closing is shutdown() on the socket under s->conn_lock, which MHD's CLOSED
 * notification (it comes before MHD closes the fd) also takes: the fd is still the
 * connection's. */
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
#include <time.h>

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
	__typeof__(MHD_get_connection_info) *get_connection_info;
} mhd;

static int serve_open_mhd(void)
{
#define SERVE_SYM(f)                       \
	{                                  \
		"MHD_" #f, (void **)&mhd.f \
	}
	const struct {
		const char *name;
		void **fn;
	} syms[] = {
		SERVE_SYM(start_daemon),
		SERVE_SYM(stop_daemon),
		SERVE_SYM(get_daemon_info),
		SERVE_SYM(create_response_from_buffer),
		SERVE_SYM(add_response_header),
		SERVE_SYM(queue_response),
		SERVE_SYM(destroy_response),
		SERVE_SYM(get_connection_info),
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
#define SERVE_MAX_CONN 512
#define SERVE_MAX_PENDING 256   /* connections without a complete request */
#define SERVE_HEADER_DEADLINE 3 /* seconds from connect (or the last answer) to a request */
#define SERVE_TIMEOUT 10        /* seconds */
#define SERVE_MEM (32u << 10)   /* bytes per connection for the request */
#define SERVE_PATH "/metrics"
#define SERVE_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* one per connection (its MHD socket context), in s->conns, oldest pending first */
struct serve_conn {
	struct serve_conn *prev, *next;
	int fd;
	bool pending, closing;
	double since; /* CLOCK_MONOTONIC s: connected, or answered last */
};

struct serve {
	struct MHD_Daemon *d;
	struct prom *p;
	pthread_mutex_t lock;
	pthread_mutex_t conn_lock; /* conns, npending */
	struct serve_conn conns;   /* list head */
	unsigned npending;
	bool verbose;
};

static double serve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void serve_unlink(struct serve_conn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
}

static void serve_append(struct serve *s, struct serve_conn *c)
{
	c->prev = s->conns.prev;
	c->next = &s->conns;
	c->prev->next = c;
	s->conns.prev = c;
}

/* under conn_lock: c waits for a request (again) from now on */
static void serve_set_pending(struct serve *s, struct serve_conn *c, bool pending)
{
	if (c->closing || c->pending == pending)
		return;
	c->pending = pending;
	if (pending) {
		s->npending++;
		c->since = serve_now();
		serve_unlink(c);
		serve_append(s, c);
	} else {
		s->npending--;
	}
}

/* under conn_lock: closes the pending connections past the deadline, then the oldest
 * beyond the budget; keep is the new one */
static void serve_evict(struct serve *s, const struct serve_conn *keep)
{
	double old = serve_now() - SERVE_HEADER_DEADLINE;

	for (struct serve_conn *c = s->conns.next; c != &s->conns; c = c->next) {
		if (!c->pending || c == keep)
			continue;
		if (c->since > old && s->npending <= SERVE_MAX_PENDING)
			break;
		serve_set_pending(s, c, false);
		c->closing = true;
		shutdown(c->fd, SHUT_RDWR);
	}
}

static struct serve_conn *serve_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		mhd.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void serve_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode toe)
{
	struct serve *s = cls;
	struct serve_conn *c = *socket_context;
	const union MHD_ConnectionInfo *ci;

	switch (toe) {
	case MHD_CONNECTION_NOTIFY_STARTED:
		ci = mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(c = calloc(1, sizeof(*c))))
			return; /* untracked: only the inactivity timeout applies */
		c->fd = ci->connect_fd;
		pthread_mutex_lock(&s->conn_lock);
		serve_append(s, c);
		serve_set_pending(s, c, true);
		serve_evict(s, c);
		pthread_mutex_unlock(&s->conn_lock);
		*socket_context = c;
		break;
	case MHD_CONNECTION_NOTIFY_CLOSED:
		if (!c)
			return;
		pthread_mutex_lock(&s->conn_lock);
		serve_set_pending(s, c, false);
		serve_unlink(c);
		pthread_mutex_unlock(&s->conn_lock);
		free(c);
		*socket_context = NULL;
		break;
	}
}

/* a request has been answered (or failed): a kept-alive connection waits again */
static void serve_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	struct serve *s = cls;
	struct serve_conn *c = serve_conn_of(conn);

	(void)con_cls, (void)toe;
	if (!c)
		return;
	pthread_mutex_lock(&s->conn_lock);
	serve_set_pending(s, c, true);
	pthread_mutex_unlock(&s->conn_lock);
}

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
	struct serve_conn *c;
	MHD_RESULT ret;
	size_t len = 0;
	char *text;

	(void)version, (void)upload_data, (void)upload_size, (void)con_cls;
	c = serve_conn_of(conn); /* a complete request: out of the pending budget */
	if (c) {
		pthread_mutex_lock(&s->conn_lock);
		serve_set_pending(s, c, false);
		pthread_mutex_unlock(&s->conn_lock);
	}
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
	pthread_mutex_init(&s->conn_lock, NULL);
	s->conns.prev = s->conns.next = &s->conns;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the pool threads inherit this mask: signals stay with run.c's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->d = mhd.start_daemon(flags, (uint16_t)port, NULL, NULL, serve_answer, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_MAX_CONN,
				MHD_OPTION_NOTIFY_CONNECTION, serve_notify, s,
				MHD_OPTION_NOTIFY_COMPLETED, serve_completed, s,
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
		pthread_mutex_destroy(&s->conn_lock);
		prom_free(s->p);
	}
	free(s);
}
