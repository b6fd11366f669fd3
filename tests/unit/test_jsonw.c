/* SPDX-License-Identifier: Apache-2.0
 *
 * test_jsonw.c - the JSON text writer (core/jsonw.h) writes byte for byte
 * what jansson's json_dumps(JSON_COMPACT) writes for the same values:
 * escapes, UTF-8, reals, nesting and member order; and it keeps its
 * promises where jansson has none (invalid UTF-8, inf, a full buffer).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/* Asserts srr_jsonw_value(v) == json_dumps(v, JSON_COMPACT); takes v. */
static void same_as_jansson(json_t *v)
{
    srr_buf b;
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_assert_not_null(want);
    srr_buf_init(&b, 0);
    cr_assert_eq(srr_jsonw_value(&b, v), SRR_OK);
    cr_assert_str_eq(b.data, want);
    free(want);
    srr_buf_free(&b);
    json_decref(v);
}

Test(jsonw, strings_escape_as_jansson_does)
{
    static const char *const cases[] = {
        "", "plain", "quote \" and backslash \\", "slash / stays", "tab\tnl\ncr\rbs\bff\f",
        "\x01\x1f\x7f controls", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 utf-8",
        "100% {tag:value}, \"nested\": [1,2]"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srr_buf b;
        same_as_jansson(json_string(cases[i]));
        srr_buf_init(&b, 0);
        srr_jsonw_str(&b, cases[i]);
        cr_assert_eq(srr_jsonw_strn_len(cases[i], strlen(cases[i])), b.len, "case %zu", i);
        srr_buf_free(&b);
    }
    same_as_jansson(json_stringn("nul\0inside", 10));
}

Test(jsonw, reals_and_integers_as_jansson_does)
{
    static const double reals[] = {0.1, 12.5, 3.0, -0.0, 1e300, 1e-5, 1e17, -2.5e-300,
                                   123456789.125, 1.0 / 3.0, 5e-324};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        same_as_jansson(json_real(reals[i]));
    same_as_jansson(json_integer(0));
    same_as_jansson(json_integer(-9223372036854775807LL - 1));
    same_as_jansson(json_integer(9223372036854775807LL));
    same_as_jansson(json_integer(7716548234011234567LL));
    {
        static const json_int_t ints[] = {1, 9, 10, 99, 100, -1, -9, -10, 1767226200, -604800};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            same_as_jansson(json_integer(ints[i]));
    }
}

/* srr_jsonw_real works out the digits of short binary fractions itself
 * and leaves the rest to printf: both must write what jansson writes. */
Test(jsonw, reals_many_as_jansson_does)
{
    uint64_t x = 88172645463325252ULL; /* xorshift64 */
    static const double edges[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.5,
                                   0.25,
                                   0.0009765625, /* 2^-10 */
                                   0.00048828125, /* 2^-11: printf */
                                   9007199254740991.0,
                                   9007199254740992.0,
                                   4503599627370495.5,
                                   123456789012345.625,
                                   99999999999999.9921875,
                                   1e15,
                                   1e16,
                                   1e17,
                                   0.1,
                                   1e-4,
                                   12.5,
                                   -2.75};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        same_as_jansson(json_real(edges[i]));
    for (int i = 0; i < 200000; i++) {
        double v;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (i % 4) {
        case 0: /* a short binary fraction, either sign */
            v = ldexp((double)(x >> (11 + x % 50)), -(int)(x % 13));
            break;
        case 1: /* a small integer or a count */
            v = (double)(int64_t)(x % 2000001) - 1000000.0;
            break;
        case 2: /* two decimals, as a percentage */
            v = (double)(x % 100000) / 100.0;
            break;
        default: /* any finite double */
            memcpy(&v, &x, sizeof v);
            if (!isfinite(v))
                continue;
        }
        if (x & 1)
            v = -v;
        same_as_jansson(json_real(v));
    }
}

Test(jsonw, nesting_and_member_order_as_jansson_does)
{
    json_t *v = json_pack("{s:s, s:i, s:f, s:[s, b, n, {s:[]}], s:{}, s:b}", "zeta", "last?",
                          "alpha", 1, "mid", 2.25, "list", "x", 1, "o", "empty", "obj", "f", 0);
    same_as_jansson(v);
}

Test(jsonw, what_jansson_cannot_write)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_jsonw_str(&b, "bad \xff byte, cut \xe2\x82");
    cr_assert_str_eq(b.data, "\"bad \xef\xbf\xbd byte, cut \xef\xbf\xbd\xef\xbf\xbd\"");
    cr_assert_eq(srr_jsonw_strn_len("bad \xff byte, cut \xe2\x82", 18), b.len);
    b.len = 0;
    srr_jsonw_real(&b, INFINITY);
    srr_jsonw_real(&b, NAN);
    srr_jsonw_str(&b, NULL);
    cr_assert_str_eq(b.data, "nullnullnull");
    srr_buf_free(&b);
    /* a full buffer keeps nothing of the string that did not fit */
    srr_buf_init(&b, 8);
    cr_assert_eq(srr_jsonw_str(&b, "ab"), SRR_OK);
    cr_assert_eq(srr_jsonw_str(&b, "too long"), SRR_EINVAL);
    cr_assert_str_eq(b.data, "\"ab\"");
    srr_buf_free(&b);
}

/* srr_json_plain_len reads words; it must stop exactly where a byte-wise
 * scan stops, wherever the stopping byte sits in a word. */
Test(jsonw, plain_run_stops_where_a_byte_scan_stops)
{
    static const unsigned char stops[] = {0x00, 0x01, 0x1f, '"', '\\', 0x80, 0xc3, 0xff};
    static const unsigned char goes[] = {0x20, '!', '#', '[', ']', '~', 0x7f, 'a'};
    char buf[40];
    for (size_t len = 0; len <= 33; len++) {
        for (size_t g = 0; g < sizeof goes; g++) {
            memset(buf, goes[g], len);
            cr_assert_eq(srr_json_plain_len(buf, len), len, "all 0x%02x, %zu bytes", goes[g],
                         len);
            for (size_t at = 0; at < len; at++) {
                for (size_t k = 0; k < sizeof stops; k++) {
                    memset(buf, goes[g], len);
                    buf[at] = (char)stops[k];
                    cr_assert_eq(srr_json_plain_len(buf, len), at,
                                 "0x%02x at %zu of %zu among 0x%02x", stops[k], at, len, goes[g]);
                }
            }
        }
    }
    /* a byte just past n is never read into the answer */
    memcpy(buf, "abcdefgh\"", 9);
    cr_assert_eq(srr_json_plain_len(buf, 8), 8);
}
