package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// inlineSVG turns one figure's SVG document into markup that can sit inside
// the page: the XML prolog, DOCTYPE and comments go, the root scales to the
// page width, ids are prefixed with idPrefix so two figures cannot capture
// each other's clip paths or gradients, and anything that would make the
// browser fetch from the network or run code is refused.
//
// The SVG is parsed with the HTML parser, the same way the browser will
// parse it inline, and the checked tree is what gets written out: markup
// that would break out of the <svg> element (a stray </svg>, an HTML tag
// that ends foreign content) shows up as a second top-level node and is
// refused instead of slipping past the checks.
func inlineSVG(src []byte, idPrefix, label string) ([]byte, error) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(bytes.NewReader(src), body)
	if err != nil {
		return nil, fmt.Errorf("parsing SVG: %w", err)
	}
	var root *html.Node
	for _, n := range nodes {
		switch {
		case n.Type == html.CommentNode || n.Type == html.DoctypeNode:
			// The XML prolog parses as a comment; both are dropped.
		case n.Type == html.TextNode && strings.TrimSpace(n.Data) == "":
		case n.Type == html.ElementNode && n.Namespace == "svg" && n.Data == "svg" && root == nil:
			root = n
		case n.Type == html.ElementNode:
			return nil, fmt.Errorf("content outside the root <svg>: <%s>", n.Data)
		default:
			return nil, fmt.Errorf("content outside the root <svg>: %q", clip(n.Data))
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no <svg> root element")
	}
	if err := check(root); err != nil {
		return nil, err
	}
	if !hasElementChild(root) {
		return nil, fmt.Errorf("the <svg> element is empty")
	}
	dropComments(root)
	walk(root, func(n *html.Node) {
		kept := n.Attr[:0]
		for _, a := range n.Attr {
			if !isXMLNS(a) {
				kept = append(kept, a)
			}
		}
		n.Attr = kept
	})
	prefixIDs(root, idPrefix)
	scaleRoot(root, label)

	var buf bytes.Buffer
	if err := html.Render(&buf, root); err != nil {
		return nil, fmt.Errorf("rendering SVG: %w", err)
	}
	return buf.Bytes(), nil
}

// Element names refused anywhere in a figure: scripts, and elements whose
// job is to embed other documents.
var refusedElements = map[string]bool{
	"script": true, "foreignobject": true, "iframe": true, "object": true,
	"embed": true, "frame": true, "frameset": true, "link": true,
	"meta": true, "base": true, "form": true, "audio": true, "video": true,
}

// check walks the tree and refuses scripts, event handlers and references
// to anything outside the page.
func check(n *html.Node) error {
	switch n.Type {
	case html.ElementNode:
		if refusedElements[strings.ToLower(n.Data)] {
			return fmt.Errorf("<%s> is not allowed in a figure", n.Data)
		}
		if n.Namespace != "svg" {
			// Only reachable through an HTML integration point such as
			// <title> or <desc>; a chart has no use for HTML inside.
			return fmt.Errorf("HTML element <%s> inside the SVG", n.Data)
		}
		for _, a := range n.Attr {
			name := a.Key
			if a.Namespace != "" {
				name = a.Namespace + ":" + a.Key
			}
			if isXMLNS(a) {
				continue // a namespace name, never fetched; dropped on output
			}
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				return fmt.Errorf("<%s %s=…>: event handlers are not allowed", n.Data, name)
			}
			if u, ok := externalValue(a.Key, a.Val); ok {
				return fmt.Errorf("<%s %s=%q>: external reference %q", n.Data, name, clip(a.Val), u)
			}
		}
	case html.TextNode:
		// Text of <style> is CSS: it may fetch with url() or @import.
		if p := n.Parent; p != nil && strings.EqualFold(p.Data, "style") {
			if u, ok := externalCSS(n.Data); ok {
				return fmt.Errorf("<style>: external reference %q", u)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if err := check(c); err != nil {
			return err
		}
	}
	return nil
}

var (
	cssURL    = regexp.MustCompile(`(?i)url\(\s*['"]?\s*([^'")\s]*)`)
	cssImport = regexp.MustCompile(`(?i)@import`)
)

// urlAttrs are attributes whose value the browser loads or follows.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "srcset": true, "action": true, "formaction": true,
	"poster": true, "background": true, "data": true, "codebase": true, "cite": true,
}

// externalValue reports whether an attribute value points outside the page.
// A URL attribute may only hold an in-page #id or a data: URL; any other
// attribute may not hold an absolute, protocol-relative or javascript: URL
// (<animate to="https://…"> would set one); and CSS in any attribute may not
// url() outside the page.
func externalValue(key, v string) (string, bool) {
	if urlAttrs[strings.ToLower(key)] {
		if !inPage(v) {
			return strings.TrimSpace(v), true
		}
		return "", false
	}
	if isExternalURL(v) {
		return strings.TrimSpace(v), true
	}
	return externalCSS(v)
}

// externalCSS finds a url() to outside the page, or any @import, in CSS.
func externalCSS(css string) (string, bool) {
	if cssImport.MatchString(css) {
		return "@import", true
	}
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		if !inPage(m[1]) {
			return m[1], true
		}
	}
	return "", false
}

