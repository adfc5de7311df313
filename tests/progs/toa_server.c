// SPDX-License-Identifier: GPL-2.0
/*
 * toa_server - the backend: accept --count connections (one process each,
 * so parallel clients are served at once), read what the client sends
 * until EOF, optionally send --reply bytes, close.
 *
 * Received data must follow the test pattern (byte at offset o is o % 251);
 * the reply follows it too. The reply is sent once --reply-after bytes have
 * arrived (default: with the first data read; 0: right after accept), or at
 * EOF at the latest. Reading and replying go on together (poll), so big
 * transfers in both directions cannot deadlock.
 *
 * Prints per connection, when it is done:
 *   conn=I peer=ADDR:PORT local=ADDR:PORT bytes=N replied=M
 *          [apeer=ADDR:PORT] [nat64=ADDR:PORT|nat64=-ERRNO]
 * peer= is getpeername(): what the backend's programs see (the load
 * balancer without a TOA receiver, the client with sdp_toa_recv); apeer=
 * (--accept-peer) is the address accept() returned; nat64= (--nat64) the
 * answer of the receiver's SDP_TOA_SO_GET_NAT64 lookup, or its errno name.
 * At the end "toa_server: ok connections=K"; any error or --expect mismatch
 * is a message on stderr and exit status 1.
 */
#include <getopt.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

static struct {
	struct sockaddr_storage listen, md5_peer;
	socklen_t listen_len;
	const char *listen_s, *ready, *md5;
	bool have_md5_peer, quiet, allow_reset, shut_first, accept_peer, nat64,
	     late_peer;
	int defer_accept;
	long long expect, reply, reply_after;
	int count, rcvbuf, backlog;
	double timeout;
} o = {
	.expect = -1, .reply_after = -1, .count = 1, .backlog = 1024,
	.timeout = 120,
};

static char conn_name[96] = "listener";

static void timeout_context(char *buf, size_t n)
{
	snprintf(buf, n, "%s", conn_name);
}

/* --nat64: " nat64=[v6]:port" or " nat64=-ENOENT" (any failure) */
static void nat64_str(int fd, char *buf, size_t n)
{
	struct sockaddr_in6 sin6;
	char a[TT_ADDRSTRLEN];
	int err = tt_nat64_peer(fd, &sin6);

	if (err) {
		snprintf(buf, n, " nat64=-%s", tt_errno_name(-err));
		return;
	}
	tt_addr_str((struct sockaddr *)&sin6, a, sizeof(a));
	snprintf(buf, n, " nat64=%s", a);
}

static void serve(int fd, int idx, const char *apeer)
{
	char nat64[TT_ADDRSTRLEN + 16] = "";
	char late[TT_ADDRSTRLEN + 16] = "";
	static uint8_t rbuf[65536], sbuf[65536];
	struct sockaddr_storage ss;
	char p[TT_ADDRSTRLEN] = "-", l[TT_ADDRSTRLEN] = "-";
	long long total = 0, sent = 0, want_reply = 0;
	bool eof = false, replying = false, reset = false;
	struct pollfd pfd;
	socklen_t sl;
	ssize_t r;
	long bad;
	size_t n;

	tt_arm_timeout(o.timeout, timeout_context);
	sl = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		tt_addr_str((struct sockaddr *)&ss, p, sizeof(p));
	sl = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		tt_addr_str((struct sockaddr *)&ss, l, sizeof(l));
	snprintf(conn_name, sizeof(conn_name), "conn=%d peer=%s", idx, p);
	if (o.nat64)
		nat64_str(fd, nat64, sizeof(nat64));

	if (o.shut_first && shutdown(fd, SHUT_WR) < 0)	/* FIN first */
		die_errno("%s: shutdown", conn_name);
	if (o.reply && o.reply_after == 0 && !o.shut_first) {
		replying = true;
		want_reply = o.reply;
	}
	while (!eof || sent < want_reply) {
		pfd.fd = fd;
		pfd.events = (eof ? 0 : POLLIN) |
			     (sent < want_reply ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_errno("%s: poll", conn_name);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR) && !eof) {
			r = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
			if (r < 0 && errno == ECONNRESET && o.allow_reset) {
				reset = eof = true;
				want_reply = sent;
			} else if (r < 0 && errno != EAGAIN && errno != EINTR)
				die_errno("%s: recv (after %lld bytes)",
					  conn_name, total);
			if (r == 0)
				eof = true;
			if (r > 0) {
				bad = tt_check(rbuf, r, total);
				if (bad >= 0)
					die("%s: byte %lld is wrong (0x%02x, want 0x%02x)",
					    conn_name, total + bad, rbuf[bad],
					    tt_pattern(total + bad));
				total += r;
			}
			if (o.reply && !replying && !o.shut_first &&
			    (eof || (o.reply_after < 0 && total > 0) ||
			     (o.reply_after > 0 && total >= o.reply_after))) {
				replying = true;
				want_reply = o.reply;
			}
		}
		if (sent < want_reply && pfd.revents & (POLLOUT | POLLERR)) {
			/* a reset peer ends the reply too (--allow-reset) */
			n = sizeof(sbuf);
			if (want_reply - sent < (long long)n)
				n = (size_t)(want_reply - sent);
			tt_fill(sbuf, n, sent);
			r = send(fd, sbuf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && o.allow_reset &&
			    (errno == ECONNRESET || errno == EPIPE)) {
				reset = eof = true;
				want_reply = sent;
				continue;
			}
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die_errno("%s: send (after %lld bytes)",
					  conn_name, sent);
			if (r > 0)
				sent += r;
		}
	}
	if (o.expect >= 0 && total != o.expect)
		die("%s: received %lld bytes, expected %lld", conn_name, total,
		    o.expect);
	sl = sizeof(ss);
	if (o.late_peer && !getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		strcpy(late, " lpeer=");
		tt_addr_str((struct sockaddr *)&ss, late + 7, sizeof(late) - 7);
	}
	close(fd);
	if (!o.quiet)
		printf("conn=%d peer=%s local=%s bytes=%lld replied=%lld%s%s%s%s%s\n",
		       idx, p, l, total, sent, reset ? " reset=1" : "",
		       apeer ? " apeer=" : "", apeer ? apeer : "", nat64, late);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: toa_server --listen ADDR:PORT [options]\n"
