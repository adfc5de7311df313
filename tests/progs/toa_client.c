// SPDX-License-Identifier: GPL-2.0
/*
 * toa_client - what a proxy does on its upstream side: open a TCP socket,
 * tag it with the client's address (SDP_TOA_SO_SET), connect, transfer.
 *
 * Per connection:  socket, options, [tag], connect, [tag if --tag-after-
 * connect], [GET], send --send bytes, [ready], [read --recv bytes],
 * [wait for --wait-file], send --send2 bytes, [hold], then either an
 * abortive close (--linger0) or shutdown(SHUT_WR) and read to EOF.
 * Data follows a fixed pattern (byte at offset o is o % 251); toa_server
 * checks it, and so does this side for what the server sends back.
 *
 * Prints one line per connection:
 *   conn=W.C local=ADDR:PORT peer=ADDR:PORT sent=N recv=M [get=...]
 * and at the end "toa_client: ok connections=N"; any mismatch or error is
 * a message on stderr and exit status 1.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

#define MAX_ERRNOS	8

static struct {
	struct sockaddr_storage dst, bind, tag, expect_get;
	socklen_t dst_len, bind_len, tag_len;
	const char *dst_s, *tag_s, *ready, *wait_file, *md5, *as_user, *groups;
	const char *retag_file;
	bool v6, have_bind, have_tag, tag_after, no_connect, clear, get,
	     have_expect_get, expect_get_none, linger0, nodelay, quiet;
	long long send, recv, send2, expect_recv;
	int count, parallel, syncnt, user_timeout, mss, sndbuf, rcvbuf;
	int expect_errno[MAX_ERRNOS], n_expect_errno;
	int tag_errno[MAX_ERRNOS], n_tag_errno;
	int tag_may_fail[MAX_ERRNOS], n_tag_may_fail;
	double hold, timeout, delay;
} o = {
	.expect_recv = -1, .count = 1, .parallel = 1, .timeout = 120,
};

static int ready_fd = -1;
static int tag_failed;		/* tags refused as --tag-may-fail allows */	/* pipe to the parent, or -1: write the file */
static const char *volatile phase = "starting";
static char conn_name[32] = "-";

static void timeout_context(char *buf, size_t n)
{
	snprintf(buf, n, "conn=%s while %s", conn_name, phase);
}

static bool errno_in(int err, const int *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == err)
			return true;
	return false;
}

static void send_all(int fd, long long n, uint64_t off)
{
	static uint8_t buf[65536];
	ssize_t r;
	size_t chunk;

	while (n > 0) {
		chunk = n < (long long)sizeof(buf) ? (size_t)n : sizeof(buf);
		tt_fill(buf, chunk, off);
		r = send(fd, buf, chunk, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno("conn=%s: send (at byte %llu)", conn_name,
				  (unsigned long long)off);
		}
		off += r;
		n -= r;
	}
}

/* Read @want bytes (-1: to EOF) continuing the pattern at *off. */
static long long recv_bytes(int fd, long long want, uint64_t *off)
{
	static uint8_t buf[65536];
	long long got = 0;
	size_t chunk;
	ssize_t r;
	long bad;

	while (want < 0 || got < want) {
		chunk = sizeof(buf);
		if (want >= 0 && want - got < (long long)chunk)
			chunk = (size_t)(want - got);
		r = recv(fd, buf, chunk, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno("conn=%s: recv (after %lld bytes)", conn_name,
				  got);
		}
		if (r == 0) {
			if (want >= 0)
				die("conn=%s: EOF after %lld of %lld bytes",
				    conn_name, got, want);
			break;
		}
		bad = tt_check(buf, r, *off);
		if (bad >= 0)
			die("conn=%s: received byte %llu is wrong (0x%02x, want 0x%02x)",
			    conn_name, (unsigned long long)(*off + bad),
			    buf[bad], tt_pattern(*off + bad));
		*off += r;
		got += r;
	}
	return got;
}

