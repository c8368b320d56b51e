/*
 * pvshim's log. Every line goes to every active console sink (serial,
 * debugcon, Xen console). Portable code logs through here only.
 */
#ifndef PVSHIM_LOG_H
#define PVSHIM_LOG_H

#include <pvshim/types.h>
#include <pvshim/compiler.h>

enum log_level {
    LOG_ERR   = 1,
    LOG_WARN  = 2,
    LOG_INFO  = 3,
    LOG_DEBUG = 4,
};

extern int log_threshold;   /* lines above this level are dropped */

/*
 * logformat=json: every line pvshim writes is a JSON record (pvshim/json.h),
 * ordinary messages as {"pvshim":"log","level":"info","msg":"..."}.
 */
extern bool log_json;

struct json_rec;
/* Close r and write it on a line of its own (when level passes the threshold). */
void log_record(int level, struct json_rec *r);

/*
 * A message with a record behind it: in text form the message as a line,
 * in JSON r (begun by the caller with its fields) with "msg" added.
 */
void log_event(int level, struct json_rec *r, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* The name of a level in records: "err", "warn", "info", "debug". */
const char *log_level_name(int level);

void log_printf(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void log_vprintf(int level, const char *fmt, va_list ap);

#define log_err(...)   log_printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

/* Raw characters to the console sinks, unfiltered (guest console output). */
void console_write(const char *s, size_t len);

#endif
