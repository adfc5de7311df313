// SPDX-License-Identifier: GPL-2.0
/*
 * toa_bench - the load generator and timers of "make bench" (runs in the
 * test guest; docs/BENCHMARKS.md says what each figure means).
 *
 *   toa_bench server --bulk-port P --rr-port P --sink-port P [--ready FILE]
 *	One epoll loop, forever. bulk: send a 1-byte greeting on accept (so
 *	inject=handshake stops after it), drain to EOF, close. rr: read 100
 *	bytes, write 100 bytes, close. sink: drain to EOF, never send.
 *   toa_bench bulk --dst A:P --streams N --bytes B [--tag A:P]
 *	N threads, each: socket, [tag], connect, wait for the greeting, send
 *	B bytes, shutdown, wait for EOF. Prints "value=MB/s" (all streams,
 *	first connect to last EOF).
 *   toa_bench conn --dst A:P --count N --parallel P [--tag A:P]
 *	P threads share N connections, each: socket, [tag], connect, send 100
 *	bytes, read 100 bytes and EOF, close. Prints "value=conn/s".
 *   toa_bench hook --sink A:P --greet A:P [--tag A:P] [--kmod FILE]
 *		    [--loops L] [--samples S] [--only KINDS]
 *	Per-call cost of tcp_established_options(sk, NULL): send(fd, "", 0)
 *	runs tcp_sendmsg -> tcp_send_mss -> tcp_current_mss ->
 *	tcp_established_options once and sends nothing. Sockets: "plain"
 *	(untagged), "tag" (tagged, backend silent: TOA wanted under
 *	inject=handshake), "tagdata" (tagged, backend has sent a byte: TOA
 *	not wanted under handshake, wanted under always). Samples of L calls
 *	alternate between the sockets; prints min and median ns per call.
 *	With --kmod (/proc/toa_bench_kmod), also L direct in-kernel calls of
 *	tcp_established_options ("call") and of tcp_options_write with nothing
 *	to write ("optw") on the same socket (bench/kmod): no syscall around.
 *	"new" / "newtag": L/5 x socket(), [tag], close() ("sock"): the
 *	per-connection work of the table (insert, destroy hook, remove).
 *   toa_bench hold --count N [--tag A:P] [--ready FILE]
 *	N TCP sockets, tagged if --tag (unconnected: the table size is what
 *	matters), held until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sdp_toa.h"

#define RR_BYTES	100

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "toa_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void parse_addr(const char *s, struct sockaddr_in *sa)
{
	char buf[64], *colon;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	errno = 0;
	if (!colon)
		die("%s: want a.b.c.d:port", s);
	*colon = 0;
	if (inet_pton(AF_INET, buf, &sa->sin_addr) != 1)
		die("%s: want a.b.c.d:port", s);
	sa->sin_port = htons(atoi(colon + 1));
}

static void touch(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		die("%s", path);
	fclose(f);
}

static struct {
	struct sockaddr_in dst, sink, greet, tag;
	bool have_dst, have_sink, have_greet, have_tag;
	long long bytes;
	int streams, count, parallel, loops, samples;
	int bulk_port, rr_port, sink_port;
	const char *ready, *kmod, *only;
} o = {
	.bytes = 200 << 20, .streams = 1, .count = 2000, .parallel = 4,
	.loops = 20000, .samples = 30,
};

/* ---- client side ------------------------------------------------------ */

static int tag_errno;	/* first tagging error, for the output line */

/* A socket to @dst, tagged if asked; the caller connects. */
static int new_sock(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (o.have_tag && setsockopt(fd, IPPROTO_IP, SDP_TOA_SO_SET, &o.tag,
				     sizeof(o.tag)) < 0 && !tag_errno)
		tag_errno = errno;
	return fd;
}

static void connect_or_die(int fd, const struct sockaddr_in *sa)
{
	while (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno == EINTR)
			continue;
		die("connect");
	}
}

