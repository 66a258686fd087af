package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/treaty"
)

// Op describes an API operation for the OpenAPI document. The route table
// gives one to every API route.
type Op struct {
	ID          string
	Summary     string
	Description string
	Tag         string
	Access      string // who may call it, in words; empty for anyone
	Params      []Param
	Body        any // a value of the request body's type, or nil
	Response    any // a value of the response's type, or nil for 204
	Status      int // the success status; 200 when zero
	// ETag says the answer carries an ETag and is 304 Not Modified, with
	// no body, to a request whose If-None-Match names it.
	ETag bool
	// LastModified says the answer carries Last-Modified and is 304 Not
	// Modified to a request whose If-Modified-Since is no earlier (and
	// that sends no If-None-Match).
	LastModified bool
	// Produces are the media types of an answer that is a file rather
	// than JSON (Response is then nil), e.g. text/csv.
	Produces []string
	// Consumes are the media types of a request body that is a file
	// rather than JSON (Body is then nil), e.g. text/csv.
	Consumes []string
	// Problems are error answers whose body is not the plain Problem, by
	// status: e.g. a refused import lists its rejected rows.
	Problems map[int]any
}

// Param describes a path or query parameter.
type Param struct {
	Name        string
	In          string // path or query
	Description string
	Required    bool
	Type        string // string, integer or boolean
	Enum        []string
	Pattern     string
}

// Common parameters of lists.
var (
	LimitParam  = Param{Name: "limit", In: "query", Type: "integer", Description: fmt.Sprintf("Items per page, 1 to %d (default %d).", MaxLimit, DefaultLimit)}
	OffsetParam = Param{Name: "offset", In: "query", Type: "integer", Description: "Items to skip (default 0)."}
)

// Endpoint is an operation at a method and path.
type Endpoint struct {
	Method string
	Path   string // without the /api/v1 prefix
	Op     *Op
}

// enums gives the allowed values of named string types.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[access.Role]():   {string(access.Admin), string(access.Secretariat), string(access.FocalPoint), string(access.Expert), string(access.Donor)},
	reflect.TypeFor[state.Kind]():    {string(state.MemberState), string(state.ObserverState), string(state.NonMemberState), string(state.Organization)},
	reflect.TypeFor[treaty.Action](): actionNames(),

	// The annual collection.
	reflect.TypeFor[collect.Status]():      {string(collect.Draft), string(collect.Submitted), string(collect.Queried), string(collect.Validated), string(collect.Published)},
	reflect.TypeFor[collect.QueryStatus](): {string(collect.QueryOpen), string(collect.QueryAnswered), string(collect.QueryClosed)},
	reflect.TypeFor[collect.Party]():       {string(collect.State), string(collect.Secretariat)},
	reflect.TypeFor[collect.Severity]():    {string(collect.Error), string(collect.Warning)},
}

func actionNames() []string {
	var out []string
	for _, a := range treaty.Actions {
		out = append(out, string(a))
	}
	return out
}

// Document builds the OpenAPI 3.1 document for the endpoints.
func Document(version string, endpoints []Endpoint) ([]byte, error) {
	g := &gen{schemas: map[string]any{}, seen: map[string]map[string]bool{}}
	g.collect(reflect.TypeFor[Problem]())
	for _, e := range endpoints {
		vals := []any{e.Op.Body, e.Op.Response}
		for _, v := range e.Op.Problems {
			vals = append(vals, v)
		}
		for _, v := range vals {
			if v != nil {
				g.collect(reflect.TypeOf(v))
			}
		}
	}
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	for _, e := range endpoints {
		op := e.Op
		status := op.Status
		if status == 0 {
			status = http.StatusOK
		}
		o := map[string]any{"operationId": op.ID, "summary": op.Summary, "tags": []string{op.Tag}}
		tags[op.Tag] = true
		desc := op.Description
		if op.Access != "" {
			desc = strings.TrimSpace(desc + "\n\nAccess: " + op.Access + ".")
		}
		if desc != "" {
			o["description"] = desc
		}
		var params []any
		for _, p := range op.Params {
			s := map[string]any{"type": p.Type}
			if len(p.Enum) > 0 {
				s["enum"] = p.Enum
			}
			if p.Pattern != "" {
				s["pattern"] = p.Pattern
			}
			params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path", "description": p.Description, "schema": s})
		}
		if op.ETag {
			params = append(params, map[string]any{"name": "If-None-Match", "in": "header", "required": false,
				"description": "The ETag of an answer the client holds; if it is still current, the answer is 304 with no body.",
				"schema":      map[string]any{"type": "string"}})
		}
		if op.LastModified {
			params = append(params, map[string]any{"name": "If-Modified-Since", "in": "header", "required": false,
				"description": "The Last-Modified of an answer the client holds; without If-None-Match, if nothing changed since, the answer is 304 with no body.",
				"schema":      map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Body))}}}
		}
		if len(op.Consumes) > 0 {
			files := map[string]any{}
			for _, m := range op.Consumes {
				files[m] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": m}}
			}
			o["requestBody"] = map[string]any{"required": true, "content": files}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(status)}
		if op.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Response))}}
		}
		headers := map[string]any{}
		if len(op.Produces) > 0 {
			files := map[string]any{}
			for _, m := range op.Produces {
				files[m] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": m}}
			}
			ok["content"] = files
			headers["Content-Disposition"] = map[string]any{"description": "attachment, with the file's name.", "schema": map[string]any{"type": "string"}}
		}
		responses[fmt.Sprint(status)] = ok
		if op.ETag {
			headers["ETag"] = map[string]any{"description": "Names this answer, for If-None-Match.", "schema": map[string]any{"type": "string"}}
			notModified := map[string]any{"ETag": headers["ETag"]}
			desc := "Not Modified: the answer whose ETag was sent in If-None-Match is current."
			if op.LastModified {
				headers["Last-Modified"] = map[string]any{"description": "When the data of this answer last changed, for If-Modified-Since.", "schema": map[string]any{"type": "string"}}
				notModified["Last-Modified"] = headers["Last-Modified"]
				desc = "Not Modified: the answer whose ETag was sent in If-None-Match, or that was received after If-Modified-Since, is current."
			}
			responses["304"] = map[string]any{"description": desc, "headers": notModified}
		}
		if len(headers) > 0 {
			ok["headers"] = headers
		}
		for code, body := range op.Problems {
			responses[fmt.Sprint(code)] = map[string]any{"description": http.StatusText(code),
				"content": map[string]any{"application/problem+json": map[string]any{"schema": g.schema(reflect.TypeOf(body))}}}
		}
		responses["default"] = map[string]any{"$ref": "#/components/responses/Problem"}
		o["responses"] = responses
		if op.Access != "" {
			o["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		}
		if paths[e.Path] == nil {
			paths[e.Path] = map[string]any{}
		}
		paths[e.Path][strings.ToLower(e.Method)] = o
	}
	problem := g.schema(reflect.TypeFor[Problem]())
	var tagList []any
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t})
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "cpcj API",
			"version": version,
			"description": "The JSON API of cpcj, the information system of the United Nations crime prevention and criminal justice programme.\n\n" +
				"Lists take `limit` and `offset` and answer `items`, `total`, `limit`, `offset` and, when there is more, `next`. " +
				"Unknown query parameters and unknown body fields are refused. Errors are RFC 9457 problem documents (`application/problem+json`) " +
				"whose `errors` name the offending field. Machine clients send an API token as `Authorization: Bearer cpcj_…`; " +
				"a token acts with its owner's role and scope.",
			"license": map[string]any{"name": "Apache License 2.0", "identifier": "Apache-2.0"},
		},
		"servers": []any{map[string]any{"url": Prefix}},
		"tags":    tagList,
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"responses": map[string]any{"Problem": map[string]any{
				"description": "An error, as an RFC 9457 problem document.",
				"content":     map[string]any{"application/problem+json": map[string]any{"schema": problem}},
			}},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API token made on the account page or with POST /me/tokens."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "cpcj_session", "description": "The browser session; state-changing requests also need the X-CSRF-Token header."},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// gen derives JSON Schemas from Go types, by their JSON encoding.
