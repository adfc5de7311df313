// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe data path: where TCP has no header-option room of its own for
 * us (before 5.10, no CONFIG_CGROUP_BPF) or datapath=kprobe asks for it.
 * Its return hook is an ftrace wrapper where the kernel allows one, else a
 * kretprobe (return_hook; ftrace_hook.h).
 *
 * For a segment of a tagged socket, __tcp_transmit_skb() does, under the
 * socket lock (unchanged from 3.10 to 6.18):
 *
 *   size = tcp_established_options(sk, skb, &opts, ...)
 *          return hook: if TOA is wanted and fits after TCP's own options,
 *          size += len, and the option bytes are written into the @len
 *          bytes just before skb->data;
 *   skb_push(skb, 20 + size); th = skb->data; th->doff = (20 + size) / 4;
 *   tcp_options_write(th, tp, &opts)
 *          TCP writes its own options from th + 1 and never reaches the
 *          tail of the option area, th + doff * 4 - len: our bytes.
 *
 * The bytes are in place before tcp_established_options() has returned, so
 * no segment can leave with room reserved and unwritten, however long the
 * transmit is preempted and whenever the module goes: there is nothing to
 * park, to hand on or to drain.
 *
 * tcp_current_mss() calls tcp_established_options(sk, NULL, ...) to size
 * segments; it gets room for TOA whenever TOA is wanted (even when TCP's
 * options leave none at that moment), and a segment with payload never gets
 * more option bytes than its sizing made room for, so segments stay within
 * the MTU.
 * tcp_v4_destroy_sock() runs for every TCP socket (IPv4 and IPv6) that is
 * destroyed, and drops its tag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>

#include "compat.h"
#include "ftrace_hook.h"
#include "toa_config.h"
#include "toa_hooks.h"
#include "toa_path.h"
#include "toa_opts.h"
#include "toa_sock.h"
#include "toa_stats.h"

/* What the entry of tcp_established_options() hands to its return. */
struct toa_reserve {
	struct toa_sock *ts;
	struct sk_buff *skb;	/* NULL when sizing */
	bool sizing;		/* tcp_current_mss(): skb == NULL */
	bool data;		/* the segment carries payload */
	u8 len;
	u8 bytes[TOA_OPT_LEN_MAX];
};

/*
 * Write the option of @r where __tcp_transmit_skb() will push the tail of
 * the option area: the @len bytes just before skb->data (TCP pushes the
 * header, options included, right in front of the payload; the skb is its
 * clone for this transmit, whose headroom TCP writes the header into).
 */
static bool toa_write_now(const struct toa_reserve *r, unsigned int used)
{
	if (skb_headroom(r->skb) < sizeof(struct tcphdr) + used + r->len) {
		toa_stat_inc(TOA_STAT_PKTS_NO_ROOM);
		return false;
	}
	memcpy(r->skb->data - r->len, r->bytes, r->len);
	WRITE_ONCE(r->ts->segs, r->ts->segs + 1);
	toa_count_sent(r->len);
	return true;
}

/* tcp_established_options(sk, skb, opts, ...) entry: watch this call? */
static bool toa_reserve_pre(const unsigned long *args, void *data)
{
	struct sock *sk = FTRACE_HOOK_ARG(args, 0, struct sock *);
	struct sk_buff *skb = FTRACE_HOOK_ARG(args, 1, struct sk_buff *);
	struct toa_reserve *r = data;
	struct toa_sock *ts;
	bool watch = false;
	bool wanted;

	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (!ts)
		goto out;
	wanted = toa_segment_wanted(sk, skb);
	if (wanted && compat_tail_taken(sk)) {
		if (skb)
			toa_stat_inc(TOA_STAT_PKTS_NO_ROOM);
		wanted = false;
	}
	if (!wanted) {
		/* Sizing with no TOA wanted makes no room: say so, unwatched. */
		if (!skb)
			ts->sized = 0;
		goto out;
	}
	r->ts = ts;
	r->sizing = !skb;
	r->data = skb && skb->len;
	r->skb = skb;
	r->len = toa_opt_encode(r->bytes, &ts->client, compat_conn_v6(sk),
				READ_ONCE(toa_cfg.kind),
				READ_ONCE(toa_cfg.kind6));
	watch = true;
out:
	rcu_read_unlock();
	return watch;
}

/*
 * tcp_established_options() return: @ret is what TCP's options take.
 *
 * Sizing must cover every segment it sizes, and TCP's options can shrink
 * between segments of one transmit loop: the first segment sent clears a
 * D-SACK block (8 bytes), after which a 20-byte TOA fits where it did not
 * (12 bytes more header than sized for: the IP layer drops such a segment).
 * So sizing makes room for TOA whenever TOA is wanted, up to the 40 option
 * bytes (while SACK blocks are around, segments may be up to 16 bytes short
 * of the MSS, never too long), and records that room; a segment with
 * payload then gets TOA only within it (this also covers inject changing
 * between sizing and sending).
 */
