/*
 * Many inputs for one tzinfer-run process (--frames SRC), so that the model is loaded once:
 *   a directory   every *.npy file in it, in name order, each the input of a one-input model;
 *   a list file   one frame per line: FILE.npy, or NAME=FILE.npy for each input (blank lines
 *                 and lines starting with # are skipped);
 *   -             .npy files written one after another on standard input (np.save to a pipe),
 *                 each the input of a one-input model.
 * Each frame has a label: the first file's name without .npy, or frame-NNNNNN on stdin.
 */
#ifndef TZI_FRAMES_H
#define TZI_FRAMES_H

#include <stddef.h>
#include <stdio.h>

#include "npy.h"
#include "runner.h"

#define FRAME_LABEL_BYTES 256

struct frames {
	const char *source;
	const struct model_info *info;
	FILE *list;            /* list file, or stdin */
	char **names;          /* directory entries (*.npy), sorted */
	size_t n_names, next;  /* next: frames handed out so far */
	int stdin_stream;
};

/* Open the source for a model described by info; 0, or -1 with a diagnostic. */
int frames_open(struct frames *f, const char *source, const struct model_info *info);

/* The next frame: its inputs in the model's order into in[] and files[] (info->n_inputs each;
 * the caller frees files[i].file), and its label. 1, 0 at the end, or -1 with a diagnostic. */
int frames_next(struct frames *f, struct input_buf *in, struct npy_f32 *files,
		char label[FRAME_LABEL_BYTES]);

void frames_close(struct frames *f);

#endif
