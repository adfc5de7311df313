// SPDX-License-Identifier: GPL-2.0
/* The configuration of libsdp_toa_transparent.so (see tp_config.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_config.h"

void tp_config_defaults(struct tp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->policy = TP_POLICY_UNTAGGED;
	c->log = true;
}

static int tp_set_source(struct tp_config *c, int family, const char *val)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->source4;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->source6;
	int v6 = family == AF_INET6;

	if (!*val || !strcmp(val, "none")) {
		c->have_source[v6] = false;
		return 0;
	}
	if (v6) {
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, val, &sin6->sin6_addr) != 1)
			return -1;
	} else {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, val, &sin->sin_addr) != 1)
			return -1;
	}
	c->have_source[v6] = true;
	return 0;
}

int tp_config_set(struct tp_config *c, const char *key, const char *val)
{
	if (!strcmp(key, "source4"))
		return tp_set_source(c, AF_INET, val);
	if (!strcmp(key, "source6"))
		return tp_set_source(c, AF_INET6, val);
	if (!strcmp(key, "policy")) {
		if (!strcmp(val, "untagged"))
			c->policy = TP_POLICY_UNTAGGED;
		else if (!strcmp(val, "fail"))
			c->policy = TP_POLICY_FAIL;
		else
			return -1;
		return 0;
	}
	if (!strcmp(key, "log")) {
		if (!strcmp(val, "1") || !strcmp(val, "yes"))
			c->log = true;
		else if (!strcmp(val, "0") || !strcmp(val, "no"))
			c->log = false;
		else
			return -1;
		return 0;
	}
	return -1;
}

static char *tp_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int tp_config_file(struct tp_config *c, const char *path, char *err,
			  size_t errlen)
{
	char line[512], *p, *eq;
	int n = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;	/* no file: defaults and environment */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		n++;
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		p = tp_trim(line);
		if (!*p)
			continue;
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: not \"key = value\"", path, n);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		if (tp_config_set(c, tp_trim(p), tp_trim(eq + 1))) {
			snprintf(err, errlen, "%s:%d: bad %s", path, n, tp_trim(p));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int tp_config_load(struct tp_config *c, char *err, size_t errlen)
{
	static const char *const env[][2] = {
		{ "SDP_TOA_SOURCE4", "source4" }, { "SDP_TOA_SOURCE6", "source6" },
		{ "SDP_TOA_POLICY", "policy" }, { "SDP_TOA_LOG", "log" },
	};
	const char *path = getenv("SDP_TOA_TRANSPARENT_CONF");
	unsigned int i;
	const char *v;

	tp_config_defaults(c);
	if (tp_config_file(c, path && *path ? path : TP_CONFIG_PATH, err,
			   errlen))
		return -1;
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		v = getenv(env[i][0]);
		if (v && tp_config_set(c, env[i][1], v)) {
			snprintf(err, errlen, "%s=%s: bad value", env[i][0], v);
			return -1;
		}
	}
	return 0;
}
