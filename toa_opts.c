// SPDX-License-Identifier: GPL-2.0
/*
 * TOA option encoding, decoding and the placement decision.
 *
 * Kept free of hooks and socket state so that it builds unchanged in user
 * space for the unit tests and the test capture tool.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#else
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#endif

#include "toa_opts.h"

static const __u8 toa_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool toa_v6_is_v4mapped(const __u8 *a)
{
	return !memcmp(a, toa_v4mapped_prefix, sizeof(toa_v4mapped_prefix));
}

static bool toa_v6_is_any(const __u8 *a)
{
	static const __u8 zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

static int toa_parse_in(struct toa_addr *out, const struct sockaddr_in *sin)
{
	if (!sin->sin_addr.s_addr)
		return -EINVAL;
	out->family = TOA_AF_INET;
	out->port = sin->sin_port;
	out->a.v4 = sin->sin_addr.s_addr;
	return 0;
}

static int toa_parse_in6(struct toa_addr *out, const struct sockaddr_in6 *sin6)
{
	const __u8 *a = sin6->sin6_addr.s6_addr;

	out->port = sin6->sin6_port;
	if (toa_v6_is_v4mapped(a)) {
		memcpy(&out->a.v4, a + 12, 4);
		if (!out->a.v4)
			return -EINVAL;
		out->family = TOA_AF_INET;
		return 0;
	}
	if (toa_v6_is_any(a))
		return -EINVAL;
	out->family = TOA_AF_INET6;
	memcpy(out->a.v6, a, 16);
	return 0;
}

int toa_addr_parse(struct toa_addr *out, const void *val, unsigned int len)
{
	struct toa_addr tmp;
	__u16 family;
	int err;

	if (len < sizeof(family) || len > TOA_SOCKADDR_MAX)
		return -EINVAL;
	memcpy(&family, val, sizeof(family));

	memset(&tmp, 0, sizeof(tmp));
	switch (family) {
	case TOA_AF_UNSPEC:
		return 1;
	case TOA_AF_INET:
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		err = toa_parse_in(&tmp, val);
		break;
	case TOA_AF_INET6:
		if (len < sizeof(struct sockaddr_in6))
			return -EINVAL;
		err = toa_parse_in6(&tmp, val);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (!err)
		*out = tmp;
	return err;
}

unsigned int toa_addr_to_sockaddr(void *buf, const struct toa_addr *c,
				  bool v6_form)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (c->family == TOA_AF_INET && !v6_form) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = TOA_AF_INET;
		sin.sin_port = c->port;
		sin.sin_addr.s_addr = c->a.v4;
		memcpy(buf, &sin, sizeof(sin));
		return sizeof(sin);
	}

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = TOA_AF_INET6;
	sin6.sin6_port = c->port;
	if (c->family == TOA_AF_INET) {
		memcpy(sin6.sin6_addr.s6_addr, toa_v4mapped_prefix, 12);
		memcpy(sin6.sin6_addr.s6_addr + 12, &c->a.v4, 4);
	} else {
		memcpy(sin6.sin6_addr.s6_addr, c->a.v6, 16);
	}
	memcpy(buf, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

/*
 * Receivers on an IPv4 socket read the 8-byte form; an IPv6 client there
 * goes in the 20-byte form (DPVS NAT64). On an IPv6 connection only the
 * 20-byte form is read, so IPv4 clients go as ::ffff:a.b.c.d.
 */
unsigned int toa_opt_len(const struct toa_addr *c, bool conn_v6)
{
	if (c->family == TOA_AF_INET && !conn_v6)
		return TOA_OPT_LEN_V4;
	return TOA_OPT_LEN_V6;
}

unsigned int toa_opt_encode(__u8 *buf, const struct toa_addr *c, bool conn_v6,
			    __u8 kind, __u8 kind6)
{
	unsigned int len = toa_opt_len(c, conn_v6);

	buf[1] = len;
	memcpy(buf + 2, &c->port, 2);
	if (len == TOA_OPT_LEN_V4) {
		buf[0] = kind;
		memcpy(buf + 4, &c->a.v4, 4);
		return len;
	}

	buf[0] = kind6;
	if (c->family == TOA_AF_INET) {
		memcpy(buf + 4, toa_v4mapped_prefix, 12);
		memcpy(buf + 16, &c->a.v4, 4);
	} else {
		memcpy(buf + 4, c->a.v6, 16);
	}
	return len;
}

