/*
 * A team (docs/multicore.md §4.4): the model session plus N - 1 worker sessions of the same TEE
 * context, joined with the token the model session's TEAM_OPEN drew, so that one run of the
 * loaded model uses N cores: RUN_PREPARE on the model session, then RUN_WORK on every session at
 * once (the calling thread takes the model session's, N - 1 POSIX threads the workers'), then
 * RUN_COLLECT (tzinfer_ta.h). A worker that cannot enter (no free OP-TEE thread or slot) only
 * makes the run slower: the TA's participants take its chunks.
 */
#ifndef TZI_TEAM_H
#define TZI_TEAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_client_api.h>

#include "tee_errors.h"

struct team;

/* Which call of a team failed, and how. worker: 1 ... N - 1 for a worker session's call. */
struct team_error {
	enum tee_call call;
	TEEC_Result result;
	uint32_t origin;
	uint32_t worker;
};

/* Open a team of `threads` (2 or more) around the model session `owner` of ctx. On failure
 * nothing stays open and *e says which call of which session failed. */
TEEC_Result team_open(struct team **out, TEEC_Context *ctx, TEEC_Session *owner, uint32_t threads,
		      struct team_error *e);

/* One run: the input block `in` to the output block `out`, within limit_ms (0: no limit);
 * *collect gets RUN_COLLECT's operation (its time and engine status) and reason its text. */
TEEC_Result team_run(struct team *t, TEEC_SharedMemory *in, TEEC_SharedMemory *out, uint32_t limit_ms,
		     TEEC_Operation *collect, char *reason, size_t reason_len, struct team_error *e);

/* From any thread: cancel the run under way (every RUN_WORK in flight, and those not yet sent).
 * false when no run is under way. */
bool team_cancel(struct team *t);

uint32_t team_threads(const struct team *t);

/* Close the worker sessions (the TA wipes their scratch); NULL is ignored. */
void team_close(struct team *t);

#endif