static void read_exact(int fd, char *buf, size_t n)
{
	ssize_t r;

	while (n) {
		r = recv(fd, buf, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = 0;
			die("recv (%zu bytes short)", n);
		}
		buf += r;
		n -= r;
	}
}

static void wait_eof(int fd)
{
	char buf[4096];
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (r < 0 && errno != EINTR)
			die("recv (waiting for EOF)");
	}
}

static pthread_barrier_t start_line;

static void *bulk_stream(void *arg)
{
	static char buf[128 << 10];
	long long left = o.bytes;
	char g;
	ssize_t r;
	int fd;

	(void)arg;
	fd = new_sock();
	pthread_barrier_wait(&start_line);
	connect_or_die(fd, &o.dst);
	read_exact(fd, &g, 1);
	while (left > 0) {
		r = send(fd, buf, left < (long long)sizeof(buf) ?
			 (size_t)left : sizeof(buf), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		left -= r;
	}
	shutdown(fd, SHUT_WR);
	wait_eof(fd);
	close(fd);
	return NULL;
}

static int conn_next;	/* connections handed out */

static void *conn_worker(void *arg)
{
	char buf[RR_BYTES];
	int fd;

	(void)arg;
	memset(buf, 'x', sizeof(buf));
	pthread_barrier_wait(&start_line);
	while (__atomic_fetch_add(&conn_next, 1, __ATOMIC_RELAXED) < o.count) {
		fd = new_sock();
		connect_or_die(fd, &o.dst);
		if (send(fd, buf, sizeof(buf), 0) != sizeof(buf))
			die("send");
		read_exact(fd, buf, sizeof(buf));
		wait_eof(fd);
		close(fd);
	}
	return NULL;
}

/* Run @n threads of @fn from one start line; returns the seconds taken. */
static double run_threads(int n, void *(*fn)(void *))
{
	pthread_t *t = calloc(n, sizeof(*t));
	double t0;
	int i;

	pthread_barrier_init(&start_line, NULL, n + 1);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, NULL))
			die("pthread_create");
	pthread_barrier_wait(&start_line);
	t0 = now();
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	t0 = now() - t0;
	free(t);
	return t0;
}

static void print_tag_state(void)
{
	if (!o.have_tag)
		printf(" tag=none");
	else if (tag_errno)
		printf(" tag=failed(%s)", strerror(tag_errno));
	else
		printf(" tag=yes");
}

static int cmd_bulk(void)
{
	double secs;

	if (!o.have_dst)
		errno = 0, die("bulk: --dst is required");
	secs = run_threads(o.streams, bulk_stream);
	printf("value=%.2f unit=MB/s streams=%d bytes=%lld secs=%.3f",
	       o.streams * (double)o.bytes / secs / 1e6, o.streams, o.bytes,
	       secs);
	print_tag_state();
	printf("\n");
	return 0;
}

static int cmd_conn(void)
{
	double secs;

	if (!o.have_dst)
		errno = 0, die("conn: --dst is required");
	secs = run_threads(o.parallel, conn_worker);
	printf("value=%.1f unit=conn/s count=%d parallel=%d secs=%.3f",
	       o.count / secs, o.count, o.parallel, secs);
	print_tag_state();
	printf("\n");
	return 0;
}

/* ---- hook: per-call cost ------------------------------------------------ */

#define NSERIES	5	/* send0, teo, optw, sock, udp */

