/*
 * Cancelling a run in the TA from the normal world: Ctrl-C (SIGINT) or SIGTERM becomes
 * tzi_cancel() of the session's run in flight (libtzinfer's TEEC_RequestCancellation). The TA
 * checks its cancellation flag between two ops of RUN (tzinfer_ta.h) and returns
 * TEE_ERROR_CANCEL; commands that do not check it (the load) finish first. (--timeout is not
 * this watcher's: the TA keeps a run's time limit itself, tzi_set_time_limit.)
 *
 * The signal cannot be handled in the thread that sits in TEEC_InvokeCommand: the kernel delivers
 * it only once the ioctl returns, that is after the command. So cancel_watch_start() blocks the
 * signals in the calling thread (and the threads it creates later) and a watcher thread waits
 * for them with sigtimedwait, asking again ten times a second until the run returns.
 */
#ifndef TZI_CANCEL_WATCH_H
#define TZI_CANCEL_WATCH_H

#include <stdbool.h>

#include "tzinfer.h"

/* Block SIGINT/SIGTERM here and start the watcher; 0, or -1 with a diagnostic. */
int cancel_watch_start(void);

/* Stop the watcher (a no-op when it was not started). */
void cancel_watch_stop(void);

/* A run of session s is about to start: cancel it on a signal. */
void cancel_watch_begin(tzi_session *s);

/* The run returned. */
void cancel_watch_end(void);

/* A signal arrived since cancel_watch_start() (during a command or between two): stop. */
bool cancel_watch_interrupted(void);

#endif
