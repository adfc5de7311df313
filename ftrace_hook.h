/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of kernel function hooks, registered all or nothing.
 *
 * Two kinds of hook:
 *
 *  FTRACE_HOOK_ENTRY   an ftrace callback at the function's entry. It sees
 *                      the arguments, may write through them, and returns;
 *                      the function then runs as usual.
 *  FTRACE_HOOK_RETURN  @pre runs at entry and decides whether to watch this
 *                      call; @post runs when the call returns and gives the
 *                      value the caller will see. Two ways (->via):
 *    WRAPPER    an IPMODIFY ftrace callback sends the call to a wrapper in
 *               this module, which runs @pre, calls the function through a
 *               pointer and runs @post. Nothing to run out of: no call is
 *               ever skipped. Only where the kernel allows calls through a
 *               pointer to any function (no x86 IBT, kCFI or arm64 BTI:
 *               static functions have no landing pad there) and no other
 *               IPMODIFY user (livepatch, an older kprobe) has the function.
 *    KRETPROBE  a kretprobe, returning through the kernel's trampoline. It
 *               skips calls: a hit while another kprobe handler runs on the
 *               CPU, or when its instances run out (ftrace_hook_missed()).
 *    AUTO       the wrapper where it can be had, else the kretprobe.
 *  The hooked function must take at most 6 integer or pointer arguments
 *  and return one such value (or nothing).
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

enum ftrace_hook_via {
	FTRACE_HOOK_VIA_AUTO,
	FTRACE_HOOK_VIA_WRAPPER,
	FTRACE_HOOK_VIA_KRETPROBE,
};

/* @data of a WRAPPER hook lives on the stack: at most this many bytes. */
#define FTRACE_HOOK_WRAP_DATA_MAX	64

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
	/*
	 * Optional, WRAPPER only: run in the ftrace callback; a call for which
	 * it returns false is not moved to the wrapper (nor seen by @pre):
	 * it costs one pass through ftrace, as an entry hook does.
	 */
	bool (*filter)(const unsigned long *args);
	unsigned long (*post)(unsigned long ret, void *data);
	size_t data_size;
	/* asked for; once registered, the way in use (never AUTO) */
	enum ftrace_hook_via via;

	/* private to ftrace_hook.c */
	struct ftrace_ops ops;
	struct kretprobe krp;
	unsigned long func;		/* WRAPPER: the function's address */
	unsigned long wrapper;		/* WRAPPER: where calls are sent */
	int slot;
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

/*
 * Calls a RETURN hook could not watch (kretprobe: a nested hit, or no
 * instance free; a WRAPPER hook misses none).
 */
unsigned long ftrace_hook_missed(const struct ftrace_hook *hooks, size_t count);

#endif /* FTRACE_HOOK_H */
