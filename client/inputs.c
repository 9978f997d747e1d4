#include "inputs.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"

/* The model input named by a "NAME=FILE" spec (*file set past the '='), or -1. A spec
 * without a model input's name before an '=' is a plain file: the only input's. */
static int named_input(const struct model_info *info, const char *spec, const char **file)
{
	const char *eq = strchr(spec, '=');

	for (uint32_t i = 0; eq && i < info->n_inputs; i++)
		if (strlen(info->inputs[i].name) == (size_t)(eq - spec) &&
		    !strncmp(spec, info->inputs[i].name, (size_t)(eq - spec))) {
			*file = eq + 1;
			return (int)i;
		}
	*file = spec;
	return -1;
}

static void list_inputs(const struct model_info *info, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < info->n_inputs && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i ? ", " : "", info->inputs[i].name);
}

int inputs_load(const struct model_info *info, char *const *specs, size_t n_specs,
		struct input_buf *in, struct npy_f32 *files)
{
	char names[512];

	list_inputs(info, names, sizeof(names));
	memset(in, 0, info->n_inputs * sizeof(*in));
	for (size_t k = 0; k < n_specs; k++) {
		const char *file = NULL;
		int i = named_input(info, specs[k], &file);

		if (i < 0 && info->n_inputs == 1 && n_specs == 1)
			i = 0;
		if (i < 0) {
			diag_error("%s names none of the model's inputs (%s): give --input NAME=FILE.npy "
				   "for each", specs[k], names);
			return -1;
		}
		if (in[i].path) {
			diag_error("input '%s' is given twice (%s and %s): give each input once",
				   info->inputs[i].name, in[i].path, file);
			return -1;
		}
		if (npy_load_f32(file, &files[i]) != 0)
			return -1;
		in[i] = (struct input_buf){ file, files[i].data, files[i].count * sizeof(float) };
	}
	for (uint32_t i = 0; i < info->n_inputs; i++)
		if (!in[i].path) {
			diag_error("input '%s' is missing: give --input %s=FILE.npy (the model takes %s)",
				   info->inputs[i].name, info->inputs[i].name, names);
			return -1;
		}
	return 0;
}

int inputs_size_problem(const struct model_info *info, const struct input_buf *in, char *msg,
			size_t len)
{
	for (uint32_t i = 0; i < info->n_inputs; i++)
		if (in[i].bytes != info->inputs[i].bytes) {
			snprintf(msg, len, "%s holds %zu floats but the model's input '%s' takes %u: give "
				 "an input preprocessed for this model", in[i].path, in[i].bytes / 4,
				 info->inputs[i].name, info->inputs[i].bytes / 4);
			return 1;
		}
	return 0;
}
