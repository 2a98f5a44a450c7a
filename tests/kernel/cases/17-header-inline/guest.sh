# LOAD_INT of include/linux/sched/loadavg.h is used by fs/proc/loadavg.o and kernel/sched/build_utility.o (psi.c).
expect "before: /proc/loadavg starts below 10" "$(cat /proc/loadavg)" '^[0-9]\.[0-9]+ '
expect "before: /proc/pressure/cpu averages below 10" "$(head -1 /proc/pressure/cpu)" ' avg10=[0-9]\.[0-9]+ '
load kpk_loadavg
expect "patched: /proc/loadavg gained 40" "$(cat /proc/loadavg)" '^4[0-9]\.[0-9]+ 4[0-9]\.[0-9]+ 4[0-9]\.[0-9]+ '
expect "patched: /proc/pressure/cpu gained 40" "$(head -1 /proc/pressure/cpu)" ' avg10=4[0-9]\.[0-9]+ avg60=4[0-9]\.'
disable kpk_loadavg
expect "disabled: /proc/loadavg below 10 again" "$(cat /proc/loadavg)" '^[0-9]\.[0-9]+ '
expect "disabled: /proc/pressure/cpu below 10 again" "$(head -1 /proc/pressure/cpu)" ' avg10=[0-9]\.[0-9]+ '
unload kpk_loadavg
