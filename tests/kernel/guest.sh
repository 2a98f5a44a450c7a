# Helpers for the cases' guest scripts (busybox sh). Results go to the serial console as
# "KPK-OK what" and "KPK-FAIL what: why"; the host counts them.

ok() { echo "KPK-OK $*"; }
fail() { echo "KPK-FAIL $*"; }

# expect WHAT ACTUAL REGEX: ACTUAL must match the extended regular expression.
expect() {
    if printf '%s\n' "$2" | grep -qE -- "$3"; then ok "$1"; else fail "$1: got '$2', wanted /$3/"; fi
}

# expect_not WHAT ACTUAL REGEX: ACTUAL must not match.
expect_not() {
    if printf '%s\n' "$2" | grep -qE -- "$3"; then fail "$1: got '$2', must not match /$3/"; else ok "$1"; fi
}

sysfs_name() { echo "$1" | tr - _; }

# wait_for CONDITION-COMMAND WHAT: polls for up to 30 s.
wait_for() {
    local i=0
    while ! eval "$1"; do
        i=$((i + 1))
        if [ $i -gt 150 ]; then fail "$2 (30 s passed)"; return 1; fi
        sleep 0.2
    done
}

# load MODULE: insmod /modules/MODULE.ko; for a live patch, wait for its transition to finish.
load() {
    if ! insmod "/modules/$1.ko" 2>/tmp/insmod.err; then fail "insmod $1: $(cat /tmp/insmod.err)"; return 1; fi
    local n; n=$(sysfs_name "$1")
    if [ -d "/sys/kernel/livepatch/$n" ]; then
        wait_for "[ \"\$(cat /sys/kernel/livepatch/$n/transition)\" = 0 ]" "transition of $n did not finish" && ok "$n loaded and its transition finished"
    else
        ok "$n loaded"
    fi
}

# load_fails MODULE: insmod must refuse.
load_fails() {
    if insmod "/modules/$1.ko" 2>/tmp/insmod.err; then fail "insmod $1 succeeded but must fail"; else ok "insmod $1 refused: $(cat /tmp/insmod.err)"; fi
}

# disable PATCH: echo 0 > enabled, wait until the kernel has reverted and freed the patch.
disable() {
    local n; n=$(sysfs_name "$1")
    if ! echo 0 > "/sys/kernel/livepatch/$n/enabled"; then fail "disabling $n"; return 1; fi
    wait_for "[ ! -d /sys/kernel/livepatch/$n ]" "$n did not go away after disabling" && ok "$n disabled"
}

# unload MODULE: rmmod.
unload() {
    if rmmod "$(sysfs_name "$1")" 2>/tmp/rmmod.err; then ok "rmmod $1"; else fail "rmmod $1: $(cat /tmp/rmmod.err)"; fi
}

enabled() { cat "/sys/kernel/livepatch/$(sysfs_name "$1")/enabled" 2>/dev/null || echo gone; }

# The kernel log must hold no warning, bug or oops from anything the case did.
check_dmesg() {
    local bad
    bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|livepatch: .*(failed|error)' | head -5)
    if [ -n "$bad" ]; then fail "dmesg shows: $bad"; else ok "dmesg has no warning, bug or oops"; fi
}
