/* core/curlpool — a pool of libcurl easy handles attached to one CURLSH share.
 *
 * Owns: the CURLSH share (connections — except for a pool made for a multi handle, whose
 * connections the multi keeps — DNS answers and TLS sessions, guarded by one mutex per data kind,
 * which is what keeps keep-alive connections reused across handles and threads), the
 * idle easy handles (at most max_idle; extra ones are cleaned up when given back) and the
 * mutexes. A handle from mg_curlpool_take belongs to the caller until it is given back with
 * mg_curlpool_give; the pool belongs to whoever called mg_curlpool_new.
 * Threads: take and give are safe from any thread; free only when no handle is out and no
 * other thread uses the pool. mg_curl_global_init may be called from any thread, any number of
 * times (curl_global_init runs once). */
#ifndef MG_CORE_CURLPOOL_H
#define MG_CORE_CURLPOOL_H
#include <curl/curl.h>
#include <stddef.h>

typedef struct mg_curlpool mg_curlpool;

/* curl_global_init(CURL_GLOBAL_DEFAULT), once per process. */
void mg_curl_global_init(void);

/* A new pool keeping at most max_idle idle handles (calls mg_curl_global_init; aborts when
 * libcurl cannot allocate). */
mg_curlpool *mg_curlpool_new(size_t max_idle);
/* The same for handles run by one curl multi handle: the share keeps DNS answers and TLS
 * sessions, and the multi handle keeps the connections (its CURLMOPT_MAXCONNECTS bounds them;
 * libcurl does not bound a share's connection cache, and walks all of it as transfers end). */
mg_curlpool *mg_curlpool_new_for_multi(size_t max_idle);
/* Cleans up the idle handles and the share (NULL: nothing). */
void mg_curlpool_free(mg_curlpool *p);

/* A handle with default options (never used, or reset when given back) and CURLOPT_SHARE set
 * to the pool's share; aborts when libcurl cannot allocate. */
CURL *mg_curlpool_take(mg_curlpool *p);
/* Resets h (so it keeps no pointers to the finished request's buffers or header lists; its
 * connection stays in the share) and keeps it idle, or cleans it up when the pool is full. */
void mg_curlpool_give(mg_curlpool *p, CURL *h);

/* CURLOPT_WRITEFUNCTION that appends the body to the mg_buf given as CURLOPT_WRITEDATA. Past the
 * buffer's cap it returns 0, which ends the transfer with CURLE_WRITE_ERROR: the one place a
 * response body's size limit is enforced. */
size_t mg_curl_write_buf(char *data, size_t size, size_t nmemb, void *buf);

#endif
