// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * toa_proxy - a small L4 TCP proxy that tells its backends who the client
 * is, through sdp_toa. It is the reference integration of sdp_toa.h: the
 * part that matters is upstream_open(); the rest is an ordinary proxy.
 *
 *   toa_proxy -l [ADDR:]PORT [-l ...] -u ADDR:PORT [-v] [--no-tag]
 *             [--require-tag] [--max-conns N] [--buffer BYTES] [--ready FILE]
 *
 * For every client it accepts, it opens a connection to the upstream and
 * tags that socket with the client's address, exactly as accept() returned
 * it (an IPv4 client on a dual-stack listener is ::ffff:a.b.c.d), after
 * socket() and before the non-blocking connect(). sdp_toa then carries the
 * address in a TCP option on the upstream connection.
 *
 * When tagging fails (ENOPROTOOPT: module not loaded; EPERM: no
 * CAP_NET_ADMIN and not in allowed_gid; ...) it says so once per errno and
 * proxies the client untagged, or with --require-tag resets the client.
 *
 * The proxy:
 *  - one thread, epoll, edge-triggered, every socket non-blocking;
 *  - IPv4 and IPv6 listeners ([::] listeners are dual-stack) and upstreams;
 *  - per connection two buffers of --buffer bytes, one per direction; it
 *    stops reading a side while the buffer towards the other is full, so a
 *    slow reader slows its writer down (TCP flow control end to end);
 *  - half-close: a FIN from one side becomes shutdown(SHUT_WR) on the other
 *    once that direction's buffer is flushed; the connection is closed when
 *    both directions have ended this way;
 *  - failures: when a side fails (reset, error, refused connect), the other
 *    side is reset (SO_LINGER 0), so neither peer mistakes an aborted relay
 *    for a complete one. An upstream that refuses thus resets its client;
 *  - SIGINT/SIGTERM: close everything, print totals, exit 0.
 *
 * -v logs one line per connection when it opens and one when it ends:
 *   conn=N open client=ADDR:PORT upstream=ADDR:PORT local=ADDR:PORT tag=...
 *   conn=N close up=BYTES down=BYTES
 *   conn=N abort side=client|upstream err=ENAME up=BYTES down=BYTES
 * or, when no upstream connection could be started (--require-tag, socket
 * or connect() failing at once), conn=N reset client=ADDR:PORT tag=...
 * local= is the proxy's end of the upstream connection (what the backend
 * sees as its peer); tag= the address sent in TOA, "off" (--no-tag) or
 * "none(ENAME)" (tagging failed).
 *
 * Build: cc -O2 -Wall -Wextra -I.. -o toa_proxy toa_proxy.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sdp_toa.h"

#define MAX_LISTENERS	8
#define MAX_EVENTS	256
#define PUMP_ROUNDS	16	/* read+write rounds per turn, for fairness */
#define ADDRSTRLEN	(INET6_ADDRSTRLEN + IF_NAMESIZE + 10)

enum side { CLIENT = 0, UPSTREAM = 1 };

static const char *const side_name[] = { "client", "upstream" };

struct conn;

/* One socket registered with epoll: a listener (conn == NULL) or one end. */
struct end {
	int fd;
	enum side side;
	struct conn *conn;
	/*
	 * Edge-triggered readiness: set by an epoll event, cleared when a
	 * call returns EAGAIN. A flag left set (because the buffer was full)
	 * is what brings the reader back once there is room again.
	 */
	bool readable, writable;
};

/* Bytes on their way to one side; filled from the other. */
struct pipe_buf {
	char *data;
	size_t start, end;		/* pending: data[start, end) */
	bool eof;			/* the source sent FIN */
	bool shut;			/* ...and it was passed on */
	unsigned long long bytes;	/* relayed in this direction */
};

struct conn {
	unsigned long id;
	struct end ep[2];		/* ep[CLIENT], ep[UPSTREAM] */
	struct pipe_buf to[2];		/* to[UPSTREAM]: client -> upstream */
	bool connecting;		/* upstream connect() in progress */
	bool dead;			/* closed; freed at the end of the turn */
	bool queued;			/* on the again list */
	struct conn *prev, *next;	/* all live connections */
	struct conn *again;		/* more to do, no event will say so */
	struct conn *reap;		/* to free at the end of the turn */
};

