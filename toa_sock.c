// SPDX-License-Identifier: GPL-2.0
/*
 * The table of tagged sockets.
 *
 * Keyed by the socket's address. An entry is removed when its socket is
 * destroyed (tcp_v4_destroy_sock, which TCP runs for IPv4 and IPv6 sockets
 * however they end), before the socket's memory can be reused, so a new
 * socket at the same address never finds a stale tag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "toa_sock.h"
#include "toa_stats.h"

static const struct rhashtable_params toa_sock_params = {
	.key_len		= sizeof(const struct sock *),
	.key_offset		= offsetof(struct toa_sock, sk),
	.head_offset		= offsetof(struct toa_sock, node),
	.automatic_shrinking	= true,
};

static struct rhashtable toa_sock_table;

int toa_sock_init(void)
{
	return rhashtable_init(&toa_sock_table, &toa_sock_params);
}

static void toa_sock_free(void *ptr, void *arg)
{
	kfree(ptr);
}

void toa_sock_exit(void)
{
	rhashtable_free_and_destroy(&toa_sock_table, toa_sock_free, NULL);
}

unsigned long toa_sock_count(void)
{
	return atomic_read(&toa_sock_table.nelems);
}

void toa_sock_walk_enter(struct rhashtable_iter *it)
{
	rhashtable_walk_enter(&toa_sock_table, it);
}

struct toa_sock *toa_sock_lookup(const struct sock *sk)
{
	/* The common case on a load balancer's packet path: nothing tagged. */
	if (!atomic_read(&toa_sock_table.nelems))
		return NULL;
	return rhashtable_lookup(&toa_sock_table, &sk, toa_sock_params);
}

int toa_sock_set(struct sock *sk, const struct toa_addr *client)
{
	struct toa_sock *ts;
	int err;

	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (ts) {
		ts->client = *client;
		rcu_read_unlock();
		return 0;
	}
	rcu_read_unlock();

	ts = kzalloc(sizeof(*ts), GFP_KERNEL);
	if (!ts)
		return -ENOMEM;
	ts->sk = sk;
	ts->client = *client;
	err = rhashtable_lookup_insert_fast(&toa_sock_table, &ts->node,
					    toa_sock_params);
	if (err) {
		kfree(ts);
		return err;
	}
	return 1;
}

bool toa_sock_clear(const struct sock *sk)
{
	struct toa_sock *ts;
	bool found = false;

	rcu_read_lock();
	ts = toa_sock_lookup(sk);
	if (ts && !rhashtable_remove_fast(&toa_sock_table, &ts->node,
					  toa_sock_params)) {
		/* a native reservation no write followed (toa_native.c) */
		if (ts->reserved)
			toa_stat_inc(TOA_STAT_PKTS_PROG_DENIED);
		kfree_rcu(ts, rcu);
		found = true;
	}
	rcu_read_unlock();
	return found;
}
