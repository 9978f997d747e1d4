#define _POSIX_C_SOURCE 200809L
#include "cancel_watch.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"

#define POLL_NS 100000000L /* 100 ms: how late a timeout may fire */

static struct {
	pthread_mutex_t lock;
	pthread_t thread;
	sigset_t signals;
	bool running, stopping, interrupted;
	TEEC_Operation *op;      /* the command in flight, or NULL */
	double deadline_ms;      /* 0: none */
	enum cancel_cause cause; /* why op was cancelled */
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* libteec ignores a cancellation of an operation it has not started yet: a signal in the few
 * microseconds between cancel_watch_begin() and TEEC_InvokeCommand() is noticed only through
 * cancel_watch_interrupted(), after the command. */
static void cancel_in_flight(enum cancel_cause cause)
{
	if (!watch.op || watch.cause != CANCEL_NONE)
		return;
	watch.cause = cause;
	TEEC_RequestCancellation(watch.op);
}

static void *watcher(void *unused)
{
	const struct timespec poll = { 0, POLL_NS };

	(void)unused;
	for (;;) {
		int sig = sigtimedwait(&watch.signals, NULL, &poll);

		pthread_mutex_lock(&watch.lock);
		if (watch.stopping) {
			pthread_mutex_unlock(&watch.lock);
			return NULL;
		}
		if (sig > 0) {
			watch.interrupted = true;
			cancel_in_flight(CANCEL_SIGNAL);
		} else if (watch.deadline_ms > 0 && clock_ms() >= watch.deadline_ms) {
			cancel_in_flight(CANCEL_TIMEOUT);
		}
		pthread_mutex_unlock(&watch.lock);
	}
}

int cancel_watch_start(void)
{
	int rc = 0;

	sigemptyset(&watch.signals);
	sigaddset(&watch.signals, SIGINT);
	sigaddset(&watch.signals, SIGTERM);
	rc = pthread_sigmask(SIG_BLOCK, &watch.signals, NULL);
	if (rc == 0)
		rc = pthread_create(&watch.thread, NULL, watcher, NULL);
	if (rc != 0) {
		diag_error("cannot watch for Ctrl-C and timeouts (%s): out of resources", strerror(rc));
		return -1;
	}
	watch.running = true;
	return 0;
}

void cancel_watch_stop(void)
{
	if (!watch.running)
		return;
	pthread_mutex_lock(&watch.lock);
	watch.stopping = true;
	pthread_mutex_unlock(&watch.lock);
	pthread_join(watch.thread, NULL);
	watch.running = false;
}

void cancel_watch_begin(TEEC_Operation *op, double timeout_s)
{
	pthread_mutex_lock(&watch.lock);
	watch.op = op;
	watch.cause = CANCEL_NONE;
	watch.deadline_ms = timeout_s > 0 ? clock_ms() + timeout_s * 1e3 : 0;
	pthread_mutex_unlock(&watch.lock);
}

enum cancel_cause cancel_watch_end(void)
{
	enum cancel_cause cause = CANCEL_NONE;

	pthread_mutex_lock(&watch.lock);
	cause = watch.cause;
	watch.op = NULL;
	watch.deadline_ms = 0;
	watch.cause = CANCEL_NONE;
	pthread_mutex_unlock(&watch.lock);
	return cause;
}

bool cancel_watch_interrupted(void)
{
	bool interrupted = false;

	pthread_mutex_lock(&watch.lock);
	interrupted = watch.interrupted;
	pthread_mutex_unlock(&watch.lock);
	return interrupted;
}
