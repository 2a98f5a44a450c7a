/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpk-patch.h: what a source patch for `kpk create` may use besides plain kernel code.
 * kpk puts this header on the include path of the patched build: #include <kpk-patch.h>.
 *
 * Callbacks run when the live patch is enabled or disabled for the object (vmlinux or a module)
 * whose source file declares them; see Documentation/livepatch/callbacks.rst:
 *
 *   static int my_pre_patch(struct klp_object *obj) { ... return 0; }   (non-zero refuses the patch)
 *   KPK_PRE_PATCH_CALLBACK(my_pre_patch);
 *
 * Changes that are not meant to be patched (a function that only changed as a side effect, a
 * section the compiler rebuilt) are named so the differ leaves them out:
 *
 *   KPK_IGNORE_FUNCTION(my_function);   KPK_IGNORE_SECTION(".data.unlikely");
 *
 * Patches written for kpatch-build may #include "kpatch-macros.h" instead (it sits beside this
 * header and maps kpatch's names onto these).
 *
 * Shadow variables (data added to existing structures) are the kernel's own klp_shadow_* API:
 * #include <linux/livepatch.h> and call klp_shadow_alloc(), klp_shadow_get(),
 * klp_shadow_free() from the patched functions; see Documentation/livepatch/shadow-vars.rst.
 */
#ifndef KPK_PATCH_H
#define KPK_PATCH_H

#include <linux/livepatch.h>

/*
 * Each macro stores a pointer to the callback in a section named after its kind; kpk's differ
 * keeps that section and the function, and the generated hook installs it in the klp_object.
 */
#define KPK_CALLBACK__(kind, ret, fn)                                               \
	static ret (*__kpk_cb_##kind)(struct klp_object *)                          \
		__attribute__((used, section(".kpk.callbacks." #kind))) = fn

#define KPK_PRE_PATCH_CALLBACK(fn)    KPK_CALLBACK__(pre_patch, int, fn)
#define KPK_POST_PATCH_CALLBACK(fn)   KPK_CALLBACK__(post_patch, void, fn)
#define KPK_PRE_UNPATCH_CALLBACK(fn)  KPK_CALLBACK__(pre_unpatch, void, fn)
#define KPK_POST_UNPATCH_CALLBACK(fn) KPK_CALLBACK__(post_unpatch, void, fn)

/*
 * The differ reads these lists from the patched object: a function named in .kpk.ignore.functions
 * is never patched (its change is deliberate), a section named in .kpk.ignore.sections never
 * counts as changed. The markers themselves never reach the module.
 */
#define KPK_PASTE__(a, b) a##b
#define KPK_UNIQUE__(prefix, n) KPK_PASTE__(prefix, n)

#define KPK_IGNORE_FUNCTION(fn)                                                     \
	static void *__kpk_ignore_func_##fn                                         \
		__attribute__((used, section(".kpk.ignore.functions"))) = (void *)(fn)

#define KPK_IGNORE_SECTION(name)                                                    \
	static const char *KPK_UNIQUE__(__UNIQUE_ID_kpk_ignore_section_, __COUNTER__) \
		__attribute__((used, section(".kpk.ignore.sections"))) = (name)

#endif /* KPK_PATCH_H */
