/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TOA option encoding, decoding and the placement decision.
 *
 * Pure functions of their arguments: no hooks, no sockets, no locks. The same
 * file builds in the kernel and in user space (unit tests, the test capture).
 */
#ifndef TOA_OPTS_H
#define TOA_OPTS_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/types.h>
#endif

#define TOA_OPT_LEN_V4		8	/* kind, len, port(2), IPv4 address(4) */
#define TOA_OPT_LEN_V6		20	/* kind, len, port(2), IPv6 address(16) */
#define TOA_OPT_LEN_MAX		TOA_OPT_LEN_V6
#define TOA_TCP_OPT_SPACE	40	/* MAX_TCP_OPTION_SPACE */
#define TOA_SOCKADDR_MAX	128	/* sizeof(struct sockaddr_storage) */

#define TOA_DEFAULT_KIND	254
#define TOA_DEFAULT_KIND6	254

/* Address families, same numbers in the kernel and in user space. */
#define TOA_AF_UNSPEC		0
#define TOA_AF_INET		2
#define TOA_AF_INET6		10

/* A client address, normalised: an IPv4-mapped IPv6 client is TOA_AF_INET. */
struct toa_addr {
	__u16 family;			/* TOA_AF_INET or TOA_AF_INET6 */
	__be16 port;
	union {
		__be32 v4;
		__u8 v6[16];
	} a;
};

/* What a decoded TOA option said. */
struct toa_found {
	__u8 kind;
	__u8 len;			/* TOA_OPT_LEN_V4 or TOA_OPT_LEN_V6 */
	struct toa_addr addr;		/* family from len, not normalised */
};

enum toa_inject {
	TOA_INJECT_HANDSHAKE = 0,	/* handshake ACK .. first peer byte */
	TOA_INJECT_ALWAYS,		/* every non-SYN, non-RST segment */
};

/* What the placement decision needs to know about one segment. */
struct toa_seg {
	bool probe;		/* MSS computation (no segment yet) */
	bool syn;
	bool rst;
	bool peer_sent_data;	/* a byte (or FIN) from the peer has arrived */
};

/*
 * Parse a socket option value (struct sockaddr_in / sockaddr_in6 / sockaddr
 * with AF_UNSPEC) already copied into kernel or user memory.
 * Returns 0 with *out filled, 1 for AF_UNSPEC (clear), -EINVAL for a bad
 * length or an unspecified address, -EAFNOSUPPORT for another family.
 */
int toa_addr_parse(struct toa_addr *out, const void *val, unsigned int len);

/* Store @c as a struct sockaddr_in or sockaddr_in6 in @buf (>= 28 bytes);
 * @v6_form forces the IPv6 form (IPv4 as ::ffff:a.b.c.d). Returns the length.
 */
unsigned int toa_addr_to_sockaddr(void *buf, const struct toa_addr *c,
				  bool v6_form);

/* Length of the option for client @c on a connection over IPv4 or IPv6. */
unsigned int toa_opt_len(const struct toa_addr *c, bool conn_v6);

/* Write the option into @buf (>= TOA_OPT_LEN_MAX bytes); returns its length. */
unsigned int toa_opt_encode(__u8 *buf, const struct toa_addr *c, bool conn_v6,
			    __u8 kind, __u8 kind6);

/*
 * Walk a TCP option area of @len bytes. Returns -EBADMSG if it is malformed
 * (an option runs past the end, a length below 2), else the number of TOA
 * options found (kind/@kind with length 8, or @kind6 with length 20); the
 * first is stored in *@found when @found is not NULL.
 */
int toa_opt_decode(const __u8 *opts, unsigned int len, __u8 kind, __u8 kind6,
		   struct toa_found *found);

/*
 * A set of option kinds (a bit per kind), for receivers that accept several
 * (254 and 200, say) in both lengths.
 */
#define TOA_KINDS_BYTES		32

static inline void toa_kinds_add(__u8 *kinds, __u8 kind)
{
	kinds[kind / 8] |= 1 << (kind % 8);
}

static inline bool toa_kinds_has(const __u8 *kinds, __u8 kind)
{
	return kinds[kind / 8] & (1 << (kind % 8));
}

/*
 * As toa_opt_decode(), for a receiver: a TOA is an option whose kind is in
 * @kinds (TOA_KINDS_BYTES) with length 8 or 20.
 */
int toa_opt_find(const __u8 *opts, unsigned int len, const __u8 *kinds,
		 struct toa_found *found);

/*
 * The client a receiver believes from @f: normalised (an IPv4-mapped IPv6
 * address in the 20-byte form is the IPv4 client), or -EINVAL for an
 * unspecified address (0.0.0.0, ::, ::ffff:0.0.0.0), which no sender means.
 */
int toa_client_of(struct toa_addr *out, const struct toa_found *f);

/* Does this segment carry TOA under @mode, room permitting? */
bool toa_wanted(enum toa_inject mode, const struct toa_seg *s);

/* Does an option of @optlen fit after @used bytes of TCP's own options? */
bool toa_fits(unsigned int used, unsigned int optlen);

/* Kinds the kernel itself parses, or that are reserved: refused as kind. */
bool toa_kind_reserved(int kind);

#endif /* TOA_OPTS_H */
