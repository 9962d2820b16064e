#ifndef HELLOSCOPE_PREFETCH_H
#define HELLOSCOPE_PREFETCH_H

/// Asks the CPU to start loading `address` into its caches, for a write soon: Swift has no
/// way to say so. Never faults, whatever the address.
static inline void hs_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// The same, for a read soon.
static inline void hs_prefetch_for_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Asks for `address`'s line to be made this core's own, for writing, before the write: a
/// line another core has read must be taken back from it first, and a store that waits for
/// that holds up every store after it. `PREFETCHW` (x86-64 only; a read prefetch elsewhere).
static inline void hs_claim_for_write(const void *address) {
#if defined(__x86_64__)
    __asm__ volatile("prefetchw (%0)" : : "r"(address));
#else
    __builtin_prefetch(address, 1, 3);
#endif
}

#endif
