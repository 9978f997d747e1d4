/*
 * Cancelling a TA command from the normal world: Ctrl-C (SIGINT), SIGTERM, or a command that
 * outlives its timeout becomes TEEC_RequestCancellation of the command in flight. The TA checks
 * its cancellation flag between two ops of RUN (tzinfer_ta.h) and returns TEE_ERROR_CANCEL;
 * commands that do not check it (the load) finish first.
 *
 * The signal cannot be handled in the thread that sits in TEEC_InvokeCommand: the kernel delivers
 * it only once the ioctl returns, that is after the command. So cancel_watch_start() blocks the
 * signals in the calling thread (and the threads it creates later) and a watcher thread waits
 * for them with sigtimedwait, checking the deadline of the command in flight ten times a second.
 */
#ifndef TZI_CANCEL_WATCH_H
#define TZI_CANCEL_WATCH_H

#include <stdbool.h>
#include <tee_client_api.h>

enum cancel_cause {
	CANCEL_NONE,
	CANCEL_SIGNAL,  /* Ctrl-C or SIGTERM */
	CANCEL_TIMEOUT, /* the command ran past its timeout */
};

/* Block SIGINT/SIGTERM here and start the watcher; 0, or -1 with a diagnostic. */
int cancel_watch_start(void);

/* Stop the watcher (a no-op when it was not started). */
void cancel_watch_stop(void);

/* op is about to be invoked: cancel it on a signal, or after timeout_s seconds (0: never). */
void cancel_watch_begin(TEEC_Operation *op, double timeout_s);

/* op returned: why it was cancelled, if it was. */
enum cancel_cause cancel_watch_end(void);

/* A signal arrived since cancel_watch_start() (during a command or between two): stop. */
bool cancel_watch_interrupted(void);

#endif
