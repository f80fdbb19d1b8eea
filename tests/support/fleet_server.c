/* fleet-server — one process that plays a fleet of model pods for the monitoring tests and the
 * monitoring benchmark: every pod has an address of its own on the loopback network
 * (127.0.0.0/8: pod i is 127.(1 + i / 65536).(i / 256 % 256).(i % 256)) and serves the modelgov
 * metric contract on one shared port, so thousands of distinct scrape targets cost one socket to
 * listen on. The pod is told by the address a connection was made to (getsockname).
 *
 *   fleet-server --pods N [--port P] [--features F] [--slow-every K] [--slow-ms MS]
 *                [--hang-every K] [--rate R]
 *
 * Pod i is slow (answers after --slow-ms) when i % slow-every == slow-every - 1, hanging (reads
 * the request, never answers) when i % hang-every == hang-every - 2 (so the two sets never
 * overlap when both are set); every other pod answers at once. Counters grow with time at R
 * predictions per second per pod, with fixed proportions (no drift: PSI ~ 0 against the
 * baseline fleet_baseline() of the benchmark). GET /stats on any address answers one JSON line:
 * requests answered, requests left hanging, connections accepted.
 *
 * The chosen port is printed on stdout as "port N" once listening. Single-threaded, epoll,
 * non-blocking, HTTP/1.1 keep-alive; stops on SIGTERM/SIGINT. Test support, not production. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_MAX 4096
#define BODY_MAX (256 * 1024)
#define MAX_EVENTS 256
#define MAX_FEATURES 200
#define EDGES 5

static const double EDGE[EDGES] = {10, 20, 30, 40, 50};
/* Share of observations up to each edge, and +Inf: the fleet's (and the baseline's) proportions
 * are 0.1, 0.2, 0.3, 0.2, 0.1, 0.1. */
static const double CUM_SHARE[EDGES + 1] = {0.1, 0.3, 0.6, 0.8, 0.9, 1.0};

typedef struct conn {
    int fd;
    long pod; /* -1: not a pod address (stats only) */
    char in[READ_MAX];
    size_t in_len;
    char *out;
    size_t out_len, out_off;
    int64_t reply_at_ms; /* > 0: a slow answer is waiting until then */
    bool hanging;
    struct conn *next_slow;
} conn;

typedef struct fleet {
    long pods, features, slow_every, hang_every, slow_ms;
    double rate;
    int ep, lfd;
    int64_t start_ms;
    unsigned long answered, hung, accepted;
    conn *slow; /* answers waiting for their time */
} fleet;

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long pod_of(const struct sockaddr_in *a) {
    uint32_t ip = ntohl(a->sin_addr.s_addr);
    if ((ip >> 24) != 127 || ((ip >> 16) & 0xff) < 1) return -1;
    return (long)(((ip >> 16) & 0xff) - 1) * 65536 + (long)(ip & 0xffff);
}

static bool is_slow(const fleet *f, long pod) {
    return f->slow_every > 0 && pod % f->slow_every == f->slow_every - 1;
}
static bool is_hanging(const fleet *f, long pod) {
    return f->hang_every > 1 && pod % f->hang_every == f->hang_every - 2;
}

/* Appends printf output to buf at *len (bounded by BODY_MAX). */
static void put(char *buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, BODY_MAX - *len, fmt, ap);
    va_end(ap);
    if (n > 0) *len = *len + (size_t)n < BODY_MAX ? *len + (size_t)n : BODY_MAX - 1;
}

/* The metric contract for pod at this moment: n predictions so far, 0.5 per group, positive rate
 * 0.4 (f) and 0.44 (m), feedback on every prediction with accuracy 0.9. */
static size_t render_metrics(const fleet *f, long pod, char *buf) {
    double t = (double)(now_ms() - f->start_ms) / 1000.0 + (double)(pod % 97);
    double n = (double)(long long)(t * f->rate) + 1000;
    size_t len = 0;
    put(buf, &len, "# TYPE modelgov_feature histogram\n");
    for (long k = 0; k < f->features; k++) {
        for (int e = 0; e < EDGES; e++)
            put(buf, &len, "modelgov_feature_bucket{feature=\"f%ld\",le=\"%g\"} %.0f\n", k, EDGE[e],
                n * CUM_SHARE[e]);
        put(buf, &len, "modelgov_feature_bucket{feature=\"f%ld\",le=\"+Inf\"} %.0f\n", k, n);
        put(buf, &len, "modelgov_feature_sum{feature=\"f%ld\"} %.0f\n", k, n * 30);
        put(buf, &len, "modelgov_feature_count{feature=\"f%ld\"} %.0f\n", k, n);
    }
    static const char *const groups[2] = {"f", "m"};
    static const double positive[2] = {0.40, 0.44};
    put(buf, &len, "# TYPE modelgov_predictions_total counter\n");
    for (int g = 0; g < 2; g++)
        for (int p = 0; p < 2; p++)
            put(buf, &len,
                "modelgov_predictions_total{attribute=\"sex\",group=\"%s\",prediction=\"%d\"} %.0f\n",
                groups[g], p, n * 0.5 * (p ? positive[g] : 1 - positive[g]));
    put(buf, &len, "# TYPE modelgov_feedback_total counter\n");
    for (int g = 0; g < 2; g++)
        for (int a = 0; a < 2; a++)
            for (int p = 0; p < 2; p++) {
                double share = (a ? positive[g] : 1 - positive[g]) * (a == p ? 0.9 : 0.1);
                put(buf, &len,
                    "modelgov_feedback_total{attribute=\"sex\",group=\"%s\",actual=\"%d\",predicted=\"%d\"} "
                    "%.0f\n",
                    groups[g], a, p, n * 0.5 * share);
            }
    return len;
}