static void set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) < 0)
		die_errno("setsockopt(%s=%d)", what, val);
}

/* The GET result as text for the connection line; checks --expect-get. */
static void do_get(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage got;
	socklen_t len = sizeof(got);
	char a[TT_ADDRSTRLEN], b[TT_ADDRSTRLEN];
	int err;

	phase = "getting the tag";
	err = tt_toa_get(fd, &got, &len);
	if (err) {
		snprintf(out, outlen, " get=%s", tt_errno_name(-err));
		if (o.have_expect_get && !(o.expect_get_none && err == -ENOENT))
			die("conn=%s: SDP_TOA_SO_GET: %s%s, expected %s",
			    conn_name, tt_errstr(-err), tt_toa_hint(err),
			    o.expect_get_none ? "ENOENT" :
			    tt_addr_str((struct sockaddr *)&o.expect_get, b,
					sizeof(b)));
		return;
	}
	tt_addr_str((struct sockaddr *)&got, a, sizeof(a));
	snprintf(out, outlen, " get=%s", a);
	if (len != tt_sockaddr_len(got.ss_family))
		die("conn=%s: SDP_TOA_SO_GET returned %s with length %u",
		    conn_name, a, len);
	if (o.have_expect_get &&
	    (o.expect_get_none ||
	     !tt_addr_equal((struct sockaddr *)&got,
			    (struct sockaddr *)&o.expect_get)))
		die("conn=%s: SDP_TOA_SO_GET returned %s, expected %s",
		    conn_name, a,
		    o.expect_get_none ? "ENOENT" :
		    tt_addr_str((struct sockaddr *)&o.expect_get, b,
				sizeof(b)));
}

static void do_tag(int fd)
{
	int err, fam = tt_sock_family(fd);

	phase = "tagging";
	err = tt_toa_set(fd, &o.tag, o.tag_len);
	if (o.n_tag_errno) {
		if (err && errno_in(-err, o.tag_errno, o.n_tag_errno))
			return;
		die("conn=%s: SDP_TOA_SO_SET %s: %s, expected %s", conn_name,
		    o.tag_s, err ? tt_errstr(-err) : "success",
		    tt_errno_name(o.tag_errno[0]));
	}
	if (err && errno_in(-err, o.tag_may_fail, o.n_tag_may_fail)) {
		tag_failed++;
		return;
	}
	if (err)
		die("conn=%s: SDP_TOA_SO_SET %s on an %s socket (level %s): %s%s",
		    conn_name, o.tag_s, fam == AF_INET6 ? "AF_INET6" : "AF_INET",
		    fam == AF_INET6 ? "IPPROTO_IPV6" : "IPPROTO_IP",
		    tt_errstr(-err), tt_toa_hint(err));
	if (o.clear) {
		err = tt_toa_clear(fd);
		if (err)
			die("conn=%s: SDP_TOA_SO_SET AF_UNSPEC (clear): %s%s",
			    conn_name, tt_errstr(-err), tt_toa_hint(err));
	}
}

static void signal_ready(void)
{
	static bool done;

	if (!o.ready || done)
		return;
	done = true;
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			die_errno("ready pipe");
		close(ready_fd);
		ready_fd = -1;
	} else {
		tt_touch(o.ready, "ready\n");
	}
}

