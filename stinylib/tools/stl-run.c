/*
 * stl-run: load a .tzm model and run it on raw float32 input files, writing the raw float32
 * outputs. A test tool for the aarch64 build under qemu-aarch64 (it uses stdio and malloc, which
 * the library itself does not).
 *
 *   stl-run MODEL.tzm INPUT.f32... OUTPUT.f32...
 *
 * one INPUT per model input and one OUTPUT per model output, each in the model's order.
 *
 * Exit status: 0 on success, 1 on a usage or I/O error, 2 when the engine refuses the model or run.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <stdio.h>
#include <stdlib.h>

#include "stinylib.h"

static void *alloc16(size_t n)
{
	void *p = NULL;
	return posix_memalign(&p, 16, n ? n : 16) == 0 ? p : NULL;
}

/* Read a whole file into a 16-byte-aligned buffer; returns NULL (and says why) on failure. */
static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "stl-run: cannot open %s\n", path);
		return NULL;
	}
	void *buf = NULL;
	long n = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = alloc16((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	if (!buf)
		fprintf(stderr, "stl-run: cannot read %s\n", path);
	*len = (size_t)n;
	return buf;
}

static int refused(const struct stl_model *m, const char *what)
{
	fprintf(stderr, "stl-run: %s: %s: %s (op %d, tensor %d)\n", what, stl_status_name(m->error.status),
		m->error.reason, (int)m->error.op, (int)m->error.tensor);
	return 2;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "stl-run: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: stl-run MODEL.tzm INPUT.f32... OUTPUT.f32...\n");
		return 1;
	}
	size_t model_len;
	void *model = read_file(argv[1], &model_len);
	if (!model)
		return 1;
	struct stl_model m;
	if (stl_load(&m, model, model_len) != STL_OK)
		return refused(&m, "load");
	const uint32_t n_in = stl_n_inputs(&m), n_out = stl_n_outputs(&m);
	if ((uint32_t)argc != 2 + n_in + n_out) {
		fprintf(stderr, "stl-run: %s has %u inputs and %u outputs: give one file for each\n", argv[1],
			(unsigned)n_in, (unsigned)n_out);
		return 1;
	}
	struct stl_input *in = calloc(n_in, sizeof *in);
	struct stl_output *out = calloc(n_out, sizeof *out);
	void *arena = alloc16(stl_arena_bytes(&m));
	if (!in || !out || !arena) {
		fprintf(stderr, "stl-run: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < n_in; i++)
		if (!(in[i].data = read_file(argv[2 + i], &in[i].len)))
			return 1;
	for (uint32_t o = 0; o < n_out; o++) {
		struct stl_io_desc d;
		stl_output_desc(&m, o, &d);
		out[o].len = d.bytes;
		if (!(out[o].data = alloc16(d.bytes))) {
			fprintf(stderr, "stl-run: out of memory\n");
			return 1;
		}
	}
	if (stl_run(&m, arena, stl_arena_bytes(&m), in, n_in, out, n_out) != STL_OK)
		return refused(&m, "run");
	for (uint32_t o = 0; o < n_out; o++)
		if (write_file(argv[2 + n_in + o], out[o].data, out[o].len))
			return 1;
	return 0;
}
