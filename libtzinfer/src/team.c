#define _POSIX_C_SOURCE 200809L
#include "team.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ta_ops.h"
#include "tzinfer_ta.h"

/* One session's RUN_WORK: participant 0 is the model session, in the calling thread. */
struct participant {
	struct team *team;
	TEEC_Session *session;
	TEEC_Operation op;
	TEEC_Result result;
	uint32_t origin;
	pthread_t thread;
	bool started, in_flight, cancel_sent;
};

struct team {
	uint32_t threads;
	TEEC_Session *workers;          /* [threads - 1] */
	uint32_t open_workers;
	struct participant *p;          /* [threads] */
	pthread_mutex_t lock;           /* guards running, cancelled and each in_flight/cancel_sent */
	bool running, cancelled;
	uint32_t run_id;
};

static TEEC_Result call(TEEC_Session *s, uint32_t cmd, TEEC_Operation *op, uint32_t *origin)
{
	*origin = TEEC_ORIGIN_API;
	return TEEC_InvokeCommand(s, cmd, op, origin);
}

static TEEC_Result failed(struct team_error *e, enum tee_call c, TEEC_Result res, uint32_t origin,
			  uint32_t worker)
{
	*e = (struct team_error){ c, res, origin, worker };
	return res;
}

uint32_t team_threads(const struct team *t)
{
	return t ? t->threads : 1;
}

void team_close(struct team *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->open_workers; i++)
		TEEC_CloseSession(&t->workers[i]);
	pthread_mutex_destroy(&t->lock);
	free(t->workers);
	free(t->p);
	free(t);
}

TEEC_Result team_open(struct team **out, TEEC_Context *ctx, TEEC_Session *owner, uint32_t threads,
		      struct team_error *e)
{
	const TEEC_UUID uuid = TZI_TA_UUID;
	struct team *t = calloc(1, sizeof(*t));
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin = 0, token[4] = { 0 };

	*out = NULL;
	if (!t || !(t->workers = calloc(threads - 1, sizeof(*t->workers))) ||
	    !(t->p = calloc(threads, sizeof(*t->p)))) {
		if (t) {
			free(t->workers);
			free(t);
		}
		return failed(e, TEE_CALL_TEAM_OPEN, TEEC_ERROR_OUT_OF_MEMORY, TEEC_ORIGIN_API, 0);
	}
	pthread_mutex_init(&t->lock, NULL);
	t->threads = threads;
	ta_op_team_open(&op);
	res = call(owner, TZI_CMD_TEAM_OPEN, &op, &origin);
	if (res != TEEC_SUCCESS) {
		team_close(t);
		return failed(e, TEE_CALL_TEAM_OPEN, res, origin, 0);
	}
	ta_op_token(&op, token);
	for (uint32_t i = 0; i < threads - 1; i++) {
		origin = TEEC_ORIGIN_API;
		res = TEEC_OpenSession(ctx, &t->workers[i], &uuid, TEEC_LOGIN_USER, NULL, NULL, &origin);
		if (res != TEEC_SUCCESS) {
			failed(e, TEE_CALL_OPEN_SESSION, res, origin, i + 1);
			break;
		}
		t->open_workers++;
		ta_op_team_join(&op, token);
		if ((res = call(&t->workers[i], TZI_CMD_TEAM_JOIN, &op, &origin)) != TEEC_SUCCESS) {
			failed(e, TEE_CALL_TEAM_JOIN, res, origin, i + 1);
			break;
		}
	}
	memset(token, 0, sizeof(token));
	if (res != TEEC_SUCCESS) {
		team_close(t);
		return res;
	}
	t->p[0].session = owner;
	for (uint32_t i = 1; i < threads; i++)
		t->p[i].session = &t->workers[i - 1];
	*out = t;
	return TEEC_SUCCESS;
}