static void one_conn(int w, int c)
{
	struct sockaddr_storage dst, ss;
	char l[TT_ADDRSTRLEN] = "-", p[TT_ADDRSTRLEN] = "-", get[96] = "";
	socklen_t dst_len = o.dst_len, sl;
	uint64_t roff = 0;
	long long got = 0;
	int fd, fam, err;

	snprintf(conn_name, sizeof(conn_name), "%d.%d", w, c);
	memcpy(&dst, &o.dst, sizeof(dst));
	fam = o.v6 || o.dst.ss_family == AF_INET6 ? AF_INET6 : AF_INET;
	if (fam == AF_INET6 && dst.ss_family == AF_INET)
		dst_len = tt_to_v6((struct sockaddr *)&o.dst,
				   (struct sockaddr_in6 *)&dst);

	phase = "creating the socket";
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		die_errno("socket");
	if (o.have_bind) {
		struct sockaddr_storage b = o.bind;
		socklen_t bl = o.bind_len;

		if (fam == AF_INET6 && b.ss_family == AF_INET)
			bl = tt_to_v6((struct sockaddr *)&o.bind,
				      (struct sockaddr_in6 *)&b);
		set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
		if (bind(fd, (struct sockaddr *)&b, bl) < 0)
			die_errno("bind");
	}
	if (o.syncnt)
		set_int(fd, IPPROTO_TCP, TCP_SYNCNT, o.syncnt, "TCP_SYNCNT");
	if (o.user_timeout)
		set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, o.user_timeout,
			"TCP_USER_TIMEOUT");
	if (o.mss)
		set_int(fd, IPPROTO_TCP, TCP_MAXSEG, o.mss, "TCP_MAXSEG");
	if (o.nodelay)
		set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	if (o.sndbuf)
		set_int(fd, SOL_SOCKET, SO_SNDBUF, o.sndbuf, "SO_SNDBUF");
	if (o.rcvbuf)
		set_int(fd, SOL_SOCKET, SO_RCVBUF, o.rcvbuf, "SO_RCVBUF");
	if (o.md5)
		tt_md5_key(fd, (struct sockaddr *)&o.dst, o.md5);
	if (o.have_tag && (!o.tag_after || o.no_connect))
		do_tag(fd);
	if (o.retag_file) {
		/* the module may be reloaded meanwhile: tag the socket again */
		signal_ready();
		tt_wait_file(o.retag_file, 0);
		do_tag(fd);
	}

	if (o.no_connect) {
		if (o.get || o.have_expect_get)
			do_get(fd, get, sizeof(get));
		signal_ready();
		tt_sleep(o.hold);
		close(fd);
		if (!o.quiet)
			printf("conn=%s no-connect%s\n", conn_name, get);
		return;
	}

	phase = "connecting";
	err = connect(fd, (struct sockaddr *)&dst, dst_len) < 0 ? errno : 0;
	if (o.n_expect_errno) {
		if (!err)
			die("conn=%s: connect to %s succeeded, expected %s",
			    conn_name, o.dst_s,
			    tt_errno_name(o.expect_errno[0]));
		if (!errno_in(err, o.expect_errno, o.n_expect_errno))
			die("conn=%s: connect to %s: %s, expected %s",
			    conn_name, o.dst_s, tt_errstr(err),
			    tt_errno_name(o.expect_errno[0]));
		if (o.get || o.have_expect_get)
			do_get(fd, get, sizeof(get));
		signal_ready();
		close(fd);
		if (!o.quiet)
			printf("conn=%s connect=%s (expected)%s\n", conn_name,
			       tt_errno_name(err), get);
		return;
	}
	if (err) {
		errno = err;
		die_errno("conn=%s: connect to %s", conn_name, o.dst_s);
	}
	if (o.have_tag && o.tag_after)
		do_tag(fd);
	if (o.get || o.have_expect_get)
		do_get(fd, get, sizeof(get));
	sl = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		tt_addr_str((struct sockaddr *)&ss, l, sizeof(l));
	sl = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		tt_addr_str((struct sockaddr *)&ss, p, sizeof(p));

	phase = "waiting --delay";
	tt_sleep(o.delay);
	phase = "sending";
	send_all(fd, o.send, 0);
	if (c == 0)
		signal_ready();
	if (o.recv) {
		phase = "receiving --recv bytes";
		got += recv_bytes(fd, o.recv, &roff);
	}
	if (o.wait_file) {
		phase = "waiting for --wait-file";
		tt_wait_file(o.wait_file, 0);
	}
	phase = "sending --send2";
	send_all(fd, o.send2, o.send);
	phase = "holding";
	tt_sleep(o.hold);
	if (o.linger0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			die_errno("setsockopt(SO_LINGER)");
	} else {
		phase = "reading to EOF";
		if (shutdown(fd, SHUT_WR) < 0)
			die_errno("conn=%s: shutdown", conn_name);
		got += recv_bytes(fd, -1, &roff);
		if (o.expect_recv >= 0 && got != o.expect_recv)
			die("conn=%s: received %lld bytes, expected %lld",
			    conn_name, got, o.expect_recv);
	}
	close(fd);
	if (!o.quiet)
		printf("conn=%s local=%s peer=%s sent=%lld recv=%lld%s%s\n",
		       conn_name, l, p, o.send + o.send2, got,
		       o.linger0 ? " close=rst" : "", get);
}

