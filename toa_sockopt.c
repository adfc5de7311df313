// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space API: SDP_TOA_SO_SET / SDP_TOA_SO_GET.
 *
 * Registered with nf_register_sockopt() for PF_INET and PF_INET6, so that
 * ip_setsockopt() and ipv6_setsockopt() hand us the option numbers they do
 * not know themselves (see sdp_toa.h for the contract and the errors).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/uidgid.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "sdp_toa.h"
#include "toa_config.h"
#include "toa_hooks.h"
#include "toa_opts.h"
#include "toa_sock.h"
#include "toa_sockopt.h"
#include "toa_stats.h"

/* Ours to answer: a TCP socket whose family matches the option's level. */
static int toa_check_sock(const struct sock *sk, int pf)
{
	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_family != pf)
		return -ENOPROTOOPT;
	return 0;
}

static bool toa_may_tag(const struct sock *sk)
{
	return ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN) ||
	       toa_cfg_gid_member();
}

static int toa_set_locked(struct sock *sk, const struct toa_addr *client,
			  bool clear)
{
	int ret;

	if (sk->sk_state == TCP_LISTEN)
		return -EINVAL;
	if (clear) {
		if (toa_sock_clear(sk)) {
			toa_hooks_cleared(sk);
			toa_stat_inc(TOA_STAT_SOCKETS_CLEARED);
		}
		return 0;
	}
	ret = toa_sock_set(sk, client);
	if (ret < 0)
		return ret;
	toa_hooks_tagged(sk);
	if (ret == 1)
		toa_stat_inc(TOA_STAT_SOCKETS_TAGGED);
	return 0;
}

static int toa_set(struct sock *sk, int pf, compat_sockopt_arg_t arg,
		   unsigned int len)
{
	u8 buf[TOA_SOCKADDR_MAX];
	struct toa_addr client;
	int ret;

	ret = toa_check_sock(sk, pf);
	if (ret)
		goto invalid;
	if (!toa_may_tag(sk)) {
		toa_stat_inc(TOA_STAT_DENIED);
		return -EPERM;
	}
	if (len < sizeof(u16) || len > sizeof(buf)) {
		ret = -EINVAL;
		goto invalid;
	}
	if (compat_copy_sockopt(buf, arg, len)) {
		ret = -EFAULT;
		goto invalid;
	}
	ret = toa_addr_parse(&client, buf, len);
	if (ret < 0)
		goto invalid;

	lock_sock(sk);
	ret = toa_set_locked(sk, &client, ret == 1);
	release_sock(sk);
	if (ret == -EINVAL)
		goto invalid;
	return ret;
invalid:
	toa_stat_inc(TOA_STAT_INVALID);
	return ret;
}

static int toa_get(struct sock *sk, int pf, void __user *user, int *len)
{
	u8 buf[TOA_SOCKADDR_MAX];
	struct toa_addr client;
	struct toa_sock *ts;
	unsigned int n;
	int ret;

	ret = toa_check_sock(sk, pf);
	if (ret)
		goto invalid;

	lock_sock(sk);
	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (ts)
		client = ts->client;
	rcu_read_unlock();
	release_sock(sk);
	if (!ts)
		return -ENOENT;

	n = toa_addr_to_sockaddr(buf, &client, compat_conn_v6(sk));
	if (*len < 0 || *len < n) {
		ret = -EINVAL;
		goto invalid;
	}
	if (copy_to_user(user, buf, n)) {
		ret = -EFAULT;
		goto invalid;
	}
	*len = n;
	return 0;
invalid:
	toa_stat_inc(TOA_STAT_INVALID);
	return ret;
}

static int toa_set4(struct sock *sk, int optval, compat_sockopt_arg_t arg,
		    unsigned int len)
{
	return toa_set(sk, AF_INET, arg, len);
}

static int toa_get4(struct sock *sk, int optval, void __user *user, int *len)
{
	return toa_get(sk, AF_INET, user, len);
}

static int toa_set6(struct sock *sk, int optval, compat_sockopt_arg_t arg,
		    unsigned int len)
{
	return toa_set(sk, AF_INET6, arg, len);
}

static int toa_get6(struct sock *sk, int optval, void __user *user, int *len)
{
	return toa_get(sk, AF_INET6, user, len);
}

static struct nf_sockopt_ops toa_sockopts[] = {
	{
		.pf		= PF_INET,
		.set_optmin	= SDP_TOA_SO_SET,
		.set_optmax	= SDP_TOA_SO_SET + 1,
		.set		= toa_set4,
		.get_optmin	= SDP_TOA_SO_GET,
		.get_optmax	= SDP_TOA_SO_GET + 1,
		.get		= toa_get4,
		.owner		= THIS_MODULE,
	},
	{
		.pf		= PF_INET6,
		.set_optmin	= SDP_TOA_SO_SET,
		.set_optmax	= SDP_TOA_SO_SET + 1,
		.set		= toa_set6,
		.get_optmin	= SDP_TOA_SO_GET,
		.get_optmax	= SDP_TOA_SO_GET + 1,
		.get		= toa_get6,
		.owner		= THIS_MODULE,
	},
};

/*
 * A SET or GET that found our ops before they were unregistered runs on,
 * holding a reference to this module (nf_sockopt_find()) until it
 * returns. rmmod waits for it; a failed load does not, and then frees the
 * table under it: wait here until no such call is left.
 */
static void toa_sockopt_wait_callers(void)
{
	while (module_refcount(THIS_MODULE) > 0)
		usleep_range(1000, 2000);
}

int toa_sockopt_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(toa_sockopts); i++) {
		err = nf_register_sockopt(&toa_sockopts[i]);
		if (err) {
			pr_err("socket options %d-%d (%s) are taken by another module (%d)\n",
			       SDP_TOA_SO_SET, SDP_TOA_SO_GET,
			       toa_sockopts[i].pf == PF_INET ? "IPv4" : "IPv6",
			       err);
			while (i--)
				nf_unregister_sockopt(&toa_sockopts[i]);
			toa_sockopt_wait_callers();
			return err;
		}
	}
	return 0;
}

void toa_sockopt_exit(void)
{
	int i = ARRAY_SIZE(toa_sockopts);

	while (i--)
		nf_unregister_sockopt(&toa_sockopts[i]);
}
