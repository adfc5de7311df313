// SPDX-License-Identifier: GPL-2.0
/*
 * test_toa_opts.c - cmocka unit tests of ../toa_opts.c, against the contract
 * documented in ../toa_opts.h (and the API rules in sdp_toa.h).
 *
 * Table-driven: each test walks its table, prints every mismatching row and
 * fails once at the end, so one run shows all disagreements. Option areas
 * are copied into buffers of their exact size, so that AddressSanitizer
 * (on in tests/Makefile) catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include "toa_opts.h"

static int fails;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fails++;						\
		print_error("  mismatch: " __VA_ARGS__);		\
		print_error("\n");					\
	}								\
} while (0)

#define DONE() do {						\
	int n_ = fails;							\
									\
	fails = 0;							\
	assert_int_equal(n_, 0);					\
} while (0)

/* ---- helpers ------------------------------------------------------------ */
static struct toa_addr v4(const char *a, uint16_t port)
{
	struct toa_addr c;

	memset(&c, 0, sizeof(c));
	c.family = TOA_AF_INET;
	c.port = htons(port);
	if (inet_pton(AF_INET, a, &c.a.v4) != 1)
		abort();
	return c;
}

static struct toa_addr v6(const char *a, uint16_t port)
{
	struct toa_addr c;

	memset(&c, 0, sizeof(c));
	c.family = TOA_AF_INET6;
	c.port = htons(port);
	if (inet_pton(AF_INET6, a, c.a.v6) != 1)
		abort();
	return c;
}

static bool addr_eq(const struct toa_addr *a, const struct toa_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == TOA_AF_INET)
		return a->a.v4 == b->a.v4;
	return !memcmp(a->a.v6, b->a.v6, 16);
}

static const char *addr_str(const struct toa_addr *c)
{
	static char buf[4][80];
	static int i;
	char a[INET6_ADDRSTRLEN];

	i = (i + 1) % 4;
	if (c->family == TOA_AF_INET)
		inet_ntop(AF_INET, &c->a.v4, a, sizeof(a));
	else
		inet_ntop(AF_INET6, c->a.v6, a, sizeof(a));
	snprintf(buf[i], sizeof(buf[i]), "fam=%u %s port %u", c->family, a,
		 ntohs(c->port));
	return buf[i];
}

