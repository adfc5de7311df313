# SPDX-License-Identifier: GPL-2.0
#
# Packaging targets, included by the developer half of the top Makefile:
#
#   make deb             build/pkg/deb/sdp-toa-dkms_<VERSION>_all.deb and
#                        sdp-toa-tools_<VERSION>_<arch>.deb
#   make rpm             build/pkg/rpm/RPMS/noarch/sdp-toa-dkms-<VERSION>-1.noarch.rpm
#                        and RPMS/<arch>/sdp-toa-tools-<VERSION>-1.<arch>.rpm
#   make dkms-install    as root: this tree into /usr/src/sdp_toa-<VERSION>, then
#                        dkms add/build/install for KERNELRELEASE
#   make dkms-remove     as root: undo dkms-install
#   make check-packaging as root: packaging/test.sh (DKMS, DEB, RPM end to end)
#
# Every version comes from the top-level VERSION file.  Also usable on its
# own: make -f packaging/packaging.mk deb

# Never become the default goal, wherever the include sits.
pkg_default_goal := $(.DEFAULT_GOAL)

pkg_top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
PKG_VERSION := $(shell cat $(pkg_top)/VERSION)
PKG_BUILD ?= $(pkg_top)/build/pkg
# Kernel for dkms-install; the top Makefile resolves it (headers fallback).
KERNELRELEASE ?= $(shell uname -r)

# The maintainer, for the RPM: the one of the DEB.
pkg_maintainer = $(shell sed -n 's/^Maintainer: *//p' $(pkg_top)/packaging/deb/debian/control)
# Changelog date: SOURCE_DATE_EPOCH, else the last commit's, else now.
pkg_epoch = $(or $(SOURCE_DATE_EPOCH),$(shell git -C $(pkg_top) log -1 --format=%ct 2>/dev/null),$(shell date +%s))
pkg_rpm_date = $(shell LC_ALL=C date -u -d @$(pkg_epoch) '+%a %b %d %Y')

