struct exception_table_entry { int insn, fixup, data; };
