/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-socket state of the receiver: the client a trusted sender carried in
 * TOA for an accepted socket.
 *
 * An entry is created while TCP makes the child socket, before it is hashed
 * or queued for accept() (so before any program can see it), and removed
 * when TCP destroys the socket. The table is read lock-free (RCU).
 */
#ifndef RECV_SOCK_H
#define RECV_SOCK_H

#include <linux/llist.h>
#include <linux/rhashtable.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "../toa_opts.h"

/*
 * The connection an entry was made for: the sender's address and port as
 * the socket had them when TOA was read. A socket that tcp_disconnect()
 * and connect() take elsewhere no longer matches and shows its real peer.
 */
struct recv_conn {
	bool v6;			/* an IPv6 segment (else IPv4) */
	__be16 dport;
	struct in6_addr daddr;		/* IPv4: in the first word */
};

/* Is @sk still connected to the sender @c describes? */
static inline bool recv_conn_is(const struct recv_conn *c,
				const struct sock *sk)
{
	if (sk->sk_dport != c->dport)
		return false;
#if IS_ENABLED(CONFIG_IPV6)
	if (c->v6)
		return sk->sk_family == AF_INET6 &&
		       ipv6_addr_equal(&sk->sk_v6_daddr, &c->daddr);
#endif
	return !c->v6 && sk->sk_daddr == c->daddr.s6_addr32[0];
}

/*
 * client.family is 0 while the entry waits for a TOA on the client's first
 * data segments (the segment that made the child had none); it is set once,
 * with release semantics, after the rest of client: read it through
 * recv_sock_client().
 */
struct recv_sock {
	struct rhash_head node;
	const struct sock *sk;		/* key: the socket, while it lives */
	struct recv_conn conn;
	struct toa_addr client;		/* normalised (toa_client_of()) */
	/* under the socket's ownership: */
	bool waiting;			/* for a TOA on the client's segments */
	bool flag_ours;			/* we set PARSE_UNKNOWN_HDR_OPT_CB */
	/* its socket is gone; removed from the table by a work item */
	bool dead;
	struct llist_node reap;
	struct rcu_head rcu;
};

/* The client @rs carries for @sk, or NULL (none yet, or not this peer). */
static inline const struct toa_addr *
recv_sock_client(const struct recv_sock *rs, const struct sock *sk)
{
	/* pairs with the release in recv_sock_set_client() */
	if (!rs || !smp_load_acquire(&rs->client.family) ||
	    !recv_conn_is(&rs->conn, sk))
		return NULL;
	return &rs->client;
}

/* Publish the client of a waiting entry (socket owned by the caller). */
static inline void recv_sock_set_client(struct recv_sock *rs,
					const struct toa_addr *c)
{
	rs->client.port = c->port;
	rs->client.a = c->a;
	/* readers that see the family see the address: recv_sock_client() */
	smp_store_release(&rs->client.family, c->family);
}

int recv_sock_init(void);
/* After the hooks are gone: frees every entry. */
void recv_sock_exit(void);

unsigned long recv_sock_count(void);

/* Caller holds rcu_read_lock(). */
struct recv_sock *recv_sock_lookup(const struct sock *sk);

/*
 * In softirq, with @sk new and locked: the new entry, or NULL with *@err
 * -ENOMEM or -EEXIST. A @client of family 0 makes a waiting entry.
 */
struct recv_sock *recv_sock_add(const struct sock *sk,
				const struct recv_conn *conn,
				const struct toa_addr *client, int *err);
void recv_sock_del(const struct sock *sk);

#endif /* RECV_SOCK_H */
