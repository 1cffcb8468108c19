#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packaging and documentation: one version everywhere, the license, the man
# pages (no groff warning; every command, option, keyword, JSON key, drop and
# event reason and feature of the code in them), make install / uninstall,
# the systemd unit (systemd-analyze verify) and its boot script, bash
# completion, and the Debian package built from a copy of the tree.
# No namespace or BPF object is created.

ALL_TESTS="
	version_one_place
	license
	man_warnings
	man_coverage
	install_uninstall
	unit_verify
	boot_script
	completion
	deb_package
"

source "$(dirname "$0")/../lib.sh"

ROOT=$XVT_ROOT
VERSION=$(cat "$ROOT/VERSION")
# the map ABI the tools report (include/xvtep.h)
ABI=$(sed -n "s/^#define XVTEP_ABI_VERSION\t*\([0-9]*\).*/\1/p" "$ROOT/include/xvtep.h")
MAN_LOADER=$ROOT/loader/xvtep-loader.8
MAN_CTL=$ROOT/cli/xvtepctl.8
# Exactly what `make install DESTDIR=D PREFIX=/usr` puts under D.
INSTALL_LIST="usr/lib/systemd/system/xvtep.service
usr/lib/systemd/system/xvtepd.service
usr/lib/xvtep/xvtep-boot
usr/lib/xvtep/xvtep.bpf.o
usr/sbin/xvtep-loader
usr/sbin/xvtepctl
usr/sbin/xvtepd
usr/share/bash-completion/completions/xvtep-loader
usr/share/bash-completion/completions/xvtepctl
usr/share/doc/xvtep/examples/xvtep.batch
usr/share/doc/xvtep/examples/xvtep.conf
usr/share/man/man8/xvtep-loader.8
usr/share/man/man8/xvtepctl.8
usr/share/man/man8/xvtepd.8"

# man_text FILE : the page as plain text, one paragraph a line (no hyphenation)
man_text()
{
	LC_ALL=C MANWIDTH=4000 man -l "$1" 2>/dev/null | col -b
}

# stage NAME : `make install PREFIX=/usr` of the work tree's build into a new
# directory under XVT_TMP (the exit trap removes it), named in STAGED
stage()
{
	STAGED=$(mktemp -d "$XVT_TMP/$1.XXXXXX")
	make -C "$ROOT" -s install DESTDIR="$STAGED" PREFIX=/usr >"$STAGED.log" 2>&1 && return 0
	check_fail "$1: make install" "$(tail -n 5 "$STAGED.log")"
	return 1
}

version_one_place()
{
	local T=version_one_place v
	check_match "$T: VERSION is a version" "$VERSION" '[0-9]*.[0-9]*.[0-9]*'
	check_eq "$T: xvtepctl --version" "$("$CTL" --version)" "xvtepctl (xvtep) $VERSION, ABI $ABI"
	check_eq "$T: xvtepctl -V" "$("$CTL" -V | awk '{print $3}')" "$VERSION,"
	check_eq "$T: xvtep-loader --version" "$("$LOADER" --version)" "xvtep-loader (xvtep) $VERSION, ABI $ABI"
	check_eq "$T: xvtep-loader -V" "$("$LOADER" -V | awk '{print $3}')" "$VERSION,"
	v=$(cd "$ROOT" && dpkg-parsechangelog -S Version)
	check_eq "$T: debian/changelog" "${v%%-*}" "$VERSION"
	check_eq "$T: CHANGELOG.md's newest release" \
		"$(grep -m1 -oE '^## \[[0-9][^]]*\]' "$ROOT/CHANGELOG.md")" "## [$VERSION]"
	make -C "$ROOT" -s build/man/xvtepctl.8 build/man/xvtep-loader.8 >/dev/null 2>&1
	check_eq "$T: man pages" \
		"$(grep -h '^\.TH' "$ROOT/build/man/xvtepctl.8" "$ROOT/build/man/xvtep-loader.8" | grep -c "\"xvtep $VERSION\"")" 2
}