type gen struct {
	schemas map[string]any
	// seen holds, by bare name, the struct types the document uses; a name
	// two packages share is qualified by the package in both.
	seen map[string]map[string]bool
}

// collect records the struct types reachable from t.
func (g *gen) collect(t reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || t == dateType || t.Implements(textMarshaler) {
		return
	}
	base, full := bareName(t.Name()), t.PkgPath()+"."+t.Name()
	if i := strings.Index(t.Name(), "["); i >= 0 {
		elem := t.Name()[i+1 : len(t.Name())-1]
		base, full = bareName(elem), elem
	}
	if g.seen[base] == nil {
		g.seen[base] = map[string]bool{}
	}
	if g.seen[base][full] {
		return
	}
	g.seen[base][full] = true
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			g.collect(f.Type)
		}
	}
}

func bareName(qualified string) string { return qualified[strings.LastIndex(qualified, ".")+1:] }

var (
	timeType      = reflect.TypeFor[time.Time]()
	dateType      = reflect.TypeFor[civil.Date]()
	keyType       = reflect.TypeFor[stats.Key]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func (g *gen) schema(t reflect.Type) map[string]any {
	if vals, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == dateType:
		return map[string]any{"type": "string", "format": "date"}
	case t == keyType:
		// A series key writes itself as an object of codes by dimension.
		props := map[string]any{}
		var ids []string
		for _, d := range stats.Dimensions {
			props[d.ID] = map[string]any{"type": "string", "description": d.Name}
			ids = append(ids, d.ID)
		}
		return map[string]any{"type": "object", "properties": props, "required": ids, "additionalProperties": false}
	case t.Kind() == reflect.Struct && t.Implements(textMarshaler):
		return map[string]any{"type": "string"} // e.g. an SDMX period, 2013 or 2013-Q1
	case t.Kind() == reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"oneOf": []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}}
		}
		if typ, ok := s["type"].(string); ok {
			s["type"] = []any{typ, "null"}
		}
		return s
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := g.schemaName(t)
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = map[string]any{} // placeholder, for recursive types
			props := map[string]any{}
			var required []string
			g.fields(t, props, &required)
			s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 {
				sort.Strings(required)
				s["required"] = required
			}
			g.schemas[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

// fields adds the JSON fields of struct t, flattening embedded structs as
// encoding/json does.
func (g *gen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && tag == "" {
			g.fields(f.Type, props, required)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

// schemaName names a component: the type's name, and for List[T] the
// element's name followed by "List". A name that types of two packages
// share is prefixed with the package's name (TreatyRecord, AuditRecord).
func (g *gen) schemaName(t reflect.Type) string {
	name, pkg, suffix := t.Name(), t.PkgPath(), ""
	if i := strings.Index(name, "["); i >= 0 {
		elem := name[i+1 : len(name)-1]
		suffix = strings.ToUpper(name[:1]) + name[1:i]
		pkg, name = elem[:strings.LastIndex(elem, ".")], bareName(elem)
	}
	if len(g.seen[name]) > 1 {
		p := pkg[strings.LastIndex(pkg, "/")+1:]
		name = strings.ToUpper(p[:1]) + p[1:] + name
	}
	return name + suffix
}
