/*
 * A stand-in for a kernel source file, compiled by `kpk demo` with the kernel's live-patching
 * flags when no kernel build is at hand. It has what real patches touch: a /proc show function,
 * a static helper, a static local counter and a string literal.
 */
struct seq_file;
extern int seq_printf(struct seq_file *m, const char *fmt, ...);
extern unsigned long jiffies_since_boot(void);

static unsigned long to_seconds(unsigned long ticks)
{
	return ticks / 250;
}

int uptime_proc_show(struct seq_file *m, void *v)
{
	static unsigned long reads;

	reads++;
	seq_printf(m, "%lu\n", to_seconds(jiffies_since_boot()));
	return 0;
}

int uptime_reads_show(struct seq_file *m, void *v)
{
	return seq_printf(m, "reads\n");
}