static void set_reply(conn *c, const char *type, const char *body, size_t len) {
    free(c->out);
    c->out = malloc(len + 128);
    if (!c->out) abort();
    int h = snprintf(c->out, 128, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", type,
                     len);
    memcpy(c->out + h, body, len);
    c->out_len = (size_t)h + len;
    c->out_off = 0;
}

static void close_conn(fleet *f, conn *c) {
    for (conn **p = &f->slow; *p; p = &(*p)->next_slow)
        if (*p == c) {
            *p = c->next_slow;
            break;
        }
    epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

/* Writes what is pending; false when the connection is gone. */
static bool flush(fleet *f, conn *c) {
    while (c->out && c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
            epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &ev);
            return true;
        }
        if (n <= 0) return false;
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &ev);
    return true;
}

/* One complete request in c->in: answer it (now, later, or never). */
static bool handle_request(fleet *f, conn *c, size_t head_len) {
    char *body = malloc(BODY_MAX);
    if (!body) abort();
    size_t len;
    if (!strncmp(c->in, "GET /stats", 10)) {
        len = (size_t)snprintf(body, BODY_MAX, "{\"answered\":%lu,\"hanging\":%lu,\"accepted\":%lu}\n",
                               f->answered, f->hung, f->accepted);
        set_reply(c, "application/json", body, len);
    } else if (c->pod >= 0 && c->pod < f->pods) {
        len = render_metrics(f, c->pod, body);
        set_reply(c, "text/plain; version=0.0.4", body, len);
    } else {
        static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        free(c->out);
        c->out = strdup(nf);
        c->out_len = sizeof(nf) - 1;
        c->out_off = 0;
    }
    free(body);
    memmove(c->in, c->in + head_len, c->in_len - head_len);
    c->in_len -= head_len;
    if (c->pod >= 0 && is_hanging(f, c->pod) && strncmp(c->out, "HTTP/1.1 404", 12)) {
        c->hanging = true;
        f->hung++;
        return true;
    }
    if (c->pod >= 0 && is_slow(f, c->pod)) {
        c->reply_at_ms = now_ms() + f->slow_ms;
        c->next_slow = f->slow;
        f->slow = c;
        return true;
    }
    f->answered++;
    return flush(f, c);
}

static void on_readable(fleet *f, conn *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            close_conn(f, c);
            return;
        }
        c->in_len += (size_t)n;
        c->in[c->in_len] = '\0';
        if (c->hanging || c->reply_at_ms || c->out) continue; /* one request at a time */
        char *end = strstr(c->in, "\r\n\r\n");
        if (!end) {
            if (c->in_len >= sizeof(c->in) - 1) {
                close_conn(f, c);
                return;
            }
            continue;
        }
        if (!handle_request(f, c, (size_t)(end + 4 - c->in))) {
            close_conn(f, c);
            return;
        }
    }
}

static void on_accept(fleet *f) {
    for (;;) {
        struct sockaddr_in local;
        socklen_t sl = sizeof(local);
        int fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        conn *c = calloc(1, sizeof(*c));
        if (!c) abort();
        c->fd = fd;
        c->pod = getsockname(fd, (struct sockaddr *)&local, &sl) == 0 ? pod_of(&local) : -1;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev);
        f->accepted++;
    }
}

/* Sends the slow answers whose time has come; returns ms until the next one (-1: none). */
static int release_slow(fleet *f) {
    int64_t now = now_ms(), next = -1;
    for (conn **p = &f->slow; *p;) {
        conn *c = *p;
        if (c->reply_at_ms > now) {
            if (next < 0 || c->reply_at_ms - now < next) next = c->reply_at_ms - now;
            p = &c->next_slow;
            continue;
        }
        *p = c->next_slow;
        c->reply_at_ms = 0;
        f->answered++;
        if (!flush(f, c)) close_conn(f, c);
    }
    return (int)next;
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* any address: the pods are 127.x.y.z, all local on the loopback interface */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = 0};
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
        perror("fleet-server: listen");
        exit(1);
    }
    socklen_t sl = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &sl);
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static long arg_long(int argc, char **argv, const char *name, long def) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return strtol(argv[i + 1], NULL, 10);
    return def;
}

int main(int argc, char **argv) {
    fleet f = {.pods = arg_long(argc, argv, "--pods", 100),
               .features = arg_long(argc, argv, "--features", 20),
               .slow_every = arg_long(argc, argv, "--slow-every", 0),
               .hang_every = arg_long(argc, argv, "--hang-every", 0),
               .slow_ms = arg_long(argc, argv, "--slow-ms", 2000),
               .rate = (double)arg_long(argc, argv, "--rate", 20)};
    if (f.features < 1 || f.features > MAX_FEATURES || f.pods < 1) {
        fprintf(stderr, "fleet-server: --features 1..%d, --pods >= 1\n", MAX_FEATURES);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { /* one socket per scraper connection */
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    f.start_ms = now_ms();
    f.lfd = listen_on((int)arg_long(argc, argv, "--port", 0));
    f.ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(f.ep, EPOLL_CTL_ADD, f.lfd, &lev);
    struct epoll_event evs[MAX_EVENTS];
    while (!stop) {
        int timeout = release_slow(&f);
        int n = epoll_wait(f.ep, evs, MAX_EVENTS, timeout < 0 || timeout > 200 ? 200 : timeout);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                on_accept(&f);
            } else if (evs[i].events & EPOLLOUT && c->out && !c->reply_at_ms) {
                if (!flush(&f, c)) close_conn(&f, c);
            } else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                on_readable(&f, c);
            }
        }
    }
    return 0;
}