/* sockaddr_in / sockaddr_in6 for @a (IPv4 or IPv6 text) in @buf */
static unsigned int mk_sockaddr(uint8_t *buf, const char *a, uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, a, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(buf, &sin, sizeof(sin));
		return sizeof(sin);
	}
	if (inet_pton(AF_INET6, a, &sin6.sin6_addr) != 1)
		abort();
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	memcpy(buf, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

/* ---- constants ---------------------------------------------------------- */
static void test_constants(void **state)
{
	(void)state;
	CHECK(TOA_AF_INET == AF_INET, "TOA_AF_INET %d", TOA_AF_INET);
	CHECK(TOA_AF_INET6 == AF_INET6, "TOA_AF_INET6 %d", TOA_AF_INET6);
	CHECK(TOA_AF_UNSPEC == AF_UNSPEC, "TOA_AF_UNSPEC %d", TOA_AF_UNSPEC);
	CHECK(TOA_OPT_LEN_V4 == 8 && TOA_OPT_LEN_V6 == 20, "option lengths");
	CHECK(TOA_TCP_OPT_SPACE == 40, "option space %d", TOA_TCP_OPT_SPACE);
	CHECK(TOA_DEFAULT_KIND == 254 && TOA_DEFAULT_KIND6 == 254,
	      "default kinds %d/%d", TOA_DEFAULT_KIND, TOA_DEFAULT_KIND6);
	DONE();
}

/* ---- toa_addr_parse ----------------------------------------------------- */
/* Every length 0..130 for each family: min length, 128 max. */
static void test_parse_lengths(void **state)
{
	static const struct {
		const char *name;
		int family;	/* value's sa_family */
		unsigned int min;
		int ok;		/* result for a length in range */
	} fam[] = {
		{ "AF_INET", AF_INET, sizeof(struct sockaddr_in), 0 },
		{ "AF_INET6", AF_INET6, sizeof(struct sockaddr_in6), 0 },
		{ "AF_UNSPEC", AF_UNSPEC, 2, 1 },
		{ "AF_UNIX", AF_UNIX, 2, -EAFNOSUPPORT },
		{ "AF_PACKET", 17, 2, -EAFNOSUPPORT },
		{ "family 0xffff", 0xffff, 2, -EAFNOSUPPORT },
	};
	uint8_t *buf;
	struct toa_addr out, want;
	unsigned int len;
	size_t f;
	int ret, exp;

	(void)state;
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		for (len = 0; len <= 130; len++) {
			/* exactly @len bytes: reading more trips ASan */
			buf = malloc(len ? len : 1);
			assert_non_null(buf);
			{
				uint8_t full[256];
				uint16_t sf = fam[f].family;

				memset(full, 0x5a, sizeof(full));
				if (fam[f].family == AF_INET)
					mk_sockaddr(full, "203.0.113.7", 4000);
				else if (fam[f].family == AF_INET6)
					mk_sockaddr(full, "2001:db8:c::7", 4006);
				else
					memcpy(full, &sf, 2);
				memcpy(buf, full, len);
			}
			exp = len < 2 || len > 128 || len < fam[f].min ?
			      -EINVAL : fam[f].ok;
			memset(&out, 0, sizeof(out));
			ret = toa_addr_parse(&out, buf, len);
			CHECK(ret == exp, "%s len %u: returned %d, expected %d",
			      fam[f].name, len, ret, exp);
			if (ret == 0 && exp == 0) {
				want = fam[f].family == AF_INET ?
				       v4("203.0.113.7", 4000) :
				       v6("2001:db8:c::7", 4006);
				CHECK(addr_eq(&out, &want),
				      "%s len %u: parsed %s, expected %s",
				      fam[f].name, len, addr_str(&out),
				      addr_str(&want));
			}
			free(buf);
		}
	}
	DONE();
}

/* Addresses: unspecified, v4-mapped normalisation, what is kept as is. */
static void test_parse_values(void **state)
{
	static const struct {
		const char *addr;
		uint16_t port;
		int ret;
		const char *want;	/* normalised: IPv4 or IPv6 text */
	} t[] = {
		{ "203.0.113.7", 4000, 0, "203.0.113.7" },
		{ "203.0.113.7", 0, 0, "203.0.113.7" },
		{ "255.255.255.255", 65535, 0, "255.255.255.255" },
		{ "0.0.0.0", 4000, -EINVAL, NULL },
		{ "0.0.0.0", 0, -EINVAL, NULL },
		{ "2001:db8:c::7", 4006, 0, "2001:db8:c::7" },
		{ "::1", 1, 0, "::1" },
		{ "::", 4000, -EINVAL, NULL },
		{ "::ffff:0.0.0.0", 4000, -EINVAL, NULL },
		{ "::ffff:203.0.113.8", 4008, 0, "203.0.113.8" },
		{ "::ffff:255.255.255.255", 1, 0, "255.255.255.255" },
		{ "::ffff:0.0.0.1", 1, 0, "0.0.0.1" },
		/* not v4-mapped: stay IPv6 */
		{ "::203.0.113.9", 1, 0, "::203.0.113.9" },
		{ "::ffff:0:203.0.113.9", 1, 0, "::ffff:0:203.0.113.9" },
		{ "64:ff9b::203.0.113.9", 1, 0, "64:ff9b::203.0.113.9" },
		{ "0:0:0:0:0:fffe:cb00:7109", 1, 0, "::fffe:cb00:7109" },
		{ "fe80::1", 1, 0, "fe80::1" },
	};
	uint8_t area[256 + 1];
	struct toa_addr out, want;
	unsigned int len;
	size_t i;
	int ret, off;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* aligned and unaligned copies of the value */
		for (off = 0; off <= 1; off++) {
			memset(area, 0x5a, sizeof(area));
			len = mk_sockaddr(area + off, t[i].addr, t[i].port);
			memset(&out, 0, sizeof(out));
			ret = toa_addr_parse(&out, area + off, len);
			CHECK(ret == t[i].ret, "%s port %u%s: returned %d, expected %d",
			      t[i].addr, t[i].port, off ? " (unaligned)" : "",
			      ret, t[i].ret);
			if (ret || t[i].ret)
				continue;
			want = strchr(t[i].want, ':') ? v6(t[i].want, t[i].port)
						      : v4(t[i].want, t[i].port);
			CHECK(addr_eq(&out, &want), "%s: parsed %s, expected %s",
			      t[i].addr, addr_str(&out), addr_str(&want));
		}
	}
	DONE();
}

