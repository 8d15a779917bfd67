/* serve.h - --serve [ADDR:]PORT: the maps at http://ADDR:PORT/metrics in the
 * Prometheus text format, read from the kernel on each scrape (libmicrohttpd). */
#ifndef NFSQ_SERVE_H
#define NFSQ_SERVE_H

#include <stdbool.h>

struct rt;
struct serve;

/* Starts serving r's maps on addr ("[ADDR:]PORT", ADDR 127.0.0.1 by default; ":PORT"
 * all IPv4 addresses; "[::1]:PORT" IPv6). Announces the URL on stderr, also under -q:
 * with port 0 that line is the only way to learn the port.
 * NULL after a one-line message when the address is bad or cannot be bound. */
struct serve *serve_start(struct rt *r, const char *addr);
/* Whether spec is "[ADDR:]PORT" (the syntax only); a one-line message if not. */
bool serve_addr_ok(const char *spec);
/* Stops serving: waits for scrapes in progress, closes the socket. NULL is fine. */
void serve_stop(struct serve *s);

#endif
