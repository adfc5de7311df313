// SPDX-License-Identifier: GPL-2.0
/*
 * toa_bpfopt - a BPF sock_ops program that writes its own TCP header
 * option, the way programs using TCP's header-option room do (the pattern
 * of the kernel selftest test_tcp_hdr_options), to run beside sdp_toa.
 *
 *   toa_bpfopt --cgroup DIR [--ready FILE] [--stop-file FILE]
 *              [--toa A.B.C.D:PORT [--kind K]] [--deny len|write]
 *
 * Loads the program, attaches it to the cgroup v2 directory DIR, creates
 * --ready, and keeps it attached until SIGTERM/SIGINT or --stop-file
 * appears; then detaches it and prints "bpfopt: detached". The program:
 *   TCP_CONNECT_CB     sets BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG on the
 *                      connecting socket (keeping the flags it has);
 *   HDR_OPT_LEN_CB     reserves 8 bytes (bpf_reserve_hdr_opt);
 *   WRITE_HDR_OPT_CB   writes kind 253, length 8, "SDPBPF"
 *                      (bpf_store_hdr_opt), which toa_sniff prints as
 *                      unknown=253/8:534450425046.
 * So every segment of every socket that connects in DIR carries it, SYN
 * included. With --toa the 8 bytes are a TOA instead (kind --kind, 254 by
 * default: kind, 8, port, address, network order): a sender that is not
 * sdp_toa, for the receiver's tests. With --deny the program returns 0 at
 * HDR_OPT_LEN_CB (TCP then drops every reservation of the call, TOA's
 * too) or at WRITE_HDR_OPT_CB (TCP NOP-fills the whole room), as a
 * program whose default is "return 0" does. No clang or libbpf: the few instructions are assembled here
 * and loaded with the bpf() system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "tt.h"

#define INSN(c, d, s, o, i)						\
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })
#define MOV64_REG(d, s)	INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i)	INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define OR64_IMM(d, i)	INSN(BPF_ALU64 | BPF_OR | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o)	INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i)	INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JA(o)		INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define OFF_OP		offsetof(struct bpf_sock_ops, op)
#define OFF_FLAGS	offsetof(struct bpf_sock_ops, bpf_sock_ops_cb_flags)

/* kind 253, length 8, "SDPBPF", as two little-endian words */
#define OPT_W0		0x445308fd
#define OPT_W1		0x46504250

static struct bpf_insn prog[] = {
	/*  0 */ MOV64_REG(BPF_REG_6, BPF_REG_1),
	/*  1 */ LDX_W(BPF_REG_2, BPF_REG_6, OFF_OP),
	/*  2 */ JEQ_IMM(BPF_REG_2, BPF_SOCK_OPS_TCP_CONNECT_CB, 4),	/* 7 */
	/*  3 */ JEQ_IMM(BPF_REG_2, BPF_SOCK_OPS_HDR_OPT_LEN_CB, 8),	/* 12 */
	/*  4 */ JEQ_IMM(BPF_REG_2, BPF_SOCK_OPS_WRITE_HDR_OPT_CB, 13), /* 18 */
	/*  5 */ MOV64_IMM(BPF_REG_0, 1),
	/*  6 */ EXIT(),
	/*  7 */ LDX_W(BPF_REG_2, BPF_REG_6, OFF_FLAGS),
	/*  8 */ OR64_IMM(BPF_REG_2, BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG),
	/*  9 */ MOV64_REG(BPF_REG_1, BPF_REG_6),
	/* 10 */ CALL(BPF_FUNC_sock_ops_cb_flags_set),
	/* 11 */ JA(-7),						/* 5 */
	/* 12 */ MOV64_REG(BPF_REG_1, BPF_REG_6),
	/* 13 */ MOV64_IMM(BPF_REG_2, 8),
	/* 14 */ MOV64_IMM(BPF_REG_3, 0),
	/* 15 */ CALL(BPF_FUNC_reserve_hdr_opt),
	/* 16 */ MOV64_IMM(BPF_REG_0, 1),	/* PROG_RET_LEN */
	/* 17 */ EXIT(),
	/* 18 */ ST_W(BPF_REG_10, -8, OPT_W0),	/* PROG_OPT */
	/* 19 */ ST_W(BPF_REG_10, -4, OPT_W1),
	/* 20 */ MOV64_REG(BPF_REG_1, BPF_REG_6),
	/* 21 */ MOV64_REG(BPF_REG_2, BPF_REG_10),
	/* 22 */ ADD64_IMM(BPF_REG_2, -8),
	/* 23 */ MOV64_IMM(BPF_REG_3, 8),
	/* 24 */ MOV64_IMM(BPF_REG_4, 0),
	/* 25 */ CALL(BPF_FUNC_store_hdr_opt),
	/* 26 */ MOV64_IMM(BPF_REG_0, 1),	/* PROG_RET_WRITE */
	/* 27 */ EXIT(),
};

