/*
 * printf-style formatting for the freestanding kernel. Built for the host
 * too, so the unit tests check this very code against the C library.
 */
#include <pvshim/string.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* characters produced, even past size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, alt, plus, space;
    int width;      /* -1: none */
    int prec;       /* -1: none */
};

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
    if (!s)
        s = "(null)";
    size_t n = 0;
    while (s[n] && (sp->prec < 0 || n < (size_t)sp->prec))
        n++;
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        put_repeat(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        put_repeat(o, ' ', pad);
}

static void put_num(struct out *o, uint64_t v, bool neg, unsigned base,
                    bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    /* Precision is the minimum digit count; "%.0d" of 0 prints nothing. */
    int ndigits = n;
    if (sp->prec >= 0 && sp->prec > ndigits)
        ndigits = sp->prec;
    if (sp->prec < 0 && ndigits == 0)
        ndigits = 1;

    const char *prefix = "";
    if (neg)
        prefix = "-";
    else if (sp->plus)
        prefix = "+";
    else if (sp->space)
        prefix = " ";
    else if (sp->alt && base == 16 && n > 0)
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && ndigits <= n)
        ndigits = n + 1;
    int plen = (int)strlen(prefix);

    int total = plen + ndigits;
    int pad = sp->width > total ? sp->width - total : 0;
    bool zero_pad = sp->zero && !sp->left && sp->prec < 0;

    if (!sp->left && !zero_pad)
        put_repeat(o, ' ', pad);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    if (zero_pad)
        put_repeat(o, '0', pad);
    put_repeat(o, '0', ndigits - n);
    while (n > 0)
        put(o, tmp[--n]);
    if (sp->left)
        put_repeat(o, ' ', pad);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size, .len = 0 };

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        struct spec sp = { .width = -1, .prec = -1 };
        for (;;) {
            char f = *++p;
            if (f == '-') sp.left = true;
            else if (f == '0') sp.zero = true;
            else if (f == '#') sp.alt = true;
            else if (f == '+') sp.plus = true;
            else if (f == ' ') sp.space = true;
            else break;
        }
        if (*p == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9') {
                sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (*p - '0');
                p++;
            }
        }
        if (*p == '.') {
            p++;
            sp.prec = 0;
            if (*p == '*') {
                sp.prec = va_arg(ap, int);
                if (sp.prec < 0)
                    sp.prec = -1;
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    sp.prec = sp.prec * 10 + (*p++ - '0');
            }
        }
        int size_mod = 0;   /* -2 hh, -1 h, 0 int, 1 long, 2 long long/size_t */
        for (;;) {
            if (*p == 'h') size_mod--;
            else if (*p == 'l') size_mod++;
            else if (*p == 'z' || *p == 't' || *p == 'j') size_mod = 2;
            else break;
            p++;
        }

        char conv = *p;
        if (conv == '\0')
            break;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v;
            if (size_mod >= 1)
                v = size_mod == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            else
                v = va_arg(ap, int);
            if (size_mod == -1) v = (short)v;
            if (size_mod <= -2) v = (signed char)v;
            bool neg = v < 0;
            put_num(&o, neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, neg, 10,
                    false, &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            if (size_mod >= 1)
                v = size_mod == 1 ? va_arg(ap, unsigned long)
                                  : va_arg(ap, unsigned long long);
            else
                v = va_arg(ap, unsigned int);
            if (size_mod == -1) v = (unsigned short)v;
            if (size_mod <= -2) v = (unsigned char)v;
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            put_num(&o, v, false, base, conv == 'X', &sp);
            break;
        }
        case 'p': {
            struct spec ps = sp;
            ps.alt = true;
            put_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16,
                    false, &ps);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            int pad = sp.width > 1 ? sp.width - 1 : 0;
            if (!sp.left) put_repeat(&o, ' ', pad);
            put(&o, c);
            if (sp.left) put_repeat(&o, ' ', pad);
            break;
        }
        case 's':
            put_str(&o, va_arg(ap, const char *), &sp);
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown conversion: show it rather than guess at arguments. */
            put(&o, '%');
            put(&o, conv);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}
