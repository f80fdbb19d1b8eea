#include "core/clock.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"

int64_t mg_clock_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mg_clock_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec mg_clock_deadline(clockid_t clk, int64_t ms_from_now) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    if (ms_from_now < 0) ms_from_now = 0;
    int64_t ns = (int64_t)ts.tv_nsec + (ms_from_now % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms_from_now / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

static void format_utc(int64_t wall_ms, char *out, size_t outlen, int with_ms) {
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    if (with_ms)
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
    else
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void mg_clock_micro_time_now(char *out, size_t outlen) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

void mg_clock_rfc3339_ms(int64_t wall_ms, char *out, size_t outlen) { format_utc(wall_ms, out, outlen, 1); }
void mg_clock_rfc3339(int64_t wall_ms, char *out, size_t outlen) { format_utc(wall_ms, out, outlen, 0); }

int mg_clock_parse_rfc3339(const char *s, int64_t *wall_ms) {
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &consumed) != 6)
        return MG_EINVAL;
    const char *p = s + consumed;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3) frac_ms = frac_ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (!digits) return MG_EINVAL;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return MG_EINVAL;
        offset_s = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return MG_EINVAL;
    }
    if (*p) return MG_EINVAL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    *wall_ms = ((int64_t)t - offset_s) * 1000 + frac_ms;
    return 0;
}

int mg_clock_parse_duration(const char *s, int64_t *ms) {
    if (!s || !*s) return MG_EINVAL;
    double total = 0;
    const char *p = s;
    if (!strcmp(s, "0")) {
        *ms = 0;
        return 0;
    }
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0) return MG_EINVAL;
        p = end;
        double unit;
        if (!strncmp(p, "ms", 2))
            unit = 1, p += 2;
        else if (!strncmp(p, "us", 2))
            unit = 0.001, p += 2;
        else if (!strncmp(p, "ns", 2))
            unit = 0.000001, p += 2;
        else if (*p == 's')
            unit = 1000, p++;
        else if (*p == 'm')
            unit = 60000, p++;
        else if (*p == 'h')
            unit = 3600000, p++;
        else
            return MG_EINVAL;
        total += v * unit;
    }
    *ms = (int64_t)llround(total);
    return 0;
}

void mg_sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

void mg_backoff_init(mg_backoff *b, int64_t base_ms, int64_t max_ms, double factor, double jitter) {
    b->base_ms = base_ms;
    b->max_ms = max_ms;
    b->factor = factor;
    b->jitter = jitter;
    b->attempt = 0;
}

static double thread_random01(void) {
    static _Thread_local unsigned short seed[3];
    static _Thread_local int seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed[0] = (unsigned short)ts.tv_nsec;
        seed[1] = (unsigned short)(ts.tv_nsec >> 16);
        seed[2] = (unsigned short)((uintptr_t)&seeded >> 4);
        seeded = 1;
    }
    return erand48(seed);
}

int64_t mg_backoff_next(mg_backoff *b) {
    double d = (double)b->base_ms * pow(b->factor, (double)b->attempt);
    if (d > (double)b->max_ms || !isfinite(d)) d = (double)b->max_ms;
    if (b->attempt < 64) b->attempt++;
    if (b->jitter > 0) d = d * (1.0 - b->jitter * thread_random01());
    return (int64_t)d;
}

void mg_backoff_reset(mg_backoff *b) { b->attempt = 0; }

void mg_clock_cond_init(pthread_cond_t *cv) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}
