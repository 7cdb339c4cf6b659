/*
 * gate_spew: the gate program of bench/gate_output.sh.  Prints a first line,
 * sleeps DELAY_MS (so the readers can attach), then BYTES bytes of lines
 *
 *     T <CLOCK_MONOTONIC ns, 19 digits> <line number, 10 digits> xxx...x\n
 *
 * LINE_LEN bytes each (the last one shorter), written WRITE_SIZE bytes at a
 * time (default 8192, like stdio on a pipe).  Each line is stamped when it is
 * formatted, just before the write that carries it, so a reader computes the
 * line's latency as its arrival time minus the stamp.  RATE_MBPS > 0 paces
 * the output (MB = 10^6 bytes); 0 writes as fast as the pipe takes it.
 *
 * usage: gate_spew BYTES [LINE_LEN] [WRITE_SIZE] [DELAY_MS] [RATE_MBPS]
 * Prints "spew: BYTES bytes in S s = R MB/s" to stderr at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEAD 33 /* "T " + 19 digits + " " + 10 digits + " " */

static unsigned long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void
put_digits(char *p, unsigned long long v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("spew: write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	unsigned long long total, left, line = 0, t0, t1;
	size_t line_len, wsize, fill;
	long delay_ms;
	double rate;
	char *buf;

	if (argc < 2) {
		fprintf(stderr,
		    "usage: gate_spew BYTES [LINE_LEN] [WRITE_SIZE] [DELAY_MS] [RATE_MBPS]\n");
		return 2;
	}
	total = strtoull(argv[1], NULL, 10);
	line_len = argc > 2 ? strtoul(argv[2], NULL, 10) : 128;
	wsize = argc > 3 ? strtoul(argv[3], NULL, 10) : 8192;
	delay_ms = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
	rate = argc > 5 ? strtod(argv[5], NULL) : 0;
	if (line_len < HEAD + 1)
		line_len = HEAD + 1;
	if (wsize < line_len)
		wsize = line_len;
	buf = malloc(wsize);
	write_all("spew: start\n", 12);
	if (delay_ms > 0)
		usleep((useconds_t)delay_ms * 1000);
	t0 = now_ns();
	left = total;
	while (left > 0) {
		if (rate > 0) { /* pace to rate MB/s (sleep before stamping) */
			double due = (double)(total - left) / (rate * 1e6);
			double el = (double)(now_ns() - t0) / 1e9;

			if (due > el)
				usleep((useconds_t)((due - el) * 1e6));
		}
		fill = 0;
		while (fill + line_len <= wsize && left > 0) {
			size_t n = left < line_len ? (size_t)left : line_len;
			char *p = buf + fill;

			if (n >= HEAD + 1) {
				memcpy(p, "T ", 2);
				put_digits(p + 2, now_ns(), 19);
				p[21] = ' ';
				put_digits(p + 22, line, 10);
				p[32] = ' ';
				memset(p + HEAD, 'x', n - HEAD - 1);
			} else {
				memset(p, 'x', n - 1); /* a short tail without a stamp */
			}
			p[n - 1] = '\n';
			line++;
			fill += n;
			left -= n;
		}
		write_all(buf, fill);
	}
	t1 = now_ns();
	fprintf(stderr, "spew: %llu bytes in %.3f s = %.1f MB/s\n", total, (t1 - t0) / 1e9,
	    total / 1e6 / ((t1 - t0) / 1e9));
	return 0;
}