/* sin6_flowinfo and sin6_scope_id do not matter; AF_UNSPEC in any struct. */
static void test_parse_misc(void **state)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct toa_addr out, want;
	int ret;

	(void)state;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(4006);
	s6.sin6_flowinfo = htonl(0x12345);
	s6.sin6_scope_id = 7;
	inet_pton(AF_INET6, "2001:db8:c::7", &s6.sin6_addr);
	ret = toa_addr_parse(&out, &s6, sizeof(s6));
	want = v6("2001:db8:c::7", 4006);
	CHECK(ret == 0 && addr_eq(&out, &want),
	      "flowinfo/scope_id: returned %d, %s", ret, addr_str(&out));

	s6.sin6_family = AF_UNSPEC;
	CHECK(toa_addr_parse(&out, &s6, sizeof(s6)) == 1,
	      "AF_UNSPEC in a sockaddr_in6 clears");
	memset(&s4, 0xff, sizeof(s4));
	s4.sin_family = AF_UNSPEC;
	CHECK(toa_addr_parse(&out, &s4, sizeof(s4)) == 1,
	      "AF_UNSPEC with garbage after it clears");
	/* sin_zero is not looked at */
	memset(&s4, 0xff, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(1);
	inet_pton(AF_INET, "203.0.113.1", &s4.sin_addr);
	ret = toa_addr_parse(&out, &s4, sizeof(s4));
	want = v4("203.0.113.1", 1);
	CHECK(ret == 0 && addr_eq(&out, &want),
	      "garbage in sin_zero: returned %d, %s", ret, addr_str(&out));
	DONE();
}

/* ---- toa_opt_len / toa_opt_encode --------------------------------------- */
static void test_opt_len(void **state)
{
	struct toa_addr a4 = v4("203.0.113.7", 4000);
	struct toa_addr a6 = v6("2001:db8:c::7", 4006);

	(void)state;
	CHECK(toa_opt_len(&a4, false) == 8, "IPv4 client, IPv4 connection");
	CHECK(toa_opt_len(&a4, true) == 20, "IPv4 client, IPv6 connection");
	CHECK(toa_opt_len(&a6, false) == 20, "IPv6 client, IPv4 connection");
	CHECK(toa_opt_len(&a6, true) == 20, "IPv6 client, IPv6 connection");
	DONE();
}

