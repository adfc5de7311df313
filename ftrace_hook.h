/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of kernel function hooks, registered all or nothing.
 *
 * Two kinds of hook, neither of which ever calls the hooked function through
 * a pointer (that faults on kernels with x86 IBT, kCFI or arm64 BTI, because
 * static functions carry no landing pad for indirect calls):
 *
 *  FTRACE_HOOK_ENTRY   an ftrace callback at the function's entry. It sees
 *                      the arguments, may write through them, and returns;
 *                      the function then runs as usual.
 *  FTRACE_HOOK_RETURN  a kretprobe: @pre runs at entry and decides whether
 *                      to watch this call; @post runs when the call returns
 *                      (through the kernel's own return trampoline) and
 *                      gives the value the caller will see.
 *
 * This file knows hooking and nothing about what the hooks are for.
 */
#ifndef FTRACE_HOOK_H
#define FTRACE_HOOK_H

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/types.h>

#include "ftrace_hook_utils.h"

enum ftrace_hook_type {
	FTRACE_HOOK_ENTRY,
	FTRACE_HOOK_RETURN,
};

struct ftrace_hook {
	const char *name;		/* exact symbol: no clones, no globs */
	enum ftrace_hook_type type;
	unsigned int nargs;		/* arguments to fetch, at most 6 */
	/* Keep running while hooks are disabled, to finish work begun. */
	bool always;
	/*
	 * The caller can do without this hook: if the function cannot be
	 * hooked on this kernel (inlined, only a clone), registration goes on
	 * without it and ->registered says so.
	 */
	bool optional;

	/* FTRACE_HOOK_ENTRY */
	void (*entry)(const unsigned long *args);

	/* FTRACE_HOOK_RETURN; @data is @data_size bytes private to one call */
	bool (*pre)(const unsigned long *args, void *data);
	unsigned long (*post)(unsigned long ret, void *data);
	size_t data_size;

	/* private to ftrace_hook.c */
	struct ftrace_ops ops;
	struct kretprobe krp;
	bool registered;
};

/*
 * Register @count hooks in table order. On failure the ones already
 * registered are removed again, a one-line reason is logged, and a negative
 * errno is returned: never half-hooked. An optional hook whose function does
 * not exist as such on this kernel is skipped (and says so in the log).
 */
int ftrace_hook_multi_register(struct ftrace_hook *hooks, size_t count);

/*
 * Remove hooks in reverse table order, then wait for
 * every task to leave the hook callbacks and trampolines.
 */
void ftrace_hook_multi_unregister(struct ftrace_hook *hooks, size_t count);

/* Hooks are registered disabled: callbacks return at once until enabled. */
void ftrace_hook_enable(void);
void ftrace_hook_disable(void);
bool ftrace_hook_enabled(void);

/* Callbacks running right now, on all CPUs. */
int ftrace_hook_running(void);

/* Calls a RETURN hook could not watch (kretprobe instances exhausted). */
unsigned long ftrace_hook_missed(const struct ftrace_hook *hooks, size_t count);

#endif /* FTRACE_HOOK_H */
