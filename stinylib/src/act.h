/* Fused activations (docs/model-format.md, `act`), applied in place to a run of floats. */
#ifndef STL_ACT_H
#define STL_ACT_H

#include <stddef.h>

#include "stinylib.h"

/* Apply op->act with parameters op->fattr[0..1] to y[0..n). NONE leaves y untouched. */
void stl_act_apply(const struct stl_op *op, float *y, size_t n);

#endif
