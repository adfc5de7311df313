/* SPDX-License-Identifier: GPL-2.0 */
/* SDP_TOA_SO_SET / SDP_TOA_SO_GET (see sdp_toa.h). */
#ifndef TOA_SOCKOPT_H
#define TOA_SOCKOPT_H

int toa_sockopt_init(void);
void toa_sockopt_exit(void);

#endif /* TOA_SOCKOPT_H */
