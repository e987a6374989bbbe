package salesforcetest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// soqlQuery is a parsed and compiled SOQL statement.
type soqlQuery struct {
	obj    *object
	fields []*fieldDef // the select list, in order
	count  bool        // SELECT COUNT()
	where  pred        // nil means every row
	order  []orderItem
	limit  int // -1 for none
	offset int
}

type orderItem struct {
	get        getter
	desc       bool
	nullsFirst bool
}

// pred tests one record.
type pred func(seq uint32, r *record) bool

// queryError is a SOQL error with the Salesforce error code to report.
type queryError struct {
	code string
	pos  int
	msg  string
}

func (e *queryError) Error() string { return e.code + ": " + e.msg }

// message renders the error the way Salesforce does: the statement, a caret
// under the offending token, its row and column, and the reason.
func (e *queryError) message(q string) string {
	if e.pos < 0 {
		return e.msg
	}
	row, col, lineStart := 1, 1, 0
	for i := 0; i < e.pos && i < len(q); i++ {
		if q[i] == '\n' {
			row++
			lineStart = i + 1
		}
	}
	col = e.pos - lineStart + 1
	line := q[lineStart:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s", line, strings.Repeat(" ", col-1), row, col, e.msg)
}

// parser is a recursive-descent parser over lexed SOQL.
type parser struct {
	s    *Server
	toks []token
	i    int
	obj  *object
	now  time.Time
}

// parseSOQL parses q against the org's schema. Callers hold s.mu.
func (s *Server) parseSOQL(q string) (*soqlQuery, *queryError) {
	toks, err := lex(q)
	if err != nil {
		le := err.(*lexError)
		return nil, &queryError{"MALFORMED_QUERY", le.pos, le.msg}
	}
	p := &parser{s: s, toks: toks, now: s.now()}
	return p.query()
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *queryError {
	return &queryError{"MALFORMED_QUERY", t.pos, "unexpected token: '" + t.String() + "'"}
}

func (p *parser) expect(kw string) *queryError {
	if t := p.next(); !t.is(kw) {
		return p.unexpected(t)
	}
	return nil
}

func (p *parser) noSuchColumn(t token) *queryError {
	if strings.Contains(t.text, ".") {
		rel := t.text[:strings.IndexByte(t.text, '.')]
		return &queryError{"INVALID_FIELD", t.pos, fmt.Sprintf(
			"Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", rel)}
	}
	return &queryError{"INVALID_FIELD", t.pos, fmt.Sprintf(
		"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", t.text, p.obj.Name)}
}

var reserved = map[string]bool{"select": true, "from": true, "where": true, "and": true, "or": true,
	"not": true, "in": true, "like": true, "order": true, "by": true, "limit": true, "offset": true,
	"asc": true, "desc": true, "nulls": true, "first": true, "last": true, "null": true, "true": true,
	"false": true, "group": true, "having": true, "for": true, "with": true, "using": true}

func (p *parser) query() (*soqlQuery, *queryError) {
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	q := &soqlQuery{limit: -1}
	var names []token
	fieldsFn := ""
	var fieldsTok token
	for {
		t := p.next()
		switch {
		case t.is("COUNT") && p.peek().is("("):
			p.next()
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			if len(names) > 0 || q.count {
				return nil, &queryError{"MALFORMED_QUERY", t.pos, "COUNT() and other fields cannot be selected together"}
			}
			q.count = true
		case t.is("FIELDS") && p.peek().is("("):
			p.next()
			arg := p.next()
			if !arg.is("ALL") && !arg.is("STANDARD") {
				return nil, p.unexpected(arg)
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			fieldsFn, fieldsTok = strings.ToUpper(arg.text), t
		case t.kind == tokIdent && !reserved[strings.ToLower(t.text)]:
			if q.count {
				return nil, p.unexpected(t)
			}
			names = append(names, t)
		default:
			return nil, p.unexpected(t)
		}
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	ot := p.next()
	if ot.kind != tokIdent || reserved[strings.ToLower(ot.text)] {
		return nil, p.unexpected(ot)
	}
	p.obj = p.s.object(ot.text)
	if p.obj == nil {
		return nil, &queryError{"INVALID_TYPE", ot.pos, fmt.Sprintf(
			"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", ot.text)}
	}
	q.obj = p.obj
	seen := map[*fieldDef]bool{}
	if fieldsFn != "" {
		for _, f := range p.obj.Fields {
			q.fields = append(q.fields, f)
			seen[f] = true
		}
	}
	for _, t := range names {
		f := p.obj.field(t.text)
		if f == nil {
			return nil, p.noSuchColumn(t)
		}
		if seen[f] {
			return nil, &queryError{"MALFORMED_QUERY", t.pos, "duplicate field selected: " + f.Name}
		}
		seen[f] = true
		q.fields = append(q.fields, f)
	}
	if p.peek().is("WHERE") {
		p.next()
		w, err := p.or()
		if err != nil {
			return nil, err
		}
		q.where = w
	}
	if p.peek().is("ORDER") {
		p.next()
		if err := p.expect("BY"); err != nil {
			return nil, err
		}
		for {
			t := p.next()
			if t.kind != tokIdent || reserved[strings.ToLower(t.text)] {
				return nil, p.unexpected(t)
			}
			f := p.obj.field(t.text)
			if f == nil {
				return nil, p.noSuchColumn(t)
			}
			if f.Kind == kindTextArea && f.Length > 255 {
				return nil, &queryError{"INVALID_FIELD", t.pos, fmt.Sprintf(
					"field '%s' can not be sorted in a query call", f.Name)}
			}
			it := orderItem{get: p.s.getterFor(p.obj, f), nullsFirst: true}
			if p.peek().is("ASC") {
				p.next()
			} else if p.peek().is("DESC") {
				p.next()
				it.desc, it.nullsFirst = true, false
			}
			if p.peek().is("NULLS") {
				p.next()
				switch t := p.next(); {
				case t.is("FIRST"):
					it.nullsFirst = true
				case t.is("LAST"):
					it.nullsFirst = false
				default:
					return nil, p.unexpected(t)
				}
			}
			q.order = append(q.order, it)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
	}
	if p.peek().is("LIMIT") {
		p.next()
		n, err := p.integer()
		if err != nil {
			return nil, err
		}
		q.limit = n
	}
	if p.peek().is("OFFSET") {
		p.next()
		t := p.peek()
		n, err := p.integer()
		if err != nil {
			return nil, err
		}
		if n > 2000 {
			return nil, &queryError{"NUMBER_OUTSIDE_VALID_RANGE", t.pos,
				"Maximum SOQL offset allowed is 2000"}
		}
		q.offset = n
	}
	if t := p.next(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	if fieldsFn == "ALL" && (q.limit < 0 || q.limit > 200) {
		return nil, &queryError{"MALFORMED_QUERY", fieldsTok.pos,
			"The SOQL FIELDS function must have a LIMIT of at most 200"}
	}
	return q, nil
}

func (p *parser) integer() (int, *queryError) {
	t := p.next()
	if t.kind != tokNumber {
		return 0, p.unexpected(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 {
		return 0, p.unexpected(t)
	}
	return n, nil
}

// or parses cond (OR cond)*. SOQL does not define a precedence between AND
// and OR: mixing them without parentheses is a MALFORMED_QUERY.
func (p *parser) or() (pred, *queryError) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	var conj string
	for p.peek().is("AND") || p.peek().is("OR") {
		t := p.next()
		op := strings.ToUpper(t.text)
		if conj != "" && op != conj {
			return nil, p.unexpected(t)
		}
		conj = op
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		l, r := left, right
		if op == "AND" {
			left = func(seq uint32, rec *record) bool { return l(seq, rec) && r(seq, rec) }
		} else {
			left = func(seq uint32, rec *record) bool { return l(seq, rec) || r(seq, rec) }
		}
	}
	return left, nil
}

func (p *parser) not() (pred, *queryError) {
	if p.peek().is("NOT") {
		p.next()
		inner, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(seq uint32, r *record) bool { return !inner(seq, r) }, nil
	}
	if p.peek().is("(") {
		p.next()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return inner, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (pred, *queryError) {
	ft := p.next()
	if ft.kind != tokIdent || reserved[strings.ToLower(ft.text)] {
		return nil, p.unexpected(ft)
	}
	f := p.obj.field(ft.text)
	if f == nil {
		return nil, p.noSuchColumn(ft)
	}
	get := p.s.getterFor(p.obj, f)
	t := p.next()
	switch {
	case t.kind == tokOp:
		lt := p.peek()
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		return p.compare(f, get, t.text, lit, lt)
	case t.is("LIKE"):
		lt := p.next()
		if lt.kind != tokString {
			return nil, p.unexpected(lt)
		}
		if !isText(f.Kind) {
			return nil, &queryError{"INVALID_FIELD", ft.pos, fmt.Sprintf(
				"invalid operator on %s field: LIKE", soapType[f.Kind])}
		}
		pattern := strings.ToLower(lt.text)
		return func(seq uint32, r *record) bool {
			v := get(seq, r)
			return !v.null && like(strings.ToLower(v.s), pattern)
		}, nil
	case t.is("IN"), t.is("NOT") && p.peek().is("IN"):
		negate := t.is("NOT")
		if negate {
			p.next()
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		var preds []pred
		for {
			lt := p.peek()
			lit, err := p.literal()
			if err != nil {
				return nil, err
			}
			eq, qerr := p.compare(f, get, "=", lit, lt)
			if qerr != nil {
				return nil, qerr
			}
			preds = append(preds, eq)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return func(seq uint32, r *record) bool {
			for _, eq := range preds {
				if eq(seq, r) {
					return !negate
				}
			}
			return negate
		}, nil
	}
	return nil, p.unexpected(t)
}

// literal is a parsed SOQL literal.
type literal struct {
	kind   tokenKind // tokString, tokNumber, tokDateTime; tokIdent for null/true/false
	s      string
	t      int64 // datetime, Unix seconds
	lo, hi int64 // date literal range [lo, hi) for TODAY, LAST_N_DAYS:n, …
	isNull bool
	isBool bool
	b      bool
	isDate bool // a date or a date range literal
}

func (p *parser) literal() (literal, *queryError) {
	t := p.next()
	switch t.kind {
	case tokString:
		return literal{kind: tokString, s: t.text}, nil
	case tokNumber:
		return literal{kind: tokNumber, s: t.text}, nil
	case tokDateTime:
		tm, ok := parseTime(t.text)
		if !ok {
			return literal{}, &queryError{"MALFORMED_QUERY", t.pos, fmt.Sprintf(
				"line 1:%d no viable alternative at character '%s'", t.pos, t.text)}
		}
		return literal{kind: tokDateTime, t: tm.Unix()}, nil
	case tokDate:
		d, err := time.Parse("2006-01-02", t.text)
		if err != nil {
			return literal{}, p.unexpected(t)
		}
		return literal{kind: tokDate, isDate: true, lo: d.Unix(), hi: d.AddDate(0, 0, 1).Unix()}, nil
	case tokIdent:
		switch strings.ToUpper(t.text) {
		case "NULL":
			return literal{kind: tokIdent, isNull: true}, nil
		case "TRUE", "FALSE":
			return literal{kind: tokIdent, isBool: true, b: strings.EqualFold(t.text, "true")}, nil
		}
		return p.dateLiteral(t)
	}
	return literal{}, p.unexpected(t)
}

// dateLiteral parses the relative date literals sync tools use, in UTC.
func (p *parser) dateLiteral(t token) (literal, *queryError) {
	today := time.Date(p.now.UTC().Year(), p.now.UTC().Month(), p.now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	day := func(d int) int64 { return today.AddDate(0, 0, d).Unix() }
	name := strings.ToUpper(t.text)
	switch name {
	case "TODAY":
		return literal{kind: tokDate, isDate: true, lo: day(0), hi: day(1)}, nil
	case "YESTERDAY":
		return literal{kind: tokDate, isDate: true, lo: day(-1), hi: day(0)}, nil
	case "TOMORROW":
		return literal{kind: tokDate, isDate: true, lo: day(1), hi: day(2)}, nil
	case "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO":
		if err := p.expect(":"); err != nil {
			return literal{}, err
		}
		n, err := p.integer()
		if err != nil {
			return literal{}, err
		}
		switch name {
		case "LAST_N_DAYS":
			return literal{kind: tokDate, isDate: true, lo: day(-n), hi: day(1)}, nil
		case "NEXT_N_DAYS":
			return literal{kind: tokDate, isDate: true, lo: day(1), hi: day(n + 1)}, nil
		}
		return literal{kind: tokDate, isDate: true, lo: day(-n), hi: day(-n + 1)}, nil
	}
	return literal{}, p.unexpected(t)
}

func isText(k kind) bool {
	switch k {
	case kindString, kindTextArea, kindEmail, kindPhone, kindPicklist, kindURL:
		return true
	}
	return false
}

// compare compiles field op literal, checking the literal's type the way
// Salesforce does.
func (p *parser) compare(f *fieldDef, get getter, op string, lit literal, lt token) (pred, *queryError) {
	mismatch := func(typ string, quoted bool) *queryError {
		how := "should not be enclosed in quotes"
		if quoted {
			how = "should be enclosed in quotes"
		}
		return &queryError{"INVALID_FIELD", lt.pos, fmt.Sprintf(
			"value of filter criterion for field '%s' must be of type %s and %s", f.Name, typ, how)}
	}
	if lit.isNull {
		if op != "=" && op != "!=" {
			return nil, &queryError{"MALFORMED_QUERY", lt.pos, "invalid operator on null: " + op}
		}
		want := op == "="
		return func(seq uint32, r *record) bool {
			v := get(seq, r)
			return (v.null && v.k != kindBoolean) == want
		}, nil
	}
	var cmp func(v value) int // < 0, 0, > 0 comparing the value to the literal
	switch {
	case isText(f.Kind):
		if lit.kind != tokString {
			return nil, mismatch("string", true)
		}
		want := strings.ToLower(lit.s)
		cmp = func(v value) int {
			if strings.EqualFold(v.s, lit.s) {
				return 0
			}
			return strings.Compare(strings.ToLower(v.s), want)
		}
	case f.Kind == kindID:
		if lit.kind != tokString {
			return nil, mismatch("id", true)
		}
		prefix, seq, err := parseID(lit.s)
		if err != nil {
			if _, err2 := To18(lit.s); err2 != nil {
				return nil, &queryError{"INVALID_QUERY_FILTER_OPERATOR", lt.pos, "invalid ID field: " + lit.s}
			}
			prefix, seq = lit.s[:3], 0 // an id from another org
		}
		if prefix != p.obj.Prefix {
			c := strings.Compare(p.obj.Prefix, prefix)
			cmp = func(value) int { return c }
			break
		}
		cmp = func(v value) int { return int(v.n - int64(seq)) }
	case f.Kind == kindReference:
		if lit.kind != tokString {
			return nil, mismatch("reference", true)
		}
		id, err := To18(lit.s)
		if err != nil {
			return nil, &queryError{"INVALID_QUERY_FILTER_OPERATOR", lt.pos, "invalid ID field: " + lit.s}
		}
		cmp = func(v value) int { return strings.Compare(v.s, id) }
	case f.Kind == kindBoolean:
		if !lit.isBool {
			return nil, mismatch("boolean", false)
		}
		if op != "=" && op != "!=" {
			return nil, &queryError{"INVALID_FIELD", lt.pos, "invalid operator on boolean field: " + op}
		}
		want := int64(0)
		if lit.b {
			want = 1
		}
		cmp = func(v value) int { return int(v.n - want) }
	case f.Kind == kindDateTime:
		switch {
		case lit.kind == tokDateTime:
			cmp = func(v value) int { return sign(v.n - lit.t) }
		case lit.isDate && lit.kind == tokDate && lt.kind == tokIdent:
			// A relative date literal on a datetime field is a range.
			cmp = func(v value) int {
				switch {
				case v.n < lit.lo:
					return -1
				case v.n >= lit.hi:
					return 1
				}
				return 0
			}
		default:
			return nil, mismatch("dateTime", false)
		}
	}
	var test func(c int) bool
	switch op {
	case "=":
		test = func(c int) bool { return c == 0 }
	case "!=":
		test = func(c int) bool { return c != 0 }
	case "<":
		test = func(c int) bool { return c < 0 }
	case "<=":
		test = func(c int) bool { return c <= 0 }
	case ">":
		test = func(c int) bool { return c > 0 }
	case ">=":
		test = func(c int) bool { return c >= 0 }
	}
	notEqual := op == "!="
	return func(seq uint32, r *record) bool {
		v := get(seq, r)
		if v.null {
			return notEqual
		}
		return test(cmp(v))
	}, nil
}

func sign(n int64) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// like matches s against a lower-cased SOQL LIKE pattern: % is any run, _ is
// any one character, and \% and \_ are literal.
func like(s, pattern string) bool {
	// Iterative wildcard matching with backtracking to the last %.
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			c := pattern[pi]
			switch {
			case c == '%':
				starP, starS = pi, si
				pi++
				continue
			case c == '\\' && pi+1 < len(pattern):
				if s[si] == pattern[pi+1] {
					si++
					pi += 2
					continue
				}
			case c == '_':
				si++
				pi++
				continue
			case c == s[si]:
				si++
				pi++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si, pi = starS, starP+1
	}
	for pi < len(pattern) && pattern[pi] == '%' {
		pi++
	}
	return pi == len(pattern)
}
