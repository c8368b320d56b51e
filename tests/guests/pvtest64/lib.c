/* The tiny libc of pvtest64: string functions, formatting, console. */
#include "pvtest.h"
#include "hypercall.h"

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        if (!*a)
            break;
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, (size_t)-1);
}

const char *strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncmp(hay, needle, n))
            return hay;
    return n ? NULL : hay;
}

/* ---- formatting: %d %i %u %x %X %p %s %c %%, flags - 0 #, width,
 * precision (for %s too), length modifiers hh h l ll z. */

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
                       bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(o, pad);
    while (n--)
        put(o, *s++);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        bool left = false, zero = false, alt = false;
        int width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (fmt[1] == '-') left = true;
            else if (fmt[1] == '0') zero = true;
            else if (fmt[1] == '#') alt = true;
            else break;
        }
        fmt++;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
            if (*fmt != 'h')
                lng++;
            fmt++;
        }

        char tmp[24];
        unsigned long v;
        bool neg = false;
        unsigned base = 10;
        const char *digits = "0123456789abcdef";
        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, s, strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec),
                       width, left, ' ');
            continue;
        }
        case '%':
            put(&o, '%');
            continue;
        case 'd':
        case 'i': {
            long sv = lng ? va_arg(ap, long) : va_arg(ap, int);
            neg = sv < 0;
            v = neg ? -(unsigned long)sv : (unsigned long)sv;
            break;
        }
        case 'p':
            v = (unsigned long)va_arg(ap, void *);
            base = 16;
            alt = true;
            break;
        case 'X':
            digits = "0123456789ABCDEF";
            /* fall through */
        case 'x':
            base = 16;
            /* fall through */
        case 'u':
            v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            break;
        default:            /* unknown conversion: print it as it is */
            put(&o, '%');
            put(&o, *fmt);
            continue;
        }

        int n = 0;
        do {
            tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
            v /= base;
        } while (v);
        char pre[3];
        int npre = 0;
        if (neg)
            pre[npre++] = '-';
        if (alt && base == 16) {
            pre[npre++] = '0';
            pre[npre++] = 'x';
        }
        int body = n + npre;
        if (!left && zero)
            while (body < width) {
                tmp[sizeof(tmp) - 1 - n++] = '0';
                body++;
            }
        for (int i = 0; i < npre; i++)
            put(&o, pre[i]);
        put_padded(&o, tmp + sizeof(tmp) - n, n, width - npre, left, ' ');
    }
    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/*
 * ---- console: whole lines go out through CONSOLEIO_write. A domU's
 * CONSOLEIO_write is refused by Xen (it is the hardware domain's), e.g.
 * under Xen's own shim as a domU of a real Xen: then the line goes to the
 * console ring of start_info (its page follows start_info and the xenstore
 * page in the boot mapping).
 */

static char line[512];
static size_t line_len;

static void ring_write(const char *s, size_t n)
{
    if (is_dom0 || !si)
        return;
    struct xencons_interface *r = (void *)((unsigned long)si + 2 * PG_SIZE);
    if (virt_to_mfn(r) != si->console.domU.mfn)
        return;
    evtchn_send_t send = { .port = si->console.domU.evtchn };
    XENCONS_RING_IDX prod = r->out_prod;
    for (size_t i = 0; i < n; i++) {
        /* Full: let the backend drain it, but not forever. */
        for (unsigned tries = 0; prod - r->out_cons >= sizeof(r->out); tries++) {
            if (tries == 1000)
                return;
            __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
            hc_event_channel_op(EVTCHNOP_send, &send);
            hc_sched_op(SCHEDOP_yield, NULL);
        }
        r->out[MASK_XENCONS_IDX(prod, r->out)] = s[i];
        prod++;
    }
    __atomic_store_n(&r->out_prod, prod, __ATOMIC_RELEASE);
    hc_event_channel_op(EVTCHNOP_send, &send);
}

void console_flush(void)
{
    if (line_len && hc_console_io(CONSOLEIO_write, (unsigned)line_len, line) < 0)
        ring_write(line, line_len);
    line_len = 0;
}

void printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    for (int i = 0; i < n; i++) {
        line[line_len++] = buf[i];
        if (buf[i] == '\n' || line_len == sizeof(line))
            console_flush();
    }
}