static struct {
	struct sockaddr_storage listen[MAX_LISTENERS];
	socklen_t listen_len[MAX_LISTENERS];
	int nlisten;
	struct sockaddr_storage upstream;
	socklen_t upstream_len;
	const char *ready;
	bool verbose, tag, require_tag;
	unsigned long max_conns;
	size_t bufsize;
} cfg = {
	.tag = true,
	.max_conns = 1024,
	.bufsize = 16384,
};

static struct {
	unsigned long long accepted, tagged, untagged, refused, upstream_failed,
			   aborted, closed, up, down;
	unsigned long live, peak;
} st;

static int epfd = -1;
static struct end listeners[MAX_LISTENERS];
static struct conn *conns;		/* live connections */
static struct conn *again_list, *reap_list;
static unsigned long next_id = 1;
static struct timespec accept_resume;	/* accept paused until (EMFILE...) */
static volatile sig_atomic_t stop;

/* ---- messages ------------------------------------------------------------ */

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("toa_proxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("toa_proxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* errno names for the log: shorter to grep for than strerror() texts. */
static const char *errname(int err)
{
	static char buf[16];

	switch (err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case EPIPE: return "EPIPE";
	case EPROTO: return "EPROTO";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETDOWN: return "ENETDOWN";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNABORTED: return "ECONNABORTED";
	case ECONNRESET: return "ECONNRESET";
	case ENOBUFS: return "ENOBUFS";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTDOWN: return "EHOSTDOWN";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	}
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* "a.b.c.d:port" or "[v6%scope]:port" */
static const char *addr_str(const struct sockaddr *sa, char *buf, size_t n)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_in *sin = (const void *)sa;
	char a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE + 1] = "";

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		if (sin6->sin6_scope_id) {
			ifn[0] = '%';
			if (!if_indextoname(sin6->sin6_scope_id, ifn + 1))
				snprintf(ifn, sizeof(ifn), "%%%u",
					 sin6->sin6_scope_id);
		}
		snprintf(buf, n, "[%s%s]:%u", a, ifn, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, n, "family=%d", sa->sa_family);
	}
	return buf;
}

/* ---- the sdp_toa integration ------------------------------------------------ */

/*
 * Tag upstream socket @fd (of @family) with the client's address, as
 * accept() returned it. Call it after socket() and before connect(), so
 * that the segment completing the handshake carries the option: that is
 * the one TOA receivers read. Returns 0 or an errno value.
 */
static int toa_tag(int fd, int family, const struct sockaddr *client,
		   socklen_t len)
{
	/* The level follows the upstream socket, not the client address. */
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;

	if (setsockopt(fd, level, SDP_TOA_SO_SET, client, len) < 0)
		return errno;
	return 0;
}

/* What a tagging errno means for whoever runs the proxy. */
static const char *toa_errno_hint(int err)
{
	switch (err) {
	case ENOPROTOOPT:
		return "the sdp_toa module is not loaded (modprobe sdp_toa)";
	case EPERM:
		return "this process lacks CAP_NET_ADMIN in its network namespace and is not in the group /sys/module/sdp_toa/parameters/allowed_gid";
	case ENOMEM:
		return "the kernel is out of memory";
	case EINVAL:
		return "the module refused the client address (unspecified address?)";
	case EAFNOSUPPORT:
		return "the client address is neither IPv4 nor IPv6";
	}
	return "unexpected error";
}

/* Log a tagging failure once per errno value: it repeats for every client. */
static void toa_fail_log(int err)
{
	static int seen[16];
	static unsigned int nseen;
	unsigned int i;

	for (i = 0; i < nseen; i++)
		if (seen[i] == err)
			return;
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = err;
	msg("SDP_TOA_SO_SET failed: %s (%s): %s; %s (logged once per error)",
	    strerror(err), errname(err), toa_errno_hint(err),
	    cfg.require_tag ? "resetting clients (--require-tag)" :
			      "upstream connections go untagged");
}

