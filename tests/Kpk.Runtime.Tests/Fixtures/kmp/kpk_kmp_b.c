// Needs kpk_kmp_a's export: it can only be linked where kpk_kmp_a is.
#include <linux/module.h>

extern int kpk_kmp_value(int);

static int __init kpk_kmp_b_init(void) { return kpk_kmp_value(-1); }
module_init(kpk_kmp_b_init);
MODULE_LICENSE("GPL");
MODULE_INFO(supported, "yes");
