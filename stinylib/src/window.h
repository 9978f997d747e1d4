/* Where a sliding window (conv tap, pool cell) lands inside the input, along one axis. */
#ifndef STL_WINDOW_H
#define STL_WINDOW_H

#include <stdint.h>

/* Output indices o in [lo, hi) ⊆ [0, n) are exactly those with 0 <= o*s + off < len. */
static inline void stl_valid_span(int64_t off, uint32_t s, uint32_t len, uint32_t n, uint32_t *lo, uint32_t *hi)
{
	int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
	int64_t b = (int64_t)len - 1 - off < 0 ? 0 : ((int64_t)len - 1 - off) / s + 1;
	if (b > n)
		b = n;
	if (a > b)
		a = b;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
}

#endif