# What DKMS needs to build the module: the kbuild Makefile, the sources and
# headers (sdp_toa.h included), dkms.conf and VERSION.
pkg_dkms_files = Makefile dkms.conf VERSION \
	$(notdir $(wildcard $(pkg_top)/*.c $(pkg_top)/*.h)) \
	$(patsubst $(pkg_top)/%,%,$(wildcard $(pkg_top)/recv/*.c $(pkg_top)/recv/*.h))
# The DEB and RPM source trees: that, plus the docs and packaging files.
pkg_src_files = $(pkg_dkms_files) README.md docs/INSTALL.md docs/sdp_toa.4 \
	packaging/common/modprobe-sdp_toa.conf \
	packaging/common/modules-load-sdp_toa.conf \
	user/Makefile $(patsubst $(pkg_top)/%,%,$(wildcard $(pkg_top)/user/*.c $(pkg_top)/user/*.h)) \
	docs/sdp_toa_transparent.8 docs/sdp-toa.8 user/sdp-toa.bash-completion \
	examples/systemd/haproxy.service.d/sdp-toa.conf \
	examples/systemd/nginx.service.d/sdp-toa.conf

# pkg_stage DIR FILES: copy FILES of the tree into DIR (fresh).
define pkg_stage
rm -rf $(1) && mkdir -p $(1)
cd $(pkg_top) && cp --parents -p $(2) $(1)/
endef

.PHONY: deb rpm dkms-install dkms-remove check-packaging

deb:
	$(call pkg_stage,$(PKG_BUILD)/deb/sdp-toa-$(PKG_VERSION),$(pkg_src_files))
	cp -a $(pkg_top)/packaging/deb/debian $(PKG_BUILD)/deb/sdp-toa-$(PKG_VERSION)/
	$(pkg_top)/packaging/deb/mkchangelog.sh $(PKG_BUILD)/deb/sdp-toa-$(PKG_VERSION)
	rm -f $(PKG_BUILD)/deb/sdp-toa-dkms_$(PKG_VERSION)_all.deb
	cd $(PKG_BUILD)/deb/sdp-toa-$(PKG_VERSION) && dpkg-buildpackage -us -uc -b
	@echo "deb: $(PKG_BUILD)/deb/sdp-toa-dkms_$(PKG_VERSION)_all.deb"

rpm:
	$(call pkg_stage,$(PKG_BUILD)/rpm/stage/sdp_toa-$(PKG_VERSION),$(pkg_src_files))
	mkdir -p $(PKG_BUILD)/rpm/SOURCES
	tar -C $(PKG_BUILD)/rpm/stage -czf \
		$(PKG_BUILD)/rpm/SOURCES/sdp_toa-$(PKG_VERSION).tar.gz \
		--owner=0 --group=0 sdp_toa-$(PKG_VERSION)
	rm -rf $(PKG_BUILD)/rpm/stage $(PKG_BUILD)/rpm/RPMS/noarch/sdp-toa-dkms-$(PKG_VERSION)-*.rpm
	rpmbuild -bb --nodeps --define "_topdir $(PKG_BUILD)/rpm" \
		--define "sdp_toa_version $(PKG_VERSION)" \
		--define "sdp_toa_date $(pkg_rpm_date)" \
		--define "packager $(pkg_maintainer)" \
		$(pkg_top)/packaging/rpm/sdp-toa-dkms.spec
	rpmbuild -bb --nodeps --define "_topdir $(PKG_BUILD)/rpm" \
		--define "sdp_toa_version $(PKG_VERSION)" \
		--define "sdp_toa_date $(pkg_rpm_date)" \
		--define "packager $(pkg_maintainer)" \
		$(pkg_top)/packaging/rpm/sdp-toa-tools.spec
	@echo "rpm: $$(ls $(PKG_BUILD)/rpm/RPMS/noarch/sdp-toa-dkms-$(PKG_VERSION)-*.noarch.rpm)"
	@echo "rpm: $$(ls $(PKG_BUILD)/rpm/RPMS/*/sdp-toa-tools-$(PKG_VERSION)-*.rpm)"

# Refuse to touch /usr/src/sdp_toa-<VERSION> when a package owns it (rpm is
# asked only where there is no dpkg).
define pkg_not_packaged
@if owner=$$(if command -v dpkg-query >/dev/null; then \
		dpkg-query -S /usr/src/sdp_toa-$(PKG_VERSION); \
	else rpm -qf /usr/src/sdp_toa-$(PKG_VERSION); fi 2>/dev/null); then \
	echo "$@: /usr/src/sdp_toa-$(PKG_VERSION) belongs to a package" \
		"($${owner%%:*}): use the package, or bump VERSION" >&2; exit 1; fi
endef

# What the DEB and RPM do, from this tree, for one kernel.  A version that is
# already registered is removed first (the tree may have changed).
dkms-install:
	@[ "$$(id -u)" = 0 ] || { echo "dkms-install: run as root" >&2; exit 1; }
	@command -v dkms >/dev/null || { echo "dkms-install: apt-get install dkms" >&2; exit 1; }
	$(pkg_not_packaged)
	if dkms status -m sdp_toa -v $(PKG_VERSION) | grep -q .; then \
		dkms remove -m sdp_toa -v $(PKG_VERSION) --all; fi
	$(call pkg_stage,/usr/src/sdp_toa-$(PKG_VERSION),$(pkg_dkms_files))
	dkms add -m sdp_toa -v $(PKG_VERSION)
	dkms build -m sdp_toa -v $(PKG_VERSION) -k $(KERNELRELEASE)
	dkms install -m sdp_toa -v $(PKG_VERSION) -k $(KERNELRELEASE)

dkms-remove:
	@[ "$$(id -u)" = 0 ] || { echo "dkms-remove: run as root" >&2; exit 1; }
	$(pkg_not_packaged)
	if dkms status -m sdp_toa -v $(PKG_VERSION) | grep -q .; then \
		dkms remove -m sdp_toa -v $(PKG_VERSION) --all; fi
	rm -rf /usr/src/sdp_toa-$(PKG_VERSION)

check-packaging:
	$(pkg_top)/packaging/test.sh

.DEFAULT_GOAL := $(pkg_default_goal)
