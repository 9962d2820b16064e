// Where each of helloscope's threads spends a run: LD_PRELOAD it. At each thread's end (and,
// for threads still alive, at exit) it prints the thread's name, its CPU time (user, system),
// when it started and ended, and how long it sat in each way of waiting the pipeline uses:
// a condition variable (the output pipeline), `usleep` and `sched_yield` (the reader's ring,
// `Backoff`). A thread that waits on the ring while the other waits on it too shows which
// stage was behind, and when; CPU time against the run's wall time shows how busy the cores
// were. One line per thread on standard error, starting "thread-times".
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static struct timespec processStart;
static __thread double started, condWaited, slept, yielded;
static __thread long condWaits, sleeps, yields;
static __thread int reported;

static double secondsSinceStart(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - processStart.tv_sec) + (double)(now.tv_nsec - processStart.tv_nsec) / 1e9;
}

static double seconds(struct timeval time) { return (double)time.tv_sec + (double)time.tv_usec / 1e6; }

// How many times the scheduler moved this thread to the other CPU: on this VM the two may be
// far apart, and a moved thread finds its working set in the other CPU's caches.
static long migrations(void) {
    FILE *sched = fopen("/proc/thread-self/sched", "r");
    if (!sched) return -1;
    char line[256];
    long moved = -1;
    while (fgets(line, sizeof line, sched))
        if (strncmp(line, "se.nr_migrations", 16) == 0) { char *colon = strchr(line, ':'); if (colon) moved = atol(colon + 1); }
    fclose(sched);
    return moved;
}

static void reportThisThread(void) {
    if (reported) return;
    reported = 1;
    char name[32] = "?";
    FILE *comm = fopen("/proc/thread-self/comm", "r");
    if (comm) {
        if (fgets(name, sizeof name, comm)) name[strcspn(name, "\n")] = '\0';
        fclose(comm);
    }
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    fprintf(stderr, "thread-times %-16s user %.3f s  system %.3f s  from %.3f to %.3f s  "
            "condition wait %.3f s (%ld)  usleep %.3f s (%ld)  sched_yield %.3f s (%ld)  "
            "moved %ld  preempted %ld\n",
            name, seconds(usage.ru_utime), seconds(usage.ru_stime), started, secondsSinceStart(),
            condWaited, condWaits, slept, sleeps, yielded, yields, migrations(), usage.ru_nivcsw);
}

struct Start { void *(*body)(void *); void *argument; };

static void *runReported(void *context) {
    struct Start start = *(struct Start *)context;
    free(context);
    started = secondsSinceStart();
    void *result = start.body(start.argument);
    reportThisThread();
    return result;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*body)(void *), void *argument) {
    static int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!create) create = dlsym(RTLD_NEXT, "pthread_create");
    struct Start *start = malloc(sizeof *start);
    if (!start) return create(thread, attributes, body, argument);
    *start = (struct Start){ body, argument };
    int status = create(thread, attributes, runReported, start);
    if (status != 0) free(start);
    return status;
}

int pthread_cond_wait(pthread_cond_t *condition, pthread_mutex_t *mutex) {
    static int (*wait)(pthread_cond_t *, pthread_mutex_t *);
    if (!wait) wait = dlsym(RTLD_NEXT, "pthread_cond_wait");
    double from = secondsSinceStart();
    int status = wait(condition, mutex);
    condWaited += secondsSinceStart() - from;
    condWaits += 1;
    return status;
}

int pthread_cond_timedwait(pthread_cond_t *condition, pthread_mutex_t *mutex, const struct timespec *until) {
    static int (*wait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    if (!wait) wait = dlsym(RTLD_NEXT, "pthread_cond_timedwait");
    double from = secondsSinceStart();
    int status = wait(condition, mutex, until);
    condWaited += secondsSinceStart() - from;
    condWaits += 1;
    return status;
}

int usleep(useconds_t microseconds) {
    static int (*sleep)(useconds_t);
    if (!sleep) sleep = dlsym(RTLD_NEXT, "usleep");
    double from = secondsSinceStart();
    int status = sleep(microseconds);
    slept += secondsSinceStart() - from;
    sleeps += 1;
    return status;
}

int sched_yield(void) {
    static int (*yield)(void);
    if (!yield) yield = dlsym(RTLD_NEXT, "sched_yield");
    double from = secondsSinceStart();
    int status = yield();
    yielded += secondsSinceStart() - from;
    yields += 1;
    return status;
}

// The main thread reports at exit; threads still blocked then (a detached helper) report
// their CPU time from /proc, without the waits only they could have counted.
static void reportAtExit(void) {
    reportThisThread();
    DIR *tasks = opendir("/proc/self/task");
    if (!tasks) return;
    pid_t self = gettid();
    long ticks = sysconf(_SC_CLK_TCK);
    for (struct dirent *task; (task = readdir(tasks));) {
        if (task->d_name[0] == '.' || atoi(task->d_name) == self) continue;
        char path[300], stat[1024], name[32] = "?";
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", task->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue;
        size_t length = fread(stat, 1, sizeof stat - 1, file);
        fclose(file);
        stat[length] = '\0';
        char *open = strchr(stat, '('), *close = strrchr(stat, ')');
        if (!open || !close) continue;
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
        unsigned long user = 0, system = 0;
        // After the name: state, then 10 fields before utime and stime (proc(5)).
        sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system);
        fprintf(stderr, "thread-times %-16s user %.3f s  system %.3f s  (still running at exit)\n",
                name, (double)user / (double)ticks, (double)system / (double)ticks);
    }
    closedir(tasks);
}

__attribute__((constructor)) static void start(void) {
    clock_gettime(CLOCK_MONOTONIC, &processStart);
    atexit(reportAtExit);
}
