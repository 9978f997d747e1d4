/* numpy broadcasting over an output's index space, for the kernels that walk it with an odometer
 * (WHERE, MATMUL's batch dims). */
#ifndef STL_BROADCAST_H
#define STL_BROADCAST_H

#include <stddef.h>

#include "stinylib.h"

/*
 * Element strides of t over the output's nd leading dims, t's dims less its last `skip` right-aligned
 * with them: stride[d] is how far t moves when the output's index d advances, 0 where t broadcasts
 * (its dim is 1 or absent). skip is 2 for MATMUL's batch dims (the matrix is the unit), else 0.
 */
static inline void stl_broadcast_strides(const struct stl_tensor *t, unsigned nd, unsigned skip, size_t *stride)
{
	const int own = (int)t->ndim - (int)skip;
	size_t s = 1;
	for (unsigned i = (unsigned)own; i < t->ndim; i++)
		s *= t->dims[i];
	for (int d = (int)nd - 1; d >= 0; d--) {
		const int td = d - ((int)nd - own);
		const uint32_t len = td < 0 ? 1 : t->dims[td];
		stride[d] = len == 1 ? 0 : s;
		s *= len;
	}
}

#endif
