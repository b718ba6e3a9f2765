/* log.h: leveled logging in Redis's line format
 * ("pid:role dd Mon yyyy hh:mm:ss.mmm * message"), to the logfile directive's
 * file or stdout. Safe from any thread: each call formats into a stack
 * buffer and issues one write(2) on an O_APPEND descriptor, so lines from
 * different threads never interleave. Logging is not on the request path. */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3 };

void log_setup(const char *path, int level); /* NULL or "" = stdout */
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
