/*
 * sha256.h - SHA-256 (FIPS 180-4), small and self-contained.
 *
 * Rules: a struct sha256 lives on the caller's stack; init, update any number
 * of times, final once.  Nothing is allocated.
 */
#ifndef DEMO_SHA256_H
#define DEMO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t total;
	unsigned char block[64];
	size_t used;
};

/* Start a new digest. */
void sha256_init(struct sha256 *ctx);

/* Feed len bytes of data into the digest. */
void sha256_update(struct sha256 *ctx, const void *data, size_t len);

/* Finish the digest and write its 32 bytes to out. */
void sha256_final(struct sha256 *ctx, unsigned char out[SHA256_DIGEST_LEN]);

/* Hash len bytes of data into a NUL-terminated lowercase hex string. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

/* Hash the file at path into hex; 0 on success, -1 with errno set on error. */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1]);

#endif