/* instructions patched by the options */
#define PROG_RET_LEN	16
#define PROG_OPT	18
#define PROG_RET_WRITE	26


static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(void)
{
	static char log[65536];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCK_OPS;
	a.expected_attach_type = BPF_CGROUP_SOCK_OPS;
	a.insns = (unsigned long)prog;
	a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	a.license = (unsigned long)"GPL";
	a.log_buf = (unsigned long)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		fprintf(stderr, "%s", log);
		die_errno("BPF_PROG_LOAD");
	}
	return fd;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: toa_bpfopt --cgroup DIR [--ready FILE] [--stop-file FILE]\n"
		"                  [--toa A.B.C.D:PORT [--kind K]] [--deny len|write]\n");
	exit(status);
}

/* The option the program writes: TOA kind K, 8 bytes, for @sin. */
static void prog_set_toa(const struct sockaddr_in *sin, int kind)
{
	uint8_t b[8] = { kind, 8 };
	uint32_t w0, w1;

	memcpy(b + 2, &sin->sin_port, 2);
	memcpy(b + 4, &sin->sin_addr, 4);
	w0 = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	w1 = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
	prog[PROG_OPT].imm = (int32_t)w0;
	prog[PROG_OPT + 1].imm = (int32_t)w1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cgroup", 1, 0, 'c' }, { "ready", 1, 0, 'r' },
		{ "stop-file", 1, 0, 's' }, { "toa", 1, 0, 't' },
		{ "kind", 1, 0, 'k' }, { "deny", 1, 0, 'd' },
		{ "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *cgroup = NULL, *ready = NULL, *stop_file = NULL;
	struct sockaddr_storage toa;
	socklen_t toa_len;
	bool have_toa = false;
	union bpf_attr a;
	int c, cg, pfd, kind = 254;

	tt_set_prog(argv[0]);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': cgroup = optarg; break;
		case 'r': ready = optarg; break;
		case 's': stop_file = optarg; break;
		case 't':
			toa_len = tt_addr_parse_or_die(optarg, &toa, true,
						       "--toa");
			if (toa.ss_family != AF_INET || !toa_len)
				die("--toa takes an IPv4 A.B.C.D:PORT");
			have_toa = true;
			break;
		case 'k': kind = tt_parse_num(optarg, 2, 255, "--kind"); break;
		case 'd':
			if (!strcmp(optarg, "len"))
				prog[PROG_RET_LEN].imm = 0;
			else if (!strcmp(optarg, "write"))
				prog[PROG_RET_WRITE].imm = 0;
			else
				die("--deny takes len or write");
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!cgroup || optind != argc)
		usage(2);
	if (have_toa)
		prog_set_toa((struct sockaddr_in *)&toa, kind);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	cg = open(cgroup, O_RDONLY | O_DIRECTORY);
	if (cg < 0)
		die_errno("%s", cgroup);
	pfd = prog_load();
	memset(&a, 0, sizeof(a));
	a.target_fd = cg;
	a.attach_bpf_fd = pfd;
	a.attach_type = BPF_CGROUP_SOCK_OPS;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		die_errno("BPF_PROG_ATTACH to %s", cgroup);
	if (ready)
		tt_touch(ready, "");
	while (!stop && !(stop_file && access(stop_file, F_OK) == 0))
		usleep(20000);
	a.attach_flags = 0;	/* past BPF_PROG_DETACH's last field: must be 0 */
	if (sys_bpf(BPF_PROG_DETACH, &a) < 0)
		die_errno("BPF_PROG_DETACH");
	printf("bpfopt: detached\n");
	return 0;
}
