// SPDX-License-Identifier: GPL-2.0
/*
 * Sdp_toa_recv - the backend's end: getpeername() of an accepted TCP socket
 * returns the client that a trusted load balancer carried in TOA.
 *
 * The module's face: parameters, init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/gfp.h>
#include <linux/string.h>

#include "recv_cfg.h"
#include "recv_hooks.h"
#include "recv_sock.h"
#include "recv_sockopt.h"
#include "recv_stats.h"

#ifndef SDP_TOA_VERSION
#define SDP_TOA_VERSION "unknown"
#endif

module_param_cb(trusted, &recv_trusted_ops, NULL, 0644);
MODULE_PARM_DESC(trusted,
		 "senders (load balancers) whose TOA is believed: CIDRs, comma-separated, IPv4 and IPv6; none (default: every TOA is ignored) or any");
module_param_cb(kinds, &recv_kinds_ops, NULL, 0644);
MODULE_PARM_DESC(kinds,
		 "TCP option kinds taken as TOA, in both lengths (8: IPv4, 20: IPv6), comma-separated (default 254; 200 for the Tencent form, 253 for LVS IPv6)");

/* One line at load: what the receiver believes. */
static void recv_announce(void)
{
	char *buf = (char *)__get_free_page(GFP_KERNEL);
	int n;

	if (!buf)
		return;
	n = recv_trusted_ops.get(buf, NULL);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	pr_info("sdp_toa_recv %s loaded: trusted=%s\n", SDP_TOA_VERSION, buf);
	if (!strcmp(buf, "none"))
		pr_warn("no trusted senders (trusted=none): every TOA is ignored until trusted= names the load balancers\n");
	free_page((unsigned long)buf);
}

static int __init sdp_toa_recv_init(void)
{
	int err;

	err = recv_sock_init();
	if (err)
		goto err_sock;
	err = recv_stats_init();
	if (err)
		goto err_stats;
	err = recv_hooks_init();
	if (err)
		goto err_hooks;
	err = recv_sockopt_init();
	if (err)
		goto err_sockopt;
	recv_announce();
	return 0;

err_sockopt:
	recv_hooks_exit();
err_hooks:
	recv_stats_exit();
err_stats:
	recv_sock_exit();
err_sock:
	recv_cfg_exit();
	return err;
}

static void __exit sdp_toa_recv_exit(void)
{
	recv_sockopt_exit();
	recv_hooks_exit();
	recv_stats_exit();
	recv_sock_exit();
	recv_cfg_exit();
	pr_info("sdp_toa_recv unloaded\n");
}

module_init(sdp_toa_recv_init);
module_exit(sdp_toa_recv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TOA receiver: getpeername() returns the client a trusted load balancer carried in a TCP option");
MODULE_VERSION(SDP_TOA_VERSION);
