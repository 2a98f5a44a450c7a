// A module package's module: exports a symbol and imports some of vmlinux's (kfree among them).
#include <linux/module.h>
#include <linux/slab.h>

int kpk_kmp_value(int x) { return x + 1; }
EXPORT_SYMBOL(kpk_kmp_value);

static int __init kpk_kmp_a_init(void)
{
	void *p = kmalloc(16, GFP_KERNEL);
	kfree(p);
	return 0;
}
static void __exit kpk_kmp_a_exit(void) {}
module_init(kpk_kmp_a_init);
module_exit(kpk_kmp_a_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(supported, "external");
