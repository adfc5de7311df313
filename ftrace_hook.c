// SPDX-License-Identifier: GPL-2.0
/*
 * Register and remove a table of function hooks.
 *
 * Entry hooks are plain ftrace callbacks: they do not set IPMODIFY and never
 * redirect the call, so they coexist with livepatch and never need to call
 * the original function. Return hooks are wrappers where the kernel allows
 * (an IPMODIFY callback moves the call into the module, see ftrace_hook.h),
 * else kretprobes, which on kernels with KPROBES_ON_FTRACE ride on the same
 * ftrace site and return through the kernel's own trampoline.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "compat.h"
#include "ftrace_hook.h"

static bool ftrace_hook_on;
static DEFINE_PER_CPU(int, ftrace_hook_inflight);

void ftrace_hook_enable(void)
{
	/* state set up before enabling must be seen by the callbacks */
	smp_store_release(&ftrace_hook_on, true);
}

void ftrace_hook_disable(void)
{
	/* pairs with smp_load_acquire() in ftrace_hook_enabled() */
	smp_store_release(&ftrace_hook_on, false);
}

bool ftrace_hook_enabled(void)
{
	/* pairs with smp_store_release() in ftrace_hook_enable() */
	return smp_load_acquire(&ftrace_hook_on);
}

int ftrace_hook_running(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(ftrace_hook_inflight, cpu));
	return n;
}

/*
 * The in-flight count is per CPU so that every packet does not bounce one
 * cache line between CPUs. Entry callbacks may run preemptible (and must be
 * allowed to: on PREEMPT_RT the destroy hook takes sleeping locks), so a
 * callback can leave on another CPU than it entered; each this_cpu op is
 * atomic on its CPU and the sum over all CPUs stays exact.
 */
static __always_inline void ftrace_hook_enter(void)
{
	this_cpu_inc(ftrace_hook_inflight);
}

static __always_inline void ftrace_hook_leave(void)
{
	this_cpu_dec(ftrace_hook_inflight);
}

static __always_inline bool ftrace_hook_may_run(const struct ftrace_hook *hook)
{
	return hook->always || ftrace_hook_enabled();
}

static void notrace ftrace_hook_entry_cb(unsigned long ip,
					 unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 compat_ftrace_regs_t *fregs)
{
	struct ftrace_hook *hook = container_of(ops, struct ftrace_hook, ops);
	unsigned long args[FTRACE_HOOK_MAX_ARGS];
	unsigned int i;

	if (!ftrace_hook_may_run(hook))
		return;
	ftrace_hook_enter();
	for (i = 0; i < hook->nargs; i++)
		args[i] = compat_ftrace_arg(fregs, i);
	hook->entry(args);
	ftrace_hook_leave();
}

static struct ftrace_hook *ftrace_hook_of(struct kretprobe_instance *ri)
{
	return container_of(compat_get_kretprobe(ri), struct ftrace_hook, krp);
}

/* kretprobe handlers run with preemption disabled. */
static int ftrace_hook_krp_entry(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct ftrace_hook *hook = ftrace_hook_of(ri);
	unsigned long args[FTRACE_HOOK_MAX_ARGS];
	unsigned int i;
	bool watch;

	if (!ftrace_hook_may_run(hook))
		return 1;
	ftrace_hook_enter();
	for (i = 0; i < hook->nargs; i++)
		args[i] = regs_get_kernel_argument(regs, i);
	watch = hook->pre(args, ri->data);
	ftrace_hook_leave();
	return watch ? 0 : 1;	/* non-zero: do not call the return handler */
}

/* Runs even when disabled meanwhile: @pre began this call's work. */
static int ftrace_hook_krp_return(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	struct ftrace_hook *hook = ftrace_hook_of(ri);

	ftrace_hook_enter();
	regs_set_return_value(regs, hook->post(regs_return_value(regs),
					       ri->data));
	ftrace_hook_leave();
	return 0;
}

#if COMPAT_FTRACE_CAN_WRAP
typedef unsigned long (*ftrace_hook_fn_t)(unsigned long, unsigned long,
					  unsigned long, unsigned long,
					  unsigned long, unsigned long);