/* RUN_WORK of one participant, unless the run was cancelled before it was sent. */
static void *work(void *arg)
{
	struct participant *p = arg;
	struct team *t = p->team;
	bool cancelled = false;

	ta_op_run_work(&p->op, t->run_id);
	pthread_mutex_lock(&t->lock);
	cancelled = t->cancelled;
	p->in_flight = !cancelled;
	pthread_mutex_unlock(&t->lock);
	if (cancelled) {
		p->result = TEEC_ERROR_CANCEL;
		return NULL;
	}
	p->result = call(p->session, TZI_CMD_RUN_WORK, &p->op, &p->origin);
	pthread_mutex_lock(&t->lock);
	p->in_flight = false;
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

bool team_cancel(struct team *t)
{
	bool running = false;

	if (!t)
		return false;
	pthread_mutex_lock(&t->lock);
	running = t->running;
	if (running) {
		t->cancelled = true;
		for (uint32_t i = 0; i < t->threads; i++) {
			if (t->p[i].in_flight) {
				TEEC_RequestCancellation(&t->p[i].op);
				t->p[i].cancel_sent = true;
			}
		}
	}
	pthread_mutex_unlock(&t->lock);
	return running;
}

/*
 * OP-TEE keeps a session's cancellation flag until the end of the next command it runs in the TA
 * (session.c, drain_cancellation): one STATS, which checks no flag, consumes it on every session
 * a request went to.
 */
static void drain_cancellations(struct team *t)
{
	TEEC_Operation op;
	uint32_t origin = 0;

	for (uint32_t i = 0; i < t->threads; i++) {
		if (t->p[i].cancel_sent) {
			ta_op_stats(&op);
			call(t->p[i].session, TZI_CMD_STATS, &op, &origin);
			t->p[i].cancel_sent = false;
		}
	}
}

/* Every participant's RUN_WORK at once; the model session's in this thread. Threads that cannot
 * be started leave their share to the others. */
static void work_together(struct team *t)
{
	for (uint32_t i = 0; i < t->threads; i++) {
		t->p[i].team = t;
		t->p[i].result = TEEC_SUCCESS;
		t->p[i].started = i && pthread_create(&t->p[i].thread, NULL, work, &t->p[i]) == 0;
	}
	work(&t->p[0]);
	for (uint32_t i = 1; i < t->threads; i++)
		if (t->p[i].started)
			pthread_join(t->p[i].thread, NULL);
}

TEEC_Result team_run(struct team *t, TEEC_SharedMemory *in, TEEC_SharedMemory *out, uint32_t limit_ms,
		     TEEC_Operation *collect, char *reason, size_t reason_len, struct team_error *e)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS, owner_res = TEEC_SUCCESS;
	uint32_t origin = 0;
	bool cancelled = false;

	pthread_mutex_lock(&t->lock);
	t->running = true;
	t->cancelled = false;
	pthread_mutex_unlock(&t->lock);
	ta_op_run_prepare(&op, in, limit_ms, reason, reason_len);
	res = call(t->p[0].session, TZI_CMD_RUN_PREPARE, &op, &origin);
	if (res == TEEC_SUCCESS) {
		t->run_id = op.params[1].value.a;
		work_together(t);
		owner_res = t->p[0].result;
		origin = t->p[0].origin;
		/* The run's outcome is RUN_COLLECT's; it also disarms a run nobody finished. */
		ta_op_run_collect(collect, out, reason, reason_len);
		res = call(t->p[0].session, TZI_CMD_RUN_COLLECT, collect, &origin);
		if (res != TEEC_SUCCESS)
			failed(e, TEE_CALL_RUN_COLLECT, res, origin, 0);
	} else {
		failed(e, TEE_CALL_RUN_PREPARE, res, origin, 0);
	}
	pthread_mutex_lock(&t->lock);
	t->running = false;
	cancelled = t->cancelled;
	pthread_mutex_unlock(&t->lock);
	drain_cancellations(t);
	/* Cancelled before any RUN_WORK went in: RUN_COLLECT found the run not run. */
	if (cancelled && res == TEEC_ERROR_BAD_STATE && owner_res == TEEC_ERROR_CANCEL)
		return failed(e, TEE_CALL_RUN_COLLECT, TEEC_ERROR_CANCEL, TEEC_ORIGIN_TRUSTED_APP, 0);
	return res;
}
