/*
 * The inputs of one tzinfer-run invocation: `--input NAME=FILE.npy` for each model input (or one
 * FILE.npy for a model with one input), matched to the model's inputs by name and loaded.
 */
#ifndef TZI_INPUTS_H
#define TZI_INPUTS_H

#include <stddef.h>

#include "npy.h"
#include "runner.h"

/* Load the files the specs name into files[] and point in[] at them in the model's order
 * (info->n_inputs of each). 0, or -1 with a diagnostic: an unknown, repeated or missing name,
 * or an unreadable file. The caller frees files[i].file. */
int inputs_load(const struct model_info *info, char *const *specs, size_t n_specs,
		struct input_buf *in, struct npy_f32 *files);

/* The first input whose size is not the model's, explained in msg (cause and fix): 1, or 0
 * when every size is right. */
int inputs_size_problem(const struct model_info *info, const struct input_buf *in, char *msg,
			size_t len);

#endif
