// SPDX-License-Identifier: GPL-2.0
/*
 * SDP_TOA_SO_GET_NAT64: the IPv6 client of an IPv4 socket, which
 * getpeername() cannot return (see sdp_toa.h). The option number and the
 * answer are those of DPVS's receiver (TOA_SO_GET_LOOKUP).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "../compat.h"
#include "../sdp_toa.h"
#include "recv_sock.h"
#include "recv_sockopt.h"
#include "recv_stats.h"

/* The answer without its trailing padding: what a packed struct holds. */
#define RECV_NAT64_MIN	offsetof(struct sdp_toa_nat64_peer, __pad)

static int recv_nat64_peer(struct sock *sk, struct sdp_toa_nat64_peer *p)
{
	const struct toa_addr *c;
	int err = -ENOENT;

	if (!inet_sk(sk)->inet_dport ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)))
		return -ENOTCONN;
	rcu_read_lock();
	c = recv_sock_client(recv_sock_lookup(sk), sk);
	if (c && c->family == TOA_AF_INET6) {
		memcpy(p->saddr, c->a.v6, sizeof(p->saddr));
		p->sport = (__force unsigned short)c->port;
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

static int recv_get(struct sock *sk, int optval, void __user *user, int *len)
{
	struct sdp_toa_nat64_peer p = { };
	int n, err;

	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_family != AF_INET)
		return -ENOPROTOOPT;
	if (*len < (int)RECV_NAT64_MIN)
		return -EINVAL;
	lock_sock(sk);
	err = recv_nat64_peer(sk, &p);
	release_sock(sk);
	if (err)
		return err;
	n = min_t(int, *len, sizeof(p));
	if (copy_to_user(user, &p, n))
		return -EFAULT;
	*len = n;
	recv_stat_inc(RECV_STAT_NAT64);
	return 0;
}

static struct nf_sockopt_ops recv_sockopt = {
	.pf		= PF_INET,
	.get_optmin	= SDP_TOA_SO_GET_NAT64,
	.get_optmax	= SDP_TOA_SO_GET_NAT64 + 1,
	.get		= recv_get,
	.owner		= THIS_MODULE,
};

int recv_sockopt_init(void)
{
	int err = nf_register_sockopt(&recv_sockopt);

	if (err)
		pr_err("socket option %d is taken by another module (another TOA receiver?) (%d)\n",
		       SDP_TOA_SO_GET_NAT64, err);
	return err;
}

void recv_sockopt_exit(void)
{
	nf_unregister_sockopt(&recv_sockopt);
}
