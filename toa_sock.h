/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-socket TOA state: which sockets are tagged, with what.
 *
 * Entries are created, changed and removed only under the socket's own lock
 * (lock_sock() in setsockopt, the socket lock TCP holds while it transmits
 * and destroys), so the fields of an entry need no lock of their own. The
 * table is read lock-free (RCU) by the packet path.
 */
#ifndef TOA_SOCK_H
#define TOA_SOCK_H

#include <linux/llist.h>
#include <linux/rhashtable.h>
#include <net/sock.h>

#include "toa_opts.h"

struct toa_sock {
	struct rhash_head node;
	const struct sock *sk;		/* key: the socket, while it lives */
	struct toa_addr client;
	/*
	 * Option bytes (TCP's and TOA's) the last sizing of segments,
	 * tcp_current_mss(), made room for: a segment with payload never
	 * gets more (see toa_reserve_post()).
	 */
	u8 sized;
	/*
	 * A sizing began that the return hook did not see (see toa_sizing()):
	 * until the next one is seen, segments with payload go without TOA.
	 */
	bool sizing_unseen;
	/*
	 * Native path: the TOA bytes the last sizing reserved (a segment with
	 * payload never gets more), and the segment whose room now holds a
	 * reservation of ours, to be written (see toa_native.c).
	 */
	u8 room;
	const struct sk_buff *reserved;
	/* Native path: we set the socket's header-option flag ourselves. */
	bool flag_ours;
	/* Segments the TOA went out on (the view, sdp-toa sockets). */
	u32 segs;
	/* its tag or socket is gone; removed from the table by a work item */
	bool dead;
	struct llist_node reap;
	struct rcu_head rcu;
};

int toa_sock_init(void);
/* After the hooks are gone: frees every entry. */
void toa_sock_exit(void);

/* Tagged sockets alive now. */
unsigned long toa_sock_count(void);

/* rhashtable_walk_enter() on the table, for the view (toa_view.c). */
void toa_sock_walk_enter(struct rhashtable_iter *it);

/*
 * The entry of @sk, or NULL. Caller holds rcu_read_lock(); the entry stays
 * valid for as long as the caller holds the socket lock.
 */
struct toa_sock *toa_sock_lookup(const struct sock *sk);

/* Under lock_sock(): tag (or re-tag) @sk; returns 1 if newly tagged. */
int toa_sock_set(struct sock *sk, const struct toa_addr *client);
/*
 * Under the socket lock (setsockopt, or TCP destroying the socket): remove
 * the tag; returns true if there was one.
 */
bool toa_sock_clear(const struct sock *sk);

#endif /* TOA_SOCK_H */
