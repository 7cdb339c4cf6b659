/*
 * stage_bench: run stage_run once, for bench/stage.sh.
 *
 * usage: stage_bench WORKTREE RELEASE_ROOT VERSION
 *
 * Stages the binaries "app" and "app-admin" from WORKTREE/target/release and
 * the row {src = "assets", dst = "assets", required = true}; prints the
 * seconds stage_run took, the bytes and entries, and the bundle digest.
 * Exits 1 when stage_run fails.
 */
#include <stdio.h>
#include <time.h>

#include "core/log.h"
#include "daemon/stage.h"

int
main(int argc, char **argv)
{
	static const char *const bins[] = {"app", "app-admin", NULL};
	static const struct stage_row rows[] = {{"assets", "assets", 1}};
	struct stage_request req = {0};
	struct stage_result res;
	struct timespec t0, t1;
	volatile int cancel = 0;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: stage_bench WORKTREE RELEASE_ROOT VERSION\n");
		return 2;
	}
	log_init("stage_bench", LOG_WARN);
	req.worktree = argv[1];
	req.artifact_dir = "target/release";
	req.bins = bins;
	req.rows = rows;
	req.nrows = 1;
	req.release_root = argv[2];
	req.version = argv[3];
	req.sha = "0000000000000000000000000000000000000000";
	req.cancel = &cancel;
	stage_result_init(&res);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = stage_run(&req, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == -1)
		fprintf(stderr, "stage_bench: %s\n", res.error.buf);
	else
		printf("%.4f %llu %zu %s\n",
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		    (unsigned long long)res.bytes, res.files, res.bundle_digest);
	stage_result_release(&res);
	return rc == -1;
}
