expect_not "before: /proc/version has no kpk line" "$(cat /proc/version)" 'kpk-2'
load kpk_new_function
expect "patched: the new function prints its line" "$(tail -n 1 /proc/version)" '^kpk-2: from a new function$'
expect "patched: the banner is still there" "$(head -n 1 /proc/version)" '^Linux version '
disable kpk_new_function
expect_not "disabled: the line is gone" "$(cat /proc/version)" 'kpk-2'
unload kpk_new_function
