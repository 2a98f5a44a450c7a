# kpk itself, on the running kernel: the runtime verbs against real livepatch sysfs.
export HOME=/tmp DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
k() { /bin/kpk "$@" 2>&1; echo "exit=$?"; }

expect "kpk info reads the tarball" "$(k info /modules/kpk-rta.tar.gz | tr '\n' ' ')" 'kpk_rt_a.*cmdline_proc_show.*exit=0'
expect "kpk list: nothing loaded" "$(k list | tr '\n' ' ')" 'exit=0'
expect "kpk apply A" "$(k apply /modules/kpk-rta.tar.gz | tr '\n' ' ')" 'exit=0 $'
expect "A is live: /proc/cmdline ends with kpk=13a" "$(cat /proc/cmdline)" ' kpk=13a$'
expect "kpk list shows A" "$(k list | tr '\n' ' ')" 'kpk_rt_a.*exit=0'
expect "kpk apply A again is refused" "$(k apply /modules/kpk-rta.tar.gz | tr '\n' ' ')" 'exit=[1-9]'
expect "kpk apply B (atomic replace)" "$(k apply /modules/kpk-rtb.tar.gz | tr '\n' ' ')" 'exit=0 $'
expect "B replaced A: /proc/cmdline ends with kpk=13b" "$(cat /proc/cmdline)" ' kpk=13b$'
expect "B patched /proc/version" "$(tail -n 1 /proc/version)" '^kpk=13b$'
expect "A's patch is gone from the kernel" "$(enabled kpk_rt_a)" '^gone$'
expect "kpk list --json shows B enabled" "$(k list --json | tr -d ' \n')" '"kpk_rt_b".*exit=0'
expect "kpk undo rtb (by id)" "$(k undo rtb | tr '\n' ' ')" 'exit=0 $'
expect "undone: /proc/cmdline is original" "$(cat /proc/cmdline)" 'loglevel=4$'
expect "undone: /proc/version is original" "$(tail -n 1 /proc/version)" '^Linux version '
expect "undone: B's module is unloaded" "$([ -d /sys/module/kpk_rt_b ] && echo loaded || echo unloaded)" '^unloaded$'
expect "kpk undo kpk_rt_a unloads the replaced module" "$(k undo kpk_rt_a | tr '\n' ' ')" 'exit=0 $'
expect "A's module is unloaded" "$([ -d /sys/module/kpk_rt_a ] && echo loaded || echo unloaded)" '^unloaded$'
expect "kpk undo of what is not there fails" "$(k undo kpk_rt_b | tr '\n' ' ')" 'exit=[1-9]'
