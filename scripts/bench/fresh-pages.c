/* What first touching fresh anonymous memory costs here, on 4 KiB pages and on transparent huge
 * pages: the flow table and the session slots are touched once per run, so this cost, not
 * the zeroing alone, is what their size costs. Pause between runs as a benchmark's runs do:
 * this virtual machine hands memory freed for a few seconds back to its host
 * (page_reporting), and backing it again is what makes a fresh huge page dear.
 *   gcc -O2 -o bench-data/fresh-pages scripts/bench/fresh-pages.c
 *   bench-data/fresh-pages MIB small|huge */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "small") && strcmp(argv[2], "huge"))) {
        fprintf(stderr, "usage: fresh-pages MIB small|huge\n");
        return 64;
    }
    size_t mebibytes = strtoul(argv[1], NULL, 10), bytes = mebibytes << 20;
    char *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) { perror("mmap"); return 1; }
    madvise(memory, bytes, strcmp(argv[2], "huge") ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
    double start = seconds();
    for (size_t at = 0; at < bytes; at += 4096) memory[at] = 1;
    double elapsed = seconds() - start;
    printf("%zu MiB on %s pages: %.1f ms, %.2f ms per MiB\n", mebibytes, argv[2], elapsed * 1e3, elapsed * 1e3 / mebibytes);
    return 0;
}
