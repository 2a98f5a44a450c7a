load kpk_stack_a
expect "A: /proc/cmdline ends with kpk=a" "$(cat /proc/cmdline)" ' kpk=a$'
load kpk_stack_b
expect "A+B: B's cmdline_proc_show is on top" "$(cat /proc/cmdline)" ' kpk=b$'
expect "A+B: B patched /proc/version" "$(tail -n 1 /proc/version)" '^kpk=b$'
expect "A+B: A is still enabled" "$(enabled kpk_stack_a)" '^1$'
load kpk_stack_c
expect "C replaced A and B: /proc/cmdline ends with kpk=c" "$(cat /proc/cmdline)" ' kpk=c$'
expect "C replaced A and B: /proc/version is original" "$(tail -n 1 /proc/version)" '^Linux version '
expect "C replaced A: A is gone" "$(enabled kpk_stack_a)" '^gone$'
expect "C replaced B: B is gone" "$(enabled kpk_stack_b)" '^gone$'
unload kpk_stack_a
unload kpk_stack_b
disable kpk_stack_c
expect "disabled: /proc/cmdline is original" "$(cat /proc/cmdline)" 'loglevel=4$'
unload kpk_stack_c
