/*
 * Cancelling a run in the TA from the normal world: Ctrl-C (SIGINT), SIGTERM, or a run that
 * outlives its timeout becomes tzi_cancel() of the session's run in flight (libtzinfer's
 * TEEC_RequestCancellation). The TA checks its cancellation flag between two ops of RUN
 * (tzinfer_ta.h) and returns TEE_ERROR_CANCEL; commands that do not check it (the load) finish
 * first.
 *
 * The signal cannot be handled in the thread that sits in TEEC_InvokeCommand: the kernel delivers
 * it only once the ioctl returns, that is after the command. So cancel_watch_start() blocks the
 * signals in the calling thread (and the threads it creates later) and a watcher thread waits
 * for them with sigtimedwait, checking the deadline of the command in flight ten times a second.
 */
#ifndef TZI_CANCEL_WATCH_H
#define TZI_CANCEL_WATCH_H

#include <stdbool.h>

#include "tzinfer.h"

enum cancel_cause {
	CANCEL_NONE,
	CANCEL_SIGNAL,  /* Ctrl-C or SIGTERM */
	CANCEL_TIMEOUT, /* the command ran past its timeout */
};

/* Block SIGINT/SIGTERM here and start the watcher; 0, or -1 with a diagnostic. */
int cancel_watch_start(void);

/* Stop the watcher (a no-op when it was not started). */
void cancel_watch_stop(void);

/* A run of session s is about to start: cancel it on a signal, or after timeout_s seconds
 * (0: never). */
void cancel_watch_begin(tzi_session *s, double timeout_s);

/* The run returned: why it was cancelled, if it was. */
enum cancel_cause cancel_watch_end(void);

/* A signal arrived since cancel_watch_start() (during a command or between two): stop. */
bool cancel_watch_interrupted(void);

#endif
