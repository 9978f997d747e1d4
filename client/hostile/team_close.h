/*
 * A worker session closed from another thread while its team run is under way
 * (docs/multicore.md §6): the close is an exclusive entry, so OP-TEE lets it in only once the
 * worker's RUN_WORK has returned; the other participants finish the run, whose output must be
 * RUN's bit for bit, and the next run must work. Then UNLOAD must leave the session holding what
 * it held before (the team's counters and the worker's scratch are gone).
 */
#ifndef TZI_TEAM_CLOSE_H
#define TZI_TEAM_CLOSE_H

#include <stddef.h>
#include <stdint.h>

#include "ta_link.h"

/* One "team-close ..." line per check on stdout; 0 when every check held. */
int team_close_run(struct ta_link *owner, const uint8_t *model, size_t model_len, const float *input,
		   size_t input_len);

#endif
