#include "run_team.h"

#include "tzinfer_ta.h"

/* One participant's watch over the run's progress, polled by the engine between ops and every
 * 1024 spins of a wait (stinylib.h, stl_team_work). */
struct progress_watch {
	struct run_team *r;
	uint32_t done;     /* chunks finished in the whole run when last seen */
	uint32_t since_ms; /* when that count last moved */
};

/* Chunks finished over all ops: it grows while any participant makes progress. */
static uint32_t chunks_done(const struct stl_team *t)
{
	uint32_t total = 0;
	uint32_t s = 0;

	for (s = 0; s < stl_n_ops(t->m); s++)
		total += __atomic_load_n(&t->counters[2u * s + 1u], __ATOMIC_RELAXED);
	return total;
}

static int poll_progress(void *ctx)
{
	struct progress_watch *w = ctx;
	uint32_t done = chunks_done(&w->r->team);
	uint32_t now = run_clock_ms();
	uint32_t none = RUN_TEAM_NO_OP;

	if (TEE_GetCancellationFlag())
		return 1;
	if (run_deadline_passed(&w->r->deadline)) {
		__atomic_store_n(&w->r->timed_out, 1u, __ATOMIC_RELAXED);
		return 1;
	}
	if (done != w->done) {
		w->done = done;
		w->since_ms = now;
		return 0;
	}
	if (now - w->since_ms < TZI_TEAM_STALL_MS)
		return 0;
	/* The first participant to see the stall names the op; the others keep its verdict. */
	__atomic_compare_exchange_n(&w->r->stall_op, &none, run_team_pending_op(w->r), false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return 1;
}

TEE_Result run_team_arm(struct run_team *r, const struct stl_model *m, void *arena, uint32_t *counters,
			uint32_t participants, uint32_t limit_ms)
{
	/* Four chunks per participant and op: one preempted participant holds back a quarter of
	 * its share, not all of it. */
	if (stl_team_arm(&r->team, m, arena, counters, 4u * participants) != STL_OK)
		return TEE_ERROR_BAD_STATE;
	r->stall_op = RUN_TEAM_NO_OP;
	r->timed_out = 0;
	run_deadline_start(&r->deadline, limit_ms);
	r->run_id++;
	r->armed = true;
	return TEE_SUCCESS;
}

TEE_Result run_team_work(struct run_team *r, void *scratch)
{
	struct progress_watch w = { r, chunks_done(&r->team), run_clock_ms() };
	enum stl_status st = stl_team_work(&r->team, scratch, poll_progress, &w);

	if (st == STL_OK)
		return TEE_SUCCESS;
	if (__atomic_load_n(&r->stall_op, __ATOMIC_RELAXED) != RUN_TEAM_NO_OP)
		return TEE_ERROR_BUSY;
	if (__atomic_load_n(&r->timed_out, __ATOMIC_RELAXED))
		return TEE_ERROR_TIMEOUT;
	return st == STL_E_CANCELLED ? TEE_ERROR_CANCEL : TEE_ERROR_BAD_PARAMETERS;
}

uint32_t run_team_pending_op(const struct run_team *r)
{
	const struct stl_team *t = &r->team;
	uint32_t s = 0;

	for (s = 0; s < stl_n_ops(t->m); s++)
		if (__atomic_load_n(&t->counters[2u * s + 1u], __ATOMIC_ACQUIRE) <
		    stl_op_chunks(t->m, s, t->max_chunks))
			return s;
	return RUN_TEAM_NO_OP;
}

bool run_team_complete(const struct run_team *r)
{
	return r->armed && !__atomic_load_n(&r->team.stop, __ATOMIC_ACQUIRE) &&
	       run_team_pending_op(r) == RUN_TEAM_NO_OP;
}
