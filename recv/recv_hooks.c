// SPDX-License-Identifier: GPL-2.0
/*
 * Where the receiver meets TCP: four ftrace entry callbacks, none of which
 * calls, replaces or redirects a kernel function.
 *
 *   tcp_v4_syn_recv_sock(listener, skb, req, ...)   (and tcp_v6_...)
 *       TCP is making the child socket of @skb: the ACK that completes the
 *       handshake, or the first data segment when that ACK was lost or the
 *       listener defers accept (TCP_DEFER_ACCEPT), or a Fast Open SYN.
 *       We read the TOA of @skb if its sender is trusted, and note it in a
 *       per-CPU slot with the connection's addresses and ports.
 *   __inet_inherit_port(listener, child)
 *       inside that call, in the same softirq on the same CPU, the new
 *       child takes its port, before it is hashed or queued for accept():
 *       if the slot is of its connection, the child gets the client now,
 *       before any program can see it. (Not inet_csk_reqsk_queue_add():
 *       its caller in the same file inlines it, so the exported copy that
 *       ftrace sees is not the one the handshake runs.)
 *   __cgroup_bpf_run_filter_sock_addr(sk, uaddr, ...)
 *       getpeername() and accept() hand the peer address they are about to
 *       return to the cgroup BPF sock_addr hook, which TCP calls while its
 *       static key is on (we hold one reference per family while loaded):
 *       we rewrite @uaddr for sockets that carry a client, before any BPF
 *       program of the socket's cgroup sees it.
 *   __cgroup_bpf_run_filter_sock_ops(sk, sock_ops, ...)
 *       when the segment that made the child came from a trusted sender
 *       without TOA, the child waits for one on the client's next
 *       segments, as receivers do: we set its
 *       BPF_SOCK_OPS_PARSE_UNKNOWN_HDR_OPT_CB_FLAG, so TCP hands us (op
 *       PARSE_HDR_OPT_CB, static key held) each of its segments that has
 *       an option TCP does not know, until a TOA comes or the backend has
 *       sent data (the sender's rule: TOA until the backend's first byte).
 *       At op PASSIVE_ESTABLISHED_CB, the child that TCP keeps is counted.
 *   tcp_v4_destroy_sock(sk)
 *       the socket is going (IPv4 and IPv6): its entry goes too.
 *
 * Nothing here runs per segment of other sockets: the first two once per
 * connection, the third per getpeername()/accept(), the fourth a few times
 * per connection (sock_ops events TCP raises anyway while the key is on).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/inet_sock.h>
#include <net/tcp.h>

#include "../compat.h"
#include "../ftrace_hook.h"
#include "recv_cfg.h"
#include "recv_hooks.h"
#include "recv_sock.h"
#include "recv_stats.h"

#if COMPAT_HAVE_SA_PEER

#define RECV_WAIT_FLAG	BPF_SOCK_OPS_PARSE_UNKNOWN_HDR_OPT_CB_FLAG

static void recv_stat_client(const struct toa_addr *c)
{
	recv_stat_inc(c->family == TOA_AF_INET ? RECV_STAT_TOA_V4 :
						 RECV_STAT_TOA_V6);
}

/* A TOA read from the segment that is making a child socket. */
struct recv_slot {
	bool valid;
	struct recv_conn peer;		/* the segment's source: the sender */
	__be16 lport;			/* its destination: the listener */
	struct in6_addr laddr;		/* IPv4: in the first word */
	struct toa_addr client;
};

static DEFINE_PER_CPU(struct recv_slot, recv_slot);

