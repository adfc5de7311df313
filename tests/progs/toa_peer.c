// SPDX-License-Identifier: GPL-2.0
/*
 * toa_peer - who does the backend think the client is, through a real proxy?
 *
 *   toa_peer serve --listen ADDR:PORT [--listen ...] [--ready FILE]
 *       Backend. For each connection: read a request (up to an empty line,
 *       as HTTP, or EOF), answer
 *         HTTP/1.0 200 OK, Content-Length, Connection: close, and a body
 *         "peer=ADDR:PORT nat64=ADDR:PORT|-\n"
 *       where peer is getpeername() (what a backend program sees) and
 *       nat64 the SDP_TOA_SO_GET_NAT64 answer (an IPv6 client carried over
 *       IPv4), then close. The same bytes work through HTTP proxies and
 *       plain TCP ones. Runs until SIGTERM; prints "serve: conns=N".
 *
 *   toa_peer load --dst ADDR:PORT --src-base ADDR --nsrc N [--count K]
 *                 [--expect client|ip|ADDR] [--timeout SECS] [--stop-file F]
 *       Clients: N threads, thread i bound to source address base + i
 *       (last byte), each making K sequential requests (0: until the stop
 *       file exists) through the proxy at --dst, and comparing what the
 *       backend saw with what it knows of itself:
 *         client  the backend's peer (or its nat64 answer) is this
 *                 thread's own address and port (HAProxy "usesrc client")
 *         ip      the same address, any port (the default: "usesrc
 *                 clientip", nginx "proxy_bind $remote_addr")
 *         ADDR    the address is ADDR (a proxy without transparent source,
 *                 or the module absent: the load balancer)
 *       Prints "load: conns=N ok=O wrong=W failed=F" (a few wrong ones
 *       first) and exits 1 if W or F is not 0 (--allow-failed: only W;
 *       a request that got no answer is not a wrong client).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

#define MAX_LISTEN	8
#define MAX_THREADS	512

static struct {
	struct sockaddr_storage listen[MAX_LISTEN];
	int nlisten;
	struct sockaddr_storage dst, src_base, expect_addr;
	socklen_t dst_len;
	int nsrc, count;
	enum { EXPECT_IP, EXPECT_CLIENT, EXPECT_ADDR } expect;
	const char *ready, *stop_file;
	double timeout;
	bool allow_failed;
} o = { .nsrc = 1, .count = 1, .expect = EXPECT_IP, .timeout = 120 };

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- serve ----------------------------------------------------------- */

static void nat64_str(int fd, char *buf, size_t n)
{
	struct sockaddr_in6 sin6;

	if (tt_sock_family(fd) != AF_INET || tt_nat64_peer(fd, &sin6)) {
		snprintf(buf, n, "-");
		return;
	}
	tt_addr_str((struct sockaddr *)&sin6, buf, n);
}

static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	char req[4096], peer[TT_ADDRSTRLEN], nat[TT_ADDRSTRLEN], body[256],
	     resp[512];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t got = 0;
	ssize_t r;
	int n;

	/* read the request: to an empty line (HTTP) or EOF */
	while (got < sizeof(req) - 1) {
		r = recv(fd, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			break;
		got += r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	/* asked now, after the client's first bytes */
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		snprintf(peer, sizeof(peer), "-");
	else
		tt_addr_str((struct sockaddr *)&ss, peer, sizeof(peer));
	nat64_str(fd, nat, sizeof(nat));
	n = snprintf(body, sizeof(body), "peer=%s nat64=%s\n", peer, nat);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
		     n, body);
	if (send(fd, resp, n, MSG_NOSIGNAL) < 0) {
		/* the client went away: nothing to tell */
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, req, sizeof(req), 0) > 0)
		;
	close(fd);
	return NULL;
}

