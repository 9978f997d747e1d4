/*
 * NumPy .npy files of little-endian float32 in C order: the input and output tensors of
 * tzinfer-run (np.save(path, x.astype(np.float32))).
 */
#ifndef TZI_NPY_H
#define TZI_NPY_H

#include <stddef.h>
#include <stdint.h>

struct npy_f32 {
	uint8_t *file;      /* the whole file (free() it) */
	const float *data;  /* points into file (np.save pads the header to 64 bytes) */
	size_t count;       /* number of floats = product of the shape */
};

/* Load path; 0 on success, -1 with a diagnostic naming the problem and the fix. */
int npy_load_f32(const char *path, struct npy_f32 *out);

/* Save count floats as a 1-D array (count,); 0 on success, -1 with a diagnostic. */
int npy_save_f32(const char *path, const float *data, size_t count);

#endif
