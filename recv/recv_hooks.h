/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RECV_HOOKS_H
#define RECV_HOOKS_H

/* -EOPNOTSUPP on kernels without the sock_addr hook (before 5.10). */
int recv_hooks_init(void);
void recv_hooks_exit(void);

#endif /* RECV_HOOKS_H */
