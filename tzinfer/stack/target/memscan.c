/*
 * memscan: classify the 4 KiB pages of a physical address range, read through /dev/mem.
 *
 * Used on the QEMU target to check OP-TEE's TA RAM pool from the normal world (QEMU's
 * TZDRAM carve-out in DDR is reserved, not protected, like the Pi 3's secure DRAM):
 *   zero    - every byte is 0 (cleared, or never used)
 *   pgtable - every non-zero 64-bit word is a valid translation descriptor (bit 0 set):
 *             OP-TEE's user page tables, which are also allocated from this pool
 *   data    - anything else: what a TA left behind
 *
 * Usage: memscan BASE SIZE     (hex or decimal)
 * Prints one line: memscan base=0x... size=0x... pages=N zero=Z pgtable=P data=D first_data=0x...
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS (PAGE / sizeof(uint64_t))

enum kind { ZERO, PGTABLE, DATA };

static enum kind classify(const volatile uint64_t *page)
{
	int nonzero = 0;
	int descriptors = 1;

	for (size_t i = 0; i < WORDS; i++) {
		uint64_t w = page[i];

		if (!w)
			continue;
		nonzero = 1;
		if (!(w & 1))
			descriptors = 0;
	}
	if (!nonzero)
		return ZERO;
	return descriptors ? PGTABLE : DATA;
}

static int parse(const char *text, uint64_t *value)
{
	char *end = NULL;

	errno = 0;
	*value = strtoull(text, &end, 0);
	return errno || !*text || *end;
}

int main(int argc, char **argv)
{
	uint64_t base = 0;
	uint64_t size = 0;
	uint64_t count[3] = { 0, 0, 0 };
	uint64_t first_data = 0;
	int fd = -1;
	volatile uint64_t *map = NULL;

	if (argc != 3 || parse(argv[1], &base) || parse(argv[2], &size) ||
	    base % PAGE || size % PAGE || !size) {
		fprintf(stderr, "usage: memscan BASE SIZE (page-aligned, e.g. 0x70200000 0x3e00000)\n");
		return 2;
	}
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "memscan: /dev/mem: %s (run as root on a kernel with CONFIG_DEVMEM)\n",
			strerror(errno));
		return 1;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (map == MAP_FAILED) {
		fprintf(stderr, "memscan: mmap 0x%llx+0x%llx: %s (the range must not be System RAM)\n",
			(unsigned long long)base, (unsigned long long)size, strerror(errno));
		return 1;
	}
	for (uint64_t off = 0; off < size; off += PAGE) {
		enum kind k = classify(map + off / sizeof(uint64_t));

		if (k == DATA && !count[DATA])
			first_data = base + off;
		count[k]++;
	}
	printf("memscan base=0x%llx size=0x%llx pages=%llu zero=%llu pgtable=%llu data=%llu first_data=0x%llx\n",
	       (unsigned long long)base, (unsigned long long)size,
	       (unsigned long long)(size / PAGE), (unsigned long long)count[ZERO],
	       (unsigned long long)count[PGTABLE], (unsigned long long)count[DATA],
	       (unsigned long long)first_data);
	munmap((void *)map, size);
	close(fd);
	return 0;
}
