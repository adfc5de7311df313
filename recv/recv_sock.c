// SPDX-License-Identifier: GPL-2.0
/*
 * The table of accepted sockets that carry a client address.
 *
 * Keyed by the socket's address. An entry goes when its socket is destroyed
 * (tcp_v4_destroy_sock, for IPv4 and IPv6 sockets however they end), before
 * the memory can be reused, so a new socket at the same address never finds
 * a stale client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "recv_sock.h"

static const struct rhashtable_params recv_sock_params = {
	.key_len		= sizeof(const struct sock *),
	.key_offset		= offsetof(struct recv_sock, sk),
	.head_offset		= offsetof(struct recv_sock, node),
	.automatic_shrinking	= true,
};

static struct rhashtable recv_sock_table;

int recv_sock_init(void)
{
	return rhashtable_init(&recv_sock_table, &recv_sock_params);
}

static void recv_sock_free(void *ptr, void *arg)
{
	kfree(ptr);
}

void recv_sock_exit(void)
{
	rhashtable_free_and_destroy(&recv_sock_table, recv_sock_free, NULL);
}

unsigned long recv_sock_count(void)
{
	return atomic_read(&recv_sock_table.nelems);
}

struct recv_sock *recv_sock_lookup(const struct sock *sk)
{
	/* sockets without TOA, the common case on most backends */
	if (!atomic_read(&recv_sock_table.nelems))
		return NULL;
	return rhashtable_lookup(&recv_sock_table, &sk, recv_sock_params);
}

struct recv_sock *recv_sock_add(const struct sock *sk,
				const struct recv_conn *conn,
				const struct toa_addr *client, int *err)
{
	struct recv_sock *rs;

	rs = kzalloc(sizeof(*rs), GFP_ATOMIC);
	if (!rs) {
		*err = -ENOMEM;
		return NULL;
	}
	rs->sk = sk;
	rs->conn = *conn;
	rs->client = *client;
	*err = rhashtable_lookup_insert_fast(&recv_sock_table, &rs->node,
					     recv_sock_params);
	if (*err) {
		kfree(rs);
		return NULL;
	}
	return rs;
}

void recv_sock_del(const struct sock *sk)
{
	struct recv_sock *rs;

	rcu_read_lock();
	rs = recv_sock_lookup(sk);
	if (rs && !rhashtable_remove_fast(&recv_sock_table, &rs->node,
					  recv_sock_params))
		kfree_rcu(rs, rcu);
	rcu_read_unlock();
}
