/*
 * The compute of a team run (docs/multicore.md §4.2): what RUN_WORK does, the only TA code that
 * may run on several cores at once. Its only outside calls are the engine's team functions
 * (stinylib.h: stl_team_work, stl_op_chunks) and two syscalls, TEE_GetCancellationFlag and
 * TEE_GetSystemTime (run_deadline.h): no allocation, no session list, no storage, no memref. Everything else of
 * a team (token, workers, inputs and outputs) happens in exclusive entries (model_team.h).
 */
#ifndef TZI_RUN_TEAM_H
#define TZI_RUN_TEAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stinylib.h>
#include <tee_internal_api.h>

#include "run_deadline.h"

#define RUN_TEAM_NO_OP 0xffffffffu

struct run_team {
	struct stl_team team;   /* the engine's counters and stop flag */
	uint32_t run_id;        /* of the armed run; RUN_WORK must name it */
	bool armed;             /* RUN_PREPARE .. RUN_COLLECT */
	uint32_t stall_op;      /* the op no chunk of which finished for TZI_TEAM_STALL_MS, or
	                           RUN_TEAM_NO_OP; set once (atomic) by the participant that saw it */
	struct run_deadline deadline; /* RUN_PREPARE's time limit, from run_team_arm */
	uint32_t timed_out;     /* 1 (atomic) once a participant saw the run past its limit */
};

/* Arm a run of m (inputs already in arena) for up to `participants`, with the counters of
 * stl_team_counter_bytes(m), to end within limit_ms from now (0: no limit). Called in an
 * exclusive entry: no participant sees the reset. */
TEE_Result run_team_arm(struct run_team *r, const struct stl_model *m, void *arena, uint32_t *counters,
			uint32_t participants, uint32_t limit_ms);

/*
 * RUN_WORK's compute: take chunks of the armed run with scratch (NULL: the arena's, for the
 * owner only) until the run is complete (TEE_SUCCESS), cancelled (TEE_ERROR_CANCEL: this entry's
 * cancellation flag, or another participant stopped it), past its time limit (TEE_ERROR_TIMEOUT,
 * seen by any participant) or stalled (TEE_ERROR_BUSY: no chunk finished anywhere for
 * TZI_TEAM_STALL_MS; stall_op names the op). The caller unmasks cancellation.
 */
TEE_Result run_team_work(struct run_team *r, void *scratch);

/* After every participant has left: did the run complete? */
bool run_team_complete(const struct run_team *r);

/* The first op with chunks not done (the op a stalled run waits for), or RUN_TEAM_NO_OP. */
uint32_t run_team_pending_op(const struct run_team *r);

#endif
