// SPDX-License-Identifier: GPL-2.0
/*
 * libsdp_toa_transparent.so - a proxy's transparent source becomes a TOA tag.
 *
 * LD_PRELOAD'ed into an unmodified proxy (HAProxy "source 0.0.0.0 usesrc
 * clientip", nginx "proxy_bind $remote_addr transparent;", Envoy's
 * original_src), on TCP sockets only:
 *
 *   setsockopt(fd, IP/IPV6, IP[V6]_TRANSPARENT or IP[V6]_FREEBIND, 1)
 *       is remembered for fd and not applied (no CAP_NET_ADMIN needed);
 *   bind(fd, client) on such a socket, when the kernel refuses it as a
 *       plain bind (EADDRNOTAVAIL: not a local address; EAFNOSUPPORT or
 *       EINVAL: the other family, as for an IPv6 client on an IPv4
 *       upstream), becomes
 *         setsockopt(fd, ..., SDP_TOA_SO_SET, client)   (the TOA tag)
 *         bind(fd, local source)     (only if one is configured; else the
 *                                     socket binds at connect() as usual)
 *       and returns 0: connect() goes out from the load balancer's own
 *       address and the backend sees the client through its receiver.
 *
 * Everything else goes straight to libc: other sockets, other options, a
 * bind to a local address, listeners. No allocation, no lock: one byte of
 * state per fd, written with atomics. The configuration is read once, when
 * the library is loaded (see sdp_toa_transparent.8).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tp_config.h"

/* Per-fd state, one byte each; fds beyond the table pass through. */
#define TP_FDS		65536
#define TP_WANT		0x01	/* a transparent option was set (and kept) */

static unsigned char tp_state[TP_FDS];

static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_close)(int);
static int (*real_socket)(int, int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);

static struct tp_config cfg;

static void tp_resolve(void)
{
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_bind = dlsym(RTLD_NEXT, "bind");
	real_close = dlsym(RTLD_NEXT, "close");
	real_socket = dlsym(RTLD_NEXT, "socket");
	real_accept = dlsym(RTLD_NEXT, "accept");
	real_accept4 = dlsym(RTLD_NEXT, "accept4");
	real_dup = dlsym(RTLD_NEXT, "dup");
	real_dup2 = dlsym(RTLD_NEXT, "dup2");
	real_dup3 = dlsym(RTLD_NEXT, "dup3");
}

__attribute__((constructor)) static void tp_init(void)
{
	char err[256];

	tp_resolve();
	if (tp_config_load(&cfg, err, sizeof(err)) < 0) {
		/* a bad configuration keeps the safe defaults, said once */
		tp_log_always("%s; using the defaults", err);
		tp_config_defaults(&cfg);
	}
}

/* ---- logging: async-signal-safe (write(2) only), once per kind -------- */

static unsigned int tp_logged;	/* bits: what was said already */

void tp_log_always(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "libsdp_toa_transparent[%d]: ",
		     (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere else to say it */
	}
}

/* Say it once per @bit for the life of the process (fork: per process). */
static void tp_log_once(unsigned int bit, const char *what, int err)
{
	if (!cfg.log || (__atomic_fetch_or(&tp_logged, bit, __ATOMIC_RELAXED) &
			 bit))
		return;
	tp_log_always("%s: %s (said once)", what, strerror(err));
}

enum {
	TP_LOG_NOMOD = 1 << 0,	/* ENOPROTOOPT: module not loaded */
	TP_LOG_PERM = 1 << 1,	/* EPERM: allowed_gid / CAP_NET_ADMIN */
	TP_LOG_OTHER = 1 << 2,
	TP_LOG_BIGFD = 1 << 3,
	TP_LOG_LOCAL = 1 << 4,	/* the local source bind failed */
};

/* ---- per-fd state ------------------------------------------------------- */

static void tp_set(int fd, unsigned char v)
{
	if (fd >= 0 && fd < TP_FDS)
		__atomic_store_n(&tp_state[fd], v, __ATOMIC_RELAXED);
}

static unsigned char tp_get(int fd)
{
	if (fd < 0 || fd >= TP_FDS)
		return 0;
	return __atomic_load_n(&tp_state[fd], __ATOMIC_RELAXED);
}

static bool tp_is_tcp(int fd)
{
	int type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) || type != SOCK_STREAM)
		return false;
	l = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l))
		return false;
	return proto == IPPROTO_TCP || proto == 0;
}

static int tp_family(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return -1;
	return ss.ss_family;
}

