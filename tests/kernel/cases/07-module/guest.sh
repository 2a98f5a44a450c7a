# The module is loaded before the patch...
load kobject-example
echo 42 > /sys/kernel/kobject_example/foo
expect "before: foo shows 42" "$(cat /sys/kernel/kobject_example/foo)" '^42$'
load kpk_module
expect "patched: foo shows kpk-7 42" "$(cat /sys/kernel/kobject_example/foo)" '^kpk-7 42$'
disable kpk_module
expect "disabled: foo shows 42 again" "$(cat /sys/kernel/kobject_example/foo)" '^42$'
unload kpk_module
unload kobject_example
# ...and loaded after it: the kernel patches it as it comes.
load kpk_module
expect "the patch waits for the module" "$(cat /sys/kernel/livepatch/kpk_module/kobject_example/patched)" '^0$'
load kobject-example
expect "late load: the module came in patched" "$(cat /sys/kernel/livepatch/kpk_module/kobject_example/patched)" '^1$'
expect "late load: foo shows kpk-7 0" "$(cat /sys/kernel/kobject_example/foo)" '^kpk-7 0$'
disable kpk_module
expect "disabled: foo shows 0" "$(cat /sys/kernel/kobject_example/foo)" '^0$'
unload kpk_module
unload kobject_example
