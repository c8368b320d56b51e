/*
 * pvshim's machine-readable output and the host side that reads it back:
 * the record writer (shim/lib/json.c), the log layer and trace=abi in JSON
 * form, the host tools' JSON reader and pvshim-abi-report's tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvshim/json.h>
#include <pvshim/log.h>
#include <pvshim/status.h>
#include "abi_trace.h"
#include "domain.h"
#include <pvshim/xen_abi.h>
#include <pvshim/console.h>
#include "../../xen/tools/jsonparse.h"
#include "../../xen/tools/abitrace.h"
#include "unit.h"
#include "fakes.h"

/* Parse a record the writer made, or fail the test. */
static void parse_ok(const char *text, struct jp_value *v)
{
    char err[200];
    size_t len = strlen(text);
    ck_assert_msg(len && text[len - 1] == '\n', "record not ended by a newline: %s", text);
    ck_assert_msg(jp_parse(text, len, v, err, sizeof(err)) == 0, "%s: %s", err, text);
    ck_assert_int_eq(v->type, JP_OBJECT);
}

START_TEST(writer_fields_and_escapes)
{
    struct json_rec r;
    struct jp_value v;
    json_begin(&r, "exit");
    json_str(&r, "msg", "a \"quoted\" \\ line\nwith\ttab \x01 and \xc3\xa9");
    json_int(&r, "neg", -38);
    json_uint(&r, "big", 18446744073709551615ull);
    json_bool(&r, "yes", true);
    json_obj_begin(&r, "errors");
    json_uint(&r, "ENOENT", 8191);
    json_uint(&r, "EPERM", 1);
    json_obj_end(&r);
    json_obj_begin(&r, "empty");
    json_obj_end(&r);
    size_t len = json_end(&r);
    ck_assert_uint_eq(len, strlen(r.buf));
    ck_assert_str_eq(r.buf,
        "{\"pvshim\":\"exit\",\"msg\":\"a \\\"quoted\\\" \\\\ line\\nwith\\ttab \\u0001 and "
        "\\u00c3\\u00a9\",\"neg\":-38,\"big\":18446744073709551615,\"yes\":true,"
        "\"errors\":{\"ENOENT\":8191,\"EPERM\":1},\"empty\":{}}\n");
    parse_ok(r.buf, &v);
    ck_assert_str_eq(jp_get_str(&v, "pvshim"), "exit");
    ck_assert_str_eq(jp_get_str(&v, "msg"), "a \"quoted\" \\ line\nwith\ttab \x01 and \xc3\x83\xc2\xa9");
    unsigned long long u;
    ck_assert(jp_get_uint(&v, "big", &u) && u == 18446744073709551615ull);
    ck_assert(jp_get_uint(jp_get(&v, "errors"), "ENOENT", &u) && u == 8191);
    ck_assert_int_eq(jp_get(&v, "neg")->number, -38);
    jp_free(&v);
}
END_TEST

/* Whatever does not fit is cut, and the record stays valid JSON that says so. */
START_TEST(writer_truncates_validly)
{
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t cut = 0; cut < sizeof(big) - 1; cut += 37) {
        struct json_rec r;
        struct jp_value v;
        json_begin(&r, "log");
        json_str(&r, "level", "info");
        json_str(&r, "msg", big + cut);
        json_obj_begin(&r, "errors");
        for (int i = 0; i < 40; i++) {
            char k[16];
            snprintf(k, sizeof(k), "E%d", i);
            json_uint(&r, k, 1000000u + (unsigned)i);
        }
        json_obj_end(&r);
        json_str(&r, "quote", "\"\"\"\"\"\"\"\"\"\"");
        json_end(&r);
        ck_assert_uint_lt(strlen(r.buf), JSON_REC_MAX);
        parse_ok(r.buf, &v);
        const struct jp_value *t = jp_get(&v, "truncated");
        size_t msg = strlen(jp_get_str(&v, "msg"));
        const char *quote = jp_get_str(&v, "quote");
        if (msg < strlen(big + cut) || !quote || strcmp(quote, "\"\"\"\"\"\"\"\"\"\"") ||
            jp_get(&v, "errors")->n < 40)
            ck_assert_msg(t && t->type == JP_BOOL && t->boolean, "cut without a mark: %s", r.buf);
        else
            ck_assert_ptr_null(t);
        jp_free(&v);
    }
}
END_TEST

