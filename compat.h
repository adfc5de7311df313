/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference sdp_toa depends on, in one place.
 *
 * The .c files use the names defined here and read like code for the newest
 * kernel. Each block says which kernels it covers; RHEL kernels are detected
 * through RHEL_MAJOR/RHEL_MINOR (include/generated/uapi/linux/version.h).
 */
#ifndef SDP_TOA_COMPAT_H
#define SDP_TOA_COMPAT_H

#include <linux/version.h>
#include <linux/bpf.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/proc_fs.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <linux/netfilter.h>
#include <net/ipv6.h>

#ifndef RHEL_MAJOR
#define RHEL_MAJOR 0
#define RHEL_MINOR 0
#endif
#define COMPAT_IS_EL7	(RHEL_MAJOR == 7)

#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 4, 0) && !COMPAT_IS_EL7
#error "sdp_toa needs Linux 4.4 or newer, or the RHEL/CentOS 7 kernel"
#endif

#if !defined(CONFIG_DYNAMIC_FTRACE) || !defined(CONFIG_KRETPROBES)
#error "sdp_toa needs CONFIG_DYNAMIC_FTRACE and CONFIG_KRETPROBES"
#endif

/*
 * Entry callbacks read the hooked function's arguments: they need ftrace to
 * save registers (WITH_REGS; x86 since 3.7, arm64 5.5 - 6.1) or arguments
 * (WITH_ARGS; arm64 6.2+, x86 5.11+). arm64 before 5.5 has neither.
 */
#if !defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && \
	!defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#error "sdp_toa needs CONFIG_DYNAMIC_FTRACE_WITH_REGS or _WITH_ARGS (arm64: Linux 5.5 or newer)"
#endif

/*
 * regs_get_kernel_argument() is 4.20+ (x86_64, arm64). Older x86_64
 * kernels (el7's 3.10, 4.4 - 4.19) get it here; the rename keeps a vendor
 * backport of it from clashing with this one.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 20, 0) && defined(CONFIG_X86_64)
#define regs_get_kernel_argument compat_regs_get_kernel_argument
static inline unsigned long regs_get_kernel_argument(struct pt_regs *regs,
						     unsigned int n)
{
	switch (n) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->cx;
	case 4:
		return regs->r8;
	case 5:
		return regs->r9;
	default:
		return 0;	/* on the stack: no hook here takes more than 5 */
	}
}
#elif LINUX_VERSION_CODE < KERNEL_VERSION(4, 20, 0)
#error "sdp_toa supports x86_64 only before Linux 4.20"
#endif

/* ---- ftrace callbacks -------------------------------------------------- */

/* 5.11 passes struct ftrace_regs to callbacks instead of struct pt_regs. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
typedef struct ftrace_regs compat_ftrace_regs_t;
#else
typedef struct pt_regs compat_ftrace_regs_t;
#endif

/*
 * Reading the hooked function's arguments from an entry callback.
 * 6.2+ with DYNAMIC_FTRACE_WITH_ARGS (all arm64, x86): the argument
 * registers are always in ftrace_regs, and arm64 refuses SAVE_REGS.
 * x86 5.11 - 6.1 has WITH_ARGS too, without the accessor (below).
 * Older kernels: ask for the full pt_regs with SAVE_REGS.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#define COMPAT_FTRACE_ARGS_FLAGS	0
static __always_inline unsigned long
compat_ftrace_arg(compat_ftrace_regs_t *fregs, unsigned int n)
{
	return ftrace_regs_get_argument(fregs, n);
}
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0) && \
	defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS) && defined(CONFIG_X86_64)
/*
 * x86 5.11 - 6.1 with WITH_ARGS: ftrace_regs wraps a pt_regs in which the
 * trampoline always saves the argument registers (save_mcount_regs); only
 * the rest needs SAVE_REGS, whose trampoline costs more on every call.
 */
#define COMPAT_FTRACE_ARGS_FLAGS	0
static __always_inline unsigned long
compat_ftrace_arg(compat_ftrace_regs_t *fregs, unsigned int n)
{
	return regs_get_kernel_argument(&fregs->regs, n);
}
#else
#define COMPAT_FTRACE_ARGS_FLAGS	FTRACE_OPS_FL_SAVE_REGS
static __always_inline unsigned long
compat_ftrace_arg(compat_ftrace_regs_t *fregs, unsigned int n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	return regs_get_kernel_argument(ftrace_get_regs(fregs), n);
#else
	return regs_get_kernel_argument(fregs, n);
#endif
}
#endif

