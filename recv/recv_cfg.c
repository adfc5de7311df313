// SPDX-License-Identifier: GPL-2.0
/*
 * The parameters trusted= and kinds=, parsed into one RCU snapshot.
 *
 *   trusted=192.0.2.0/24,2001:db8::/48   senders whose TOA is believed;
 *                                        "none" (the default) or "any"
 *   kinds=254,200                        option kinds taken as TOA, in
 *                                        both lengths (8 and 20 bytes)
 *
 * A bad value is refused whole (EINVAL) and the snapshot in use stays.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "recv_cfg.h"

static struct recv_cfg recv_cfg_default = {
	.kinds[TOA_DEFAULT_KIND / 8] = 1 << (TOA_DEFAULT_KIND % 8),
};

static struct recv_cfg __rcu *recv_cfg_cur = &recv_cfg_default;
static DEFINE_MUTEX(recv_cfg_lock);

const struct recv_cfg *recv_cfg_get(void)
{
	return rcu_dereference(recv_cfg_cur);
}

static bool recv_net_match(const struct recv_net *n, bool v6,
			   const void *addr)
{
	if (v6) {
		return n->family == AF_INET6 &&
		       ipv6_prefix_equal(addr, &n->a.v6, n->plen);
	}
	if (n->family != AF_INET)
		return false;
	return !n->plen ||
	       !((*(const __be32 *)addr ^ n->a.v4) &
		 htonl(~0U << (32 - n->plen)));
}

bool recv_cfg_trusted(const struct recv_cfg *cfg, bool v6, const void *addr)
{
	unsigned int i;

	for (i = 0; i < cfg->nnets; i++)
		if (recv_net_match(&cfg->nets[i], v6, addr))
			return true;
	return false;
}

/* Under recv_cfg_lock: a copy of the snapshot in use, to change. */
static struct recv_cfg *recv_cfg_copy(void)
{
	struct recv_cfg *cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);

	if (cfg)
		*cfg = *rcu_dereference_protected(recv_cfg_cur,
				lockdep_is_held(&recv_cfg_lock));
	return cfg;
}

static void recv_cfg_publish(struct recv_cfg *cfg)
{
	struct recv_cfg *old;

	old = rcu_dereference_protected(recv_cfg_cur,
					lockdep_is_held(&recv_cfg_lock));
	rcu_assign_pointer(recv_cfg_cur, cfg);
	if (old != &recv_cfg_default)
		kfree_rcu(old, rcu);
}

void recv_cfg_exit(void)
{
	mutex_lock(&recv_cfg_lock);
	recv_cfg_publish(&recv_cfg_default);
	mutex_unlock(&recv_cfg_lock);
	rcu_barrier();		/* the kfree_rcu() above */
}

/* ipv6_addr_prefix() clears its output first: it cannot work in place. */
static void recv_net6_prefix(struct in6_addr *a, unsigned int plen)
{
	struct in6_addr host = *a;

	ipv6_addr_prefix(a, &host, plen);
}

/* One "addr/len" (or a bare address: a host) into @n. */
static int recv_net_parse(struct recv_net *n, char *s)
{
	char *slash = strchr(s, '/');
	const char *end;
	unsigned int max, plen;

	memset(n, 0, sizeof(*n));
	if (slash)
		*slash = '\0';
	if (in4_pton(s, -1, (u8 *)&n->a.v4, '\0', &end)) {
		n->family = AF_INET;
		max = 32;
	} else if (in6_pton(s, -1, n->a.v6.s6_addr, '\0', &end)) {
		n->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash && (kstrtouint(slash + 1, 10, &plen) || plen > max))
		return -EINVAL;
	n->plen = plen;
	/* the network, not a host in it: 192.0.2.7/24 is 192.0.2.0/24 */
	if (n->family == AF_INET && plen < 32)
		n->a.v4 &= plen ? htonl(~0U << (32 - plen)) : 0;
	else if (n->family == AF_INET6)
		recv_net6_prefix(&n->a.v6, plen);
	return 0;
}

