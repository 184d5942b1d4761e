/*
 * frame_calendar.c - the calendar of MetricFrames: UTC day numbers (days
 * since 1970-01-01) to and from dates YYYY-MM-DD, ISO 8601 weeks and
 * calendar months, the period a row of a resampled frame stands for, its
 * label ("2026-W36", "2026-09") and whether the row holds its whole period.
 */
#include <stdio.h>

#include "frame.h"

static int32_t pa_days_from_civil(int y, int m, int d)
{
	int era, yoe, mp, doy, doe;
	if (m <= 2)
		y -= 1;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	mp = (m + 9) % 12;
	doy = (153 * mp + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

static void pa_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	if (*m <= 2)
		*y += 1;
}

int pa_parse_date(const char *s, size_t len, int32_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, max;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	if (d > max)
		return 0;
	*out = pa_days_from_civil(y, m, d);
	return 1;
}

void pa_frame_push_date(lua_State *L, int32_t n)
{
	int y, m, d;
	char buf[16];
	pa_civil_from_days(n, &y, &m, &d);
	buf[0] = (char)('0' + y / 1000 % 10);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	lua_pushlstring(L, buf, 10);
}

/* Day of the week of a day number: 0 = Monday (1970-01-01 was a Thursday). */
static int pa_weekday(int32_t z)
{
	return (int)(((z % 7) + 7 + 3) % 7);
}

/*
 * ISO 8601 week of a day: the week-numbering year is the year of the week's
 * Thursday, and week 1 is the week that holds the year's first Thursday
 * (2024-12-30 is in 2025-W01, 2021-01-03 in 2020-W53).
 */
static void pa_iso_week(int32_t z, int *year, int *week)
{
	int32_t thursday = z - pa_weekday(z) + 3;
	int m, d;
	pa_civil_from_days(thursday, year, &m, &d);
	*week = (int)((thursday - pa_days_from_civil(*year, 1, 1)) / 7) + 1;
}

int pa_frame_days_in_month(int32_t z)
{
	int y, m, d;
	pa_civil_from_days(z, &y, &m, &d);
	return (int)((m == 12 ? pa_days_from_civil(y + 1, 1, 1) : pa_days_from_civil(y, m + 1, 1)) -
	             pa_days_from_civil(y, m, 1));
}

/* The first day of the period of a day: its ISO week's Monday, or the 1st of its month. */
int32_t pa_frame_period_start(int32_t day, int period)
{
	if (period == PA_MONTH) {
		int y, m, d;
		pa_civil_from_days(day, &y, &m, &d);
		return pa_days_from_civil(y, m, 1);
	}
	return day - pa_weekday(day);
}

/* The label of a row of a frame of period that starts on day: YYYY-MM-DD,
 * YYYY-Www or YYYY-MM. buf holds at least 48 bytes; returns the length. */
size_t pa_frame_label(char *buf, size_t size, int period, int32_t day)
{
	int y, m, d, n;
	if (period == PA_WEEK) {
		pa_iso_week(day, &y, &m);
		/* the weeks around 0000-01-01 and 9999-12-31 can belong to years -1 and 10000 */
		n = (y >= 0 && y <= 9999) ? snprintf(buf, size, "%04d-W%02d", y, m) : snprintf(buf, size, "%+05d-W%02d", y, m);
	} else {
		pa_civil_from_days(day, &y, &m, &d);
		n = period == PA_MONTH ? snprintf(buf, size, "%04d-%02d", y, m) : snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
	}
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* A label YYYY-Www (period PA_WEEK) or YYYY-MM (PA_MONTH): sets the first day
 * of its period; 0 when s is no such label (a week 53 its year lacks, a month 13). */
int pa_frame_parse_label(const char *s, size_t len, int period, int32_t *start)
{
	int i, y, n;
	size_t at = period == PA_WEEK ? 6 : 5;
	if (len != at + 2 || s[4] != '-' || (period == PA_WEEK && s[5] != 'W'))
		return 0;
	for (i = 0; i < (int)len; i++)
		if ((i < 4 || i >= (int)at) && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	n = (s[at] - '0') * 10 + (s[at + 1] - '0');
	if (period == PA_MONTH) {
		if (n < 1 || n > 12)
			return 0;
		*start = pa_days_from_civil(y, n, 1);
		return 1;
	}
	if (n < 1 || n > 53)
		return 0;
	{
		int32_t jan4 = pa_days_from_civil(y, 1, 4), monday = jan4 - pa_weekday(jan4) + 7 * (n - 1);
		int yy, ww;
		pa_iso_week(monday, &yy, &ww);
		if (yy != y || ww != n)
			return 0;
		*start = monday;
	}
	return 1;
}

/* Does row i of the frame hold fewer days than its period has? */
int pa_frame_is_partial(const pa_frame *f, int i)
{
	if (f->period == PA_WEEK)
		return f->days[i] < 7;
	if (f->period == PA_MONTH)
		return f->days[i] < pa_frame_days_in_month(f->dates[i]);
	return 0;
}

/* Pushes the label of row i. */
void pa_frame_push_label(lua_State *L, const pa_frame *f, int i)
{
	char buf[48];
	size_t n = pa_frame_label(buf, sizeof buf, f->period, f->dates[i]);
	lua_pushlstring(L, buf, n);
}
