/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The user-space API of the sdp_toa kernel module.
 *
 * Usable from C and C++ without kernel headers. A proxy tags its upstream
 * TCP socket with the address of the client it serves; sdp_toa then carries
 * that address in a TCP option (TOA) on the upstream connection, where the
 * backend's TOA receiver looks for it.
 *
 *	struct sockaddr_in client = ...;	// from accept()
 *	setsockopt(fd, IPPROTO_IP, SDP_TOA_SO_SET, &client, sizeof(client));
 *	connect(fd, backend, backend_len);
 *
 * Levels: IPPROTO_IP on an AF_INET socket, IPPROTO_IPV6 on an AF_INET6 socket.
 * The value is a struct sockaddr_in or struct sockaddr_in6 (either family on
 * either kind of socket); a struct sockaddr whose sa_family is AF_UNSPEC
 * clears the tag. SDP_TOA_SO_GET returns the address that will be sent, as a
 * struct sockaddr_in or struct sockaddr_in6, or fails with ENOENT.
 *
 * Errors: ENOPROTOOPT (module not loaded, wrong level for the socket's family,
 * or not a TCP socket), EINVAL (listening socket, bad length, unspecified
 * address, GET buffer too small), EAFNOSUPPORT (value of another family),
 * EFAULT (bad pointer), EPERM (caller lacks CAP_NET_ADMIN in the socket's
 * network namespace and is not in the group allowed_gid), ENOMEM.
 * A failed call changes nothing.
 */
#ifndef SDP_TOA_H
#define SDP_TOA_H

/*
 * Socket option numbers, registered through nf_register_sockopt() for
 * PF_INET and PF_INET6. Chosen clear of ip_tables/ip6_tables (64-67),
 * arp_tables (96-99), ebtables (128-131), conntrack/ipset (80-83),
 * IPVS (1152-1170) and DPVS's toa (4096).
 */
#define SDP_TOA_SO_BASE		6600
#define SDP_TOA_SO_SET		(SDP_TOA_SO_BASE + 0)
#define SDP_TOA_SO_GET		(SDP_TOA_SO_BASE + 1)
#define SDP_TOA_SO_MAX		(SDP_TOA_SO_BASE + 1)

/* Counters, one "name value" line each (see README). */
#define SDP_TOA_STATS_PATH	"/proc/net/sdp_toa_stats"

/*
 * The receiver, sdp_toa_recv (backends). getpeername() and accept() of an
 * accepted TCP socket return the client its trusted sender carried in TOA.
 * An IPv6 client on an IPv4 socket (NAT64), which a struct sockaddr_in
 * cannot hold, is asked for as DPVS's receiver answers it, so that programs
 * written for that one work unchanged:
 *
 *	struct sdp_toa_nat64_peer p;
 *	socklen_t len = sizeof(p);
 *	if (getsockopt(fd, IPPROTO_IP, SDP_TOA_SO_GET_NAT64, &p, &len) == 0)
 *		... p.saddr, ntohs(p.sport) ...
 *
 * Errors: ENOPROTOOPT (module not loaded, not an IPv4 TCP socket), EINVAL
 * (len below 18), ENOTCONN (not connected), ENOENT (no IPv6 client carried
 * for this socket: ask getpeername()), EFAULT.
 */
#define SDP_TOA_SO_GET_NAT64	4096	/* DPVS's TOA_SO_GET_LOOKUP */

struct sdp_toa_nat64_peer {
	unsigned char saddr[16];	/* IPv6 address, network order */
	unsigned short sport;		/* port, network order */
	unsigned short __pad;		/* as DPVS's struct: 20 bytes */
};

#define SDP_TOA_RECV_STATS_PATH	"/proc/net/sdp_toa_recv_stats"

#endif /* SDP_TOA_H */
