/* SHA-256 (FIPS 180-4), used to verify a model body; the TA links the same code. */
#ifndef STL_SHA256_H
#define STL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define STL_SHA256_BYTES 32

struct stl_sha256 {
	uint32_t state[8];
	uint64_t length;      /* bytes hashed so far */
	uint8_t block[64];    /* pending partial block */
	size_t fill;          /* bytes in block */
};

void stl_sha256_init(struct stl_sha256 *s);
void stl_sha256_update(struct stl_sha256 *s, const void *data, size_t len);
void stl_sha256_final(struct stl_sha256 *s, uint8_t digest[STL_SHA256_BYTES]);
/* One-shot convenience. */
void stl_sha256(const void *data, size_t len, uint8_t digest[STL_SHA256_BYTES]);

#endif
