struct bug_entry { s32 bug_addr_disp; s32 file_disp; u16 line; u16 flags; };
