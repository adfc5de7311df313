# SPDX-License-Identifier: GPL-2.0
#
# sdp_toa top-level Makefile.  It plays two roles:
#
#  1. the kbuild file: kbuild reads it back with KBUILD_EXTMOD set while it
#     builds the module (make -C $(KDIR) M=$(CURDIR));
#  2. the developer entry point: make, make W1, make check, make deps, ...
#
# The two are told apart by KBUILD_EXTMOD, not by KERNELRELEASE: the
# developer part has its own KERNELRELEASE variable (which kernel to build
# for), so "KERNELRELEASE is set" does not mean "kbuild is reading us".

ifneq ($(KBUILD_EXTMOD),)
# ---------------------------------------------------------------- kbuild part

obj-m := sdp_toa.o
sdp_toa-y := main.o ftrace_hook.o toa_opts.o toa_sock.o toa_sockopt.o \
	     toa_stats.o toa_hooks.o toa_kprobe.o toa_native.o toa_view.o

# The backend's end (recv/): its own files, and the sender's hook layer and
# option code built in again (recv/ftrace_hook.c includes ../ftrace_hook.c).
obj-m += sdp_toa_recv.o
sdp_toa_recv-y := recv/main.o recv/recv_cfg.o recv/recv_sock.o \
		  recv/recv_hooks.o recv/recv_sockopt.o recv/recv_stats.o \
		  recv/ftrace_hook.o recv/toa_opts.o

ccflags-y += -I$(src)
# One version source for modinfo, dkms.conf, the DEB and the RPM.
ccflags-y += -DSDP_TOA_VERSION='"$(shell cat $(src)/VERSION)"'
# Opt-in, so that a newer compiler's new warning never breaks a user's
# DKMS build; the bench (make W1 / make check) always sets it.
ifeq ($(WERROR),1)
ccflags-y += -Werror
endif

else
# ------------------------------------------------------------ developer part

# Which kernel to build for.  Both may be overridden on the command line or
# from the environment.  Remember whether the user chose either of them:
# only when they chose neither do we fall back to other installed headers.
kdir_origin := $(origin KDIR)
krel_origin := $(origin KERNELRELEASE)
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build

# KDIR given alone: the release is the one that tree builds for.
ifeq ($(krel_origin),undefined)
ifneq ($(kdir_origin),undefined)
KERNELRELEASE := $(or $(shell $(CURDIR)/scripts/kdir.sh --release $(KDIR) 2>/dev/null),$(KERNELRELEASE))
endif
endif

# This machine (and many CI containers) runs a kernel that is not a Debian
# one, so /lib/modules/$(uname -r)/build does not exist: use the newest
# installed Debian headers instead and say so once.
ifeq ($(kdir_origin)$(krel_origin),undefinedundefined)
ifeq ($(wildcard $(KDIR)/Makefile),)
kdir_fallback := $(shell $(CURDIR)/scripts/kdir.sh)
ifneq ($(kdir_fallback),)
$(info sdp_toa: no headers for running kernel $(KERNELRELEASE); using $(kdir_fallback))
KDIR := $(kdir_fallback)
KERNELRELEASE := $(shell $(CURDIR)/scripts/kdir.sh --release $(KDIR))
endif
endif
endif

# Scripts started from here (check.sh, run-guest.sh, deps.sh) see the
# resolved values.  The kernel's own Makefile assigns its KERNELRELEASE
# with "=", which beats the environment, so exporting is harmless there.
export KDIR KERNELRELEASE
# Tells check.sh it may re-resolve KDIR after deps installed headers.
export SDP_TOA_KDIR_AUTO := $(if $(filter undefinedundefined,$(kdir_origin)$(krel_origin)),1)

# ...but a KERNELRELEASE=... given on *our* command line would be passed to
# the kernel's make through MAKEFLAGS and override its value; drop it.
MAKEOVERRIDES := $(filter-out KERNELRELEASE=%,$(MAKEOVERRIDES))

KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR)

.PHONY: all modules W1 sparse check deps guest demo tests unit kenv clean need-kdir

