/*
 * memscan: count the 4 KiB pages of a physical address range that are not all zero,
 * read through /dev/mem.
 *
 * Used on the QEMU target to check OP-TEE's TA RAM pool from the normal world (QEMU's
 * TZDRAM carve-out in DDR is reserved, not protected, like the Pi 3's secure DRAM). With no
 * TA instance alive, a non-zero page in the pool is what a TA left behind. (OP-TEE's user
 * page tables live in core memory, not in the pool, unless CFG_CORE_PREALLOC_EL0_TBLS=y.)
 *
 * Usage: memscan BASE SIZE     (hex or decimal)
 * Prints one line: memscan base=0x... size=0x... pages=N zero=Z nonzero=D first_nonzero=0x...
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

static int is_zero(const volatile uint64_t *page)
{
	for (size_t i = 0; i < WORDS; i++)
		if (page[i])
			return 0;
	return 1;
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
	uint64_t nonzero = 0;
	uint64_t first_nonzero = 0;
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
		if (is_zero(map + off / sizeof(uint64_t)))
			continue;
		if (!nonzero)
			first_nonzero = base + off;
		nonzero++;
	}
	printf("memscan base=0x%llx size=0x%llx pages=%llu zero=%llu nonzero=%llu first_nonzero=0x%llx\n",
	       (unsigned long long)base, (unsigned long long)size,
	       (unsigned long long)(size / PAGE), (unsigned long long)(size / PAGE - nonzero),
	       (unsigned long long)nonzero, (unsigned long long)first_nonzero);
	munmap((void *)map, size);
	close(fd);
	return 0;
}
