#define _GNU_SOURCE
#include "file_space.h"
#include <errno.h>
#include <fcntl.h>

int hs_reserve_blocks(int fd, long long offset, long long length) {
#ifdef __linux__
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length) == 0 ? 0 : errno;
#else
    (void)fd; (void)offset; (void)length;
    return EOPNOTSUPP;
#endif
}