all: modules

modules: need-kdir
	$(KBUILD) modules

# What the bench builds: every W=1 warning is an error.
W1: need-kdir
	$(KBUILD) W=1 WERROR=1 modules

# Developer convenience, not part of make check.
sparse: need-kdir
	$(KBUILD) C=2 modules

# A clear message instead of kbuild's "No such file or directory" noise.
need-kdir:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
	  echo "sdp_toa: no kernel headers at $(KDIR)" >&2; \
	  echo "  install them with:  make deps   (or: apt-get install linux-headers-amd64)" >&2; \
	  echo "  or point the build elsewhere:  make KDIR=/path/to/kernel/build" >&2; \
	  exit 1; \
	fi

check:
	scripts/check.sh

# The module and guest parts of make check on other kernels
# (scripts/check-kernel.sh, docs/COMPATIBILITY.md).  Debian 12's arm64
# kernel under qemu-system-aarch64; the cloud and rt flavours (with arm64,
# ~25 min on 2 cores); any kernel tree with KDIR= KIMAGE= [ARCH=
# CROSS_COMPILE= GUEST_MODROOT= GUEST_SYSROOT=].
MATRIX_FLAVOURS ?= cloud-amd64 rt-amd64 arm64
.PHONY: check-arm64 check-matrix check-kernel
check-arm64:
	scripts/check-kernel.sh arm64

check-matrix:
	scripts/check-kernel.sh $(MATRIX_FLAVOURS)

check-kernel:
	scripts/check-kernel.sh

# Hardening (tests/integration/*-hard-*.sh; make check runs them short).
# check-stress: their long form on make check's kernel (~25 min on 2 cores).
# check-debug: the whole suite on a KASAN/lockdep/kmemleak 6.1 kernel,
# built once from linux-source-6.1 into ~/.cache/sdp_toa (~35 min on 2
# cores; scripts/debug-kernel.sh); STRESS=1 for the long form there too.
# check-rt: the whole suite on Debian's PREEMPT_RT kernel (linux-image-
# rt-amd64, fetched into a cache by scripts/guest-kernel.sh).
.PHONY: check-stress check-debug check-rt
check-stress:
	scripts/check-stress.sh

check-debug:
	scripts/check-debug.sh

check-rt:
	scripts/check-kernel.sh rt-amd64

deps:
	scripts/deps.sh

# Boot the guest and run tests/integration/*.sh (make check does this too).
# Boots what it just built: the module and the programs the tests run.
guest: modules tests
	scripts/run-guest.sh

# The one-command demo (scripts/demo.sh: client -> toa_proxy -> backend).
demo:
	scripts/demo.sh

# Cost of the module per packet and per connection, against no module, in
# one guest boot (scripts/bench.sh, docs/BENCHMARKS.md; ~20 min).
# bench-smoke: 1 short round, what make check runs (~1 min).
.PHONY: bench bench-smoke
bench:
	scripts/bench.sh

bench-smoke:
	BENCH_QUICK=1 scripts/bench.sh

# What the guest runs besides the module: examples/bin (toa_proxy, ...)
# and tests/bin; both end up in the guest's /tests/bin.
tests:
	if [ -f examples/Makefile ]; then $(MAKE) -C examples; fi
	$(MAKE) -C user
	$(MAKE) -C tests

unit:
	$(MAKE) -C tests unit

# Machine-readable: what the scripts use to agree with this Makefile.
kenv:
	@echo "KDIR=$(KDIR)"
	@echo "KERNELRELEASE=$(KERNELRELEASE)"

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(KBUILD) clean; fi
	rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers \
	      recv/*.o recv/.*.cmd
	rm -rf .tmp_versions build
	-@for d in tests examples bench user; do \
	  if [ -f $$d/Makefile ]; then $(MAKE) -C $$d clean; fi; \
	done

# make deb / rpm / dkms-install / check-packaging (packaging/packaging.mk
# keeps "all" the default goal).
-include $(CURDIR)/packaging/packaging.mk

endif