/* ---- sockets ---------------------------------------------------------------- */

static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* close() that sends RST instead of FIN and drops unsent data. */
static void close_reset(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* A proxy should not add Nagle delays of its own. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int epoll_add(struct end *e)
{
	struct epoll_event ev = {
		/*
		 * Registered once for everything, edge-triggered: the
		 * readable/writable flags keep the state, so there is no
		 * EPOLL_CTL_MOD per state change and no wakeup storm from
		 * a level-triggered EPOLLHUP nobody can act on yet.
		 */
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = e,
	};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, e->fd, &ev);
}

static bool accept_paused(void)
{
	struct timespec now;

	if (!accept_resume.tv_sec)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > accept_resume.tv_sec ||
	    (now.tv_sec == accept_resume.tv_sec &&
	     now.tv_nsec >= accept_resume.tv_nsec)) {
		accept_resume.tv_sec = 0;
		return false;
	}
	return true;
}

/* Out of descriptors or memory: stop accepting for 100 ms, not spin. */
static void accept_pause(int err)
{
	static time_t last_log;

	clock_gettime(CLOCK_MONOTONIC, &accept_resume);
	accept_resume.tv_nsec += 100 * 1000 * 1000;
	if (accept_resume.tv_nsec >= 1000000000) {
		accept_resume.tv_sec++;
		accept_resume.tv_nsec -= 1000000000;
	}
	if (accept_resume.tv_sec != last_log) {
		last_log = accept_resume.tv_sec;
		msg("accept: %s; pausing accepts for 100 ms", strerror(err));
	}
}

/* ---- connections ------------------------------------------------------------ */

static void conn_unlink(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->dead = true;
	st.up += c->to[UPSTREAM].bytes;
	st.down += c->to[CLIENT].bytes;
	c->reap = reap_list;
	reap_list = c;
	st.live--;
}

/* Both directions ended with a FIN: an orderly close. */
static void conn_close(struct conn *c)
{
	close(c->ep[CLIENT].fd);
	close(c->ep[UPSTREAM].fd);
	st.closed++;
	if (cfg.verbose)
		msg("conn=%lu close up=%llu down=%llu", c->id,
		    c->to[UPSTREAM].bytes, c->to[CLIENT].bytes);
	conn_unlink(c);
}

/*
 * Side @failed failed with @err (reset, error, refused connect): reset the
 * other side, so that its peer sees an abort and not a clean end of data.
 */
static void conn_abort(struct conn *c, enum side failed, int err)
{
	if (failed == UPSTREAM && c->connecting) {
		st.upstream_failed++;
		if (cfg.verbose)
			msg("conn=%lu upstream connect failed: %s", c->id,
			    strerror(err));
	}
	close(c->ep[failed].fd);
	close_reset(c->ep[!failed].fd);
	st.aborted++;
	if (cfg.verbose)
		msg("conn=%lu abort side=%s err=%s up=%llu down=%llu", c->id,
		    side_name[failed], errname(err), c->to[UPSTREAM].bytes,
		    c->to[CLIENT].bytes);
	conn_unlink(c);
}

/*
 * Move bytes towards side @dst: read from the other side into to[dst],
 * write from it to @dst, and pass a FIN on once everything before it has
 * been written. Returns 1 if anything moved, 0 if not, -1 if the
 * connection was aborted (and must not be touched again).
 */
