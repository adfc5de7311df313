// SPDX-License-Identifier: GPL-2.0
/* addr.c - "a.b.c.d:port" and "[v6]:port" parsing and printing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int tt_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		  bool port_required)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[128];
	const char *colon, *close;
	uint16_t port = 0;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		hl = close - (s + 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (close[1] == ':') {
			if (parse_port(close + 2, &port))
				return -EINVAL;
		} else if (close[1] || port_required) {
			return -EINVAL;
		}
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		/* bare IPv6 address: no port possible */
		if (port_required || strlen(s) >= sizeof(host))
			return -EINVAL;
		if (inet_pton(AF_INET6, s, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		return 0;
	}
	if (colon) {
		hl = colon - s;
		if (parse_port(colon + 1, &port))
			return -EINVAL;
	} else {
		if (port_required)
			return -EINVAL;
		hl = strlen(s);
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -EINVAL;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}

socklen_t tt_addr_parse_or_die(const char *s, struct sockaddr_storage *ss,
			       bool port_required, const char *what)
{
	socklen_t len;

	if (tt_addr_parse(s, ss, &len, port_required))
		die("%s: bad address '%s' (want %s)", what, s,
		    port_required ? "a.b.c.d:port or [v6]:port"
				  : "a.b.c.d[:port] or v6 or [v6]:port");
	return len;
}

const char *tt_ip_str(const struct sockaddr *sa, char *buf, size_t n)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_in *sin = (const void *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, buf, n);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, n);
		break;
	case AF_UNSPEC:
		snprintf(buf, n, "AF_UNSPEC");
		break;
	default:
		snprintf(buf, n, "family=%d", sa->sa_family);
	}
	return buf;
}

const char *tt_addr_str(const struct sockaddr *sa, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN + 16];

	tt_ip_str(sa, ip, sizeof(ip));
	switch (sa->sa_family) {
	case AF_INET:
		snprintf(buf, n, "%s:%u", ip, tt_addr_port(sa));
		break;
	case AF_INET6:
		snprintf(buf, n, "[%s]:%u", ip, tt_addr_port(sa));
		break;
	default:
		snprintf(buf, n, "%s", ip);
	}
	return buf;
}

socklen_t tt_sockaddr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6)
				  : sizeof(struct sockaddr_in);
}

socklen_t tt_to_v6(const struct sockaddr *in, struct sockaddr_in6 *out)
{
	const struct sockaddr_in *sin = (const void *)in;

	if (in->sa_family == AF_INET6) {
		memcpy(out, in, sizeof(*out));
		return sizeof(*out);
	}
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = sin->sin_port;
	out->sin6_addr.s6_addr[10] = 0xff;
	out->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	return sizeof(*out);
}

uint16_t tt_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

void tt_addr_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons(port);
}

bool tt_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return true;
}