static int cmd_serve(void)
{
	struct epoll_event ev, evs[MAX_LISTEN];
	unsigned long long conns = 0;
	pthread_attr_t attr;
	int ep, fds[MAX_LISTEN], i, n, fd, on = 1;
	pthread_t t;

	if (!o.nlisten)
		die("serve needs --listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_errno("epoll_create1");
	for (i = 0; i < o.nlisten; i++) {
		struct sockaddr *a = (struct sockaddr *)&o.listen[i];

		fds[i] = socket(a->sa_family, SOCK_STREAM, 0);
		if (fds[i] < 0)
			die_errno("socket");
		setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fds[i], a, tt_sockaddr_len(a->sa_family)) ||
		    listen(fds[i], 1024))
			die_errno("listen");
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (o.ready)
		tt_touch(o.ready, "serving\n");
	while (!stop) {
		n = epoll_wait(ep, evs, MAX_LISTEN, 200);
		for (i = 0; i < n; i++) {
			fd = accept4(evs[i].data.fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			conns++;
			if (pthread_create(&t, &attr, serve_conn, (void *)(long)fd))
				close(fd);
		}
	}
	printf("serve: conns=%llu\n", conns);
	return 0;
}

/* ---- load ------------------------------------------------------------ */

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long l_conns, l_ok, l_wrong, l_failed;

static void src_of(int i, struct sockaddr_storage *out)
{
	*out = o.src_base;
	if (out->ss_family == AF_INET)
		((uint8_t *)&((struct sockaddr_in *)out)->sin_addr)[3] += i;
	else
		((struct sockaddr_in6 *)out)->sin6_addr.s6_addr[15] += i;
	tt_addr_set_port((struct sockaddr *)out, 0);
}

/* The address in "peer=A nat64=B": B when the backend had a NAT64 client. */
static int seen_of(const char *body, struct sockaddr_storage *seen)
{
	char peer[TT_ADDRSTRLEN + 8], nat[TT_ADDRSTRLEN + 8];
	socklen_t l;
	const char *p = strstr(body, "peer=");

	if (!p || sscanf(p, "peer=%60s nat64=%60s", peer, nat) != 2)
		return -1;
	if (strcmp(nat, "-"))
		return tt_addr_parse(nat, seen, &l, true);
	return tt_addr_parse(peer, seen, &l, true);
}

static bool same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	struct sockaddr_in6 x, y;

	tt_to_v6(a, &x);
	tt_to_v6(b, &y);
	return !memcmp(&x.sin6_addr, &y.sin6_addr, 16);
}

/* One request from @src; 1 ok, 0 wrong, -1 failed. */
static int one_request(const struct sockaddr_storage *src, char *why,
		       size_t wn)
{
	char buf[2048], a[TT_ADDRSTRLEN], b[TT_ADDRSTRLEN];
	static const char req[] = "GET / HTTP/1.0\r\nHost: backend\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_storage me, seen;
	socklen_t ml = sizeof(me);
	size_t got = 0;
	ssize_t r;
	int fd, ok;

	fd = socket(src->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)src,
		 tt_sockaddr_len(src->ss_family)) ||
	    connect(fd, (struct sockaddr *)&o.dst, o.dst_len) ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		snprintf(why, wn, "connect/send: %s", tt_errstr(errno));
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 &&
	       (r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += r;
	buf[got] = '\0';
	close(fd);
	if (seen_of(buf, &seen)) {
		snprintf(why, wn, "no answer from the backend (%zu bytes)", got);
		return -1;
	}
	tt_addr_str((struct sockaddr *)&me, a, sizeof(a));
	tt_addr_str((struct sockaddr *)&seen, b, sizeof(b));
	switch (o.expect) {
	case EXPECT_CLIENT:
		ok = same_ip((struct sockaddr *)&me, (struct sockaddr *)&seen) &&
		     tt_addr_port((struct sockaddr *)&me) ==
		     tt_addr_port((struct sockaddr *)&seen);
		break;
	case EXPECT_IP:
		ok = same_ip((struct sockaddr *)&me, (struct sockaddr *)&seen);
		break;
	default:
		ok = same_ip((struct sockaddr *)&o.expect_addr,
			     (struct sockaddr *)&seen);
	}
	if (!ok)
		snprintf(why, wn, "client %s, the backend saw %s", a, b);
	return ok;
}