static void test_opt_encode(void **state)
{
	static const struct {
		const char *what, *addr;
		uint16_t port;
		bool conn_v6;
		uint8_t kind, kind6;
		unsigned int len;
		uint8_t bytes[20];
	} t[] = {
		{ "v4 client, v4 conn", "203.0.113.7", 4000, false, 254, 254, 8,
		  { 254, 8, 0x0f, 0xa0, 203, 0, 113, 7 } },
		{ "v4 client, v4 conn, kind 200", "203.0.113.7", 4000, false,
		  200, 253, 8, { 200, 8, 0x0f, 0xa0, 203, 0, 113, 7 } },
		{ "v4 client, v4 conn, port 63881", "198.51.100.1", 63881, false,
		  254, 254, 8, { 254, 8, 0xf9, 0x89, 198, 51, 100, 1 } },
		{ "v4 client, v6 conn", "203.0.113.7", 4000, true, 254, 254, 20,
		  { 254, 20, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		    0xff, 203, 0, 113, 7 } },
		{ "v4 client, v6 conn, kind6 253", "203.0.113.7", 4000, true,
		  200, 253, 20, { 253, 20, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0,
				  0, 0, 0xff, 0xff, 203, 0, 113, 7 } },
		{ "v6 client, v4 conn", "2001:db8:c::7", 4006, false, 200, 253,
		  20, { 253, 20, 0x0f, 0xa6, 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 7 } },
		{ "v6 client, v6 conn", "2001:db8:c::7", 4006, true, 254, 254,
		  20, { 254, 20, 0x0f, 0xa6, 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 7 } },
		{ "v6 client, port 0", "2001:db8:c::ff", 0, true, 254, 30, 20,
		  { 30, 20, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0xff } },
	};
	uint8_t buf[TOA_OPT_LEN_MAX];
	struct toa_addr c;
	unsigned int n, j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = strchr(t[i].addr, ':') ? v6(t[i].addr, t[i].port)
					   : v4(t[i].addr, t[i].port);
		memset(buf, 0xee, sizeof(buf));
		n = toa_opt_encode(buf, &c, t[i].conn_v6, t[i].kind,
				   t[i].kind6);
		CHECK(n == t[i].len, "%s: length %u, expected %u", t[i].what, n,
		      t[i].len);
		CHECK(toa_opt_len(&c, t[i].conn_v6) == t[i].len,
		      "%s: toa_opt_len disagrees", t[i].what);
		for (j = 0; j < t[i].len; j++)
			CHECK(buf[j] == t[i].bytes[j],
			      "%s: byte %u is 0x%02x, expected 0x%02x",
			      t[i].what, j, buf[j], t[i].bytes[j]);
	}
	DONE();
}

/* ---- toa_addr_to_sockaddr ----------------------------------------------- */
static void test_to_sockaddr(void **state)
{
	static const struct {
		const char *addr;
		uint16_t port;
		bool v6_form;
		const char *want;	/* IPv4 -> sockaddr_in */
	} t[] = {
		{ "203.0.113.7", 4000, false, "203.0.113.7" },
		{ "203.0.113.7", 4000, true, "::ffff:203.0.113.7" },
		{ "2001:db8:c::7", 4006, false, "2001:db8:c::7" },
		{ "2001:db8:c::7", 4006, true, "2001:db8:c::7" },
		{ "::ffff:203.0.113.8", 1, false, "::ffff:203.0.113.8" },
	};
	uint8_t buf[64], want[64];
	struct toa_addr c;
	unsigned int n, wl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = strchr(t[i].addr, ':') ? v6(t[i].addr, t[i].port)
					   : v4(t[i].addr, t[i].port);
		memset(buf, 0xaa, sizeof(buf));
		memset(want, 0, sizeof(want));
		wl = mk_sockaddr(want, t[i].want, t[i].port);
		n = toa_addr_to_sockaddr(buf, &c, t[i].v6_form);
		CHECK(n == wl, "%s v6_form=%d: length %u, expected %u",
		      t[i].addr, t[i].v6_form, n, wl);
		/* the whole struct, padding (sin_zero, flowinfo, scope) zero */
		CHECK(!memcmp(buf, want, wl),
		      "%s v6_form=%d: struct bytes differ (padding not zeroed?)",
		      t[i].addr, t[i].v6_form);
	}
	DONE();
}