START_TEST(log_lines_as_records)
{
    struct jp_value v;
    fake_log_reset();
    log_json = true;
    log_info("memory: %u KiB \"free\"", 42u);
    parse_ok(fake_log_text(), &v);
    ck_assert_str_eq(jp_get_str(&v, "pvshim"), "log");
    ck_assert_str_eq(jp_get_str(&v, "level"), "info");
    ck_assert_str_eq(jp_get_str(&v, "msg"), "memory: 42 KiB \"free\"");
    jp_free(&v);

    /* A record starts a line even when the guest's output did not end one. */
    fake_log_reset();
    console_write("guest text", 10);
    log_exit(EXIT_GUEST_CRASH);
    const char *rec = strchr(fake_log_text(), '\n');
    ck_assert_ptr_nonnull(rec);
    parse_ok(rec + 1, &v);
    ck_assert_str_eq(jp_get_str(&v, "pvshim"), "exit");
    ck_assert_str_eq(jp_get_str(&v, "reason"), "guest-crash");
    unsigned long long n;
    ck_assert(jp_get_uint(&v, "code", &n) && n == EXIT_GUEST_CRASH);
    ck_assert(jp_get_uint(&v, "qemu_status", &n) && n == 5);
    ck_assert_str_eq(jp_get_str(&v, "msg"), "exit: guest crash (QEMU status 5)");
    jp_free(&v);

    /* Text form: unchanged. */
    fake_log_reset();
    log_json = false;
    log_exit(EXIT_POWEROFF);
    ck_assert_str_eq(fake_log_text(), "(pvshim) exit: power-off (QEMU status 0)\n");
}
END_TEST

/* trace=abi in both forms, the JSON one read back by pvshim-abi-report's reader. */
static void some_calls(void)
{
    static uint8_t counters[ABI_TRACE_COUNTER_BYTES];
    abi_trace_enable(counters);
    for (int i = 0; i < 3; i++)
        abi_trace_call(__HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE, 0);
    abi_trace_call(__HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE, -XEN_EINVAL);
    for (int i = 0; i < 5; i++)
        abi_trace_call(__HYPERVISOR_vcpu_op, VCPUOP_is_up, i ? -XEN_ENOENT : 0);
    abi_trace_call(__HYPERVISOR_mmu_update, MMU_NORMAL_PT_UPDATE, -XEN_EPERM);
    abi_trace_call(__HYPERVISOR_xenpmu_op, ABI_SUB_NONE, -XEN_ENOSYS);
    abi_trace_call(__HYPERVISOR_iret, ABI_SUB_NONE, 0);
    abi_trace_call(__HYPERVISOR_mmuext_op, 200, -1234);
    abi_trace_event("wrmsr");
    abi_trace_event("wrmsr");
    abi_trace_event("in");
}

