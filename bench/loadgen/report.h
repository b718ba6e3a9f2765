/* report.h: loadgen's output: the progress line each second, the final
 * summary (text) and its JSON form.
 *
 * Progress: main bumps run->epoch; each thread, at its next loop turn,
 * starts writing the other interval half and acknowledges; main then owns
 * the old halves, merges them into one histogram, prints
 *
 *   [  3.0s] 612,003 ops/s  p50 0.081 ms  p99 0.211 ms  errors 0
 *
 * and clears them before the next bump. A thread that does not acknowledge
 * within 200 ms is left out of that line (the summary never is: it comes
 * from the per-thread totals after join). */
#ifndef LOADGEN_REPORT_H
#define LOADGEN_REPORT_H

#include "bench/loadgen/engine.h"

struct lg_result {
    double elapsed_s;          /* t0 to the last reply */
    uint64_t issued, completed, lost, moved, ask, reconnects, refreshes, timeouts;
    uint64_t bytes_in, bytes_out;
    struct lg_hist *all;
    struct lg_hist *per[LG_MAX_TMPL];
    struct lg_errtab errs;
    double cpu_s;              /* loadgen's own user+system CPU during the run */
};

/* One progress step: flip the epoch, gather and print (unless quiet). */
void lg_report_progress(struct lg_run *run, struct lg_hist *scratch, double elapsed_s, double interval_s);
/* Merge the threads' results (after join); free with lg_result_deinit. */
void lg_result_collect(struct lg_result *r, const struct lg_run *run, double cpu_s);
void lg_result_deinit(struct lg_result *r);
void lg_report_summary(FILE *f, const struct lg_opts *o, const struct lg_result *r);
/* Write the JSON form to path ("-" = stdout). 0 or -errno. */
int lg_report_json(const char *path, const struct lg_opts *o, const struct lg_result *r);

#endif