license()
{
	local T=license ids
	check "$T: LICENSE is the GPL-2.0 text" cmp "$ROOT/LICENSE" /usr/share/common-licenses/GPL-2
	ids=$(cd "$ROOT" && git grep -h SPDX-License-Identifier -- ':!tests/integration/packaging.sh' |
		grep -oE 'SPDX-License-Identifier: [^ *]+' | awk '{print $2}' | sort -u | tr '\n' ' ')
	check_eq "$T: every SPDX header names GPL-2.0" "$ids" "GPL-2.0 "
}

# groff's warnings as man-db reports them: none for the pages in the tree and
# for the generated ones
man_warnings()
{
	local T=man_warnings f out
	make -C "$ROOT" -s build/man/xvtepctl.8 build/man/xvtep-loader.8 >/dev/null 2>&1
	for f in "$MAN_LOADER" "$MAN_CTL" "$ROOT/build/man/xvtep-loader.8" "$ROOT/build/man/xvtepctl.8"; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		check_eq "$T: ${f#"$ROOT"/}" "$out" ""
	done
}

# check_words NAME TEXT HOW WORD... : every WORD is in TEXT; HOW is "word"
# (anywhere, as a word) or "term" (a term the page defines: a tagged
# paragraph's tag, the line starts with it)
check_words()
{
	local name=$1 text=$2 how=$3 w missing=()
	shift 3
	for w in "$@"; do
		if [ "$how" = term ]; then
			grep -qE "^ +$w( |$)" <<<"$text" || missing+=("$w")
		else
			grep -qwF -- "$w" <<<"$text" || missing+=("$w")
		fi
	done
	if [ $# -eq 0 ]; then
		check_fail "$name" "none found in the code (has its format changed?)"
	elif [ ${#missing[@]} -eq 0 ]; then
		check_pass "$name"
	else
		check_fail "$name" "not in the man page (as a $how): ${missing[*]}"
	fi
}

# names_table ARRAY : the strings of a name table in include/xvtep.h
names_table()
{
	sed -n "/ $1\[/,/^};/p" "$ROOT/include/xvtep.h" | grep -oE '= "[a-z_]+"' | tr -d '=" '
}

# json_keys FILE... : the keys the tools write (literals and pin-name constants)
json_keys()
{
	local c
	grep -ohE '(_field|json_[a-z_]+)\([a-z>-]+, "[a-z_]+"' "$@" | grep -oE '"[a-z_]+"' | tr -d '"'
	for c in $(grep -ohE 'json_(link|prog)\(jw, XVTEP_[A-Z_]+' "$@" | grep -oE 'XVTEP_[A-Z_]+'); do
		grep -hE "#define $c\s" "$ROOT/include/xvtep.h" | grep -oE '"[a-z_]+"' | tr -d '"'
	done
}

man_coverage()
{
	local T=man_coverage ctl loader usage cmds kws opts
	ctl=$(man_text "$MAN_CTL")
	loader=$(man_text "$MAN_LOADER")

	# xvtepctl: the usage's commands ("OBJECT COMMAND"), keywords and options
	usage=$("$CTL" help)
	cmds=$(grep -oE '(xvtepctl|\|) +(vni|port|fdb|stats|mirror|peer)( (add|set|del|show|flush))?' <<<"$usage" |
		sed -E 's/^(xvtepctl|\|) +//' | sort -u)
	local missing=() c
	while read -r c; do
		[ -n "$c" ] && ! grep -qF "xvtepctl $c" <<<"$ctl" && missing+=("$c")
	done <<<"$cmds"
	if [ -z "$cmds" ]; then
		check_fail "$T: xvtepctl commands" "none parsed from xvtepctl help"
	elif [ ${#missing[@]} -eq 0 ]; then
		check_pass "$T: xvtepctl commands in the synopsis"
	else
		check_fail "$T: xvtepctl commands in the synopsis" "missing: ${missing[*]}"
	fi
	check_words "$T: xvtepctl objects" "$ctl" word \
		$(grep -oE 'OBJECT := \{[^}]*\}' <<<"$usage" | grep -oE '[a-z]+')
	# keywords and values: the lower-case words of the command lines
	kws=$(grep -E '^ +(xvtepctl|[[(])' <<<"$usage" | sed -E 's/ {2,}\(.*\)$//' |
		grep -oE '(^|[^A-Za-z0-9_/-])[a-z][a-z0-9-]*' | grep -oE '[a-z][a-z0-9-]*' | sort -u)
	# shellcheck disable=SC2086
	check_words "$T: xvtepctl keywords" "$ctl" word $kws
	opts=$( (grep -oE '(^|[ ,])-{1,2}[a-zA-Z][a-z-]*' <<<"$usage"
		sed -n '/^static int parse_globals/,/^}/p' "$ROOT/cli/main.c" |
			grep -oE '"-{1,2}[a-zA-Z][a-z-]*"') | grep -oE -- '-{1,2}[a-zA-Z][a-z-]*' | sort -u)
	# shellcheck disable=SC2086
	check_words "$T: xvtepctl options" "$ctl" word $opts

	# xvtep-loader: usage words, getopt's long and short options
	usage=$("$LOADER" --help)
	kws=$(grep -E '^(Usage:| +xvtep-loader| +\[)' <<<"$usage" | sed 's/^Usage://' |
		grep -oE '(^|[^A-Za-z0-9_/-])[a-z][a-z0-9-]*' | grep -oE '[a-z][a-z0-9-]*' | sort -u)
	# shellcheck disable=SC2086
	check_words "$T: xvtep-loader commands and values" "$loader" word $kws
	opts=$( (grep -oE '(^|[ ,\[])-{1,2}[a-zA-Z][a-z-]*' <<<"$usage"
		grep -ohE '\{ "[a-z-]+", +(required|no)_argument' "$ROOT"/loader/*.c |
			grep -oE '"[a-z-]+"' | tr -d '"' | sed 's/^/--/'
		grep -ohE 'getopt_long\(argc, argv, "[^"]*"' "$ROOT"/loader/*.c |
			sed -E 's/.*"(.*)"/\1/' | tr -d ':' | grep -oE '.' | sed 's/^/-/') |
		grep -oE -- '-{1,2}[a-zA-Z][a-z-]*' | sort -u)
	# shellcheck disable=SC2086
	check_words "$T: xvtep-loader options" "$loader" word $opts

	# names the counters and status use: each a term defined on the page
	# shellcheck disable=SC2046
	check_words "$T: drop reasons (xvtep_drop_names)" "$ctl" term $(names_table xvtep_drop_names)
	# shellcheck disable=SC2046
	check_words "$T: events (xvtep_event_names)" "$ctl" term $(names_table xvtep_event_names)
	# shellcheck disable=SC2046
	check_words "$T: mirror drop reasons (xvtep_mdrop_names)" \
		"$(sed -n '/Mirror drop reasons/,/^[A-Z]/p' <<<"$ctl")" term $(names_table xvtep_mdrop_names)
	# shellcheck disable=SC2046
	check_words "$T: kernel features (lib/features.c)" "$loader" term \
		$(grep -oE '\{ XVTEP_FEAT_[A-Z0-9_]+, "[a-z0-9-]+"' "$ROOT/lib/features.c" | grep -oE '"[a-z0-9-]+"' | tr -d '"')
	check_words "$T: XVTEP_FEATURES_OFF" "$loader" word \
		$(grep -ohE '"XVTEP_[A-Z_]+"' "$ROOT/lib/xvtep_lib.h" | tr -d '"')

	# JSON keys
	# shellcheck disable=SC2046
	check_words "$T: xvtepctl JSON keys" "$ctl" word $(json_keys "$ROOT"/cli/*.c | sort -u)
	# shellcheck disable=SC2046
	check_words "$T: xvtep-loader status JSON keys" "$loader" word \
		$(json_keys "$ROOT"/loader/*.c | sort -u)

	missing=()
	for c in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' FILES EXAMPLES 'SEE ALSO'; do
		grep -qx "$c" <<<"$ctl" && grep -qx "$c" <<<"$loader" || missing+=("$c")
	done
	check_eq "$T: sections NAME ... SEE ALSO in both pages" "${missing[*]}" ""
}

install_uninstall()
{
	local T=install_uninstall d got
	stage $T || return
	d=$STAGED
	got=$(cd "$d" && find . -not -type d | sed 's|^\./||' | sort)
	check_eq "$T: make install puts exactly the expected files" "$got" "$INSTALL_LIST"
	check_eq "$T: tools and boot script executable" \
		"$(stat -c %a "$d/usr/sbin/xvtep-loader" "$d/usr/sbin/xvtepctl" "$d/usr/lib/xvtep/xvtep-boot" | sort -u)" 755
	check_eq "$T: installed xvtepctl --version" "$("$d/usr/sbin/xvtepctl" --version | awk '{print $3}')" "$VERSION,"
	check_eq "$T: unit names the installed paths" \
		"$(grep -c '^Exec.*=/usr/lib/xvtep/xvtep-boot ' "$d/usr/lib/systemd/system/xvtep.service")" 3
	check_eq "$T: boot script names the installed tools" \
		"$(grep -cE '^(LOADER|CTL)=.*/usr/sbin/xvtep' "$d/usr/lib/xvtep/xvtep-boot")" 2
	# something of the operator's own is left alone
	echo keep >"$d/usr/share/doc/xvtep/examples/mine"
	make -C "$ROOT" -s uninstall DESTDIR="$d" PREFIX=/usr >"$XVT_TMP/uninstall.log" 2>&1
	check_eq "$T: make uninstall removes exactly what install put" \
		"$(cd "$d" && find . -not -type d | sed 's|^\./||')" "usr/share/doc/xvtep/examples/mine"
	rm -f "$d/usr/share/doc/xvtep/examples/mine"
	make -C "$ROOT" -s uninstall DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
	check_eq "$T: then no file and no xvtep directory is left" \
		"$(cd "$d" && find . -mindepth 1 \( -not -type d -o -name '*xvtep*' \))" ""
	rm -rf "$d"
}

# verify_unit ROOT UNIT_PATH : systemd-analyze verify of UNIT_PATH (inside ROOT,
# the installed tree: its ExecStart and man pages are checked there)
verify_unit()
{
	cp /lib/systemd/system/*.target "$1/${2%/*}/" 2>/dev/null
	MANPATH=$1/usr/share/man systemd-analyze verify --root="$1" "$2" 2>&1
	echo "rc=$?"
}

unit_verify()
{
	local T=unit_verify d out
	stage $T || return
	d=$STAGED
	out=$(verify_unit "$d" /usr/lib/systemd/system/xvtep.service)
	check_eq "$T: systemd-analyze verify xvtep.service: no complaint" "$out" "rc=0"
	# the check works: a unit whose script is missing is refused
	rm "$d/usr/lib/xvtep/xvtep-boot"
	out=$(verify_unit "$d" /usr/lib/systemd/system/xvtep.service)
	check_match "$T: verify refuses a missing ExecStart" "$out" "*xvtep-boot is not executable*rc=1"
	rm -rf "$d"
}

# A boot script run against stand-ins for the tools that log their arguments.
boot_script()
{
	local T=boot_script d out rc
	d=$(mktemp -d "$XVT_TMP/boot.XXXXXX")
	make -C "$ROOT" -s build/dist/xvtep-boot >/dev/null 2>&1
	for t in loader ctl; do
		printf '#!/bin/sh\necho "%s $*" >>%s/calls\n' "$t" "$d" >"$d/$t"
		chmod +x "$d/$t"
	done
	mkdir -p "$d/pin"
	cat >"$d/conf" <<-EOF
		XVTEP_UPLINK=ul0
		XVTEP_LOCAL=198.51.100.1
		XVTEP_DECAP=tc
		XVTEP_OPTIONS="--dstport 4790 --fdb-size 4096"
		XVTEP_PIN=$d/pin
		XVTEP_NETNS=h1
		XVTEP_BATCH=$d/batch
	EOF
	echo "vni add 100 remote 198.51.100.2" >"$d/batch"
	boot() { XVTEP_CONF=$d/conf XVTEP_LOADER=$d/loader XVTEP_CTL=$d/ctl bash "$ROOT/build/dist/xvtep-boot" "$@"; }

	rm -f "$d/calls"
	boot start >/dev/null
	check_eq "$T: start on a fresh pin dir: attach from the conf, then the batch" "$(cat "$d/calls")" \
"loader --pin $d/pin -n h1 attach --uplink ul0 --local 198.51.100.1 --decap tc --dstport 4790 --fdb-size 4096
ctl --pin $d/pin -n h1 -batch $d/batch"
	touch "$d/pin/xvtep_meta"
	rm -f "$d/calls"
	out=$(boot start)
	check_eq "$T: start over kept state: attach only" "$(cat "$d/calls")" \
		"loader --pin $d/pin -n h1 attach --uplink ul0 --local 198.51.100.1 --decap tc --dstport 4790 --fdb-size 4096"
	check_match "$T: start over kept state says so" "$out" "*batch not applied*"
	rm -f "$d/calls"
	boot reload >/dev/null
	check_eq "$T: reload attaches again" "$(cut -d' ' -f1,6 "$d/calls")" "loader attach"
	rm -f "$d/calls"
	out=$(boot stop)
	check_eq "$T: stop by default leaves the dataplane running" "$(cat "$d/calls" 2>/dev/null)" ""
	check_match "$T: and says so" "$out" "*keeps running*"
	echo XVTEP_DETACH_ON_STOP=yes >>"$d/conf"
	boot stop >/dev/null
	check_eq "$T: stop with XVTEP_DETACH_ON_STOP=yes detaches" "$(cat "$d/calls")" "loader --pin $d/pin -n h1 detach"
	rm -f "$d/calls"
	echo XVTEP_DETACH_ON_STOP=keep-maps >>"$d/conf"
	boot stop >/dev/null
	check_eq "$T: stop with keep-maps" "$(cat "$d/calls")" "loader --pin $d/pin -n h1 detach --keep-maps"
	rm -f "$d/calls"
	echo XVTEP_DETACH_ON_STOP=maybe >>"$d/conf"
	out=$(boot start 2>&1)
	rc=$?
	check_refused "$T: a bad XVTEP_DETACH_ON_STOP is refused at start" $rc "$out" "*must be yes, no or keep-maps*"
	check_eq "$T: ... before anything runs" "$(cat "$d/calls" 2>/dev/null)" ""
	echo XVTEP_DETACH_ON_STOP=no >>"$d/conf"
	echo XVTEP_UPLINK= >>"$d/conf"
	out=$(boot start 2>&1)
	rc=$?
	check_refused "$T: a conf without the uplink is refused" $rc "$out" "*XVTEP_UPLINK is not set*"
	rm -rf "$d"
}

# complete_words TOOL WORD... : what bash completion offers for the last WORD
complete_words()
{
	local tool=$1
	shift
	bash -c 'source /usr/share/bash-completion/bash_completion
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | grep -oE "\-F [^ ]+" | cut -d" " -f2)
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
		"$ROOT/dist/bash-completion/$tool" "$tool" "$@"
}

completion()
{
	local T=completion
	check_eq "$T: xvtepctl objects" "$(complete_words xvtepctl "")" \
		"fdb help metrics mirror monitor neigh peer port save stats vni "
	check_eq "$T: xvtepctl vni commands" "$(complete_words xvtepctl vni "")" "add del help replace set show "
	check_eq "$T: xvtepctl keywords not given yet" \
		"$(complete_words xvtepctl fdb add 02:00:00:00:00:01 vni 100 "")" "dev remote "
	check_eq "$T: xvtepctl port encap" "$(complete_words xvtepctl port set vm1 encap "")" "tc xdp "
	check_eq "$T: xvtep-loader commands" "$(complete_words xvtep-loader "")" "attach detach status "
	check_eq "$T: xvtep-loader --decap" "$(complete_words xvtep-loader attach --decap "")" "auto hybrid tc xdp "
}

# Build the .deb from a copy of the tree (dpkg-buildpackage writes to the
# parent directory), then look into it.
deb_package()
{
	local T=deb_package d src deb x out
	d=$(mktemp -d "$XVT_TMP/deb.XXXXXX")
	src=$d/xvtep-$VERSION
	mkdir -p "$src"
	tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
	if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
		>"$d/build.log" 2>&1; then
		check_fail "$T: dpkg-buildpackage -us -uc -b" "$(tail -n 8 "$d/build.log")"
		rm -rf "$d"
		return
	fi
	check_pass "$T: dpkg-buildpackage -us -uc -b"
	deb=$(ls "$d"/xvtep_"$VERSION"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		check_fail "$T: xvtep .deb" "not built: $(ls "$d")"
		rm -rf "$d"
		return
	fi
	check_eq "$T: package name and version" "$(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')" \
		"Package: xvtep Version: $VERSION "
	out=$(dpkg-deb -f "$deb" Depends)
	check_match "$T: Depends has the shared libraries (shlibs)" "$out" "*libbpf1*libc6*"
	check_match "$T: Depends has mount (xvtep-boot mounts bpffs)" "$out" "*mount*"
	check_match "$T: Recommends iproute2" "$(dpkg-deb -f "$deb" Recommends)" "*iproute2*"
	x=$d/root
	dpkg -x "$deb" "$x"
	check_eq "$T: xvtepctl --version from the package" \
		"$("$x/usr/sbin/xvtepctl" --version)" "xvtepctl (xvtep) $VERSION, ABI $ABI"
	check_eq "$T: xvtep-loader --version from the package" \
		"$("$x/usr/sbin/xvtep-loader" --version)" "xvtep-loader (xvtep) $VERSION, ABI $ABI"
	for f in usr/share/man/man8/xvtep-loader.8.gz usr/share/man/man8/xvtepctl.8.gz \
		lib/systemd/system/xvtep.service usr/lib/xvtep/xvtep-boot usr/lib/xvtep/xvtep.bpf.o \
		usr/share/bash-completion/completions/xvtepctl usr/share/bash-completion/completions/xvtep-loader \
		usr/share/doc/xvtep/examples/xvtep.conf usr/share/doc/xvtep/copyright; do
		check "$T: /$f in the package" test -s "$x/$f"
	done
	for f in "$x"/usr/share/man/man8/*.8.gz; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		check_eq "$T: man --warnings ${f##*/}" "$out" ""
	done
	check_eq "$T: the package's unit runs its own boot script" \
		"$(grep -c '^Exec.*=/usr/lib/xvtep/xvtep-boot ' "$x/lib/systemd/system/xvtep.service")" 3
	out=$(verify_unit "$x" /lib/systemd/system/xvtep.service)
	check_eq "$T: systemd-analyze verify on the package's unit" "$out" "rc=0"
	# dh_installsystemd: enabled on install, started only where systemd runs
	out=$(dpkg-deb -I "$deb" postinst)
	check_match "$T: postinst enables the unit (deb-systemd-helper)" "$out" "*deb-systemd-helper enable*xvtep.service*"
	check_match "$T: postinst starts it only under a running systemd" "$out" "*-d /run/systemd/system*deb-systemd-invoke*"
	rm -rf "$d"
}

tests_run
