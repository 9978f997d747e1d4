#include "ulp_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t ulp_bits_of(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

float ulp_float_of(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

double ulp_err(float got, double exact)
{
	int e = exact == 0.0 ? -126 : ilogb(exact);
	return fabs((double)got - exact) / ldexp(1.0, (e < -126 ? -126 : e) - 23);
}

int ulp_special_mismatch(float ours, float ref)
{
	if (isnan(ours) || isnan(ref))
		return !(isnan(ours) && isnan(ref));
	if (isinf(ours) || isinf(ref))
		return ours != ref;
	if (ours == 0.0f && ref == 0.0f)
		return signbit(ours) != signbit(ref);
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || *s == '-' || v > max)
		return 0;
	*out = v;
	return 1;
}

int ulp_parse_args(int argc, char **argv, int max_names, const char *usage, struct ulp_args *a)
{
	uint64_t first = 0, last = UINT32_MAX;
	int exhaustive = argc >= 2 && strcmp(argv[1], "exhaustive") == 0 &&
			 (argc == 2 || (argc >= 4 && argc - 4 <= max_names));

	memset(a, 0, sizeof(*a));
	a->sampled = argc == 4 && strcmp(argv[1], "sampled") == 0;
	if (a->sampled && parse_u64(argv[2], UINT64_MAX, &a->n) && parse_u64(argv[3], UINT64_MAX, &a->seed))
		return 0;
	if (exhaustive && (argc == 2 || (parse_u64(argv[2], UINT32_MAX, &first) &&
					 parse_u64(argv[3], UINT32_MAX, &last) && first <= last))) {
		a->sampled = 0;
		a->first = (uint32_t)first;
		a->last = (uint32_t)last;
		a->names = argc > 4 ? argv + 4 : NULL;
		a->n_names = argc > 4 ? argc - 4 : 0;
		return 0;
	}
	fprintf(stderr, "%s\n", usage);
	return 2;
}

/* splitmix64: a tiny generator that gives the same sequence on every platform. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void feed_specials(const struct ulp_inputs *in, ulp_sink sink, void *ctx)
{
	for (size_t i = 0; i < in->n_nans; i++)
		sink(ctx, in->nans[i]);
	sink(ctx, 0x7f800000u);
	sink(ctx, 0xff800000u);
	for (size_t i = 0; i < in->n_specials; i++)
		for (int sign = 0; sign < 2; sign++) {
			uint32_t u = ulp_bits_of(in->specials[i]) | (sign ? 0x80000000u : 0);
			for (int32_t d = -4; d <= 4; d++)
				sink(ctx, u + (uint32_t)d);
		}
}

void ulp_feed(const struct ulp_args *a, const struct ulp_inputs *in, float lo, float hi, ulp_sink sink,
	      void *ctx)
{
	uint64_t state = a->seed;

	if (!a->sampled) {
		for (uint64_t u = a->first; u <= a->last; u++)
			sink(ctx, (uint32_t)u);
		return;
	}
	feed_specials(in, sink, ctx);
	for (uint64_t i = 0; i < a->n / 2; i++)
		sink(ctx, (uint32_t)(next_random(&state) >> 32));
	for (uint64_t i = a->n / 2; i < a->n; i++) {
		double u = (double)(next_random(&state) >> 11) * 0x1p-53; /* uniform in [0, 1) */
		sink(ctx, ulp_bits_of((float)(lo + (hi - lo) * u)));
	}
}
