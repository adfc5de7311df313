// SPDX-License-Identifier: GPL-2.0
/* util.c - messages, errno names, numbers, files, the data pattern. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tt.h"

const char *tt_prog = "test";

void tt_set_prog(const char *argv0)
{
	const char *p = strrchr(argv0, '/');

	tt_prog = p ? p + 1 : argv0;
}

static void vmsg(const char *fmt, va_list ap, int err)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", tt_prog);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n < (int)sizeof(buf) && err)
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", tt_errstr(err));
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fflush(stdout);
	/* one write, so that lines of parallel workers do not interleave */
	if (write(2, buf, n) < 0)
		_exit(1);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

#define E(x) { x, #x }
static const struct {
	int num;
	const char *name;
} errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT),
	E(EBUSY), E(EEXIST), E(ENODEV), E(ENOTDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOSPC), E(EPIPE), E(ERANGE), E(ENOSYS), E(EBADMSG),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(EPROTO), E(ENOKEY), E(EKEYREJECTED),
};
#undef E

const char *tt_errno_name(int err)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	if (err == 0)
		return "success";
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

int tt_errno_parse(const char *s)
{
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcasecmp(errnames[i].name, s))
			return errnames[i].num;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v < 4096)
		return (int)v;
	return -1;
}

int tt_errno_list(const char *s, int *out, int max)
{
	char buf[256], *tok, *save = NULL;
	int n = 0, e;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		e = tt_errno_parse(tok);
		if (e < 0)
			die("unknown errno '%s' (use a name like ECONNREFUSED or a number)",
			    tok);
		if (n < max)
			out[n++] = e;
	}
	return n;
}

const char *tt_errstr(int err)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s (%s)", strerror(err),
		 tt_errno_name(err));
	return buf;
}

long long tt_parse_num(const char *s, long long min, long long max,
		       const char *what)
{
	long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (end != s && *end) {
		switch (*end) {
		case 'k': case 'K': mul = 1LL << 10; end++; break;
		case 'm': case 'M': mul = 1LL << 20; end++; break;
		case 'g': case 'G': mul = 1LL << 30; end++; break;
		}
	}
	if (errno || end == s || *end)
		die("%s: '%s' is not a number", what, s);
	if (v > max / mul || v < min / mul || v * mul < min || v * mul > max)
		die("%s: %s out of range [%lld, %lld]", what, s, min, max);
	return v * mul;
}

double tt_parse_secs(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e6)
		die("%s: '%s' is not a number of seconds", what, s);
	return v;
}

void tt_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

double tt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double timeout_secs;
static tt_timeout_context timeout_context;

static void on_alarm(int sig)
{
	char what[160] = "", buf[256];
	int n;

	(void)sig;
	if (timeout_context)
		timeout_context(what, sizeof(what));
	n = snprintf(buf, sizeof(buf), "%s: %s%stimed out after %g s\n",
		     tt_prog, what, what[0] ? ": " : "", timeout_secs);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(2, buf, (size_t)n) < 0)
		_exit(1);
	_exit(1);
}

void tt_arm_timeout(double secs, tt_timeout_context context)
{
	struct itimerval it = { 0 };

	if (secs <= 0)
		return;
	timeout_secs = secs;
	timeout_context = context;
	signal(SIGALRM, on_alarm);
	it.it_value.tv_sec = (time_t)secs;
	it.it_value.tv_usec = (long)((secs - (double)it.it_value.tv_sec) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
}

void tt_touch(const char *path, const char *text)
{
	char tmp[4096];
	int fd;

	/* write then rename: a waiter never sees a half-written file */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die_errno("create %s", tmp);
	if (text && write(fd, text, strlen(text)) < 0)
		die_errno("write %s", tmp);
	close(fd);
	if (rename(tmp, path) < 0)
		die_errno("rename %s to %s", tmp, path);
}

bool tt_wait_file(const char *path, double timeout)
{
	double end = tt_now() + timeout;

	while (access(path, F_OK) < 0) {
		if (timeout > 0 && tt_now() > end)
			return false;
		tt_sleep(0.01);
	}
	return true;
}

/* 251 is prime, so no power-of-two chunking lines up with the period */
#define PAT_PERIOD	251
#define PAT_LEN		(PAT_PERIOD * 64)
static uint8_t pat[PAT_LEN + PAT_PERIOD];
static bool pat_ready;

static void pat_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(pat); i++)
		pat[i] = tt_pattern(i);
	pat_ready = true;
}

void tt_fill(uint8_t *buf, size_t len, uint64_t off)
{
	size_t start, n;

	if (!pat_ready)
		pat_init();
	while (len) {
		start = off % PAT_PERIOD;
		n = len < PAT_LEN ? len : PAT_LEN;
		memcpy(buf, pat + start, n);
		buf += n;
		off += n;
		len -= n;
	}
}

long tt_check(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t start, n, done = 0, i;

	if (!pat_ready)
		pat_init();
	while (done < len) {
		start = (off + done) % PAT_PERIOD;
		n = len - done < PAT_LEN ? len - done : PAT_LEN;
		if (memcmp(buf + done, pat + start, n)) {
			for (i = 0; i < n; i++)
				if (buf[done + i] != pat[start + i])
					return (long)(done + i);
		}
		done += n;
	}
	return -1;
}