/* ---- toa_opt_decode ------------------------------------------------------ */
#define TS	8, 10, 1, 2, 3, 4, 5, 6, 7, 8
#define NOP	1
#define EOL	0
#define MSS	2, 4, 0x05, 0xb4
#define WS	3, 3, 7
#define SACKOK	4, 2
#define SACK1	5, 10, 0, 0, 0, 1, 0, 0, 0, 2
#define SACK3	5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, \
		0, 0, 0, 5, 0, 0, 0, 6
#define MD5	19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#define TOA4(k)	k, 8, 0x0f, 0xa0, 203, 0, 113, 7
#define TOA6(k)	k, 20, 0x0f, 0xa6, 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, \
		0, 0, 0, 0, 0, 0, 0, 7
#define TOAM(k)	k, 20, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, \
		203, 0, 113, 7

struct dcase {
	const char *what;
	uint8_t kind, kind6;
	int ret;		/* count, or -EBADMSG */
	int found;		/* 0: none, 4: TOA4, 6: TOA6, 'm': TOAM */
	uint8_t found_kind;
	unsigned int len;
	uint8_t opts[48];
};

#define D(what, k, k6, ret, found, fk, ...) \
	{ what, k, k6, ret, found, fk, \
	  sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ } }

static const struct dcase dcases[] = {
	{ "empty area", 254, 254, 0, 0, 0, 0, { 0 } },
	D("NOPs", 254, 254, 0, 0, 0, NOP, NOP, NOP, NOP),
	D("EOL", 254, 254, 0, 0, 0, EOL),
	D("EOL then zero padding", 254, 254, 0, 0, 0, EOL, 0, 0, 0),
	D("SYN options", 254, 254, 0, 0, 0, MSS, SACKOK, TS, NOP, WS),
	D("TOA4 alone", 254, 254, 1, 4, 254, TOA4(254)),
	D("TOA6 alone", 254, 254, 1, 6, 254, TOA6(254)),
	D("TS + TOA4", 254, 254, 1, 4, 254, NOP, NOP, TS, TOA4(254)),
	D("TOA4 + TS", 254, 254, 1, 4, 254, TOA4(254), NOP, NOP, TS),
	D("TS + TOA6", 254, 254, 1, 6, 254, NOP, NOP, TS, TOA6(254)),
	D("TS + mapped TOA6 (not normalised)", 254, 254, 1, 'm', 254,
	  NOP, NOP, TS, TOAM(254)),
	D("SACK + TOA4", 254, 254, 1, 4, 254, NOP, NOP, SACK1, TOA4(254)),
	D("TS + SACK3 (no TOA)", 254, 254, 0, 0, 0, NOP, NOP, TS, NOP, NOP,
	  SACK3),
	D("MD5 + TS + TOA4 (40 bytes)", 254, 254, 1, 4, 254, NOP, NOP, MD5,
	  NOP, NOP, TS, TOA4(254)),
	D("MD5 + TOA6 (40 bytes)", 254, 254, 1, 6, 254, NOP, NOP, MD5,
	  TOA6(254)),
	D("TOA4 + EOL padding", 254, 254, 1, 4, 254, TOA4(254), EOL, 0, 0, 0),
	D("TOA after EOL is padding", 254, 254, 0, 0, 0, EOL, 0, 0, 0,
	  TOA4(254)),
	D("kind 254 length 6 is no TOA", 254, 254, 0, 0, 0, 254, 6, 1, 2, 3,
	  4, NOP, NOP),
	D("kind 254 length 10 is no TOA", 254, 254, 0, 0, 0, 254, 10, 0, 0,
	  0, 0, 0, 0, 0, 0, NOP, NOP),
	D("kind 200: 200/8 is TOA", 200, 253, 1, 4, 200, TOA4(200)),
	D("kind 200: 254/8 is not", 200, 253, 0, 0, 0, TOA4(254)),
	D("kind6 253: 253/20 is TOA", 200, 253, 1, 6, 253, TOA6(253)),
	D("kind6 253: 254/20 is not", 200, 253, 0, 0, 0, TOA6(254)),
	D("kind 200 kind6 253: 200/20 is not", 200, 253, 0, 0, 0, TOA6(200)),
	D("kind 200 kind6 253: 253/8 is not", 200, 253, 0, 0, 0, TOA4(253)),
	D("kind == kind6: told apart by length", 30, 30, 1, 6, 30, TOA6(30)),
	D("unknown kinds are skipped", 254, 254, 1, 4, 254, 99, 4, 1, 2,
	  77, 2, TOA4(254)),
	D("two TOA4: count 2, first found", 254, 254, 2, 4, 254, TOA4(254),
	  254, 8, 0, 1, 10, 0, 0, 1),
	D("TOA4 then TOA6", 254, 254, 2, 4, 254, TOA4(254), TOA6(254)),
	D("TOA6 then TOA4", 254, 254, 2, 6, 254, TOA6(254), TOA4(254)),
	D("200/8 and 253/20", 200, 253, 2, 4, 200, TOA4(200), TOA6(253)),
	/* malformed */
	D("MSS cut short", 254, 254, -EBADMSG, 0, 0, 2, 4, 0x05),
	D("lone kind byte", 254, 254, -EBADMSG, 0, 0, 2),
	D("NOPs then lone kind", 254, 254, -EBADMSG, 0, 0, NOP, NOP, 254),
	D("length 0", 254, 254, -EBADMSG, 0, 0, 2, 0, 0, 0),
	D("length 1", 254, 254, -EBADMSG, 0, 0, 2, 1, 0, 0),
	D("TOA kind with length 1", 254, 254, -EBADMSG, 0, 0, 254, 1, NOP,
	  NOP),
	D("TOA kind with length 0", 254, 254, -EBADMSG, 0, 0, 254, 0, NOP,
	  NOP),
	D("runs past the end", 254, 254, -EBADMSG, 0, 0, 8, 10, 1, 2, 3, 4),
	D("length 255", 254, 254, -EBADMSG, 0, 0, 5, 255, 0, 0),
	D("truncated TOA4", 254, 254, -EBADMSG, 0, 0, NOP, NOP, 254, 8, 1, 2,
	  3, 4),
	D("truncated TOA6", 254, 254, -EBADMSG, 0, 0, 254, 20, 1, 2, 3, 4,
	  5, 6, 7, 8),
	D("good TOA then length 0", 254, 254, -EBADMSG, 0, 0, TOA4(254), 5,
	  0, 0, 0),
	D("good TOA then running past", 254, 254, -EBADMSG, 0, 0, TOA4(254),
	  8, 10, 0, 0),
	D("TS one byte short", 254, 254, -EBADMSG, 0, 0, NOP, NOP, 8, 10, 1,
	  2, 3, 4, 5, 6, 7),
};

