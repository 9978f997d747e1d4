#define _POSIX_C_SOURCE 200809L
#include "frames.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "inputs.h"

#define MAX_LINE 8192
#define MAX_SPECS 255

static int is_npy(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && !strcmp(e->d_name + n - 4, ".npy");
}

static int one_input(const struct frames *f, const char *kind)
{
	if (f->info->n_inputs == 1)
		return 0;
	diag_error("%s gives one file per frame, but the model takes %u inputs: give a list file with "
		   "NAME=FILE.npy for each input on every line", kind, f->info->n_inputs);
	return -1;
}

int frames_open(struct frames *f, const char *source, const struct model_info *info)
{
	struct stat st;
	struct dirent **entries = NULL;
	int n = 0;

	memset(f, 0, sizeof(*f));
	f->source = source;
	f->info = info;
	if (!strcmp(source, "-")) {
		f->list = stdin;
		f->stdin_stream = 1;
		return one_input(f, "standard input");
	}
	if (stat(source, &st) != 0) {
		diag_error("--frames %s: no such file or directory: give a directory of .npy files, a "
			   "list file or -", source);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		f->list = fopen(source, "r");
		if (!f->list) {
			diag_error("cannot open the list file %s: check its permissions", source);
			return -1;
		}
		return 0;
	}
	if (one_input(f, "a directory") != 0)
		return -1;
	n = scandir(source, &entries, is_npy, alphasort);
	if (n < 0) {
		diag_error("cannot read the directory %s: check its permissions", source);
		return -1;
	}
	f->names = malloc((size_t)(n ? n : 1) * sizeof(*f->names));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(source) + strlen(entries[i]->d_name) + 2;

		if (f->names && (f->names[f->n_names] = malloc(len)))
			snprintf(f->names[f->n_names++], len, "%s/%s", source, entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	if (!f->names || f->n_names != (size_t)n) {
		diag_error("out of memory listing %s", source);
		return -1;
	}
	return 0;
}

/* The file name of path without its directory and .npy. */
static void label_of(const char *path, char label[FRAME_LABEL_BYTES])
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".npy"))
		n -= 4;
	snprintf(label, FRAME_LABEL_BYTES, "%.*s", (int)n, base);
}

/* The next frame of a list file: its specs split at blanks. */
static int next_listed(struct frames *f, struct input_buf *in, struct npy_f32 *files,
		       char label[FRAME_LABEL_BYTES])
{
	static char line[MAX_LINE];
	char *specs[MAX_SPECS];
	size_t n = 0;

	for (;;) {
		char *tok = NULL, *save = NULL;

		if (!fgets(line, sizeof(line), f->list))
			return 0;
		if (!strchr(line, '\n') && !feof(f->list)) {
			diag_error("%s: a line is longer than %d bytes: give shorter paths", f->source,
				   MAX_LINE);
			return -1;
		}
		n = 0;
		for (tok = strtok_r(line, " \t\r\n", &save); tok && n < MAX_SPECS;
		     tok = strtok_r(NULL, " \t\r\n", &save))
			specs[n++] = tok;
		if (n && specs[0][0] != '#')
			break;
	}
	label_of(strchr(specs[0], '=') ? strchr(specs[0], '=') + 1 : specs[0], label);
	return inputs_load(f->info, specs, n, in, files) == 0 ? 1 : -1;
}

int frames_next(struct frames *f, struct input_buf *in, struct npy_f32 *files,
		char label[FRAME_LABEL_BYTES])
{
	int rc = 0;

	memset(files, 0, f->info->n_inputs * sizeof(*files));
	if (f->names) {
		if (f->next == f->n_names)
			return 0;
		label_of(f->names[f->next], label);
		if (npy_load_f32(f->names[f->next], &files[0]) != 0)
			return -1;
		in[0] = (struct input_buf){ f->names[f->next], files[0].data, files[0].count * 4 };
	} else if (f->stdin_stream) {
		rc = npy_read_f32(f->list, "standard input", &files[0]);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		snprintf(label, FRAME_LABEL_BYTES, "frame-%06zu", f->next);
		in[0] = (struct input_buf){ "standard input", files[0].data, files[0].count * 4 };
	} else if ((rc = next_listed(f, in, files, label)) != 1) {
		return rc;
	}
	f->next++;
	return 1;
}

void frames_close(struct frames *f)
{
	for (size_t i = 0; i < f->n_names; i++)
		free(f->names[i]);
	free(f->names);
	if (f->list && !f->stdin_stream)
		fclose(f->list);
	memset(f, 0, sizeof(*f));
}