/*
 * FTRACE_OPS_FL_PERMANENT (5.5, el7 backport) keeps "sysctl
 * kernel.ftrace_enabled=0" from silently switching a hook off.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0) || COMPAT_IS_EL7
#define COMPAT_FTRACE_PERMANENT	FTRACE_OPS_FL_PERMANENT
#else
#define COMPAT_FTRACE_PERMANENT	0
#endif

/*
 * Recursion: the callbacks never call what they hook, so they need no
 * recursion guard (and must not be dropped by one: a reserved option left
 * unwritten would go out as garbage). Before 5.11 ftrace adds its guard
 * unless told RECURSION_SAFE; from 5.11 it adds one only when asked to.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define COMPAT_FTRACE_NO_GUARD	0
#else
#define COMPAT_FTRACE_NO_GUARD	FTRACE_OPS_FL_RECURSION_SAFE
#endif

/*
 * ftrace_free_filter() is exported from 6.2 (and some 6.1.y): before, a
 * reset with an empty pattern empties the filter (its small hash table
 * stays allocated until the module's ops go away: a few bytes per unload).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define ftrace_free_filter compat_ftrace_free_filter
static inline void ftrace_free_filter(struct ftrace_ops *ops)
{
	ftrace_set_filter(ops, NULL, 0, 1);
}
#endif

/* Wait until no task can still be running in an ftrace trampoline. */
static inline void compat_synchronize_tasks(void)
{
#if defined(CONFIG_TASKS_RCU) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(4, 19, 0)	/* el7 has no Tasks RCU */
	synchronize_rcu_tasks();
#else
	synchronize_rcu();
#endif
}

/*
 * A return hook without a kretprobe: an IPMODIFY ftrace callback sends the
 * call to a wrapper in the module, which calls the function itself through
 * a pointer. That needs a kernel whose functions may be called through a
 * pointer whether or not C ever took their address (no x86 IBT, which
 * seals the landing pads of such functions; no kCFI; no arm64 BTI), and
 * an ftrace that can move the instruction pointer (WITH_REGS; arm64 lost
 * it in 6.2, where the native path is used anyway). 4.0+: IPMODIFY (3.19),
 * within_module() (3.17); el7's 3.10 keeps the kretprobe.
 */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && \
	!defined(CONFIG_X86_KERNEL_IBT) && !defined(CONFIG_CFI_CLANG) && \
	!defined(CONFIG_ARM64_BTI_KERNEL) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(4, 0, 0)
#define COMPAT_FTRACE_CAN_WRAP	1
static __always_inline void compat_ftrace_set_ip(compat_ftrace_regs_t *fregs,
						 unsigned long ip)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	instruction_pointer_set(ftrace_get_regs(fregs), ip);
#else
	instruction_pointer_set(fregs, ip);
#endif
}
#else
#define COMPAT_FTRACE_CAN_WRAP	0
#endif

/* ---- kretprobes ---------------------------------------------------------- */

/* 5.11 hides kretprobe_instance::rp behind get_kretprobe(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define compat_get_kretprobe(ri)	get_kretprobe(ri)
#else
#define compat_get_kretprobe(ri)	((ri)->rp)
#endif

/* ---- TCP internals --------------------------------------------------------- */

/* A byte (or FIN) from the peer has arrived: bytes_received is 4.1+. */
static inline bool compat_peer_sent_data(const struct tcp_sock *tp)
{
	return READ_ONCE(tp->bytes_received) != 0;
}

/*
 * TCP's header-option room for BPF sock_ops programs (5.10+, with
 * CONFIG_CGROUP_BPF), which the native data path uses without a program.
 * TCP consults the programs only while the cgroup sock_ops static key is
 * on: one key for every cgroup BPF hook on 5.10 and 5.11, one key per
 * attach type from 5.12 (indexed by enum bpf_attach_type), by enum
 * cgroup_bpf_attach_type from 5.15 (and RHEL 9's 5.14).
 */
#if defined(CONFIG_CGROUP_BPF) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
#define COMPAT_HAVE_HDR_OPT	1
#include <linux/bpf-cgroup.h>
#include <linux/filter.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0) || RHEL_MAJOR >= 9
#define compat_sockops_key	(&cgroup_bpf_enabled_key[CGROUP_SOCK_OPS])
#define compat_sockops_atype	CGROUP_SOCK_OPS
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
#define compat_sockops_key	(&cgroup_bpf_enabled_key[BPF_CGROUP_SOCK_OPS])
#define compat_sockops_atype	BPF_CGROUP_SOCK_OPS
#else
#define compat_sockops_key	(&cgroup_bpf_enabled_key)
#define compat_sockops_atype	BPF_CGROUP_SOCK_OPS
#endif
#else
#define COMPAT_HAVE_HDR_OPT	0
#endif

/*
 * A BPF sock_ops program is in effect for the socket's cgroup: TCP runs it
 * (after our callback) at every sock_ops call of the socket, and its
 * verdict decides whether TCP keeps the header options of the call.
 */
static inline bool compat_sockops_prog(struct sock *sk)
{
#if COMPAT_HAVE_HDR_OPT
	const struct bpf_prog_array *progs;
	struct cgroup *cgrp;
	bool any;

	rcu_read_lock();
	cgrp = sock_cgroup_ptr(&sk->sk_cgrp_data);
	progs = rcu_dereference(cgrp->bpf.effective[compat_sockops_atype]);
	any = progs && progs->items[0].prog;
	rcu_read_unlock();
	return any;
#else
	return false;
#endif
}

