/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where sdp_toa meets TCP's transmit path: the data path chosen at load
 * (module parameter datapath), see toa_path.h.
 */
#ifndef TOA_HOOKS_H
#define TOA_HOOKS_H

#include <net/sock.h>

enum toa_datapath {
	TOA_DATAPATH_AUTO,	/* native where the kernel has it, else kprobe */
	TOA_DATAPATH_NATIVE,
	TOA_DATAPATH_KPROBE,
};

/* The kprobe path's return hook on tcp_established_options() (return_hook). */
enum toa_return_hook {
	TOA_RETHOOK_AUTO,	/* the wrapper where it can be had, else kretprobe */
	TOA_RETHOOK_WRAPPER,	/* an ftrace wrapper: never skips a call */
	TOA_RETHOOK_KRETPROBE,	/* a kretprobe: skips nested calls */
	TOA_RETHOOK_NONE,	/* in use: the native path has none */
};

/*
 * Installs the path toa_cfg.datapath (and return_hook) ask for, then sets
 * both to the ones used.
 */
int toa_hooks_init(void);
/* Removes the hooks and waits until no segment is between them. */
void toa_hooks_exit(void);
unsigned long toa_hooks_missed(void);

/* Under the socket lock, after @sk was tagged (or re-tagged) / cleared. */
void toa_hooks_tagged(struct sock *sk);
void toa_hooks_cleared(struct sock *sk);

#endif /* TOA_HOOKS_H */
