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

/* Check the prefix and the header dict in file[0..avail) (at least the whole header): *data_at
 * is where the floats start and *count how many the shape holds. 0, or -1 with a diagnostic. */
static int parse_header(const char *what, const uint8_t *file, size_t avail, size_t *data_at,
			size_t *count)
{
	size_t header_len = 0, prefix = 0;
	const char *descr = NULL, *order = NULL, *shape = NULL;
	char *dict = NULL;
	int rc = -1;

	if (avail < 10 || memcmp(file, NPY_MAGIC, sizeof(NPY_MAGIC)) != 0 || file[6] < 1 ||
	    file[6] > 3) {
		diag_error("%s is not a NumPy .npy file: save the tensor with np.save()", what);
		return -1;
	}
	prefix = file[6] == 1 ? 10 : 12;
	header_len = le_u32(file + 8, prefix - 8);
	if (avail < prefix || header_len > avail - prefix) {
		diag_error("%s: truncated .npy header: re-save the file with np.save()", what);
		return -1;
	}
	dict = malloc(header_len + 1);
	if (!dict) {
		diag_error("out of memory parsing %s", what);
		return -1;
	}
	memcpy(dict, file + prefix, header_len);
	dict[header_len] = '\0';
	descr = dict_value(dict, "'descr'");
	order = dict_value(dict, "'fortran_order'");
	shape = dict_value(dict, "'shape'");
	*count = shape ? shape_count(shape) : 0;
	*data_at = prefix + header_len;
	if (!descr || strncmp(descr, "'<f4'", 5) != 0)
		diag_error("%s: the array is not little-endian float32: save x.astype(np.float32)",
			   what);
	else if (!order || strncmp(order, "False", 5) != 0)
		diag_error("%s: the array is in Fortran order: save np.ascontiguousarray(x)", what);
	else if (!*count)
		diag_error("%s: the shape in its header is empty or malformed: re-save it with np.save()",
			   what);
	else if (*data_at % 4)
		diag_error("%s: the data is not 4-byte aligned in the file: re-save it with np.save()",
			   what);
	else
		rc = 0;
	free(dict);
	return rc;
}

int npy_load_f32(const char *path, struct npy_f32 *out)
{
	size_t len = 0, data_at = 0;
	uint8_t *file = file_read_all(path, &len);

	if (!file)
		return -1;
	if (parse_header(path, file, len, &data_at, &out->count) != 0)
		goto fail;
	if (out->count * 4 != len - data_at) {
		diag_error("%s: the data size does not match the shape in its header: re-save it with np.save()",
			   path);
		goto fail;
	}
	out->file = file;
	out->data = (const float *)(const void *)(file + data_at);
	return 0;
fail:
	free(file);
	return -1;
}

/* Grow *buf to len bytes and fill [have, len) from f; 0, 1 at a clean end of f (have == 0), or
 * -1 with a diagnostic. */
static int read_more(FILE *f, const char *what, uint8_t **buf, size_t have, size_t len)
{
	uint8_t *grown = realloc(*buf, len);
	size_t got = 0;

	if (!grown) {
		diag_error("out of memory reading %s", what);
		return -1;
	}
	*buf = grown;
	got = fread(grown + have, 1, len - have, f);
	if (got == len - have)
		return 0;
	if (have == 0 && got == 0 && feof(f))
		return 1;
	diag_error("%s: the stream ends inside a .npy frame: write whole frames with np.save()", what);
	return -1;
}

int npy_read_f32(FILE *f, const char *what, struct npy_f32 *out)
{
	uint8_t *buf = NULL;
	size_t prefix = 10, data_at = 0;
	int rc = read_more(f, what, &buf, 0, prefix);

	if (rc == 0 && buf[6] >= 2 && buf[6] <= 3) { /* a u32 header length */
		rc = read_more(f, what, &buf, prefix, prefix + 2);
		prefix += 2;
	}
	if (rc == 0 && !memcmp(buf, NPY_MAGIC, sizeof(NPY_MAGIC)))
		rc = read_more(f, what, &buf, prefix, prefix + le_u32(buf + 8, prefix - 8));
	if (rc == 0)
		rc = parse_header(what, buf, prefix + le_u32(buf + 8, prefix - 8), &data_at, &out->count);
	if (rc == 0)
		rc = read_more(f, what, &buf, data_at, data_at + out->count * 4) ? -1 : 0;
	if (rc != 0) {
		free(buf);
		return rc;
	}
	/* realloc keeps malloc's alignment (16 on glibc's 64-bit targets): the floats at data_at,
	 * a multiple of 4, are aligned for float. */
	out->file = buf;
	out->data = (const float *)(const void *)(buf + data_at);
	return 0;
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
