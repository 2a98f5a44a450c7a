// Needs nothing kpk_kmp_a does: no supported tag, so SUSE kernels count it unsupported.
#include <linux/module.h>
#include <linux/printk.h>

static int __init kpk_kmp_c_init(void) { pr_info("kpk_kmp_c\n"); return 0; }
module_init(kpk_kmp_c_init);
MODULE_LICENSE("GPL");
