// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/sdp_toa_recv_stats: one "name value" per line. The file lives in
 * the initial network namespace; the counters cover the whole host.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "../compat.h"
#include "recv_sock.h"
#include "recv_stats.h"

#define RECV_STATS_NAME	"sdp_toa_recv_stats"

DEFINE_PER_CPU(struct recv_stats, recv_stats);

static const char * const recv_stat_names[RECV_STAT_MAX] = {
	[RECV_STAT_TOA_V4]	= "toa_v4",
	[RECV_STAT_TOA_V6]	= "toa_v6",
	[RECV_STAT_NO_TOA]	= "no_toa",
	[RECV_STAT_WAITING]	= "toa_waiting",
	[RECV_STAT_TOA_LATE]	= "toa_from_data",
	[RECV_STAT_WAIT_ENDED]	= "toa_wait_ended",
	[RECV_STAT_UNTRUSTED]	= "untrusted",
	[RECV_STAT_MALFORMED]	= "malformed",
	[RECV_STAT_NOMEM]	= "nomem",
	[RECV_STAT_PEERNAME]	= "peername_rewritten",
	[RECV_STAT_NAT64]	= "nat64_lookups",
};

static unsigned long recv_stat_sum(enum recv_stat s)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(recv_stats, cpu).v[s]);
	return n;
}

static int recv_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < RECV_STAT_MAX; i++)
		seq_printf(m, "%s %lu\n", recv_stat_names[i], recv_stat_sum(i));
	seq_printf(m, "sockets_live %lu\n", recv_sock_count());
	return 0;
}

int recv_stats_init(void)
{
	if (!proc_create_single(RECV_STATS_NAME, 0444, init_net.proc_net,
				recv_stats_show)) {
		pr_err("cannot create /proc/net/%s\n", RECV_STATS_NAME);
		return -ENOMEM;
	}
	return 0;
}

void recv_stats_exit(void)
{
	remove_proc_entry(RECV_STATS_NAME, init_net.proc_net);
}
