/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two data paths share, and what toa_hooks.c calls in each.
 *
 *   native (toa_native.c)  TCP's own header-option room for BPF sock_ops
 *                          programs (5.10+, CONFIG_CGROUP_BPF), reserved and
 *                          written from ftrace entry callbacks;
 *   kprobe (toa_kprobe.c)  a kretprobe on tcp_established_options() and
 *                          ftrace entry hooks: kernels without that room.
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

int toa_kprobe_init(void);
void toa_kprobe_exit(void);
unsigned long toa_kprobe_missed(void);

/* -EOPNOTSUPP where the kernel has no header-option room for us. */
int toa_native_init(void);
void toa_native_exit(void);
/* Under the socket lock, after @sk was tagged / its tag removed. */
void toa_native_tagged(struct sock *sk);
void toa_native_cleared(struct sock *sk);

#endif /* TOA_PATH_H */
