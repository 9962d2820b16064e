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

#endif
