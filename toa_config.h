/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module parameters, as the rest of sdp_toa reads them.
 *
 * Written through /sys/module/sdp_toa/parameters at any time (validated in
 * main.c); readers use READ_ONCE() and see the new value on the next segment.
 * datapath and return_hook are the exception: read-only, chosen at load.
 */
#ifndef TOA_CONFIG_H
#define TOA_CONFIG_H

#include <linux/cred.h>

struct toa_config {
	int kind;		/* option kind of the 8-byte form */
	int kind6;		/* option kind of the 20-byte form */
	int inject;		/* enum toa_inject */
	int allowed_gid;	/* group that may tag without CAP_NET_ADMIN, -1 none */
	int datapath;		/* enum toa_datapath: asked for, then in use */
	int return_hook;	/* enum toa_return_hook: asked for, then in use */
};

extern struct toa_config toa_cfg;

/* The caller is a member of allowed_gid (in the initial user namespace). */
static inline bool toa_cfg_gid_member(void)
{
	int gid = READ_ONCE(toa_cfg.allowed_gid);

	return gid >= 0 && in_group_p(make_kgid(&init_user_ns, gid));
}

#endif /* TOA_CONFIG_H */
