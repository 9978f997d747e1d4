/*
 * Host check of the client's file and block writers (tests/engine/test_client_files.py): an .npz
 * and an .npy as tzinfer-run writes them, and an I/O block round trip.
 *
 *   io_files OUT.npz OUT.npy BLOCK.bin
 */
#include <stdio.h>
#include <string.h>

#include "file_io.h"
#include "io_block.h"
#include "npy.h"

int main(int argc, char **argv)
{
	static const float a[5] = { 0, 1, 2, 3, 4 }, b[6] = { 10, 11, 12, 13, 14, 15 }, c[1] = { 42 };
	static const uint32_t a_dims[2] = { 1, 5 }, b_dims[2] = { 2, 3 }, v_dims[3] = { 3, 1, 2 };
	const struct npz_entry entries[3] = {
		{ "scores", a, a_dims, 2 }, { "file", b, b_dims, 2 }, { "odd name/ü", c, NULL, 0 },
	};
	const void *data[3] = { b, a, c };
	const size_t bytes[3] = { sizeof(b), sizeof(a) - 8, sizeof(c) };
	uint8_t block[256];
	size_t len = 0;

	if (argc != 4)
		return 2;
	if (npz_save_f32(argv[1], entries, 3) || npy_save_f32(argv[2], b, v_dims, 3))
		return 1;
	len = io_block_bytes(bytes, 3);
	if (len > sizeof(block))
		return 1;
	memset(block, 0xee, sizeof(block));
	io_block_write(block, data, bytes, 3);
	for (uint32_t i = 0; i < 3; i++) {
		size_t n = 0;
		const uint8_t *t = io_block_tensor(block, len, i, &n);

		if (!t || n != bytes[i] || memcmp(t, data[i], n)) {
			fprintf(stderr, "io_files: tensor %u does not read back\n", i);
			return 1;
		}
	}
	if (io_block_tensor(block, len, 3, &len) || io_block_tensor(block, 12, 1, &len)) {
		fprintf(stderr, "io_files: a tensor past the table or the block reads\n");
		return 1;
	}
	return file_write_all(argv[3], block, io_block_bytes(bytes, 3)) ? 1 : 0;
}
