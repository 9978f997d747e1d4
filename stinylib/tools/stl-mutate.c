/*
 * stl-mutate: a deterministic mutation fuzzer for the loader and kernels, meant to be built with
 * AddressSanitizer and UndefinedBehaviorSanitizer (make sanitize). It takes one valid model and
 * makes N mutants of it: a few random bytes of the header and tables overwritten (random values,
 * or small integers that hit the interesting ranges), the body re-hashed so that the checks behind
 * the SHA-256 are reached, sometimes a truncation. Each mutant is loaded from a buffer of exactly
 * its size; a mutant that loads is run in an arena of exactly stl_arena_bytes(). A sanitizer report
 * or a crash is the failure; refusals are the expected outcome.
 *
 *   stl-mutate MODEL.tzm N SEED      prints "mutants N loaded L" and exits 0
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "stinylib.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the seed on every libc */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static void *alloc16(size_t n)
{
	void *p = NULL;
	return posix_memalign(&p, 16, n ? n : 16) == 0 ? p : NULL;
}

/* Overwrite one field-sized piece of the header or tables with a random or a boundary value. */
static void mutate(uint8_t *m, size_t tables_end)
{
	static const uint32_t special[] = {0, 1, 2, 3, 4, 6, 7, 15, 16, 255, 256, 65535, 65536,
					   0x7fffffff, 0x80000000u, 0xfffffff0u, 0xffffffffu};
	size_t at = rnd() % tables_end;
	unsigned width = 1u << (rnd() % 3); /* 1, 2 or 4 bytes */
	uint32_t v = rnd() % 2 ? rnd() : special[rnd() % (sizeof special / sizeof special[0])];
	for (unsigned i = 0; i < width && at + i < tables_end; i++)
		m[at + i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: stl-mutate MODEL.tzm N SEED\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "rb");
	long len = -1;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 128 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "stl-mutate: cannot read %s\n", argv[1]);
		return 1;
	}
	uint8_t *orig = malloc((size_t)len);
	if (!orig || fread(orig, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "stl-mutate: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	uint32_t weights_offset;
	memcpy(&weights_offset, orig + 44, 4);
	const size_t tables_end = weights_offset < (size_t)len ? weights_offset : (size_t)len;
	const long n = atol(argv[2]);
	rng_state = (uint64_t)atoll(argv[3]) * 0x9E3779B97F4A7C15ull + 1;

	long loaded = 0;
	for (long i = 0; i < n; i++) {
		size_t size = (size_t)len;
		uint8_t *m = alloc16(size);
		memcpy(m, orig, size);
		for (uint32_t k = 1 + rnd() % 4; k > 0; k--)
			mutate(m, tables_end);
		if (rnd() % 8 != 0)
			stl_sha256(m + 128, size - 128, m + 56);
		if (rnd() % 16 == 0)
			size = rnd() % size;
		uint8_t *buf = alloc16(size); /* exactly the mutant: any over-read is a sanitizer report */
		memcpy(buf, m, size);
		free(m);

		struct stl_model model;
		if (stl_load(&model, buf, size) == STL_OK) {
			loaded++;
			const size_t arena_len = stl_arena_bytes(&model);
			void *arena = alloc16(arena_len);
			float *in = calloc(1, stl_input_bytes(&model) + 4);
			float *out = malloc(stl_output_bytes(&model) + 4);
			if (!arena || !in || !out || stl_run(&model, arena, arena_len, in, stl_input_bytes(&model), out,
							    stl_output_bytes(&model)) != STL_OK) {
				fprintf(stderr, "stl-mutate: a loaded mutant failed to run (%s)\n",
					arena && in && out ? model.error.reason : "out of memory");
				return 1;
			}
			free(arena);
			free(in);
			free(out);
		} else if (model.error.reason == NULL || model.error.status == STL_OK) {
			fprintf(stderr, "stl-mutate: a refusal without a status or reason\n");
			return 1;
		}
		free(buf);
	}
	free(orig);
	printf("mutants %ld loaded %ld\n", n, loaded);
	return 0;
}
