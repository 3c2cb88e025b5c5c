# Ezio build entry points. `make test` is the README's (and CI's) test command.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
RID ?= linux-x64
OUT ?= out

# The .NET SDK global.json pins (rollForward latestFeature: that major.minor, this version or
# newer). Checked once, up front, so a fresh machine gets one line instead of
# "dotnet: No such file or directory"; goals that need no SDK skip it.
SDK_WANT := $(shell sed -n 's/.*"version": *"\([0-9.]*\)".*/\1/p' global.json)
NO_SDK_GOALS := clean boot-root bench-server shellcheck
ifneq ($(filter-out $(NO_SDK_GOALS),$(or $(MAKECMDGOALS),all)),)
SDK_OK := $(shell $(DOTNET) --list-sdks 2>/dev/null | awk -v want=$(SDK_WANT) '\
	BEGIN { split(want, w, ".") } { split($$1, h, "[.-]") } \
	h[1] == w[1] && h[2] == w[2] && (h[3] + 0 > w[3] + 0 || $$1 == want) { ok = 1 } END { print ok + 0 }')
ifneq ($(SDK_OK),1)
$(error the .NET SDK $(SDK_WANT) or a newer $(word 1,$(subst ., ,$(SDK_WANT))).$(word 2,$(subst ., ,$(SDK_WANT))).x is needed ($(DOTNET) --list-sdks; README "On a fresh machine" says how to install it))
endif
endif

.PHONY: all build test publish publish-server shellcheck check clean bench bench-disk bench-image bench-lan bench-os bench-zstd bench-server bench-routed bench-resize demo sim sim-calibrate

all: build

build:
	$(DOTNET) build Ezio.sln -c $(CONFIG) --nologo

# Builds the AOT binary first: interop tests drive the real `ezio` executable.
# Everything is built before the first test runs: the system tests start ezio-server from its
# build output, which no test project references.
test: publish
	$(DOTNET) build Ezio.sln -c $(CONFIG) --nologo
	EZIO_BIN=$(abspath $(OUT))/ezio $(DOTNET) test Ezio.sln -c $(CONFIG) --nologo --no-build

publish:
	$(DOTNET) publish src/Ezio/Ezio.csproj -c $(CONFIG) -r $(RID) -o $(OUT) --nologo -warnaserror

# ezio-server as Native AOT into $(OUT)/server (what the ezio-server package ships); trim and
# AOT warnings (the analyzers' and ILC's) are errors here. The check after it fails when the
# output is not a native executable (an IL ezio-server.dll next to an apphost means no AOT).
publish-server:
	$(DOTNET) publish src/Ezio.Server/Ezio.Server.csproj -c $(CONFIG) -r $(RID) -o $(OUT)/server --nologo -warnaserror
	@test ! -e $(OUT)/server/ezio-server.dll || { echo "publish-server: $(OUT)/server holds ezio-server.dll: not a Native AOT build" >&2; exit 1; }
	@head -c 4 $(OUT)/server/ezio-server | grep -q ELF || { echo "publish-server: $(OUT)/server/ezio-server is not an ELF executable" >&2; exit 1; }

# Every shell script in the repository (.ci/shell-scripts lists them) at severity warning:
# errors and warnings fail, info and style notes don't (quoting advice on deliberate word
# splitting, `a && b || c`). Known false positives are in .shellcheckrc.
SHELLCHECK ?= shellcheck
shellcheck:
	.ci/shell-scripts | xargs -d '\n' $(SHELLCHECK) -S warning

check: shellcheck build publish publish-server test

# Loopback pair benchmarks vs libtorrent (not part of `make test`): see bench/pair/.
bench: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/pair/run.sh
	EZIO_BIN=$(abspath $(OUT))/ezio bench/pair/rss.sh

clean:
	rm -rf $(OUT) src/*/bin src/*/obj tests/*/bin tests/*/obj

# Disk write path vs dd on a loop device (root; figures only, see bench/disk/run.sh).
bench-disk: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/disk/run.sh

bench: bench-disk bench-image

# Import speed and repository bytes vs Clonezilla's own slicing (SIZE_MIB of /usr copies, default 2048).
bench-image: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/image/run.sh
bench: bench-lan

# Ezio vs HTTP unicast vs udpcast vs libtorrent on an emulated LAN (root; see bench/run.sh).
# Shape it with NS="1 2 4" RATES=100mbit SIZE_MIB=32.
bench-lan: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/run.sh

# A debootstrap Debian (cached in out/bench-os) to N machines at RATE: Clonezilla's multicast
# of the zstd partclone image vs ezio (compressed pieces) vs libtorrent (root; bench/os/run.sh).
# Shape it with NS="1 2 4 8" RATE=50mbit VARIANT=minbase|full TOOLS="multicast ezio".
bench-os: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/os/run.sh
bench: bench-os

# zstd bindings on one core: libzstd (ZstdPieceCodec) vs ZstdSharp.Port on the bench-os pieces.
bench-zstd: publish
	EZIO_BIN=$(abspath $(OUT))/ezio bench/zstd/run.sh
