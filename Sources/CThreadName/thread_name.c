#define _GNU_SOURCE
#include "thread_name.h"
#include <pthread.h>
#include <string.h>

int hs_name_this_thread(const char *name) {
#ifdef __linux__
    char kept[16];
    strncpy(kept, name, sizeof kept - 1);
    kept[sizeof kept - 1] = '\0';
    return pthread_setname_np(pthread_self(), kept);
#else
    (void)name;
    return 0;
#endif
}
