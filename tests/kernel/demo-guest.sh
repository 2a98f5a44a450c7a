# The guest half of `kpk demo`: show /proc/cmdline before, with and after the live patch.
show() { echo "DEMO $*"; }
show "\$ cat /proc/cmdline"
show "$(cat /proc/cmdline)"
show "\$ insmod kpk_demo.ko"
load kpk_demo
show "\$ cat /sys/kernel/livepatch/kpk_demo/enabled"
show "$(cat /sys/kernel/livepatch/kpk_demo/enabled)"
show "\$ cat /proc/cmdline"
show "$(cat /proc/cmdline)"
expect "patched" "$(cat /proc/cmdline)" 'live patched by kpk$'
show "\$ echo 0 > /sys/kernel/livepatch/kpk_demo/enabled; rmmod kpk_demo"
disable kpk_demo
unload kpk_demo
show "\$ cat /proc/cmdline"
show "$(cat /proc/cmdline)"
expect "reverted" "$(cat /proc/cmdline)" 'loglevel=4$'
