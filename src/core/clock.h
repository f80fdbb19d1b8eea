/* core/clock — time sources and jittered exponential backoff.
 *
 * Owns: no state. mg_clock_mono_ms() for durations and deadlines, mg_clock_wall_ms() for
 * timestamps that leave the process. mg_backoff is a plain value owned by its caller. The
 * backoff's jitter uses a per-thread PRNG, so it is safe from any thread. */
#ifndef MG_CORE_CLOCK_H
#define MG_CORE_CLOCK_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MG_MS_PER_S 1000

int64_t mg_clock_mono_ms(void);
int64_t mg_clock_wall_ms(void);
/* Formats a wall time in ms as "2026-11-26T11:40:09.123Z". */
void mg_clock_rfc3339_ms(int64_t wall_ms, char *out, size_t outlen);
/* Formats as Kubernetes metav1.Time: "2026-11-26T11:40:09Z" (second precision). */
void mg_clock_rfc3339(int64_t wall_ms, char *out, size_t outlen);
/* The current time as Kubernetes metav1.MicroTime: "2026-11-26T11:40:09.123456Z". */
void mg_clock_micro_time_now(char *out, size_t outlen);
/* Parses RFC 3339 ("...Z" or "+hh:mm", optional fraction) into wall ms; 0 or MG_EINVAL. */
int mg_clock_parse_rfc3339(const char *s, int64_t *wall_ms);
/* Parses a Kubernetes/Go duration ("30s", "10m", "1h30m", "500ms") into ms; 0 or MG_EINVAL. */
int mg_clock_parse_duration(const char *s, int64_t *ms);
void mg_sleep_ms(int64_t ms);
/* The absolute time ms_from_now (>= 0) on clock clk, normalised, for pthread_cond_timedwait:
 * CLOCK_MONOTONIC for condition variables made with mg_clock_cond_init, CLOCK_REALTIME
 * for plain ones. */
struct timespec mg_clock_deadline(clockid_t clk, int64_t ms_from_now);
/* Initialises cv to wait on CLOCK_MONOTONIC, so that a wait until mg_clock_deadline(
 * CLOCK_MONOTONIC, ...) does not move with the wall clock. Destroy with pthread_cond_destroy. */
void mg_clock_cond_init(pthread_cond_t *cv);

typedef struct mg_backoff {
    int64_t base_ms;  /* first delay */
    int64_t max_ms;   /* cap */
    double factor;    /* growth per attempt, e.g. 2.0 */
    double jitter;    /* 0..1: the delay is drawn from [d*(1-jitter), d] */
    unsigned attempt; /* attempts so far; reset to 0 on success */
} mg_backoff;

void mg_backoff_init(mg_backoff *b, int64_t base_ms, int64_t max_ms, double factor, double jitter);
/* Returns the delay before the next attempt and counts the attempt. */
int64_t mg_backoff_next(mg_backoff *b);
void mg_backoff_reset(mg_backoff *b);

#endif
