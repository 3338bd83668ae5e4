/* SPDX-License-Identifier: MIT */
/*
 * replay.c - a main() for the fuzz harnesses in builds without libFuzzer
 * (gcc, TSan, ASan): runs LLVMFuzzerTestOneInput once on every file named
 * on the command line, or inside a directory named there (not recursive),
 * in name order. An invariant failure aborts. Fails when no input was
 * found, so an empty or misplaced corpus cannot pass unnoticed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    return 1;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
replay_dir(const char *dir)
{
    struct dirent **ents;
    char path[4096];
    int n = scandir(dir, &ents, NULL, by_name), count = 0;
    struct stat st;

    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s\n", dir);
        exit(2);
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode))
            count += replay_file(path);
        free(ents[i]);
    }
    free(ents);
    return count;
}

int
main(int argc, char **argv)
{
    struct stat st;
    int count = 0;

    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such input: %s\n", argv[i]);
            return 2;
        }
        count +=
            S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
    }
    printf("replay: %d inputs, every invariant held\n", count);
    if (count == 0) {
        fprintf(stderr, "replay: no inputs (empty corpus?)\n");
        return 1;
    }
    return 0;
}