"  --listen ADDR:PORT   a.b.c.d:port, or [v6]:port ([::]:port is dual-stack)\n"
"  --count K            serve K connections, then exit (default 1; 0 = until killed)\n"
"  --expect N           each connection must deliver exactly N bytes\n"
"  --reply M            send M bytes back ...\n"
"  --reply-after B      ... once B bytes have arrived (default: with the first\n"
"                       data; 0: at once); at EOF at the latest\n"
"  --md5 KEY --md5-peer ADDR   TCP_MD5SIG key for that peer\n"
"  --ready FILE         create FILE once listening\n"
"  --rcvbuf N --backlog N\n"
"  --timeout SECS       for the whole run and each connection (default 120)\n"
"  --allow-reset        a reset from the client ends the connection like EOF\n"
"  --shut-first         send FIN right after accept (no reply), then read\n"
"  --accept-peer        print the address accept() returned (apeer=)\n"
"  --nat64              print the SDP_TOA_SO_GET_NAT64 answer (nat64=)\n"
"  --defer-accept SECS  TCP_DEFER_ACCEPT on the listener\n"
"  --late-peer          getpeername() again at the end (lpeer=)\n"
"  -q                   no per-connection lines\n");
	exit(status);
}

enum {
	O_LISTEN = 256, O_COUNT, O_EXPECT, O_REPLY, O_REPLY_AFTER, O_MD5,
	O_MD5_PEER, O_READY, O_RCVBUF, O_BACKLOG, O_TIMEOUT, O_ALLOW_RESET, O_SHUT_FIRST,
	O_ACCEPT_PEER, O_NAT64, O_DEFER_ACCEPT, O_LATE_PEER,
};

static const struct option longopts[] = {
	{ "listen", 1, 0, O_LISTEN }, { "count", 1, 0, O_COUNT },
	{ "expect", 1, 0, O_EXPECT }, { "reply", 1, 0, O_REPLY },
	{ "reply-after", 1, 0, O_REPLY_AFTER }, { "md5", 1, 0, O_MD5 },
	{ "md5-peer", 1, 0, O_MD5_PEER }, { "ready", 1, 0, O_READY },
	{ "rcvbuf", 1, 0, O_RCVBUF }, { "backlog", 1, 0, O_BACKLOG },
	{ "timeout", 1, 0, O_TIMEOUT }, { "allow-reset", 0, 0, O_ALLOW_RESET },
	{ "shut-first", 0, 0, O_SHUT_FIRST },
	{ "accept-peer", 0, 0, O_ACCEPT_PEER }, { "nat64", 0, 0, O_NAT64 },
	{ "late-peer", 0, 0, O_LATE_PEER },
	{ "defer-accept", 1, 0, O_DEFER_ACCEPT }, { "help", 0, 0, 'h' },
	{ 0, 0, 0, 0 },
};

