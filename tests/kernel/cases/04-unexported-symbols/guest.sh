expect "before: /proc/self/personality is one number" "$(cat /proc/self/personality)" '^[0-9a-f]{8}$'
load kpk_unexported
expect "patched: unexported globals and a static function are reached" "$(cat /proc/self/personality)" '^[0-9a-f]{8} kpk-4 threads=[1-9][0-9]* running=[1-9][0-9]* patch_state=-1$'
disable kpk_unexported
expect "disabled: one number again" "$(cat /proc/self/personality)" '^[0-9a-f]{8}$'
unload kpk_unexported
