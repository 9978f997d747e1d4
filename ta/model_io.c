#include "model_io.h"

#include <string.h>

#include "tzinfer_ta.h"

/* Tensor k of the model's I/O: the inputs first, then the outputs. */
static void io_desc(const struct stl_model *m, uint32_t k, struct stl_io_desc *d)
{
	if (k < stl_n_inputs(m))
		stl_input_desc(m, k, d);
	else
		stl_output_desc(m, k - stl_n_inputs(m), d);
}

uint64_t model_io_block_bytes(const struct stl_model *m, bool outputs)
{
	uint32_t first = outputs ? stl_n_inputs(m) : 0;
	uint32_t n = outputs ? stl_n_outputs(m) : stl_n_inputs(m);
	uint64_t at = tzi_io_first(n);
	struct stl_io_desc d;

	for (uint32_t i = 0; i < n; i++) {
		io_desc(m, first + i, &d);
		at = tzi_io_next(at, d.bytes);
	}
	return at;
}

uint64_t model_io_describe_bytes(const struct stl_model *m)
{
	uint32_t n = stl_n_inputs(m) + stl_n_outputs(m);
	uint64_t bytes = sizeof(struct tzi_describe_header) + (uint64_t)n * sizeof(struct tzi_tensor_desc);
	struct stl_io_desc d;

	for (uint32_t k = 0; k < n; k++) {
		io_desc(m, k, &d);
		bytes += d.name_len + 1u;
	}
	return bytes;
}

void model_io_describe(const struct stl_model *m, uint8_t *desc)
{
	struct tzi_describe_header h = { stl_n_inputs(m), stl_n_outputs(m) };
	uint32_t n = h.n_inputs + h.n_outputs;
	uint32_t name_at = sizeof(h) + n * sizeof(struct tzi_tensor_desc);
	struct stl_io_desc d;

	memcpy(desc, &h, sizeof(h));
	for (uint32_t k = 0; k < n; k++) {
		struct tzi_tensor_desc t;

		io_desc(m, k, &d);
		memset(&t, 0, sizeof(t));
		t.name_offset = name_at;
		t.name_len = d.name_len;
		t.dtype = d.dtype;
		t.ndim = d.ndim;
		memcpy(t.dims, d.dims, d.ndim * sizeof(t.dims[0]));
		t.bytes = d.bytes;
		memcpy(desc + sizeof(h) + k * sizeof(t), &t, sizeof(t));
		memcpy(desc + name_at, d.name, d.name_len + 1u);
		name_at += d.name_len + 1u;
	}
}

TEE_Result model_io_inputs(const struct stl_model *m, const uint8_t *in, size_t len,
			   struct stl_input *inputs)
{
	struct tzi_io_header h;
	uint32_t n = stl_n_inputs(m);
	uint64_t table_end = sizeof(h) + (uint64_t)n * sizeof(struct tzi_io_entry);
	struct stl_io_desc d;

	if (!in || len < table_end)
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy(&h, in, sizeof(h));
	if (h.count != n || h.reserved)
		return TEE_ERROR_BAD_PARAMETERS;
	for (uint32_t i = 0; i < n; i++) {
		struct tzi_io_entry e;

		/* One read of the entry from shared memory: what is checked is what is used. */
		memcpy(&e, in + sizeof(h) + i * sizeof(e), sizeof(e));
		stl_input_desc(m, i, &d);
		if (e.bytes != d.bytes || e.offset < table_end || (uint64_t)e.offset + e.bytes > len ||
		    ((uintptr_t)in + e.offset) % 4u)
			return TEE_ERROR_BAD_PARAMETERS;
		inputs[i].data = in + e.offset;
		inputs[i].len = e.bytes;
	}
	return TEE_SUCCESS;
}

void model_io_outputs(const struct stl_model *m, uint8_t *out, struct stl_output *outputs)
{
	struct tzi_io_header h = { stl_n_outputs(m), 0 };
	uint64_t at = tzi_io_first(h.count);
	struct stl_io_desc d;

	memcpy(out, &h, sizeof(h));
	for (uint32_t o = 0; o < h.count; o++) {
		struct tzi_io_entry e;

		stl_output_desc(m, o, &d);
		e.offset = (uint32_t)at;
		e.bytes = d.bytes;
		memcpy(out + sizeof(h) + o * sizeof(e), &e, sizeof(e));
		outputs[o].data = out + at;
		outputs[o].len = d.bytes;
		at = tzi_io_next(at, d.bytes);
	}
}
