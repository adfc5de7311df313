// SPDX-License-Identifier: GPL-2.0
/*
 * toa_stress - load generators and odd clients for the hardening tests
 * (tests/integration/6x-hard-*.sh).
 *
 *   toa_stress sink --listen ADDR:PORT [--listen ...] [--reply N]
 *              [--expect N] [--ready FILE] [--stop-file FILE]
 *              [--allow-reset] [--timeout SECS] [--backlog N]
 *              [--accept-pause USECS] [--expect-peer ADDR[:PORT]]...
 *       One process, epoll: accepts any number of connections, reads each
 *       to EOF checking the data pattern (and --expect bytes), then sends
 *       --reply bytes and closes. --backlog sets listen()'s backlog (4096);
 *       --accept-pause sleeps after each accept: with a small backlog the
 *       accept queue overflows, and handshakes then complete from the
 *       backend's SYN-ACK retransmits (timer) and the client's answers to
 *       them (softirq). Runs until SIGTERM/SIGINT or --stop-file
 *       appears; then prints
 *         sink: conns=N bytes=B bad=K resets=R
 *       and exits 1 if bad > 0 (a reset counts as bad unless --allow-reset).
 *       --events prints a line for every bad connection as it ends:
 *         ev side=server peer=ADDR:PORT how=reset|short|pattern|ERRNO got=B
 *       (peer as accept() saw it; got: request bytes read before the end),
 *       and at the stop one for each connection still open (how=open:
 *       its request not complete, open-reply: its reply not yet taken),
 *       counted as open=N after resets=.
 *       --expect-peer (up to 4, a v4-mapped address equals its IPv4 one;
 *       port 0 or none: any port): getpeername() of every accepted
 *       connection must be one of them (a TOA receiver's rewrite), else
 *       it counts as bad and as wrongpeer=W, printed after resets=.
 *
 *   toa_stress load --dst ADDR:PORT [-6] [--tag ADDR:PORT]
 *              [--tag-may-fail E,..] [--send N] [--reply N] [--threads T]
 *              [--count K] [--stop-file FILE] [--pause USECS]
 *              [--syn-retries R] [--syn-lost-ok] [--timeout SECS]
 *              [--keep-going]
 *       T threads, each: socket, tag, connect, send N, shutdown, read the
 *       reply to EOF (must be exactly --reply bytes of the pattern), close,
 *       [pause]; K connections each, failed ones included (0: until
 *       --stop-file exists).
 *       --syn-retries sets TCP_SYNCNT; with --syn-lost-ok a connect that
 *       times out (a backend whose full accept queue dropped every SYN) is
 *       counted and the thread goes on with a new socket. With
 *       --keep-going any other failure of a connection (connect, send,
 *       recv, a short reply; send and recv, once connected, time out
 *       after 60 s) is
 *       counted, printed as
 *         ev side=client lport=PORT stage=connect|send|recv|reply
 *            err=ERRNO|short sent=B got=B
 *       and the thread goes on. Prints
 *         load: conns=N tagged=T tagfail=F bytes=B synlost=S
 *       (with --keep-going: and failed=F; conns counts only the good ones).
 *
 *   toa_stress retag --dst ADDR:PORT [-6] [--send N] [--final-send N]
 *              [--threads T] [--ops K | --duration SECS] [--serial] [--mix]
 *              [--clear-every M] [--pause USECS] [--ready FILE]
 *              [--timeout SECS]
 *       One connection. While one thread sends (--send bytes, and on for as
 *       long as the setters run), T threads set the tag K times each (or for
 *       SECS seconds), generation g = 1, 2, ... (every M-th op clears
 *       it instead). Generation g is IPv4 198.18.(g>>8).(g&255) port g, or
 *       (odd g with --mix, or always on an IPv6 connection) IPv6
 *       2001:db8:c:g::g port g, so a TOA mixing two generations shows. With
 *       --serial the ops are serialised (and each SET is read back with GET),
 *       so the tags on the wire must never go back in generation. Then the
 *       final generation is set and --final-send bytes follow. Prints
 *         retag: local=PORT final=F ops=N clears=C sent=B
 *
 *   toa_stress md5 --dst ADDR:PORT --tag ADDR:PORT --key KEY --key-file FILE
 *              [--send N] [--expect-recv N] [--timeout SECS]
 *   toa_stress md5srv --listen ADDR:PORT --peer ADDR --key KEY
 *              --key-file FILE [--expect N] [--reply N] [--ready FILE]
 *       TCP MD5 added to an established connection that negotiated
 *       timestamps (Linux sends no timestamps when MD5 is there from the
 *       SYN): the server sets its key on the accepted socket and creates
 *       --key-file; the client waits for it, sets its key, then transfers.
 *
 *   toa_stress hold --count N [-6] [--tag ADDR:PORT] [--dst ADDR:PORT]
 *              [--syn-retries R] [--expect-errno E|0] [--send N]
 *              [--linger0] [--ready FILE] [--stop-file FILE]
 *       N sockets at once (up to the hard RLIMIT_NOFILE), each tagged; with
 *       --dst all connect at once (non-blocking) and every connect must end
 *       with E (0: connected; default 0); connected ones send --send bytes.
 *       Then --ready, then wait for SIGTERM/SIGINT or --stop-file (or be
 *       killed), then close all (--linger0: with a RST). Prints
 *         hold: sockets=N connected=C failed=F
 *
 *   toa_stress userns --when before|after --tag ADDR:PORT
 *              [--expect-errno E]
 *       As root: enter a new user namespace (root there, no capability in
 *       the initial one) with a TCP socket of the initial network namespace
 *       created before or after unshare(CLONE_NEWUSER); SET must fail with E
 *       (default EPERM; 0: must succeed).
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

#define MAX_LISTEN	8
#define MAX_ERRNOS	8

static struct {
	struct sockaddr_storage dst, tag, listen[MAX_LISTEN];
	socklen_t dst_len, tag_len, listen_len[MAX_LISTEN];
	int nlisten;
	const char *ready, *stop_file, *key, *key_file, *peer, *when;
	bool v6, have_tag, allow_reset, serial, mix, linger0, syn_lost_ok;
	bool events, keep_going;
	long long send, final_send, reply, expect, expect_recv;
	int threads, count, ops, clear_every, pause_us, expect_errno;
	int syn_retries, backlog, accept_pause_us;
	struct sockaddr_in6 expect_peer[4];
	int n_expect_peer;
	bool have_expect_errno;
	double duration;
	int may_fail[MAX_ERRNOS], n_may_fail;
	double timeout;
} o = {
	.expect = -1, .expect_recv = -1, .threads = 1, .ops = 100,
	.timeout = 300, .expect_errno = EPERM, .backlog = 4096,
};

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	(void)sig;
	stop_sig = 1;
}

static bool stop_requested(void)
{
	return stop_sig || (o.stop_file && access(o.stop_file, F_OK) == 0);
}

/* The destination for a socket of our family (IPv4 -> ::ffff: with -6). */
static socklen_t dst_for_socket(struct sockaddr_storage *out)
{
	if (o.v6)
		return tt_to_v6((struct sockaddr *)&o.dst, (void *)out);
	if (o.dst.ss_family != AF_INET)
		die("--dst is IPv6: add -6");
	memcpy(out, &o.dst, sizeof(*out));
	return o.dst_len;
}

