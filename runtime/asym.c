/* SPDX-License-Identifier: MIT */
/* asym.c - membarrier(2) behind the asymmetric fences of asym.h. */
#include "asym.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

bool weft__asym_fast;
static pthread_once_t asym_once = PTHREAD_ONCE_INIT;

static long
membarrier(int cmd)
{
    return syscall(__NR_membarrier, cmd, 0, 0);
}

static void
asym_probe(void)
{
#ifdef WEFT_TSAN
    /* TSan cannot see membarrier: keep the symmetric fences it models. */
    weft__asym_fast = false;
#else
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);

    weft__asym_fast =
        cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
        membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

void
weft__asym_init(void)
{
    /* pthread_once orders the probe's write before every later read. */
    pthread_once(&asym_once, asym_probe);
}

void
weft__asym_heavy(void)
{
    if (weft__asym_fast && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        return;
    WEFT_FENCE_SC();
}
