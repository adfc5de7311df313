// SPDX-License-Identifier: GPL-2.0
/*
 * The native data path: TCP's own header-option room (5.10+, with
 * CONFIG_CGROUP_BPF), the one BPF sock_ops programs write options into,
 * used here without a program and without a kprobe.
 *
 * TCP offers the room only to sockets that have
 * BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG set (we set it on tagged sockets,
 * under the socket lock) and only while the cgroup sock_ops static key is
 * on (we hold one reference while loaded). For such a socket, under its
 * lock:
 *
 *   tcp_established_options(sk, skb, ...), also from tcp_current_mss()
 *   with skb NULL, ends in bpf_skops_hdr_opt_len():
 *       __cgroup_bpf_run_filter_sock_ops(sk, sock_ops, ...)
 *           op HDR_OPT_LEN_CB: our entry callback takes the TOA's length
 *           from sock_ops->remaining_opt_len if TOA is wanted and fits;
 *       TCP reserves what was taken (rounded up to 4) after its own
 *       options, so tcp_current_mss() and the segments agree by
 *       construction;
 *   __tcp_transmit_skb(), after tcp_options_write() and MD5:
 *       __cgroup_bpf_run_filter_sock_ops(sk, sock_ops, ...)
 *           op WRITE_HDR_OPT_CB: our entry callback writes the option at
 *           sock_ops->skb_data_end and advances it, as bpf_store_hdr_opt()
 *           does;
 *       TCP fills whatever part of the room nobody wrote with NOPs.
 *
 * Our callbacks run at the function's entry, before any BPF program of the
 * socket's cgroup: a program then reserves and writes after the TOA, as it
 * would after another program. Nothing of ours is left half done when the
 * callback is removed between the two ops: TCP NOP-fills the room.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/tcp.h>

#include "compat.h"
#include "ftrace_hook.h"
#include "toa_config.h"
#include "toa_opts.h"
#include "toa_path.h"
#include "toa_sock.h"
#include "toa_stats.h"

#if COMPAT_HAVE_HDR_OPT

#define TOA_HDR_FLAG	BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG

/*
 * A BPF sock_ops program is attached somewhere (the key counts one per
 * attached program, and ours): the flag may be its too, leave it set.
 */
static bool toa_native_shared(void)
{
	return static_key_count(&compat_sockops_key->key) > 1;
}

static void toa_flag_clear(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!toa_native_shared())
		WRITE_ONCE(tp->bpf_sock_ops_cb_flags,
			   tp->bpf_sock_ops_cb_flags & ~TOA_HDR_FLAG);
}

void toa_native_tagged(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct toa_sock *ts;

	if (tp->bpf_sock_ops_cb_flags & TOA_HDR_FLAG)
		return;
	WRITE_ONCE(tp->bpf_sock_ops_cb_flags,
		   tp->bpf_sock_ops_cb_flags | TOA_HDR_FLAG);
	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (ts)
		ts->flag_ours = true;
	rcu_read_unlock();
}

void toa_native_cleared(struct sock *sk)
{
	toa_flag_clear(sk);
}

/*
 * The tag is gone because the socket disconnected or listens: a flag we
 * set goes too, whoever else holds the key (a listener's flag would be
 * copied into every child it accepts, for life).
 */
void toa_native_forgot(struct sock *sk, bool flag_ours)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (flag_ours)
		WRITE_ONCE(tp->bpf_sock_ops_cb_flags,
			   tp->bpf_sock_ops_cb_flags & ~TOA_HDR_FLAG);
	else
		toa_flag_clear(sk);
}

/*
 * With inject=handshake, once the backend has sent a byte the socket never
 * wants TOA again: clear the flag, and its later segments cost TCP one bit
 * test, as for any untagged socket.
 */
static void toa_native_done(struct sock *sk)
{
	if (READ_ONCE(toa_cfg.inject) == TOA_INJECT_HANDSHAKE &&
	    compat_peer_sent_data(tcp_sk(sk)))
		toa_flag_clear(sk);
}

/*
 * A one-segment skb whose sizing made no room for the TOA (a SACK block
 * left none then) may still take it within the MSS: payload, TCP's own
 * options and the TOA together no more than mss_cache with only the
 * connection's fixed options, which is at most what the path MTU allows.
 * The short last segment of a transmit, say.
 */
static bool toa_native_fits(const struct sock *sk, const struct sk_buff *skb,
			    unsigned int remaining, unsigned int len)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	unsigned int own = MAX_TCP_OPTION_SPACE - remaining;

	return tcp_skb_pcount(skb) <= 1 &&
	       skb->len + own + len <=
	       tp->mss_cache + tp->tcp_header_len - sizeof(struct tcphdr);
}

/*
 * A reservation of ours that no write followed: TCP runs both ops for one
 * segment in one __tcp_transmit_skb() under the socket lock, and skips
 * the write only when the reservation was dropped, because a sock_ops
 * program of the socket's cgroup returned other than 1 at HDR_OPT_LEN_CB.
 * Seen at the socket's next segment, or when its tag ends
 * (toa_sock_clear()).
 */
static void toa_native_unwritten(struct toa_sock *ts)
{
	if (ts->reserved) {
		ts->reserved = NULL;
		toa_stat_inc(TOA_STAT_PKTS_PROG_DENIED);
	}
}

