package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Reference is the API reference page's reading of the OpenAPI document.
type Reference struct {
	Description template.HTML
	Groups      []refGroup
	Schemas     []refSchema
}

type refGroup struct {
	Tag string
	Ops []refOp
}

type refOp struct {
	Method, Path, ID, Summary string
	Description               template.HTML
	Params                    []refParam
	Body, Response            string
	Status                    string
}

type refParam struct {
	Name, In, Type string
	Description    template.HTML
	Required       bool
}

type refSchema struct {
	Name   string
	Fields []refField
}

type refField struct {
	Name, Type string
	Required   bool
}

type oaSchema struct {
	Ref        string              `json:"$ref"`
	Type       any                 `json:"type"`
	Format     string              `json:"format"`
	Enum       []string            `json:"enum"`
	Items      *oaSchema           `json:"items"`
	OneOf      []oaSchema          `json:"oneOf"`
	Properties map[string]oaSchema `json:"properties"`
	Required   []string            `json:"required"`
	AddProps   any                 `json:"additionalProperties"`
}

// NewReference reads an OpenAPI document for the reference page.
func NewReference(doc []byte) (*Reference, error) {
	if len(doc) == 0 {
		return &Reference{}, nil
	}
	var d struct {
		Info struct {
			Description string `json:"description"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Summary     string   `json:"summary"`
			Description string   `json:"description"`
			Tags        []string `json:"tags"`
			Parameters  []struct {
				Name        string   `json:"name"`
				In          string   `json:"in"`
				Required    bool     `json:"required"`
				Description string   `json:"description"`
				Schema      oaSchema `json:"schema"`
			} `json:"parameters"`
			RequestBody struct {
				Content map[string]struct {
					Schema oaSchema `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema oaSchema `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]oaSchema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	ref := &Reference{Description: codeSpans(d.Info.Description)}
	groups := map[string]*refGroup{}
	for path, methods := range d.Paths {
		for method, op := range methods {
			o := refOp{Method: strings.ToUpper(method), Path: path, ID: op.OperationID, Summary: op.Summary, Description: codeSpans(op.Description)}
			for _, p := range op.Parameters {
				o.Params = append(o.Params, refParam{Name: p.Name, In: p.In, Type: typeName(p.Schema), Description: codeSpans(p.Description), Required: p.Required})
			}
			if c, ok := op.RequestBody.Content["application/json"]; ok {
				o.Body = typeName(c.Schema)
			}
			for status, resp := range op.Responses {
				// The success status; 304 and the problems are not it.
				if !strings.HasPrefix(status, "2") {
					continue
				}
				o.Status = status
				if c, ok := resp.Content["application/json"]; ok {
					o.Response = typeName(c.Schema)
				}
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &refGroup{Tag: tag}
			}
			groups[tag].Ops = append(groups[tag].Ops, o)
		}
	}
	for _, g := range groups {
		sort.Slice(g.Ops, func(i, j int) bool {
			if g.Ops[i].Path != g.Ops[j].Path {
				return g.Ops[i].Path < g.Ops[j].Path
			}
			return methodOrder(g.Ops[i].Method) < methodOrder(g.Ops[j].Method)
		})
		ref.Groups = append(ref.Groups, *g)
	}
	sort.Slice(ref.Groups, func(i, j int) bool { return ref.Groups[i].Tag < ref.Groups[j].Tag })
	for name, s := range d.Components.Schemas {
		rs := refSchema{Name: name}
		for f, fs := range s.Properties {
			rs.Fields = append(rs.Fields, refField{Name: f, Type: typeName(fs), Required: slices.Contains(s.Required, f)})
		}
		sort.Slice(rs.Fields, func(i, j int) bool { return rs.Fields[i].Name < rs.Fields[j].Name })
		ref.Schemas = append(ref.Schemas, rs)
	}
	sort.Slice(ref.Schemas, func(i, j int) bool { return ref.Schemas[i].Name < ref.Schemas[j].Name })
	return ref, nil
}

func methodOrder(m string) int {
	return strings.Index("GET POST PUT PATCH DELETE", m)
}

// typeName writes a schema briefly: a component's name, a type, an array.
func typeName(s oaSchema) string {
	switch {
	case s.Ref != "":
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	case len(s.OneOf) > 0:
		var parts []string
		for _, o := range s.OneOf {
			parts = append(parts, typeName(o))
		}
		return strings.Join(parts, " | ")
	case s.Items != nil:
		return "array of " + typeName(*s.Items)
	case len(s.Enum) > 0:
		return "one of " + strings.Join(s.Enum, ", ")
	}
	var t string
	switch v := s.Type.(type) {
	case string:
		t = v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, x.(string))
		}
		t = strings.Join(parts, " | ")
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return t
}

// codeSpans escapes OpenAPI description text and sets its `code` spans,
// the only Markdown the document uses.
func codeSpans(s string) template.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		esc := template.HTMLEscapeString(p)
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + esc + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`") // an unpaired backtick stays as written
		}
		b.WriteString(esc)
	}
	return template.HTML(b.String())
}

// APIReference shows the API reference, read from the OpenAPI document.
func (h *Handler) APIReference(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "reference", "api", h.apiDoc)
}