static void reap(bool block, int *failed)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			(*failed)++;
	}
}

int main(int argc, char **argv)
{
	const long long big = 1LL << 40;
	int c, lfd, fd, fam, one = 1, zero = 0, accepted = 0;
	int failed = 0;
	struct sockaddr_storage ass;
	char apeer[TT_ADDRSTRLEN];
	socklen_t asl;
	pid_t pid;

	tt_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': o.quiet = true; break;
		case 'h': usage(0); break;
		case O_LISTEN:
			o.listen_s = optarg;
			o.listen_len = tt_addr_parse_or_die(optarg, &o.listen,
							    true, "--listen");
			break;
		case O_COUNT:
			o.count = tt_parse_num(optarg, 0, 1000000, "--count");
			break;
		case O_EXPECT:
			o.expect = tt_parse_num(optarg, 0, big, "--expect");
			break;
		case O_REPLY: o.reply = tt_parse_num(optarg, 0, big, "--reply"); break;
		case O_REPLY_AFTER:
			o.reply_after = tt_parse_num(optarg, 0, big,
						     "--reply-after");
			break;
		case O_MD5: o.md5 = optarg; break;
		case O_ALLOW_RESET: o.allow_reset = true; break;
		case O_SHUT_FIRST: o.shut_first = true; break;
		case O_ACCEPT_PEER: o.accept_peer = true; break;
		case O_NAT64: o.nat64 = true; break;
		case O_LATE_PEER: o.late_peer = true; break;
		case O_DEFER_ACCEPT:
			o.defer_accept = tt_parse_num(optarg, 1, 3600,
						      "--defer-accept");
			break;
		case O_MD5_PEER:
			o.have_md5_peer = true;
			tt_addr_parse_or_die(optarg, &o.md5_peer, false,
					     "--md5-peer");
			break;
		case O_READY: o.ready = optarg; break;
		case O_RCVBUF:
			o.rcvbuf = tt_parse_num(optarg, 1, 1 << 30, "--rcvbuf");
			break;
		case O_BACKLOG:
			o.backlog = tt_parse_num(optarg, 1, 65535, "--backlog");
			break;
		case O_TIMEOUT:
			o.timeout = tt_parse_secs(optarg, "--timeout");
			break;
		default: usage(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o.listen_s)
		die("--listen ADDR:PORT is required");
	if (!!o.md5 != o.have_md5_peer)
		die("--md5 and --md5-peer go together");

	fam = o.listen.ss_family;
	lfd = socket(fam, SOCK_STREAM, 0);
	if (lfd < 0)
		die_errno("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6 &&
	    setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		die_errno("setsockopt(IPV6_V6ONLY=0)");
	if (o.rcvbuf &&
	    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &o.rcvbuf, sizeof(int)) < 0)
		die_errno("setsockopt(SO_RCVBUF)");
	if (o.md5)
		tt_md5_key(lfd, (struct sockaddr *)&o.md5_peer, o.md5);
	if (o.defer_accept &&
	    setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &o.defer_accept,
		       sizeof(int)) < 0)
		die_errno("setsockopt(TCP_DEFER_ACCEPT)");
	if (bind(lfd, (struct sockaddr *)&o.listen, o.listen_len) < 0)
		die_errno("bind %s", o.listen_s);
	if (listen(lfd, o.backlog) < 0)
		die_errno("listen");
	tt_arm_timeout(o.timeout, timeout_context);
	if (o.ready)
		tt_touch(o.ready, "listening\n");

	while (o.count == 0 || accepted < o.count) {
		asl = sizeof(ass);
		fd = accept(lfd, (struct sockaddr *)&ass, &asl);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die_errno("accept");
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die_errno("fork");
		if (pid == 0) {
			close(lfd);
			serve(fd, accepted, o.accept_peer ?
			      tt_addr_str((struct sockaddr *)&ass, apeer,
					  sizeof(apeer)) : NULL);
			exit(0);
		}
		close(fd);
		accepted++;
		reap(false, &failed);
	}
	close(lfd);
	reap(true, &failed);
	if (failed) {
		printf("%s: FAILED connections=%d failed=%d\n", tt_prog,
		       accepted, failed);
		return 1;
	}
	printf("%s: ok connections=%d\n", tt_prog, accepted);
	return 0;
}
