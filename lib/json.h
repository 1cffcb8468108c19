/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal streaming JSON writer for `-j` / `-p` output (loader status, xvtepctl).
 *
 * Commas, nesting and indentation are tracked by the writer, so callers only
 * emit names and values in order:
 *
 *	struct jw *jw = jw_new(stdout, pretty);
 *	jw_start_object(jw);
 *	jw_string_field(jw, "uplink", "eth0");
 *	jw_name(jw, "vnis");
 *	jw_start_array(jw);
 *	jw_uint(jw, 100);
 *	jw_end_array(jw);
 *	jw_end_object(jw);
 *	jw_destroy(&jw);	// ends the document with a newline
 *
 * Strings are escaped per RFC 8259 (quote, backslash, control characters as
 * \uXXXX); bytes >= 0x80 are passed through (names are expected in UTF-8).
 */
#ifndef XVTEP_JSON_H
#define XVTEP_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jw;

/* pretty: 2-space indentation and one member per line; else compact. NULL on ENOMEM. */
struct jw *jw_new(FILE *out, bool pretty);
/* Writes the final newline, flushes and frees; *jw is set to NULL. NULL-safe. */
void jw_destroy(struct jw **jw);

void jw_start_object(struct jw *jw);
void jw_end_object(struct jw *jw);
void jw_start_array(struct jw *jw);
void jw_end_array(struct jw *jw);

/* Member name inside an object; the next value call is its value. */
void jw_name(struct jw *jw, const char *name);

/* Values: array elements, or the value of the preceding jw_name(). */
void jw_string(struct jw *jw, const char *s);	/* s == NULL writes null */
void jw_printf(struct jw *jw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jw_uint(struct jw *jw, uint64_t v);
void jw_int(struct jw *jw, int64_t v);
void jw_bool(struct jw *jw, bool v);
void jw_null(struct jw *jw);
void jw_float(struct jw *jw, double v);	/* non-finite values write null */

/* Shorthands: jw_name() followed by the value. */
void jw_string_field(struct jw *jw, const char *name, const char *s);
void jw_uint_field(struct jw *jw, const char *name, uint64_t v);
void jw_int_field(struct jw *jw, const char *name, int64_t v);
void jw_bool_field(struct jw *jw, const char *name, bool v);
void jw_null_field(struct jw *jw, const char *name);
void jw_float_field(struct jw *jw, const char *name, double v);
void jw_object_field(struct jw *jw, const char *name);	/* name + jw_start_object */
void jw_array_field(struct jw *jw, const char *name);	/* name + jw_start_array */

#endif /* XVTEP_JSON_H */
