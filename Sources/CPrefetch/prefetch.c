// The functions are inline in include/prefetch.h; SwiftPM wants a source file per C target.
#include "prefetch.h"
