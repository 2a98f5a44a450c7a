expect "before: /proc/cmdline is the command line" "$(cat /proc/cmdline)" 'loglevel=4$'
load kpk_proc_string
expect "patched: /proc/cmdline ends with kpk=1" "$(cat /proc/cmdline)" 'loglevel=4 kpk=1$'
disable kpk_proc_string
expect "disabled: /proc/cmdline is the command line again" "$(cat /proc/cmdline)" 'loglevel=4$'
unload kpk_proc_string
