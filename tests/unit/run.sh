#!/bin/bash
# Unit tests: BPF_PROG_TEST_RUN on the real object inside a throwaway netns
# (tests/unit/netns.sh), so fib lookups, devmap entries and clone redirects
# see real devices.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ns=xvt-unit-$$
bin=${UNIT_BIN:-$top/build/tests/unit_tests}

source "$top/tests/unit/netns.sh"
unit_netns "$ns" || { echo "FAIL: unit: setup: cannot create netns $ns"; exit 1; }
nsenter --net=/run/netns/"$ns" "$bin" "$@"