#define FTRACE_HOOK_WRAP_SLOTS	2
static struct ftrace_hook *ftrace_hook_wrapped[FTRACE_HOOK_WRAP_SLOTS];

/*
 * The call, moved here by ftrace_hook_wrap_cb(). It stays counted in flight
 * until the function has returned to it: unload waits for that. The
 * function gets all six argument registers as they came; those it does not
 * take are ignored, as in any call.
 */
static __always_inline unsigned long
ftrace_hook_wrap_run(struct ftrace_hook *hook, unsigned long a0,
		     unsigned long a1, unsigned long a2, unsigned long a3,
		     unsigned long a4, unsigned long a5)
{
	unsigned long args[FTRACE_HOOK_MAX_ARGS] = { a0, a1, a2, a3, a4, a5 };
	u64 data[FTRACE_HOOK_WRAP_DATA_MAX / sizeof(u64)];
	unsigned long ret;
	bool watch;

	ftrace_hook_enter();
	watch = hook->pre(args, data);
	ret = ((ftrace_hook_fn_t)hook->func)(a0, a1, a2, a3, a4, a5);
	if (watch)
		ret = hook->post(ret, data);
	ftrace_hook_leave();
	return ret;
}

#define FTRACE_HOOK_WRAPPER(n)						\
static unsigned long notrace						\
ftrace_hook_wrapper##n(unsigned long a0, unsigned long a1,		\
		       unsigned long a2, unsigned long a3,		\
		       unsigned long a4, unsigned long a5)		\
{									\
	return ftrace_hook_wrap_run(ftrace_hook_wrapped[n],		\
				    a0, a1, a2, a3, a4, a5);		\
}

FTRACE_HOOK_WRAPPER(0)
FTRACE_HOOK_WRAPPER(1)

static const ftrace_hook_fn_t ftrace_hook_wrappers[FTRACE_HOOK_WRAP_SLOTS] = {
	ftrace_hook_wrapper0, ftrace_hook_wrapper1,
};

static bool notrace ftrace_hook_wrap_wanted(struct ftrace_hook *hook,
					    compat_ftrace_regs_t *fregs)
{
	unsigned long args[FTRACE_HOOK_MAX_ARGS];
	unsigned int i;
	bool wanted;

	ftrace_hook_enter();
	for (i = 0; i < hook->nargs; i++)
		args[i] = compat_ftrace_arg(fregs, i);
	wanted = hook->filter(args);
	ftrace_hook_leave();
	return wanted;
}

/*
 * At the function's entry: send the call to the wrapper, unless it is the
 * wrapper's own call of the function (its return address is in this
 * module), hooks are off, or the filter does not want it.
 */
static void notrace ftrace_hook_wrap_cb(unsigned long ip,
					unsigned long parent_ip,
					struct ftrace_ops *ops,
					compat_ftrace_regs_t *fregs)
{
	struct ftrace_hook *hook = container_of(ops, struct ftrace_hook, ops);

	if (within_module(parent_ip, THIS_MODULE) ||
	    !ftrace_hook_may_run(hook))
		return;
	if (hook->filter && !ftrace_hook_wrap_wanted(hook, fregs))
		return;
	compat_ftrace_set_ip(fregs, hook->wrapper);
}

/* The address of @name, from the kprobe core's lookup (kallsyms). */
static unsigned long ftrace_hook_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