static int connect_dst(int fd)
{
	struct sockaddr_storage d;
	socklen_t l = dst_for_socket(&d);

	return connect(fd, (struct sockaddr *)&d, l) < 0 ? -errno : 0;
}

/* Send @n bytes of the pattern; 0, or -errno with --keep-going. */
static int send_pattern(int fd, long long n, uint64_t *off, const char *what)
{
	static __thread uint8_t buf[65536];
	size_t chunk;
	ssize_t r;

	while (n > 0) {
		chunk = n < (long long)sizeof(buf) ? (size_t)n : sizeof(buf);
		tt_fill(buf, chunk, *off);
		r = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (o.keep_going)
				return -errno;
			die_errno("%s: send at byte %llu", what,
				  (unsigned long long)*off);
		}
		*off += r;
		n -= r;
	}
	return 0;
}

/*
 * Read to EOF, checking the pattern; returns the byte count (in *@got) and
 * 0, or -errno with --keep-going.
 */
static int recv_to_eof(int fd, long long *gotp, const char *what)
{
	static __thread uint8_t buf[65536];
	long long got = 0;
	ssize_t r;
	long bad;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (!o.keep_going)
				die_errno("%s: recv after %lld bytes", what, got);
			*gotp = got;
			return -errno;
		}
		if (r == 0) {
			*gotp = got;
			return 0;
		}
		bad = tt_check(buf, r, got);
		if (bad >= 0)
			die("%s: byte %lld differs from the pattern", what,
			    got + bad);
		got += r;
	}
}

/* --keep-going: one failed connection, as a line (atomic: one printf). */
static void client_event(int fd, const char *stage, int err, long long sent,
			 long long got)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned int port = 0;

	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		port = tt_addr_port((struct sockaddr *)&ss);
	printf("ev side=client lport=%u stage=%s err=%s sent=%lld got=%lld\n",
	       port, stage, err ? tt_errno_name(err) : "short", sent, got);
	fflush(stdout);
}

/* ---- sink ----------------------------------------------------------------- */
struct sconn {
	int fd;
	struct sockaddr_storage peer;	/* as accept() saw it */
	long long got;
	long long left;		/* reply bytes still to send; -1: reading */
	uint64_t roff;
	struct sconn *prev, *next;	/* s_open: not yet closed */
};

static struct sconn s_open;	/* list head */

static unsigned long long s_conns, s_bytes, s_bad, s_resets, s_wrongpeer;

/* --expect-peer: is @fd's getpeername() one of the expected? */
static bool sink_peer_ok(int fd)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 p;
	socklen_t sl = sizeof(ss);
	int i;

	if (!o.n_expect_peer)
		return true;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return false;
	tt_to_v6((struct sockaddr *)&ss, &p);
	for (i = 0; i < o.n_expect_peer; i++) {
		const struct sockaddr_in6 *e = &o.expect_peer[i];

		if (!memcmp(&e->sin6_addr, &p.sin6_addr, 16) &&
		    (!e->sin6_port || e->sin6_port == p.sin6_port))
			return true;
	}
	return false;
}

