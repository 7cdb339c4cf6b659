/*
 * gate_sub: a reader of gate output for bench/gate_output.sh (libc only).
 *
 *   gate_sub ws PORT STATS [TIMEOUT_S]   a GET /events WebSocket subscriber
 *   gate_sub raw STATS [COPY]            the body of a ?follow=1 log on stdin
 *   gate_sub sink PORTFILE N             the bare fan-out's receiving end
 *   gate_sub fanout PORT N FILE          the bare fan-out (see below)
 *
 * ws: connects to 127.0.0.1:PORT (subprotocol sando.v1; the server's
 * Sec-WebSocket-Accept is not checked), touches STATS.ready once the
 * handshake is done, follows the first gate run it hears of (gate_start or
 * gate_log_chunk) and stops at that run's gate_done.  It checks that the
 * chunks' seq count up by one and their offsets are contiguous (the text is
 * JSON-unescaped to count its bytes), and counts gaps, missed bytes and
 * disconnects; after a disconnect (the daemon closes a reader that falls
 * behind with 1008) it reconnects with ?since= the last persisted event it
 * saw (so it cannot miss gate_done) and goes on; the chunks, live only, that
 * it missed show as an offset gap.
 *
 * Both modes scan the text's lines: a line "T <ns> <n> ..." written by
 * gate_spew gives a latency sample (the time of the read that completed the
 * line minus <ns>, both CLOCK_MONOTONIC) and its line number n must be the
 * previous one plus one.  raw mode copies stdin to COPY when given (for a
 * byte comparison with the log file).
 *
 * STATS gets key=value lines: bytes, lines, order errors, gaps, latency
 * percentiles (ms), first/last arrival and first stamp (ns).
 *
 * fanout is the least a daemon has to do with gate output, as a baseline:
 * read stdin 64 KiB at a time, append each read to FILE and write it to N
 * loopback TCP connections (to sink, which listens on 127.0.0.1:0, writes
 * its port to PORTFILE, accepts N connections and reads them until EOF).  It
 * prints "fanout: CPU_S" (its own user + system time) to stderr.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD 33 /* "T " + 19 digits + " " + 10 digits + " " */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		perror("gate_sub");
		exit(1);
	}
	return p;
}

/* --- the line scanner ------------------------------------------------------ */

struct scan {
	char head[HEAD]; /* the start of the current line, up to HEAD bytes */
	size_t head_len; /* bytes of it held */
	int skip;        /* 1: inside a line whose start was missed */
	int64_t *lat;    /* latency samples, ns */
	size_t nlat, alat;
	uint64_t lines;   /* stamped lines seen */
	uint64_t next_no; /* the line number expected next */
	int have_no;
	uint64_t first_no;
	uint64_t order_err; /* stamped lines whose number was not the expected one */
	int64_t first_stamp;
	uint64_t bytes;
};

static void
line_done(struct scan *s, int64_t now)
{
	const char *h = s->head;
	int64_t ts = 0;
	uint64_t no = 0;

	if (s->skip || s->head_len < HEAD || h[0] != 'T' || h[1] != ' ')
		return;
	for (int i = 2; i < 21; i++)
		ts = ts * 10 + (h[i] - '0');
	for (int i = 22; i < 32; i++)
		no = no * 10 + (uint64_t)(h[i] - '0');
	if (s->nlat == s->alat) {
		s->alat = s->alat ? s->alat * 2 : 1 << 16;
		s->lat = xrealloc(s->lat, s->alat * sizeof(*s->lat));
	}
	s->lat[s->nlat++] = now - ts;
	if (s->lines == 0)
		s->first_stamp = ts;
	s->lines++;
	if (!s->have_no) {
		s->have_no = 1;
		s->first_no = no;
	} else if (no != s->next_no) {
		s->order_err++;
	}
	s->next_no = no + 1;
}

/* Feed len bytes of text that arrived at now. */
static void
scan_feed(struct scan *s, const char *p, size_t len, int64_t now)
{
	const char *end = p + len;

	s->bytes += len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (s->head_len < HEAD) {
			size_t take = HEAD - s->head_len < n ? HEAD - s->head_len : n;

			memcpy(s->head + s->head_len, p, take);
			s->head_len += take;
		}
		if (nl == NULL)
			return;
		line_done(s, now);
		s->head_len = 0;
		s->skip = 0;
		p = nl + 1;
	}
}