static void recv_segment(const struct sk_buff *skb, bool v6)
{
	struct recv_slot *slot = this_cpu_ptr(&recv_slot);
	const struct tcphdr *th = tcp_hdr(skb);
	unsigned int optlen = th->doff * 4 - sizeof(*th);
	const struct recv_cfg *cfg;
	struct toa_found found;
	const void *saddr;
	int n;

	slot->valid = false;
	rcu_read_lock();
	cfg = recv_cfg_get();
	n = toa_opt_find((const u8 *)(th + 1), optlen, cfg->kinds, &found);
	saddr = v6 ? (const void *)&ipv6_hdr(skb)->saddr :
		     (const void *)&ip_hdr(skb)->saddr;
	if (!recv_cfg_trusted(cfg, v6, saddr)) {
		if (n > 0)
			recv_stat_inc(RECV_STAT_UNTRUSTED);
		goto out;
	}
	if (n < 0 || (n > 0 && toa_client_of(&slot->client, &found))) {
		recv_stat_inc(RECV_STAT_MALFORMED);
		goto out;
	}
	if (!n) {
		/* wait for it on the client's first segments */
		recv_stat_inc(RECV_STAT_NO_TOA);
		memset(&slot->client, 0, sizeof(slot->client));
	}
	slot->peer.v6 = v6;
	slot->peer.dport = th->source;
	slot->lport = th->dest;
	if (v6) {
		slot->peer.daddr = ipv6_hdr(skb)->saddr;
		slot->laddr = ipv6_hdr(skb)->daddr;
	} else {
		slot->peer.daddr.s6_addr32[0] = ip_hdr(skb)->saddr;
		slot->laddr.s6_addr32[0] = ip_hdr(skb)->daddr;
	}
	slot->valid = true;
out:
	rcu_read_unlock();
}

/* tcp_v4_syn_recv_sock(sk, skb, req, dst, req_unhash, own_req) entry */
static void recv_syn_recv4(const unsigned long *args)
{
	recv_segment(FTRACE_HOOK_ARG(args, 1, const struct sk_buff *), false);
}

/*
 * tcp_v6_syn_recv_sock() entry. An IPv4 segment on an IPv6 listener
 * (v4-mapped) goes on to tcp_v4_syn_recv_sock(), which reads it.
 */
static void recv_syn_recv6(const unsigned long *args)
{
	const struct sk_buff *skb =
		FTRACE_HOOK_ARG(args, 1, const struct sk_buff *);

	if (skb->protocol == htons(ETH_P_IPV6))
		recv_segment(skb, true);
}

/* Is @child the socket the segment in @slot is making? */
static bool recv_slot_of(const struct recv_slot *slot,
			 const struct sock *child)
{
	if (child->sk_num != ntohs(slot->lport) ||
	    !recv_conn_is(&slot->peer, child))
		return false;
#if IS_ENABLED(CONFIG_IPV6)
	if (slot->peer.v6)
		return ipv6_addr_equal(&child->sk_v6_rcv_saddr, &slot->laddr);
#endif
	return child->sk_rcv_saddr == slot->laddr.s6_addr32[0];
}

/* __inet_inherit_port(listener, child) entry */
static void recv_inherit(const unsigned long *args)
{
	struct sock *child = FTRACE_HOOK_ARG(args, 1, struct sock *);
	struct recv_slot *slot = this_cpu_ptr(&recv_slot);
	struct recv_sock *rs;
	int err;

	if (!slot->valid || child->sk_protocol != IPPROTO_TCP ||
	    !recv_slot_of(slot, child))
		return;
	slot->valid = false;
	rs = recv_sock_add(child, &slot->peer, &slot->client, &err);
	if (!rs) {
		if (err == -ENOMEM)
			recv_stat_inc(RECV_STAT_NOMEM);
		return;
	}
	/* counted when TCP keeps the child: recv_established() */
	if (slot->client.family)
		return;
	rs->waiting = true;
	if (!(tcp_sk(child)->bpf_sock_ops_cb_flags & RECV_WAIT_FLAG)) {
		tcp_sk(child)->bpf_sock_ops_cb_flags |= RECV_WAIT_FLAG;
		rs->flag_ours = true;
	}
}

/*
 * PASSIVE_ESTABLISHED_CB: TCP keeps this child. A child made by a segment
 * that raced another CPU's for the same request, or whose hashing failed,
 * got an entry too but is destroyed without this event: counting here
 * counts each accepted socket once.
 */
