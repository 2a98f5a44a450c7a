load kpk_callbacks
expect "patched: /proc/version ends with kpk-6" "$(tail -n 1 /proc/version)" '^kpk-6$'
expect "pre_patch then post_patch ran on load" "$(dmesg | grep -o 'kpk-6: [a-z_]* vmlinux' | tr '\n' ' ')" '^kpk-6: pre_patch vmlinux kpk-6: post_patch vmlinux $'
disable kpk_callbacks
expect "pre_unpatch then post_unpatch ran on disable" "$(dmesg | grep -o 'kpk-6: [a-z_]* vmlinux' | tr '\n' ' ')" 'post_patch vmlinux kpk-6: pre_unpatch vmlinux kpk-6: post_unpatch vmlinux $'
expect_not "disabled: /proc/version is back" "$(cat /proc/version)" 'kpk-6'
unload kpk_callbacks