static void check_found(const struct dcase *d, const struct toa_found *f)
{
	struct toa_addr want;

	switch (d->found) {
	case 4: want = v4("203.0.113.7", 4000); break;
	case 6: want = v6("2001:db8:c::7", 4006); break;
	default: want = v6("::ffff:203.0.113.7", 4000); break;
	}
	CHECK(f->kind == d->found_kind, "%s: found kind %u, expected %u",
	      d->what, f->kind, d->found_kind);
	CHECK(f->len == (d->found == 4 ? 8 : 20), "%s: found len %u", d->what,
	      f->len);
	CHECK(addr_eq(&f->addr, &want), "%s: found %s, expected %s", d->what,
	      addr_str(&f->addr), addr_str(&want));
}

static void test_decode(void **state)
{
	struct toa_found f;
	uint8_t *buf;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *d = &dcases[i];

		CHECK(d->len <= 48, "%s: table row too long", d->what);
		buf = malloc(d->len ? d->len : 1);	/* exact size */
		assert_non_null(buf);
		memcpy(buf, d->opts, d->len);
		memset(&f, 0, sizeof(f));
		ret = toa_opt_decode(buf, d->len, d->kind, d->kind6, &f);
		CHECK(ret == d->ret, "%s: returned %d, expected %d", d->what,
		      ret, d->ret);
		if (ret > 0 && d->ret > 0)
			check_found(d, &f);
		/* found may be NULL */
		ret = toa_opt_decode(buf, d->len, d->kind, d->kind6, NULL);
		CHECK(ret == d->ret, "%s (found NULL): returned %d, expected %d",
		      d->what, ret, d->ret);
		free(buf);
	}
	DONE();
}

