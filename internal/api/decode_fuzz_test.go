package api

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/fail"
)

// FuzzDecode feeds decodeBytes arbitrary bodies for every request type. It
// must never panic, and must refuse what it refuses as invalid input with a
// message for the client: never an internal error, which would be a 500.
// Run it with
//
//	go test -run=^$ -fuzz=FuzzDecode -fuzztime=60s ./internal/api/
//
// and keep inputs that found something under testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@b.c","name":"N","role":"expert","state":"KEN","password":"correct horse battery"}`,
		`{"name":"ci","expires_in_days":30}`,
		`{"name":null,"role":null,"disabled":true}`,
		`{}`,
		``,
		` `,
		`null`,
		`[]`,
		`"string"`,
		`5`,
		`{"name":5}`,
		`{"expires_in_days":1e999}`,
		`{"expires_in_days":-0.5}`,
		`{"expires_in_days":9223372036854775808}`,
		`{"disabled":"true"}`,
		`{"role":["admin"]}`,
		`{"unknown":1}`,
		`{"name":"a"}{"name":"b"}`,
		`{"name":"a"} x`,
		`{"name":"a"}]`,
		`{"name":"a",}`,
		`{"name":"\ud800"}`,
		"{\"name\":\"\xff\"}",
		"\xef\xbb\xbf{}",
		`{"name":"a","name":"b"}`,
		`{"Name":"case"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"email":`,
		`{"email":"a@b.c"`,
		`tru`,
	} {
		f.Add([]byte(seed))
	}
	targets := []struct {
		name string
		new  func() any
	}{
		{"NewUser", func() any { return new(NewUser) }},
		{"UserPatch", func() any { return new(UserPatch) }},
		{"NewToken", func() any { return new(NewToken) }},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range targets {
			err := decodeBytes(body, tg.new())
			if err == nil {
				if len(bytes.TrimSpace(body)) == 0 || !utf8.Valid(body) {
					t.Fatalf("%s: accepted %q", tg.name, body)
				}
				continue
			}
			var e *fail.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: %q: error %T %v is not a *fail.Error", tg.name, body, err, err)
			}
			if e.Kind != fail.Invalid {
				t.Fatalf("%s: %q: error kind %s, want invalid: %v", tg.name, body, e.Kind, err)
			}
			if e.Message == "" {
				t.Fatalf("%s: %q: error without a message", tg.name, body)
			}
			if !utf8.ValidString(e.Message) || !utf8.ValidString(e.Field) {
				t.Fatalf("%s: %q: message or field %q is not valid UTF-8: %q", tg.name, body, e.Field, e.Message)
			}
		}
	})
}
