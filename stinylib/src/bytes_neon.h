/*
 * LD1/ST1 of 16 bytes at any address, for the aarch64 int8 kernels. With -mstrict-align (the TA)
 * gcc does not vectorise loops over bytes at unknown alignment, and may split vld1q_u8 on them;
 * LD1 needs only byte alignment, so it is written out. The "m" operands tell gcc which bytes are
 * read or written. The load is volatile so that gcc keeps it where the kernel schedules it.
 */
#ifndef STL_BYTES_NEON_H
#define STL_BYTES_NEON_H

#include <arm_neon.h>
#include <stdint.h>

static inline uint8x16_t ld16(const uint8_t *p)
{
	uint8x16_t v;
	__asm__ volatile("ld1 {%0.16b}, [%1]" : "=w"(v) : "r"(p), "m"(*(const uint8_t(*)[16])p));
	return v;
}

static inline void st16(uint8_t *p, uint8x16_t v)
{
	__asm__("st1 {%1.16b}, [%2]" : "=m"(*(uint8_t(*)[16])p) : "w"(v), "r"(p));
}

#endif
