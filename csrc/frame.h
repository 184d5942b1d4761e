/*
 * frame.h - what the files of the MetricFrame share (private to them):
 *
 *   frame.c           the userdata: what a frame is, its lifecycle, lookups
 *                     and argument checks every part uses, the method table
 *   frame_calendar.c  day numbers and dates, ISO weeks, months, row labels
 *   frame_build.c     core.frame(sources): reading decoded answers once, raw
 *   frame_read.c      series names and derived rates; the methods that read
 *                     a frame (get, column, status, labels, rows, to_table...)
 *   frame_agg.c       sum, mean, min, max; slice, resample, merge
 *   frame_rank.c      top
 *   frame_text.c      to_csv, to_string, tostring
 *
 * pa.h declares what the rest of the core calls (core.frame, frame_bytes,
 * pa_frame_open, pa_parse_date). Everything here is named pa_frame_ (types
 * and macros aside) and is hidden: only luaopen_pinanalytics_core leaves
 * the shared object, whatever flags it is built with. What one file alone
 * uses is static in it.
 */
#ifndef PA_FRAME_H
#define PA_FRAME_H

#include <math.h>
#include <stdint.h>

#include "pa.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define PA_FRAME_MT "pinanalytics.Frame"

/* Pinterest's DataStatus values, in frame.c: code = index + 1, 0 = no status
 * given; PA_UNKNOWN (the last) for a status this list does not know. */
#define PA_NSTATUS 24
#define PA_READY 1
#define PA_UNKNOWN PA_NSTATUS
/* a day counts as final when it is READY or carries no status at all */
#define PA_FINAL(code) ((code) == 0 || (code) == PA_READY)

/* The status names, PA_NSTATUS of them (frame.c). */
extern const char *const pa_frame_status_names[];

/* what a row of a frame is */
enum { PA_DAY, PA_WEEK, PA_MONTH };

/* "day", "week", "month", by PA_DAY, PA_WEEK, PA_MONTH (frame.c). */
extern const char *const pa_frame_period_names[];

/*
 * A frame: values[series * ndates + row], NaN for a missing value, rows
 * sorted by their (distinct) first day, series by name. Immutable once built.
 */
typedef struct {
	int ndates, nseries;
	int period; /* PA_DAY, or PA_WEEK / PA_MONTH for a frame made by resample */
	int32_t *dates;
	double *values; /* NULL once closed (after __gc) */
	uint8_t *status;
	uint8_t *days; /* days of the frame each row holds: 1 by day, up to 31 by month */
	int names_ref; /* registry: array of series names */
	int index_ref; /* registry: name -> series index (1-based) */
} pa_frame;

/* A series as a method reads it: one of the frame, or a rate derived from its parts. */
typedef struct {
	int s;        /* the series, or -1 for a derived rate */
	int num, den; /* a rate's or average's parts, -1 where the frame lacks them */
	int ratio;    /* a rate or an average: aggregated from its parts */
} pa_ref;

/* ---------------------------------------------------------------- frame.c */

/* The frame at idx; raises when it is not a frame or is closed. */
pa_frame *pa_frame_check(lua_State *L, int idx);

/* Frees a frame's arrays and names; idempotent. The frame is closed after. */
void pa_frame_close(lua_State *L, pa_frame *f);

/*
 * Pushes a new frame of ndates x nseries by day, values missing, statuses
 * absent, each row holding one day. names_idx holds its series names in
 * order; index_idx their index (name -> 1-based position), or 0 to build it.
 */
pa_frame *pa_frame_alloc(lua_State *L, int ndates, int nseries, int names_idx, int index_idx);

/* Pushes the frame's array of series names (private: never handed out). */
void pa_frame_push_names(lua_State *L, const pa_frame *f);

/* Series index (0-based) of the name (a string) at idx, or -1. */
int pa_frame_series(lua_State *L, const pa_frame *f, int idx);

/* Index of day in the sorted dates[0..ndates), or -1. */
int pa_frame_date_index(const int32_t *dates, int ndates, int32_t day);

/* Sorts n dates and drops repeats; returns how many are left. */
size_t pa_frame_unique_dates(int32_t *d, size_t n);

/* Pushes a caller's string as it may appear in a message (at most 40 bytes,
 * unprintable bytes as \ddd, "..." when cut) and returns it. */
const char *pa_frame_push_shown(lua_State *L, const char *s, size_t len);

/* Pushes t[k] of the table at idx, read raw. */
void pa_frame_rawfield(lua_State *L, int idx, const char *k);

/* Checks that the options at idx of method fn are nil or a table. */
void pa_frame_check_opts(lua_State *L, int idx, const char *fn);

/* A count argument: a whole number >= 0 (math.huge too) as an int, at most
 * INT_MAX; def when nil and def >= 0. */
int pa_frame_arg_count(lua_State *L, int idx, const char *fn, const char *what, int def);

/* ------------------------------------------------------- frame_calendar.c */

/* Pushes the day number n as a string YYYY-MM-DD. */
void pa_frame_push_date(lua_State *L, int32_t n);

/* The number of days of the month of day z. */
int pa_frame_days_in_month(int32_t z);

/* The first day of the period of a day: its ISO week's Monday, or the 1st of its month. */
int32_t pa_frame_period_start(int32_t day, int period);

/* The label of a row of a frame of period that starts on day: YYYY-MM-DD,
 * YYYY-Www or YYYY-MM. buf holds at least 48 bytes; returns the length. */
size_t pa_frame_label(char *buf, size_t size, int period, int32_t day);

