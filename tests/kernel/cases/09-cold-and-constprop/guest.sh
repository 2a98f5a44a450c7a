last_drop() { echo 1 > /proc/sys/vm/drop_caches; dmesg | grep 'drop_caches:' | tail -n 1; }
expect "before: drop_caches logs the plain message" "$(last_drop)" 'drop_caches: 1$'
load kpk_cold
expect "patched: the message from the .cold part changed" "$(last_drop)" 'drop_caches: 1 \(kpk-9\)$'
disable kpk_cold
expect "disabled: the plain message again" "$(last_drop)" 'drop_caches: 1$'
unload kpk_cold

v=/sys/devices/system/cpu/vulnerabilities
expect "before: meltdown" "$(cat $v/meltdown)" '^Not affected$'
expect "before: spectre_v1" "$(cat $v/spectre_v1)" '^Mitigation: .*[a-z]$'
load kpk_constprop
expect "patched: meltdown through cpu_show_common.constprop" "$(cat $v/meltdown)" '^Not affected \(kpk-9\)$'
expect "patched: spectre_v1 through cpu_show_common.constprop" "$(cat $v/spectre_v1)" '^Mitigation: .* \(kpk-9\)$'
disable kpk_constprop
expect "disabled: meltdown" "$(cat $v/meltdown)" '^Not affected$'
unload kpk_constprop
