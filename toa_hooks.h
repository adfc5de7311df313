/* SPDX-License-Identifier: GPL-2.0 */
/* Where sdp_toa meets TCP's transmit path. */
#ifndef TOA_HOOKS_H
#define TOA_HOOKS_H

int toa_hooks_init(void);
/* Removes the hooks and waits until no segment is between them. */
void toa_hooks_exit(void);
unsigned long toa_hooks_missed(void);

#endif /* TOA_HOOKS_H */