static void recv_established(const struct sock *sk)
{
	struct recv_sock *rs;

	rcu_read_lock();
	rs = recv_sock_lookup(sk);
	if (rs && rs->client.family)
		recv_stat_client(&rs->client);
	else if (rs && rs->waiting)
		recv_stat_inc(RECV_STAT_WAITING);
	rcu_read_unlock();
}

/* The wait of @rs on @sk is over (socket owned by the caller). */
static void recv_wait_end(struct sock *sk, struct recv_sock *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);

	rs->waiting = false;
	if (rs->flag_ours) {
		rs->flag_ours = false;
		WRITE_ONCE(tp->bpf_sock_ops_cb_flags,
			   tp->bpf_sock_ops_cb_flags & ~RECV_WAIT_FLAG);
	}
}

/* A segment of a waiting socket: has it the TOA? */
static void recv_parse_hdr(struct sock *sk, const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct toa_found found;
	struct toa_addr client;
	struct recv_sock *rs;
	int n;

	rcu_read_lock();
	rs = recv_sock_lookup(sk);
	if (!rs || !rs->waiting)
		goto out;
	if (tcp_sk(sk)->data_segs_out) {
		/* the backend answered: the sender stopped sending TOA */
		recv_wait_end(sk, rs);
		recv_stat_inc(RECV_STAT_WAIT_ENDED);
		goto out;
	}
	n = toa_opt_find((const u8 *)(th + 1), th->doff * 4 - sizeof(*th),
			 recv_cfg_get()->kinds, &found);
	if (!n)
		goto out;
	recv_wait_end(sk, rs);
	if (n < 0 || toa_client_of(&client, &found)) {
		recv_stat_inc(RECV_STAT_MALFORMED);
		goto out;
	}
	recv_sock_set_client(rs, &client);
	recv_stat_client(&client);
	recv_stat_inc(RECV_STAT_TOA_LATE);
out:
	rcu_read_unlock();
}

/* __cgroup_bpf_run_filter_sock_ops(sk, sock_ops, atype) entry */
static void recv_sock_ops(const unsigned long *args)
{
	struct sock *sk = FTRACE_HOOK_ARG(args, 0, struct sock *);
	struct bpf_sock_ops_kern *so =
		FTRACE_HOOK_ARG(args, 1, struct bpf_sock_ops_kern *);

	if (so->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
		if (sk->sk_protocol == IPPROTO_TCP)
			recv_established(sk);
		return;
	}
	if (so->op != BPF_SOCK_OPS_PARSE_HDR_OPT_CB || !so->skb ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    !(tcp_sk(sk)->bpf_sock_ops_cb_flags & RECV_WAIT_FLAG))
		return;
	recv_parse_hdr(sk, so->skb);
}

static bool recv_rewrite(const struct sock *sk, struct sockaddr *uaddr,
			 const struct toa_addr *c)
{
	if (sk->sk_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;

		/* an IPv6 client does not fit: SDP_TOA_SO_GET_NAT64 */
		if (c->family != TOA_AF_INET)
			return false;
		sin->sin_port = c->port;
		sin->sin_addr.s_addr = c->a.v4;
		return true;
	}
	if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)uaddr;

		sin6->sin6_port = c->port;
		if (c->family == TOA_AF_INET)
			ipv6_addr_set_v4mapped(c->a.v4, &sin6->sin6_addr);
		else
			memcpy(&sin6->sin6_addr, c->a.v6, 16);
		return true;
	}
	return false;
}

/* __cgroup_bpf_run_filter_sock_addr(sk, uaddr, [uaddrlen,] atype, ...) */
static void recv_sock_addr(const unsigned long *args)
{
	struct sock *sk = FTRACE_HOOK_ARG(args, 0, struct sock *);
	struct sockaddr *uaddr = FTRACE_HOOK_ARG(args, 1, struct sockaddr *);
	int atype = FTRACE_HOOK_ARG(args, COMPAT_SA_ATYPE_ARG, int);
	const struct toa_addr *c;

	if ((atype != compat_sa_peer4 && atype != compat_sa_peer6) ||
	    !uaddr || sk->sk_protocol != IPPROTO_TCP)
		return;
	rcu_read_lock();
	c = recv_sock_client(recv_sock_lookup(sk), sk);
	if (c && recv_rewrite(sk, uaddr, c))
		recv_stat_inc(RECV_STAT_PEERNAME);
	rcu_read_unlock();
}

