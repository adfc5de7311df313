// SPDX-License-Identifier: GPL-2.0
/*
 * The data path: which one this kernel gets, and what both share.
 *
 * datapath=auto (the default) takes the native path where the kernel has
 * TCP's header-option room (toa_native.c) and the kprobe path elsewhere
 * (toa_kprobe.c); datapath=native or =kprobe insists on one and fails the
 * load without it. Once loaded, the parameter reads as the path in use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>

#include "compat.h"
#include "ftrace_hook.h"
#include "toa_config.h"
#include "toa_hooks.h"
#include "toa_opts.h"
#include "toa_path.h"
#include "toa_sock.h"
#include "toa_stats.h"

bool toa_segment_wanted(struct sock *sk, const struct sk_buff *skb)
{
	struct toa_seg seg = {
		.probe = !skb,
		.peer_sent_data = compat_peer_sent_data(tcp_sk(sk)),
	};

	if (skb) {
		u8 flags = TCP_SKB_CB(skb)->tcp_flags;

		seg.syn = flags & TCPHDR_SYN;
		seg.rst = flags & TCPHDR_RST;
	}
	return toa_wanted(READ_ONCE(toa_cfg.inject), &seg);
}

void toa_count_sent(unsigned int len)
{
	toa_stat_inc(len == TOA_OPT_LEN_V4 ? TOA_STAT_PKTS_V4 :
					     TOA_STAT_PKTS_V6);
}

void toa_destroy(const unsigned long *args)
{
	toa_sock_clear(FTRACE_HOOK_ARG(args, 0, struct sock *));
}

static bool toa_native;

void toa_forget(const unsigned long *args)
{
	struct sock *sk = FTRACE_HOOK_ARG(args, 0, struct sock *);
	struct toa_sock *ts;
	bool flag_ours;

	if (sk->sk_protocol != IPPROTO_TCP)	/* DCCP listens too */
		return;
	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	flag_ours = ts && ts->flag_ours;
	rcu_read_unlock();
	if (!ts || !toa_sock_clear(sk))
		return;
	/* not sockets_cleared: the connection ended, as at destroy */
	if (toa_native)
		toa_native_forgot(sk, flag_ours);
}

static int toa_hooks_install(int want)
{
	int err;

	if (want != TOA_DATAPATH_KPROBE) {
		err = toa_native_init();
		if (!err) {
			toa_native = true;
			WRITE_ONCE(toa_cfg.return_hook, TOA_RETHOOK_NONE);
			pr_info("data path: native (TCP header-option room, no kprobe)\n");
			return TOA_DATAPATH_NATIVE;
		}
		if (want == TOA_DATAPATH_NATIVE) {
			pr_err("datapath=native: not available on this kernel (%d)\n",
			       err);
			return err;
		}
	}
	err = toa_kprobe_init();
	if (err)
		return err;
	pr_info("data path: kprobe (%s), return hook: %s\n",
		want == TOA_DATAPATH_KPROBE ? "datapath=kprobe" :
		"this kernel has no header-option room for modules",
		toa_cfg.return_hook == TOA_RETHOOK_WRAPPER ?
		"ftrace wrapper" : "kretprobe (can skip calls: hook_missed)");
	return TOA_DATAPATH_KPROBE;
}

int toa_hooks_init(void)
{
	int path = toa_hooks_install(toa_cfg.datapath);

	if (path < 0)
		return path;
	WRITE_ONCE(toa_cfg.datapath, path);
	ftrace_hook_enable();
	return 0;
}

void toa_hooks_exit(void)
{
	ftrace_hook_disable();
	if (toa_native)
		toa_native_exit();
	else
		toa_kprobe_exit();
}

unsigned long toa_hooks_missed(void)
{
	return toa_native ? 0 : toa_kprobe_missed();
}

void toa_hooks_tagged(struct sock *sk)
{
	if (toa_native)
		toa_native_tagged(sk);
}

void toa_hooks_cleared(struct sock *sk)
{
	if (toa_native)
		toa_native_cleared(sk);
}