/* --events: a bad connection of the sink, as a line */
static void sink_event(const struct sconn *c, const char *how)
{
	char a[INET6_ADDRSTRLEN + 16];

	if (!o.events)
		return;
	printf("ev side=server peer=%s how=%s got=%lld\n",
	       tt_addr_str((const struct sockaddr *)&c->peer, a, sizeof(a)),
	       how, c->got);
	fflush(stdout);
}

static void sink_close(int ep, struct sconn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void sink_write(int ep, struct sconn *c)
{
	static uint8_t buf[65536];
	struct epoll_event ev = { .events = EPOLLOUT };
	size_t chunk;
	ssize_t r;

	while (c->left > 0) {
		chunk = c->left < (long long)sizeof(buf) ? (size_t)c->left :
							    sizeof(buf);
		tt_fill(buf, chunk, c->roff);
		r = send(c->fd, buf, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN) {
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				return;
			}
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET || errno == EPIPE) {
				s_resets++;
				if (!o.allow_reset)
					s_bad++;
				sink_event(c, "reset-on-reply");
			} else {
				warnmsg("sink: send: %s", tt_errstr(errno));
				s_bad++;
				sink_event(c, tt_errno_name(errno));
			}
			sink_close(ep, c);
			return;
		}
		c->left -= r;
		c->roff += r;
	}
	sink_close(ep, c);
}

static void sink_read(int ep, struct sconn *c)
{
	static uint8_t buf[65536];
	ssize_t r;
	long bad;

	for (;;) {
		r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET) {
				s_resets++;
				if (!o.allow_reset)
					s_bad++;
				sink_event(c, "reset");
			} else {
				warnmsg("sink: recv: %s", tt_errstr(errno));
				s_bad++;
				sink_event(c, tt_errno_name(errno));
			}
			sink_close(ep, c);
			return;
		}
		if (r == 0)
			break;
		bad = tt_check(buf, r, c->got);
		if (bad >= 0) {
			warnmsg("sink: byte %lld differs from the pattern",
				c->got + bad);
			s_bad++;
			sink_event(c, "pattern");
			sink_close(ep, c);
			return;
		}
		c->got += r;
		s_bytes += r;
	}
	if (o.expect >= 0 && c->got != o.expect) {
		warnmsg("sink: connection sent %lld bytes, expected %lld",
			c->got, o.expect);
		s_bad++;
		sink_event(c, "short");
	}
	c->left = o.reply;
	sink_write(ep, c);
}

static int cmd_sink(void)
{
	struct epoll_event ev, evs[64];
	int lfd[MAX_LISTEN], ep, i, n, fd, one = 1, zero = 0;
	unsigned long long open_left = 0;
	struct sockaddr_storage pa;
	socklen_t pl = sizeof(pa);
	struct sconn *c;

	if (!o.nlisten)
		die("sink: --listen is required");
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	if (ep < 0)
		die_errno("epoll_create1");
	for (i = 0; i < o.nlisten; i++) {
		lfd[i] = socket(o.listen[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK,
				0);
		if (lfd[i] < 0)
			die_errno("socket");
		setsockopt(lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (o.listen[i].ss_family == AF_INET6)
			setsockopt(lfd[i], IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(lfd[i], (void *)&o.listen[i], o.listen_len[i]) < 0)
			die_errno("bind");
		if (listen(lfd[i], o.backlog) < 0)
			die_errno("listen");
		ev.events = EPOLLIN;
		ev.data.ptr = NULL;
		ev.data.u64 = (uint64_t)i;	/* < MAX_LISTEN: a listener */
		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev) < 0)
			die_errno("epoll_ctl");
	}
	s_open.next = s_open.prev = &s_open;
	if (o.ready)
		tt_touch(o.ready, "");
	while (!stop_requested()) {
		n = epoll_wait(ep, evs, 64, 100);
		if (n < 0 && errno != EINTR)
			die_errno("epoll_wait");
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 < MAX_LISTEN) {
				int l = lfd[evs[i].data.u64];

				while ((fd = accept4(l, (struct sockaddr *)&pa,
						     &pl, SOCK_NONBLOCK)) >= 0) {
					pl = sizeof(pa);
					c = calloc(1, sizeof(*c));
					if (!c)
						die("out of memory");
					c->fd = fd;
					c->peer = pa;
					c->next = s_open.next;
					c->prev = &s_open;
					s_open.next->prev = c;
					s_open.next = c;
					c->left = -1;
					s_conns++;
					if (!sink_peer_ok(fd)) {
						s_wrongpeer++;
						s_bad++;
					}
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
						die_errno("epoll_ctl");
					if (o.accept_pause_us) {
						usleep(o.accept_pause_us);
						break;
					}
				}
				continue;
			}
			c = evs[i].data.ptr;
			if (c->left < 0)
				sink_read(ep, c);
			else
				sink_write(ep, c);
		}
	}
	/* still open at the stop: a request never completed, or a reply
	 * not yet taken (with --events, reported as "open" / "open-reply") */
	for (c = s_open.next; c != &s_open; c = c->next) {
		open_left++;
		sink_event(c, c->left < 0 ? "open" : "open-reply");
	}
	printf("sink: conns=%llu bytes=%llu bad=%llu resets=%llu", s_conns,
	       s_bytes, s_bad, s_resets);
	if (o.events)
		printf(" open=%llu", open_left);
	if (o.n_expect_peer)
		printf(" wrongpeer=%llu", s_wrongpeer);
	printf("\n");
	return s_bad ? 1 : 0;
}

