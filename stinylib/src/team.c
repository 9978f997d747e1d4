/* A team run (docs/multicore.md §4.2): participants share out each op's chunks through two
 * counters per op, claimed with atomic fetch-adds, and wait at the end of each op until its last
 * chunk is done. No participant waits for one that has not arrived: whoever is there takes the
 * chunks, so a run completes with any number of participants from one up.
 *
 * The atomics are GCC builtins: inline exclusive load/store loops on aarch64 (TAs are built with
 * -mno-outline-atomics), no library. */
#include "stinylib.h"

/* Spins between two calls of the poll function. */
#define TEAM_POLL_SPINS 1024u

static inline void spin_pause(void)
{
#if defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#elif defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" ::: "memory");
#endif
}

uint32_t stl_team_counter_bytes(const struct stl_model *m)
{
	return 2u * sizeof(uint32_t) * stl_n_ops(m);
}

enum stl_status stl_team_arm(struct stl_team *t, const struct stl_model *m, void *arena, uint32_t *counters,
			     uint32_t max_chunks)
{
	if (m->base == NULL || arena == NULL || (counters == NULL && m->n_ops) || max_chunks == 0)
		return STL_E_ARG;
	for (uint32_t i = 0; i < 2u * m->n_ops; i++)
		counters[i] = 0;
	t->m = m;
	t->arena = arena;
	t->counters = counters;
	t->max_chunks = max_chunks;
	__atomic_store_n(&t->stop, 0u, __ATOMIC_RELEASE);
	return STL_OK;
}

void stl_team_stop(struct stl_team *t)
{
	__atomic_store_n(&t->stop, 1u, __ATOMIC_RELEASE);
}

/* Wait until *done reaches chunks; 0, or non-zero when the run stopped. */
static int wait_done(struct stl_team *t, const uint32_t *done, uint32_t chunks, stl_team_poll *poll, void *ctx)
{
	for (uint32_t spins = 1; __atomic_load_n(done, __ATOMIC_ACQUIRE) < chunks; spins++) {
		if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
			return 1;
		if (spins % TEAM_POLL_SPINS == 0 && poll && poll(ctx)) {
			stl_team_stop(t);
			return 1;
		}
		spin_pause();
	}
	return 0;
}

enum stl_status stl_team_work(struct stl_team *t, void *scratch, stl_team_poll *poll, void *ctx)
{
	const struct stl_model *m = t->m;
	for (uint32_t s = 0; s < m->n_ops; s++) {
		uint32_t *next = &t->counters[2u * s], *done = next + 1;
		const uint32_t chunks = stl_op_chunks(m, s, t->max_chunks);
		/* Once per op too: a participant that finds every chunk free never waits, so without
		 * this it would not see a cancellation until the run's end (as stl_run's op hook). */
		if (poll && poll(ctx)) {
			stl_team_stop(t);
			return STL_E_CANCELLED;
		}
		for (;;) {
			if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
				return STL_E_CANCELLED;
			const uint32_t c = __atomic_fetch_add(next, 1u, __ATOMIC_RELAXED);
			if (c >= chunks)
				break;
			/* Only the caller can make this fail (a misaligned scratch): stop the whole run. */
			if (stl_op_chunk(m, t->arena, s, c, chunks, scratch) != STL_OK) {
				stl_team_stop(t);
				return STL_E_ARG;
			}
			__atomic_fetch_add(done, 1u, __ATOMIC_RELEASE);
		}
		if (wait_done(t, done, chunks, poll, ctx))
			return STL_E_CANCELLED;
	}
	return STL_OK;
}
