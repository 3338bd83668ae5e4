/* SPDX-License-Identifier: MIT */
/*
 * stub_missing.c - stands in for a peer that cannot be built here, so the
 * table says why instead of silently dropping the column. The build passes
 * STUB_BENCH, STUB_SYSTEM and STUB_REASON; params "*" means every row of
 * that benchmark.
 */
#include "bench.h"

int
main(void)
{
    bench_missing(STUB_BENCH, "*", STUB_SYSTEM, STUB_REASON);
    return 0;
}
