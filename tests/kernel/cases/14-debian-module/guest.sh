# A function of a module of Debian's package, patched while the module is loaded...
load binfmt_misc
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
expect "before: binfmt_misc's status says enabled" "$(cat /proc/sys/fs/binfmt_misc/status)" '^enabled$'
load kpk_binfmt
expect "patched: the status says enabled kpk" "$(cat /proc/sys/fs/binfmt_misc/status)" '^enabled kpk$'
disable kpk_binfmt
expect "disabled: the status says enabled again" "$(cat /proc/sys/fs/binfmt_misc/status)" '^enabled$'
unload kpk_binfmt
umount /proc/sys/fs/binfmt_misc
unload binfmt_misc
# ...and loaded after the patch: the kernel patches it as it comes.
load kpk_binfmt
expect "the patch waits for binfmt_misc" "$(cat /sys/kernel/livepatch/kpk_binfmt/binfmt_misc/patched)" '^0$'
load binfmt_misc
expect "late load: binfmt_misc came in patched" "$(cat /sys/kernel/livepatch/kpk_binfmt/binfmt_misc/patched)" '^1$'
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
expect "late load: the status says enabled kpk" "$(cat /proc/sys/fs/binfmt_misc/status)" '^enabled kpk$'
umount /proc/sys/fs/binfmt_misc
disable kpk_binfmt
unload kpk_binfmt
unload binfmt_misc
