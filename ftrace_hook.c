// SPDX-License-Identifier: GPL-2.0
/*
 * Register and remove a table of function hooks.
 *
 * Entry hooks are plain ftrace callbacks: they do not set IPMODIFY and never
 * redirect the call, so they coexist with livepatch and never need to call
 * the original function. Return hooks are kretprobes, which on kernels with
 * KPROBES_ON_FTRACE ride on the same ftrace site and return through the
 * kernel's own trampoline.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
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

static int ftrace_hook_register(struct ftrace_hook *hook)
{
	int err;

	if (hook->nargs > FTRACE_HOOK_MAX_ARGS)
		return -EINVAL;
	if (hook->type == FTRACE_HOOK_ENTRY)
		err = hook->entry ? ftrace_hook_register_entry(hook) : -EINVAL;
	else
		err = hook->pre && hook->post ?
		      ftrace_hook_register_return(hook) : -EINVAL;
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
	if (hook->type == FTRACE_HOOK_ENTRY) {
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
		if (hooks[i].type == FTRACE_HOOK_RETURN)
			n += READ_ONCE(hooks[i].krp.nmissed) +
			     READ_ONCE(hooks[i].krp.kp.nmissed);
	return n;
}
