/* stl_load: header, section bounds, body SHA-256 and record syntax, then the input/output, op
 * and plan stages.
 * Every size is computed in 64 bits from 32-bit fields, so no sum or product can wrap. */
#include <string.h>

#include "check.h"
#include "tzm_format.h"
#include "sha256.h"

_Static_assert(sizeof(struct stl_tensor) == STL_TENSOR_RECORD, "tensor record layout");
_Static_assert(sizeof(struct stl_op) == STL_OP_RECORD, "op record layout");
_Static_assert(sizeof(struct stl_binding) == STL_BINDING_RECORD, "input/output record layout");

enum stl_status stl_fail(struct stl_model *m, enum stl_status s, const char *reason, int64_t op,
			 int64_t tensor)
{
	m->error.status = s;
	m->error.reason = reason;
	m->error.op = (int32_t)op;
	m->error.tensor = (int32_t)tensor;
	m->base = NULL; /* stl_run refuses a model whose load failed */
	return s;
}

static uint64_t round16(uint64_t n)
{
	return (n + STL_ALIGN - 1) / STL_ALIGN * STL_ALIGN;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static enum stl_status check_header(struct stl_model *m, const uint8_t *b, size_t len)
{
	if (len < STL_HEADER_SIZE)
		return stl_fail(m, STL_E_TRUNCATED, "buffer shorter than the 128-byte header (truncated file)", -1, -1);
	if (memcmp(b + STL_HDR_MAGIC, STL_MAGIC, STL_MAGIC_BYTES) != 0)
		return stl_fail(m, STL_E_MAGIC, "magic is not \"TZMODEL\\0\" (not a .tzm file)", -1, -1);
	if (stl_le16(b + STL_HDR_VERSION_MAJOR) == 1)
		return stl_fail(m, STL_E_VERSION, "format version 1 (one unnamed input and output) is no longer "
				"loaded: convert the ONNX model again with this tzinfer", -1, -1);
	if (stl_le16(b + STL_HDR_VERSION_MAJOR) != STL_VERSION_MAJOR || stl_le16(b + STL_HDR_VERSION_MINOR) > STL_VERSION_MINOR)
		return stl_fail(m, STL_E_VERSION, "format version is not 2.0 or 2.1 (re-convert with this tzinfer)", -1, -1);
	if (stl_le32(b + STL_HDR_HEADER_SIZE) != STL_HEADER_SIZE)
		return stl_fail(m, STL_E_VERSION, "header_size is not 128 (not a v2 header)", -1, -1);
	if (stl_le32(b + STL_HDR_FLAGS) != 0)
		return stl_fail(m, STL_E_FLAGS, "unsupported flags (encrypted or unknown; this loader takes none)", -1, -1);
	if (!all_zero(b + STL_HDR_NONCE, STL_HDR_NAMES_SIZE - STL_HDR_NONCE) ||
	    !all_zero(b + STL_HDR_RESERVED, STL_HEADER_SIZE - STL_HDR_RESERVED))
		return stl_fail(m, STL_E_RESERVED, "header nonce/tag/key_id/reserved bytes are not zero", -1, -1);
	return STL_OK;
}

static enum stl_status check_sections(struct stl_model *m, const uint8_t *b, size_t len)
{
	uint64_t n_tensors = stl_le32(b + STL_HDR_N_TENSORS), n_ops = stl_le32(b + STL_HDR_N_OPS), n_io = stl_le32(b + STL_HDR_N_IO);
	uint64_t n_inputs = stl_le32(b + STL_HDR_N_INPUTS), n_outputs = stl_le32(b + STL_HDR_N_OUTPUTS);
	uint64_t names_size = stl_le32(b + STL_HDR_NAMES_SIZE);
	uint64_t weights_offset = stl_le32(b + STL_HDR_WEIGHTS_OFFSET), weights_size = stl_le32(b + STL_HDR_WEIGHTS_SIZE);
	uint64_t body_size = stl_le32(b + STL_HDR_BODY_SIZE);

	if (n_tensors < 1 || n_tensors > STL_MAX_COUNT)
		return stl_fail(m, STL_E_TENSOR, "n_tensors is not in 1..65535", -1, -1);
	if (n_ops < 1 || n_ops > STL_MAX_COUNT)
		return stl_fail(m, STL_E_OP, "n_ops is not in 1..65535", -1, -1);
	if (n_inputs < 1 || n_inputs > STL_MAX_GRAPH_IO || n_outputs < 1 || n_outputs > STL_MAX_GRAPH_IO)
		return stl_fail(m, STL_E_TENSOR, "n_inputs or n_outputs is not in 1..255", -1, -1);
	if ((uint64_t)len - STL_HEADER_SIZE < body_size)
		return stl_fail(m, STL_E_TRUNCATED, "buffer shorter than header.body_size declares (truncated file)", -1, -1);
	if ((uint64_t)len - STL_HEADER_SIZE > body_size)
		return stl_fail(m, STL_E_TRUNCATED, "buffer longer than header.body_size declares (trailing bytes)", -1, -1);

	uint64_t io_at = STL_HEADER_SIZE + n_tensors * STL_TENSOR_RECORD + n_ops * STL_OP_RECORD;
	uint64_t source_at = io_at + n_io * 4, bindings_at = source_at + STL_SOURCE_DIGEST;
	uint64_t names_at = bindings_at + (n_inputs + n_outputs) * STL_BINDING_RECORD;
	uint64_t tables_end = names_at + names_size;
	if (tables_end > len)
		return stl_fail(m, STL_E_TRUNCATED, "tables and names extend past the end of the file", -1, -1);
	/* Exactly the tables' end rounded up: more zero padding would be a second encoding of the model. */
	if (weights_offset != round16(tables_end))
		return stl_fail(m, STL_E_TRUNCATED, "weights_offset is not the names section's end rounded up to 16", -1, -1);
	if (weights_offset + weights_size != len)
		return stl_fail(m, STL_E_TRUNCATED, "weights_offset + weights_size is not the file size", -1, -1);
	if (!all_zero(b + tables_end, (size_t)(weights_offset - tables_end)))
		return stl_fail(m, STL_E_RESERVED, "padding between the names and the weights is not zero", -1, -1);
	if (n_tensors * (n_ops + n_io + n_inputs + n_outputs) > STL_MAX_PLAN_WORK)
		return stl_fail(m, STL_E_TENSOR, "n_tensors × (n_ops + n_io + n_inputs + n_outputs) is above 2^27: too "
				"large to verify the plan", -1, -1);

	m->n_tensors = (uint32_t)n_tensors;
	m->n_ops = (uint32_t)n_ops;
	m->n_io = (uint32_t)n_io;
	m->n_inputs = (uint32_t)n_inputs;
	m->n_outputs = (uint32_t)n_outputs;
	m->tensors = (const struct stl_tensor *)(const void *)(b + STL_HEADER_SIZE);
	m->ops = (const struct stl_op *)(const void *)(b + STL_HEADER_SIZE + n_tensors * STL_TENSOR_RECORD);
	m->io = (const uint32_t *)(const void *)(b + io_at);
	m->source_sha256 = b + source_at;
	m->bindings = (const struct stl_binding *)(const void *)(b + bindings_at);
	m->names = (const char *)(b + names_at);
	m->weights = b + weights_offset;
	m->arena_size = stl_le32(b + STL_HDR_ARENA_SIZE);
	return STL_OK;
}

static enum stl_status check_hash(struct stl_model *m, const uint8_t *b, size_t len)
{
	uint8_t digest[STL_SHA256_BYTES];
	stl_sha256(b + STL_HEADER_SIZE, len - STL_HEADER_SIZE, digest);
	if (memcmp(digest, b + STL_HDR_BODY_SHA256, STL_SHA256_BYTES) != 0)
		return stl_fail(m, STL_E_INTEGRITY, "body SHA-256 does not match the header (corrupt or modified file)", -1, -1);
	return STL_OK;
}

/* Bytes of one element of each dtype. */
static const uint8_t elem_bytes[STL_DTYPE_LAST + 1] = {[STL_DTYPE_F32] = 4, [STL_DTYPE_U8] = 1, [STL_DTYPE_I8] = 1, [STL_DTYPE_I32] = 4};

static int finite_positive_scale(float f)
{
	return f > 0.0f && f <= 3.4028234663852886e38f; /* false for NaN */
}

/* The dtype fields of a tensor: in a 2.0 file all zero (F32); in a 2.1 file a quantised ACT tensor
 * has a finite positive scale, and every other tensor's zero point and scale are zero (a CONST's
 * quantisation is carried by the op reading it: QCONV/QGEMM's multipliers). */
static enum stl_status check_dtype(struct stl_model *m, uint32_t i, int quantised_file)
{
	const struct stl_tensor *t = &m->tensors[i];
	if (t->dtype > STL_DTYPE_LAST || (!quantised_file && t->dtype != STL_DTYPE_F32))
		return stl_fail(m, STL_E_TENSOR, quantised_file ? "tensor dtype is unknown" :
				"tensor dtype is not F32 (the only 2.0 dtype; quantised models are 2.1 files)", -1, i);
	uint32_t scale_bits;
	memcpy(&scale_bits, &t->scale, 4);
	const int quantised = (t->dtype == STL_DTYPE_U8 || t->dtype == STL_DTYPE_I8) && t->kind == STL_KIND_ACT;
	if (quantised && !finite_positive_scale(t->scale))
		return stl_fail(m, STL_E_TENSOR, "quantised tensor scale is not finite and positive", -1, i);
	if (!quantised && (t->zero_point != 0 || scale_bits != 0))
		return stl_fail(m, STL_E_RESERVED, "zero point or scale set on a tensor that is not a quantised ACT "
				"(in 2.0 files these are reserved fields)", -1, i);
	return STL_OK;
}

static enum stl_status check_tensor(struct stl_model *m, uint32_t i, uint64_t weights_size, int quantised_file)
{
	const struct stl_tensor *t = &m->tensors[i];
	enum stl_status st;
	if (t->kind > STL_KIND_CONST)
		return stl_fail(m, STL_E_TENSOR, "tensor kind is neither ACT nor CONST", -1, i);
	if ((st = check_dtype(m, i, quantised_file)) != STL_OK)
		return st;
	if (t->ndim > STL_MAX_DIMS)
		return stl_fail(m, STL_E_TENSOR, "tensor ndim is above 6", -1, i);
	uint64_t elems = 1;
	for (unsigned d = 0; d < STL_MAX_DIMS; d++) {
		if (d < t->ndim && t->dims[d] == 0)
			return stl_fail(m, STL_E_TENSOR, "tensor has a zero dim", -1, i);
		if (d >= t->ndim && t->dims[d] != 0)
			return stl_fail(m, STL_E_TENSOR, "tensor dims beyond ndim are not zero", -1, i);
		if (d < t->ndim) {
			elems *= t->dims[d]; /* < 2^30 * 2^32: no wrap */
			if (elems > UINT32_MAX / 4)
				return stl_fail(m, STL_E_TENSOR, "tensor dims overflow: 4 * product exceeds 32 bits", -1, i);
		}
	}
	if (t->size != elem_bytes[t->dtype] * elems)
		return stl_fail(m, STL_E_TENSOR, "tensor size is not the element size * product(dims)", -1, i);
	if (t->offset % STL_ALIGN != 0)
		return stl_fail(m, STL_E_TENSOR, "tensor offset is not 16-byte aligned", -1, i);
	if (t->kind == STL_KIND_CONST && (uint64_t)t->offset + t->size > weights_size)
		return stl_fail(m, STL_E_TENSOR, "constant tensor lies outside the weights section", -1, i);
	return STL_OK;
}

/* Syntax of one op record; op semantics (arity per type, attributes, shapes) are in opcheck.c.
 * *io_next is where this op's io entries must start: the table holds every op's entries back to back
 * in op order, so io_first and n_io follow from the op list and unused or shared entries cannot hide
 * in it (no two files decode to the same model). */
static enum stl_status check_op_record(struct stl_model *m, uint32_t s, uint64_t *io_next)
{
	const struct stl_op *op = &m->ops[s];
	if (op->type < STL_OP_CONV || op->type > STL_OP_LAST)
		return stl_fail(m, STL_E_OP, "unknown op type", s, -1);
	if (op->reserved0 != 0 || op->reserved1 != 0)
		return stl_fail(m, STL_E_RESERVED, "op record reserved field is not zero", s, -1);
	if (op->n_out != 1)
		return stl_fail(m, STL_E_OP, "op n_out is not 1", s, -1);
	if (op->n_scratch > 1)
		return stl_fail(m, STL_E_OP, "op n_scratch is above 1", s, -1);
	if (op->act > STL_ACT_LAST)
		return stl_fail(m, STL_E_OP, "unknown fused activation", s, -1);
	uint64_t n = (uint64_t)op->n_in + op->n_out + op->n_scratch;
	if (op->io_first != *io_next)
		return stl_fail(m, STL_E_OP, "op io_first is not where the previous op's io entries end", s, -1);
	if (*io_next + n > m->n_io)
		return stl_fail(m, STL_E_OP, "op io entries extend past the io table", s, -1);
	*io_next += n;
	for (uint64_t i = 0; i < n; i++)
		if (m->io[op->io_first + i] >= m->n_tensors)
			return stl_fail(m, STL_E_OP, "op refers to a tensor index past the tensor table", s, -1);
	return STL_OK;
}

/* Whether an earlier tensor is a CONST with t's offset and size: a repeat of a stored constant. */
static int repeats_earlier(const struct stl_model *m, uint32_t t)
{
	for (uint32_t j = 0; j < t; j++)
		if (m->tensors[j].kind == STL_KIND_CONST && m->tensors[j].offset == m->tensors[t].offset &&
		    m->tensors[j].size == m->tensors[t].size)
			return 1;
	return 0;
}

/* The constants tile the weights section exactly as the converter lays them out
 * (tzinfer/convert/build.py): in tensor order, each CONST is either stored at the end of the
 * previous stored one rounded up to 16, or repeats an earlier CONST's offset and size (identical
 * constants are stored once). The gaps are zero and the section ends at the last end rounded up,
 * so no weight byte lies outside a constant and its padding, and a model has one weights layout.
 * Runs after the plan check, which makes every CONST an op input: there are then at most n_io
 * repeats, each scanning at most n_tensors records, within the plan check's own bound. */
static enum stl_status check_weights(struct stl_model *m, uint64_t weights_size)
{
	uint64_t end = 0; /* end of the last stored constant */
	for (uint32_t i = 0; i < m->n_tensors; i++) {
		const struct stl_tensor *t = &m->tensors[i];
		if (t->kind != STL_KIND_CONST)
			continue;
		if (t->offset < end) {
			if (!repeats_earlier(m, i))
				return stl_fail(m, STL_E_TENSOR, "constant overlaps another without repeating its offset and size",
						-1, i);
			continue;
		}
		if (t->offset != round16(end))
			return stl_fail(m, STL_E_TENSOR, "constant is not at the previous constant's end rounded up to 16",
					-1, i);
		if (!all_zero(m->weights + end, (size_t)(t->offset - end)))
			return stl_fail(m, STL_E_RESERVED, "padding between constants is not zero", -1, i);
		end = (uint64_t)t->offset + t->size;
	}
	if (weights_size != round16(end))
		return stl_fail(m, STL_E_TRUNCATED, "weights_size is not the last constant's end rounded up to 16", -1, -1);
	if (!all_zero(m->weights + end, (size_t)(weights_size - end)))
		return stl_fail(m, STL_E_RESERVED, "padding after the last constant is not zero", -1, -1);
	return STL_OK;
}

enum stl_status stl_load(struct stl_model *m, const void *buf, size_t len)
{
	enum stl_status st;
	const uint8_t *b = buf;

	memset(m, 0, sizeof *m);
	if (b == NULL || (uintptr_t)b % STL_ALIGN != 0)
		return stl_fail(m, STL_E_ARG, "model buffer is NULL or not 16-byte aligned (pass an aligned copy)", -1, -1);
	if (len > UINT32_MAX)
		return stl_fail(m, STL_E_TRUNCATED, "buffer larger than 4 GiB (not a .tzm model)", -1, -1);
	if ((st = check_header(m, b, len)) != STL_OK || (st = check_sections(m, b, len)) != STL_OK ||
	    (st = check_hash(m, b, len)) != STL_OK)
		return st;
	const uint64_t weights_size = len - (size_t)(m->weights - b);
	const int quantised_file = stl_le16(b + STL_HDR_VERSION_MINOR) >= 1;
	for (uint32_t i = 0; i < m->n_tensors; i++)
		if ((st = check_tensor(m, i, weights_size, quantised_file)) != STL_OK)
			return st;
	if ((st = stl_check_graph_io(m, stl_le32(b + STL_HDR_NAMES_SIZE))) != STL_OK)
		return st;
	for (uint32_t k = 0; k < m->n_inputs + m->n_outputs; k++)
		if (m->tensors[m->bindings[k].tensor].dtype != STL_DTYPE_F32)
			return stl_fail(m, STL_E_TENSOR, "a model input or output is not F32 (quantised models take and "
					"give floats: QUANTIZE and DEQUANTIZE ops sit at the edges)", -1,
					m->bindings[k].tensor);
	uint64_t io_next = 0;
	for (uint32_t s = 0; s < m->n_ops; s++)
		if ((st = check_op_record(m, s, &io_next)) != STL_OK)
			return st;
	if (io_next != m->n_io)
		return stl_fail(m, STL_E_OP, "n_io is larger than the io entries the ops use", -1, -1);
	if ((st = stl_check_ops(m)) != STL_OK || (st = stl_check_plan(m)) != STL_OK ||
	    (st = check_weights(m, weights_size)) != STL_OK)
		return st;
	m->base = b;
	m->size = len;
	m->error.status = STL_OK;
	m->error.reason = "ok";
	m->error.op = -1;
	m->error.tensor = -1;
	return STL_OK;
}

uint32_t stl_arena_bytes(const struct stl_model *m)
{
	return m->base ? m->arena_size : 0;
}
