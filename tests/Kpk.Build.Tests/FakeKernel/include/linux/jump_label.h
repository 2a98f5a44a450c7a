struct jump_entry { s32 code; s32 target; long key; };
