/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RECV_SOCKOPT_H
#define RECV_SOCKOPT_H

int recv_sockopt_init(void);
void recv_sockopt_exit(void);

#endif /* RECV_SOCKOPT_H */
