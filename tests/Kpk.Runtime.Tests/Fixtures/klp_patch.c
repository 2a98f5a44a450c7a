/* A stand-in for a kbuild live patch module: the klp structures with the kernel's layout of
   their external members (old_name, new_func, old_sympos / name, funcs / mod, objs, states, replace). */
struct list_head { void *next, *prev; };
struct kobject { const char *name; struct list_head entry; void *parent, *kset, *ktype, *sd; int kref; unsigned bits; };
struct klp_func { const char *old_name; void *new_func; unsigned long old_sympos; void *old_func; struct kobject kobj;
    struct list_head node, stack_node; unsigned long old_size, new_size; _Bool nop, patched, transition; };
struct klp_callbacks { void *pre_patch, *post_patch, *pre_unpatch, *post_unpatch; _Bool post_unpatch_enabled; };
struct klp_object { const char *name; struct klp_func *funcs; struct klp_callbacks callbacks; struct kobject kobj;
    struct list_head func_list, node; void *mod; _Bool dynamic, patched; };
struct klp_patch { void *mod; struct klp_object *objs; void *states; _Bool replace; struct list_head list; struct kobject kobj; };
extern char __this_module[];
int klp_enable_patch(struct klp_patch *);

static int livepatch_cmdline_proc_show(void *m, void *v) { return 1; }
static int livepatch_meminfo_proc_show(void *m, void *v) { return 2; }
static int livepatch_ext4_sync_fs(void *sb, int wait) { return 3; }

static struct klp_func vmlinux_funcs[] = {
    { .old_name = "cmdline_proc_show", .new_func = livepatch_cmdline_proc_show },
    { .old_name = "meminfo_proc_show", .new_func = livepatch_meminfo_proc_show, .old_sympos = 2 },
    { }
};
static struct klp_func ext4_funcs[] = {
    { .old_name = "ext4_sync_fs", .new_func = livepatch_ext4_sync_fs },
    { }
};
static struct klp_object objs[] = {
    { .funcs = vmlinux_funcs },
    { .name = "ext4", .funcs = ext4_funcs },
    { }
};
static struct klp_patch patch = { .mod = __this_module, .objs = objs, .replace = REPLACE };
int init_module(void) { return klp_enable_patch(&patch); }

/* Like file_operations.owner: THIS_MODULE first, then a pointer that is not a klp_object. */
struct fops_like { void *owner; int (*open)(void); };
static struct fops_like fops __attribute__((used)) = { .owner = __this_module, .open = init_module };