/* ---- load ------------------------------------------------------------------ */
static pthread_mutex_t l_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long l_conns, l_tagged, l_tagfail, l_bytes, l_synlost;
static unsigned long long l_failed;

/*
 * --keep-going: send and recv give up after a minute, as an event (set
 * after connect(), which SO_SNDTIMEO would cut short too)
 */
static void load_timeouts(int fd, const char *what)
{
	struct timeval tv = { .tv_sec = 60 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		die_errno("%s: SO_RCVTIMEO/SO_SNDTIMEO", what);
}

/*
 * One connection after connect(): send, half-close, read the reply.
 * 0 when all went as it should; else (only with --keep-going) it has
 * been reported and counted as failed.
 */
static int load_transfer(int fd, const char *what, long long *gotp)
{
	uint64_t off = 0;
	int err;

	err = send_pattern(fd, o.send, &off, what);
	if (err) {
		client_event(fd, "send", -err, (long long)off, 0);
		return err;
	}
	if (shutdown(fd, SHUT_WR) < 0) {
		if (!o.keep_going)
			die_errno("%s: shutdown", what);
		err = -errno;
		client_event(fd, "send", -err, (long long)off, 0);
		return err;
	}
	err = recv_to_eof(fd, gotp, what);
	if (err) {
		client_event(fd, "recv", -err, (long long)off, *gotp);
		return err;
	}
	if (*gotp != o.reply) {
		if (!o.keep_going)
			die("%s: reply of %lld bytes, expected %lld", what,
			    *gotp, o.reply);
		client_event(fd, "reply", 0, (long long)off, *gotp);
		return -EPROTO;
	}
	return 0;
}

static bool may_fail(int err)
{
	int i;

	for (i = 0; i < o.n_may_fail; i++)
		if (o.may_fail[i] == err)
			return true;
	return false;
}

static void *load_thread(void *arg)
{
	unsigned long long conns = 0, tagged = 0, tagfail = 0, bytes = 0;
	unsigned long long synlost = 0, failed = 0;
	long id = (long)arg;
	char what[64];
	long long got;
	int fd, err;

	while (o.count ? conns + failed < (unsigned long long)o.count :
			 !stop_requested()) {
		snprintf(what, sizeof(what), "load thread %ld conn %llu", id,
			 conns);
		fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die_errno("%s: socket", what);
		if (o.have_tag) {
			err = tt_toa_set(fd, &o.tag, o.tag_len);
			if (!err)
				tagged++;
			else if (may_fail(-err))
				tagfail++;
			else
				die("%s: tag: %s", what, tt_errstr(-err));
		}
		if (o.syn_retries &&
		    setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &o.syn_retries,
			       sizeof(o.syn_retries)) < 0)
			die_errno("%s: TCP_SYNCNT", what);
		err = connect_dst(fd);
		if (err == -ETIMEDOUT && o.syn_lost_ok) {
			close(fd);
			synlost++;
			continue;
		}
		if (err && o.keep_going) {
			client_event(fd, "connect", -err, 0, 0);
			close(fd);
			failed++;
			continue;
		}
		if (err)
			die("%s: connect: %s", what, tt_errstr(-err));
		if (o.keep_going)
			load_timeouts(fd, what);
		got = 0;
		if (load_transfer(fd, what, &got)) {
			close(fd);
			failed++;
			continue;
		}
		close(fd);
		bytes += o.send + got;
		conns++;
		if (o.pause_us)
			usleep(o.pause_us);
	}
	pthread_mutex_lock(&l_lock);
	l_conns += conns;
	l_tagged += tagged;
	l_tagfail += tagfail;
	l_bytes += bytes;
	l_synlost += synlost;
	l_failed += failed;
	pthread_mutex_unlock(&l_lock);
	return NULL;
}

static int cmd_load(void)
{
	pthread_t th[256];
	long i;

	if (!o.dst_len)
		die("load: --dst is required");
	if (o.threads > 256)
		die("load: at most 256 threads");
	if (!o.count && !o.stop_file)
		die("load: --count or --stop-file is required");
	signal(SIGPIPE, SIG_IGN);
	tt_arm_timeout(o.timeout, NULL);
	for (i = 0; i < o.threads; i++)
		if (pthread_create(&th[i], NULL, load_thread, (void *)i))
			die("pthread_create failed");
	if (o.ready)
		tt_touch(o.ready, "");
	for (i = 0; i < o.threads; i++)
		pthread_join(th[i], NULL);
	printf("load: conns=%llu tagged=%llu tagfail=%llu bytes=%llu synlost=%llu",
	       l_conns, l_tagged, l_tagfail, l_bytes, l_synlost);
	if (o.keep_going)
		printf(" failed=%llu", l_failed);
	printf("\n");
	return 0;
}

/* ---- retag ----------------------------------------------------------------- */
static int r_fd;
static pthread_mutex_t r_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int r_gen;		/* last generation handed out */
static unsigned long r_ops, r_clears;

