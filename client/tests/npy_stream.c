/*
 * Host check of tzinfer-run's --frames - reader (tests/engine/test_client_files.py): .npy files one
 * after another on stdin, as np.save writes them to a pipe. Prints each frame's float count and
 * sum, then "end", or exits 1 after the reader's diagnostic.
 */
#include <stdio.h>
#include <stdlib.h>

#include "npy.h"

int main(void)
{
	struct npy_f32 frame;
	int rc = 0;

	while ((rc = npy_read_f32(stdin, "standard input", &frame)) == 0) {
		double sum = 0;

		for (size_t i = 0; i < frame.count; i++)
			sum += frame.data[i];
		printf("frame %zu %g\n", frame.count, sum);
		free(frame.file);
	}
	if (rc < 0)
		return 1;
	printf("end\n");
	return 0;
}
