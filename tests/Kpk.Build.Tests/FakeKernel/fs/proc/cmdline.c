#include <linux/seq.h>

static int calls;

int cmdline_proc_show(struct seq_file *m, void *v)
{
	calls++;
	seq_puts(m, saved_command_line);
	return 0;
}
