#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "file_io.h"

/* "\x93NUMPY" + major + minor; the header length follows (u16 in v1, u32 in v2/v3). */
static const char NPY_MAGIC[6] = { '\x93', 'N', 'U', 'M', 'P', 'Y' };
/* v1 header padded so that the data is 16-byte aligned; room for a 6-D shape of 32-bit dims. */
#define NPY_SAVE_HEADER_BYTES 128

static uint32_t le_u32(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
	const char *p = strstr(dict, key);

	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	return p;
}

/* Product of the integers in "(a, b, c)"; 0 when malformed. "()" is a scalar: 1. */
static size_t shape_count(const char *p)
{
	size_t count = 1;
	char *end = NULL;

	if (*p++ != '(')
		return 0;
	for (;;) {
		unsigned long dim = 0;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			return count;
		dim = strtoul(p, &end, 10);
		if (end == p || (dim && count > (size_t)-1 / 4 / dim))
			return 0;
		count *= dim;
		p = end;
	}
}

int npy_load_f32(const char *path, struct npy_f32 *out)
{
	size_t len = 0, header_len = 0, prefix = 0;
	const char *descr = NULL, *order = NULL, *shape = NULL;
	char *dict = NULL;
	uint8_t *file = file_read_all(path, &len);

	if (!file)
		return -1;
	if (len < 10 || memcmp(file, NPY_MAGIC, sizeof(NPY_MAGIC)) != 0 || file[6] < 1 ||
	    file[6] > 3) {
		diag_error("%s is not a NumPy .npy file: save the tensor with np.save()", path);
		goto fail;
	}
	prefix = file[6] == 1 ? 10 : 12;
	header_len = le_u32(file + 8, prefix - 8);
	if (len < prefix || header_len > len - prefix) {
		diag_error("%s: truncated .npy header: re-save the file with np.save()", path);
		goto fail;
	}
	dict = malloc(header_len + 1);
	if (!dict) {
		diag_error("out of memory parsing %s", path);
		goto fail;
	}
	memcpy(dict, file + prefix, header_len);
	dict[header_len] = '\0';
	descr = dict_value(dict, "'descr'");
	order = dict_value(dict, "'fortran_order'");
	shape = dict_value(dict, "'shape'");
	if (!descr || strncmp(descr, "'<f4'", 5) != 0) {
		diag_error("%s: the array is not little-endian float32: save x.astype(np.float32)",
			   path);
		goto fail;
	}
	if (!order || strncmp(order, "False", 5) != 0) {
		diag_error("%s: the array is in Fortran order: save np.ascontiguousarray(x)", path);
		goto fail;
	}
	out->count = shape ? shape_count(shape) : 0;
	if (!out->count || out->count * 4 != len - prefix - header_len) {
		diag_error("%s: the data size does not match the shape in its header: re-save it with np.save()",
			   path);
		goto fail;
	}
	if ((prefix + header_len) % 4) {
		diag_error("%s: the data is not 4-byte aligned in the file: re-save it with np.save()",
			   path);
		goto fail;
	}
	free(dict);
	out->file = file;
	out->data = (const float *)(const void *)(file + prefix + header_len);
	return 0;
fail:
	free(dict);
	free(file);
	return -1;
}

static size_t count_of(const uint32_t *dims, unsigned ndim)
{
	size_t count = 1;

	for (unsigned i = 0; i < ndim; i++)
		count *= dims[i];
	return count;
}

size_t npy_file_bytes(const uint32_t *dims, unsigned ndim)
{
	return NPY_SAVE_HEADER_BYTES + count_of(dims, ndim) * sizeof(float);
}

void npy_encode_f32(uint8_t *out, const float *data, const uint32_t *dims, unsigned ndim)
{
	char shape[6 * 12 + 4] = "";
	char *header = (char *)out + 10;
	size_t at = 0;
	int n = 0;

	for (unsigned i = 0; i < ndim; i++)
		at += (size_t)snprintf(shape + at, sizeof(shape) - at, "%u,%s", dims[i],
				       i + 1 < ndim ? " " : "");
	memcpy(out, NPY_MAGIC, sizeof(NPY_MAGIC));
	out[6] = 1;
	out[7] = 0;
	out[8] = (NPY_SAVE_HEADER_BYTES - 10) & 0xff;
	out[9] = (NPY_SAVE_HEADER_BYTES - 10) >> 8;
	n = snprintf(header, NPY_SAVE_HEADER_BYTES - 10,
		     "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
	/* Pad with spaces up to the data; the header ends with a newline. */
	memset(header + n, ' ', (size_t)(NPY_SAVE_HEADER_BYTES - 10 - n));
	out[NPY_SAVE_HEADER_BYTES - 1] = '\n';
	memcpy(out + NPY_SAVE_HEADER_BYTES, data, count_of(dims, ndim) * sizeof(float));
}

int npy_save_f32(const char *path, const float *data, const uint32_t *dims, unsigned ndim)
{
	size_t len = npy_file_bytes(dims, ndim);
	uint8_t *buf = malloc(len);
	int rc = -1;

	if (!buf) {
		diag_error("out of memory writing %s", path);
		return -1;
	}
	npy_encode_f32(buf, data, dims, ndim);
	rc = file_write_all(path, buf, len);
	free(buf);
	return rc;
}