bench: bench-zstd

# One image to disks of 0.6, 1 and 2 x its source in one swarm, against the same swarm on
# identical disks: time to the last machine done and bytes on the wire, mixed / identical,
# every disk checked (root; the real ezio-server and agents on bench/lan/lan.sh's LAN; see
# bench/resize/README.md). Shape it with N=3 RATE=50mbit SIZE_MIB=512 REPEAT=2 MIXED="0.6 1 2".
bench-resize: publish
	$(DOTNET) build src/Ezio.Server/Ezio.Server.csproj -c $(CONFIG) --nologo -v quiet
	EZIO_BIN=$(abspath $(OUT))/ezio bench/resize/run.sh
bench: bench-resize

# Swarm simulator (sim/README.md): the LAN's runs side by side with the simulated ones, then
# N = SIM_NS machines at 1 Gbit/s with a 10 GiB image (baseline, 1 % dying, 10:1 fast/slow
# links) into bench/results/sim-<timestamp>.csv.
SIM_NS ?= 16,64,256,1000
SIM_SCENARIOS ?= baseline,dying,mixed
sim-calibrate:
	$(DOTNET) run --project sim/Ezio.Sim -c $(CONFIG) -- calibrate
sim:
	$(DOTNET) run --project sim/Ezio.Sim -c $(CONFIG) -- questions --n $(SIM_NS) --scenarios $(SIM_SCENARIOS)

# Server soak: 300 simulated agents (register, progress every 2 s, 60 s) and an announce flood
# against one ezio-server; p99 of the agents' calls, failures, state size (bench/server/run.sh).
bench-server:
	bench/server/run.sh

# Two subnets behind a router with a shaped link: udpcast stops at the router; ezio-server's
# tracker with and without locality, bytes across the router in image copies, and a seeder
# killed mid-deployment (root; system/routed.sh; `make test` runs it with K=3 SIZE_MIB=8).
ROUTED_K ?= 8
ROUTED_MIB ?= 64
bench-routed: publish
	$(DOTNET) build src/Ezio.Server/Ezio.Server.csproj -c $(CONFIG) --nologo -v quiet
	EZIO_BIN=$(abspath $(OUT))/ezio K=$(ROUTED_K) SIZE_MIB=$(ROUTED_MIB) system/routed.sh

# The README's first command: a sample disk captured as an image, the real ezio-server and
# N machines running the real agent on an emulated LAN, every disk and boot menu checked
# (system/demo.sh; falls back to the loopback swarm demo/swarm.sh without root or namespaces).
# REFUSE="too-small mounted" adds machines whose disks must be refused.
N ?= 4
RATE ?= 100mbit
SIZE_MIB ?= 512
demo: publish
	$(DOTNET) build src/Ezio.Server/Ezio.Server.csproj -c $(CONFIG) --nologo -v quiet
	EZIO_BIN=$(abspath $(OUT))/ezio system/demo.sh $(N) $(RATE) $(SIZE_MIB)

# ---- Boot chain: live-build/, pxe/, initramfs-hooks/ (see live-build/README.md) ----
# IMAGE_EZIO: the binary baked into the images (default: publish out/ezio first).
IMAGE_EZIO ?= $(OUT)/ezio
LIVE_OUT ?= $(OUT)/boot/live
INITRD_AGENT_OUT ?= $(OUT)/boot/initrd-agent
BOOT_ROOT ?= $(OUT)/boot
SERVER_URL ?= http://10.0.0.1:8080
E2E_VARIANT ?= live
E2E_FIRMWARE ?= bios
E2E_LOADER ?=
E2E_DEPLOY ?= 1
SERVER_BIN ?= src/Ezio.Server/bin/$(CONFIG)/net10.0/ezio-server
boot_ezio_dep = $(if $(filter $(OUT)/ezio,$(IMAGE_EZIO)),publish)

.PHONY: image initrd-agent boot-root e2e-vm

# Debian bookworm live netboot image with the agent (root; ~15 min warm, see README).
# TRUSTED_PUB=key.pub or SIGNING_KEY=server-key.pem bakes /etc/ezio/trusted.pub in.
# SERVER_CERT_SHA256=$$(ezio-server cert-fingerprint) or SERVER_CERT=<state>/https-cert.pem
# pins the server's HTTPS certificate in /etc/ezio/agent.json.
image: $(boot_ezio_dep)
	EZIO_BIN=$(abspath $(IMAGE_EZIO)) LIVE_OUT=$(abspath $(LIVE_OUT)) nice -n 10 live-build/build.sh

# Kernel + a small initrd holding the AOT agent, no squashfs.
initrd-agent: $(boot_ezio_dep)
	nice -n 10 initramfs-hooks/mkinitrd-agent.sh --ezio $(abspath $(IMAGE_EZIO)) --out $(abspath $(INITRD_AGENT_OUT)) \
		$(if $(TRUSTED_PUB),--trusted-pub $(abspath $(TRUSTED_PUB))) \
		$(if $(SERVER_CERT_SHA256),--server-cert-sha256 $(SERVER_CERT_SHA256))

