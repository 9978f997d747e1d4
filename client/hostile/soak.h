/*
 * The soak: many consecutive inferences on one loaded model, then repeated LOAD/UNLOAD
 * cycles, with the TA's secure-buffer usage (STATS) before and after. A leak shows as
 * in-use bytes left after UNLOAD or as a peak that grows beyond one loaded model.
 */
#ifndef TZI_SOAK_H
#define TZI_SOAK_H

#include <stddef.h>
#include <stdint.h>

#include "ta_link.h"

/* Run `runs` inferences and `cycles` load/run/unload cycles; prints "soak ..." lines.
 * 0 when every call succeeded, every output equalled the first and usage did not grow. */
int soak_run(struct ta_link *l, const uint8_t *model, size_t model_len, const float *input,
	     size_t input_len, unsigned runs, unsigned cycles);

#endif
