/* pvhostile64's few library routines: memory, console output, arguments. */
#include "hostile.h"

unsigned failures;

long hc_any(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    register long r_a1 asm("rdi") = (long)a1;
    register long r_a2 asm("rsi") = (long)a2;
    register long r_a3 asm("rdx") = (long)a3;
    register long r_a4 asm("r10") = (long)a4;
    register long r_a5 asm("r8") = (long)a5;
    long ret;
    asm volatile("call *%[stub]"
                 : "=a"(ret), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3), "+r"(r_a4), "+r"(r_a5)
                 : [stub] "r"(hypercall_page + 32 * (nr & 127))
                 : "memory", "r9", "rcx", "r11");
    return ret;
}

void print(const char *s)
{
    hypercall5(__HYPERVISOR_console_io, CONSOLEIO_write, strlen(s), s, 0, 0);
}

static void print_num(uint64_t v, unsigned base)
{
    char buf[24];
    int i = sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16) {
        buf[--i] = 'x';
        buf[--i] = '0';
    }
    print(&buf[i]);
}

void print_u(uint64_t v) { print_num(v, 10); }
void print_x(uint64_t v) { print_num(v, 16); }

void fail(const char *what, uint64_t a, uint64_t b)
{
    failures++;
    print("FAIL ");
    print(what);
    print(" ");
    print_x(a);
    print(" ");
    print_x(b);
    print("\n");
}

static int memcmp_prefix(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 1;
    return 0;
}

/* "key=number" on the command line (decimal or 0x hex), else dflt. */
uint64_t parse_arg(const char *s, const char *key, uint64_t dflt)
{
    size_t kl = strlen(key);
    for (const char *p = s; *p; p++) {
        if ((p != s && p[-1] != ' ') || memcmp_prefix(p, key, kl) || p[kl] != '=')
            continue;
        const char *q = p + kl + 1;
        uint64_t v = 0;
        unsigned base = 10;
        if (q[0] == '0' && q[1] == 'x') {
            base = 16;
            q += 2;
        }
        for (;; q++) {
            unsigned d;
            if (*q >= '0' && *q <= '9')
                d = (unsigned)(*q - '0');
            else if (base == 16 && *q >= 'a' && *q <= 'f')
                d = (unsigned)(*q - 'a' + 10);
            else
                break;
            v = v * base + d;
        }
        return v;
    }
    return dflt;
}