static int relay(struct conn *c, enum side dst)
{
	struct end *in = &c->ep[!dst], *out = &c->ep[dst];
	struct pipe_buf *b = &c->to[dst];
	int moved = 0;
	ssize_t n;

	/* Nothing comes from, or goes to, an upstream still connecting. */
	if (c->connecting && dst == CLIENT)
		return 0;

	/* Read while there is room: no room, no read (the backpressure). */
	if (!b->eof && in->readable) {
		if (b->end == cfg.bufsize && b->start > 0) {
			memmove(b->data, b->data + b->start, b->end - b->start);
			b->end -= b->start;
			b->start = 0;
		}
		if (b->end < cfg.bufsize) {
			n = recv(in->fd, b->data + b->end,
				 cfg.bufsize - b->end, 0);
			if (n > 0) {
				b->end += n;
				moved = 1;
			} else if (n == 0) {
				b->eof = true;
				moved = 1;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				in->readable = false;
			} else if (errno != EINTR) {
				conn_abort(c, in->side, errno);
				return -1;
			}
		}
	}
	if (c->connecting)
		return moved;

	if (b->start < b->end && out->writable) {
		/* MSG_NOSIGNAL: a reset peer is an error, not a SIGPIPE. */
		n = send(out->fd, b->data + b->start, b->end - b->start,
			 MSG_NOSIGNAL);
		if (n > 0) {
			b->start += n;
			b->bytes += n;
			if (b->start == b->end)
				b->start = b->end = 0;
			moved = 1;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			out->writable = false;
		} else if (n < 0 && errno != EINTR) {
			conn_abort(c, out->side, errno);
			return -1;
		}
	}

	/* Half-close: the source is done and all its bytes are out. */
	if (b->eof && !b->shut && b->start == b->end) {
		if (shutdown(out->fd, SHUT_WR) < 0) {
			conn_abort(c, out->side, errno);
			return -1;
		}
		b->shut = true;
		moved = 1;
	}
	return moved;
}

static void again_add(struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->again = again_list;
	again_list = c;
}

/* Relay both ways until nothing moves; close when both directions ended. */
static void pump(struct conn *c)
{
	int rounds, r, moved;

	for (rounds = 0; rounds < PUMP_ROUNDS; rounds++) {
		moved = 0;
		for (r = 0; r < 2; r++) {
			int ret = relay(c, r ? CLIENT : UPSTREAM);

			if (ret < 0)
				return;
			moved |= ret;
		}
		if (!moved)
			break;
	}
	if (c->to[CLIENT].shut && c->to[UPSTREAM].shut) {
		conn_close(c);
		return;
	}
	/* Fair turns: a busy connection continues after the others. */
	if (rounds == PUMP_ROUNDS)
		again_add(c);
}

/* The upstream socket became writable or failed while connecting. */
static bool upstream_connected(struct conn *c)
{
	int err = sock_error(c->ep[UPSTREAM].fd);

	if (err) {
		conn_abort(c, UPSTREAM, err);
		return false;
	}
	c->connecting = false;
	return true;
}

static void on_event(struct end *e, uint32_t events)
{
	struct conn *c = e->conn;
	int err;

	if (events & EPOLLERR) {
		/*
		 * A reset or an ICMP error. Act now: the direction that would
		 * run into it may have nothing to do for a long time (a
		 * client that half-closed and then reset, say).
		 */
		err = sock_error(e->fd);
		if (err) {
			conn_abort(c, e->side, err);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		e->readable = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		e->writable = true;
	if (c->connecting && e->side == UPSTREAM && e->writable &&
	    !upstream_connected(c))
		return;
	pump(c);
}

/*
 * Open the upstream connection for a client: socket(), tag, connect().
 * Returns 0, or -1 after resetting the client.
 */
static int upstream_open(struct conn *c, const struct sockaddr *client,
			 socklen_t client_len, char *tag, size_t tagsz)
{
	int family = cfg.upstream.ss_family, fd, err;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0) {
		err = errno;
		msg("upstream socket: %s; resetting the client", strerror(err));
		/* Out of descriptors: let the next clients wait in the backlog. */
		if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
		    err == ENOMEM)
			accept_pause(err);
		return -1;
	}
	c->ep[UPSTREAM].fd = fd;

	/* The one sdp_toa call: after socket(), before connect(). */
	if (!cfg.tag) {
		snprintf(tag, tagsz, "off");
	} else {
		err = toa_tag(fd, family, client, client_len);
		if (err) {
			toa_fail_log(err);
			snprintf(tag, tagsz, "none(%s)", errname(err));
			if (cfg.require_tag) {
				st.refused++;
				close(fd);
				return -1;
			}
			st.untagged++;
		} else {
			addr_str(client, tag, tagsz);
			st.tagged++;
		}
	}
	set_nodelay(fd);

	if (connect(fd, (struct sockaddr *)&cfg.upstream,
		    cfg.upstream_len) == 0) {
		c->connecting = false;
	} else if (errno == EINPROGRESS) {
		c->connecting = true;
	} else {
		err = errno;
		st.upstream_failed++;
		if (cfg.verbose)
			msg("conn=%lu upstream connect failed: %s", c->id,
			    strerror(err));
		close(fd);
		return -1;
	}
	return 0;
}