static void toa_found_fill(struct toa_found *f, const __u8 *opt)
{
	memset(f, 0, sizeof(*f));
	f->kind = opt[0];
	f->len = opt[1];
	memcpy(&f->addr.port, opt + 2, 2);
	if (f->len == TOA_OPT_LEN_V4) {
		f->addr.family = TOA_AF_INET;
		memcpy(&f->addr.a.v4, opt + 4, 4);
	} else {
		f->addr.family = TOA_AF_INET6;
		memcpy(f->addr.a.v6, opt + 4, 16);
	}
}

static bool toa_is_toa(const __u8 *opt, const __u8 *kinds4,
		       const __u8 *kinds6)
{
	return (opt[1] == TOA_OPT_LEN_V4 && toa_kinds_has(kinds4, opt[0])) ||
	       (opt[1] == TOA_OPT_LEN_V6 && toa_kinds_has(kinds6, opt[0]));
}

static int toa_opt_walk(const __u8 *opts, unsigned int len,
			const __u8 *kinds4, const __u8 *kinds6,
			struct toa_found *found)
{
	unsigned int i = 0;
	int n = 0;

	while (i < len) {
		if (opts[i] == 0)	/* EOL: the rest is padding */
			break;
		if (opts[i] == 1) {	/* NOP */
			i++;
			continue;
		}
		if (len - i < 2 || opts[i + 1] < 2 || opts[i + 1] > len - i)
			return -EBADMSG;
		if (toa_is_toa(opts + i, kinds4, kinds6)) {
			if (!n && found)
				toa_found_fill(found, opts + i);
			n++;
		}
		i += opts[i + 1];
	}
	return n;
}

int toa_opt_decode(const __u8 *opts, unsigned int len, __u8 kind, __u8 kind6,
		   struct toa_found *found)
{
	__u8 kinds4[TOA_KINDS_BYTES] = { 0 }, kinds6[TOA_KINDS_BYTES] = { 0 };

	toa_kinds_add(kinds4, kind);
	toa_kinds_add(kinds6, kind6);
	return toa_opt_walk(opts, len, kinds4, kinds6, found);
}

int toa_opt_find(const __u8 *opts, unsigned int len, const __u8 *kinds,
		 struct toa_found *found)
{
	return toa_opt_walk(opts, len, kinds, kinds, found);
}

int toa_client_of(struct toa_addr *out, const struct toa_found *f)
{
	*out = f->addr;
	if (out->family == TOA_AF_INET6 && toa_v6_is_v4mapped(out->a.v6)) {
		__be32 v4;

		memcpy(&v4, out->a.v6 + 12, 4);
		memset(&out->a, 0, sizeof(out->a));
		out->a.v4 = v4;
		out->family = TOA_AF_INET;
	}
	if (out->family == TOA_AF_INET ? !out->a.v4 : toa_v6_is_any(out->a.v6))
		return -EINVAL;
	return 0;
}

bool toa_wanted(enum toa_inject mode, const struct toa_seg *s)
{
	if (s->syn || s->rst)
		return false;
	if (mode == TOA_INJECT_ALWAYS)
		return true;
	return !s->peer_sent_data;
}

bool toa_fits(unsigned int used, unsigned int optlen)
{
	return used <= TOA_TCP_OPT_SPACE && optlen <= TOA_TCP_OPT_SPACE - used;
}

bool toa_kind_reserved(int kind)
{
	if (kind < 0 || kind > 255)
		return true;
	switch (kind) {
	case 0 ... 8:	/* EOL NOP MSS WS SACK-perm SACK echo TS */
	case 19:	/* MD5 */
	case 28:	/* user timeout */
	case 29:	/* TCP-AO */
	case 30:	/* MPTCP */
	case 34:	/* Fast Open */
		return true;
	}
	return false;
}
