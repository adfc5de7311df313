// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/sdp_toa_sockets: one line per tagged socket, for sdp-toa(8).
 *
 *   local=ADDR:PORT remote=ADDR:PORT client=ADDR:PORT kind=K state=S segs=N
 *
 * state: unconnected (no handshake yet), handshake (SYN sent, waiting for
 * the backend), carrying (TOA goes on its segments), stopped (inject=
 * handshake and the backend has sent data), always (inject=always), closing
 * (FIN sent or received). segs: segments the TOA went out on.
 *
 * Read-only, for CAP_NET_ADMIN and members of allowed_gid (the group that
 * may tag): the file is 0444 and open() checks the caller, so that a
 * change of allowed_gid holds at once. The table is walked under RCU; the socket
 * fields are read without its lock (a line may mix two moments of a socket
 * that changes meanwhile: it is a view, not a snapshot). The cost is one
 * pass over the table per read, bounded by the number of tagged sockets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "compat.h"
#include "toa_config.h"
#include "toa_opts.h"
#include "toa_sock.h"
#include "toa_view.h"

#define TOA_VIEW_NAME	"sdp_toa_sockets"

static void toa_view_addr(struct seq_file *m, const char *what, bool v6,
			  const void *addr, __be16 port)
{
	if (v6)
		seq_printf(m, "%s=[%pI6c]:%u", what, addr, ntohs(port));
	else
		seq_printf(m, "%s=%pI4:%u", what, addr, ntohs(port));
}

static const char *toa_view_state(const struct sock *sk)
{
	int state = READ_ONCE(sk->sk_state);

	if (state == TCP_CLOSE)
		return "unconnected";
	if (state == TCP_SYN_SENT)
		return "handshake";
	if (state != TCP_ESTABLISHED)
		return "closing";
	if (READ_ONCE(toa_cfg.inject) == TOA_INJECT_ALWAYS)
		return "always";
	return compat_peer_sent_data(tcp_sk(sk)) ? "stopped" : "carrying";
}

/* local= and remote= of @sk's connection */
static void toa_view_conn(struct seq_file *m, const struct sock *sk, bool v6)
{
	const struct inet_sock *inet = inet_sk(sk);

#if IS_ENABLED(CONFIG_IPV6)
	if (v6) {
		toa_view_addr(m, "local", true, &sk->sk_v6_rcv_saddr,
			      inet->inet_sport);
		seq_putc(m, ' ');
		toa_view_addr(m, "remote", true, &sk->sk_v6_daddr,
			      inet->inet_dport);
		return;
	}
#endif
	toa_view_addr(m, "local", false, &inet->inet_saddr, inet->inet_sport);
	seq_putc(m, ' ');
	toa_view_addr(m, "remote", false, &inet->inet_daddr, inet->inet_dport);
}

static void toa_view_one(struct seq_file *m, const struct toa_sock *ts)
{
	const struct sock *sk = ts->sk;
	bool v6 = compat_conn_v6(sk);
	struct toa_addr c = ts->client;
	unsigned int len;

	toa_view_conn(m, sk, v6);
	seq_putc(m, ' ');
	if (c.family == TOA_AF_INET6)
		toa_view_addr(m, "client", true, c.a.v6, c.port);
	else
		toa_view_addr(m, "client", false, &c.a.v4, c.port);
	len = toa_opt_len(&c, v6);
	seq_printf(m, " kind=%d state=%s segs=%u\n",
		   len == TOA_OPT_LEN_V4 ? READ_ONCE(toa_cfg.kind) :
					   READ_ONCE(toa_cfg.kind6),
		   toa_view_state(sk), READ_ONCE(ts->segs));
}

static int toa_view_show(struct seq_file *m, void *v)
{
	struct rhashtable_iter it;
	struct toa_sock *ts;

	toa_sock_walk_enter(&it);
	rhashtable_walk_start(&it);
	while ((ts = rhashtable_walk_next(&it))) {
		if (IS_ERR(ts)) {
			if (PTR_ERR(ts) == -EAGAIN)	/* resized: go on */
				continue;
			break;
		}
		if (!READ_ONCE(ts->dead))	/* its socket is gone */
			toa_view_one(m, ts);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	return 0;
}

static int toa_view_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_NET_ADMIN) && !toa_cfg_gid_member())
		return -EACCES;
	return single_open(file, toa_view_show, NULL);
}

COMPAT_PROC_SINGLE_OPS(toa_view_ops, toa_view_open);

int toa_view_init(void)
{
	if (!proc_create(TOA_VIEW_NAME, 0444, init_net.proc_net,
			 &toa_view_ops)) {
		pr_err("cannot create /proc/net/%s\n", TOA_VIEW_NAME);
		return -ENOMEM;
	}
	return 0;
}

void toa_view_exit(void)
{
	remove_proc_entry(TOA_VIEW_NAME, init_net.proc_net);
}
