#define _POSIX_C_SOURCE 200809L
#include "cancel_watch.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "diag.h"

#define POLL_NS 100000000L /* 100 ms between two requests to cancel */

static struct {
	pthread_mutex_t lock;
	pthread_t thread;
	sigset_t signals;
	bool running, stopping, interrupted;
	tzi_session *session; /* whose run is in flight, or NULL */
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER };

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
		if (sig > 0)
			watch.interrupted = true;
		/* Asked again at every poll while the run lasts: tzi_cancel() refuses before the run
		 * is in flight (TZI_E_STATE), and a request that reaches OP-TEE before the run
		 * reaches the TA is lost. */
		if (watch.interrupted && watch.session)
			tzi_cancel(watch.session);
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
		diag_error("cannot watch for Ctrl-C (%s): out of resources", strerror(rc));
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

void cancel_watch_begin(tzi_session *s)
{
	pthread_mutex_lock(&watch.lock);
	watch.session = s;
	pthread_mutex_unlock(&watch.lock);
}

void cancel_watch_end(void)
{
	pthread_mutex_lock(&watch.lock);
	watch.session = NULL;
	pthread_mutex_unlock(&watch.lock);
}

bool cancel_watch_interrupted(void)
{
	bool interrupted = false;

	pthread_mutex_lock(&watch.lock);
	interrupted = watch.interrupted;
	pthread_mutex_unlock(&watch.lock);
	return interrupted;
}
