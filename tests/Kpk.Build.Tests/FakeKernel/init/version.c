/* The banner kpk create reads the kernel release from, as in the kernel's init/version.c. */
const char linux_banner[] = "Linux version 6.1.0-kpktest (kpk@test) (gcc) #1 SMP\n";
