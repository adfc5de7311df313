/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two data paths share, and what toa_hooks.c calls in each.
 *
 *   native (toa_native.c)  TCP's own header-option room for BPF sock_ops
 *                          programs (5.10+, CONFIG_CGROUP_BPF), reserved and
 *                          written from ftrace entry callbacks;
 *   kprobe (toa_kprobe.c)  a return hook on tcp_established_options() (an
 *                          ftrace wrapper, or a kretprobe where the kernel
 *                          allows no wrapper) and ftrace entry hooks:
 *                          kernels without that room.
 */
#ifndef TOA_PATH_H
#define TOA_PATH_H

#include <linux/skbuff.h>
#include <net/sock.h>

/* Does the segment @skb (NULL: tcp_current_mss() sizing) want TOA? */
bool toa_segment_wanted(struct sock *sk, const struct sk_buff *skb);
/* A TOA of @len bytes went into a segment. */
void toa_count_sent(unsigned int len);
/* tcp_v4_destroy_sock(sk) entry, in both paths: no tag outlives its socket. */
void toa_destroy(const unsigned long *args);
/*
 * tcp_disconnect(sk, flags) and inet_csk_listen_start(sk) entry, in both
 * paths: a socket that disconnects is a new connection, not the client's
 * (a later connect() must not send the old client), and a listener's tag
 * would be nobody's. Both run under the socket lock.
 */
void toa_forget(const unsigned long *args);
#define TOA_HOOK_DISCONNECT_DEF \
	FTRACE_HOOK_ENTRY_DEF("tcp_disconnect", 1, toa_forget, true, true)
#define TOA_HOOK_LISTEN_DEF \
	FTRACE_HOOK_ENTRY_DEF("inet_csk_listen_start", 1, toa_forget, true, true)

/* Sets toa_cfg.return_hook to the hook in use. */
int toa_kprobe_init(void);
void toa_kprobe_exit(void);
unsigned long toa_kprobe_missed(void);

/* -EOPNOTSUPP where the kernel has no header-option room for us. */
int toa_native_init(void);
void toa_native_exit(void);
/* Under the socket lock, after @sk was tagged / its tag removed. */
void toa_native_tagged(struct sock *sk);
void toa_native_cleared(struct sock *sk);
void toa_native_forgot(struct sock *sk, bool flag_ours);

#endif /* TOA_PATH_H */
