/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration of libsdp_toa_transparent.so: a small file
 * (/etc/sdp_toa/transparent.conf, or $SDP_TOA_TRANSPARENT_CONF), then the
 * environment, which wins. Read once, when the library is loaded.
 *
 *   source4 = ADDR       local IPv4 source of tagged connections (default:
 *   source6 = ADDR       none, the kernel picks at connect() as for any
 *                        socket); env SDP_TOA_SOURCE4 / SDP_TOA_SOURCE6
 *   policy = untagged    when the tag is refused (module not loaded:
 *          | fail        ENOPROTOOPT; no permission: EPERM): connect
 *                        without TOA (default), or fail the bind() with
 *                        that errno; env SDP_TOA_POLICY
 *   log = 1 | 0          one line on stderr per kind of failure (default 1);
 *                        env SDP_TOA_LOG
 *
 * Lines: "key = value", '#' comments, blank lines. An unknown key or a bad
 * value makes the whole configuration invalid: the library says so once and
 * keeps the defaults.
 */
#ifndef TP_CONFIG_H
#define TP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define TP_CONFIG_PATH	"/etc/sdp_toa/transparent.conf"

enum tp_policy {
	TP_POLICY_UNTAGGED,	/* connect without TOA */
	TP_POLICY_FAIL,		/* bind() fails with the tag's errno */
};

struct tp_config {
	struct sockaddr_storage source4, source6;
	bool have_source[2];	/* [0] IPv4, [1] IPv6 */
	enum tp_policy policy;
	bool log;
};

void tp_config_defaults(struct tp_config *c);
/* 0, or -1 with a one-line reason in @err. */
int tp_config_load(struct tp_config *c, char *err, size_t errlen);
/* One "key = value" (file line or environment); 0 or -1. */
int tp_config_set(struct tp_config *c, const char *key, const char *val);

void tp_log_always(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* TP_CONFIG_H */