static bool tp_transparent_opt(int level, int name)
{
	if (level == SOL_IP)
		return name == IP_TRANSPARENT || name == IP_FREEBIND;
	if (level == SOL_IPV6)
		return name == IPV6_TRANSPARENT || name == IPV6_FREEBIND;
	return false;
}

/* ---- the interposed calls ----------------------------------------------- */

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int on;

	if (!real_setsockopt)
		tp_resolve();
	if (!tp_transparent_opt(level, name) || !val || len < sizeof(int))
		return real_setsockopt(fd, level, name, val, len);
	if (!tp_is_tcp(fd))
		return real_setsockopt(fd, level, name, val, len);
	if (fd >= TP_FDS) {
		tp_log_once(TP_LOG_BIGFD, "fd beyond the table: transparent option applied as is",
			    EMFILE);
		return real_setsockopt(fd, level, name, val, len);
	}
	memcpy(&on, val, sizeof(on));
	tp_set(fd, on ? TP_WANT : 0);
	return 0;
}

/* The tag failed with @err: the policy says whether bind() fails too. */
static int tp_tag_failed(int err)
{
	if (err == ENOPROTOOPT)
		tp_log_once(TP_LOG_NOMOD,
			    "SDP_TOA_SO_SET failed, is sdp_toa loaded? connecting without TOA",
			    err);
	else if (err == EPERM)
		tp_log_once(TP_LOG_PERM,
			    "SDP_TOA_SO_SET refused (allowed_gid or CAP_NET_ADMIN); connecting without TOA",
			    err);
	else
		tp_log_once(TP_LOG_OTHER, "SDP_TOA_SO_SET failed; connecting without TOA",
			    err);
	if (cfg.policy == TP_POLICY_FAIL) {
		errno = err;
		return -1;
	}
	return 0;
}

static int tp_bind_local(int fd, int family)
{
	const struct sockaddr_storage *src = family == AF_INET6 ?
					     &cfg.source6 : &cfg.source4;
	socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);

	if (!cfg.have_source[family == AF_INET6])
		return 0;	/* the kernel binds at connect() */
	if (real_bind(fd, (const struct sockaddr *)src, len) == 0)
		return 0;
	tp_log_once(TP_LOG_LOCAL, "bind to the configured local source failed",
		    errno);
	return -1;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int family, level;

	if (!real_bind)
		tp_resolve();
	if (!(tp_get(fd) & TP_WANT) || !addr ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return real_bind(fd, addr, len);
	family = tp_family(fd);
	if (family != AF_INET && family != AF_INET6)
		return real_bind(fd, addr, len);
	/*
	 * Same family: try it as a plain bind first; a local address (the
	 * proxy's own) binds, a client's fails with EADDRNOTAVAIL. The other
	 * family (an IPv6 client on an IPv4 upstream) never binds: that is
	 * what transparent mode cannot do, and a TOA can.
	 */
	if (addr->sa_family == family) {
		int ret = real_bind(fd, addr, len);

		if (ret == 0 || errno != EADDRNOTAVAIL)
			return ret;
	}
	level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	if (real_setsockopt(fd, level, SDP_TOA_SO_SET, addr, len) < 0 &&
	    tp_tag_failed(errno) < 0)
		return -1;
	return tp_bind_local(fd, family);
}

int close(int fd)
{
	if (!real_close)
		tp_resolve();
	tp_set(fd, 0);
	return real_close(fd);
}

int socket(int domain, int type, int proto)
{
	int fd;

	if (!real_socket)
		tp_resolve();
	fd = real_socket(domain, type, proto);
	tp_set(fd, 0);	/* a reused fd number starts clean */
	return fd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int nfd;

	if (!real_accept)
		tp_resolve();
	nfd = real_accept(fd, addr, len);
	tp_set(nfd, 0);
	return nfd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int nfd;

	if (!real_accept4)
		tp_resolve();
	nfd = real_accept4(fd, addr, len, flags);
	tp_set(nfd, 0);
	return nfd;
}

int dup(int fd)
{
	int nfd;

	if (!real_dup)
		tp_resolve();
	nfd = real_dup(fd);
	tp_set(nfd, tp_get(fd));
	return nfd;
}

int dup2(int fd, int nfd)
{
	int ret;

	if (!real_dup2)
		tp_resolve();
	ret = real_dup2(fd, nfd);
	if (ret >= 0)
		tp_set(ret, tp_get(fd));
	return ret;
}

int dup3(int fd, int nfd, int flags)
{
	int ret;

	if (!real_dup3)
		tp_resolve();
	ret = real_dup3(fd, nfd, flags);
	if (ret >= 0)
		tp_set(ret, tp_get(fd));
	return ret;
}
