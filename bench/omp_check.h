/* SPDX-License-Identifier: MIT */
/*
 * omp_check.h - the OpenMP peers are built twice (bench/CMakeLists.txt):
 * gcc + libgomp ("omp-gcc") and clang + libomp ("omp-llvm"). The build
 * passes BENCH_SYSTEM and BENCH_OMP_LIB ("libgomp" or "libomp"); this
 * checks at run time that the runtime really loaded is that one (and not
 * the other), so a row can never be credited to the wrong runtime.
 * Needs _GNU_SOURCE (dl_iterate_phdr): the build passes -D_GNU_SOURCE.
 */
#ifndef WEFT_BENCH_OMP_CHECK_H
#define WEFT_BENCH_OMP_CHECK_H

#include <link.h>
#include <string.h>

#ifndef BENCH_SYSTEM
#    error "BENCH_SYSTEM must be defined (omp-gcc or omp-llvm)"
#endif
#ifndef BENCH_OMP_LIB
#    error "BENCH_OMP_LIB must be defined (libgomp or libomp)"
#endif

struct omp_seen {
    int gomp, omp;
};

static int
omp_check_one(struct dl_phdr_info *info, size_t size, void *data)
{
    struct omp_seen *seen = (struct omp_seen *)data;
    const char *base = strrchr(info->dlpi_name, '/');

    (void)size;
    base = base != NULL ? base + 1 : info->dlpi_name;
    if (strncmp(base, "libgomp", 7) == 0)
        seen->gomp = 1;
    if (strncmp(base, "libomp", 6) == 0)
        seen->omp = 1;
    return 0;
}

/* 1 when the expected OpenMP runtime, and only it, is loaded. */
static inline int
omp_runtime_ok(void)
{
    struct omp_seen seen = {0, 0};

    dl_iterate_phdr(omp_check_one, &seen);
    if (strcmp(BENCH_OMP_LIB, "libgomp") == 0)
        return seen.gomp && !seen.omp;
    return seen.omp && !seen.gomp;
}

#endif /* WEFT_BENCH_OMP_CHECK_H */