static void *load_thread(void *arg)
{
	struct sockaddr_storage src;
	char why[256];
	int i = (int)(long)arg, k, r;

	src_of(i, &src);
	for (k = 0; o.count ? k < o.count : !(o.stop_file &&
					      !access(o.stop_file, F_OK)); k++) {
		r = one_request(&src, why, sizeof(why));
		pthread_mutex_lock(&lk);
		l_conns++;
		if (r > 0) {
			l_ok++;
		} else {
			if (r == 0)
				l_wrong++;
			else
				l_failed++;
			if (l_wrong + l_failed <= 5)
				printf("load: %s: %s\n", r ? "failed" : "wrong",
				       why);
		}
		pthread_mutex_unlock(&lk);
	}
	return NULL;
}

static int cmd_load(void)
{
	pthread_t t[MAX_THREADS];
	int i;

	if (!o.dst_len || !o.src_base.ss_family)
		die("load needs --dst and --src-base");
	if (o.nsrc < 1 || o.nsrc > MAX_THREADS)
		die("--nsrc 1..%d", MAX_THREADS);
	tt_arm_timeout(o.timeout, NULL);
	for (i = 0; i < o.nsrc; i++)
		if (pthread_create(&t[i], NULL, load_thread, (void *)(long)i))
			die("pthread_create");
	for (i = 0; i < o.nsrc; i++)
		pthread_join(t[i], NULL);
	printf("load: conns=%llu ok=%llu wrong=%llu failed=%llu\n", l_conns,
	       l_ok, l_wrong, l_failed);
	return l_wrong || (l_failed && !o.allow_failed) ? 1 : 0;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_peer serve --listen ADDR:PORT [--listen ...] [--ready FILE]\n"
"       toa_peer load --dst ADDR:PORT --src-base ADDR [--nsrc N] [--count K]\n"
"                     [--expect client|ip|ADDR] [--stop-file F] [--timeout S]\n"
"                     [--allow-failed]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_READY, O_DST, O_SRC, O_NSRC, O_COUNT,
	       O_EXPECT, O_STOP, O_TIMEOUT, O_ALLOW_FAILED };
	static const struct option lo[] = {
		{ "listen", 1, 0, O_LISTEN }, { "ready", 1, 0, O_READY },
		{ "dst", 1, 0, O_DST }, { "src-base", 1, 0, O_SRC },
		{ "nsrc", 1, 0, O_NSRC }, { "count", 1, 0, O_COUNT },
		{ "expect", 1, 0, O_EXPECT }, { "stop-file", 1, 0, O_STOP },
		{ "timeout", 1, 0, O_TIMEOUT }, { "help", 0, 0, 'h' },
		{ "allow-failed", 0, 0, O_ALLOW_FAILED },
		{ 0, 0, 0, 0 },
	};
	struct sigaction sa = { .sa_handler = on_term };
	const char *cmd;
	int c;

	tt_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage(2);
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:
			if (o.nlisten == MAX_LISTEN)
				die("at most %d --listen", MAX_LISTEN);
			tt_addr_parse_or_die(optarg, &o.listen[o.nlisten++],
					     true, "--listen");
			break;
		case O_READY: o.ready = optarg; break;
		case O_DST:
			o.dst_len = tt_addr_parse_or_die(optarg, &o.dst, true,
							 "--dst");
			break;
		case O_SRC:
			tt_addr_parse_or_die(optarg, &o.src_base, false,
					     "--src-base");
			break;
		case O_NSRC:
			o.nsrc = tt_parse_num(optarg, 1, MAX_THREADS, "--nsrc");
			break;
		case O_COUNT:
			o.count = tt_parse_num(optarg, 0, 1000000, "--count");
			break;
		case O_EXPECT:
			if (!strcmp(optarg, "client")) {
				o.expect = EXPECT_CLIENT;
			} else if (!strcmp(optarg, "ip")) {
				o.expect = EXPECT_IP;
			} else {
				o.expect = EXPECT_ADDR;
				tt_addr_parse_or_die(optarg, &o.expect_addr,
						     false, "--expect");
			}
			break;
		case O_STOP: o.stop_file = optarg; break;
		case O_ALLOW_FAILED: o.allow_failed = true; break;
		case O_TIMEOUT: o.timeout = tt_parse_secs(optarg, "--timeout"); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "serve"))
		return cmd_serve();
	if (!strcmp(cmd, "load"))
		return cmd_load();
	usage(2);
	return 2;
}
