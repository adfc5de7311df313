// SPDX-License-Identifier: GPL-2.0
/*
 * Sdp_toa - carry a proxy's client address to the backend in a TCP option.
 *
 * The module's face: parameters, init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "toa_config.h"
#include "toa_hooks.h"
#include "toa_opts.h"
#include "toa_sock.h"
#include "toa_sockopt.h"
#include "toa_stats.h"
#include "toa_view.h"

#ifndef SDP_TOA_VERSION
#define SDP_TOA_VERSION "unknown"
#endif

struct toa_config toa_cfg = {
	.kind		= TOA_DEFAULT_KIND,
	.kind6		= TOA_DEFAULT_KIND6,
	.inject		= TOA_INJECT_HANDSHAKE,
	.allowed_gid	= -1,
};

static int toa_param_set_kind(const char *val, const struct kernel_param *kp)
{
	int kind;

	if (kstrtoint(val, 0, &kind) || toa_kind_reserved(kind))
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, kind);
	return 0;
}

static const struct kernel_param_ops toa_kind_ops = {
	.set = toa_param_set_kind,
	.get = param_get_int,
};

module_param_cb(kind, &toa_kind_ops, &toa_cfg.kind, 0644);
MODULE_PARM_DESC(kind,
		 "TCP option kind of the 8-byte (IPv4) form (default 254; 200 for Tencent receivers; 0-8, 19, 28-30, 34 refused)");
module_param_cb(kind6, &toa_kind_ops, &toa_cfg.kind6, 0644);
MODULE_PARM_DESC(kind6,
		 "TCP option kind of the 20-byte (IPv6) form (default 254 as DPVS; 253 for LVS-style receivers)");

/* The index of @val in @names[0..@n), or -EINVAL. */
static int toa_param_pick(const char *val, const char * const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (sysfs_streq(val, names[i]))
			return i;
	return -EINVAL;
}

static const char * const toa_inject_names[] = {
	[TOA_INJECT_HANDSHAKE]	= "handshake",
	[TOA_INJECT_ALWAYS]	= "always",
};

static int toa_param_set_inject(const char *val, const struct kernel_param *kp)
{
	int i = toa_param_pick(val, toa_inject_names,
			       ARRAY_SIZE(toa_inject_names));

	if (i < 0)
		return i;
	WRITE_ONCE(toa_cfg.inject, i);
	return 0;
}

static int toa_param_get_inject(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 toa_inject_names[READ_ONCE(toa_cfg.inject)]);
}

static const struct kernel_param_ops toa_inject_ops = {
	.set = toa_param_set_inject,
	.get = toa_param_get_inject,
};

module_param_cb(inject, &toa_inject_ops, NULL, 0644);
MODULE_PARM_DESC(inject,
		 "handshake (default): handshake ACK and client segments until the backend's first byte; always: every non-SYN, non-RST segment");

static int toa_param_set_gid(const char *val, const struct kernel_param *kp)
{
	int gid;

	if (kstrtoint(val, 0, &gid) || gid < -1)
		return -EINVAL;
	WRITE_ONCE(toa_cfg.allowed_gid, gid);
	return 0;
}

static const struct kernel_param_ops toa_gid_ops = {
	.set = toa_param_set_gid,
	.get = param_get_int,
};

module_param_cb(allowed_gid, &toa_gid_ops, &toa_cfg.allowed_gid, 0644);
MODULE_PARM_DESC(allowed_gid,
		 "group (initial user namespace) whose members may tag sockets without CAP_NET_ADMIN (default -1: none)");

static const char * const toa_datapath_names[] = {
	[TOA_DATAPATH_AUTO]	= "auto",
	[TOA_DATAPATH_NATIVE]	= "native",
	[TOA_DATAPATH_KPROBE]	= "kprobe",
};

static int toa_param_set_datapath(const char *val,
				  const struct kernel_param *kp)
{
	int i = toa_param_pick(val, toa_datapath_names,
			       ARRAY_SIZE(toa_datapath_names));

	if (i < 0)
		return i;
	toa_cfg.datapath = i;
	return 0;
}

