// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libtoa_preload.so - tag every TCP connect() of an unmodified program with
 * one client address, through sdp_toa. A test tool, not a production path.
 *
 *   SDP_TOA_CLIENT=203.0.113.7:4242 LD_PRELOAD=/path/libtoa_preload.so prog
 *   SDP_TOA_CLIENT='[2001:db8:c::7]:4242' LD_PRELOAD=... prog
 *
 * Environment (read once, when the library is loaded):
 *   SDP_TOA_CLIENT   the address to send: a.b.c.d:PORT or [v6]:PORT.
 *                    Unset or empty: the shim does nothing.
 *   SDP_TOA_REQUIRE  "1": when tagging fails, connect() fails with the
 *                    tagging errno instead of going ahead untagged.
 *   SDP_TOA_VERBOSE  "1": one line on stderr per tagged connect().
 * Failures are reported on stderr once per errno value.
 *
 * Before connect() passes through to libc, a socket that is TCP and whose
 * destination is AF_INET or AF_INET6 gets setsockopt(SDP_TOA_SO_SET) at
 * IPPROTO_IP (AF_INET socket) or IPPROTO_IPV6 (AF_INET6 socket).
 *
 * Limits (why this is for tests and demos, and a real proxy calls
 * setsockopt itself, see toa_proxy.c and docs/INTEGRATION.md):
 *  - one address for every connection of the process: the shim cannot know
 *    which client a connection is for; every TCP connect() is tagged,
 *    including ones that have nothing to do with a client (a database, DNS
 *    over TCP through a library's own resolver, a health check);
 *  - only calls that go through the dynamic symbol connect(): statically
 *    linked programs, Go programs and anything else that makes its own
 *    system calls (syscall(SYS_connect), io_uring IORING_OP_CONNECT) are
 *    not seen, nor is libc calling its internal connect (its resolver);
 *  - TCP Fast Open with sendto(MSG_FASTOPEN) connects without connect():
 *    not tagged (TCP_FASTOPEN_CONNECT goes through connect() and is);
 *  - the dynamic loader ignores LD_PRELOAD for set-user-ID and file
 *    capability programs (secure-execution mode), which is exactly how a
 *    non-root program would get CAP_NET_ADMIN: grant the tagging right
 *    with the module's allowed_gid instead, or run it as root;
 *  - a second connect() on the same socket (non-blocking programs poll
 *    with it) tags again with the same address, which is harmless;
 *  - the module must be loaded (else ENOPROTOOPT) and the process needs
 *    CAP_NET_ADMIN or membership of allowed_gid (else EPERM).
 *
 * Build: cc -O2 -Wall -Wextra -I.. -fPIC -shared -o libtoa_preload.so \
 *        toa_preload.c -ldl
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdp_toa.h"

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static connect_fn real_connect;
static struct sockaddr_storage toa_client;
static socklen_t toa_client_len;	/* 0: nothing to tag with */
static bool toa_require, toa_verbose;
static uint64_t toa_logged[4];		/* errno values already reported */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	/* one write(2): stdio may not be usable (or wanted) inside connect() */
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(2, line, (size_t)n < sizeof(line) ? (size_t)n :
			   sizeof(line) - 1) < 0)
		return;
}

static int parse_client(const char *s)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&toa_client;
	struct sockaddr_in *sin = (struct sockaddr_in *)&toa_client;
	char host[INET6_ADDRSTRLEN];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -1;
		h = s + 1;
		hl = colon - h;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535)
		return -1;

	memset(&toa_client, 0, sizeof(toa_client));
	if (s[0] == '[') {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		toa_client_len = sizeof(*sin6);
	} else {
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		toa_client_len = sizeof(*sin);
	}
	return 0;
}

__attribute__((constructor))
static void toa_preload_init(void)
{
	const char *s = getenv("SDP_TOA_CLIENT");

	real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
	if (!s || !*s)
		return;
	if (parse_client(s) < 0) {
		toa_client_len = 0;
		say("libtoa_preload: SDP_TOA_CLIENT=%s: want a.b.c.d:PORT or [v6]:PORT; not tagging\n",
		    s);
		return;
	}
	s = getenv("SDP_TOA_REQUIRE");
	toa_require = s && !strcmp(s, "1");
	s = getenv("SDP_TOA_VERBOSE");
	toa_verbose = s && !strcmp(s, "1");
}

static const char *hint(int err)
{
	switch (err) {
	case ENOPROTOOPT:
		return "is the sdp_toa module loaded?";
	case EPERM:
		return "needs CAP_NET_ADMIN or the group allowed_gid";
	}
	return "";
}

static void report_once(int err)
{
	unsigned int w = (unsigned int)err / 64 % 4;
	uint64_t bit = 1ULL << ((unsigned int)err % 64);

	if (__atomic_fetch_or(&toa_logged[w], bit, __ATOMIC_RELAXED) & bit)
		return;
	say("libtoa_preload: SDP_TOA_SO_SET: %s; %s (reported once)\n",
	    strerror(err), hint(err));
}

/* Tag @fd if it is a TCP socket about to connect to an IP address. */
static int toa_tag(int fd, const struct sockaddr *dst)
{
	int domain, type, proto;
	socklen_t l;

	if (dst->sa_family != AF_INET && dst->sa_family != AF_INET6)
		return 0;	/* AF_UNIX, AF_UNSPEC (disconnect), ... */
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0)
		return 0;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    type != SOCK_STREAM)
		return 0;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0 ||
	    proto != IPPROTO_TCP)
		return 0;	/* SCTP, MPTCP: not ours */
	if (domain != AF_INET && domain != AF_INET6)
		return 0;

	if (setsockopt(fd, domain == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       SDP_TOA_SO_SET, &toa_client, toa_client_len) < 0)
		return errno;
	if (toa_verbose)
		say("libtoa_preload: fd %d tagged with %s\n", fd,
		    getenv("SDP_TOA_CLIENT"));
	return 0;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int saved = errno, err;

	if (!real_connect) {
		real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
		if (!real_connect) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (toa_client_len && addr && len >= sizeof(sa_family_t)) {
		err = toa_tag(fd, addr);
		if (err) {
			report_once(err);
			if (toa_require) {
				errno = err;
				return -1;
			}
		}
		errno = saved;	/* the caller sees connect()'s errno only */
	}
	return real_connect(fd, addr, len);
}
