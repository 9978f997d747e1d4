/*
 * A loaded model's inputs and outputs as the normal world sees them: the description DESCRIBE
 * returns and the I/O blocks RUN reads and writes (include/tzinfer_ta.h).
 */
#ifndef TZI_MODEL_IO_H
#define TZI_MODEL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stinylib.h>
#include <tee_internal_api.h>

/* Bytes of the model's input (outputs = true: output) block in the standard layout. */
uint64_t model_io_block_bytes(const struct stl_model *m, bool outputs);

/* Bytes of the model's description. */
uint64_t model_io_describe_bytes(const struct stl_model *m);

/* Write the description into desc, which holds model_io_describe_bytes() bytes. */
void model_io_describe(const struct stl_model *m, uint8_t *desc);

/* Check the input block in[0..len) and point inputs[0..n_inputs) at its tensors; each table
 * entry is read once. BAD_PARAMETERS when a rule of tzinfer_ta.h is broken. */
TEE_Result model_io_inputs(const struct stl_model *m, const uint8_t *in, size_t len,
			   struct stl_input *inputs);

/* Write the output block's header and table at out (4-byte aligned, model_io_block_bytes long)
 * and point outputs[0..n_outputs) at its tensors. */
void model_io_outputs(const struct stl_model *m, uint8_t *out, struct stl_output *outputs);

#endif
