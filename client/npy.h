/*
 * NumPy .npy files of little-endian float32 in C order: the input and output tensors of
 * tzinfer-run (np.save(path, x.astype(np.float32))), and .npz archives of them (np.savez).
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

/* Bytes of a .npy file of ndim dims (all > 0 but ndim may be 0) holding float32. */
size_t npy_file_bytes(const uint32_t *dims, unsigned ndim);

/* Encode the .npy file of data[dims] into out (npy_file_bytes() long). */
void npy_encode_f32(uint8_t *out, const float *data, const uint32_t *dims, unsigned ndim);

/* Save data as an array of shape dims; 0 on success, -1 with a diagnostic. */
int npy_save_f32(const char *path, const float *data, const uint32_t *dims, unsigned ndim);

/* One array of an .npz archive. */
struct npz_entry {
	const char *name;       /* the key np.load gives it; stored as "<name>.npy" */
	const float *data;
	const uint32_t *dims;
	unsigned ndim;
};

/* Save n arrays as an uncompressed .npz (np.load(path)[name]); 0, or -1 with a diagnostic. */
int npz_save_f32(const char *path, const struct npz_entry *entries, size_t n);

#endif
