// SPDX-License-Identifier: GPL-2.0
/* The option code of the sender, built into the receiver too. */
#include "../toa_opts.c"