/* The tag of generation @g (1..65535). */
static socklen_t gen_addr(unsigned int g, bool v6, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (void *)ss;
	struct sockaddr_in *s4 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!v6) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(g);
		s4->sin_addr.s_addr = htonl(0xc6120000u | g);	/* 198.18/15 */
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(g);
	s6->sin6_addr.s6_addr[0] = 0x20;
	s6->sin6_addr.s6_addr[1] = 0x01;
	s6->sin6_addr.s6_addr[2] = 0x0d;
	s6->sin6_addr.s6_addr[3] = 0xb8;
	s6->sin6_addr.s6_addr[5] = 0x0c;
	s6->sin6_addr.s6_addr[6] = g >> 8;
	s6->sin6_addr.s6_addr[7] = g & 0xff;
	s6->sin6_addr.s6_addr[14] = g >> 8;
	s6->sin6_addr.s6_addr[15] = g & 0xff;
	return sizeof(*s6);
}

/* --mix: odd generations IPv6, even IPv4; else the connection's family. */
static bool gen_v6(unsigned int g)
{
	return o.mix ? (g & 1) : o.dst.ss_family == AF_INET6;
}

static void retag_set(unsigned int g)
{
	struct sockaddr_storage ss, got;
	socklen_t l = gen_addr(g, gen_v6(g), &ss), gl = sizeof(got);
	char a[TT_ADDRSTRLEN], b[TT_ADDRSTRLEN];
	int err;

	err = tt_toa_set(r_fd, &ss, l);
	if (err)
		die("retag: SET generation %u: %s", g, tt_errstr(-err));
	if (!o.serial)
		return;
	/* nobody else sets meanwhile: GET must return this generation */
	err = tt_toa_get(r_fd, &got, &gl);
	if (err)
		die("retag: GET after SET %u: %s", g, tt_errstr(-err));
	if (got.ss_family == AF_INET6 && ss.ss_family == AF_INET) {
		struct sockaddr_in6 m;

		tt_to_v6((void *)&ss, &m);
		memcpy(&ss, &m, sizeof(m));
	}
	if (!tt_addr_equal((void *)&got, (void *)&ss))
		die("retag: GET returned %s after SET %s",
		    tt_addr_str((void *)&got, a, sizeof(a)),
		    tt_addr_str((void *)&ss, b, sizeof(b)));
}

static volatile int r_setters;		/* setter threads still running */

