package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// readBody reads a JSON request body: it must be declared as JSON, fit the
// size cap and be valid UTF-8 (encoding/json would silently replace invalid
// bytes).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "invalid_json", "reading request body: %v", err)
	}
	if !utf8.Valid(b) {
		return nil, errorf(http.StatusBadRequest, "invalid_json", "request body is not valid UTF-8")
	}
	return b, nil
}

// parseBody reads the request's JSON body (see readBody) and parses it with
// parse.
func parseBody[T any](s *Server, w http.ResponseWriter, r *http.Request, parse func([]byte) (T, error)) (T, error) {
	b, err := s.readBody(w, r)
	if err != nil {
		var zero T
		return zero, err
	}
	return parse(b)
}

// decodeObject parses b as one JSON object, keeping the raw value of each
// member so callers can reject unknown fields, nulls and wrong types by name.
func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(err)
	}
	if m == nil {
		return nil, errorf(http.StatusBadRequest, "invalid_json", "request body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, "invalid_json", "request body has data after the JSON object")
	}
	return m, nil
}

// decodeStrict parses b into v, refusing unknown fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "invalid_json", "request body has data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid_json", "request body is empty or truncated")
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, "invalid_json", "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return errorf(http.StatusBadRequest, "invalid", "%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return errorf(http.StatusBadRequest, "invalid_json", "request body must be a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "unknown_field", "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(http.StatusBadRequest, "invalid_json", "malformed JSON")
}

func jsonKind(k string) string {
	switch k {
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "int", "int64", "int32":
		return "an integer"
	}
	return k
}

// decodeField decodes one member of a JSON object into v, naming the field
// when its type is wrong. null is refused.
func decodeField(name string, raw json.RawMessage, v any, want string) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return errorf(http.StatusBadRequest, "invalid", "%s must be %s, not null", name, want)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errorf(http.StatusBadRequest, "invalid", "%s must be %s", name, want)
	}
	return nil
}

// checkQuery refuses query parameters other than allowed (and workspace), and
// parameters given twice: a typo must not silently widen a query.
func checkQuery(q url.Values, allowed ...string) error {
	for k, vs := range q {
		if k != "workspace" && !contains(allowed, k) {
			return errorf(http.StatusBadRequest, "invalid", "unknown query parameter %q", k)
		}
		if len(vs) > 1 {
			return errorf(http.StatusBadRequest, "invalid", "query parameter %q given more than once", k)
		}
		if !utf8.ValidString(vs[0]) {
			return errorf(http.StatusBadRequest, "invalid", "query parameter %q is not valid UTF-8", k)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseID parses a positive decimal id: digits only, no sign, no leading
// zeros, within int64.
func parseID(s string) (int64, error) {
	if s == "" || len(s) > 19 || s[0] == '0' || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errorf(http.StatusBadRequest, "invalid", "id must be a positive integer")
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "invalid", "id must be a positive integer")
	}
	return id, nil
}

// parseBool parses a boolean query parameter; empty means false.
func parseBool(name, s string) (bool, error) {
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, errorf(http.StatusBadRequest, "invalid", "%s must be true or false", name)
}
