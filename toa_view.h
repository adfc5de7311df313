/* SPDX-License-Identifier: GPL-2.0 */
/* The per-socket view, /proc/net/sdp_toa_sockets (see toa_view.c). */
#ifndef TOA_VIEW_H
#define TOA_VIEW_H

/* After toa_sock_init(); toa_view_exit() before toa_sock_exit(). */
int toa_view_init(void);
void toa_view_exit(void);

#endif /* TOA_VIEW_H */