struct hsock {
	const char *name;
	int fd;			/* -1: a socket()/[tag]/close() loop instead */
	bool tag;
	double *v[NSERIES];	/* ns per call, one per sample */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double time_send0(int fd, int loops)
{
	double t0 = now();
	int i;

	for (i = 0; i < loops; i++)
		if (send(fd, "", 0, 0) != 0)
			die("send(0)");
	return (now() - t0) * 1e9 / loops;
}

/* socket(), [tag], close(): what a connection costs the table, alone. */
static double time_sockloop(bool tag, int loops)
{
	double t0 = now();
	int i, fd;

	for (i = 0; i < loops; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (tag && setsockopt(fd, IPPROTO_IP, SDP_TOA_SO_SET, &o.tag,
				      sizeof(o.tag)) < 0)
			die("SDP_TOA_SO_SET");
		close(fd);
	}
	return (now() - t0) * 1e9 / loops;
}

/*
 * One UDP datagram of one byte over loopback, sent on a connected socket
 * and read on the other: a packet out and in through IP, where the
 * cgroup skb hooks are (on 5.10 and 5.11 one static key switches them on
 * with the sock_ops one the native path holds).
 */
static int udp_pair[2] = { -1, -1 };

static void udp_open(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 2; i++) {
		udp_pair[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (udp_pair[i] < 0 ||
		    bind(udp_pair[i], (struct sockaddr *)&a, sizeof(a)))
			die("udp socket");
	}
	if (getsockname(udp_pair[1], (struct sockaddr *)&a, &len) ||
	    connect(udp_pair[0], (struct sockaddr *)&a, sizeof(a)))
		die("udp connect");
}

static double time_udp(int loops)
{
	double t0 = now();
	char c = 0;
	int i;

	for (i = 0; i < loops; i++)
		if (send(udp_pair[0], &c, 1, 0) != 1 ||
		    recv(udp_pair[1], &c, 1, 0) != 1)
			die("udp send/recv");
	return (now() - t0) * 1e9 / loops;
}

/* bench/kmod: "FD LOOPS FUNC" in, nanoseconds for LOOPS calls out. */
static double time_kmod(int kfd, int fd, int loops, int func)
{
	char buf[64];
	ssize_t n;

	n = snprintf(buf, sizeof(buf), "%d %d %d\n", fd, loops, func);
	if (pwrite(kfd, buf, n, 0) != n)
		die("write %s", o.kmod);
	n = pread(kfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		die("read %s", o.kmod);
	buf[n] = 0;
	return strtod(buf, NULL) / loops;
}

static int hook_connect(const struct sockaddr_in *dst, bool tag, bool greet)
{
	bool had = o.have_tag;
	char g;
	int fd;

	o.have_tag = tag;
	fd = new_sock();
	o.have_tag = had;
	connect_or_die(fd, dst);
	if (greet)
		read_exact(fd, &g, 1);
	return fd;
}

static bool wanted(const char *name)
{
	char list[256], *p, *save = NULL;

	if (!o.only)
		return true;
	snprintf(list, sizeof(list), "%s", o.only);
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (!strcmp(p, name))
			return true;
	return false;
}

static void hook_sample(struct hsock *h, int kfd, int k)
{
	int sl = o.loops / 5 > 0 ? o.loops / 5 : 1;

	if (h->fd < 0) {
		h->v[3][k] = time_sockloop(h->tag, sl);
		return;
	}
	h->v[0][k] = time_send0(h->fd, o.loops);
	if (!h->tag)
		h->v[4][k] = time_udp(o.loops);
	if (kfd >= 0) {
		h->v[1][k] = time_kmod(kfd, h->fd, o.loops, 0);
		h->v[2][k] = time_kmod(kfd, h->fd, o.loops, 1);
	}
}

static int cmd_hook(void)
{
	static const char *const series[NSERIES] = {
		"send0", "call", "optw", "sock", "udp" };
	struct hsock s[5];
	int n = 0, i, j, k, kfd = -1;

	if (!o.have_sink || !o.have_greet)
		errno = 0, die("hook: --sink and --greet are required");
	udp_open();
	if (wanted("plain"))
		s[n++] = (struct hsock){ .name = "plain",
			.fd = hook_connect(&o.sink, false, false) };
	if (o.have_tag && wanted("tag"))
		s[n++] = (struct hsock){ .name = "tag", .tag = true,
			.fd = hook_connect(&o.sink, true, false) };
	if (o.have_tag && wanted("tagdata"))
		s[n++] = (struct hsock){ .name = "tagdata", .tag = true,
			.fd = hook_connect(&o.greet, true, true) };
	if (wanted("new"))
		s[n++] = (struct hsock){ .name = "new", .fd = -1 };
	if (o.have_tag && wanted("newtag"))
		s[n++] = (struct hsock){ .name = "newtag", .fd = -1,
			.tag = true };
	if (tag_errno)
		die("tagging failed: %s", strerror(tag_errno));
	if (o.kmod) {
		kfd = open(o.kmod, O_RDWR);
		if (kfd < 0)
			die("%s", o.kmod);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < NSERIES; j++)
			s[i].v[j] = calloc(o.samples, sizeof(double));
		hook_sample(&s[i], kfd, 0);	/* warm up */
	}
	for (k = 0; k < o.samples; k++)
		for (i = 0; i < n; i++)
			hook_sample(&s[i], kfd, k);
	for (i = 0; i < n; i++) {
		printf("sock=%s", s[i].name);
		for (j = 0; j < NSERIES; j++) {
			double med;

			if (s[i].fd < 0 ? j != 3 : j == 3 || (j && j < 3 && kfd < 0) ||
			    (j == 4 && s[i].tag))
				continue;
			med = median(s[i].v[j], o.samples);	/* sorts */
			printf(" %s_min=%.1f %s_med=%.1f", series[j],
			       s[i].v[j][0], series[j], med);
		}
		printf(" loops=%d samples=%d tag=%s\n", o.loops, o.samples,
		       s[i].tag ? "yes" : "none");
	}
	return 0;
}

/* ---- hold: a table of N tagged sockets ---------------------------------- */

static int cmd_hold(void)
{
	rlim_t need = (rlim_t)o.count + 64;
	struct rlimit rl;
	double t0 = now();
	int i, fd, failed = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit(RLIMIT_NOFILE, %d)", o.count + 64);
	}
	for (i = 0; i < o.count; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket %d of %d", i + 1, o.count);
		if (o.have_tag && setsockopt(fd, IPPROTO_IP, SDP_TOA_SO_SET,
					     &o.tag, sizeof(o.tag)) < 0)
			failed++;
	}
	printf("hold count=%d tag_failed=%d secs=%.2f\n", o.count, failed,
	       now() - t0);
	fflush(stdout);
	touch(o.ready);
	for (;;)
		pause();
	return 0;
}

