/* The tiny libc of pvtest32: formatting and the console. */
#include "pvtest32.h"

struct out { char *buf; size_t size, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

/* *v / base, returning the remainder (no libgcc: 64-bit division by hand). */
static unsigned divmod(unsigned long long *v, unsigned base)
{
    unsigned long long q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((*v >> i) & 1);
        if (r >= base) {
            r -= base;
            q |= 1ull << i;
        }
    }
    *v = q;
    return (unsigned)r;
}

/* %d %u %x %s %c %p %%, flags '#' '0' '-', a width, length l and ll. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        bool alt = false, zero = false, left = false;
        int width = 0, lng = 0;
        for (;; fmt++) {
            if (fmt[1] == '#') alt = true;
            else if (fmt[1] == '0') zero = true;
            else if (fmt[1] == '-') left = true;
            else break;
        }
        while (fmt[1] >= '0' && fmt[1] <= '9')
            width = width * 10 + (*++fmt - '0');
        while (fmt[1] == 'l') {
            lng++;
            fmt++;
        }
        char c = *++fmt, tmp[24];
        const char *s = tmp;
        size_t n = 0;
        if (c == 's') {
            s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            n = strlen(s);
        } else if (c == 'c') {
            tmp[0] = (char)va_arg(ap, int);
            n = 1;
        } else if (c == '%') {
            tmp[0] = '%';
            n = 1;
        } else {
            unsigned long long v;
            bool neg = false;
            if (c == 'p') {
                v = (uintptr_t)va_arg(ap, void *);
                alt = true;
                c = 'x';
            } else if (c == 'd') {
                long long sv = lng >= 2 ? va_arg(ap, long long)
                             : lng ? va_arg(ap, long) : va_arg(ap, int);
                neg = sv < 0;
                v = neg ? -(unsigned long long)sv : (unsigned long long)sv;
            } else {
                v = lng >= 2 ? va_arg(ap, unsigned long long)
                  : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            }
            unsigned base = c == 'x' || c == 'X' ? 16 : 10;
            char digits[24];
            int nd = 0;
            do {
                digits[nd++] = "0123456789abcdef"[divmod(&v, base)];
            } while (v);
            if (neg)
                tmp[n++] = '-';
            if (alt && base == 16) {
                tmp[n++] = '0';
                tmp[n++] = 'x';
            }
            while (nd)
                tmp[n++] = digits[--nd];
        }
        int fill = width > (int)n ? width - (int)n : 0;
        if (!left)
            while (fill-- > 0)
                put(&o, zero ? '0' : ' ');
        for (size_t i = 0; i < n; i++)
            put(&o, s[i]);
        if (left)
            while (fill-- > 0)
                put(&o, ' ');
    }
    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    return (int)o.len;
}

static char line[512];
static size_t line_len;

void console_flush(void)
{
    if (line_len)
        hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, line_len, line);
    line_len = 0;
}

void printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    for (int i = 0; i < n; i++) {
        if (line_len == sizeof(line))
            console_flush();
        line[line_len++] = buf[i];
        if (buf[i] == '\n')
            console_flush();
    }
}
