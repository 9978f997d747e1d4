/*
 * Where tzinfer-run executes the model: in the S-Tinylib TA inside OP-TEE (the product), or
 * with the same engine sources linked into the client in the normal world (the baseline the
 * benchmark compares the TA against). Both sit behind this one interface.
 */
#ifndef TZI_RUNNER_H
#define TZI_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tzinfer_ta.h"

/* One input or output of the loaded model. */
struct tensor_info {
	const char *name;   /* NUL-terminated, owned by the runner until unload */
	uint8_t dtype;      /* 0: float32 */
	uint8_t ndim;
	uint32_t dims[6];
	uint32_t bytes;
};

struct model_info {
	uint32_t n_inputs, n_outputs;
	const struct tensor_info *inputs;   /* in the model's order; owned by the runner until unload */
	const struct tensor_info *outputs;
	uint32_t arena_bytes;               /* peak activation memory of the plan */
	uint32_t weights_bytes;
	size_t model_bytes;                 /* the whole .tzm, held while loaded */
	double transfer_ms;                 /* load: copying the file to where it runs */
	double verify_ms;                   /* load: stl_load's checks (incl. SHA-256), arena */
};

/* An input given to run(): where it came from (for messages) and its floats. */
struct input_buf {
	const char *path;
	const float *data;
	size_t bytes;
};

/* Where run() puts an output: exactly its tensor_info bytes. */
struct output_buf {
	float *data;
	size_t bytes;
};

struct runner;

struct runner_ops {
	const char *world; /* "secure" or "normal" */
	/* Load and verify a model; 0, or -1 with a diagnostic. */
	int (*load)(struct runner *r, const char *model_path, const uint8_t *file, size_t len,
		    struct model_info *info);
	/* One inference, in[i] and out[i] for each input and output in the model's order; a wrong
	 * input size is refused with a diagnostic naming the input. *engine_us is the time the engine
	 * took, measured where it ran. */
	int (*run)(struct runner *r, const struct input_buf *in, const struct output_buf *out,
		   uint32_t *engine_us);
	/* Wipe and free the loaded model. */
	void (*unload)(struct runner *r);
	/* Print the memory the loaded model occupies, as "key: value" lines. */
	void (*print_memory)(struct runner *r, const struct model_info *info, FILE *out);
	void (*close)(struct runner *r);
};

struct runner {
	const struct runner_ops *ops;
	void *state;
};

/* How tzinfer-run talks to the TA. */
struct secure_options {
	size_t chunk_bytes;   /* shared-memory window of the model upload */
	uint32_t key_id;      /* the key models must be sealed for, or TZI_KEY_ID_ANY */
	double run_timeout_s; /* stop a run in the TA after this long (0: never; tzi_set_time_limit) */
	bool attest;          /* load with attestation (tzi_set_attest), so that runs can be attested */
	uint32_t threads;     /* cores per inference (tzi_set_threads); 0 or 1: one */
	bool login_group;     /* log in as group login_gid (tzi_open_group), not as the user */
	uint32_t login_gid;
};

/* Open a session with the TA (0, or -1 with a diagnostic naming cause and fix). */
int secure_runner_open(struct runner *r, const struct secure_options *opt);

/* The commands that need no model (ta/include/tzinfer_ta.h); the runner must come from
 * secure_runner_open. Each returns 0, or -1 with a diagnostic. */
int secure_runner_provision_key(struct runner *r, uint32_t key_id, const uint8_t *key,
				size_t len, bool replace);
int secure_runner_delete_key(struct runner *r, uint32_t key_id);
int secure_runner_lock_keys(struct runner *r);
int secure_runner_device_key(struct runner *r, uint8_t key[TZI_DEVICE_KEY_BYTES]);
/* ATTEST after a RUN of a model loaded with attest set. */
int secure_runner_attest(struct runner *r, const uint8_t nonce[TZI_NONCE_BYTES],
			 uint8_t report[TZI_ATTEST_REPORT_BYTES]);

/* The engine in this process. */
int normal_runner_open(struct runner *r);

#endif
