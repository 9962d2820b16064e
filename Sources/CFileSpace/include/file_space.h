#ifndef HELLOSCOPE_FILE_SPACE_H
#define HELLOSCOPE_FILE_SPACE_H

/// Has the file system set aside blocks for `length` bytes of `fd` from `offset`, without
/// changing the file's length (Linux `fallocate` with `FALLOC_FL_KEEP_SIZE`, which Swift's
/// Glibc module does not offer). Returns 0, or the errno: EOPNOTSUPP where the file system
/// cannot, ENOSPC when the disk is short. Elsewhere than Linux, always EOPNOTSUPP.
int hs_reserve_blocks(int fd, long long offset, long long length);

#endif