/* What a receiver believes: mapped addresses are IPv4, unspecified refused. */
static void test_client_of(void **state)
{
	static const struct {
		const char *what;
		uint8_t opt[20];
		int ret;
		bool want6;
		const char *want;
		uint16_t port;
	} cases[] = {
		{ "v4", { 254, 8, 0x0f, 0xa0, 203, 0, 113, 7 }, 0, false,
		  "203.0.113.7", 4000 },
		{ "v4 0.0.0.0", { 254, 8, 0x0f, 0xa0 }, -EINVAL, false, NULL, 0 },
		{ "v6", { 254, 20, 0x0f, 0xa1, 0x20, 0x01, 0x0d, 0xb8, 0, 0xc,
			  [19] = 7 }, 0, true, "2001:db8:c::7", 4001 },
		{ "v6 mapped", { 254, 20, 0x0f, 0xa2, [14] = 0xff, [15] = 0xff,
				 203, 0, 113, 9 }, 0, false, "203.0.113.9",
		  4002 },
		{ "v6 ::", { 254, 20, 0x0f, 0xa3 }, -EINVAL, false, NULL, 0 },
		{ "v6 ::ffff:0.0.0.0", { 254, 20, 0x0f, 0xa4, [14] = 0xff,
					 [15] = 0xff }, -EINVAL, false, NULL, 0 },
	};
	struct toa_found f;
	struct toa_addr c, want;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = toa_opt_decode(cases[i].opt, cases[i].opt[1], 254, 254,
				     &f);
		CHECK(ret == 1, "%s: decode returned %d", cases[i].what, ret);
		memset(&c, 0xaa, sizeof(c));
		ret = toa_client_of(&c, &f);
		CHECK(ret == cases[i].ret, "%s: returned %d, expected %d",
		      cases[i].what, ret, cases[i].ret);
		if (ret || !cases[i].want)
			continue;
		want = cases[i].want6 ? v6(cases[i].want, cases[i].port) :
					v4(cases[i].want, cases[i].port);
		CHECK(addr_eq(&c, &want), "%s: got %s, expected %s",
		      cases[i].what, addr_str(&c), addr_str(&want));
	}
	DONE();
}

/* Encode then decode gives back the client, for every form and kind. */
static void test_roundtrip(void **state)
{
	static const char *const addrs[] = {
		"203.0.113.7", "198.51.100.255", "2001:db8:c::7", "::1",
	};
	static const uint8_t kinds[][2] = {
		{ 254, 254 }, { 200, 253 }, { 9, 255 }, { 253, 253 },
	};
	uint8_t buf[TOA_OPT_LEN_MAX], *area;
	struct toa_addr c, want;
	struct toa_found f;
	unsigned int n;
	size_t a, k;
	int cv6, ret;

	(void)state;
	for (a = 0; a < 4; a++)
		for (k = 0; k < 4; k++)
			for (cv6 = 0; cv6 <= 1; cv6++) {
				c = strchr(addrs[a], ':') ?
				    v6(addrs[a], 0xf989) : v4(addrs[a], 80);
				n = toa_opt_encode(buf, &c, cv6, kinds[k][0],
						   kinds[k][1]);
				area = malloc(n);
				assert_non_null(area);
				memcpy(area, buf, n);
				memset(&f, 0, sizeof(f));
				ret = toa_opt_decode(area, n, kinds[k][0],
						     kinds[k][1], &f);
				want = c;
				if (n == 20 && c.family == TOA_AF_INET) {
					want.family = TOA_AF_INET6;
					memset(want.a.v6, 0, 16);
					want.a.v6[10] = want.a.v6[11] = 0xff;
					memcpy(want.a.v6 + 12, &c.a.v4, 4);
				}
				CHECK(ret == 1 && addr_eq(&f.addr, &want) &&
				      f.len == n &&
				      f.kind == kinds[k][n == 20],
				      "%s kinds %u/%u conn_v6=%d: decode %d %s",
				      addrs[a], kinds[k][0], kinds[k][1], cv6,
				      ret, addr_str(&f.addr));
				free(area);
			}
	DONE();
}

