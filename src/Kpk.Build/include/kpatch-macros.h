/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-macros.h for kpk: patches written for kpatch-build (0.9) build unchanged with kpk.
 * `#include "kpatch-macros.h"` finds this file beside kpk-patch.h, on the include path kpk gives
 * the patched build. Each kpatch name maps onto kpk's own macro, so the differ sees one thing:
 *
 *   KPATCH_IGNORE_FUNCTION(fn)       the change to fn is a side effect: do not patch it
 *   KPATCH_IGNORE_SECTION(".sec")    changes to that section do not count
 *   KPATCH_PRE_PATCH_CALLBACK(fn)    int fn(patch_object *obj): non-zero refuses the patch
 *   KPATCH_POST_PATCH_CALLBACK(fn)   void fn(patch_object *obj)
 *   KPATCH_PRE_UNPATCH_CALLBACK(fn)
 *   KPATCH_POST_UNPATCH_CALLBACK(fn)
 *   KPATCH_PRINTK(fmt, ...)          printk in a path of its own, so the caller is not made cold
 *   KPATCH_PRINTK_DEFERRED(fmt, ...)
 *   KPATCH_STATIC_CALL(name)         a static call through its key (for keys living in a module)
 *   KPATCH_FORCE_UNSAFE(fn)          accepted, and reported by the differ: the kernel's livepatch
 *                                    has no per-function force (kpk apply --force forces a
 *                                    whole transition)
 *
 * Shadow variables are the kernel's klp_shadow_* API, as kpatch 0.9 documents them:
 * klp_shadow_alloc(), klp_shadow_get_or_alloc(), klp_shadow_get(), klp_shadow_free(),
 * klp_shadow_free_all() from <linux/livepatch.h> (included here).
 */
#ifndef __KPATCH_MACROS_H_
#define __KPATCH_MACROS_H_

#include "kpk-patch.h"
#include <linux/jiffies.h>
#include <linux/printk.h>

typedef struct klp_object patch_object;

#define KPATCH_IGNORE_FUNCTION(_fn)          KPK_IGNORE_FUNCTION(_fn)
#define KPATCH_IGNORE_SECTION(_sec)          KPK_IGNORE_SECTION(_sec)

#define KPATCH_PRE_PATCH_CALLBACK(_fn)       KPK_PRE_PATCH_CALLBACK(_fn)
#define KPATCH_POST_PATCH_CALLBACK(_fn)      KPK_POST_PATCH_CALLBACK(_fn)
#define KPATCH_PRE_UNPATCH_CALLBACK(_fn)     KPK_PRE_UNPATCH_CALLBACK(_fn)
#define KPATCH_POST_UNPATCH_CALLBACK(_fn)    KPK_POST_UNPATCH_CALLBACK(_fn)

#define KPATCH_FORCE_UNSAFE(_fn)                                                    \
	static void *__kpatch_force_func_##_fn                                      \
		__attribute__((used, section(".kpatch.force"))) = (void *)(_fn)

/* printk is __cold: calling it behind a test of jiffies keeps the surrounding path hot. */
#define KPATCH_PRINTK(_fmt, ...)                                                    \
	({ if (jiffies) printk(_fmt, ##__VA_ARGS__); })
#define KPATCH_PRINTK_DEFERRED(_fmt, ...)                                           \
	({ if (jiffies) printk_deferred(_fmt, ##__VA_ARGS__); })

#define KPATCH_STATIC_CALL(name)                                                    \
	((typeof(STATIC_CALL_TRAMP(name)) *)(STATIC_CALL_KEY(name).func))

#endif /* __KPATCH_MACROS_H_ */