static int worker(int w)
{
	int c;

	tt_arm_timeout(o.timeout, timeout_context);
	for (c = 0; c < o.count; c++)
		one_conn(w, c);
	if (tag_failed)
		printf("worker=%d tag_failed=%d\n", w, tag_failed);
	fflush(stdout);
	return 0;
}

static int run_parallel(void)
{
	int pfd[2] = { -1, -1 }, i, st, failed = 0, nready = 0;
	pid_t *pids;
	char ch;

	if (o.ready && pipe(pfd) < 0)
		die_errno("pipe");
	pids = calloc(o.parallel, sizeof(*pids));
	if (!pids)
		die("out of memory");
	for (i = 0; i < o.parallel; i++) {
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] < 0)
			die_errno("fork");
		if (pids[i] == 0) {
			if (pfd[0] >= 0)
				close(pfd[0]);
			ready_fd = pfd[1];
			exit(worker(i));
		}
	}
	if (o.ready) {
		close(pfd[1]);
		while (nready < o.parallel && read(pfd[0], &ch, 1) == 1)
			nready++;
		close(pfd[0]);
		if (nready == o.parallel)
			tt_touch(o.ready, "ready\n");
	}
	for (i = 0; i < o.parallel; i++) {
		if (waitpid(pids[i], &st, 0) < 0)
			die_errno("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			failed++;
			if (WIFSIGNALED(st))
				warnmsg("worker %d killed by signal %d", i,
					WTERMSIG(st));
		}
	}
	free(pids);
	if (failed) {
		printf("%s: FAILED workers=%d failed=%d\n", tt_prog, o.parallel,
		       failed);
		return 1;
	}
	return 0;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_client --dst ADDR:PORT [options]   (or --no-connect)\n"
"  --dst ADDR:PORT        backend: a.b.c.d:port or [v6]:port\n"
"  -6                     use an AF_INET6 socket (IPv4 --dst: ::ffff:a.b.c.d)\n"
"  --bind ADDR[:PORT]     bind before connect\n"
"  --tag ADDR:PORT        client address to tag with (SDP_TOA_SO_SET)\n"
"  --tag-after-connect    tag after connect() instead of before\n"
"  --retag-after FILE     after the tag, --ready, wait for FILE, tag again, connect\n"
"  --tag-errno E[,E..]    the tag call must fail with E; go on untagged\n"
"  --tag-may-fail E[,E..] the tag call may fail with E (counted); go on untagged\n"
"  --clear                tag, then clear the tag (AF_UNSPEC)\n"
"  --get                  print SDP_TOA_SO_GET result (get=ADDR:PORT|ENAME)\n"
"  --expect-get A:P|none  GET must return A:P (none: ENOENT)\n"
"  --no-connect           create, tag, [GET], [hold], close\n"
"  --send N --recv M --send2 N2   bytes to send / read before send2 / send\n"
"  --expect-recv R        bytes read in all (to EOF) must be R\n"
"  --ready FILE           create FILE once every worker's first connection\n"
"                         is up and its --send is written\n"
"  --wait-file FILE       before --send2, wait until FILE exists\n"
"  --delay SECS           wait after connect, before sending\n"
"  --hold SECS            wait before closing\n"
"  --linger0              abortive close (SO_LINGER 0: RST), no read to EOF\n"
"  --md5 KEY              TCP_MD5SIG key for the backend's address\n"
"  --count K              K sequential connections per worker (default 1)\n"
"  --parallel P           P worker processes (default 1)\n"
"  --expect-errno E[,E..] connect() must fail with E (ECONNREFUSED, ...)\n"
"  --syn-retries N        TCP_SYNCNT\n"
"  --user-timeout MS      TCP_USER_TIMEOUT\n"
"  --mss N --nodelay --sndbuf N --rcvbuf N\n"
"  --as-user UID:GID [--groups G1,G2]   drop root first\n"
"  --timeout SECS         per worker (default 120, 0 = none)\n"
"  -q                     no per-connection lines\n");
	exit(status);
}

