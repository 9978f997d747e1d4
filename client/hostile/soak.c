#include "soak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "tzinfer_ta.h"

static int stats(struct ta_link *l, const char *when, struct ta_usage *u)
{
	TEEC_Result res = ta_link_stats(l, u);

	if (res != TEEC_SUCCESS) {
		printf("soak: STATS %s failed with 0x%08x\n", when, res);
		return -1;
	}
	printf("soak stats %s: in_use %u peak %u\n", when, u->in_use, u->peak);
	return 0;
}

/* Load, run once into out, and report failures; 0 or -1. */
static int load_and_run(struct ta_link *l, const uint8_t *model, size_t model_len,
			const float *input, size_t input_len, float *out, size_t out_len)
{
	TEEC_Result res = ta_link_load(l, model, model_len, TZI_MAX_CHUNK_BYTES, NULL);

	if (res == TEEC_SUCCESS)
		res = ta_link_run(l, input, input_len, out, out_len);
	if (res != TEEC_SUCCESS)
		printf("soak: load/run failed with 0x%08x\n", res);
	return res == TEEC_SUCCESS ? 0 : -1;
}

int soak_run(struct ta_link *l, const uint8_t *model, size_t model_len, const float *input,
	     size_t input_len, unsigned runs, unsigned cycles)
{
	struct ta_usage before, loaded, after_runs, after;
	uint32_t out_len = 0;
	float *first = NULL, *out = NULL;
	unsigned i = 0, mismatches = 0, errors = 0;
	double t0 = 0, t1 = 0;
	int ok = 0;

	ta_link_unload(l);
	if (stats(l, "before", &before) || ta_link_load(l, model, model_len, TZI_MAX_CHUNK_BYTES,
							  &out_len) != TEEC_SUCCESS) {
		printf("soak: the model does not load\n");
		return -1;
	}
	first = calloc(1, out_len);
	out = calloc(1, out_len);
	if (!first || !out || ta_link_run(l, input, input_len, first, out_len) != TEEC_SUCCESS ||
	    stats(l, "loaded", &loaded)) {
		printf("soak: the first inference failed\n");
		free(first);
		free(out);
		return -1;
	}
	t0 = clock_ms();
	for (i = 0; i < runs; i++) {
		if (ta_link_run(l, input, input_len, out, out_len) != TEEC_SUCCESS)
			errors++;
		else if (memcmp(out, first, out_len))
			mismatches++;
	}
	t1 = clock_ms();
	printf("soak runs: %u in %.0f ms (%.2f ms each), errors %u, outputs differing from the "
	       "first %u\n", runs, t1 - t0, runs ? (t1 - t0) / runs : 0.0, errors, mismatches);
	ok = !stats(l, "after runs", &after_runs);
	ta_link_unload(l);
	for (i = 0; i < cycles; i++) {
		if (load_and_run(l, model, model_len, input, input_len, out, out_len))
			errors++;
		else if (memcmp(out, first, out_len))
			mismatches++;
		ta_link_unload(l);
	}
	printf("soak cycles: %u load/run/unload\n", cycles);
	ok = ok && !stats(l, "after", &after);
	/* No growth: nothing held after UNLOAD, and never more than one loaded model at once. */
	ok = ok && !errors && !mismatches && after.in_use == before.in_use &&
	     after_runs.in_use == loaded.in_use && after.peak == loaded.peak;
	printf("soak: %s\n", ok ? "ok" : "FAIL");
	free(first);
	free(out);
	return ok ? 0 : -1;
}
