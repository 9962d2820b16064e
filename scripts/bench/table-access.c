/* What this machine's memory system charges for the flow table's access pattern, without
 * HelloScope: N accesses to random entries of a table of SLOTS entries of STRIDE bytes (transparent
 * huge pages asked for, as the flow table did until
 * 2026-12-06), each reading the entry and writing two of its words.
 *   independent: the next entry does not depend on this one; prefetched DISTANCE accesses ahead,
 *                as the tracker prefetches the flow of the packet DISTANCE packets on
 *   dependent:   the next entry is chosen by what this one holds, so each access waits for the
 *                last (a miss's full latency)
 * Prints the best of five passes, in ns per access.
 *   table-access SLOTS STRIDE N DISTANCE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t next_random(uint64_t *state) {   /* xorshift64 */
    *state ^= *state << 13; *state ^= *state >> 7; *state ^= *state << 17;
    return *state;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: table-access SLOTS STRIDE N DISTANCE\n"); return 64; }
    size_t slots = strtoull(argv[1], 0, 10), stride = strtoull(argv[2], 0, 10), n = strtoull(argv[3], 0, 10);
    size_t distance = strtoull(argv[4], 0, 10);
    if (slots == 0 || stride < 16 || stride % 8 != 0 || n == 0) { fprintf(stderr, "table-access: bad arguments\n"); return 64; }
    size_t bytes = slots * stride;
    char *table = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t *order = malloc(n * sizeof *order);
    if (table == MAP_FAILED || !order) { perror("table-access"); return 71; }
    madvise(table, bytes, MADV_HUGEPAGE);
    uint64_t state = 88172645463325252ull;
    for (size_t i = 0; i < slots; i++) *(uint64_t *)(table + i * stride) = next_random(&state);
    for (size_t i = 0; i < n; i++) order[i] = (uint32_t)(next_random(&state) % slots);

    double independent = 1e9, dependent = 1e9;
    uint64_t sink = 0;
    for (int pass = 0; pass < 5; pass++) {
        double start = seconds();
        for (size_t i = 0; i < n; i++) {
            if (distance && i + distance < n) {
                char *ahead = table + (size_t)order[i + distance] * stride;
                __builtin_prefetch(ahead, 1, 3);
                __builtin_prefetch(ahead + stride - 1, 1, 3);
            }
            uint64_t *entry = (uint64_t *)(table + (size_t)order[i] * stride);
            sink += entry[0];
            entry[1]++;
            entry[stride / 8 - 1]++;
        }
        double took = seconds() - start;
        if (took < independent) independent = took;

        start = seconds();
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t *entry = (uint64_t *)(table + at * stride);
            entry[1]++;
            at = (entry[0] ^ i) % slots;
        }
        took = seconds() - start;
        if (took < dependent) dependent = took;
        sink += at;
    }
    printf("%zu entries of %zu B (%zu MiB), %zu accesses: independent %.1f ns each (prefetch %zu ahead), dependent %.1f ns each%s\n",
           slots, stride, bytes >> 20, n, independent / n * 1e9, distance, dependent / n * 1e9, sink == 42 ? " " : "");
    return 0;
}
