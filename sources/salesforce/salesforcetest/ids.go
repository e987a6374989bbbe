package salesforcetest

import (
	"errors"
	"fmt"
	"strings"
)

// base62 orders digits before upper-case before lower-case letters, as ASCII
// does, so ids built from increasing sequence numbers sort in creation order.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// podID stands for the two instance characters and the reserved character
// that follow the key prefix in a real id.
const podID = "5g0"

// errMalformedID reports a string that is not a 15- or 18-character id.
var errMalformedID = errors.New("malformed id")

// Checksum returns the three-character case-safety suffix of a 15-character
// Salesforce id.
func Checksum(id15 string) string {
	var out [3]byte
	for g := 0; g < 3; g++ {
		n := 0
		for i := 0; i < 5; i++ {
			c := id15[g*5+i]
			if c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		out[g] = checksumAlphabet[n]
	}
	return string(out[:])
}

// To18 converts a 15-character id to its 18-character form. It returns an
// 18-character id with its case restored from the checksum, and fails for
// anything else.
func To18(id string) (string, error) {
	switch len(id) {
	case 15:
		if !isAlnum(id) {
			return "", fmt.Errorf("%w: %q", errMalformedID, id)
		}
		return id + Checksum(id), nil
	case 18:
		if !isAlnum(id) {
			return "", fmt.Errorf("%w: %q", errMalformedID, id)
		}
		// The suffix is case-insensitive and encodes the case of the
		// first 15 characters, which lets an id that went through a
		// case-insensitive system be repaired.
		b := []byte(id[:15])
		for g := 0; g < 3; g++ {
			n := strings.IndexByte(checksumAlphabet, upper(id[15+g]))
			if n < 0 {
				return "", fmt.Errorf("%w: %q", errMalformedID, id)
			}
			for i := 0; i < 5; i++ {
				c := b[g*5+i]
				if n&(1<<i) != 0 {
					if c >= 'a' && c <= 'z' {
						b[g*5+i] = c - 'a' + 'A'
					}
				} else if c >= 'A' && c <= 'Z' {
					b[g*5+i] = c - 'A' + 'a'
				}
			}
		}
		return string(b) + Checksum(string(b)), nil
	}
	return "", fmt.Errorf("%w: %q", errMalformedID, id)
}

// makeID builds the 18-character id of the seq-th record with a key prefix.
func makeID(prefix string, seq uint32) string {
	return string(appendID(nil, prefix, seq))
}

// appendID appends the 18-character id of the seq-th record with a key
// prefix to dst without allocating.
func appendID(dst []byte, prefix string, seq uint32) []byte {
	var b [18]byte
	copy(b[:], prefix)
	copy(b[3:], podID)
	n := uint64(seq)
	for i := 14; i >= 6; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	for g := 0; g < 3; g++ {
		n := 0
		for i := 0; i < 5; i++ {
			if c := b[g*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		b[15+g] = checksumAlphabet[n]
	}
	return append(dst, b[:]...)
}

// parseID returns the key prefix and sequence number of an id made by makeID.
func parseID(id string) (prefix string, seq uint32, err error) {
	id18, err := To18(id)
	if err != nil {
		return "", 0, err
	}
	if id18[3:6] != podID {
		return "", 0, fmt.Errorf("%w: %q is not from this org", errMalformedID, id)
	}
	var n uint64
	for i := 6; i < 15; i++ {
		d := strings.IndexByte(base62, id18[i])
		n = n*62 + uint64(d)
	}
	if n == 0 || n > 1<<32-1 {
		return "", 0, fmt.Errorf("%w: %q is out of range", errMalformedID, id)
	}
	return id18[:3], uint32(n), nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
