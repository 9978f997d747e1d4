#define _POSIX_C_SOURCE 200809L
#include "team_close.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "io_block.h"
#include "ta_ops.h"
#include "tzinfer_ta.h"

/* A RUN_WORK on one session, on its own thread. */
struct work_call {
	TEEC_Session *session;
	uint32_t run_id;
	TEEC_Result result;
	pthread_t thread;
};

/* The worker session's closer: waits `delay_ms`, then closes it (OP-TEE lets the close in once
 * the worker's RUN_WORK has returned). */
struct closer {
	TEEC_Session *session;
	double delay_ms, closed_at_ms;
	pthread_t thread;
};

static void *work(void *arg)
{
	struct work_call *w = arg;
	TEEC_Operation op;
	uint32_t origin = 0;

	ta_op_run_work(&op, w->run_id);
	w->result = TEEC_InvokeCommand(w->session, TZI_CMD_RUN_WORK, &op, &origin);
	return NULL;
}

static void *close_later(void *arg)
{
	struct closer *c = arg;
	long ms = (long)c->delay_ms;
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
	TEEC_CloseSession(c->session);
	c->closed_at_ms = clock_ms();
	return NULL;
}

static bool check(const char *what, bool ok, TEEC_Result res)
{
	printf("team-close %s: 0x%08x %s\n", what, res, ok ? "ok" : "FAIL");
	return ok;
}

/* The team run with the worker closed mid-run; its output block into out. */
static bool run_and_close_worker(struct ta_link *l, const uint8_t *block, size_t block_len, uint8_t *out,
				 size_t out_len, double run_ms)
{
	const TEEC_UUID uuid = TZI_TA_UUID;
	TEEC_Session worker;
	TEEC_Operation op;
	struct work_call calls[2];
	struct closer closer = { &worker, run_ms / 2, 0, 0 };
	uint32_t origin = 0, token[4];
	TEEC_Result res = TEEC_SUCCESS;
	double start = 0;
	bool ok = true;

	ta_op_team_open(&op);
	res = ta_link_call(l, TZI_CMD_TEAM_OPEN, &op);
	ok &= check("TEAM_OPEN", res == TEEC_SUCCESS, res);
	ta_op_token(&op, token);
	res = TEEC_OpenSession(&l->ctx, &worker, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);
	if (!check("worker session", res == TEEC_SUCCESS, res))
		return false;
	ta_op_team_join(&op, token);
	res = TEEC_InvokeCommand(&worker, TZI_CMD_TEAM_JOIN, &op, &origin);
	ok &= check("TEAM_JOIN", res == TEEC_SUCCESS, res);
	ta_op_run(&op, block, block_len, NULL, 0, NULL, 0);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_INPUT,
					 TEEC_NONE);
	res = ta_link_call(l, TZI_CMD_RUN_PREPARE, &op);
	ok &= check("RUN_PREPARE", res == TEEC_SUCCESS, res);
	calls[0] = (struct work_call){ &l->session, op.params[1].value.a, TEEC_SUCCESS, 0 };
	calls[1] = (struct work_call){ &worker, op.params[1].value.a, TEEC_SUCCESS, 0 };
	start = clock_ms();
	pthread_create(&calls[1].thread, NULL, work, &calls[1]);
	pthread_create(&closer.thread, NULL, close_later, &closer);
	work(&calls[0]);
	pthread_join(calls[1].thread, NULL);
	pthread_join(closer.thread, NULL);
	printf("team-close worker closed %.0f ms into a run of about %.0f ms\n", closer.closed_at_ms - start,
	       run_ms);
	/* The owner's RUN_WORK completes the run, whoever did which chunks; the worker's either
	 * completed it too, or found its session gone. */
	ok &= check("owner RUN_WORK", calls[0].result == TEEC_SUCCESS, calls[0].result);
	printf("team-close worker RUN_WORK: 0x%08x\n", calls[1].result);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = out;
	op.params[0].tmpref.size = out_len;
	res = ta_link_call(l, TZI_CMD_RUN_COLLECT, &op);
	return check("RUN_COLLECT", res == TEEC_SUCCESS, res) && ok;
}

int team_close_run(struct ta_link *l, const uint8_t *model, size_t model_len, const float *input,
		   size_t input_len)
{
	const void *data = input;
	size_t block_len = io_block_bytes(&input_len, 1);
	uint8_t *block = malloc(block_len), *ref = NULL, *out = NULL, *again = NULL;
	uint32_t out_len = 0;
	struct ta_usage before = { 0 }, after = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	double start = 0, run_ms = 0;
	bool ok = true;

	if (!block || ta_link_stats(l, &before) != TEEC_SUCCESS ||
	    ta_link_load(l, model, model_len, TZI_MAX_CHUNK_BYTES, &out_len) != TEEC_SUCCESS ||
	    !(ref = calloc(1, out_len)) || !(out = calloc(1, out_len)) || !(again = calloc(1, out_len))) {
		fprintf(stderr, "tzinfer-hostile: the model does not load: give a valid model\n");
		free(block);
		return -1;
	}
	io_block_write(block, &data, &input_len, 1);
	start = clock_ms();
	res = ta_link_run_block(l, block, block_len, ref, out_len);
	run_ms = clock_ms() - start;
	ok &= check("reference RUN", res == TEEC_SUCCESS, res);
	ok &= run_and_close_worker(l, block, block_len, out, out_len, run_ms);
	ok &= check("output equals RUN's", !memcmp(out, ref, out_len), TEEC_SUCCESS);
	res = ta_link_run_block(l, block, block_len, again, out_len);
	ok &= check("next RUN", res == TEEC_SUCCESS && !memcmp(again, ref, out_len), res);
	res = ta_link_unload(l);
	ok &= check("UNLOAD", res == TEEC_SUCCESS, res);
	res = ta_link_stats(l, &after);
	printf("team-close secure bytes held: %u before the load, %u after UNLOAD\n", before.in_use,
	       after.in_use);
	ok &= check("nothing held after UNLOAD", res == TEEC_SUCCESS && after.in_use == before.in_use, res);
	printf("team-close: %s\n", ok ? "all ok" : "FAILED");
	free(block);
	free(ref);
	free(out);
	free(again);
	return ok ? 0 : -1;
}