START_TEST(abi_report_json_round_trip)
{
    char err[200];
    struct abi_trace t = { .name = "unit" };
    fake_log_reset();
    log_json = true;
    some_calls();
    abi_trace_report();
    log_exit(EXIT_POWEROFF);
    const char *text = fake_log_text();
    ck_assert_msg(abi_trace_read(text, strlen(text), &t, err, sizeof(err)) == 0, "%s", err);
    ck_assert(t.complete && t.exited);
    ck_assert_str_eq(t.exit_reason, "poweroff");
    ck_assert_uint_eq(t.nrows, 5);
    /* pvshim's order: by hypercall, then sub-operation. */
    ck_assert_uint_eq(t.rows[0].op, __HYPERVISOR_mmu_update);
    ck_assert_int_eq(t.rows[0].sub, MMU_NORMAL_PT_UPDATE);
    ck_assert_str_eq(t.rows[0].subop, "normal_pt_update");
    ck_assert_uint_eq(t.rows[0].calls, 5);
    ck_assert_uint_eq(t.rows[0].refused, 2);
    ck_assert_uint_eq(t.rows[0].nerrors, 2);
    ck_assert_str_eq(t.rows[0].errors[0].name, "EINVAL");
    ck_assert_str_eq(t.rows[0].errors[1].name, "EPERM");
    ck_assert_int_eq(t.rows[1].op, __HYPERVISOR_iret);
    ck_assert_int_eq(t.rows[1].sub, ABI_NO_SUB);
    ck_assert_str_eq(t.rows[2].hypercall, "vcpu_op");
    ck_assert_uint_eq(t.rows[2].errors[0].n, 4);
    ck_assert(t.rows[3].sub_or_above);                  /* sub-op 200: the last row */
    ck_assert_str_eq(t.rows[3].errors[0].name, "-1234");
    ck_assert_str_eq(t.rows[4].hypercall, "xenpmu_op");
    ck_assert_uint_eq(t.rows[4].enosys, 1);
    ck_assert_uint_eq(t.nevents, 2);
    ck_assert_str_eq(t.events[0].what, "wrmsr");
    ck_assert_uint_eq(t.events[0].count, 2);
    abi_trace_free(&t);
}
END_TEST

/* The SYSCALL fast path counts its irets in each vCPU: the report adds
 * them to the iret row, once however often it is printed. */