/*
 * BPF header options (5.10+) claim the tail of the option area, where the
 * kprobe path puts TOA: a socket whose header-option programs may write
 * gets no TOA there. They may only where the flag is set and a sock_ops
 * program is in effect for the socket's cgroup (TCP runs none otherwise).
 * A flag alone, left by the native path of an earlier load of ours or by a
 * program since detached, takes nothing.
 */
static inline bool compat_tail_taken(struct sock *sk)
{
#if COMPAT_HAVE_HDR_OPT
	return BPF_SOCK_OPS_TEST_FLAG(tcp_sk(sk),
				      BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG) &&
	       static_key_enabled(compat_sockops_key) &&
	       compat_sockops_prog(sk);
#else
	return false;
#endif
}

/*
 * The receiver (recv/): getpeername() and accept() hand every address they
 * return to the cgroup sock_addr hook (5.8+) while its static key is on; an
 * entry callback there rewrites it. The keys and attach types are named as
 * for sock_ops above. 6.3 added the address length as third argument.
 */
#if defined(CONFIG_CGROUP_BPF) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
#define COMPAT_HAVE_SA_PEER	1
#include <linux/bpf-cgroup.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0) || RHEL_MAJOR >= 9
#define compat_sa_peer4		CGROUP_INET4_GETPEERNAME
#define compat_sa_peer6		CGROUP_INET6_GETPEERNAME
#define compat_sa_key(atype)	(&cgroup_bpf_enabled_key[atype])
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
#define compat_sa_peer4		BPF_CGROUP_INET4_GETPEERNAME
#define compat_sa_peer6		BPF_CGROUP_INET6_GETPEERNAME
#define compat_sa_key(atype)	(&cgroup_bpf_enabled_key[atype])
#else
#define compat_sa_peer4		BPF_CGROUP_INET4_GETPEERNAME
#define compat_sa_peer6		BPF_CGROUP_INET6_GETPEERNAME
#define compat_sa_key(atype)	(&cgroup_bpf_enabled_key)
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define COMPAT_SA_ATYPE_ARG	3
#else
#define COMPAT_SA_ATYPE_ARG	2
#endif
#else
#define COMPAT_HAVE_SA_PEER	0
#endif

/* Does this connection run over IPv6 (not IPv4, nor IPv4-mapped)? */
static inline bool compat_conn_v6(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	return sk->sk_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_daddr);
#else
	return false;
#endif
}

/* ---- socket options ------------------------------------------------------- */

/* 5.9 passes setsockopt values to nf_sockopt_ops.set as sockptr_t. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 9, 0)
typedef sockptr_t compat_sockopt_arg_t;
static inline int compat_copy_sockopt(void *dst, compat_sockopt_arg_t src,
				      unsigned int len)
{
	return copy_from_sockptr(dst, src, len);
}
#else
typedef void __user *compat_sockopt_arg_t;
static inline int compat_copy_sockopt(void *dst, compat_sockopt_arg_t src,
				      unsigned int len)
{
	return copy_from_user(dst, src, len) ? -EFAULT : 0;
}
#endif

/*
 * May this context take a bucket lock of our rhashtables? It disables BH,
 * which PREEMPT_RT forbids with preemption off (another task of this CPU
 * may be inside a BH section), and ftrace runs callbacks with preemption
 * off when several users hook one function (its list function: sdp_toa
 * and sdp_toa_recv both hook tcp_v4_destroy_sock). Elsewhere: always.
 */
static inline bool compat_may_lock_table(void)
{
	return !IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible();
}

/* ---- /proc ----------------------------------------------------------------- */

/* proc_create_single() is 4.18+: older kernels get it built on proc_create_data(). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 18, 0)
#include <linux/seq_file.h>
static int __maybe_unused compat_single_open(struct inode *inode,
					     struct file *file)
{
	return single_open(file, PDE_DATA(inode), NULL);
}

static const struct file_operations compat_single_fops __maybe_unused = {
	.owner		= THIS_MODULE,
	.open		= compat_single_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};

#define proc_create_single(name, mode, parent, show)			\
	proc_create_data(name, mode, parent, &compat_single_fops, show)
#endif

/*
 * A /proc file of single_open() whose open is our own (to check the
 * caller): struct proc_ops from 5.6, a file_operations before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
#define COMPAT_PROC_SINGLE_OPS(name, open_fn)				\
	static const struct proc_ops name = {				\
		.proc_open	= open_fn,				\
		.proc_read	= seq_read,				\
		.proc_lseek	= seq_lseek,				\
		.proc_release	= single_release,			\
	}
#else
#define COMPAT_PROC_SINGLE_OPS(name, open_fn)				\
	static const struct file_operations name = {			\
		.owner		= THIS_MODULE,				\
		.open		= open_fn,				\
		.read		= seq_read,				\
		.llseek		= seq_lseek,				\
		.release	= single_release,			\
	}
#endif

#endif /* SDP_TOA_COMPAT_H */
