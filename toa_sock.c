// SPDX-License-Identifier: GPL-2.0
/*
 * The table of tagged sockets.
 *
 * Keyed by the socket's address. An entry is removed when its socket is
 * destroyed (tcp_v4_destroy_sock, which TCP runs for IPv4 and IPv6 sockets
 * however they end), before the socket's memory can be reused, so a new
 * socket at the same address never finds a stale tag. Where the caller may
 * not take the table's lock (compat_may_lock_table(): TCP's destroy hook
 * on PREEMPT_RT when ftrace shares the function), the entry is marked dead
 * instead, which no lookup returns and a new tag of the socket replaces,
 * and a work item removes it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "toa_sock.h"
#include "toa_stats.h"

static const struct rhashtable_params toa_sock_params = {
	.key_len		= sizeof(const struct sock *),
	.key_offset		= offsetof(struct toa_sock, sk),
	.head_offset		= offsetof(struct toa_sock, node),
	.automatic_shrinking	= true,
};

static struct rhashtable toa_sock_table;

static LLIST_HEAD(toa_sock_dead);

static void toa_sock_reap(struct work_struct *work)
{
	struct llist_node *dead = llist_del_all(&toa_sock_dead);
	struct toa_sock *ts, *next;

	/* -ENOENT: a new tag of the socket took its place already */
	llist_for_each_entry_safe(ts, next, dead, reap) {
		rhashtable_remove_fast(&toa_sock_table, &ts->node,
				       toa_sock_params);
		kfree_rcu(ts, rcu);
	}
}

static DECLARE_WORK(toa_sock_reap_work, toa_sock_reap);

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
	/* the hooks and socket options are gone: no entry dies any more */
	flush_work(&toa_sock_reap_work);
	toa_sock_reap(NULL);
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
	struct toa_sock *ts;

	/* The common case on a load balancer's packet path: nothing tagged. */
	if (!atomic_read(&toa_sock_table.nelems))
		return NULL;
	ts = rhashtable_lookup(&toa_sock_table, &sk, toa_sock_params);
	return ts && !READ_ONCE(ts->dead) ? ts : NULL;
}

/*
 * Insert @ts, taking the place of a dead entry of the same socket (one the
 * reaper may be removing meanwhile: then try again).
 */
static int toa_sock_insert(struct toa_sock *ts)
{
	struct toa_sock *old;
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		err = rhashtable_lookup_insert_fast(&toa_sock_table, &ts->node,
						    toa_sock_params);
		if (err != -EEXIST)
			return err;
		rcu_read_lock();
		old = rhashtable_lookup(&toa_sock_table, &ts->sk,
					toa_sock_params);
		if (old && !READ_ONCE(old->dead)) {
			rcu_read_unlock();
			return -EEXIST;
		}
		/* the reaper frees it (and finds it gone: -ENOENT) */
		if (old)
			rhashtable_remove_fast(&toa_sock_table, &old->node,
					       toa_sock_params);
		rcu_read_unlock();
	}
	return -EEXIST;
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
	err = toa_sock_insert(ts);
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
	if (!ts) {
		rcu_read_unlock();
		return false;
	}
	if (!compat_may_lock_table()) {
		WRITE_ONCE(ts->dead, true);
		llist_add(&ts->reap, &toa_sock_dead);
		schedule_work(&toa_sock_reap_work);
		found = true;
	} else if (!rhashtable_remove_fast(&toa_sock_table, &ts->node,
					   toa_sock_params)) {
		kfree_rcu(ts, rcu);
		found = true;
	}
	/* a native reservation no write followed (toa_native.c) */
	if (found && ts->reserved)
		toa_stat_inc(TOA_STAT_PKTS_PROG_DENIED);
	rcu_read_unlock();
	return found;
}
