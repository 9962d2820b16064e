#ifndef HELLOSCOPE_THREAD_NAME_H
#define HELLOSCOPE_THREAD_NAME_H

/// Names the calling thread for `top -H`, `ps -L` and `perf` (Linux keeps the first 15
/// bytes; `pthread_setname_np`, which Swift's Glibc module does not offer). Returns 0 or the
/// error; elsewhere than Linux, does nothing and returns 0.
int hs_name_this_thread(const char *name);

#endif
