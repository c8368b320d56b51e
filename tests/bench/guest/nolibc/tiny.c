/* The smallest program fork+exec can start: no libc, no dynamic loader,
 * one page of code; it exits with status 0 at once. Built with -nostdlib,
 * so what pvbench's forkexec measures is the kernel's exec and exit path
 * rather than C library start-up.
 */
void _start(void) __attribute__((noreturn));
void _start(void)
{
    __asm__ volatile("mov $231, %%eax\n\t"  /* exit_group */
                     "xor %%edi, %%edi\n\t"
                     "syscall"
                     ::: "rax", "rdi", "rcx", "r11", "memory");
    __builtin_unreachable();
}