# TFTP/HTTP boot root: iPXE, GRUB EFI, PXELINUX, chain script, live image.
boot-root:
	pxe/boot-setup.sh --boot-root $(abspath $(BOOT_ROOT)) --server-url $(SERVER_URL) --live $(abspath $(LIVE_OUT))

# Manual VM proof (root, QEMU TCG, private network namespace); not part of `make test`.
# The whole loop with the real ezio-server: netboot, agent deploys a small bootable disk,
# menu flip, reboot, the deployed disk boots (E2E_DEPLOY=0: stop once the agent runs).
# E2E_VARIANT=live|initrd, E2E_FIRMWARE=bios|uefi|uefi-secureboot,
# E2E_LOADER=ipxe|grub|pxelinux|shim|httpboot (default ipxe; shim under uefi-secureboot;
# grub, shim, httpboot: UEFI; pxelinux: BIOS). uefi-secureboot with ipxe or grub (unsigned)
# is the negative test: it passes when the firmware refuses the loader.
# E2E_VARIANT=initrd builds the agent initrd first when it is missing (as ezio is published).
e2e-vm: $(if $(wildcard $(OUT)/ezio),,publish) \
	$(if $(filter initrd,$(E2E_VARIANT)),$(if $(and $(wildcard $(INITRD_AGENT_OUT)/vmlinuz),$(wildcard $(INITRD_AGENT_OUT)/initrd.img)),,initrd-agent))
	$(DOTNET) build src/Ezio.Server -c $(CONFIG) --nologo -v q
	EZIO_BIN=$(abspath $(OUT))/ezio EZIO_SERVER_BIN=$(abspath $(SERVER_BIN)) \
	LIVE_OUT=$(abspath $(LIVE_OUT)) INITRD_AGENT_OUT=$(abspath $(INITRD_AGENT_OUT)) \
		tests/boot/e2e-vm.sh --variant $(E2E_VARIANT) --firmware $(E2E_FIRMWARE) $(if $(E2E_LOADER),--loader $(E2E_LOADER)) \
		$(if $(filter 1,$(E2E_DEPLOY)),--deploy)

# ---- Debian packages: ezio, ezio-server, ezio-netboot (packaging/README.md) ----
# VERSION defaults to Directory.Build.props' <Version>; the binaries are published with it
# into $(DEB_OUT)/build (out/ezio and out/server stay as they are).
PROPS_VERSION := $(shell sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
VERSION ?= $(PROPS_VERSION)
DEB_OUT ?= $(OUT)/deb
DEB_BUILD = $(DEB_OUT)/build-$(VERSION)
# Only another version than the props' is passed on (the same one keeps the AOT builds incremental).
deb_version_flag = $(if $(filter-out $(PROPS_VERSION),$(VERSION)),-p:Version=$(VERSION))

.PHONY: deb deb-test

deb:
	$(DOTNET) publish src/Ezio/Ezio.csproj -c $(CONFIG) -r $(RID) -o $(DEB_BUILD)/ezio --nologo -warnaserror $(deb_version_flag)
	$(DOTNET) publish src/Ezio.Server/Ezio.Server.csproj -c $(CONFIG) -r $(RID) -o $(DEB_BUILD)/server --nologo -warnaserror $(deb_version_flag)
	$(MAKE) --no-print-directory initrd-agent IMAGE_EZIO=$(DEB_BUILD)/ezio/ezio INITRD_AGENT_OUT=$(DEB_BUILD)/initrd-agent
	packaging/build-deb.sh --version $(VERSION) --ezio $(DEB_BUILD)/ezio/ezio --server $(DEB_BUILD)/server \
		--initrd $(DEB_BUILD)/initrd-agent --out $(DEB_OUT)

# The packages end to end on this machine (root; it installs them and purges them again):
# lintian, apt install, ezio-server setup, the installed server as its own user deploying to
# two installed agents, upgrade to VERSION with its last number + 1 (the same binaries packed
# under that version: what is tested is dpkg's upgrade path), remove, purge
# (tests/packaging/deb-e2e.sh, ~5 min after the AOT builds). Not part of `make test`, which
# runs the fast checks (PackagingTests, SetupCommandTests).
DEB_NEXT = $(shell echo $(VERSION) | awk -F. -v OFS=. '{ $$NF += 1; print }')
deb-test:
	ZSTD_LEVEL=3 $(MAKE) --no-print-directory deb
	packaging/build-deb.sh --version $(DEB_NEXT) --ezio $(DEB_BUILD)/ezio/ezio --server $(DEB_BUILD)/server \
		--initrd $(DEB_BUILD)/initrd-agent --out $(DEB_OUT)
	tests/packaging/deb-e2e.sh $(DEB_OUT) $(VERSION) $(DEB_NEXT)
