/* What the two accuracy checkers share, tinylibm's ulp_check (against glibc) and the engine's
 * act_ulp (stinylib/tools, against the exact values): the command line, the inputs (specials with
 * their neighbours, sampled or exhaustive bit patterns) and the error measure. Host and aarch64
 * Linux only: it links libm for the reference values. */
#ifndef ULP_HARNESS_H
#define ULP_HARNESS_H

#include <stddef.h>
#include <stdint.h>

uint32_t ulp_bits_of(float f);
float ulp_float_of(uint32_t u);

/* |got - exact| in units of the float ULP at exact (the subnormal spacing below FLT_MIN). */
double ulp_err(float got, double exact);

/* NaN-ness, infinity or the sign of zero of ours differing from ref. */
int ulp_special_mismatch(float ours, float ref);

/* The command line: `NAME sampled N SEED` or `NAME exhaustive [FIRST LAST [FUNC...]]` (FUNC only
 * where the tool takes names: max_names > 0). */
struct ulp_args {
	int sampled;
	uint64_t n, seed;         /* sampled */
	uint32_t first, last;     /* exhaustive */
	char **names;             /* the functions named, all when n_names is 0 */
	int n_names;
};

/* 0, or prints the usage (`usage` is the tool's line) and returns 2. */
int ulp_parse_args(int argc, char **argv, int max_names, const char *usage, struct ulp_args *a);

/* Where the inputs go, one bit pattern at a time. */
typedef void (*ulp_sink)(void *ctx, uint32_t xbits);

/* A function's inputs: the special values (each NaN in nans, ±inf, and each of specials with
 * both signs and its 4 neighbours on each side), then, when sampled, n/2 random bit patterns
 * over all of float32 and n/2 uniform values in [lo, hi] (splitmix64 from seed: the same on
 * every platform); or every bit pattern of [first, last]. */
struct ulp_inputs {
	const float *specials;
	size_t n_specials;
	const uint32_t *nans;
	size_t n_nans;
};

void ulp_feed(const struct ulp_args *a, const struct ulp_inputs *in, float lo, float hi, ulp_sink sink,
	      void *ctx);

#endif