static void conn_open(int cfd, const struct sockaddr *client,
		      socklen_t client_len)
{
	char cs[ADDRSTRLEN], us[ADDRSTRLEN], ls[ADDRSTRLEN] = "-";
	char tag[ADDRSTRLEN] = "-";
	struct sockaddr_storage local;
	socklen_t ll = sizeof(local);
	struct conn *c;
	int i;

	st.accepted++;
	c = calloc(1, sizeof(*c) + 2 * cfg.bufsize);
	if (!c) {
		msg("out of memory for a connection; resetting the client");
		close_reset(cfd);
		return;
	}
	c->id = next_id++;
	for (i = 0; i < 2; i++) {
		c->ep[i].side = i;
		c->ep[i].conn = c;
		c->to[i].data = (char *)(c + 1) + i * cfg.bufsize;
	}
	c->ep[CLIENT].fd = cfd;
	set_nodelay(cfd);

	if (upstream_open(c, client, client_len, tag, sizeof(tag)) < 0) {
		if (cfg.verbose)
			msg("conn=%lu reset client=%s tag=%s", c->id,
			    addr_str(client, cs, sizeof(cs)), tag);
		close_reset(cfd);
		free(c);
		return;
	}
	if (epoll_add(&c->ep[CLIENT]) < 0 || epoll_add(&c->ep[UPSTREAM]) < 0) {
		msg("epoll_ctl: %s; resetting the client", strerror(errno));
		close_reset(c->ep[UPSTREAM].fd);
		close_reset(cfd);
		free(c);
		return;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	if (++st.live > st.peak)
		st.peak = st.live;

	if (cfg.verbose) {
		/* connect() has bound the socket: this is the backend's peer */
		if (!getsockname(c->ep[UPSTREAM].fd, (struct sockaddr *)&local,
				 &ll))
			addr_str((struct sockaddr *)&local, ls, sizeof(ls));
		msg("conn=%lu open client=%s upstream=%s local=%s tag=%s",
		    c->id, addr_str(client, cs, sizeof(cs)),
		    addr_str((struct sockaddr *)&cfg.upstream, us, sizeof(us)),
		    ls, tag);
	}
	/* epoll reports the sockets' current state once they are added. */
}

/* Accept what is waiting, up to --max-conns live connections. */
static void accept_clients(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	for (i = 0; i < cfg.nlisten; i++) {
		struct end *l = &listeners[i];

		while (l->readable && st.live < cfg.max_conns &&
		       !accept_paused() && !stop) {
			len = sizeof(ss);
			fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
				     SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0) {
				conn_open(fd, (struct sockaddr *)&ss, len);
				continue;
			}
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				l->readable = false;
				break;
			case EINTR:
			case ECONNABORTED:	/* gone before we got to it */
			case EPROTO:
			case EPERM:		/* refused by a firewall hook */
				break;
			default:		/* EMFILE, ENFILE, ENOBUFS, ENOMEM */
				accept_pause(errno);
				break;
			}
		}
	}
}

/* Connections that used up their turn and have more to do. */
static void run_again_list(void)
{
	struct conn *c = again_list, *next;

	again_list = NULL;
	for (; c; c = next) {
		next = c->again;
		c->queued = false;
		if (!c->dead)
			pump(c);
	}
}

static void reap(void)
{
	struct conn *c;

	while ((c = reap_list)) {
		reap_list = c->reap;
		free(c);
	}
}

/* ---- setup ------------------------------------------------------------------- */

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

/*
 * "a.b.c.d:PORT", "[v6]:PORT", "[fe80::1%eth0]:PORT"; for a listener also
 * "PORT", ":PORT" and "*:PORT" (all addresses, dual-stack).
 */