enum {
	O_DST = 256, O_BIND, O_TAG, O_TAG_AFTER, O_TAG_ERRNO, O_CLEAR, O_GET,
	O_EXPECT_GET, O_NO_CONNECT, O_SEND, O_RECV, O_SEND2, O_EXPECT_RECV,
	O_READY, O_WAIT_FILE, O_RETAG, O_HOLD, O_LINGER0, O_MD5, O_COUNT, O_PARALLEL,
	O_EXPECT_ERRNO, O_SYNCNT, O_USER_TIMEOUT, O_MSS, O_NODELAY, O_SNDBUF,
	O_RCVBUF, O_AS_USER, O_GROUPS, O_TIMEOUT, O_TAG_MAY_FAIL, O_DELAY,
};

static const struct option longopts[] = {
	{ "dst", 1, 0, O_DST }, { "bind", 1, 0, O_BIND },
	{ "tag", 1, 0, O_TAG }, { "tag-after-connect", 0, 0, O_TAG_AFTER },
	{ "tag-errno", 1, 0, O_TAG_ERRNO }, { "clear", 0, 0, O_CLEAR },
	{ "get", 0, 0, O_GET }, { "expect-get", 1, 0, O_EXPECT_GET },
	{ "no-connect", 0, 0, O_NO_CONNECT }, { "send", 1, 0, O_SEND },
	{ "recv", 1, 0, O_RECV }, { "send2", 1, 0, O_SEND2 },
	{ "expect-recv", 1, 0, O_EXPECT_RECV }, { "ready", 1, 0, O_READY },
	{ "wait-file", 1, 0, O_WAIT_FILE },
	{ "retag-after", 1, 0, O_RETAG }, { "hold", 1, 0, O_HOLD },
	{ "linger0", 0, 0, O_LINGER0 }, { "md5", 1, 0, O_MD5 },
	{ "count", 1, 0, O_COUNT }, { "parallel", 1, 0, O_PARALLEL },
	{ "expect-errno", 1, 0, O_EXPECT_ERRNO },
	{ "syn-retries", 1, 0, O_SYNCNT },
	{ "user-timeout", 1, 0, O_USER_TIMEOUT }, { "mss", 1, 0, O_MSS },
	{ "nodelay", 0, 0, O_NODELAY }, { "sndbuf", 1, 0, O_SNDBUF },
	{ "rcvbuf", 1, 0, O_RCVBUF }, { "as-user", 1, 0, O_AS_USER },
	{ "groups", 1, 0, O_GROUPS }, { "timeout", 1, 0, O_TIMEOUT },
	{ "tag-may-fail", 1, 0, O_TAG_MAY_FAIL }, { "delay", 1, 0, O_DELAY },
	{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
};

int main(int argc, char **argv)
{
	const long long big = 1LL << 40;
	int c, rc;

	tt_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "6qh", longopts, NULL)) != -1) {
		switch (c) {
		case '6': o.v6 = true; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(0); break;
		case O_DST:
			o.dst_s = optarg;
			o.dst_len = tt_addr_parse_or_die(optarg, &o.dst, true,
							 "--dst");
			break;
		case O_BIND:
			o.have_bind = true;
			o.bind_len = tt_addr_parse_or_die(optarg, &o.bind,
							  false, "--bind");
			break;
		case O_TAG:
			o.have_tag = true;
			o.tag_s = optarg;
			o.tag_len = tt_addr_parse_or_die(optarg, &o.tag, true,
							 "--tag");
			break;
		case O_TAG_AFTER: o.tag_after = true; break;
		case O_TAG_ERRNO:
			o.n_tag_errno = tt_errno_list(optarg, o.tag_errno,
						      MAX_ERRNOS);
			break;
		case O_TAG_MAY_FAIL:
			o.n_tag_may_fail = tt_errno_list(optarg, o.tag_may_fail,
							 MAX_ERRNOS);
			break;
		case O_DELAY: o.delay = tt_parse_secs(optarg, "--delay"); break;
		case O_CLEAR: o.clear = true; break;
		case O_GET: o.get = true; break;
		case O_EXPECT_GET:
			o.have_expect_get = true;
			if (!strcmp(optarg, "none"))
				o.expect_get_none = true;
			else
				tt_addr_parse_or_die(optarg, &o.expect_get,
						     true, "--expect-get");
			break;
		case O_NO_CONNECT: o.no_connect = true; break;
		case O_SEND: o.send = tt_parse_num(optarg, 0, big, "--send"); break;
		case O_RECV: o.recv = tt_parse_num(optarg, 0, big, "--recv"); break;
		case O_SEND2:
			o.send2 = tt_parse_num(optarg, 0, big, "--send2");
			break;
		case O_EXPECT_RECV:
			o.expect_recv = tt_parse_num(optarg, 0, big,
						     "--expect-recv");
			break;
		case O_READY: o.ready = optarg; break;
		case O_WAIT_FILE: o.wait_file = optarg; break;
		case O_RETAG: o.retag_file = optarg; break;
		case O_HOLD: o.hold = tt_parse_secs(optarg, "--hold"); break;
		case O_LINGER0: o.linger0 = true; break;
		case O_MD5: o.md5 = optarg; break;
		case O_COUNT:
			o.count = tt_parse_num(optarg, 1, 1000000, "--count");
			break;
		case O_PARALLEL:
			o.parallel = tt_parse_num(optarg, 1, 1000,
						  "--parallel");
			break;
		case O_EXPECT_ERRNO:
			o.n_expect_errno = tt_errno_list(optarg, o.expect_errno,
							 MAX_ERRNOS);
			break;
		case O_SYNCNT:
			o.syncnt = tt_parse_num(optarg, 1, 127, "--syn-retries");
			break;
		case O_USER_TIMEOUT:
			o.user_timeout = tt_parse_num(optarg, 1, 1 << 30,
						      "--user-timeout");
			break;
		case O_MSS: o.mss = tt_parse_num(optarg, 1, 65535, "--mss"); break;
		case O_NODELAY: o.nodelay = true; break;
		case O_SNDBUF:
			o.sndbuf = tt_parse_num(optarg, 1, 1 << 30, "--sndbuf");
			break;
		case O_RCVBUF:
			o.rcvbuf = tt_parse_num(optarg, 1, 1 << 30, "--rcvbuf");
			break;
		case O_AS_USER: o.as_user = optarg; break;
		case O_GROUPS: o.groups = optarg; break;
		case O_TIMEOUT:
			o.timeout = tt_parse_secs(optarg, "--timeout");
			break;
		default: usage(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o.dst_s && !o.no_connect)
		die("--dst ADDR:PORT is required (or --no-connect)");
	if (o.clear && !o.have_tag)
		die("--clear needs --tag");
	if (o.as_user)
		tt_drop_privs(o.as_user, o.groups);

	if (o.parallel > 1 || o.ready) {
		rc = run_parallel();
	} else {
		rc = worker(0);
	}
	if (!rc)
		printf("%s: ok connections=%d\n", tt_prog, o.count * o.parallel);
	return rc;
}