static void *retag_thread(void *arg)
{
	double end = tt_now() + o.duration;
	unsigned int g;
	int i, err;

	(void)arg;
	for (i = 0; o.duration > 0 ? tt_now() < end : i < o.ops; i++) {
		if (o.serial)
			pthread_mutex_lock(&r_lock);
		g = __atomic_add_fetch(&r_gen, 1, __ATOMIC_SEQ_CST);
		if (g > 60000) {	/* ports and addresses hold 16 bits */
			if (o.serial)
				pthread_mutex_unlock(&r_lock);
			break;
		}
		if (o.clear_every && g % o.clear_every == 0) {
			err = tt_toa_clear(r_fd);
			if (err)
				die("retag: clear: %s", tt_errstr(-err));
			__atomic_add_fetch(&r_clears, 1, __ATOMIC_SEQ_CST);
		} else {
			retag_set(g);
		}
		__atomic_add_fetch(&r_ops, 1, __ATOMIC_SEQ_CST);
		if (o.serial)
			pthread_mutex_unlock(&r_lock);
		if (o.pause_us)
			usleep(o.pause_us);
	}
	__atomic_sub_fetch(&r_setters, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* --send bytes, then more for as long as the setters run */
static void *send_thread(void *arg)
{
	uint64_t *off = arg;

	send_pattern(r_fd, o.send, off, "retag sender");
	while (__atomic_load_n(&r_setters, __ATOMIC_SEQ_CST))
		send_pattern(r_fd, 16384, off, "retag sender");
	return NULL;
}

static int cmd_retag(void)
{
	pthread_t th[64], snd;
	struct sockaddr_storage me;
	unsigned int final, r_port;
	uint64_t off = 0;
	socklen_t l;
	long long got;
	int i, err, one = 1;

	if (!o.dst_len)
		die("retag: --dst is required");
	if (o.threads > 64)
		die("retag: at most 64 threads");
	signal(SIGPIPE, SIG_IGN);
	tt_arm_timeout(o.timeout, NULL);
	r_fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (r_fd < 0)
		die_errno("socket");
	setsockopt(r_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r_gen = 1;
	retag_set(1);
	err = connect_dst(r_fd);
	if (err)
		die("retag: connect: %s", tt_errstr(-err));
	l = sizeof(me);
	if (getsockname(r_fd, (struct sockaddr *)&me, &l) < 0)
		die_errno("getsockname");
	r_port = tt_addr_port((struct sockaddr *)&me);
	if (o.ready)
		tt_touch(o.ready, "");
	r_setters = o.threads;
	if (pthread_create(&snd, NULL, send_thread, &off))
		die("pthread_create failed");
	for (i = 0; i < o.threads; i++)
		if (pthread_create(&th[i], NULL, retag_thread, NULL))
			die("pthread_create failed");
	for (i = 0; i < o.threads; i++)
		pthread_join(th[i], NULL);
	pthread_join(snd, NULL);
	/* everything from here on carries the final generation */
	final = ++r_gen;
	o.serial = true;
	retag_set(final);
	send_pattern(r_fd, o.final_send, &off, "retag final");
	if (shutdown(r_fd, SHUT_WR) < 0)
		die_errno("shutdown");
	recv_to_eof(r_fd, &got, "retag");
	if (o.expect_recv >= 0 && got != o.expect_recv)
		die("retag: received %lld bytes, expected %lld", got,
		    o.expect_recv);
	printf("retag: local=%u final=%u ops=%lu clears=%lu sent=%llu\n",
	       r_port, final, r_ops, r_clears, (unsigned long long)off);
	close(r_fd);
	return 0;
}

/* ---- md5 ------------------------------------------------------------------- */
static bool has_timestamps(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		die_errno("TCP_INFO");
	return ti.tcpi_options & TCPI_OPT_TIMESTAMPS;
}

static int cmd_md5(void)
{
	struct sockaddr_storage d;
	uint64_t off = 0;
	long long got;
	int fd, err;

	if (!o.dst_len || !o.key || !o.key_file)
		die("md5: --dst, --key and --key-file are required");
	signal(SIGPIPE, SIG_IGN);
	tt_arm_timeout(o.timeout, NULL);
	fd = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die_errno("socket");
	if (o.have_tag) {
		err = tt_toa_set(fd, &o.tag, o.tag_len);
		if (err)
			die("md5: tag: %s", tt_errstr(-err));
	}
	err = connect_dst(fd);
	if (err)
		die("md5: connect: %s", tt_errstr(-err));
	if (!has_timestamps(fd))
		die("md5: the connection did not negotiate timestamps");
	if (!tt_wait_file(o.key_file, o.timeout))
		die("md5: no %s", o.key_file);
	dst_for_socket(&d);
	tt_md5_key(fd, (struct sockaddr *)&d, o.key);
	send_pattern(fd, o.send, &off, "md5");
	if (shutdown(fd, SHUT_WR) < 0)
		die_errno("shutdown");
	recv_to_eof(fd, &got, "md5");
	if (o.expect_recv >= 0 && got != o.expect_recv)
		die("md5: received %lld bytes, expected %lld", got,
		    o.expect_recv);
	close(fd);
	printf("md5: sent=%llu recv=%lld timestamps=1\n",
	       (unsigned long long)off, got);
	return 0;
}

static int cmd_md5srv(void)
{
	struct sockaddr_storage peer;
	socklen_t pl;
	uint64_t off = 0;
	long long got;
	int lfd, fd, one = 1, zero = 0;

	if (!o.nlisten || !o.key || !o.key_file || !o.peer)
		die("md5srv: --listen, --peer, --key and --key-file are required");
	signal(SIGPIPE, SIG_IGN);
	tt_arm_timeout(o.timeout, NULL);
	tt_addr_parse_or_die(o.peer, &peer, false, "--peer");
	lfd = socket(o.listen[0].ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die_errno("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o.listen[0].ss_family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (void *)&o.listen[0], o.listen_len[0]) < 0 ||
	    listen(lfd, 8) < 0)
		die_errno("bind/listen");
	if (o.ready)
		tt_touch(o.ready, "");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die_errno("accept");
	if (peer.ss_family == AF_INET && o.listen[0].ss_family == AF_INET6) {
		struct sockaddr_in6 m;

		pl = tt_to_v6((void *)&peer, &m);
		memcpy(&peer, &m, pl);
	}
	tt_md5_key(fd, (struct sockaddr *)&peer, o.key);
	tt_touch(o.key_file, "");
	recv_to_eof(fd, &got, "md5srv");
	if (o.expect >= 0 && got != o.expect)
		die("md5srv: received %lld bytes, expected %lld", got, o.expect);
	send_pattern(fd, o.reply, &off, "md5srv");
	close(fd);
	printf("md5srv: recv=%lld replied=%llu\n", got, (unsigned long long)off);
	return 0;
}

/* ---- hold ------------------------------------------------------------------ */
static int cmd_hold(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int *fds, i, err, pending, connected = 0, failed = 0, want;
	struct sockaddr_storage d;
	struct pollfd *pfd;
	struct rlimit rl;
	socklen_t l, dl = 0;
	char what[64];
	uint64_t off;

	if (o.count < 1)
		die("hold: --count is required");
	want = o.have_expect_errno ? o.expect_errno : 0;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc(o.count, sizeof(*fds));
	pfd = calloc(o.count, sizeof(*pfd));
	if (!fds || !pfd)
		die("out of memory");
	if (o.dst_len)
		dl = dst_for_socket(&d);
	for (i = 0; i < o.count; i++) {
		fds[i] = socket(o.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0)
			die_errno("hold: socket %d", i);
		if (o.have_tag) {
			err = tt_toa_set(fds[i], &o.tag, o.tag_len);
			if (err)
				die("hold: tag socket %d: %s", i, tt_errstr(-err));
		}
		if (o.syn_retries &&
		    setsockopt(fds[i], IPPROTO_TCP, TCP_SYNCNT, &o.syn_retries,
			       sizeof(o.syn_retries)) < 0)
			die_errno("TCP_SYNCNT");
		if (!dl)
			continue;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (connect(fds[i], (struct sockaddr *)&d, dl) < 0 &&
		    errno != EINPROGRESS)
			die_errno("hold: connect %d", i);
		pfd[i].fd = fds[i];
		pfd[i].events = POLLOUT;
	}
	/* wait until every connect has ended one way or the other */
	for (pending = dl ? o.count : 0; pending > 0;) {
		if (poll(pfd, o.count, 1000) < 0 && errno != EINTR)
			die_errno("poll");
		if (stop_sig)
			die("hold: stopped while connecting");
		for (i = 0; i < o.count; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			l = sizeof(err);
			if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &l) < 0)
				die_errno("SO_ERROR");
			if (err != want)
				die("hold: connect %d ended with %s, expected %s",
				    i, err ? tt_errstr(err) : "success",
				    want ? tt_errno_name(want) : "success");
			if (err)
				failed++;
			else
				connected++;
			pfd[i].fd = -1;
			pending--;
		}
	}
	for (i = 0; i < o.count && o.send; i++) {
		if (!dl || want)
			break;
		fcntl(fds[i], F_SETFL, 0);
		off = 0;
		snprintf(what, sizeof(what), "hold socket %d", i);
		send_pattern(fds[i], o.send, &off, what);
	}
	printf("hold: sockets=%d connected=%d failed=%d\n", o.count, connected,
	       failed);
	if (o.ready)
		tt_touch(o.ready, "");
	while (!stop_requested())
		usleep(50000);
	for (i = 0; i < o.count; i++) {
		if (o.linger0)
			setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
	return 0;
}

/* ---- userns ---------------------------------------------------------------- */
static int cmd_userns(void)
{
	int fd = -1, err;

	if (!o.when || !o.have_tag)
		die("userns: --when and --tag are required");
	if (geteuid() != 0)
		die("userns: run as root");
	if (!strcmp(o.when, "before")) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die_errno("socket");
	} else if (strcmp(o.when, "after")) {
		die("--when before|after");
	}
	if (unshare(CLONE_NEWUSER) < 0)
		die_errno("unshare(CLONE_NEWUSER)");
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die_errno("socket");
	}
	err = -tt_toa_set(fd, &o.tag, o.tag_len);
	if (err != o.expect_errno)
		die("userns (socket %s unshare): SET gave %s, expected %s",
		    o.when, err ? tt_errstr(err) : "success",
		    o.expect_errno ? tt_errno_name(o.expect_errno) :
				     "success");
	printf("userns: socket created %s unshare(CLONE_NEWUSER): %s\n",
	       o.when, err ? tt_errno_name(err) : "tagged");
	close(fd);
	return 0;
}

/* ---- main ------------------------------------------------------------------ */
static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_stress sink|load|retag|md5|md5srv|hold|userns [options]\n"
"       (see the comment at the top of tests/progs/toa_stress.c)\n");
	exit(status);
}

