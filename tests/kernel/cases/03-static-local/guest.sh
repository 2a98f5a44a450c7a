expect "before: /proc/uptime has two numbers" "$(cat /proc/uptime)" '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$'
load kpk_static_local
expect "patched: first read counts 1" "$(cat /proc/uptime)" ' reads=1$'
expect "patched: second read counts 2" "$(cat /proc/uptime)" ' reads=2$'
expect "patched: third read counts 3" "$(cat /proc/uptime)" ' reads=3$'
disable kpk_static_local
expect "disabled: /proc/uptime has two numbers again" "$(cat /proc/uptime)" '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$'
unload kpk_static_local
