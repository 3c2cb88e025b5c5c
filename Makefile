# Ezio build entry points. `make test` is the README's (and CI's) test command.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
RID ?= linux-x64
OUT ?= out

.PHONY: all build test publish check clean bench bench-disk bench-image bench-lan demo

all: build

build:
	$(DOTNET) build Ezio.sln -c $(CONFIG) --nologo

# Builds the AOT binary first: interop tests drive the real `ezio` executable.
test: publish
	EZIO_BIN=$(abspath $(OUT))/ezio $(DOTNET) test Ezio.sln -c $(CONFIG) --nologo

publish:
	$(DOTNET) publish src/Ezio/Ezio.csproj -c $(CONFIG) -r $(RID) -o $(OUT) --nologo -warnaserror

check: build publish test

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


# The README's first command: a server and N machines on an emulated LAN (system/demo.sh;
# falls back to the loopback swarm demo/swarm.sh without root or network namespaces).
N ?= 4
RATE ?= 100mbit
SIZE_MIB ?= 256
demo: publish
	EZIO_BIN=$(abspath $(OUT))/ezio system/demo.sh $(N) $(RATE) $(SIZE_MIB)