enum {
	O_LISTEN = 256, O_REPLY, O_EXPECT, O_READY, O_STOP_FILE, O_ALLOW_RESET,
	O_TIMEOUT, O_DST, O_TAG, O_MAY_FAIL, O_SEND, O_THREADS, O_COUNT,
	O_FINAL_SEND, O_OPS, O_SERIAL, O_MIX, O_CLEAR_EVERY, O_PAUSE, O_KEY,
	O_KEY_FILE, O_PEER, O_EXPECT_RECV, O_WHEN, O_EXPECT_ERRNO,
	O_SYN_RETRIES, O_LINGER0, O_DURATION, O_BACKLOG, O_ACCEPT_PAUSE,
	O_SYN_LOST_OK, O_EXPECT_PEER, O_EVENTS, O_KEEP_GOING,
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", 1, 0, O_LISTEN }, { "reply", 1, 0, O_REPLY },
		{ "expect", 1, 0, O_EXPECT }, { "ready", 1, 0, O_READY },
		{ "stop-file", 1, 0, O_STOP_FILE },
		{ "allow-reset", 0, 0, O_ALLOW_RESET },
		{ "timeout", 1, 0, O_TIMEOUT }, { "dst", 1, 0, O_DST },
		{ "tag", 1, 0, O_TAG }, { "tag-may-fail", 1, 0, O_MAY_FAIL },
		{ "send", 1, 0, O_SEND }, { "threads", 1, 0, O_THREADS },
		{ "count", 1, 0, O_COUNT }, { "final-send", 1, 0, O_FINAL_SEND },
		{ "ops", 1, 0, O_OPS }, { "serial", 0, 0, O_SERIAL },
		{ "mix", 0, 0, O_MIX }, { "clear-every", 1, 0, O_CLEAR_EVERY },
		{ "pause", 1, 0, O_PAUSE }, { "key", 1, 0, O_KEY },
		{ "key-file", 1, 0, O_KEY_FILE }, { "peer", 1, 0, O_PEER },
		{ "expect-recv", 1, 0, O_EXPECT_RECV }, { "when", 1, 0, O_WHEN },
		{ "expect-errno", 1, 0, O_EXPECT_ERRNO },
		{ "syn-retries", 1, 0, O_SYN_RETRIES },
		{ "linger0", 0, 0, O_LINGER0 },
		{ "duration", 1, 0, O_DURATION },
		{ "backlog", 1, 0, O_BACKLOG },
		{ "accept-pause", 1, 0, O_ACCEPT_PAUSE },
		{ "syn-lost-ok", 0, 0, O_SYN_LOST_OK },
		{ "expect-peer", 1, 0, O_EXPECT_PEER },
		{ "events", 0, 0, O_EVENTS },
		{ "keep-going", 0, 0, O_KEEP_GOING },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const long long big = 1LL << 40;
	const char *cmd;
	int c;

