package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrNoSecretKey is returned when a refresh token must be encrypted or
// decrypted but the store was opened without a secret key.
var ErrNoSecretKey = errors.New("no secret key configured: set CONTACTSYNC_SECRET_KEY to store Salesforce refresh tokens")

// ErrDecrypt is returned when a stored secret cannot be decrypted: the secret
// key differs from the one it was encrypted with, or the data is corrupt.
var ErrDecrypt = errors.New("cannot decrypt stored secret: CONTACTSYNC_SECRET_KEY differs from the key it was saved with, or the data is corrupt")

// secretV1 prefixes AES-256-GCM ciphertexts: version byte, 12-byte random
// nonce, then the sealed data. A new scheme gets a new version byte, so old
// rows stay readable.
const secretV1 = 0x01

// cipherSuite seals secrets at rest.
type cipherSuite struct{ aead cipher.AEAD }

func newCipherSuite(key []byte) (*cipherSuite, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &cipherSuite{aead: aead}, nil
}

// seal encrypts plaintext; aad binds the ciphertext to its row (the
// workspace id), so it cannot be copied to another workspace.
func (c *cipherSuite) seal(plaintext, aad string) ([]byte, error) {
	if c == nil {
		return nil, ErrNoSecretKey
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("encrypt secret: %w", err)
	}
	out := append([]byte{secretV1}, nonce...)
	return c.aead.Seal(out, nonce, []byte(plaintext), []byte(aad)), nil
}

// open decrypts what seal produced.
func (c *cipherSuite) open(ciphertext []byte, aad string) (string, error) {
	if c == nil {
		return "", ErrNoSecretKey
	}
	n := c.aead.NonceSize()
	if len(ciphertext) < 1+n || ciphertext[0] != secretV1 {
		return "", fmt.Errorf("%w (unknown format)", ErrDecrypt)
	}
	p, err := c.aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(p), nil
}
