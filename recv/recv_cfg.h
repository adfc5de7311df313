/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the receiver believes: the option kinds it takes as TOA, and the
 * networks of the senders (load balancers) whose TOA it trusts.
 *
 * One immutable snapshot, replaced whole when a parameter is written and
 * read lock-free (RCU) by the hooks.
 */
#ifndef RECV_CFG_H
#define RECV_CFG_H

#include <linux/in6.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "../toa_opts.h"

#define RECV_NETS_MAX		64

struct recv_net {
	u8 family;			/* AF_INET or AF_INET6 */
	u8 plen;			/* prefix length */
	union {
		__be32 v4;
		struct in6_addr v6;
	} a;
};

struct recv_cfg {
	u8 kinds[TOA_KINDS_BYTES];
	unsigned int nnets;
	struct recv_net nets[RECV_NETS_MAX];
	struct rcu_head rcu;
};

/* Caller holds rcu_read_lock(). */
const struct recv_cfg *recv_cfg_get(void);

/* Is a TOA from the sender at @addr (IPv4 if !@v6) to be believed? */
bool recv_cfg_trusted(const struct recv_cfg *cfg, bool v6, const void *addr);

/* After the hooks are gone. */
void recv_cfg_exit(void);

extern const struct kernel_param_ops recv_trusted_ops;
extern const struct kernel_param_ops recv_kinds_ops;

#endif /* RECV_CFG_H */