static unsigned long toa_reserve_post(unsigned long ret, void *data)
{
	struct toa_reserve *r = data;
	unsigned int used = ret;

	if (r->sizing) {
		if (!(used & 3))
			ret = min_t(unsigned int, used + r->len,
				    TOA_TCP_OPT_SPACE);
		r->ts->sized = ret;
		r->ts->sizing_unseen = false;
		return ret;
	}
	if ((used & 3) || !toa_fits(used, r->len) ||
	    (r->data && (r->ts->sizing_unseen ||
			 used + r->len > r->ts->sized))) {
		toa_stat_inc(TOA_STAT_PKTS_NO_ROOM);
		return ret;
	}
	if (!toa_write_now(r, used))
		return ret;
	return ret + r->len;
}

/*
 * tcp_current_mss(sk) entry: a sizing begins. The return hook sees the
 * tcp_established_options() call in it, unless it is a kretprobe and misses
 * that call (a kprobe hit while another kprobe runs on the CPU is skipped: a
 * softirq transmit interrupting a process-context one in its handler; the
 * wrapper misses none). A missed sizing made no room for TOA: until the
 * next sizing is seen, segments with payload go without TOA rather than
 * over the MTU.
 */
static void toa_sizing(const unsigned long *args)
{
	struct toa_sock *ts;

	rcu_read_lock();
	ts = toa_sock_lookup(FTRACE_HOOK_ARG(args, 0, struct sock *));
	if (ts)
		ts->sizing_unseen = true;
	rcu_read_unlock();
}

/*
 * The wrapper's filter (ftrace callback): only the calls of a tagged socket
 * that want TOA go to the wrapper, so any other call costs one ftrace pass.
 * A sizing that wants none records here, as toa_reserve_pre() would, that
 * it made no room.
 */
static bool toa_reserve_filter(const unsigned long *args)
{
	struct sock *sk = FTRACE_HOOK_ARG(args, 0, struct sock *);
	struct sk_buff *skb = FTRACE_HOOK_ARG(args, 1, struct sk_buff *);
	struct toa_sock *ts;
	bool want = false;

	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (ts) {
		want = toa_segment_wanted(sk, skb);
		if (!want && !skb)
			ts->sized = 0;
	}
	rcu_read_unlock();
	return want;
}

enum {
	TOA_HOOK_DESTROY, TOA_HOOK_DISCONNECT, TOA_HOOK_LISTEN,
	TOA_HOOK_SIZING, TOA_HOOK_RESERVE
};

/* Registered in order, removed in reverse: reserving stops first. */
static struct ftrace_hook toa_hook_table[] = {
	[TOA_HOOK_DESTROY] = FTRACE_HOOK_ENTRY_DEF("tcp_v4_destroy_sock", 1,
						   toa_destroy, true, false),
	[TOA_HOOK_DISCONNECT] = TOA_HOOK_DISCONNECT_DEF,
	[TOA_HOOK_LISTEN] = TOA_HOOK_LISTEN_DEF,
	[TOA_HOOK_SIZING] = FTRACE_HOOK_ENTRY_DEF("tcp_current_mss", 1,
						  toa_sizing, true, true),
	[TOA_HOOK_RESERVE] =
		FTRACE_HOOK_RETURN_FILTER_DEF("tcp_established_options", 2,
					      toa_reserve_filter,
					      toa_reserve_pre,
					      toa_reserve_post,
					      struct toa_reserve),
};

int toa_kprobe_init(void)
{
	struct ftrace_hook *ret = &toa_hook_table[TOA_HOOK_RESERVE];
	int err;

	switch (toa_cfg.return_hook) {
	case TOA_RETHOOK_WRAPPER:
		ret->via = FTRACE_HOOK_VIA_WRAPPER;
		break;
	case TOA_RETHOOK_KRETPROBE:
		ret->via = FTRACE_HOOK_VIA_KRETPROBE;
		break;
	default:
		ret->via = FTRACE_HOOK_VIA_AUTO;
	}
	err = ftrace_hook_multi_register(toa_hook_table,
					 ARRAY_SIZE(toa_hook_table));
	if (err)
		return err;
	WRITE_ONCE(toa_cfg.return_hook,
		   ret->via == FTRACE_HOOK_VIA_WRAPPER ?
		   TOA_RETHOOK_WRAPPER : TOA_RETHOOK_KRETPROBE);
	return 0;
}

void toa_kprobe_exit(void)
{
	ftrace_hook_multi_unregister(toa_hook_table,
				     ARRAY_SIZE(toa_hook_table));
}

unsigned long toa_kprobe_missed(void)
{
	return ftrace_hook_missed(toa_hook_table, ARRAY_SIZE(toa_hook_table));
}
