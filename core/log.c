/* log.c: leveled logging (log.h). One write(2) per line on an O_APPEND
 * descriptor keeps lines from different threads whole. */
#include "core/log.h"

#include "core/common.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDOUT_FILENO;
static int log_level = LOG_NOTICE;

void
log_setup(const char *path, int level)
{
    log_level = level;
    if (path && path[0]) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            log_fd = fd;
        else
            fprintf(stderr, "Can't open the log file: %s\n", path);
    }
}

void
log_set_level(int level)
{
    __atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int
log_get_level(void)
{
    return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void
log_msg(int level, const char *fmt, ...)
{
    if (level < log_get_level())
        return;
    static const char marks[] = ".-*#";
    char line[1024];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
    n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, "%03d %c ", (int)(tv.tv_usec / 1000), marks[level & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n += m < 0 ? 0 : TS_MIN(m, (int)sizeof(line) - n - 2);
    line[n++] = '\n';
    ssize_t w = write(log_fd, line, (size_t)n);
    (void)w;
}
