package salesforcetest

import (
	"fmt"
	"strings"
)

// tokenKind classifies SOQL tokens.
type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokDateTime
	tokDate
	tokOp    // = != <> < > <= >=
	tokPunct // ( ) , :
)

// token is one lexeme with its byte offset in the query.
type token struct {
	kind tokenKind
	text string // identifier, operator or punctuation as written; literal value unescaped
	raw  string // the source text
	pos  int
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "<EOF>"
	}
	return t.raw
}

// is reports whether t is the keyword or punctuation kw, case-insensitively.
func (t token) is(kw string) bool {
	return (t.kind == tokIdent || t.kind == tokPunct || t.kind == tokOp) && strings.EqualFold(t.text, kw)
}

// lexError is a position-tagged lexical error, reported as MALFORMED_QUERY.
type lexError struct {
	pos int
	msg string
}

func (e *lexError) Error() string { return fmt.Sprintf("at %d: %s", e.pos, e.msg) }

// lex splits a SOQL statement into tokens.
func lex(q string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: q[i:j], raw: q[i:j], pos: i})
			i = j
		case isDigit(c) || (c == '-' || c == '+') && i+1 < len(q) && isDigit(q[i+1]):
			j := i + 1
			for j < len(q) && isDigit(q[j]) {
				j++
			}
			if j-i == 4 && j < len(q) && q[j] == '-' && !(c == '-' || c == '+') {
				// A date or datetime literal: 2024-01-02 or
				// 2024-01-02T03:04:05[.000](Z|+hh:mm|+hhmm).
				for j < len(q) && strings.IndexByte("0123456789-T:.+Z", q[j]) >= 0 {
					j++
				}
				lit := q[i:j]
				kind := tokDateTime
				if !strings.Contains(lit, "T") {
					kind = tokDate
				}
				toks = append(toks, token{kind: kind, text: lit, raw: lit, pos: i})
				i = j
				continue
			}
			if j < len(q) && q[j] == '.' {
				j++
				for j < len(q) && isDigit(q[j]) {
					j++
				}
			}
			toks = append(toks, token{kind: tokNumber, text: q[i:j], raw: q[i:j], pos: i})
			i = j
		case c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(q) {
				if q[j] == '\\' && j+1 < len(q) {
					switch e := q[j+1]; e {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					case 'b':
						b.WriteByte('\b')
					case 'f':
						b.WriteByte('\f')
					case '\'', '"', '\\':
						b.WriteByte(e)
					case '%', '_':
						// Kept escaped: only LIKE gives them meaning.
						b.WriteByte('\\')
						b.WriteByte(e)
					default:
						return nil, &lexError{j, "Invalid string literal '" + q[i:min(len(q), j+2)] + "'. Illegal character sequence '\\" + string(e) + "' in string literal."}
					}
					j += 2
					continue
				}
				if q[j] == '\'' {
					closed = true
					j++
					break
				}
				b.WriteByte(q[j])
				j++
			}
			if !closed {
				return nil, &lexError{i, "line 1:" + fmt.Sprint(i) + " mismatched character '<EOF>' expecting '''"}
			}
			toks = append(toks, token{kind: tokString, text: b.String(), raw: q[i:j], pos: i})
			i = j
		case c == '=':
			toks = append(toks, token{kind: tokOp, text: "=", raw: "=", pos: i})
			i++
		case c == '!' && i+1 < len(q) && q[i+1] == '=':
			toks = append(toks, token{kind: tokOp, text: "!=", raw: "!=", pos: i})
			i += 2
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(q) && (q[i+1] == '=' || c == '<' && q[i+1] == '>') {
				op = q[i : i+2]
			}
			if op == "<>" {
				toks = append(toks, token{kind: tokOp, text: "!=", raw: op, pos: i})
			} else {
				toks = append(toks, token{kind: tokOp, text: op, raw: op, pos: i})
			}
			i += len(op)
		case strings.IndexByte("(),:", c) >= 0:
			toks = append(toks, token{kind: tokPunct, text: string(c), raw: string(c), pos: i})
			i++
		default:
			return nil, &lexError{i, fmt.Sprintf("line 1:%d no viable alternative at character '%c'", i, c)}
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(q)}), nil
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