/* ---- toa_wanted ---------------------------------------------------------- */
static void test_wanted(void **state)
{
	struct toa_seg s;
	int mode, bits;
	bool got, exp;

	(void)state;
	for (mode = TOA_INJECT_HANDSHAKE; mode <= TOA_INJECT_ALWAYS; mode++)
		for (bits = 0; bits < 16; bits++) {
			memset(&s, 0, sizeof(s));
			s.probe = bits & 1;
			s.syn = bits & 2;
			s.rst = bits & 4;
			s.peer_sent_data = bits & 8;
			exp = !s.syn && !s.rst &&
			      (mode == TOA_INJECT_ALWAYS || !s.peer_sent_data);
			got = toa_wanted(mode, &s);
			CHECK(got == exp,
			      "mode=%s probe=%d syn=%d rst=%d peer_sent_data=%d: %d, expected %d",
			      mode == TOA_INJECT_ALWAYS ? "always" : "handshake",
			      s.probe, s.syn, s.rst, s.peer_sent_data, got,
			      exp);
		}
	DONE();
}

/* ---- toa_fits ------------------------------------------------------------ */
static void test_fits(void **state)
{
	static const unsigned int lens[] = { 8, 20 };
	static const unsigned int huge[] = { 41, 60, 255, 65535, UINT_MAX - 7,
					     UINT_MAX };
	unsigned int used, i, j;
	bool got;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (used = 0; used <= 44; used++) {
			got = toa_fits(used, lens[i]);
			CHECK(got == (used + lens[i] <= 40),
			      "used %u + %u: %d", used, lens[i], got);
		}
		for (j = 0; j < sizeof(huge) / sizeof(huge[0]); j++)
			CHECK(!toa_fits(huge[j], lens[i]),
			      "used %u + %u fits (overflow?)", huge[j], lens[i]);
		CHECK(!toa_fits(0, UINT_MAX), "optlen UINT_MAX fits");
		CHECK(!toa_fits(8, UINT_MAX - 3), "wrap-around fits");
	}
	DONE();
}

/* ---- toa_kind_reserved --------------------------------------------------- */
static void test_kind_reserved(void **state)
{
	int k;
	bool got, exp;

	(void)state;
	for (k = -1; k <= 256; k++) {
		exp = k < 0 || k > 255 || k <= 8 || k == 19 || k == 28 ||
		      k == 29 || k == 30 || k == 34;
		got = toa_kind_reserved(k);
		CHECK(got == exp, "kind %d: reserved=%d, expected %d", k, got,
		      exp);
	}
	CHECK(toa_kind_reserved(INT_MIN), "INT_MIN");
	CHECK(toa_kind_reserved(INT_MAX), "INT_MAX");
	CHECK(!toa_kind_reserved(TOA_DEFAULT_KIND), "default kind");
	CHECK(!toa_kind_reserved(TOA_DEFAULT_KIND6), "default kind6");
	DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_misc),
		cmocka_unit_test(test_opt_len),
		cmocka_unit_test(test_opt_encode),
		cmocka_unit_test(test_to_sockaddr),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_client_of),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_kind_reserved),
	};

	alarm(120);	/* a decoder stuck in a loop fails instead of hanging */
	return cmocka_run_group_tests_name("toa_opts", tests, NULL, NULL);
}
