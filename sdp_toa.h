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

#endif /* SDP_TOA_H */