static int ftrace_hook_register_wrapper(struct ftrace_hook *hook)
{
	char name[KSYM_NAME_LEN];
	int slot, err;

	if (hook->data_size > FTRACE_HOOK_WRAP_DATA_MAX)
		return -E2BIG;
	for (slot = 0; slot < FTRACE_HOOK_WRAP_SLOTS; slot++)
		if (!ftrace_hook_wrapped[slot])
			break;
	if (slot == FTRACE_HOOK_WRAP_SLOTS)
		return -ENOSPC;
	hook->func = ftrace_hook_lookup(hook->name);
	if (!hook->func)
		return -ENOENT;
	hook->slot = slot;
	hook->wrapper = (unsigned long)ftrace_hook_wrappers[slot];
	ftrace_hook_wrapped[slot] = hook;

	strscpy(name, hook->name, sizeof(name));
	hook->ops.func = ftrace_hook_wrap_cb;
	hook->ops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
			  COMPAT_FTRACE_PERMANENT | COMPAT_FTRACE_NO_GUARD;
	err = ftrace_set_filter(&hook->ops, (unsigned char *)name,
				strlen(name), 1);
	if (err) {
		err = err == -EINVAL ? -ENOENT : err;
		goto out;
	}
	/* -EBUSY: another IPMODIFY user (livepatch, a kprobe) has it */
	err = register_ftrace_function(&hook->ops);
	if (err)
		ftrace_free_filter(&hook->ops);
out:
	if (err)
		ftrace_hook_wrapped[slot] = NULL;
	return err;
}

/* Once no call can be in a wrapper any more. */
static void ftrace_hook_release(struct ftrace_hook *hooks, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (hooks[i].type == FTRACE_HOOK_RETURN &&
		    hooks[i].via == FTRACE_HOOK_VIA_WRAPPER &&
		    ftrace_hook_wrapped[hooks[i].slot] == &hooks[i] &&
		    !hooks[i].registered)
			ftrace_hook_wrapped[hooks[i].slot] = NULL;
}
#else
static int ftrace_hook_register_wrapper(struct ftrace_hook *hook)
{
	return -EOPNOTSUPP;
}

static void ftrace_hook_release(struct ftrace_hook *hooks, size_t count)
{
}
#endif

static int ftrace_hook_register_entry(struct ftrace_hook *hook)
{
	char name[KSYM_NAME_LEN];
	int err;

	/* ftrace_set_filter() may edit its buffer: give it a copy. */
	strscpy(name, hook->name, sizeof(name));
	hook->ops.func = ftrace_hook_entry_cb;
	hook->ops.flags = COMPAT_FTRACE_ARGS_FLAGS | COMPAT_FTRACE_PERMANENT |
			  COMPAT_FTRACE_NO_GUARD;

	/* -EINVAL: no traceable function of that exact name. */
	err = ftrace_set_filter(&hook->ops, (unsigned char *)name,
				strlen(name), 1);
	if (err)
		return err == -EINVAL ? -ENOENT : err;
	err = register_ftrace_function(&hook->ops);
	if (err) {
		ftrace_free_filter(&hook->ops);
		pr_err("cannot hook %s: ftrace registration failed (%d)\n",
		       hook->name, err);
	}
	return err;
}

static int ftrace_hook_register_return(struct ftrace_hook *hook)
{
	int err;

	hook->krp.kp.symbol_name = hook->name;
	hook->krp.entry_handler = ftrace_hook_krp_entry;
	hook->krp.handler = ftrace_hook_krp_return;
	hook->krp.data_size = hook->data_size;
	/*
	 * An instance is held from entry to return of a watched call; with
	 * preemption the body of the call can be preempted. When they run
	 * out the call is simply not watched (counted in ->nmissed).
	 */
	hook->krp.maxactive = max_t(int, 64, 16 * num_possible_cpus());

	err = register_kretprobe(&hook->krp);
	if (err && err != -ENOENT)
		pr_err("cannot hook %s: kretprobe registration failed (%d)\n",
		       hook->name, err);
	return err;
}

static void ftrace_hook_wrap_failed(const struct ftrace_hook *hook, int err)
{
	const char *why = "";

	if (err == -EOPNOTSUPP)
		why = ": this kernel allows no calls through a pointer to it (IBT, kCFI, BTI)";
	else if (err == -EBUSY)
		why = ": another IPMODIFY user (livepatch, a kprobe) has it";
	pr_err("cannot wrap %s (%d)%s\n", hook->name, err, why);
}

/*
 * The wrapper where it can be had (or only it, if asked), else the
 * kretprobe; ->via then says which.
 */