/* ---- server ------------------------------------------------------------- */

enum kind { K_BULK, K_RR, K_SINK, K_LISTEN };

struct conn {
	enum kind kind;
	int fd;
	enum kind lkind;	/* for listeners: the kind they accept */
	int got;
};

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind port %d", port);
	if (listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

static void ep_add(int ep, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

static void conn_end(struct conn *c)
{
	close(c->fd);	/* also leaves the epoll set */
	free(c);
}

static void serve_conn(struct conn *c)
{
	static char buf[256 << 10];
	ssize_t r;

	for (;;) {
		size_t want = sizeof(buf);

		if (c->kind == K_RR)
			want = RR_BYTES - c->got;
		r = recv(c->fd, buf, want, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_end(c);		/* reset by the client */
			return;
		}
		if (r == 0) {
			conn_end(c);
			return;
		}
		c->got += r;
		if (c->kind == K_RR && c->got >= RR_BYTES) {
			memset(buf, 'y', RR_BYTES);
			if (send(c->fd, buf, RR_BYTES, MSG_NOSIGNAL) != RR_BYTES)
				fprintf(stderr, "toa_bench: server: short reply\n");
			conn_end(c);
			return;
		}
	}
}

static int cmd_server(void)
{
	struct epoll_event ev[64];
	struct conn *c, *l;
	int ep, n, i, fd;

	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	if (!o.bulk_port || !o.rr_port || !o.sink_port)
		errno = 0, die("server: --bulk-port, --rr-port and --sink-port are required");
	for (i = 0; i < 3; i++) {
		l = calloc(1, sizeof(*l));
		l->kind = K_LISTEN;
		l->lkind = i == 0 ? K_BULK : i == 1 ? K_RR : K_SINK;
		l->fd = listen_on(i == 0 ? o.bulk_port :
				  i == 1 ? o.rr_port : o.sink_port);
		ep_add(ep, l);
	}
	touch(o.ready);
	for (;;) {
		n = epoll_wait(ep, ev, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			c = ev[i].data.ptr;
			if (c->kind != K_LISTEN) {
				serve_conn(c);
				continue;
			}
			while ((fd = accept4(c->fd, NULL, NULL,
					     SOCK_NONBLOCK)) >= 0) {
				struct conn *nc = calloc(1, sizeof(*nc));

				nc->kind = c->lkind;
				nc->fd = fd;
				if (nc->kind == K_BULK &&
				    send(fd, "g", 1, MSG_NOSIGNAL) != 1) {
					conn_end(nc);
					continue;
				}
				ep_add(ep, nc);
			}
		}
	}
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: toa_bench server --bulk-port P --rr-port P --sink-port P [--ready FILE]\n"
		"       toa_bench bulk --dst A:P [--streams N] [--bytes B] [--tag A:P]\n"
		"       toa_bench conn --dst A:P [--count N] [--parallel P] [--tag A:P]\n"
		"       toa_bench hook --sink A:P --greet A:P [--tag A:P] [--kmod FILE]\n"
		"                      [--loops L] [--samples S]\n"
		"                      [--only plain,tag,tagdata,new,newtag]\n"
		"       toa_bench hold --count N [--tag A:P] [--ready FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", 1, NULL, 'd' },	{ "tag", 1, NULL, 't' },
		{ "bytes", 1, NULL, 'b' },	{ "streams", 1, NULL, 's' },
		{ "count", 1, NULL, 'n' },	{ "parallel", 1, NULL, 'p' },
		{ "loops", 1, NULL, 'l' },	{ "samples", 1, NULL, 'S' },
		{ "sink", 1, NULL, 'k' },	{ "greet", 1, NULL, 'g' },
		{ "kmod", 1, NULL, 'K' },	{ "only", 1, NULL, 'o' },
		{ "ready", 1, NULL, 'r' },	{ "bulk-port", 1, NULL, 'B' },
		{ "rr-port", 1, NULL, 'R' },	{ "sink-port", 1, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': parse_addr(optarg, &o.dst); o.have_dst = true; break;
		case 't': parse_addr(optarg, &o.tag); o.have_tag = true; break;
		case 'k': parse_addr(optarg, &o.sink); o.have_sink = true; break;
		case 'g': parse_addr(optarg, &o.greet); o.have_greet = true; break;
		case 'b': o.bytes = strtoll(optarg, NULL, 0) << 20; break;
		case 's': o.streams = atoi(optarg); break;
		case 'n': o.count = atoi(optarg); break;
		case 'p': o.parallel = atoi(optarg); break;
		case 'l': o.loops = atoi(optarg); break;
		case 'S': o.samples = atoi(optarg); break;
		case 'K': o.kmod = optarg; break;
		case 'o': o.only = optarg; break;
		case 'r': o.ready = optarg; break;
		case 'B': o.bulk_port = atoi(optarg); break;
		case 'R': o.rr_port = atoi(optarg); break;
		case 'P': o.sink_port = atoi(optarg); break;
		default: usage();
		}
	}
	if (o.streams < 1 || o.parallel < 1 || o.count < 1 || o.loops < 1 ||
	    o.samples < 1 || o.bytes < 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "server"))
		return cmd_server();
	if (!strcmp(cmd, "bulk"))
		return cmd_bulk();
	if (!strcmp(cmd, "conn"))
		return cmd_conn();
	if (!strcmp(cmd, "hook"))
		return cmd_hook();
	if (!strcmp(cmd, "hold"))
		return cmd_hold();
	usage();
	return 2;
}
