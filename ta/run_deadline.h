/*
 * A run's time limit (tzinfer_ta.h, RUN and RUN_PREPARE), kept by the TA's own clock between
 * ops. The client could cancel a late run instead, but its cancellation request needs a
 * normal-world thread to run, and one that shares a core with the thread in the TA may wait a
 * second or more for it: the limit must not depend on the normal world's scheduler.
 */
#ifndef TZI_RUN_DEADLINE_H
#define TZI_RUN_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

struct run_deadline {
	uint32_t start_ms; /* run_clock_ms() when the run began */
	uint32_t limit_ms; /* 0: none */
};

/* TEE_GetSystemTime in milliseconds (1 ms resolution), modulo 2^32: only differences count. */
uint32_t run_clock_ms(void);

/* The run begins now, and may last limit_ms (0: without limit). */
void run_deadline_start(struct run_deadline *d, uint32_t limit_ms);

/* Has the run lasted its limit? Never true without one. */
bool run_deadline_passed(const struct run_deadline *d);

#endif