static int ftrace_hook_register_ret(struct ftrace_hook *hook)
{
	int err;

	if (!hook->pre || !hook->post)
		return -EINVAL;
	if (hook->via != FTRACE_HOOK_VIA_KRETPROBE) {
		err = ftrace_hook_register_wrapper(hook);
		if (!err) {
			hook->via = FTRACE_HOOK_VIA_WRAPPER;
			return 0;
		}
		if (hook->via == FTRACE_HOOK_VIA_WRAPPER) {
			ftrace_hook_wrap_failed(hook, err);
			return err;
		}
		if (err != -EOPNOTSUPP && err != -ENOENT)
			pr_info("cannot wrap %s (%d): using a kretprobe, which can skip calls\n",
				hook->name, err);
	}
	err = ftrace_hook_register_return(hook);
	if (!err)
		hook->via = FTRACE_HOOK_VIA_KRETPROBE;
	return err;
}

static int ftrace_hook_register(struct ftrace_hook *hook)
{
	int err;

	if (hook->nargs > FTRACE_HOOK_MAX_ARGS)
		return -EINVAL;
	if (hook->type == FTRACE_HOOK_ENTRY)
		err = hook->entry ? ftrace_hook_register_entry(hook) : -EINVAL;
	else
		err = ftrace_hook_register_ret(hook);
	hook->registered = !err;
	if (err != -ENOENT)
		return err;
	if (hook->optional) {
		pr_info("%s cannot be hooked on this kernel (inlined, or only a compiler clone): going on without it\n",
			hook->name);
		return 0;
	}
	pr_err("cannot hook %s: not a traceable function on this kernel (inlined, or only a compiler clone such as %s.isra.0)\n",
	       hook->name, hook->name);
	return err;
}

static void ftrace_hook_unregister(struct ftrace_hook *hook)
{
	int err;

	if (!hook->registered)
		return;
	if (hook->type == FTRACE_HOOK_ENTRY ||
	    hook->via == FTRACE_HOOK_VIA_WRAPPER) {
		err = unregister_ftrace_function(&hook->ops);
		if (err)
			pr_err("unregistering %s failed (%d)\n", hook->name, err);
		ftrace_free_filter(&hook->ops);
	} else {
		/* Waits until no handler runs; pending returns skip ours. */
		unregister_kretprobe(&hook->krp);
	}
	hook->registered = false;
}

/*
 * Wait until every callback has returned. Never gives up: freeing what a
 * running callback uses would be worse than a slow unload; it says so.
 */
static void ftrace_hook_wait_idle(void)
{
	unsigned int ms;

	compat_synchronize_tasks();
	for (ms = 0; ftrace_hook_running(); ms += 20) {
		if (ms == 1000)
			pr_warn("waiting for %d hook callbacks to finish\n",
				ftrace_hook_running());
		msleep(20);
	}
}

int ftrace_hook_multi_register(struct ftrace_hook *hooks, size_t count)
{
	size_t i;
	int err;

	for (i = 0; i < count; i++) {
		err = ftrace_hook_register(&hooks[i]);
		if (err) {
			while (i--)
				ftrace_hook_unregister(&hooks[i]);
			ftrace_hook_wait_idle();
			ftrace_hook_release(hooks, count);
			return err;
		}
	}
	return 0;
}

void ftrace_hook_multi_unregister(struct ftrace_hook *hooks, size_t count)
{
	size_t i = count;

	while (i--)
		ftrace_hook_unregister(&hooks[i]);
	ftrace_hook_wait_idle();
	ftrace_hook_release(hooks, count);
}

unsigned long ftrace_hook_missed(const struct ftrace_hook *hooks, size_t count)
{
	unsigned long n = 0;
	size_t i;

	/*
	 * krp.nmissed: no instance was free. kp.nmissed: the probe hit while
	 * another kprobe ran on that CPU (e.g. a softirq transmit interrupting
	 * a process-context one inside its handler); kprobes skip such hits.
	 */
	for (i = 0; i < count; i++)
		if (hooks[i].type == FTRACE_HOOK_RETURN &&
		    hooks[i].via == FTRACE_HOOK_VIA_KRETPROBE)
			n += READ_ONCE(hooks[i].krp.nmissed) +
			     READ_ONCE(hooks[i].krp.kp.nmissed);
	return n;
}
