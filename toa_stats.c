// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/sdp_toa_stats: one "name value" per line (counters, and the
 * data path in use: "datapath native" or "datapath kprobe").
 *
 * The file lives in the initial network namespace; the counters cover the
 * whole host.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "toa_stats.h"

#define TOA_STATS_NAME	"sdp_toa_stats"

DEFINE_PER_CPU(struct toa_stats, toa_stats);

static const struct toa_stats_source *toa_stats_src;

static unsigned long toa_stat_sum(enum toa_stat s)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(toa_stats, cpu).v[s]);
	return n;
}

static int toa_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "sockets_tagged %lu\n",
		   toa_stat_sum(TOA_STAT_SOCKETS_TAGGED));
	seq_printf(m, "sockets_cleared %lu\n",
		   toa_stat_sum(TOA_STAT_SOCKETS_CLEARED));
	seq_printf(m, "sockets_live %lu\n", toa_stats_src->sockets_live());
	seq_printf(m, "pkts_v4 %lu\n", toa_stat_sum(TOA_STAT_PKTS_V4));
	seq_printf(m, "pkts_v6 %lu\n", toa_stat_sum(TOA_STAT_PKTS_V6));
	seq_printf(m, "pkts_no_room %lu\n",
		   toa_stat_sum(TOA_STAT_PKTS_NO_ROOM));
	seq_printf(m, "pkts_prog_denied %lu\n",
		   toa_stat_sum(TOA_STAT_PKTS_PROG_DENIED));
	seq_printf(m, "pkts_prog_after %lu\n",
		   toa_stat_sum(TOA_STAT_PKTS_PROG_AFTER));
	seq_printf(m, "denied %lu\n", toa_stat_sum(TOA_STAT_DENIED));
	seq_printf(m, "invalid %lu\n", toa_stat_sum(TOA_STAT_INVALID));
	seq_printf(m, "hook_missed %lu\n", toa_stats_src->hook_missed());
	seq_printf(m, "datapath %s\n", toa_stats_src->datapath());
	seq_printf(m, "return_hook %s\n", toa_stats_src->return_hook());
	return 0;
}

int toa_stats_init(const struct toa_stats_source *src)
{
	toa_stats_src = src;
	if (!proc_create_single(TOA_STATS_NAME, 0444, init_net.proc_net,
				toa_stats_show)) {
		pr_err("cannot create /proc/net/%s\n", TOA_STATS_NAME);
		return -ENOMEM;
	}
	return 0;
}

void toa_stats_exit(void)
{
	remove_proc_entry(TOA_STATS_NAME, init_net.proc_net);
}
