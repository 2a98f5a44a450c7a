expect "before: no read counter" "$(cat /proc/cmdline)" 'loglevel=4$'
load kpk_shadow
expect "patched: the shadow counter starts at 1" "$(cat /proc/cmdline)" 'loglevel=4 reads=1$'
expect "patched: the shadow counter is kept" "$(cat /proc/cmdline)" 'loglevel=4 reads=2$'
disable kpk_shadow
expect "disabled: no read counter" "$(cat /proc/cmdline)" 'loglevel=4$'
expect "the post-unpatch callback freed the shadow variables" "$(dmesg | grep kpk-5)" 'shadow variables freed'
unload kpk_shadow