/* A label YYYY-Www (PA_WEEK) or YYYY-MM (PA_MONTH): sets the first day of
 * its period; 0 when s is no such label. */
int pa_frame_parse_label(const char *s, size_t len, int period, int32_t *start);

/* Does row i of the frame hold fewer days than its period has? */
int pa_frame_is_partial(const pa_frame *f, int i);

/* Pushes the label of row i. */
void pa_frame_push_label(lua_State *L, const pa_frame *f, int i);

/* ---------------------------------------------------------- frame_build.c */

/* The id of the name (a string) on top of the stack, which is popped, in
 * the tables byid (id + 1 -> name) and ids (name -> id); a new name gets
 * the next id, *n counts them. */
int pa_frame_name_id(lua_State *L, int byid, int ids, int *n);

/* Sorts the n names of byid in byte order. Pushes rank (a userdata of n
 * ints: rank[id] = position, 0-based) and the array of names in order;
 * returns rank. */
int *pa_frame_sort_names(lua_State *L, int byid, int n);

/* ----------------------------------------------------------- frame_read.c */

/* Pushes a value of a series: nil when missing; a rate or an average
 * (is_ratio) always a float; otherwise an integer when integral, on 5.3+. */
void pa_frame_push_series_value(lua_State *L, double v, int is_ratio);

/* Where the base name starts: after the last "/" (a "prefix/"), or 0. */
size_t pa_frame_base(const char *name, size_t n);

/* Does the name end in _RATE, or is its base name an average? */
int pa_frame_is_ratio(const char *name, size_t n);

/* Pushes the names of the parts of a rate or average (numerator, then
 * denominator); returns 0, pushing nothing, for a name that is neither. */
int pa_frame_push_part_names(lua_State *L, const char *name, size_t n);

/* The parts of a ratio series: numerator and denominator series indices,
 * or -1 when the frame lacks them. */
void pa_frame_ratio_parts(lua_State *L, const pa_frame *f, const char *name, size_t n, int *num, int *den);

/* Resolves the name (a string) at idx; 0 when the frame has neither the
 * series nor, for a rate, both of its parts. */
int pa_frame_ref_of(lua_State *L, const pa_frame *f, int idx, pa_ref *r);

/* A series name argument of method fn; raises when the frame has no such
 * series and, for a rate, not both of its parts either. */
void pa_frame_arg_ref(lua_State *L, const pa_frame *f, int idx, const char *fn, pa_ref *r);

/* A value of a rate from its parts: missing when either is, 0 over 0 impressions. */
static inline double pa_frame_ratio(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return b == 0 ? 0.0 : a / b;
}

/* The value of a series (or derived rate) on row i: NaN when missing. */
static inline double pa_frame_ref_value(const pa_frame *f, const pa_ref *r, int i)
{
	size_t n = (size_t)f->ndates;
	if (r->s >= 0)
		return f->values[(size_t)r->s * n + (size_t)i];
	return pa_frame_ratio(f->values[(size_t)r->num * n + (size_t)i], f->values[(size_t)r->den * n + (size_t)i]);
}

/* #frame: its rows */
int pa_frame_len(lua_State *L);
/* frame:dates() */
int pa_frame_dates(lua_State *L);
/* frame:metrics() */
int pa_frame_metrics(lua_State *L);
/* frame:get(date, metric) */
int pa_frame_get(lua_State *L);
/* frame:column(metric) */
int pa_frame_column(lua_State *L);
/* frame:status(date) */
int pa_frame_status(lua_State *L);
/* frame:not_ready() */
int pa_frame_not_ready(lua_State *L);
/* frame:period() */
int pa_frame_period(lua_State *L);
/* frame:labels() */
int pa_frame_labels(lua_State *L);
/* frame:partial([date]) */
int pa_frame_partial(lua_State *L);
/* frame:to_table() */
int pa_frame_to_table(lua_State *L);
/* frame:rows() */
int pa_frame_rows(lua_State *L);

/* ------------------------------------------------------------ frame_agg.c */

/* The sum of series s over the rows (final ones only, if asked): how many
 * values it summed, the sum in *out. */
int pa_frame_sum_col(const pa_frame *f, int s, int ready_only, double *out);

/* A rate over the rows from its summed parts, on the rows that have both:
 * how many rows, the rate in *out (0 over 0 impressions). */
int pa_frame_sum_ratio(const pa_frame *f, int num, int den, int ready_only, double *out);

/* Raises: the rate name[0..len) cannot be aggregated without its parts. */
int pa_frame_cannot_aggregate(lua_State *L, const char *name, size_t len);

/* frame:sum(metric [, opts]) */
int pa_frame_sum(lua_State *L);
/* frame:mean(metric [, opts]) */
int pa_frame_mean(lua_State *L);
/* frame:min(metric [, opts]) */
int pa_frame_min(lua_State *L);
/* frame:max(metric [, opts]) */
int pa_frame_max(lua_State *L);
/* frame:slice(range) or frame:slice(start_date, end_date) */
int pa_frame_slice(lua_State *L);
/* frame:resample("week" | "month") */
int pa_frame_resample(lua_State *L);
/* frame:merge(other) */
int pa_frame_merge(lua_State *L);

/* ----------------------------------------------------------- frame_rank.c */

/* frame:top(n [, metric [, opts]]) */
int pa_frame_top(lua_State *L);

/* ----------------------------------------------------------- frame_text.c */

/* frame:to_csv([opts]) */
int pa_frame_to_csv(lua_State *L);
/* frame:to_string([opts]) */
int pa_frame_to_string(lua_State *L);
/* tostring(frame) */
int pa_frame_tostring(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* PA_FRAME_H */