/* The text stream lost bytes: drop the line in progress, and its numbering. */
static void
scan_gap(struct scan *s)
{
	s->head_len = 0;
	s->skip = 1;
	s->have_no = 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
scan_report(struct scan *s, FILE *f)
{
	struct rusage ru;
	static const struct {
		const char *name;
		double q;
	} qs[] = {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}};

	qsort(s->lat, s->nlat, sizeof(*s->lat), cmp64);
	fprintf(f, "bytes=%llu\nlines=%llu\nfirst_line=%llu\norder_errors=%llu\nfirst_stamp=%lld\n",
	    (unsigned long long)s->bytes, (unsigned long long)s->lines,
	    (unsigned long long)s->first_no, (unsigned long long)s->order_err,
	    (long long)s->first_stamp);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		size_t k = (size_t)(qs[i].q * (double)s->nlat);

		if (k >= s->nlat)
			k = s->nlat ? s->nlat - 1 : 0;
		fprintf(f, "lat_%s_ms=%.3f\n", qs[i].name, s->nlat ? s->lat[k] / 1e6 : -1.0);
	}
	fprintf(f, "lat_max_ms=%.3f\n", s->nlat ? s->lat[s->nlat - 1] / 1e6 : -1.0);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(f, "cpu_s=%.3f\n",
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

/* --- raw mode: a follow body on stdin --------------------------------------- */

static int
run_raw(const char *stats, const char *copy)
{
	static char buf[1 << 20];
	struct scan s = {0};
	int out = -1;
	int64_t first = 0, last = 0;
	ssize_t n;
	FILE *f;

	if (copy && (out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(copy);
		return 1;
	}
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		int64_t now;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("gate_sub: read");
			return 1;
		}
		now = now_ns();
		if (!first)
			first = now;
		last = now;
		scan_feed(&s, buf, (size_t)n, now);
		for (ssize_t w = 0, k; out >= 0 && w < n; w += k)
			if ((k = write(out, buf + w, (size_t)(n - w))) < 0) {
				perror("gate_sub: write");
				return 1;
			}
	}
	if (out >= 0)
		close(out);
	if ((f = fopen(stats, "w")) == NULL) {
		perror(stats);
		return 1;
	}
	scan_report(&s, f);
	fprintf(f, "first_arrival=%lld\nlast_arrival=%lld\n", (long long)first, (long long)last);
	fclose(f);
	return 0;
}

/* --- ws mode ------------------------------------------------------------------ */

struct sub {
	struct scan s;
	int fd;
	char *in; /* received, not yet parsed */
	size_t in_len, in_cap;
	char *dec; /* a chunk's text, unescaped */
	size_t dec_cap;
	int64_t run_id;    /* 0 until known */
	int64_t event_seq; /* of the last persisted event, for ?since= */
	int64_t last_seq;
	uint64_t next_off; /* the offset expected next */
	int have_off;
	uint64_t first_off, gaps, missed, overlaps, seq_errors, chunks, msgs, msg_bytes;
	uint64_t disconnects, other_runs;
	int last_close; /* the status of the last close frame from the server */
	int64_t t_start, t_done, first_arrival, last_arrival;
	int done;
};

