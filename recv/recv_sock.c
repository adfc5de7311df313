// SPDX-License-Identifier: GPL-2.0
/*
 * The table of accepted sockets that carry a client address.
 *
 * Keyed by the socket's address. An entry goes when its socket is destroyed
 * (tcp_v4_destroy_sock, for IPv4 and IPv6 sockets however they end), before
 * the memory can be reused, so a new socket at the same address never finds
 * a stale client. Where the destroy hook may not take the table's lock
 * (compat_may_lock_table()), the entry is marked dead instead, which no
 * lookup returns and a new socket at the address replaces, and a work
 * item removes it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../compat.h"
#include "recv_sock.h"

static const struct rhashtable_params recv_sock_params = {
	.key_len		= sizeof(const struct sock *),
	.key_offset		= offsetof(struct recv_sock, sk),
	.head_offset		= offsetof(struct recv_sock, node),
	.automatic_shrinking	= true,
};

static struct rhashtable recv_sock_table;

static LLIST_HEAD(recv_sock_dead);

static void recv_sock_reap(struct work_struct *work)
{
	struct llist_node *dead = llist_del_all(&recv_sock_dead);
	struct recv_sock *rs, *next;

	/* -ENOENT: a new socket at the address replaced it already */
	llist_for_each_entry_safe(rs, next, dead, reap) {
		rhashtable_remove_fast(&recv_sock_table, &rs->node,
				       recv_sock_params);
		kfree_rcu(rs, rcu);
	}
}

static DECLARE_WORK(recv_sock_reap_work, recv_sock_reap);

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
	/* the hooks are gone: no entry dies any more */
	flush_work(&recv_sock_reap_work);
	recv_sock_reap(NULL);
	rhashtable_free_and_destroy(&recv_sock_table, recv_sock_free, NULL);
}

unsigned long recv_sock_count(void)
{
	return atomic_read(&recv_sock_table.nelems);
}

struct recv_sock *recv_sock_lookup(const struct sock *sk)
{
	struct recv_sock *rs;

	/* sockets without TOA, the common case on most backends */
	if (!atomic_read(&recv_sock_table.nelems))
		return NULL;
	rs = rhashtable_lookup(&recv_sock_table, &sk, recv_sock_params);
	return rs && !READ_ONCE(rs->dead) ? rs : NULL;
}

/*
 * Insert @rs, taking the place of a dead entry of the same socket (one the
 * reaper may be removing meanwhile: then try again).
 */
static int recv_sock_insert(struct recv_sock *rs)
{
	struct recv_sock *old;
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		err = rhashtable_lookup_insert_fast(&recv_sock_table, &rs->node,
						    recv_sock_params);
		if (err != -EEXIST)
			return err;
		rcu_read_lock();
		old = rhashtable_lookup(&recv_sock_table, &rs->sk,
					recv_sock_params);
		if (old && !READ_ONCE(old->dead)) {
			rcu_read_unlock();
			return -EEXIST;
		}
		/* the reaper frees it (and finds it gone: -ENOENT) */
		if (old)
			rhashtable_remove_fast(&recv_sock_table, &old->node,
					       recv_sock_params);
		rcu_read_unlock();
	}
	return -EEXIST;
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
	*err = recv_sock_insert(rs);
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
	if (!rs) {
		rcu_read_unlock();
		return;
	}
	if (compat_may_lock_table()) {
		if (!rhashtable_remove_fast(&recv_sock_table, &rs->node,
					    recv_sock_params))
			kfree_rcu(rs, rcu);
	} else {
		WRITE_ONCE(rs->dead, true);
		llist_add(&rs->reap, &recv_sock_dead);
		schedule_work(&recv_sock_reap_work);
	}
	rcu_read_unlock();
}