// inPage reports whether a URL stays inside the page: empty, a #fragment,
// or a data: URL (gonum embeds raster images and fonts that way).
func inPage(u string) bool {
	u = normURL(u)
	return u == "" || strings.HasPrefix(u, "#") || strings.HasPrefix(u, "data:")
}

// isExternalURL reports whether a value is a URL that leaves the page:
// absolute with a fetching scheme, protocol-relative, or javascript:.
func isExternalURL(u string) bool {
	u = normURL(u)
	switch {
	case strings.HasPrefix(u, "//"), strings.HasPrefix(u, `\\`), strings.HasPrefix(u, `/\`):
		return true
	case strings.HasPrefix(u, "http:"), strings.HasPrefix(u, "https:"),
		strings.HasPrefix(u, "ftp:"), strings.HasPrefix(u, "file:"),
		strings.HasPrefix(u, "javascript:"), strings.HasPrefix(u, "vbscript:"):
		return true
	}
	return false
}

// normURL lower-cases and trims a URL and drops the tabs and newlines that
// browsers ignore inside one, so "ht\ntp:" reads as http:.
func normURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(u)
}

// prefixIDs renames every id to prefix+id and rewrites the in-figure
// references to them (href="#id", url(#id)), so the ids of two figures
// cannot collide on one page.
func prefixIDs(root *html.Node, prefix string) {
	ids := map[string]bool{}
	walk(root, func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Namespace == "" && a.Key == "id" {
				ids[a.Val] = true
			}
		}
	})
	if len(ids) == 0 {
		return
	}
	ref := regexp.MustCompile(`url\(\s*(['"]?)#([^'")\s]+)`)
	rewriteCSS := func(s string) string {
		return ref.ReplaceAllStringFunc(s, func(m string) string {
			sub := ref.FindStringSubmatch(m)
			if !ids[sub[2]] {
				return m
			}
			return "url(" + sub[1] + "#" + prefix + sub[2]
		})
	}
	walk(root, func(n *html.Node) {
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "style" {
			n.Data = rewriteCSS(n.Data)
			return
		}
		for i, a := range n.Attr {
			switch {
			case a.Namespace == "" && a.Key == "id":
				n.Attr[i].Val = prefix + a.Val
			case a.Key == "href" && strings.HasPrefix(a.Val, "#") && ids[a.Val[1:]]:
				n.Attr[i].Val = "#" + prefix + a.Val[1:]
			default:
				n.Attr[i].Val = rewriteCSS(a.Val)
			}
		}
	})
}

// isXMLNS reports a namespace declaration. Inline in HTML the parser sets
// namespaces itself, so these mean nothing there.
func isXMLNS(a html.Attribute) bool {
	return a.Namespace == "xmlns" || (a.Namespace == "" && (a.Key == "xmlns" || strings.HasPrefix(a.Key, "xmlns:")))
}

func hasElementChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return true
		}
	}
	return false
}

// dropComments removes comments, which only add bytes to the page.
func dropComments(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.CommentNode {
			n.RemoveChild(c)
		} else {
			dropComments(c)
		}
		c = next
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// scaleRoot makes the chart as wide as the page and keeps its proportions.
// gonum's vgsvg writes width and height in pt; older versions, and other
// writers, give no viewBox, and without one a width of 100% would crop the
// drawing instead of scaling it, so a viewBox is made from the width and
// height (their numbers are the drawing's user units). If neither exists
// the size is left alone.
func scaleRoot(root *html.Node, label string) {
	var width, height, viewBox string
	attrs := root.Attr[:0:0]
	for _, a := range root.Attr {
		switch {
		case a.Namespace == "" && a.Key == "width":
			width = a.Val
		case a.Namespace == "" && a.Key == "height":
			height = a.Val
		case a.Namespace == "" && a.Key == "viewBox":
			viewBox = a.Val
		case a.Namespace == "" && (a.Key == "role" || a.Key == "aria-label"):
			// Replaced below.
		default:
			attrs = append(attrs, a)
		}
	}
	if strings.TrimSpace(viewBox) == "" {
		w, wok := length(width)
		h, hok := length(height)
		if wok && hok {
			viewBox = "0 0 " + fmtLen(w) + " " + fmtLen(h)
		}
	}
	var sized []html.Attribute
	if strings.TrimSpace(viewBox) != "" {
		sized = []html.Attribute{{Key: "viewBox", Val: viewBox}, {Key: "width", Val: "100%"}}
	} else {
		// Cannot scale without a coordinate system: keep the given size;
		// the stylesheet still caps it at the page width.
		if width != "" {
			sized = append(sized, html.Attribute{Key: "width", Val: width})
		}
		if height != "" {
			sized = append(sized, html.Attribute{Key: "height", Val: height})
		}
	}
	sized = append(sized, html.Attribute{Key: "role", Val: "img"})
	if label != "" {
		sized = append(sized, html.Attribute{Key: "aria-label", Val: label})
	}
	root.Attr = append(sized, attrs...)
}

var lengthRE = regexp.MustCompile(`^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*$`)

// length parses an absolute SVG length; percentages and font-relative
// units say nothing about the drawing's coordinates.
func length(s string) (float64, bool) {
	m := lengthRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

func fmtLen(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
