// SPDX-License-Identifier: GPL-2.0
/*
 * toa_json [KEY...] < JSON - is stdin one well-formed JSON value (RFC 8259:
 * objects, arrays, strings with escapes, numbers, true/false/null), and
 * does it contain each "KEY" as an object member name somewhere? Exit 0,
 * or 1 with the offset and reason. For the ops tests: the guest has no jq.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char buf[1 << 20];
static size_t len, pos;
static const char *err;
static char keys[64][64];
static int nkeys;

static void ws(void)
{
	while (pos < len && strchr(" \t\r\n", buf[pos]))
		pos++;
}

static bool value(int depth);

static bool string(char *out, size_t on)
{
	size_t o = 0;

	if (pos >= len || buf[pos] != '"')
		return err = "string expected", false;
	pos++;
	while (pos < len && buf[pos] != '"') {
		unsigned char c = buf[pos];

		if (c < 0x20)
			return err = "control character in a string", false;
		if (c == '\\') {
			pos++;
			if (pos >= len || !strchr("\"\\/bfnrtu", buf[pos]))
				return err = "bad escape", false;
			if (buf[pos] == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (pos + i >= len || !strchr("0123456789abcdefABCDEF", buf[pos + i]))
						return err = "bad \\u escape", false;
				pos += 4;
			}
		}
		if (out && o + 1 < on)
			out[o++] = buf[pos];
		pos++;
	}
	if (pos >= len)
		return err = "unterminated string", false;
	if (out)
		out[o] = '\0';
	pos++;
	return true;
}

static bool number(void)
{
	size_t s = pos;

	if (pos < len && buf[pos] == '-')
		pos++;
	if (pos < len && buf[pos] == '0')
		pos++;
	else if (pos < len && buf[pos] >= '1' && buf[pos] <= '9')
		while (pos < len && buf[pos] >= '0' && buf[pos] <= '9')
			pos++;
	else
		return err = "value expected", false;
	if (pos < len && buf[pos] == '.') {
		pos++;
		if (pos >= len || buf[pos] < '0' || buf[pos] > '9')
			return err = "digit expected after '.'", false;
		while (pos < len && buf[pos] >= '0' && buf[pos] <= '9')
			pos++;
	}
	if (pos < len && (buf[pos] == 'e' || buf[pos] == 'E')) {
		pos++;
		if (pos < len && (buf[pos] == '+' || buf[pos] == '-'))
			pos++;
		if (pos >= len || buf[pos] < '0' || buf[pos] > '9')
			return err = "digit expected in exponent", false;
		while (pos < len && buf[pos] >= '0' && buf[pos] <= '9')
			pos++;
	}
	return pos > s;
}

static bool object(int depth)
{
	char name[64];
	int i;

	pos++;
	ws();
	if (pos < len && buf[pos] == '}')
		return pos++, true;
	for (;;) {
		ws();
		if (!string(name, sizeof(name)))
			return false;
		for (i = 0; i < nkeys; i++)
			if (!strcmp(keys[i], name))
				keys[i][0] = '\0';	/* found */
		ws();
		if (pos >= len || buf[pos] != ':')
			return err = "':' expected", false;
		pos++;
		if (!value(depth + 1))
			return false;
		ws();
		if (pos < len && buf[pos] == ',') {
			pos++;
			continue;
		}
		if (pos < len && buf[pos] == '}')
			return pos++, true;
		return err = "',' or '}' expected", false;
	}
}

static bool array(int depth)
{
	pos++;
	ws();
	if (pos < len && buf[pos] == ']')
		return pos++, true;
	for (;;) {
		if (!value(depth + 1))
			return false;
		ws();
		if (pos < len && buf[pos] == ',') {
			pos++;
			continue;
		}
		if (pos < len && buf[pos] == ']')
			return pos++, true;
		return err = "',' or ']' expected", false;
	}
}

static bool value(int depth)
{
	static const char *const lit[] = { "true", "false", "null" };
	int i;

	if (depth > 64)
		return err = "too deep", false;
	ws();
	if (pos >= len)
		return err = "value expected", false;
	if (buf[pos] == '{')
		return object(depth);
	if (buf[pos] == '[')
		return array(depth);
	if (buf[pos] == '"')
		return string(NULL, 0);
	for (i = 0; i < 3; i++)
		if (!strncmp(buf + pos, lit[i], strlen(lit[i])))
			return pos += strlen(lit[i]), true;
	return number();
}

int main(int argc, char **argv)
{
	int i;

	len = fread(buf, 1, sizeof(buf) - 1, stdin);
	for (i = 1; i < argc && nkeys < 64; i++)
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s", argv[i]);
	if (!value(0)) {
		fprintf(stderr, "toa_json: offset %zu: %s\n", pos, err);
		return 1;
	}
	ws();
	if (pos != len) {
		fprintf(stderr, "toa_json: offset %zu: data after the value\n", pos);
		return 1;
	}
	for (i = 0; i < nkeys; i++)
		if (keys[i][0]) {
			fprintf(stderr, "toa_json: no member \"%s\"\n", keys[i]);
			return 1;
		}
	return 0;
}
