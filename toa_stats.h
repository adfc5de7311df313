/* SPDX-License-Identifier: GPL-2.0 */
/* The counters, per CPU, shown in /proc/net/sdp_toa_stats. */
#ifndef TOA_STATS_H
#define TOA_STATS_H

#include <linux/percpu.h>

enum toa_stat {
	TOA_STAT_SOCKETS_TAGGED,	/* sockets that became tagged */
	TOA_STAT_SOCKETS_CLEARED,	/* tags removed with AF_UNSPEC */
	TOA_STAT_PKTS_V4,		/* segments sent with the 8-byte form */
	TOA_STAT_PKTS_V6,		/* segments sent with the 20-byte form */
	TOA_STAT_PKTS_NO_ROOM,		/* segments that had no room for it */
	/*
	 * Native path, beside a sock_ops program of the socket's cgroup:
	 * a reserved TOA TCP dropped because a program returned other than
	 * 1 at HDR_OPT_LEN_CB (so it never went out); TOA written where a
	 * program then ran, whose verdict at WRITE_HDR_OPT_CB can still
	 * NOP-fill it (counted in pkts_v4/pkts_v6 too).
	 */
	TOA_STAT_PKTS_PROG_DENIED,
	TOA_STAT_PKTS_PROG_AFTER,
	TOA_STAT_DENIED,		/* SET refused: not allowed (EPERM) */
	TOA_STAT_INVALID,		/* SET/GET refused: bad input */
	TOA_STAT_MAX
};

struct toa_stats {
	unsigned long v[TOA_STAT_MAX];
};

DECLARE_PER_CPU(struct toa_stats, toa_stats);

static inline void toa_stat_inc(enum toa_stat s)
{
	this_cpu_inc(toa_stats.v[s]);
}

/* Gauges and counters kept elsewhere, read when the file is shown. */
struct toa_stats_source {
	unsigned long (*sockets_live)(void);
	unsigned long (*hook_missed)(void);
	const char *(*datapath)(void);	/* "native" or "kprobe" */
	const char *(*return_hook)(void); /* "wrapper", "kretprobe", "none" */
};

int toa_stats_init(const struct toa_stats_source *src);
void toa_stats_exit(void);

#endif /* TOA_STATS_H */
