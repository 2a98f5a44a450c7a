struct seq_file;
extern int seq_puts(struct seq_file *m, const char *s);
extern int seq_printf(struct seq_file *m, const char *fmt, ...);
extern char *saved_command_line;
