// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer, see json.h. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define JW_MAX_DEPTH 32

struct jw {
	FILE *out;
	bool pretty;
	int depth;
	/* Per nesting level: does it already hold an element (comma needed)? */
	bool has_elem[JW_MAX_DEPTH + 1];
	/* A name was just written: the next value follows it on the same line. */
	bool after_name;
};

struct jw *jw_new(FILE *out, bool pretty)
{
	struct jw *jw = calloc(1, sizeof(*jw));

	if (!jw)
		return NULL;
	jw->out = out;
	jw->pretty = pretty;
	return jw;
}

void jw_destroy(struct jw **pjw)
{
	if (!pjw || !*pjw)
		return;
	fputc('\n', (*pjw)->out);
	fflush((*pjw)->out);
	free(*pjw);
	*pjw = NULL;
}

static void jw_indent(struct jw *jw)
{
	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (int i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Separator before a value or a name: comma and line break as needed. */
static void jw_sep(struct jw *jw)
{
	if (jw->after_name) {
		jw->after_name = false;
		return;
	}
	if (jw->has_elem[jw->depth])
		fputc(',', jw->out);
	jw->has_elem[jw->depth] = true;
	if (jw->depth > 0)
		jw_indent(jw);
}

static void jw_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void jw_open(struct jw *jw, char c)
{
	jw_sep(jw);
	fputc(c, jw->out);
	if (jw->depth < JW_MAX_DEPTH)
		jw->depth++;
	jw->has_elem[jw->depth] = false;
}

static void jw_close(struct jw *jw, char c)
{
	bool had = jw->has_elem[jw->depth];

	if (jw->depth > 0)
		jw->depth--;
	/* Empty containers stay on one line: {} and []. */
	if (had)
		jw_indent(jw);
	fputc(c, jw->out);
}

void jw_start_object(struct jw *jw) { jw_open(jw, '{'); }
void jw_end_object(struct jw *jw) { jw_close(jw, '}'); }
void jw_start_array(struct jw *jw) { jw_open(jw, '['); }
void jw_end_array(struct jw *jw) { jw_close(jw, ']'); }

void jw_name(struct jw *jw, const char *name)
{
	jw_sep(jw);
	jw_escaped(jw->out, name);
	fputs(jw->pretty ? ": " : ":", jw->out);
	jw->after_name = true;
}

void jw_string(struct jw *jw, const char *s)
{
	if (!s) {
		jw_null(jw);
		return;
	}
	jw_sep(jw);
	jw_escaped(jw->out, s);
}

void jw_printf(struct jw *jw, const char *fmt, ...)
{
	char small[256], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		jw_null(jw);
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		buf = malloc(n + 1);
		if (!buf) {
			jw_null(jw);
			return;
		}
		va_start(ap, fmt);
		vsnprintf(buf, n + 1, fmt, ap);
		va_end(ap);
	}
	jw_string(jw, buf);
	if (buf != small)
		free(buf);
}

void jw_uint(struct jw *jw, uint64_t v)
{
	jw_sep(jw);
	fprintf(jw->out, "%llu", (unsigned long long)v);
}

void jw_int(struct jw *jw, int64_t v)
{
	jw_sep(jw);
	fprintf(jw->out, "%lld", (long long)v);
}

void jw_bool(struct jw *jw, bool v)
{
	jw_sep(jw);
	fputs(v ? "true" : "false", jw->out);
}

void jw_null(struct jw *jw)
{
	jw_sep(jw);
	fputs("null", jw->out);
}

void jw_float(struct jw *jw, double v)
{
	/* JSON has no NaN/Infinity. */
	if (!isfinite(v)) {
		jw_null(jw);
		return;
	}
	jw_sep(jw);
	fprintf(jw->out, "%.15g", v);
}

void jw_string_field(struct jw *jw, const char *name, const char *s) { jw_name(jw, name); jw_string(jw, s); }
void jw_uint_field(struct jw *jw, const char *name, uint64_t v) { jw_name(jw, name); jw_uint(jw, v); }
void jw_int_field(struct jw *jw, const char *name, int64_t v) { jw_name(jw, name); jw_int(jw, v); }
void jw_bool_field(struct jw *jw, const char *name, bool v) { jw_name(jw, name); jw_bool(jw, v); }
void jw_null_field(struct jw *jw, const char *name) { jw_name(jw, name); jw_null(jw); }
void jw_float_field(struct jw *jw, const char *name, double v) { jw_name(jw, name); jw_float(jw, v); }
void jw_object_field(struct jw *jw, const char *name) { jw_name(jw, name); jw_start_object(jw); }
void jw_array_field(struct jw *jw, const char *name) { jw_name(jw, name); jw_start_array(jw); }