START_TEST(abi_report_adds_fast_path_irets)
{
    char err[200];
    struct abi_trace t = { .name = "unit" };
    dom.nr_vcpus = 2;
    dom.vcpu[0].fast_irets = 5;
    dom.vcpu[1].fast_irets = 2;
    fake_log_reset();
    log_json = true;
    some_calls();                       /* one iret through the C path */
    abi_trace_report();
    dom.vcpu[0].fast_irets = 6;
    fake_log_reset();
    abi_trace_report();
    log_exit(EXIT_POWEROFF);
    const char *text = fake_log_text();
    ck_assert_msg(abi_trace_read(text, strlen(text), &t, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(t.rows[1].op, __HYPERVISOR_iret);
    ck_assert_uint_eq(t.rows[1].calls, 1 + 6 + 2);
    abi_trace_free(&t);
}
END_TEST

START_TEST(abi_report_text_lists_errors)
{
    fake_log_reset();
    log_json = false;
    some_calls();
    abi_trace_report();
    const char *text = fake_log_text();
    ck_assert_ptr_nonnull(strstr(text, "(pvshim) trace=abi: hypercalls used by the guest\n"));
    ck_assert_ptr_nonnull(strstr(text, "      refused with -ENOENT: 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "      refused with -EINVAL: 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "      refused with -1234: 1\n"));
    ck_assert_ptr_null(strstr(text, "{\"pvshim\""));
}
END_TEST

static const char log_a[] =
    "(pvshim) pvshim 0.1.0\r\n"
    "{\"pvshim\":\"start\",\"version\":\"0.1.0\",\"boot\":\"pvh\",\"cmdline\":\"\"}\r\n"
    "[    1.0] guest says {\"pvshim\": hello\n"
    "{\"pvshim\":\"abi\",\"op\":1,\"hypercall\":\"mmu_update\",\"sub\":0,\"subop\":\"normal_pt_update\","
        "\"calls\":10,\"refused\":0,\"enosys\":0}\n"
    "{\"pvshim\":\"abi\",\"op\":24,\"hypercall\":\"vcpu_op\",\"sub\":3,\"subop\":\"is_up\","
        "\"calls\":8192,\"refused\":8191,\"enosys\":0,\"errors\":{\"ENOENT\":8191}}\n"
    "{\"pvshim\":\"abi\",\"op\":40,\"hypercall\":\"xenpmu_op\",\"calls\":2,\"refused\":2,"
        "\"enosys\":2,\"errors\":{\"ENOSYS\":2}}\n"
    "{\"pvshim\":\"abi-event\",\"what\":\"in\",\"count\":7}\n"
    "{\"pvshim\":\"abi-end\",\"calls\":8204,\"refused\":8193,\"events\":7}\n"
    "{\"pvshim\":\"a-later-type\",\"x\":[1,2,{\"y\":null}]}\n"
    "{\"pvshim\":\"exit\",\"reason\":\"poweroff\",\"code\":0,\"qemu_status\":0,\"msg\":\"exit\"}\n";

static const char log_b[] =
    "{\"pvshim\":\"abi\",\"op\":24,\"hypercall\":\"vcpu_op\",\"sub\":3,\"subop\":\"is_up\","
        "\"calls\":2,\"refused\":1,\"enosys\":0,\"errors\":{\"ENOENT\":1}}\n"
    "{\"pvshim\":\"abi\",\"op\":3,\"hypercall\":\"stack_switch\",\"calls\":5,\"refused\":0,"
        "\"enosys\":0}\n"
    "{\"pvshim\":\"abi-event\",\"what\":\"cli/sti\",\"count\":3}\n"
    "{\"pvshim\":\"abi-event\",\"what\":\"in\",\"count\":9}\n"
    "{\"pvshim\":\"abi-end\",\"calls\":7,\"refused\":1,\"events\":12}\n";

START_TEST(tables_from_two_traces)
{
    struct abi_trace t[2] = { { .name = "A" }, { .name = "B" } };
    char err[200], *out = NULL;
    size_t len = 0;
    ck_assert_msg(abi_trace_read(log_a, strlen(log_a), &t[0], err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(abi_trace_read(log_b, strlen(log_b), &t[1], err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(t[0].version, "0.1.0");
    ck_assert(t[0].exited && !t[1].exited && t[1].complete);
    FILE *f = open_memstream(&out, &len);
    abi_tables_markdown(f, t, 2);
    fclose(f);
    ck_assert_str_eq(out,
        "| op | hypercall | sub-operation | A | B | refused (error: count in each trace) |\n"
        "|---|---|---|---:|---:|---:|\n"
        "| 1 | mmu_update | 0 normal_pt_update | 10 | 0 | 0 |\n"
        "| 3 | stack_switch |  | 0 | 5 | 0 |\n"
        "| 24 | vcpu_op | 3 is_up | 8192 | 2 | -ENOENT 8191 / 1 |\n"
        "| 40 | xenpmu_op |  | 2 | 0 | -ENOSYS 2 / 0 |\n"
        "\n"
        "| trapped and emulated | A | B |\n"
        "|---|---:|---:|\n"
        "| in | 7 | 9 |\n"
        "| cli/sti | 0 | 3 |\n");
    free(out);
    out = NULL;
    f = open_memstream(&out, &len);
    abi_trace_summary(f, &t[0]);
    abi_trace_summary(f, &t[1]);
    fclose(f);
    ck_assert_str_eq(out,
        "A: exit poweroff (QEMU status 0), 8204 hypercalls in 3 rows, 8193 refused, "
        "7 trapped or emulated\n"
        "B: no exit record, 7 hypercalls in 2 rows, 1 refused, 12 trapped or emulated\n");
    free(out);
    abi_trace_free(&t[0]);
    abi_trace_free(&t[1]);
}
END_TEST

/* A later report in the same log replaces the earlier one. */
START_TEST(reader_takes_the_last_report)
{
    struct abi_trace t = { .name = "x" };
    char err[200], text[2 * sizeof(log_b)];
    snprintf(text, sizeof(text), "%s%s", log_b, log_b);
    ck_assert_int_eq(abi_trace_read(text, strlen(text), &t, err, sizeof(err)), 0);
    ck_assert_uint_eq(t.nrows, 2);
    ck_assert_uint_eq(t.nevents, 2);
    abi_trace_free(&t);
}
END_TEST

START_TEST(reader_refuses_broken_records)
{
    static const char *const bad[] = {
        "{\"pvshim\":\"abi\",\"op\":1}\n",                               /* fields missing */
        "{\"pvshim\":\"abi\",\"op\":1,\"hypercall\":\"x\",\"calls\":1,\"refused\":0,"
            "\"enosys\":0,\"errors\":[1]}\n",
        "{\"pvshim\":\"abi\",\"op\":-1,\"hypercall\":\"x\",\"calls\":1,\"refused\":0,\"enosys\":0}\n",
        "{\"pvshim\":\"exit\",\"reason\":\"poweroff\"}\n",
        "{\"pvshim\":\"log\",\"msg\":\"cut off\n",                        /* not JSON */
        "{\"pvshim\":7}\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct abi_trace t = { .name = "x" };
        char err[200] = "";
        char text[400];
        snprintf(text, sizeof(text), "guest line\n%s", bad[i]);
        ck_assert_msg(abi_trace_read(text, strlen(text), &t, err, sizeof(err)) == -1,
                      "accepted: %s", bad[i]);
        ck_assert_msg(strncmp(err, "line 2: ", 8) == 0, "%s", err);
        abi_trace_free(&t);
    }
}
END_TEST

START_TEST(parser_accepts_and_refuses)
{
    static const char *const good[] = {
        "{}", "[]", " {\"a\" : [ 1 , -2.5e3, true, false, null, \"\\u00e9\\ud83d\\ude00\" ] } ",
        "0", "\"\\/\\b\\f\\r\"", "{\"a\":{\"b\":{\"c\":[[[]]]}}}", "18446744073709551616",
    };
    static const char *const bad[] = {
        "", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "1e", "tru",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\u0000\"", "\"a\nb\"", "{} x", "{'a':1}",
        "\"unterminated",
    };
    char err[200];
    struct jp_value v;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(jp_parse(good[i], strlen(good[i]), &v, err, sizeof(err)) == 0,
                      "%s: %s", good[i], err);
        jp_free(&v);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(jp_parse(bad[i], strlen(bad[i]), &v, err, sizeof(err)) == -1,
                      "accepted: %s", bad[i]);
        ck_assert_msg(strncmp(err, "column ", 7) == 0, "%s", err);
    }
    const char *s = "[\"\\u00e9\\ud83d\\ude00\", 18446744073709551615, 18446744073709551616]";
    ck_assert_int_eq(jp_parse(s, strlen(s), &v, err, sizeof(err)), 0);
    ck_assert_str_eq(v.items[0].string, "\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert(v.items[1].is_uint && v.items[1].uint == 18446744073709551615ull);
    ck_assert(!v.items[2].is_uint);
    jp_free(&v);

    /* Nesting is bounded. */
    char deep[200];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    ck_assert_int_eq(jp_parse(deep, strlen(deep), &v, err, sizeof(err)), -1);
}
END_TEST

static void teardown(void)
{
    log_json = false;
}

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, writer_fields_and_escapes);
    tcase_add_test(tc, writer_truncates_validly);
    tcase_add_test(tc, log_lines_as_records);
    tcase_add_test(tc, abi_report_json_round_trip);
    tcase_add_test(tc, abi_report_text_lists_errors);
    tcase_add_test(tc, abi_report_adds_fast_path_irets);
    suite_add_tcase(s, tc);
    tc = tcase_create("abi_report_tool");
    tcase_add_test(tc, tables_from_two_traces);
    tcase_add_test(tc, reader_takes_the_last_report);
    tcase_add_test(tc, reader_refuses_broken_records);
    tcase_add_test(tc, parser_accepts_and_refuses);
    suite_add_tcase(s, tc);
    return s;
}
UNIT_SUITE(json_suite)
