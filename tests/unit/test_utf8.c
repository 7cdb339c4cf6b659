/* utf8_sanitize: program output made valid UTF-8 for JSON, chunk by chunk. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

static const char fffd[] = "\xef\xbf\xbd";

static void
check(const char *in, size_t len, int final, const char *want, size_t want_used)
{
	struct strbuf out = STRBUF_INIT;
	size_t used = utf8_sanitize(&out, in, len, final);

	cr_assert_eq(used, want_used, "used %zu, want %zu", used, want_used);
	cr_assert_eq(out.len, strlen(want));
	cr_assert_eq(memcmp(out.buf, want, out.len), 0, "got '%s'", out.buf);
	strbuf_release(&out);
}

Test(utf8, valid_text_passes_unchanged)
{
	check("plain ascii\n", 12, 0, "plain ascii\n", 12);
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 0,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
	check("", 0, 1, "", 0);
}

Test(utf8, invalid_bytes_become_replacement_characters)
{
	struct strbuf want = STRBUF_INIT;

	strbuf_addf(&want, "a%sb", fffd);
	check("a\xffz", 3, 1, "a\xef\xbf\xbdz", 3);
	check("a\x80"
	      "b",
	    3, 1, want.buf, 3);
	/* overlong forms and surrogates are invalid */
	check("\xc0\xaf", 2, 1, "\xef\xbf\xbd\xef\xbf\xbd", 2);
	check("\xe0\x80\xaf", 3, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3);
	check("\xed\xa0\x80", 3, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3);
	check("\xf4\x90\x80\x80", 4, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 4);
	strbuf_release(&want);
}

Test(utf8, a_sequence_cut_at_the_end_is_held_back_unless_final)
{
	check("ab\xe2\x82", 4, 0, "ab", 2);
	check("ab\xe2\x82", 4, 1, "ab\xef\xbf\xbd\xef\xbf\xbd", 4);
	check("\xf0", 1, 0, "", 0);
	/* an invalid byte is not held back */
	check("ab\xff", 3, 0, "ab\xef\xbf\xbd", 3);
}

Test(utf8, nul_bytes_are_kept)
{
	{
		struct strbuf out = STRBUF_INIT;

		cr_assert_eq(utf8_sanitize(&out, "a\0b", 3, 1), 3);
		cr_assert_eq(out.len, 3);
		strbuf_release(&out);
	}
}

Test(utf8, json_escape_matches_jansson)
{
	const char in[] = "a\"b\\c\nd\te\rf\x01g\x1fh caf\xc3\xa9 \x7f";
	struct strbuf out = STRBUF_INIT;
	json_t *s = json_stringn(in, sizeof(in) - 1);
	char *want = json_dumps(s, JSON_ENCODE_ANY);

	strbuf_addch(&out, '"');
	utf8_json_escape(&out, in, sizeof(in) - 1);
	strbuf_addch(&out, '"');
	cr_assert_str_eq(out.buf, want);
	free(want);
	json_decref(s);
	strbuf_release(&out);
}
