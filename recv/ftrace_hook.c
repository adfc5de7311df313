// SPDX-License-Identifier: GPL-2.0
/* The hook layer of the sender, built into the receiver too. */
#include "../ftrace_hook.c"