/* tcp_v4_destroy_sock(sk) entry */
static void recv_destroy(const unsigned long *args)
{
	recv_sock_del(FTRACE_HOOK_ARG(args, 0, struct sock *));
}

enum {
	RECV_HOOK_DESTROY,
	RECV_HOOK_SOCK_ADDR,
	RECV_HOOK_SOCK_OPS,
	RECV_HOOK_INHERIT,
	RECV_HOOK_SYN_RECV4,
	RECV_HOOK_SYN_RECV6,
	RECV_HOOK_MAX
};

/*
 * Registered in table order, removed in reverse: entries are created only
 * while the destroy hook is in place, so none outlives its socket.
 */
static struct ftrace_hook recv_hooks[RECV_HOOK_MAX] = {
	[RECV_HOOK_DESTROY] = FTRACE_HOOK_ENTRY_DEF("tcp_v4_destroy_sock", 1,
						    recv_destroy, true, false),
	[RECV_HOOK_SOCK_ADDR] =
		FTRACE_HOOK_ENTRY_DEF("__cgroup_bpf_run_filter_sock_addr",
				      COMPAT_SA_ATYPE_ARG + 1, recv_sock_addr,
				      false, false),
	[RECV_HOOK_SOCK_OPS] =
		FTRACE_HOOK_ENTRY_DEF("__cgroup_bpf_run_filter_sock_ops", 2,
				      recv_sock_ops, false, false),
	[RECV_HOOK_INHERIT] =
		FTRACE_HOOK_ENTRY_DEF("__inet_inherit_port", 2,
				      recv_inherit, false, false),
	[RECV_HOOK_SYN_RECV4] =
		FTRACE_HOOK_ENTRY_DEF("tcp_v4_syn_recv_sock", 2,
				      recv_syn_recv4, false, false),
	[RECV_HOOK_SYN_RECV6] =
		FTRACE_HOOK_ENTRY_DEF("tcp_v6_syn_recv_sock", 2,
				      recv_syn_recv6, false,
				      !IS_ENABLED(CONFIG_IPV6)),
};

int recv_hooks_init(void)
{
	int err;

	err = ftrace_hook_multi_register(recv_hooks, ARRAY_SIZE(recv_hooks));
	if (err)
		return err;
	static_branch_inc(compat_sa_key(compat_sa_peer4));
	static_branch_inc(compat_sa_key(compat_sa_peer6));
	static_branch_inc(compat_sockops_key);
	ftrace_hook_enable();
	return 0;
}

/*
 * No callback starts work once hooks are disabled (only the destroy hook
 * runs on). The keys go, so that getpeername() stops calling into the
 * sock_addr function for us, then the callbacks, waiting until none runs;
 * then the caller frees the table. A child made while this happens simply
 * gets no entry: its getpeername() returns the sender's address, as for
 * every socket once we are gone.
 */
void recv_hooks_exit(void)
{
	ftrace_hook_disable();
	static_branch_dec(compat_sockops_key);
	static_branch_dec(compat_sa_key(compat_sa_peer6));
	static_branch_dec(compat_sa_key(compat_sa_peer4));
	ftrace_hook_multi_unregister(recv_hooks, ARRAY_SIZE(recv_hooks));
}

#else /* !COMPAT_HAVE_SA_PEER */

int recv_hooks_init(void)
{
	pr_err("this kernel has no cgroup sock_addr hook for getpeername() (needs 5.10+ with CONFIG_CGROUP_BPF)\n");
	return -EOPNOTSUPP;
}

void recv_hooks_exit(void)
{
}

#endif
