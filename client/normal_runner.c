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
#include "inputs.h"
#include "runner.h"

struct normal_state {
	struct stl_model model;
	uint8_t *file;  /* private copy: the engine reads weights in place */
	void *arena;
	size_t file_len;
	struct model_info info;
	struct tensor_info *io;     /* inputs, then outputs; names point into file */
	struct stl_input *inputs;   /* stl_run's arguments, one per input and output */
	struct stl_output *outputs;
};

static void normal_unload(struct runner *r)
{
	struct normal_state *s = r->state;

	free(s->arena);
	free(s->file);
	free(s->io);
	free(s->inputs);
	free(s->outputs);
	memset(s, 0, sizeof(*s));
}

static void describe(const struct stl_io_desc *d, struct tensor_info *t)
{
	t->name = d->name;
	t->dtype = d->dtype;
	t->ndim = d->ndim;
	memcpy(t->dims, d->dims, d->ndim * sizeof(t->dims[0]));
	t->bytes = d->bytes;
}

/* The model's inputs and outputs in s->info, and room for stl_run's arguments; 0 or -1. */
static int describe_io(struct normal_state *s)
{
	uint32_t n_in = stl_n_inputs(&s->model), n_out = stl_n_outputs(&s->model);
	struct stl_io_desc d;

	s->io = calloc(n_in + n_out, sizeof(*s->io));
	s->inputs = calloc(n_in, sizeof(*s->inputs));
	s->outputs = calloc(n_out, sizeof(*s->outputs));
	if (!s->io || !s->inputs || !s->outputs)
		return -1;
	for (uint32_t i = 0; i < n_in; i++) {
		stl_input_desc(&s->model, i, &d);
		describe(&d, &s->io[i]);
	}
	for (uint32_t o = 0; o < n_out; o++) {
		stl_output_desc(&s->model, o, &d);
		describe(&d, &s->io[n_in + o]);
	}
	s->info.n_inputs = n_in;
	s->info.n_outputs = n_out;
	s->info.inputs = s->io;
	s->info.outputs = s->io + n_in;
	return 0;
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
	s->info.transfer_ms = clock_ms() - start;
	start = clock_ms();
	if (stl_load(&s->model, s->file, len) != STL_OK) {
		diag_error("%s is not a valid tzinfer model: %s: %s: re-create it with `tzinfer convert`",
			   model_path, stl_status_name(s->model.error.status), s->model.error.reason);
		normal_unload(r);
		return -1;
	}
	if (posix_memalign(&s->arena, 16, stl_arena_bytes(&s->model)) != 0 || describe_io(s) != 0) {
		diag_error("out of memory for the %u-byte arena of %s", stl_arena_bytes(&s->model),
			   model_path);
		normal_unload(r);
		return -1;
	}
	s->info.arena_bytes = stl_arena_bytes(&s->model);
	s->info.weights_bytes = (uint32_t)(len - (size_t)(s->model.weights - s->model.base));
	s->info.model_bytes = len;
	s->info.verify_ms = clock_ms() - start;
	*info = s->info;
	return 0;
}

static int normal_run(struct runner *r, const struct input_buf *in, const struct output_buf *out,
		      uint32_t *engine_us)
{
	struct normal_state *s = r->state;
	double start = 0;
	char problem[512];

	if (!s->arena) {
		diag_error("no model is loaded: load one before running it");
		return -1;
	}
	if (inputs_size_problem(&s->info, in, problem, sizeof(problem))) {
		diag_error("%s", problem);
		return -1;
	}
	for (uint32_t i = 0; i < s->info.n_inputs; i++)
		s->inputs[i] = (struct stl_input){ in[i].data, in[i].bytes };
	for (uint32_t o = 0; o < s->info.n_outputs; o++)
		s->outputs[o] = (struct stl_output){ out[o].data, out[o].bytes };
	start = clock_ms();
	if (stl_run(&s->model, s->arena, stl_arena_bytes(&s->model), s->inputs, s->info.n_inputs,
		    s->outputs, s->info.n_outputs) != STL_OK) {
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
