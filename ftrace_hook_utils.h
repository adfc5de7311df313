/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for declaring hook tables and reading the
 * hooked function's arguments in a callback.
 */
#ifndef FTRACE_HOOK_UTILS_H
#define FTRACE_HOOK_UTILS_H

#define FTRACE_HOOK_MAX_ARGS	6

/* The n-th argument of the hooked call, as the type the function takes. */
#define FTRACE_HOOK_ARG(args, n, type)	((type)(args)[n])

#define FTRACE_HOOK_ENTRY_DEF(_name, _nargs, _entry, _always, _optional) \
	{								\
		.name = (_name), .type = FTRACE_HOOK_ENTRY,		\
		.nargs = (_nargs), .entry = (_entry),			\
		.always = (_always), .optional = (_optional),		\
	}

/* A RETURN hook; a wrapper takes only the calls @_filter (or NULL) lets by. */
#define FTRACE_HOOK_RETURN_FILTER_DEF(_name, _nargs, _filter, _pre, _post, \
				      _data)				\
	{								\
		.name = (_name), .type = FTRACE_HOOK_RETURN,		\
		.nargs = (_nargs), .filter = (_filter), .pre = (_pre),	\
		.post = (_post), .data_size = sizeof(_data),		\
	}

#endif /* FTRACE_HOOK_UTILS_H */