static int parse_addr(const char *s, bool listener,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct;
	const char *colon, *rb;
	size_t hl;
	int port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		hl = rb - s - 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		port = parse_port(rb + 2);
		pct = strchr(host, '%');
		if (pct) {
			*pct++ = 0;
			sin6->sin6_scope_id = if_nametoindex(pct);
			if (!sin6->sin6_scope_id)
				return -1;
		}
		if (port < 0 || inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}

	colon = strrchr(s, ':');
	if (colon && memchr(s, ':', colon - s))
		return -1;			/* IPv6 without brackets */
	hl = colon ? (size_t)(colon - s) : 0;
	port = parse_port(colon ? colon + 1 : s);
	if (port < 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (!colon || !hl || !strcmp(host, "*")) {
		if (!listener)
			return -1;
		sin6->sin6_family = AF_INET6;	/* in6addr_any: dual-stack */
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}

static void listen_on(struct end *l, struct sockaddr_storage *ss,
		      socklen_t len)
{
	char as[ADDRSTRLEN];
	int one = 1, zero = 0, fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_TCP);
	if (fd < 0 && errno == EAFNOSUPPORT && ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)ss)->sin6_addr)) {
		/* IPv6 disabled: "all addresses" means 0.0.0.0 then. */
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		in_port_t port = ((struct sockaddr_in6 *)ss)->sin6_port;

		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		len = sizeof(*sin);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    IPPROTO_TCP);
	}
	addr_str((struct sockaddr *)ss, as, sizeof(as));
	if (fd < 0)
		die("listen %s: socket: %s", as, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * IPv6 listeners take IPv4 clients too (whatever the bindv6only
	 * sysctl says); accept() returns those as ::ffff:a.b.c.d, and that
	 * is what we tag with.
	 */
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		die("listen %s: IPV6_V6ONLY: %s", as, strerror(errno));
	if (bind(fd, (struct sockaddr *)ss, len) < 0)
		die("listen %s: bind: %s", as, strerror(errno));
	if (listen(fd, SOMAXCONN) < 0)
		die("listen %s: %s", as, strerror(errno));
	l->fd = fd;
	l->conn = NULL;
	if (epoll_add(l) < 0)
		die("epoll_ctl: %s", strerror(errno));
	msg("listening on %s", as);
}

/* Two descriptors per connection: make sure --max-conns can be reached. */
static void raise_nofile(void)
{
	rlim_t want = 2 * (rlim_t)cfg.max_conns + MAX_LISTENERS + 16;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
		      want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		msg("warning: RLIMIT_NOFILE %llu is low for --max-conns %lu",
		    (unsigned long long)rl.rlim_cur, cfg.max_conns);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_proxy -l [ADDR:]PORT [-l ...] -u ADDR:PORT [options]\n"
"  -l, --listen ADDR:PORT   a.b.c.d:port, [v6]:port; PORT, :PORT or *:PORT for\n"
"                           all addresses (dual-stack); repeat for more (max %d)\n"
"  -u, --upstream ADDR:PORT the backend: a.b.c.d:port or [v6]:port\n"
"  -v, --verbose            one line per connection opened and ended\n"
"      --no-tag             do not tag upstream connections (no sdp_toa)\n"
"      --require-tag        reset clients whose upstream socket cannot be\n"
"                           tagged (default: log once per errno, go untagged)\n"
"      --max-conns N        live connections at most (default 1024); more\n"
"                           wait in the listen backlog\n"
"      --buffer BYTES       per direction and connection (default 16384)\n"
"      --ready FILE         create FILE once listening\n"
"SIGINT/SIGTERM: close all connections, print totals, exit.\n",
		MAX_LISTENERS);
	exit(status);
}

static unsigned long parse_num(const char *s, unsigned long min,
			       unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		die("%s: want a number from %lu to %lu, not '%s'", what, min,
		    max, s);
	return v;
}