static int toa_param_get_datapath(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 toa_datapath_names[READ_ONCE(toa_cfg.datapath)]);
}

static const struct kernel_param_ops toa_datapath_ops = {
	.set = toa_param_set_datapath,
	.get = toa_param_get_datapath,
};

module_param_cb(datapath, &toa_datapath_ops, NULL, 0444);
MODULE_PARM_DESC(datapath,
		 "auto (default): native where the kernel has TCP's header-option room (5.10+, CONFIG_CGROUP_BPF), else kprobe; native or kprobe: that one or fail; reads as the path in use");

static const char *toa_datapath_name(void)
{
	return toa_datapath_names[READ_ONCE(toa_cfg.datapath)];
}

static const char * const toa_return_hook_names[] = {
	[TOA_RETHOOK_AUTO]	= "auto",
	[TOA_RETHOOK_WRAPPER]	= "wrapper",
	[TOA_RETHOOK_KRETPROBE]	= "kretprobe",
	[TOA_RETHOOK_NONE]	= "none",
};

static int toa_param_set_return_hook(const char *val,
				     const struct kernel_param *kp)
{
	/* "none" is what the native path reads as, not a choice */
	int i = toa_param_pick(val, toa_return_hook_names, TOA_RETHOOK_NONE);

	if (i < 0)
		return i;
	toa_cfg.return_hook = i;
	return 0;
}

static const char *toa_return_hook_name(void)
{
	return toa_return_hook_names[READ_ONCE(toa_cfg.return_hook)];
}

static int toa_param_get_return_hook(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", toa_return_hook_name());
}

static const struct kernel_param_ops toa_return_hook_ops = {
	.set = toa_param_set_return_hook,
	.get = toa_param_get_return_hook,
};

module_param_cb(return_hook, &toa_return_hook_ops, NULL, 0444);
MODULE_PARM_DESC(return_hook,
		 "kprobe path: auto (default): an ftrace wrapper, which never skips a call, where the kernel allows one (no x86 IBT, kCFI or arm64 BTI), else a kretprobe; wrapper or kretprobe: that one or fail; reads as the hook in use (none on the native path)");

static const struct toa_stats_source toa_stats_src = {
	.sockets_live	= toa_sock_count,
	.hook_missed	= toa_hooks_missed,
	.datapath	= toa_datapath_name,
	.return_hook	= toa_return_hook_name,
};

static int __init sdp_toa_init(void)
{
	int err;

	err = toa_sock_init();
	if (err)
		goto err_sock;
	err = toa_stats_init(&toa_stats_src);
	if (err)
		goto err_stats;
	err = toa_view_init();
	if (err)
		goto err_view;
	err = toa_hooks_init();
	if (err)
		goto err_hooks;
	err = toa_sockopt_init();
	if (err)
		goto err_sockopt;

	pr_info("sdp_toa %s loaded: kind=%d kind6=%d inject=%s datapath=%s return_hook=%s\n",
		SDP_TOA_VERSION, toa_cfg.kind, toa_cfg.kind6,
		toa_inject_names[toa_cfg.inject],
		toa_datapath_names[toa_cfg.datapath],
		toa_return_hook_names[toa_cfg.return_hook]);
	return 0;

err_sockopt:
	toa_hooks_exit();
err_hooks:
	toa_view_exit();
err_view:
	toa_stats_exit();
err_stats:
	toa_sock_exit();
err_sock:
	return err;
}

static void __exit sdp_toa_exit(void)
{
	toa_sockopt_exit();
	toa_hooks_exit();
	toa_view_exit();
	toa_stats_exit();
	toa_sock_exit();
	pr_info("sdp_toa unloaded\n");
}

module_init(sdp_toa_init);
module_exit(sdp_toa_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Client address in a TCP option (TOA) for proxies and load balancers");
MODULE_VERSION(SDP_TOA_VERSION);
