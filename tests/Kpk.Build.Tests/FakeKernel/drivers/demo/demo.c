#include <linux/seq.h>

static int demo_state = 1;

int demo_show(struct seq_file *m)
{
	return seq_printf(m, "%d\n", demo_state);
}

void demo_set(int state)
{
	demo_state = state;
}
