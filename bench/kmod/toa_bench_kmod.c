// SPDX-License-Identifier: GPL-2.0
/*
 * toa_bench_kmod - times tcp_established_options(sk, NULL, ...) called
 * directly, in a loop, on a socket of the calling process; for "make bench"
 * only (never for a production kernel).
 *
 * /proc/toa_bench_kmod: write "FD LOOPS [FUNC]", then read the nanoseconds
 * the LOOPS calls took. FUNC 0 (default): tcp_established_options(sk, NULL,
 * ...) as tcp_current_mss() calls it; FUNC 1: tcp_options_write(th, tp,
 * opts) with no option to write (zeroed opts, a scratch header). The calls
 * run under lock_sock(); whatever hooks the function (sdp_toa's kretprobe,
 * its ftrace callback) runs on each call. Both symbols are static: their
 * addresses come
 * from kallsyms, found through a kprobe on kallsyms_lookup_name (which is
 * not exported from 5.7). Calling a static function through a pointer is
 * fine on this bench's kernel (Debian 6.1 has no CONFIG_X86_KERNEL_IBT) and
 * would fault on an IBT-enforcing one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/tcp.h>

typedef unsigned int (*teo_fn)(struct sock *sk, struct sk_buff *skb,
			       void *opts, void **md5);
typedef void (*optw_fn)(struct tcphdr *th, struct tcp_sock *tp,
			void *opts);
static teo_fn teo;
static optw_fn optw;

static unsigned long lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*kln)(const char *name);

	if (register_kprobe(&kp) < 0)
		return 0;
	kln = (void *)kp.addr;
	unregister_kprobe(&kp);
	return kln ? kln(name) : 0;
}

static int tb_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;
	return 0;
}

static ssize_t tb_write(struct file *file, const char __user *ubuf,
			size_t len, loff_t *ppos)
{
	/* struct tcp_out_options is private to tcp_output.c: room to spare */
	u64 opts[64];
	u32 th[16];
	void *md5;
	char buf[64];
	struct socket *sock;
	int fd, loops, func = 0, i, err;
	u64 t0, t1;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	if (sscanf(buf, "%d %d %d", &fd, &loops, &func) < 2 || loops < 1 ||
	    func < 0 || func > 1)
		return -EINVAL;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	if (!sock->sk || sock->sk->sk_protocol != IPPROTO_TCP ||
	    sock->sk->sk_type != SOCK_STREAM) {
		sockfd_put(sock);
		return -EINVAL;
	}
	memset(opts, 0, sizeof(opts));
	memset(th, 0, sizeof(th));
	((struct tcphdr *)th)->doff = 5;
	lock_sock(sock->sk);
	t0 = ktime_get_ns();
	if (func == 0)
		for (i = 0; i < loops; i++)
			teo(sock->sk, NULL, opts, &md5);
	else
		for (i = 0; i < loops; i++)
			optw((struct tcphdr *)th, tcp_sk(sock->sk), opts);
	t1 = ktime_get_ns();
	release_sock(sock->sk);
	sockfd_put(sock);
	file->private_data = (void *)(unsigned long)(t1 - t0);
	return len;
}

static ssize_t tb_read(struct file *file, char __user *ubuf, size_t len,
		       loff_t *ppos)
{
	char buf[32];
	int n;

	n = scnprintf(buf, sizeof(buf), "%lu\n",
		      (unsigned long)file->private_data);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct proc_ops tb_ops = {
	.proc_open	= tb_open,
	.proc_read	= tb_read,
	.proc_write	= tb_write,
	.proc_lseek	= default_llseek,
};

static int __init tb_init(void)
{
	teo = (teo_fn)lookup("tcp_established_options");
	optw = (optw_fn)lookup("tcp_options_write");
	if (!teo || !optw) {
		pr_err("no tcp_established_options/tcp_options_write in kallsyms\n");
		return -ENOENT;
	}
	if (!proc_create("toa_bench_kmod", 0600, NULL, &tb_ops))
		return -ENOMEM;
	return 0;
}

static void __exit tb_exit(void)
{
	remove_proc_entry("toa_bench_kmod", NULL);
}

module_init(tb_init);
module_exit(tb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sdp_toa bench: time calls of the functions sdp_toa hooks");