	tt_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argv[1][0] == '-')
		usage(argc < 2 ? 2 : 0);
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "6h", lo, NULL)) != -1) {
		switch (c) {
		case '6': o.v6 = true; break;
		case 'h': usage(0); break;
		case O_LISTEN:
			if (o.nlisten == MAX_LISTEN)
				die("too many --listen");
			o.listen_len[o.nlisten] = tt_addr_parse_or_die(optarg,
					&o.listen[o.nlisten], true, "--listen");
			o.nlisten++;
			break;
		case O_REPLY: o.reply = tt_parse_num(optarg, 0, big, "--reply"); break;
		case O_EXPECT: o.expect = tt_parse_num(optarg, 0, big, "--expect"); break;
		case O_EXPECT_RECV:
			o.expect_recv = tt_parse_num(optarg, 0, big, "--expect-recv");
			break;
		case O_READY: o.ready = optarg; break;
		case O_STOP_FILE: o.stop_file = optarg; break;
		case O_ALLOW_RESET: o.allow_reset = true; break;
		case O_TIMEOUT: o.timeout = tt_parse_secs(optarg, "--timeout"); break;
		case O_DST:
			o.dst_len = tt_addr_parse_or_die(optarg, &o.dst, true, "--dst");
			break;
		case O_TAG:
			o.have_tag = true;
			o.tag_len = tt_addr_parse_or_die(optarg, &o.tag, true, "--tag");
			break;
		case O_MAY_FAIL:
			o.n_may_fail = tt_errno_list(optarg, o.may_fail, MAX_ERRNOS);
			break;
		case O_SEND: o.send = tt_parse_num(optarg, 0, big, "--send"); break;
		case O_FINAL_SEND:
			o.final_send = tt_parse_num(optarg, 0, big, "--final-send");
			break;
		case O_THREADS:
			o.threads = tt_parse_num(optarg, 1, 256, "--threads");
			break;
		case O_COUNT: o.count = tt_parse_num(optarg, 0, 1 << 30, "--count"); break;
		case O_OPS: o.ops = tt_parse_num(optarg, 1, 60000, "--ops"); break;
		case O_SERIAL: o.serial = true; break;
		case O_MIX: o.mix = true; break;
		case O_CLEAR_EVERY:
			o.clear_every = tt_parse_num(optarg, 0, 1 << 20, "--clear-every");
			break;
		case O_PAUSE: o.pause_us = tt_parse_num(optarg, 0, 10000000, "--pause"); break;
		case O_KEY: o.key = optarg; break;
		case O_KEY_FILE: o.key_file = optarg; break;
		case O_PEER: o.peer = optarg; break;
		case O_WHEN: o.when = optarg; break;
		case O_EXPECT_ERRNO:
			o.expect_errno = strcmp(optarg, "0") ?
					 tt_errno_parse(optarg) : 0;
			if (o.expect_errno < 0)
				die("--expect-errno: unknown errno %s", optarg);
			o.have_expect_errno = true;
			break;
		case O_SYN_RETRIES:
			o.syn_retries = tt_parse_num(optarg, 1, 127, "--syn-retries");
			break;
		case O_LINGER0: o.linger0 = true; break;
		case O_SYN_LOST_OK: o.syn_lost_ok = true; break;
		case O_EVENTS: o.events = true; break;
		case O_KEEP_GOING: o.keep_going = true; break;
		case O_EXPECT_PEER: {
			struct sockaddr_storage ss;

			if (o.n_expect_peer == 4)
				die("at most 4 --expect-peer");
			tt_addr_parse_or_die(optarg, &ss, false,
					     "--expect-peer");
			tt_to_v6((struct sockaddr *)&ss,
				 &o.expect_peer[o.n_expect_peer++]);
			break;
		}
		case O_DURATION:
			o.duration = tt_parse_secs(optarg, "--duration");
			break;
		case O_BACKLOG:
			o.backlog = tt_parse_num(optarg, 0, 65535, "--backlog");
			break;
		case O_ACCEPT_PAUSE:
			o.accept_pause_us = tt_parse_num(optarg, 0, 10000000,
							 "--accept-pause");
			break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (o.dst_len && o.dst.ss_family == AF_INET6)
		o.v6 = true;	/* an IPv6 destination needs an IPv6 socket */
	if (!strcmp(cmd, "sink"))
		return cmd_sink();
	if (!strcmp(cmd, "load"))
		return cmd_load();
	if (!strcmp(cmd, "retag"))
		return cmd_retag();
	if (!strcmp(cmd, "md5"))
		return cmd_md5();
	if (!strcmp(cmd, "md5srv"))
		return cmd_md5srv();
	if (!strcmp(cmd, "userns"))
		return cmd_userns();
	if (!strcmp(cmd, "hold"))
		return cmd_hold();
	usage(2);
	return 2;
}