static int recv_nets_parse(struct recv_cfg *cfg, char *list)
{
	char *tok;
	int err;

	cfg->nnets = 0;
	list = strim(list);
	if (!strcmp(list, "none") || !*list)
		return 0;
	if (!strcmp(list, "any"))
		list = "0.0.0.0/0,::/0";
	list = kstrdup(list, GFP_KERNEL);	/* "any" is read-only */
	if (!list)
		return -ENOMEM;
	err = 0;
	for (tok = list; tok && !err; ) {
		char *s = strsep(&tok, ",");

		s = strim(s);
		if (cfg->nnets == RECV_NETS_MAX)
			err = -E2BIG;
		else
			err = recv_net_parse(&cfg->nets[cfg->nnets++], s);
	}
	kfree(list);
	return err;
}

static int recv_kinds_parse(struct recv_cfg *cfg, char *list)
{
	char *tok = strim(list);
	int kind, n = 0;

	memset(cfg->kinds, 0, sizeof(cfg->kinds));
	while (tok) {
		char *s = strim(strsep(&tok, ","));

		if (kstrtoint(s, 10, &kind) || toa_kind_reserved(kind))
			return -EINVAL;
		toa_kinds_add(cfg->kinds, kind);
		n++;
	}
	return n ? 0 : -EINVAL;
}

static int recv_cfg_set(const char *val,
			int (*parse)(struct recv_cfg *, char *))
{
	struct recv_cfg *cfg;
	char *buf;
	int err;

	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&recv_cfg_lock);
	cfg = recv_cfg_copy();
	err = cfg ? parse(cfg, buf) : -ENOMEM;
	if (!err)
		recv_cfg_publish(cfg);
	else
		kfree(cfg);
	mutex_unlock(&recv_cfg_lock);
	kfree(buf);
	return err;
}

static int recv_trusted_set(const char *val, const struct kernel_param *kp)
{
	return recv_cfg_set(val, recv_nets_parse);
}

static int recv_trusted_get(char *buf, const struct kernel_param *kp)
{
	const struct recv_cfg *cfg;
	unsigned int i;
	int n = 0;

	rcu_read_lock();
	cfg = recv_cfg_get();
	for (i = 0; i < cfg->nnets; i++) {
		const struct recv_net *net = &cfg->nets[i];

		n += scnprintf(buf + n, PAGE_SIZE - n, "%s", i ? "," : "");
		if (net->family == AF_INET)
			n += scnprintf(buf + n, PAGE_SIZE - n, "%pI4/%u",
				       &net->a.v4, net->plen);
		else
			n += scnprintf(buf + n, PAGE_SIZE - n, "%pI6c/%u",
				       &net->a.v6, net->plen);
	}
	if (!cfg->nnets)
		n += scnprintf(buf, PAGE_SIZE, "none");
	rcu_read_unlock();
	n += scnprintf(buf + n, PAGE_SIZE - n, "\n");
	return n;
}

const struct kernel_param_ops recv_trusted_ops = {
	.set = recv_trusted_set,
	.get = recv_trusted_get,
};

static int recv_kinds_set(const char *val, const struct kernel_param *kp)
{
	return recv_cfg_set(val, recv_kinds_parse);
}

static int recv_kinds_get(char *buf, const struct kernel_param *kp)
{
	const struct recv_cfg *cfg;
	int kind, n = 0;

	rcu_read_lock();
	cfg = recv_cfg_get();
	for (kind = 0; kind < 256; kind++)
		if (toa_kinds_has(cfg->kinds, kind))
			n += scnprintf(buf + n, PAGE_SIZE - n, "%s%d",
				       n ? "," : "", kind);
	rcu_read_unlock();
	n += scnprintf(buf + n, PAGE_SIZE - n, "\n");
	return n;
}

const struct kernel_param_ops recv_kinds_ops = {
	.set = recv_kinds_set,
	.get = recv_kinds_get,
};
