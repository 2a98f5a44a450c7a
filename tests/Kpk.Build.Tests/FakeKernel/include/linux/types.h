typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;
