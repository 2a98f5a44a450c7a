# c_next is fs/proc/consoles.c's and arch/x86/kernel/cpu/proc.c's: the right one must be replaced.
expect_not "before: /proc/consoles counts no steps" "$(cat /proc/consoles)" 'steps='
cpus=$(grep -c '^processor' /proc/cpuinfo)
load kpk_consoles
expect "patched: the first read shows steps=0" "$(cat /proc/consoles)" ' steps=0$'
expect "patched: the second read shows steps=1 (consoles' c_next ran once)" "$(cat /proc/consoles)" ' steps=1$'
expect "patched: /proc/cpuinfo (the other c_next) still lists every CPU" "$(grep -c '^processor' /proc/cpuinfo)" "^$cpus\$"
expect "patched: reading cpuinfo did not step consoles' counter" "$(cat /proc/consoles)" ' steps=2$'
disable kpk_consoles
expect_not "disabled: /proc/consoles counts no steps again" "$(cat /proc/consoles)" 'steps='
unload kpk_consoles
