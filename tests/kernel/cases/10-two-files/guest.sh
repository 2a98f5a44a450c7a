load kpk_two_files
expect "patched: /proc/cmdline ends with kpk=10" "$(cat /proc/cmdline)" ' kpk=10$'
expect "patched: /proc/version ends with kpk=10" "$(tail -n 1 /proc/version)" '^kpk=10$'
disable kpk_two_files
expect "disabled: /proc/cmdline is original" "$(cat /proc/cmdline)" 'loglevel=4$'
expect "disabled: /proc/version is original" "$(tail -n 1 /proc/version)" '^Linux version '
unload kpk_two_files
