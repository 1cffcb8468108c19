# xvtep build. `make V=1` shows the commands.
OUTPUT    ?= build
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
XVTEP_LIBDIR ?= $(PREFIX)/lib/xvtep
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/xvtep
UNITDIR   ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
# The one place the version is stated: --version of both tools, the man pages.
XVTEP_VERSION := $(shell cat VERSION)
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)

CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 -D_GNU_SOURCE \
	     -Iinclude -Ilib -I$(OUTPUT) $(LIBBPF_CFLAGS) $(CPPFLAGS)
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux -Iinclude -Ibpf

BPF_SRCS  := bpf/xvtep.bpf.c
BPF_HDRS  := $(wildcard bpf/*.h bpf/*.c) include/xvtep.h
BPF_OBJS  := $(OUTPUT)/xvtep.bpf.o
SKELS     := $(OUTPUT)/xvtep.skel.h
LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(patsubst lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
LIB_HDRS  := $(wildcard lib/*.h) include/xvtep.h

LOADER    := $(OUTPUT)/xvtep-loader
CLI       := $(OUTPUT)/xvtepctl
AGENT     := $(OUTPUT)/xvtepd
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT      := $(OUTPUT)/tests/unit_tests

.PHONY: all tools clean install uninstall FORCE test unit integration bench bench-tools demo vmlinux fuzz fuzz-build
all: $(BPF_OBJS) $(SKELS) $(LOADER) $(CLI) $(AGENT) $(UNIT)

$(OUTPUT) $(OUTPUT)/lib $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(OUTPUT)/lib/%.o: lib/%.c $(LIB_HDRS) | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LOADER): $(wildcard loader/*.c loader/*.h) $(LIB_OBJS) $(SKELS) VERSION
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -DXVTEP_VERSION='"$(XVTEP_VERSION)"' $(filter %.c %.o,$^) \
		$(LDFLAGS) $(LIBBPF_LIBS) -o $@

$(CLI): $(wildcard cli/*.c cli/*.h) $(LIB_OBJS) $(SKELS) VERSION
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -DXVTEP_VERSION='"$(XVTEP_VERSION)"' $(filter %.c %.o,$^) \
		$(LDFLAGS) $(LIBBPF_LIBS) -o $@

$(AGENT): $(wildcard agent/*.c agent/*.h) $(LIB_OBJS) VERSION
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -DXVTEP_VERSION='"$(XVTEP_VERSION)"' $(filter %.c %.o,$^) \
		$(LDFLAGS) $(LIBBPF_LIBS) -o $@

$(UNIT): $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(LIB_OBJS) $(SKELS) | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(filter %.c %.o,$^) $(LIBBPF_LIBS) -o $@

# libFuzzer target (clang + libclang-rt-14-dev); not part of `all`.
FUZZ      := $(OUTPUT)/tests/fuzz_dataplane
FUZZ_TIME ?= 600
$(FUZZ): tests/fuzz/fuzz_dataplane.c $(LIB_OBJS) $(SKELS) include/xvtep.h | $(OUTPUT)/tests
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address -Wall -Werror -Iinclude -Ilib -I$(OUTPUT) \
		$(LIBBPF_CFLAGS) $< $(LIB_OBJS) $(LIBBPF_LIBS) -o $@

fuzz-build: $(FUZZ)

# A long run (`make test` does a 60 s one); FUZZ_TIME in seconds.
fuzz: $(FUZZ)
	$(Q)FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh

# vmlinux.h is committed; regenerate it from the running kernel's BTF.
vmlinux:
	$(call msg,GEN,vmlinux/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# What `make install` puts in place (and `make uninstall` removes): the
# tools, the BPF object, man pages, the systemd unit and its boot script,
# bash completion, example configuration. DESTDIR stages a package.
MANS      := $(OUTPUT)/man/xvtep-loader.8 $(OUTPUT)/man/xvtepctl.8 $(OUTPUT)/man/xvtepd.8
DIST_GEN  := $(OUTPUT)/dist/xvtep.service $(OUTPUT)/dist/xvtep-boot $(OUTPUT)/dist/xvtepd.service
INSTALLED := $(SBINDIR)/xvtep-loader $(SBINDIR)/xvtepctl $(SBINDIR)/xvtepd \
	     $(XVTEP_LIBDIR)/xvtep.bpf.o $(XVTEP_LIBDIR)/xvtep-boot \
	     $(MANDIR)/man8/xvtep-loader.8 $(MANDIR)/man8/xvtepctl.8 $(MANDIR)/man8/xvtepd.8 \
	     $(UNITDIR)/xvtep.service $(UNITDIR)/xvtepd.service \
	     $(BASHCOMPDIR)/xvtep-loader $(BASHCOMPDIR)/xvtepctl \
	     $(DOCDIR)/examples/xvtep.conf $(DOCDIR)/examples/xvtep.batch
# Directories of xvtep's own, removed by uninstall once empty.
OWN_DIRS  := $(DOCDIR)/examples $(DOCDIR) $(XVTEP_LIBDIR)

# Substitutions for the files that name paths or the version.
SUBST = sed -e 's|@VERSION@|$(XVTEP_VERSION)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	    -e 's|@XVTEP_LIBDIR@|$(XVTEP_LIBDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

$(OUTPUT)/man $(OUTPUT)/dist:
	$(Q)mkdir -p $@

$(OUTPUT)/man/xvtep-loader.8: loader/xvtep-loader.8 VERSION | $(OUTPUT)/man
	$(call msg,GEN,$@)
	$(Q)$(SUBST) $< > $@

$(OUTPUT)/man/xvtepctl.8: cli/xvtepctl.8 VERSION | $(OUTPUT)/man
	$(call msg,GEN,$@)
	$(Q)$(SUBST) $< > $@

$(OUTPUT)/man/xvtepd.8: agent/xvtepd.8 VERSION | $(OUTPUT)/man
	$(call msg,GEN,$@)
	$(Q)$(SUBST) $< > $@

# Paths are baked in: a rebuild with another PREFIX must regenerate them.
$(OUTPUT)/dist/%: dist/%.in VERSION FORCE | $(OUTPUT)/dist
	$(call msg,GEN,$@)
	$(Q)$(SUBST) $< > $@.tmp && mv $@.tmp $@

FORCE:

# The installed set: no unit tests.
tools: $(BPF_OBJS) $(LOADER) $(CLI) $(AGENT) $(MANS) $(DIST_GEN)

install: tools
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(XVTEP_LIBDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples
	$(Q)install -m 0755 $(LOADER) $(CLI) $(AGENT) $(DESTDIR)$(SBINDIR)/
	$(Q)install -m 0644 $(BPF_OBJS) $(DESTDIR)$(XVTEP_LIBDIR)/
	$(Q)install -m 0755 $(OUTPUT)/dist/xvtep-boot $(DESTDIR)$(XVTEP_LIBDIR)/
	$(Q)install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 0644 $(OUTPUT)/dist/xvtep.service $(OUTPUT)/dist/xvtepd.service \
		$(DESTDIR)$(UNITDIR)/
	$(Q)install -m 0644 dist/bash-completion/xvtep-loader dist/bash-completion/xvtepctl \
		$(DESTDIR)$(BASHCOMPDIR)/
	$(Q)install -m 0644 dist/xvtep.conf dist/xvtep.batch $(DESTDIR)$(DOCDIR)/examples/

# Removes exactly what install put (shared directories stay).
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)for d in $(addprefix $(DESTDIR),$(OWN_DIRS)); do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done

# The README's test command: unit + integration, one closing "N passed, N failed"
# line. No dependency on `all`: tests/run.sh installs missing packages, then builds.
test:
	$(Q)tests/run.sh

unit:
	$(Q)tests/run.sh unit

integration:
	$(Q)tests/run.sh integration

demo:
	$(Q)./demo.sh

# Benchmark helpers (bench/ only): BPF generator/sinks/cost programs and the C driver.
BENCH_OUT  := $(OUTPUT)/bench
BENCH_OBJS := $(patsubst bench/%.bpf.c,$(BENCH_OUT)/%.bpf.o,$(wildcard bench/*.bpf.c))
BENCH_BIN  := $(BENCH_OUT)/xvb

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_OUT)/%.bpf.o: bench/%.bpf.c $(BPF_HDRS) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_BIN): bench/xvb.c include/xvtep.h | $(BENCH_OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIBBPF_LIBS) -lpthread -o $@

bench-tools: $(BENCH_OBJS) $(BENCH_BIN)

# On a fresh machine the bench's own packages come first (scripts/deps.sh).
bench:
	$(Q)scripts/deps.sh --bench
	$(Q)$(MAKE) --no-print-directory all bench-tools
	$(Q)bench/run.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)
