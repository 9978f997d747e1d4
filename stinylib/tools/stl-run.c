/*
 * stl-run: load a .tzm model and run it on one raw float32 input file, writing the raw float32
 * output. A test tool for the aarch64 build under qemu-aarch64 (it uses stdio and malloc, which
 * the library itself does not).
 *
 *   stl-run MODEL.tzm INPUT.f32 OUTPUT.f32 [RUNS]
 *
 * RUNS (default 1) runs the model that many times on the loaded model: `invoke bench-aarch64`
 * counts the instructions of 4 runs and of 1 to get those of one inference.
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

int main(int argc, char **argv)
{
	const long runs = argc == 5 ? strtol(argv[4], NULL, 10) : 1;
	if ((argc != 4 && argc != 5) || runs < 1) {
		fprintf(stderr, "usage: stl-run MODEL.tzm INPUT.f32 OUTPUT.f32 [RUNS]\n");
		return 1;
	}
	size_t model_len, input_len;
	void *model = read_file(argv[1], &model_len);
	float *input = read_file(argv[2], &input_len);
	if (!model || !input)
		return 1;

	struct stl_model m;
	if (stl_load(&m, model, model_len) != STL_OK)
		return refused(&m, "load");
	size_t arena_len = (stl_arena_bytes(&m) + 15u) / 16 * 16;
	void *arena = alloc16(arena_len);
	float *output = malloc(stl_output_bytes(&m));
	if (!arena || !output) {
		fprintf(stderr, "stl-run: out of memory\n");
		return 1;
	}
	for (long r = 0; r < runs; r++)
		if (stl_run(&m, arena, arena_len, input, input_len, output, stl_output_bytes(&m)) != STL_OK)
			return refused(&m, "run");

	FILE *f = fopen(argv[3], "wb");
	if (!f || fwrite(output, 1, stl_output_bytes(&m), f) != stl_output_bytes(&m) || fclose(f) != 0) {
		fprintf(stderr, "stl-run: cannot write %s\n", argv[3]);
		return 1;
	}
	return 0;
}
