/*
 * insn_count: a QEMU TCG plugin that counts the guest instructions each vCPU executes (in
 * qemu-aarch64, a vCPU is a guest thread) and, when the program exits, writes one line to QEMU's
 * log (-d plugin -D FILE):
 *
 *   insn_count: vcpu0=N total=M
 *
 * vcpu0 is the main thread. Every translated block adds its instruction count when it executes;
 * a block left early by an exception counts whole, which does not happen in the programs we count.
 * `invoke engine.bench-aarch64` (tzinfer/bench_aarch64.py) runs it; docs/performance.md has the method.
 *
 * QEMU 7.2 (Debian 12) ships no plugins and no plugin header, so the few entry points used here
 * are declared below as QEMU's plugin API version 1 defines them (include/qemu/qemu-plugin.h);
 * QEMU refuses the plugin with a version message if its API differs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct {
		int min, cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus, max_vcpus;
		} system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, void (*cb)(unsigned int vcpu, void *udata),
					  enum qemu_plugin_cb_flags flags, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t id, void *udata), void *udata);
void qemu_plugin_outs(const char *string);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

/* Guest threads beyond this share the last counter (only the total then includes them). */
#define MAX_VCPUS 256
static uint64_t count[MAX_VCPUS];

static void block_executed(unsigned int vcpu, void *insns)
{
	count[vcpu < MAX_VCPUS ? vcpu : MAX_VCPUS - 1] += (uintptr_t)insns;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_executed, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)qemu_plugin_tb_n_insns(tb));
}

static void report(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	uint64_t total = 0;
	for (int i = 0; i < MAX_VCPUS; i++)
		total += count[i];
	char line[96];
	snprintf(line, sizeof line, "insn_count: vcpu0=%llu total=%llu\n", (unsigned long long)count[0],
		 (unsigned long long)total);
	qemu_plugin_outs(line);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	(void)argv;
	if (argc != 0)
		return 1; /* no options */
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
