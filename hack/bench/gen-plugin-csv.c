/* Writes a synthetic people CSV of about MB megabytes to stdout for hack/bench/bench-plugin.sh:
 * ~100-byte rows with a quoted name holding a comma, an e-mail, protected attributes, numbers
 * and a label. Deterministic (xorshift PRNG). Usage: gen-plugin-csv MB */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t s = 88172645463325252ull;
static uint64_t rnd(void) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

int main(int argc, char **argv) {
    long long target = (argc > 1 ? atoll(argv[1]) : 100) * 1000000LL, out = 0;
    static const char *first[] = {"Anna", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gustav", "Hana"};
    static const char *last[] = {"Smith", "Jones", "Müller", "Okafor", "Tanaka", "Rossi", "Novak", "Silva"};
    static const char *sex[] = {"f", "m"};
    static const char *race[] = {"a", "b", "c", "d"};
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    out += printf("id,name,email,sex,race,age,zip,income,approved,note\r\n");
    for (long long id = 1; out < target; id++) {
        uint64_t r = rnd();
        const char *f = first[r & 7], *l = last[(r >> 3) & 7];
        int sx = (r >> 6) & 1, age = 18 + (int)((r >> 8) % 60);
        int approved = ((r >> 16) % 100) < (sx ? 55u : 42u);
        out += printf("%lld,\"%s, %s\",%s.%s%lld@example.com,%s,%s,%d,%05d,%d.%02d,%d,note %llu\r\n", id, l,
                      f, f, l, id % 9973, sex[sx], race[(r >> 7) & 3], age, (int)((r >> 20) % 99999),
                      20000 + (int)((r >> 40) % 80000), (int)((r >> 33) % 100), approved,
                      (unsigned long long)((r >> 24) % 1000000));
    }
    return 0;
}