enum { O_NO_TAG = 256, O_REQUIRE_TAG, O_MAX_CONNS, O_BUFFER, O_READY };

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "upstream", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-tag", no_argument, NULL, O_NO_TAG },
	{ "require-tag", no_argument, NULL, O_REQUIRE_TAG },
	{ "max-conns", required_argument, NULL, O_MAX_CONNS },
	{ "buffer", required_argument, NULL, O_BUFFER },
	{ "ready", required_argument, NULL, O_READY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void parse_args(int argc, char **argv)
{
	bool have_upstream = false;
	int c;

	while ((c = getopt_long(argc, argv, "l:u:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (cfg.nlisten == MAX_LISTENERS)
				die("at most %d listeners", MAX_LISTENERS);
			if (parse_addr(optarg, true, &cfg.listen[cfg.nlisten],
				       &cfg.listen_len[cfg.nlisten]) < 0)
				die("-l %s: want a.b.c.d:PORT, [v6]:PORT or PORT",
				    optarg);
			cfg.nlisten++;
			break;
		case 'u':
			if (parse_addr(optarg, false, &cfg.upstream,
				       &cfg.upstream_len) < 0)
				die("-u %s: want a.b.c.d:PORT or [v6]:PORT",
				    optarg);
			have_upstream = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case O_NO_TAG:
			cfg.tag = false;
			break;
		case O_REQUIRE_TAG:
			cfg.require_tag = true;
			break;
		case O_MAX_CONNS:
			cfg.max_conns = parse_num(optarg, 1, 1000000,
						  "--max-conns");
			break;
		case O_BUFFER:
			cfg.bufsize = parse_num(optarg, 1024, 16 << 20,
						"--buffer");
			break;
		case O_READY:
			cfg.ready = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg.nlisten || !have_upstream)
		die("need -l [ADDR:]PORT and -u ADDR:PORT (see --help)");
	if (cfg.require_tag && !cfg.tag)
		die("--require-tag and --no-tag contradict each other");
}

static void setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/*
	 * SIGINT/SIGTERM stay blocked except inside epoll_pwait(), so a
	 * signal cannot slip in between checking "stop" and going to sleep.
	 */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
}

static void write_ready(void)
{
	int fd;

	if (!cfg.ready)
		return;
	fd = open(cfg.ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "listening\n", 10) != 10 || close(fd) < 0)
		die("--ready %s: %s", cfg.ready, strerror(errno));
}

static void shutdown_all(void)
{
	struct conn *c;
	int i;

	while ((c = conns)) {
		close(c->ep[CLIENT].fd);
		close(c->ep[UPSTREAM].fd);
		conn_unlink(c);
	}
	run_again_list();	/* only dead ones left: unqueues them */
	reap();
	for (i = 0; i < cfg.nlisten; i++)
		close(listeners[i].fd);
	close(epfd);
	msg("exiting: accepted=%llu tagged=%llu untagged=%llu refused=%llu upstream_failed=%llu closed=%llu aborted=%llu peak=%lu up=%llu down=%llu",
	    st.accepted, st.tagged, st.untagged, st.refused,
	    st.upstream_failed, st.closed, st.aborted, st.peak, st.up,
	    st.down);
}

int main(int argc, char **argv)
{
	struct epoll_event evs[MAX_EVENTS];
	char us[ADDRSTRLEN];
	sigset_t waitmask;
	int i, n, timeout;

	setvbuf(stderr, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	setup_signals(&waitmask);
	raise_nofile();

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < cfg.nlisten; i++)
		listen_on(&listeners[i], &cfg.listen[i], cfg.listen_len[i]);
	msg("upstream %s, tagging %s, max-conns %lu, buffer %zu",
	    addr_str((struct sockaddr *)&cfg.upstream, us, sizeof(us)),
	    !cfg.tag ? "off" : cfg.require_tag ? "required" : "on",
	    cfg.max_conns, cfg.bufsize);
	write_ready();

	while (!stop) {
		/* Wake up at once for queued work, soon for paused accepts. */
		timeout = again_list ? 0 : accept_resume.tv_sec ? 100 : -1;
		n = epoll_pwait(epfd, evs, MAX_EVENTS, timeout, &waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_pwait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;

			if (!e->conn)
				e->readable = true;	/* a listener */
			else if (!e->conn->dead)	/* closed this turn */
				on_event(e, evs[i].events);
		}
		run_again_list();
		accept_clients();
		reap();
	}
	shutdown_all();
	return 0;
}
