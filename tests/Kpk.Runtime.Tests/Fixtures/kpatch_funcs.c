/* A stand-in for a kpatch-build module: no klp structures, a .kpatch.funcs table instead
   (struct kpatch_patch_func: new_addr, new_size, old_addr, old_size, sympos, name, objname). */
struct kpatch_patch_func {
    unsigned long new_addr, new_size, old_addr, old_size, sympos;
    const char *name, *objname;
};
static int new_cmdline_proc_show(void *m, void *v) { return 1; }
static int new_nfs_readdir(void *f, void *c) { return 2; }
static struct kpatch_patch_func funcs[] __attribute__((used, section(".kpatch.funcs"))) = {
    { (unsigned long)new_cmdline_proc_show, 16, 0, 32, 0, "cmdline_proc_show", "vmlinux" },
    { (unsigned long)new_nfs_readdir, 16, 0, 64, 3, "nfs_readdir", "nfs" },
};
