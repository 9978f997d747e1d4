/*
 * The runner that executes the model with the same S-Tinylib sources linked into this process,
 * in the normal world. It is the baseline of `invoke bench-qemu` (TA latency / this latency)
 * and offers no protection: the model is in plaintext in Linux memory.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <stdlib.h>
#include <string.h>

#include <stinylib.h>

#include "clock.h"
#include "diag.h"
#include "runner.h"

struct normal_state {
	struct stl_model model;
	uint8_t *file;  /* private copy: the engine reads weights in place */
	void *arena;
	size_t file_len;
};

static void normal_unload(struct runner *r)
{
	struct normal_state *s = r->state;

	free(s->arena);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

static int normal_load(struct runner *r, const char *model_path, const uint8_t *file, size_t len,
		       struct model_info *info)
{
	struct normal_state *s = r->state;
	void *copy = NULL;
	double start = clock_ms();

	if (posix_memalign(&copy, 16, len) != 0) {
		diag_error("out of memory loading %s (%zu bytes)", model_path, len);
		return -1;
	}
	memcpy(copy, file, len);
	s->file = copy;
	s->file_len = len;
	info->transfer_ms = clock_ms() - start;
	start = clock_ms();
	if (stl_load(&s->model, s->file, len) != STL_OK) {
		diag_error("%s is not a valid tzinfer model: %s: %s: re-create it with `tzinfer convert`",
			   model_path, stl_status_name(s->model.error.status), s->model.error.reason);
		normal_unload(r);
		return -1;
	}
	if (posix_memalign(&s->arena, 16, stl_arena_bytes(&s->model)) != 0) {
		diag_error("out of memory for the %u-byte arena of %s", stl_arena_bytes(&s->model),
			   model_path);
		normal_unload(r);
		return -1;
	}
	info->input_bytes = stl_input_bytes(&s->model);
	info->output_bytes = stl_output_bytes(&s->model);
	info->arena_bytes = stl_arena_bytes(&s->model);
	info->weights_bytes = (uint32_t)(len - (size_t)(s->model.weights - s->model.base));
	info->model_bytes = len;
	info->verify_ms = clock_ms() - start;
	return 0;
}

static int normal_run(struct runner *r, const char *input_path, const float *in, size_t in_bytes,
		      float *out, size_t out_bytes, uint32_t *engine_us)
{
	struct normal_state *s = r->state;
	double start = 0;

	if (!s->arena) {
		diag_error("no model is loaded: load one before running it");
		return -1;
	}
	if (in_bytes != stl_input_bytes(&s->model)) {
		diag_error("%s holds %zu floats but the model takes %u: give an input preprocessed "
			   "for this model", input_path, in_bytes / 4, stl_input_bytes(&s->model) / 4);
		return -1;
	}
	start = clock_ms();
	if (stl_run(&s->model, s->arena, stl_arena_bytes(&s->model), in, in_bytes, out,
		    out_bytes) != STL_OK) {
		diag_error("the engine failed to run the model: %s: %s",
			   stl_status_name(s->model.error.status), s->model.error.reason);
		return -1;
	}
	*engine_us = (uint32_t)((clock_ms() - start) * 1e3);
	return 0;
}

static void normal_print_memory(struct runner *r, const struct model_info *info, FILE *out)
{
	(void)r;
	fprintf(out, "normal-world memory: %zu bytes (model %zu + arena %u), NOT protected\n",
		info->model_bytes + info->arena_bytes, info->model_bytes, info->arena_bytes);
}

static void normal_close(struct runner *r)
{
	normal_unload(r);
	free(r->state);
	r->state = NULL;
}

static const struct runner_ops normal_ops = {
	.world = "normal",
	.load = normal_load,
	.run = normal_run,
	.unload = normal_unload,
	.print_memory = normal_print_memory,
	.close = normal_close,
};

int normal_runner_open(struct runner *r)
{
	r->ops = &normal_ops;
	r->state = calloc(1, sizeof(struct normal_state));
	if (!r->state) {
		diag_error("out of memory");
		return -1;
	}
	return 0;
}
