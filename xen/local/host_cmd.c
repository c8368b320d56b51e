/*
 * The host's commands on console input (see host_cmd.h). Invariant: while
 * in_cmd, no byte goes to the guest; len < HOST_CMD_MAX, or too_long.
 */
#include "host_cmd.h"
#include "xenstore.h"
#include <pvshim/log.h>
#include <pvshim/string.h>

static struct {
    bool in_cmd;
    bool too_long;
    size_t len;
    char line[HOST_CMD_MAX];
} cmd;

static bool parse_uint(const char *s, unsigned int *out)
{
    unsigned long v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 0xffffu)
            return false;
    }
    *out = (unsigned int)v;
    return *s == '\0';
}

/* Splits line in place into at most 3 space-separated words; their count. */
static unsigned int split(char *line, char *w[3])
{
    unsigned int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == 3)
            return 4;
        w[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

static int run_words(unsigned int n, char *w[3])
{
    if (n == 3 && strcmp(w[0], "cpu") == 0) {
        unsigned int vcpu;
        if (!parse_uint(w[1], &vcpu))
            return -XEN_EINVAL;
        if (strcmp(w[2], "online") == 0)
            return xenstore_set_vcpu_availability(vcpu, true);
        if (strcmp(w[2], "offline") == 0)
            return xenstore_set_vcpu_availability(vcpu, false);
        return -XEN_EINVAL;
    }
    if (n == 2 && strcmp(w[0], "shutdown") == 0)
        return xenstore_request_shutdown(w[1]);
    if (n == 1 && strcmp(w[0], "save") == 0)
        return xenstore_request_shutdown("suspend");
    if (n == 2 && strcmp(w[0], "sysrq") == 0 && w[1][0] && !w[1][1])
        return xenstore_send_sysrq(w[1][0]);
    return -XEN_EINVAL;
}

int host_cmd_run(const char *line)
{
    char buf[HOST_CMD_MAX];
    char *w[3] = { NULL, NULL, NULL };
    size_t len = strnlen(line, sizeof(buf));
    if (len == sizeof(buf)) {
        log_warn("host command: longer than %d bytes; refused\n", HOST_CMD_MAX - 1);
        return -XEN_E2BIG;
    }
    memcpy(buf, line, len + 1);
    int err = run_words(split(buf, w), w);
    if (err)
        log_warn("host command: '%s' refused (error %d)\n", line, err);
    else
        log_info("host command: '%s' done\n", line);
    return err;
}

int host_cmd_filter(int c)
{
    if (c < 0)
        return c;
    if (!cmd.in_cmd) {
        if (c != HOST_CMD_ESCAPE)
            return c;
        memset(&cmd, 0, sizeof(cmd));
        cmd.in_cmd = true;
        return -1;
    }
    if (c == '\r' || c == '\n') {
        cmd.line[cmd.len] = '\0';
        if (cmd.too_long)
            log_warn("host command: longer than %d bytes; refused\n", HOST_CMD_MAX - 1);
        else if (cmd.len)
            host_cmd_run(cmd.line);
        memset(&cmd, 0, sizeof(cmd));
        return -1;
    }
    if (cmd.len + 1 < sizeof(cmd.line))
        cmd.line[cmd.len++] = (char)c;
    else
        cmd.too_long = true;
    return -1;
}
