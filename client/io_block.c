#include "io_block.h"

#include <string.h>

#include "tzinfer_ta.h"

size_t io_block_bytes(const size_t *bytes, uint32_t n)
{
	uint64_t at = tzi_io_first(n);

	for (uint32_t i = 0; i < n; i++)
		at = tzi_io_next(at, bytes[i]);
	return (size_t)at;
}

void io_block_write(uint8_t *block, const void *const *data, const size_t *bytes, uint32_t n)
{
	struct tzi_io_header h = { n, 0 };
	uint64_t at = tzi_io_first(n);

	memset(block, 0, (size_t)at);
	memcpy(block, &h, sizeof(h));
	for (uint32_t i = 0; i < n; i++) {
		struct tzi_io_entry e = { (uint32_t)at, (uint32_t)bytes[i] };
		uint64_t next = tzi_io_next(at, bytes[i]);

		memcpy(block + sizeof(h) + i * sizeof(e), &e, sizeof(e));
		memcpy(block + at, data[i], bytes[i]);
		memset(block + at + bytes[i], 0, (size_t)(next - at - bytes[i]));
		at = next;
	}
}

const uint8_t *io_block_tensor(const uint8_t *block, size_t len, uint32_t i, size_t *bytes)
{
	struct tzi_io_header h;
	struct tzi_io_entry e;

	if (len < sizeof(h))
		return NULL;
	memcpy(&h, block, sizeof(h));
	if (i >= h.count || sizeof(h) + ((uint64_t)i + 1) * sizeof(e) > len)
		return NULL;
	memcpy(&e, block + sizeof(h) + i * sizeof(e), sizeof(e));
	if ((uint64_t)e.offset + e.bytes > len)
		return NULL;
	*bytes = e.bytes;
	return block + e.offset;
}