static int
ws_connect(int port, int64_t since)
{
	static const char req_fmt[] =
	    "GET /events%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sando.v1\r\n\r\n";
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	char req[512], query[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, n;

	if (since > 0)
		snprintf(query, sizeof(query), "?since=%lld", (long long)since);
	n = snprintf(req, sizeof(req), req_fmt, query, port);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("gate_sub: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (write(fd, req, (size_t)n) != n) {
		perror("gate_sub: write");
		exit(1);
	}
	return fd;
}

/* Read the handshake's answer; what follows it stays in sub->in. */
static void
ws_handshake(struct sub *u)
{
	char *end;

	u->in_len = 0;
	for (;;) {
		ssize_t n = read(u->fd, u->in + u->in_len, u->in_cap - u->in_len - 1);

		if (n <= 0) {
			fprintf(stderr, "gate_sub: the handshake failed\n");
			exit(1);
		}
		u->in_len += (size_t)n;
		u->in[u->in_len] = '\0';
		if ((end = strstr(u->in, "\r\n\r\n")) != NULL)
			break;
	}
	if (strncmp(u->in, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "gate_sub: not upgraded: %.*s\n", (int)(end - u->in), u->in);
		exit(1);
	}
	end += 4;
	u->in_len -= (size_t)(end - u->in);
	memmove(u->in, end, u->in_len);
}

/* A masked frame from the client (pong or close). */
static void
ws_send(int fd, int opcode, const char *p, size_t len)
{
	unsigned char f[2 + 4 + 125];

	if (len > 125)
		len = 125;
	f[0] = (unsigned char)(0x80 | opcode);
	f[1] = (unsigned char)(0x80 | len);
	memset(f + 2, 0, 4); /* a zero mask: the payload goes as is */
	memcpy(f + 6, p, len);
	if (write(fd, f, 6 + len) < 0) {
		/* the server has gone: the read side will notice */
	}
}

/* The integer after "key": in the message, or -1. */
static int64_t
json_int(const char *m, size_t len, const char *key)
{
	const char *p = memmem(m, len, key, strlen(key));

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Unescape the JSON string starting at p (past its quote) into u->dec; its length. */
static size_t
json_text(struct sub *u, const char *p, const char *end)
{
	size_t n = 0;

	if (u->dec_cap < (size_t)(end - p)) {
		u->dec_cap = (size_t)(end - p) * 2;
		u->dec = xrealloc(u->dec, u->dec_cap);
	}
	while (p < end) {
		/* the next escape and, before it, the closing quote (a quote in
		 * the text is escaped): both with memchr, which is vectorised */
		const char *q = memchr(p, '\\', (size_t)(end - p));
		const char *quote = memchr(p, '"', (size_t)((q ? q : end) - p));

		if (quote || !q) {
			q = quote ? quote : end;
			memcpy(u->dec + n, p, (size_t)(q - p));
			n += (size_t)(q - p);
			break;
		}
		memcpy(u->dec + n, p, (size_t)(q - p));
		n += (size_t)(q - p);
		if (q + 1 >= end)
			break;
		p = q + 2;
		switch (q[1]) {
		case 'n':
			u->dec[n++] = '\n';
			break;
		case 't':
			u->dec[n++] = '\t';
			break;
		case 'r':
			u->dec[n++] = '\r';
			break;
		case 'b':
			u->dec[n++] = '\b';
			break;
		case 'f':
			u->dec[n++] = '\f';
			break;
		case 'u': {
			unsigned cp =
			    (unsigned)strtoul((char[]){q[2], q[3], q[4], q[5], 0}, NULL, 16);

			p = q + 6;
			if (cp >= 0xd800 && cp < 0xdc00 && p + 6 <= end && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned lo = (unsigned)strtoul(
				    (char[]){p[2], p[3], p[4], p[5], 0}, NULL, 16);

				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			if (cp < 0x80) {
				u->dec[n++] = (char)cp;
			} else if (cp < 0x800) {
				u->dec[n++] = (char)(0xc0 | cp >> 6);
				u->dec[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				u->dec[n++] = (char)(0xe0 | cp >> 12);
				u->dec[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
				u->dec[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				u->dec[n++] = (char)(0xf0 | cp >> 18);
				u->dec[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
				u->dec[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
				u->dec[n++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			u->dec[n++] = q[1];
			break; /* \" \\ \/ */
		}
	}
	return n;
}

static void
on_message(struct sub *u, const char *m, size_t len, int64_t now)
{
	const char *k = memmem(m, len < 256 ? len : 256, "\"kind\":\"", 8);
	int64_t run;

	u->msgs++;
	u->msg_bytes += len;
	if (len > 7 && memcmp(m, "{\"seq\":", 7) == 0) /* persisted events only */
		u->event_seq = strtoll(m + 7, NULL, 10);
	if (k == NULL)
		return;
	k += 8;
	run = json_int(m, len, "\"run_id\":");
	if (strncmp(k, "gate_log_chunk\"", 15) == 0) {
		const char *t = memmem(m, len, "\"text\":\"", 8);
		int64_t seq = json_int(m, len, "\"seq\":"), off = json_int(m, len, "\"offset\":");
		size_t n;

		if (u->run_id == 0)
			u->run_id = run;
		if (run != u->run_id) {
			u->other_runs++;
			return;
		}
		if (t == NULL || off < 0) {
			fprintf(stderr, "gate_sub: a chunk without text or offset\n");
			exit(1);
		}
		n = json_text(u, t + 8, m + len);
		if (!u->first_arrival)
			u->first_arrival = now;
		u->last_arrival = now;
		u->chunks++;
		if (u->last_seq && seq != u->last_seq + 1)
			u->seq_errors++;
		u->last_seq = seq;
		if (!u->have_off) {
			u->have_off = 1;
			u->first_off = (uint64_t)off;
			if (off != 0)
				scan_gap(&u->s);
		} else if ((uint64_t)off > u->next_off) {
			u->gaps++;
			u->missed += (uint64_t)off - u->next_off;
			scan_gap(&u->s);
		} else if ((uint64_t)off < u->next_off) {
			u->overlaps++;
			scan_gap(&u->s);
		}
		u->next_off = (uint64_t)off + n;
		scan_feed(&u->s, u->dec, n, now);
	} else if (run > 0) {
		/* gate_start or gate_done: told apart by gate_done's "status" and
		 * "duration_ms", as well as by kind (the daemon has been seen to send
		 * the gate's kind, e.g. "command", in place of the event's) */
		int is_done =
		    strncmp(k, "gate_done\"", 10) == 0 ||
		    (memmem(m, len, "\"status\":", 9) && memmem(m, len, "\"duration_ms\":", 14));

		if (u->run_id == 0)
			u->run_id = run;
		if (run != u->run_id)
			return;
		if (!is_done && !u->t_start)
			u->t_start = now;
		else if (is_done) {
			u->t_done = now;
			u->done = 1;
		}
	}
}

/* Parse the whole frames in u->in; 0, or -1 when the server closed. */
static int
on_frames(struct sub *u, int64_t now)
{
	size_t pos = 0;
	int rc = 0;

	while (!u->done && u->in_len - pos >= 2) {
		const unsigned char *h = (const unsigned char *)u->in + pos;
		int op = h[0] & 0x0f, masked = h[1] & 0x80;
		uint64_t plen = h[1] & 0x7f;
		size_t hl = 2;

		if (plen == 126) {
			if (u->in_len - pos < 4)
				break;
			plen = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (plen == 127) {
			if (u->in_len - pos < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | h[2 + i];
			hl = 10;
		}
		if (masked || !(h[0] & 0x80)) {
			fprintf(stderr, "gate_sub: unexpected frame (masked or fragmented)\n");
			exit(1);
		}
		if (u->in_len - pos < hl + plen) { /* make room for the whole frame */
			if (u->in_cap < hl + plen + 1) {
				u->in_cap = (hl + plen) * 2;
				u->in = xrealloc(u->in, u->in_cap);
			}
			break;
		}
		if (op == 1)
			on_message(u, u->in + pos + hl, (size_t)plen, now);
		else if (op == 9)
			ws_send(u->fd, 10, u->in + pos + hl, (size_t)plen);
		else if (op == 8) {
			u->last_close = plen >= 2 ? (h[hl] << 8 | h[hl + 1]) : 1005;
			fprintf(stderr, "gate_sub: closed by the server (%d %.*s)\n", u->last_close,
			    plen > 2 ? (int)plen - 2 : 0, (const char *)h + hl + 2);
			rc = -1;
			pos += hl + (size_t)plen;
			break;
		}
		pos += hl + (size_t)plen;
	}
	u->in_len -= pos;
	memmove(u->in, u->in + pos, u->in_len);
	return rc;
}

static int
run_ws(int port, const char *stats, int timeout_s)
{
	struct sub u = {0};
	char ready[4096];
	int64_t deadline = now_ns() + (int64_t)timeout_s * 1000000000;
	int fresh = 0;
	FILE *f;

	u.in_cap = 4 << 20;
	u.in = xrealloc(NULL, u.in_cap);
	u.fd = ws_connect(port, 0);
	ws_handshake(&u);
	fresh = 1;
	snprintf(ready, sizeof(ready), "%s.ready", stats);
	if ((f = fopen(ready, "w")) != NULL)
		fclose(f);
	while (!u.done && now_ns() < deadline) {
		struct pollfd pfd = {.fd = u.fd, .events = POLLIN};
		ssize_t n;
		int rc;

		if (fresh) {
			/* what came with the handshake's answer (a replay) goes
			 * first: it may be all there is */
			fresh = 0;
			rc = on_frames(&u, now_ns());
		} else {
			if (poll(&pfd, 1, 1000) == 0)
				continue;
			n = read(u.fd, u.in + u.in_len, u.in_cap - u.in_len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0) {
				u.in_len += (size_t)n;
				rc = on_frames(&u, now_ns());
			} else {
				fprintf(stderr, "gate_sub: the connection ended (%s)\n",
				    n == 0 ? "EOF" : strerror(errno));
				rc = -1;
			}
		}
		if (rc == 0)
			continue;
		/* dropped: count it and subscribe again from the last persisted
		 * event seen (gate_done is not missed; chunks, live only, are) */
		u.disconnects++;
		close(u.fd);
		u.fd = ws_connect(port, u.event_seq);
		ws_handshake(&u);
		scan_gap(&u.s);
		fresh = 1;
	}
	ws_send(u.fd, 8, "\x03\xe8", 2);
	close(u.fd);
	if ((f = fopen(stats, "w")) == NULL) {
		perror(stats);
		return 1;
	}
	fprintf(f, "done=%d\nrun_id=%lld\nchunks=%llu\nmsgs=%llu\nmsg_bytes=%llu\n", u.done,
	    (long long)u.run_id, (unsigned long long)u.chunks, (unsigned long long)u.msgs,
	    (unsigned long long)u.msg_bytes);
	fprintf(f, "first_offset=%llu\nend_offset=%llu\ngaps=%llu\nmissed=%llu\noverlaps=%llu\n",
	    (unsigned long long)u.first_off, (unsigned long long)u.next_off,
	    (unsigned long long)u.gaps, (unsigned long long)u.missed,
	    (unsigned long long)u.overlaps);
	fprintf(f, "seq_errors=%llu\ndisconnects=%llu\nlast_close=%d\nother_runs=%llu\n",
	    (unsigned long long)u.seq_errors, (unsigned long long)u.disconnects, u.last_close,
	    (unsigned long long)u.other_runs);
	fprintf(f, "t_start=%lld\nt_done=%lld\nfirst_arrival=%lld\nlast_arrival=%lld\n",
	    (long long)u.t_start, (long long)u.t_done, (long long)u.first_arrival,
	    (long long)u.last_arrival);
	scan_report(&u.s, f);
	fclose(f);
	return u.done ? 0 : 1;
}

/* --- the bare fan-out ---------------------------------------------------------- */

static double
cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
run_sink(const char *portfile, int n)
{
	static char buf[1 << 18];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), open_n = n;
	FILE *f;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(l, n) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) != 0) {
		perror("gate_sub: sink");
		return 1;
	}
	if ((f = fopen(portfile, "w")) == NULL) {
		perror(portfile);
		return 1;
	}
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	for (int i = 0; i < n; i++) {
		p[i].fd = accept(l, NULL, NULL);
		p[i].events = POLLIN;
	}
	while (open_n > 0 && poll(p, (nfds_t)n, -1) > 0)
		for (int i = 0; i < n; i++)
			if (p[i].fd >= 0 && p[i].revents && read(p[i].fd, buf, sizeof(buf)) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
			}
	return 0;
}

static void
write_fd(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("gate_sub: fanout write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

static int
run_fanout(int port, int n, const char *file)
{
	static char buf[1 << 16];
	int *fd = calloc((size_t)n, sizeof(*fd));
	int out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0640);
	ssize_t r;

	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd[i] < 0 || connect(fd[i], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			perror("gate_sub: fanout connect");
			return 1;
		}
	}
	while ((r = read(0, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("gate_sub: fanout read");
			return 1;
		}
		write_fd(out, buf, (size_t)r);
		for (int i = 0; i < n; i++)
			write_fd(fd[i], buf, (size_t)r);
	}
	for (int i = 0; i < n; i++)
		close(fd[i]);
	close(out);
	fprintf(stderr, "fanout: %.3f\n", cpu_self());
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "ws") == 0)
		return run_ws(atoi(argv[2]), argv[3], argc > 4 ? atoi(argv[4]) : 600);
	if (argc >= 3 && strcmp(argv[1], "raw") == 0)
		return run_raw(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc >= 4 && strcmp(argv[1], "sink") == 0)
		return run_sink(argv[2], atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "fanout") == 0)
		return run_fanout(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: gate_sub ws PORT STATS [TIMEOUT_S] | raw STATS [COPY] |"
	                " sink PORTFILE N | fanout PORT N FILE\n");
	return 2;
}