/* HDR_OPT_LEN_CB: reserve room for the TOA of this segment (or sizing). */
static void toa_native_len(struct bpf_sock_ops_kern *so)
{
	struct sk_buff *skb = so->skb;	/* NULL: tcp_current_mss() */
	struct sock *sk = so->sk;
	struct toa_sock *ts;
	unsigned int len;

	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (!ts) {
		/* flagged by a previous load of ours, or by a program gone */
		toa_flag_clear(sk);
		goto out;
	}
	if (skb)
		toa_native_unwritten(ts);
	if (!toa_segment_wanted(sk, skb)) {
		if (!skb)
			ts->room = 0;
		toa_native_done(sk);
		goto out;
	}
	len = toa_opt_len(&ts->client, compat_conn_v6(sk));
	if (so->remaining_opt_len < len ||
	    (skb && skb->len && ts->room < len &&
	     !toa_native_fits(sk, skb, so->remaining_opt_len, len))) {
		/* a segment with payload gets no more than its sizing */
		if (skb)
			toa_stat_inc(TOA_STAT_PKTS_NO_ROOM);
		else
			ts->room = 0;
		goto out;
	}
	so->remaining_opt_len -= len;
	if (skb)
		ts->reserved = skb;
	else
		ts->room = len;
out:
	rcu_read_unlock();
}

/* WRITE_HDR_OPT_CB: write the TOA into the room reserved for it. */
static void toa_native_write(struct bpf_sock_ops_kern *so)
{
	u8 buf[TOA_OPT_LEN_MAX];
	struct toa_sock *ts;
	unsigned int len;

	rcu_read_lock();
	ts = toa_sock_lookup(so->sk);
	if (!ts || !so->skb || ts->reserved != so->skb)
		goto out;
	ts->reserved = NULL;
	len = toa_opt_encode(buf, &ts->client, compat_conn_v6(so->sk),
			     READ_ONCE(toa_cfg.kind), READ_ONCE(toa_cfg.kind6));
	if (so->remaining_opt_len < len)	/* never: we write first */
		goto out;
	memcpy(so->skb_data_end, buf, len);
	so->skb_data_end += len;
	so->remaining_opt_len -= len;
	WRITE_ONCE(ts->segs, ts->segs + 1);
	toa_count_sent(len);
	/* its verdict may yet NOP-fill the room: say so, we cannot see it */
	if (compat_sockops_prog(so->sk))
		toa_stat_inc(TOA_STAT_PKTS_PROG_AFTER);
out:
	rcu_read_unlock();
}

/* __cgroup_bpf_run_filter_sock_ops(sk, sock_ops, atype) entry */
static void toa_sock_ops(const unsigned long *args)
{
	struct bpf_sock_ops_kern *so =
		FTRACE_HOOK_ARG(args, 1, struct bpf_sock_ops_kern *);

	/* request sockets (SYN-ACKs) are never ours */
	if (!so->is_fullsock)
		return;
	if (so->op == BPF_SOCK_OPS_HDR_OPT_LEN_CB)
		toa_native_len(so);
	else if (so->op == BPF_SOCK_OPS_WRITE_HDR_OPT_CB)
		toa_native_write(so);
}

enum {
	TOA_NATIVE_DESTROY, TOA_NATIVE_DISCONNECT, TOA_NATIVE_LISTEN,
	TOA_NATIVE_SOCK_OPS
};

static struct ftrace_hook toa_native_table[] = {
	[TOA_NATIVE_DESTROY] = FTRACE_HOOK_ENTRY_DEF("tcp_v4_destroy_sock", 1,
						     toa_destroy, true, false),
	[TOA_NATIVE_DISCONNECT] = TOA_HOOK_DISCONNECT_DEF,
	[TOA_NATIVE_LISTEN] = TOA_HOOK_LISTEN_DEF,
	[TOA_NATIVE_SOCK_OPS] =
		FTRACE_HOOK_ENTRY_DEF("__cgroup_bpf_run_filter_sock_ops", 2,
				      toa_sock_ops, false, false),
};

int toa_native_init(void)
{
	int err;

	err = ftrace_hook_multi_register(toa_native_table,
					 ARRAY_SIZE(toa_native_table));
	if (err)
		return err;
	static_branch_inc(compat_sockops_key);
	return 0;
}

/*
 * Hooks are disabled already: no callback starts any work. The key goes
 * first, so that TCP stops calling into the sock_ops function for our
 * sockets (unless programs need it), then the callbacks, waiting until
 * none runs. A room reserved and not yet written when that happens is
 * NOP-filled by TCP. Tagged sockets keep the flag: while no program is
 * attached, with the key off, it costs TCP one bit test per segment, and a
 * later load of ours clears it at the socket's next segment.
 */
void toa_native_exit(void)
{
	static_branch_dec(compat_sockops_key);
	ftrace_hook_multi_unregister(toa_native_table,
				     ARRAY_SIZE(toa_native_table));
}

#else /* !COMPAT_HAVE_HDR_OPT */

int toa_native_init(void)
{
	return -EOPNOTSUPP;
}

void toa_native_exit(void)
{
}

void toa_native_tagged(struct sock *sk)
{
}

void toa_native_cleared(struct sock *sk)
{
}

void toa_native_forgot(struct sock *sk, bool flag_ours)
{
}

#endif
