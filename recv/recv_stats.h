/* SPDX-License-Identifier: GPL-2.0 */
/* The receiver's counters, per CPU, shown in /proc/net/sdp_toa_recv_stats. */
#ifndef RECV_STATS_H
#define RECV_STATS_H

#include <linux/percpu.h>

enum recv_stat {
	RECV_STAT_TOA_V4,	/* accepted sockets given an IPv4 client */
	RECV_STAT_TOA_V6,	/* ... an IPv6 client */
	RECV_STAT_NO_TOA,	/* a trusted sender's child without TOA */
	RECV_STAT_WAITING,	/* ... that waits for it on later segments */
	RECV_STAT_TOA_LATE,	/* ... and got it there (in toa_v4/v6 too) */
	RECV_STAT_WAIT_ENDED,	/* ... and stopped: the backend answered */
	RECV_STAT_UNTRUSTED,	/* TOA from a sender not trusted: ignored */
	RECV_STAT_MALFORMED,	/* option area that does not parse: ignored */
	RECV_STAT_NOMEM,	/* TOA lost: no memory for the entry */
	RECV_STAT_PEERNAME,	/* getpeername()/accept() answers rewritten */
	RECV_STAT_NAT64,	/* SDP_TOA_SO_GET_NAT64 answered */
	RECV_STAT_MAX
};

struct recv_stats {
	unsigned long v[RECV_STAT_MAX];
};

DECLARE_PER_CPU(struct recv_stats, recv_stats);

static inline void recv_stat_inc(enum recv_stat s)
{
	this_cpu_inc(recv_stats.v[s]);
}

int recv_stats_init(void);
void recv_stats_exit(void);

#endif /* RECV_STATS_H */
