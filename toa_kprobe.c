// SPDX-License-Identifier: GPL-2.0
/*
 * The kprobe data path: where TCP has no header-option room of its own for
 * us (before 5.10, no CONFIG_CGROUP_BPF) or datapath=kprobe asks for it.
 *
 * For a segment of a tagged socket, __tcp_transmit_skb() does, under the
 * socket lock:
 *
 *   size = tcp_established_options(sk, skb, &opts, ...)
 *          return hook: if TOA is wanted and fits after TCP's own options,
 *          size += len, and the option bytes are parked in the socket's
 *          entry together with &opts (the transmit they belong to);
 *   th->doff = (20 + size) / 4; ...
 *   tcp_options_write(th, tp, &opts)
 *          entry hook: the parked bytes go to the tail of the option area,
 *          th + doff * 4 - len, which TCP's own options never reach.
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

#include <linux/delay.h>
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
	const void *opts;
	bool sizing;		/* tcp_current_mss(): skb == NULL */
	bool data;		/* the segment carries payload */
	u8 len;
	u8 bytes[TOA_OPT_LEN_MAX];
};

/* The write hook is in place (else the return hook writes, see below). */
static bool toa_write_hooked;

/*
 * Where tcp_options_write() cannot be hooked (inlined, as in Debian's 6.12
 * kernels), write the option from the return hook: __tcp_transmit_skb()
 * pushes the TCP header, options included, right in front of skb->data,
 * so the tail of the option area is the @len bytes just before it. TCP
 * writes its own options from the front and never reaches them.
 */
static bool toa_write_now(const struct toa_reserve *r, unsigned int used)
{
	if (skb_headroom(r->skb) < sizeof(struct tcphdr) + used + r->len) {
		toa_stat_inc(TOA_STAT_PKTS_NO_ROOM);
		return false;
	}
	memcpy(r->skb->data - r->len, r->bytes, r->len);
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
	if (wanted && compat_tail_taken(tcp_sk(sk))) {
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
	r->opts = FTRACE_HOOK_ARG(args, 2, const void *);
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
	if (READ_ONCE(toa_write_hooked))
		toa_pending_set(r->ts, r->opts, r->bytes, r->len);
	else if (!toa_write_now(r, used))
		return ret;
	return ret + r->len;
}

/* tcp_options_write(th, tp, ..., opts, ...) entry: write what was parked. */
static void toa_write(const unsigned long *args)
{
	const struct sock *sk = (const struct sock *)compat_optw_tp(args);
	struct toa_pending *p;
	struct toa_sock *ts;
	struct tcphdr *th;
	unsigned int hlen;

	if (!sk)		/* SYN-ACK from a request socket */
		return;
	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (!ts || !ts->pending.len)
		goto out;
	p = &ts->pending;
	th = compat_optw_th(args);
	hlen = th->doff * 4;
	if (p->opts == compat_optw_opts(args) && !th->syn &&
	    hlen >= sizeof(*th) + p->len) {
		memcpy((u8 *)th + hlen - p->len, p->bytes, p->len);
		toa_count_sent(p->len);
	}
	toa_pending_drop(ts);
out:
	rcu_read_unlock();
}

/*
 * tcp_current_mss(sk) entry: a sizing begins. The return hook sees the
 * tcp_established_options() call in it, unless the kretprobe misses that
 * call (a kprobe hit while another kprobe runs on the CPU is skipped: a
 * softirq transmit interrupting a process-context one in its handler). A
 * missed sizing made no room for TOA: until the next sizing is seen,
 * segments with payload go without TOA rather than over the MTU.
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
 * The return hook is gone: let every reservation it made reach the writer
 * before the writer goes. Each is written microseconds later by the same
 * transmit; the bound only keeps a broken kernel from hanging rmmod.
 */
static void toa_reserve_drain(void)
{
	unsigned int ms;

	for (ms = 0; toa_sock_pending() && ms < 1000; ms += 20)
		msleep(20);
	if (toa_sock_pending())
		pr_warn("%d reserved options were never written\n",
			toa_sock_pending());
}

enum { TOA_HOOK_DESTROY, TOA_HOOK_WRITE, TOA_HOOK_SIZING, TOA_HOOK_RESERVE };

/* Registered in order, removed in reverse: reserving stops first. */
static struct ftrace_hook toa_hook_table[] = {
	[TOA_HOOK_DESTROY] = FTRACE_HOOK_ENTRY_DEF("tcp_v4_destroy_sock", 1,
						   toa_destroy, true, false),
	[TOA_HOOK_WRITE] = FTRACE_HOOK_ENTRY_DEF("tcp_options_write",
						 COMPAT_OPTW_NARGS, toa_write,
						 true, true),
	[TOA_HOOK_SIZING] = FTRACE_HOOK_ENTRY_DEF("tcp_current_mss", 1,
						  toa_sizing, true, true),
	[TOA_HOOK_RESERVE] = FTRACE_HOOK_RETURN_DEF("tcp_established_options",
						    3, toa_reserve_pre,
						    toa_reserve_post,
						    struct toa_reserve,
						    toa_reserve_drain),
};

int toa_kprobe_init(void)
{
	int err;

	err = ftrace_hook_multi_register(toa_hook_table,
					 ARRAY_SIZE(toa_hook_table));
	if (err)
		return err;
	toa_write_hooked = toa_hook_table[TOA_HOOK_WRITE].registered;
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
