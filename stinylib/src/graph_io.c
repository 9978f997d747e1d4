/* The model's inputs and outputs: the loader's checks of the binding table and the names
 * section (docs/model-format.md, "Inputs and outputs"), and the descriptors callers read. */
#include <string.h>

#include "check.h"
#include "tzm_format.h"

/* A name is 1 ... STL_MAX_NAME bytes of well-formed UTF-8 without control characters (C0, DEL,
 * C1): names are printed on consoles and used as file and dictionary keys. Overlong forms,
 * surrogates and code points above U+10FFFF are not well-formed. */
static int valid_name(const uint8_t *p, uint32_t len)
{
	if (len < 1 || len > STL_MAX_NAME)
		return 0;
	for (uint32_t i = 0; i < len;) {
		const uint8_t c = p[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		const uint32_t n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1; /* continuation bytes */
		if (c < 0xc2 || c > 0xf4 || len - i <= n)
			return 0;
		/* The second byte's range excludes overlongs (E0, F0), surrogates (ED), > U+10FFFF (F4)
		 * and, after C2, the C1 controls U+0080 ... U+009F. */
		const uint8_t lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : c == 0xc2 ? 0xa0 : 0x80;
		const uint8_t hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (uint32_t k = 2; k <= n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return 0;
		i += n + 1;
	}
	return 1;
}

static int same_name(const struct stl_model *m, const struct stl_binding *a, const struct stl_binding *b)
{
	return a->name_len == b->name_len && memcmp(m->names + a->name_offset, m->names + b->name_offset,
						     a->name_len) == 0;
}

/* Bindings [first, first + n) name n distinct tensors under n distinct names. */
static enum stl_status check_distinct(struct stl_model *m, uint32_t first, uint32_t n, const char *what_tensor,
				      const char *what_name)
{
	for (uint32_t i = first; i < first + n; i++)
		for (uint32_t j = first; j < i; j++) {
			if (m->bindings[i].tensor == m->bindings[j].tensor)
				return stl_fail(m, STL_E_TENSOR, what_tensor, -1, m->bindings[i].tensor);
			if (same_name(m, &m->bindings[i], &m->bindings[j]))
				return stl_fail(m, STL_E_TENSOR, what_name, -1, m->bindings[i].tensor);
		}
	return STL_OK;
}

enum stl_status stl_check_graph_io(struct stl_model *m, uint64_t names_size)
{
	const uint32_t n = m->n_inputs + m->n_outputs;
	uint64_t next = 0; /* where the next name must start: the names lie back to back in binding order */
	for (uint32_t i = 0; i < n; i++) {
		const struct stl_binding *b = &m->bindings[i];
		if (b->reserved != 0)
			return stl_fail(m, STL_E_RESERVED, "input/output record reserved field is not zero", -1, -1);
		if (b->tensor >= m->n_tensors)
			return stl_fail(m, STL_E_TENSOR, "an input or output refers to a tensor past the tensor table", -1, -1);
		if (m->tensors[b->tensor].kind != STL_KIND_ACT)
			return stl_fail(m, STL_E_TENSOR, "a model input or output is not an ACT tensor", -1, b->tensor);
		if (b->name_offset != next)
			return stl_fail(m, STL_E_TENSOR, "input/output name_offset is not where the previous name ends",
					-1, b->tensor);
		if (next + b->name_len + 1 > names_size)
			return stl_fail(m, STL_E_TENSOR, "input/output name extends past the names section", -1, b->tensor);
		if (!valid_name((const uint8_t *)m->names + next, b->name_len) || m->names[next + b->name_len] != '\0')
			return stl_fail(m, STL_E_TENSOR, "input/output name is not 1..255 bytes of UTF-8 without control "
					"characters, followed by a NUL", -1, b->tensor);
		next += (uint64_t)b->name_len + 1;
	}
	if (next != names_size)
		return stl_fail(m, STL_E_TENSOR, "names_size is not the sum of the names and their NULs", -1, -1);
	enum stl_status st = check_distinct(m, 0, m->n_inputs, "two model inputs are the same tensor",
					    "two model inputs have the same name");
	if (st == STL_OK)
		st = check_distinct(m, m->n_inputs, m->n_outputs, "two model outputs are the same tensor",
				    "two model outputs have the same name");
	if (st != STL_OK)
		return st;
	for (uint32_t o = m->n_inputs; o < n; o++)
		if (stl_is_input(m, m->bindings[o].tensor))
			return stl_fail(m, STL_E_TENSOR, "a model output is a model input (outputs are written by ops)", -1,
					m->bindings[o].tensor);
	return STL_OK;
}

static int bound_in(const struct stl_model *m, uint32_t first, uint32_t n, uint32_t t)
{
	for (uint32_t i = first; i < first + n; i++)
		if (m->bindings[i].tensor == t)
			return 1;
	return 0;
}

int stl_is_input(const struct stl_model *m, uint32_t t)
{
	return bound_in(m, 0, m->n_inputs, t);
}

int stl_is_output(const struct stl_model *m, uint32_t t)
{
	return bound_in(m, m->n_inputs, m->n_outputs, t);
}

static enum stl_status describe(const struct stl_model *m, uint32_t binding, struct stl_io_desc *d)
{
	const struct stl_binding *b = &m->bindings[binding];
	const struct stl_tensor *t = &m->tensors[b->tensor];
	d->name = m->names + b->name_offset;
	d->name_len = b->name_len;
	d->tensor = b->tensor;
	d->dtype = t->dtype;
	d->ndim = t->ndim;
	d->dims = t->dims;
	d->bytes = t->size;
	return STL_OK;
}

enum stl_status stl_input_desc(const struct stl_model *m, uint32_t i, struct stl_io_desc *d)
{
	memset(d, 0, sizeof *d);
	if (m->base == NULL || i >= m->n_inputs)
		return STL_E_ARG;
	return describe(m, i, d);
}

enum stl_status stl_output_desc(const struct stl_model *m, uint32_t i, struct stl_io_desc *d)
{
	memset(d, 0, sizeof *d);
	if (m->base == NULL || i >= m->n_outputs)
		return STL_E_ARG;
	return describe(m, m->n_inputs + i, d);
}

uint32_t stl_n_inputs(const struct stl_model *m)
{
	return m->base ? m->n_inputs : 0;
}

uint32_t stl_n_outputs(const struct stl_model *m)
{
	return m->base ? m->n_outputs : 0;
}

const uint8_t *stl_source_sha256(const struct stl_model *m)
{
	return m->base ? m->source_sha256 : NULL;
}
