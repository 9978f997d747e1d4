/* .npz archives: a zip file whose members are "<name>.npy" files, stored uncompressed, which is
 * what np.savez writes and np.load reads. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "file_io.h"
#include "npy.h"

#define LOCAL_HEADER 30u
#define CENTRAL_HEADER 46u
#define END_RECORD 22u
#define ZIP_VERSION 20u /* 2.0: what a stored member needs */

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint8_t *put16(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, v & 0xffff), v >> 16);
}

/* The fields a local and a central header share, from "version needed" on. */
static uint8_t *put_member_fields(uint8_t *p, uint32_t crc, uint32_t size, size_t name_len)
{
	p = put16(p, ZIP_VERSION);
	p = put16(p, 0x0800u); /* flags: the name is UTF-8 (as every model input/output name is) */
	p = put16(p, 0); /* stored */
	p = put32(p, 0); /* time and date: none */
	p = put32(p, crc);
	p = put32(p, size);
	p = put32(p, size);
	p = put16(p, (uint32_t)name_len);
	return put16(p, 0); /* no extra field */
}

int npz_save_f32(const char *path, const struct npz_entry *entries, size_t n)
{
	size_t total = END_RECORD, at = 0, central = 0;
	uint8_t *buf = NULL, *p = NULL;
	uint32_t *crcs = calloc(n ? n : 1, sizeof(*crcs));
	size_t *offsets = calloc(n ? n : 1, sizeof(*offsets));
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		total += LOCAL_HEADER + CENTRAL_HEADER + 2 * (strlen(entries[i].name) + 4) +
			 npy_file_bytes(entries[i].dims, entries[i].ndim);
	buf = total <= UINT32_MAX ? malloc(total) : NULL;
	if (!buf || !crcs || !offsets || n > 0xffff) {
		diag_error("cannot write %s: out of memory, or more than 4 GiB or 65535 arrays", path);
		goto done;
	}
	for (size_t i = 0; i < n; i++) { /* local header, name, the .npy file */
		size_t name_len = strlen(entries[i].name) + 4, size = npy_file_bytes(entries[i].dims, entries[i].ndim);
		uint8_t *data = buf + at + LOCAL_HEADER + name_len;

		npy_encode_f32(data, entries[i].data, entries[i].dims, entries[i].ndim);
		crcs[i] = crc32(data, size);
		offsets[i] = at;
		p = put_member_fields(put32(buf + at, 0x04034b50u), crcs[i], (uint32_t)size, name_len);
		memcpy(p, entries[i].name, name_len - 4);
		memcpy(p + name_len - 4, ".npy", 4);
		at += LOCAL_HEADER + name_len + size;
	}
	central = at;
	for (size_t i = 0; i < n; i++) { /* the central directory */
		size_t name_len = strlen(entries[i].name) + 4, size = npy_file_bytes(entries[i].dims, entries[i].ndim);

		p = put16(put32(buf + at, 0x02014b50u), ZIP_VERSION); /* made by */
		p = put_member_fields(p, crcs[i], (uint32_t)size, name_len);
		p = put32(put16(put16(put16(p, 0), 0), 0), 0); /* comment, disk, internal and external attributes */
		p = put32(p, (uint32_t)offsets[i]);
		memcpy(p, entries[i].name, name_len - 4);
		memcpy(p + name_len - 4, ".npy", 4);
		at += CENTRAL_HEADER + name_len;
	}
	p = put16(put16(put32(buf + at, 0x06054b50u), 0), 0); /* this disk, the directory's disk */
	p = put16(put16(p, (uint32_t)n), (uint32_t)n);
	p = put32(put32(p, (uint32_t)(at - central)), (uint32_t)central);
	put16(p, 0); /* no comment */
	rc = file_write_all(path, buf, total);
done:
	free(buf);
	free(crcs);
	free(offsets);
	return rc;
}
