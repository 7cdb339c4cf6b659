#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"

Test(strbuf, init_is_empty_and_terminated)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(sb.len, 0);
	cr_assert_str_eq(sb.buf, "");
	strbuf_release(&sb);
	cr_assert_str_eq(sb.buf, "");
}

Test(strbuf, add_grows_and_keeps_nul)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 10000; i++)
		strbuf_addch(&sb, 'a' + i % 26);
	cr_assert_eq(sb.len, 10000);
	cr_assert_eq(sb.buf[10000], '\0');
	cr_assert_eq(sb.buf[27], 'b');
	strbuf_release(&sb);
}

Test(strbuf, binary_data_with_nul)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add(&sb, "a\0b", 3);
	cr_assert_eq(sb.len, 3);
	cr_assert_eq(memcmp(sb.buf, "a\0b", 3), 0);
	strbuf_release(&sb);
}

Test(strbuf, addf_long_output)
{
	struct strbuf sb = STRBUF_INIT;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s|%d>", big, 42);
	cr_assert_eq(sb.len, 4999 + 5);
	cr_assert_eq(strcmp(sb.buf + 5000, "|42>"), 0);
	strbuf_release(&sb);
}

Test(strbuf, detach_hands_over)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *p;

	strbuf_addstr(&sb, "hello");
	p = strbuf_detach(&sb, &len);
	cr_assert_str_eq(p, "hello");
	cr_assert_eq(len, 5);
	cr_assert_eq(sb.len, 0);
	cr_assert_str_eq(sb.buf, "");
	free(p);

	p = strbuf_detach(&sb, NULL); /* an empty buffer detaches as "" */
	cr_assert_str_eq(p, "");
	free(p);
}

Test(strbuf, setlen_remove_rtrim)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "hello world \n\t");
	strbuf_rtrim(&sb);
	cr_assert_str_eq(sb.buf, "hello world");
	strbuf_remove(&sb, 0, 6);
	cr_assert_str_eq(sb.buf, "world");
	strbuf_remove(&sb, 3, 100);
	cr_assert_str_eq(sb.buf, "wor");
	strbuf_setlen(&sb, 1);
	cr_assert_str_eq(sb.buf, "w");
	strbuf_setlen(&sb, 10); /* never grows */
	cr_assert_eq(sb.len, 1);
	strbuf_reset(&sb);
	cr_assert_str_eq(sb.buf, "");
	strbuf_release(&sb);
}

Test(strbuf, quoted_escapes_controls)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addquoted(&sb, "a'b\n\x7f", 5);
	cr_assert_str_eq(sb.buf, "a\\'b\\x0a\\x7f");
	strbuf_release(&sb);
}

Test(strbuf, read_file_and_missing)
{
	struct strbuf sb = STRBUF_INIT;
	char path[] = "/tmp/sando-strbuf-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("line one\nline two\n", f);
	fclose(f);
	cr_assert_eq(strbuf_read_file(&sb, path, 0), 0);
	cr_assert_str_eq(sb.buf, "line one\nline two\n");
	cr_assert_eq(strbuf_read_file(&sb, path, 4), -1);
	cr_assert_eq(errno, EFBIG);
	unlink(path);
	cr_assert_eq(strbuf_read_file(&sb, path, 0), -1);
	cr_assert_eq(errno, ENOENT);
	strbuf_release(&sb);
}

Test(strbuf, insert_at_positions)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "world");
	strbuf_insertstr(&sb, 0, "hello ");
	strbuf_insertf(&sb, sb.len, "%c%d", '!', 1);
	strbuf_insert(&sb, 999, "?", 1);
	cr_assert_str_eq(sb.buf, "hello world!1?");
	strbuf_release(&sb);
}

Test(strbuf, replace_all)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "@X@ and @X@@X");
	strbuf_replace_all(&sb, "@X@", "'a@X@b'");
	cr_assert_str_eq(sb.buf, "'a@X@b' and 'a@X@b'@X");
	strbuf_release(&sb);
}

Test(strbuf, addtime_is_rfc3339_utc)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addtime(&sb, 0);
	cr_assert_eq(sb.len, 20, "%s", sb.buf);
	cr_assert_eq(sb.buf[10], 'T');
	cr_assert_eq(sb.buf[19], 'Z');
	strbuf_reset(&sb);
	strbuf_addtime(&sb, 1);
	cr_assert_eq(sb.len, 24, "%s", sb.buf);
	cr_assert_eq(sb.buf[19], '.');
	strbuf_release(&sb);
}
