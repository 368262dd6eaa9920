package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/openswf/openswf/internal/shape"
)

// pageToken is the AWS CLI's --starting-token / NextToken: base64 of a JSON
// object holding the service's nextPageToken and, when --max-items cut a
// page short, how many of that page's items were already shown. The format
// is botocore's, so tokens pass between aws and swf.
type pageToken struct {
	Next     *string // the service token of the page to resume on; nil: the first
	Truncate int     // items of that page already shown
	HasTrunc bool
}

func (t pageToken) encode() string {
	var b strings.Builder
	b.WriteString(`{"nextPageToken": `)
	if t.Next == nil {
		b.WriteString("null")
	} else {
		q, _ := json.Marshal(*t.Next)
		b.Write(q)
	}
	if t.HasTrunc {
		fmt.Fprintf(&b, `, "boto_truncate_amount": %d`, t.Truncate)
	}
	b.WriteByte('}')
	return base64.StdEncoding.EncodeToString([]byte(b.String()))
}

func decodePageToken(s string) (pageToken, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
	}
	var t pageToken
	for k, v := range m {
		switch k {
		case tokenMember:
			var next *string
			if err := json.Unmarshal(v, &next); err != nil {
				return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
			}
			t.Next = next
		case "boto_truncate_amount":
			if err := json.Unmarshal(v, &t.Truncate); err != nil || t.Truncate < 0 {
				return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
			}
			t.HasTrunc = true
		default:
			return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
		}
	}
	if _, ok := m[tokenMember]; !ok {
		return pageToken{}, fmt.Errorf("Bad starting token: %s", s)
	}
	return t, nil
}

// paging is what the user asked of a paged command.
type paging struct {
	start    *pageToken
	pageSize *int64
	maxItems *int64
}

// pages is the outcome of paging through an operation.
type pages struct {
	list         []*object // each page, shaped, result key cut as shown
	nonAggregate *object   // the first page's non-aggregate members
	resume       string    // NextToken when --max-items stopped early
}

// paginate calls c's operation page after page, as botocore's PageIterator
// does: from --starting-token, --page-size items a call, until the service
// returns no nextPageToken or --max-items items are gathered.
func paginate(ctx context.Context, cl *client, c *command, in map[string]any, pg paging) (*pages, error) {
	pgr := c.Pager
	outShape := shape.LookupShape(c.Op.Output)
	kwargs := make(map[string]any, len(in)+2)
	for k, v := range in {
		kwargs[k] = v
	}
	var next *string
	startTrunc := 0
	if pg.start != nil {
		next = pg.start.Next
		if next != nil && *next != "" && *next != "None" {
			kwargs[tokenMember] = *next
		}
		startTrunc = pg.start.Truncate
	}
	if pg.pageSize != nil {
		kwargs[limitMember] = json.Number(fmt.Sprint(*pg.pageSize))
	}
	res := &pages{}
	total := int64(0)
	first := true
	var prev *string
	for {
		body, err := json.Marshal(kwargs)
		if err != nil {
			return nil, err
		}
		raw, err := cl.call(ctx, c.Op.Name, body)
		if err != nil {
			return nil, err
		}
		page, _ := shapeOutput(outShape, raw).(*object)
		if page == nil {
			page = newObject()
		}
		trunc := 0
		if first {
			if pg.start != nil {
				trunc = startTrunc
				if items, ok := page.get(pgr.ResultKey); ok {
					if l, ok := items.([]any); ok {
						page.set(pgr.ResultKey, l[min(trunc, len(l)):])
					}
				}
			}
			res.nonAggregate = newObject()
			for _, k := range pgr.NonAggregate {
				v, _ := page.get(k)
				res.nonAggregate.set(k, v)
			}
			first = false
		}
		var items []any
		if v, ok := page.get(pgr.ResultKey); ok {
			items, _ = v.([]any)
		}
		n := int64(len(items))
		if pg.maxItems != nil && total+n > *pg.maxItems {
			keep := *pg.maxItems - total
			page.set(pgr.ResultKey, items[:keep])
			res.list = append(res.list, page)
			res.resume = pageToken{Next: next, Truncate: int(keep) + trunc, HasTrunc: true}.encode()
			return res, nil
		}
		res.list = append(res.list, page)
		total += n
		var tok *string
		if v, ok := raw[tokenMember].(string); ok && v != "" {
			tok = &v
		}
		if tok == nil {
			return res, nil
		}
		if pg.maxItems != nil && total == *pg.maxItems {
			res.resume = pageToken{Next: tok}.encode()
			return res, nil
		}
		if prev != nil && *prev == *tok {
			return nil, fmt.Errorf("Error during pagination: The same next token was received twice: {'%s': '%s'}", tokenMember, *tok)
		}
		kwargs[tokenMember] = *tok
		prev, next = tok, tok
	}
}

// fullResult joins the pages as botocore's build_full_result does: the
// result key's items from every page, then the first page's non-aggregate
// members, then NextToken if the listing stopped early.
func (p *pages) fullResult(resultKey string) *object {
	out := newObject()
	for _, page := range p.list {
		v, ok := page.get(resultKey)
		if !ok || v == nil {
			continue
		}
		if cur, ok := out.get(resultKey); ok {
			if cl, ok := cur.([]any); ok {
				if vl, ok := v.([]any); ok {
					out.set(resultKey, append(cl, vl...))
					continue
				}
			}
		}
		out.set(resultKey, v)
	}
	if p.nonAggregate != nil {
		for _, k := range p.nonAggregate.keys {
			out.set(k, p.nonAggregate.vals[k])
		}
	}
	if p.resume != "" {
		out.set("NextToken", p.resume)
	}
	return out
}

// textPages is what the text format prints of a paged result: each page
// on its own (the first with the non-aggregate members), then NextToken.
func (p *pages) textPages(resultKey string) []any {
	var out []any
	for i, page := range p.list {
		cur := newObject()
		if i == 0 && p.nonAggregate != nil {
			for _, k := range p.nonAggregate.keys {
				cur.set(k, p.nonAggregate.vals[k])
			}
		}
		v, _ := page.get(resultKey)
		cur.set(resultKey, v)
		out = append(out, cur)
	}
	if p.resume != "" {
		inner := newObject()
		inner.set("NextToken", p.resume)
		o := newObject()
		o.set("NextToken", inner)
		out = append(out, o)
	}
	return out
}
