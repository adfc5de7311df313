/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tt.h - helpers shared by the sdp_toa test programs (tests/progs).
 *
 * util.c: messages, errno names, number parsing, files, the data pattern
 * addr.c: "a.b.c.d:port" / "[v6]:port" parsing and printing, sockaddrs
 * toa.c:  SDP_TOA_SO_SET/GET wrappers, /proc/net/sdp_toa_stats, privileges,
 *         socket family, TCP_MD5SIG keys
 *
 * Everything dies with "prog: message" on stderr and exit status 1 where it
 * says die; the rest returns -errno.
 */
#ifndef TT_H
#define TT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define TT_ADDRSTRLEN	64	/* "[ffff:...:255.255.255.255]:65535" */

/* ---- util.c ---------------------------------------------------------- */
extern const char *tt_prog;
void tt_set_prog(const char *argv0);
void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* die with ": strerror (ENAME)" appended, from errno */
void die_errno(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "ENOPROTOOPT"; "E123" for numbers it does not know */
const char *tt_errno_name(int err);
/* Name ("ECONNREFUSED") or number ("111"); -1 if neither. */
int tt_errno_parse(const char *s);
/* Comma separated list of errno names/numbers; returns how many (<= max). */
int tt_errno_list(const char *s, int *out, int max);
/* "strerror (ENAME)" in a static buffer */
const char *tt_errstr(int err);

long long tt_parse_num(const char *s, long long min, long long max,
		       const char *what);	/* accepts k/K, m/M, g/G */
double tt_parse_secs(const char *s, const char *what);
void tt_sleep(double secs);
double tt_now(void);			/* CLOCK_MONOTONIC seconds */

/*
 * After @secs (none if <= 0), exit 1 with "prog: CONTEXT: timed out after
 * SECS s" on stderr; arming again restarts the clock. @context (or NULL)
 * runs in the SIGALRM handler and only formats what the program was doing
 * into its buffer.
 */
typedef void (*tt_timeout_context)(char *buf, size_t n);
void tt_arm_timeout(double secs, tt_timeout_context context);

/* Create (or truncate) @path holding @text; dies on error. */
void tt_touch(const char *path, const char *text);
/* Wait until @path exists; false after @timeout seconds (0 = forever). */
bool tt_wait_file(const char *path, double timeout);

/* The byte at stream offset @off of every transfer: catches loss/reorder. */
static inline uint8_t tt_pattern(uint64_t off)
{
	return (uint8_t)(off % 251);
}
void tt_fill(uint8_t *buf, size_t len, uint64_t off);
/* Index of the first byte not matching the pattern, or -1. */
long tt_check(const uint8_t *buf, size_t len, uint64_t off);

/* ---- addr.c ---------------------------------------------------------- */
/*
 * "a.b.c.d:port", "[v6]:port", and without port ("a.b.c.d", "v6",
 * "[v6]") when @port_required is false (port 0 then). Returns 0 or -EINVAL.
 */
int tt_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		  bool port_required);
/* Same, dies with a message naming @what on error. */
socklen_t tt_addr_parse_or_die(const char *s, struct sockaddr_storage *ss,
			       bool port_required, const char *what);
/* "a.b.c.d:port", "[v6]:port", "AF_UNSPEC", "family=N" */
const char *tt_addr_str(const struct sockaddr *sa, char *buf, size_t n);
/* address only: "a.b.c.d", "v6" */
const char *tt_ip_str(const struct sockaddr *sa, char *buf, size_t n);
socklen_t tt_sockaddr_len(int family);
/* IPv4 sockaddr -> IPv6 ::ffff:a.b.c.d (IPv6 is copied as is). */
socklen_t tt_to_v6(const struct sockaddr *in, struct sockaddr_in6 *out);
uint16_t tt_addr_port(const struct sockaddr *sa);
void tt_addr_set_port(struct sockaddr *sa, uint16_t port);
bool tt_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* ---- toa.c ----------------------------------------------------------- */
/* SO_DOMAIN of @fd (AF_INET / AF_INET6), dies on error */
int tt_sock_family(int fd);
/* TCP_MD5SIG @key for @peer (port ignored; IPv4 mapped on an IPv6 @fd) */
void tt_md5_key(int fd, const struct sockaddr *peer, const char *key);
/* the level SDP_TOA_SO_* uses on @fd: IPPROTO_IP or IPPROTO_IPV6 */
int tt_toa_level(int fd);
/* 0 or -errno. */
int tt_toa_set(int fd, const void *val, socklen_t len);
int tt_toa_clear(int fd);
/* 0 with out and len filled, or -errno; len is the buffer size on entry */
int tt_toa_get(int fd, struct sockaddr_storage *out, socklen_t *len);
/* " - is the sdp_toa module loaded?" for ENOPROTOOPT, else "" */
const char *tt_toa_hint(int err);
/* sdp_toa_recv's SDP_TOA_SO_GET_NAT64 on @fd as a sockaddr_in6: 0 or -errno */
int tt_nat64_peer(int fd, struct sockaddr_in6 *out);

/* /proc/net/sdp_toa_stats as seen from the initial network namespace */
#define TT_STATS_INIT_PATH	"/proc/1/net/sdp_toa_stats"

#define TT_NSTATS	8
extern const char *const tt_stat_names[TT_NSTATS];
struct tt_stats {
	long long v[TT_NSTATS];
	int nfound;		/* how many of the 8 names were present */
	int nextra;		/* lines with other names */
};
/* 0, or -errno (-ENOENT: module not loaded). Works from any netns. */
int tt_stats_read(struct tt_stats *st);
int tt_stat_index(const char *name);	/* -1 if unknown */
long long tt_stat(const struct tt_stats *st, const char *name);

/*
 * Drop root: "uid:gid" plus optional comma separated supplementary
 * groups ("" or NULL = none). Dies on error.
 */
void tt_drop_privs(const char *uidgid, const char *groups);

#endif /* TT_H */
