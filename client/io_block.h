/*
 * The I/O blocks RUN exchanges with the TA (ta/include/tzinfer_ta.h): the client writes the input
 * block in the standard layout and reads each output tensor back out of the block the TA wrote.
 * Shared by tzinfer-run and tzinfer-hostile.
 */
#ifndef TZI_IO_BLOCK_H
#define TZI_IO_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a block holding n tensors of these sizes in the standard layout. */
size_t io_block_bytes(const size_t *bytes, uint32_t n);

/* Write the header, the table and the n tensors into block (io_block_bytes() long). */
void io_block_write(uint8_t *block, const void *const *data, const size_t *bytes, uint32_t n);

/* Tensor i of the block[0..len) the TA wrote, and its size: NULL when the block holds fewer
 * tensors or its table points outside it. */
const uint8_t *io_block_tensor(const uint8_t *block, size_t len, uint32_t i, size_t *bytes);

#endif
