/* The fake kernel's config, as the size probe sees it. */
#define CONFIG_X86_64 1
#define CONFIG_GENERIC_BUG 1
#define CONFIG_JUMP_LABEL 1
