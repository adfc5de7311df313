// SPDX-License-Identifier: GPL-2.0
/* toa.c - SDP_TOA_SO_SET/GET wrappers, counters, dropping privileges,
 * socket family, TCP_MD5SIG keys. */
#include <grp.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdp_toa.h"
#include "tt.h"

int tt_sock_family(int fd)
{
	socklen_t l = sizeof(int);
	int fam;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &fam, &l) < 0)
		die_errno("getsockopt(SO_DOMAIN)");
	return fam;
}

void tt_md5_key(int fd, const struct sockaddr *peer, const char *key)
{
	struct tcp_md5sig md5;
	size_t kl = strlen(key);

	if (kl > TCP_MD5SIG_MAXKEYLEN)
		die("TCP_MD5SIG key longer than %d bytes", TCP_MD5SIG_MAXKEYLEN);
	memset(&md5, 0, sizeof(md5));
	if (tt_sock_family(fd) == AF_INET6)
		tt_to_v6(peer, (struct sockaddr_in6 *)&md5.tcpm_addr);
	else
		memcpy(&md5.tcpm_addr, peer, sizeof(struct sockaddr_in));
	tt_addr_set_port((struct sockaddr *)&md5.tcpm_addr, 0);
	md5.tcpm_keylen = kl;
	memcpy(md5.tcpm_key, key, kl);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0)
		die_errno("setsockopt(TCP_MD5SIG)");
}

int tt_toa_level(int fd)
{
	return tt_sock_family(fd) == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
}

int tt_toa_set(int fd, const void *val, socklen_t len)
{
	if (setsockopt(fd, tt_toa_level(fd), SDP_TOA_SO_SET, val, len) < 0)
		return -errno;
	return 0;
}

int tt_toa_clear(int fd)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	return tt_toa_set(fd, &sa, sizeof(sa));
}

int tt_toa_get(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, tt_toa_level(fd), SDP_TOA_SO_GET, out, len) < 0)
		return -errno;
	return 0;
}

const char *tt_toa_hint(int err)
{
	if (err == ENOPROTOOPT || err == -ENOPROTOOPT)
		return " - is the sdp_toa module loaded?";
	if (err == EPERM || err == -EPERM)
		return " - needs CAP_NET_ADMIN or the group allowed_gid";
	return "";
}

const char *const tt_stat_names[TT_NSTATS] = {
	"sockets_tagged", "sockets_cleared", "sockets_live", "pkts_v4",
	"pkts_v6", "pkts_no_room", "denied", "invalid",
};

int tt_stat_index(const char *name)
{
	int i;

	for (i = 0; i < TT_NSTATS; i++)
		if (!strcmp(name, tt_stat_names[i]))
			return i;
	return -1;
}

int tt_stats_read(struct tt_stats *st)
{
	char line[256], name[128];
	long long v;
	FILE *f;
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < TT_NSTATS; i++)
		st->v[i] = -1;
	f = fopen(SDP_TOA_STATS_PATH, "r");
	/* the file lives in the initial netns: from another one, look
	 * through init's eyes */
	if (!f && errno == ENOENT)
		f = fopen(TT_STATS_INIT_PATH, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &v) != 2)
			continue;
		i = tt_stat_index(name);
		if (i < 0) {
			st->nextra++;
			continue;
		}
		if (st->v[i] < 0)
			st->nfound++;
		st->v[i] = v;
	}
	fclose(f);
	return 0;
}

long long tt_stat(const struct tt_stats *st, const char *name)
{
	int i = tt_stat_index(name);

	if (i < 0)
		die("internal: no counter %s", name);
	return st->v[i];
}

void tt_drop_privs(const char *uidgid, const char *groups)
{
	gid_t gl[32];
	char buf[256], *tok, *save = NULL;
	long long uid, gid;
	const char *colon;
	int ng = 0;

	colon = strchr(uidgid, ':');
	if (!colon)
		die("--as-user: want uid:gid, got '%s'", uidgid);
	snprintf(buf, sizeof(buf), "%.*s", (int)(colon - uidgid), uidgid);
	uid = tt_parse_num(buf, 0, 0xfffffffe, "uid");
	gid = tt_parse_num(colon + 1, 0, 0xfffffffe, "gid");
	if (groups && *groups) {
		snprintf(buf, sizeof(buf), "%s", groups);
		for (tok = strtok_r(buf, ",", &save); tok && ng < 32;
		     tok = strtok_r(NULL, ",", &save))
			gl[ng++] = (gid_t)tt_parse_num(tok, 0, 0xfffffffe,
						       "group");
	}
	if (setgroups(ng, gl) < 0)
		die_errno("setgroups");
	if (setresgid(gid, gid, gid) < 0)
		die_errno("setresgid(%lld)", gid);
	if (setresuid(uid, uid, uid) < 0)
		die_errno("setresuid(%lld)", uid);
	if (uid != 0 && setresuid(0, 0, 0) == 0)
		die("could still regain root after dropping privileges");
}

int tt_nat64_peer(int fd, struct sockaddr_in6 *out)
{
	struct sdp_toa_nat64_peer np;
	socklen_t len = sizeof(np);

	if (getsockopt(fd, IPPROTO_IP, SDP_TOA_SO_GET_NAT64, &np, &len) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	memcpy(&out->sin6_addr, np.saddr, sizeof(np.saddr));
	out->sin6_port = np.sport;
	return 0;
}
