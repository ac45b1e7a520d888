package mototest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stsVersion is the API version every STS query request carries; it tells
// unsigned STS calls (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) apart
// from other query-protocol services.
const stsVersion = "2011-06-15"

// Call is one recorded STS request.
type Call struct {
	// Action is the form field Action, e.g. "AssumeRole".
	Action string
	// Params holds the other form fields (not Action or Version), by wire name.
	Params url.Values
	// AccessKeyID is the key that signed the request (the Credential of its
	// SigV4 Authorization header), "" if unsigned.
	AccessKeyID string
	// IssuedAccessKeyID is Credentials.AccessKeyId from the response, "" if
	// the response carried no credentials.
	IssuedAccessKeyID string
	// Status is the HTTP status the client got; 0 if it got no answer
	// (a Reset, a Stall it gave up on) or the call is still in progress.
	Status int
	// Fault is the fault the Recorder injected into the call, NoFault if
	// it passed through normally.
	Fault FaultKind
}

// isSecretParam reports whether a parameter's value is a credential itself
// and so is never printed.
func isSecretParam(name string) bool {
	return name == "WebIdentityToken" || name == "SAMLAssertion"
}

// String describes the call on several lines, one parameter per line,
// hiding tokens.
func (c Call) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s status=%d", c.Action, c.Status)
	if c.Fault != NoFault {
		fmt.Fprintf(&b, " fault=%s", c.Fault)
	}
	fmt.Fprintf(&b, " signed-by=%q issued=%q", c.AccessKeyID, c.IssuedAccessKeyID)
	names := make([]string, 0, len(c.Params))
	for name := range c.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range c.Params[name] {
			if isSecretParam(name) {
				v = fmt.Sprintf("<%d bytes, hidden>", len(v))
			}
			fmt.Fprintf(&b, "\n\t%s=%s", name, v)
		}
	}
	return b.String()
}

// Recorder is an HTTP reverse proxy on 127.0.0.1 in front of moto that
// records every STS call passing through it, so tests can assert what went
// over the wire. It can also fail STS calls ([Recorder.AddFault]) and shorten
// the lifetime of the credentials they issue ([Recorder.SetLifetime]). Other
// requests (S3 from terraform or the AWS CLI, IAM, ...) pass through
// unrecorded and unchanged. It is safe for concurrent use.
type Recorder struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT.
	URL string

	srv       *http.Server
	proxy     *httputil.ReverseProxy
	transport *http.Transport

	mu       sync.Mutex
	calls    []*Call // appended as each call arrives, filled in as it ends
	faults   []Fault // pending, in the order added; Count is what is left
	lifetime time.Duration
	// byAction holds the lifetimes set for one action, which win over lifetime.
	byAction map[string]time.Duration

	closeOnce sync.Once
	closeErr  error
}

// NewRecorder starts a Recorder forwarding to target, a loopback http URL
// such as a Server's URL. The caller must Close it.
func NewRecorder(target string) (*Recorder, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("recorder target: %w", err)
	}
	if u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("recorder target %q is not an http URL on a loopback address", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("recorder listen: %w", err)
	}
	// Compression stays off so response bytes reach the client exactly as
	// moto sent them; Proxy stays nil so no proxy from the environment
	// is ever used.
	tr := &http.Transport{DisableCompression: true}
	r := &Recorder{
		URL:       "http://" + ln.Addr().String(),
		transport: tr,
		proxy: &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				// SigV4 signs the Host header, so moto must see the one the
				// client signed.
				pr.Out.Host = pr.In.Host
			},
			Transport: tr,
			ModifyResponse: func(resp *http.Response) error {
				if err := realSTSErrors(resp); err != nil {
					return err
				}
				return rewriteAnswer(resp)
			},
		},
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Calls returns a copy of the calls recorded so far, in the order they
// arrived. A call still in progress is included with Status 0, so that a
// stalled call abandoned by its client keeps its place before the retry.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, len(r.calls))
	for i, c := range r.calls {
		out[i] = *c
		out[i].Params = cloneValues(c.Params)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for name, values := range v {
		out[name] = slices.Clone(values)
	}
	return out
}

// Reset forgets the calls recorded so far and the faults still pending, so each
// part of a test starts clean. The lifetime, a setting of the whole test, stays.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
	r.faults = nil
}

// Close stops the proxy. Calling it again returns the first result.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		if err := r.srv.Close(); err != nil {
			r.closeErr = fmt.Errorf("close recorder: %w", err)
		}
		r.transport.CloseIdleConnections()
	})
	return r.closeErr
}

// ServeHTTP forwards req to the target, recording it if it is an STS call
// and injecting the pending fault and lifetime, if any.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Only query-protocol requests are buffered: S3 bodies (chunked,
	// streaming, large) must flow through untouched.
	if !isQueryPost(req) {
		r.proxy.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		http.Error(w, fmt.Sprintf("recorder: read request body: %v", err), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.TransferEncoding = nil

	form, err := url.ParseQuery(string(body))
	signer, service := credentialScope(req.Header.Get("Authorization"))
	if err != nil || !isSTS(form, signer, service) {
		r.proxy.ServeHTTP(w, req)
		return
	}
	action := form.Get("Action")
	form.Del("Action")
	form.Del("Version")
	call := &Call{Action: action, Params: form, AccessKeyID: signer}
	r.mu.Lock()
	fault := r.takeFault(action)
	call.Fault = fault.Kind
	lifetime, ok := r.byAction[action]
	if !ok {
		lifetime = r.lifetime
	}
	r.calls = append(r.calls, call)
	r.mu.Unlock()

	cw := &captureWriter{ResponseWriter: w}
	switch fault.Kind {
	case Throttle, ServerError:
		writeSTSError(cw, fault.Kind)
		r.finish(call, cw)
		return
	case Reset:
		if err := resetConnection(cw); err != nil {
			http.Error(cw, fmt.Sprintf("recorder: reset: %v", err), http.StatusInternalServerError)
			r.finish(call, cw)
		}
		return
	case Stall:
		if !stall(req.Context(), fault.Delay) {
			return
		}
	}
	if lifetime != 0 {
		req = req.WithContext(context.WithValue(req.Context(), lifetimeKey{}, lifetime))
	}
	if fault.Kind.spoils() {
		req = req.WithContext(context.WithValue(req.Context(), spoilKey{}, fault.Kind))
	}
	r.proxy.ServeHTTP(cw, req)
	r.finish(call, cw)
}

// finish fills in what the client got for call.
func (r *Recorder) finish(call *Call, cw *captureWriter) {
	issued := issuedKey(cw.Header().Get("Content-Encoding"), cw.body.Bytes())
	r.mu.Lock()
	defer r.mu.Unlock()
	call.IssuedAccessKeyID = issued
	call.Status = cw.statusCode()
}

// realSTSErrors rewrites moto's error responses to query-protocol calls,
// <ErrorResponse><Errors><Error>...</Error></Errors></ErrorResponse>, into the shape real STS
// sends, <ErrorResponse><Error>...</Error></ErrorResponse>. aws-sdk-go-v2 reads only the
// latter and would report moto's AccessDenied or SignatureDoesNotMatch as UnknownError.
func realSTSErrors(resp *http.Response) error {
	if resp.StatusCode < 400 || resp.Request == nil || !isQueryPost(resp.Request) {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("recorder: read error response: %w", err)
	}
	body = bytes.Replace(body, []byte("<ErrorResponse><Errors><Error>"), []byte("<ErrorResponse><Error>"), 1)
	body = bytes.Replace(body, []byte("</Error></Errors>"), []byte("</Error>"), 1)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Set("Content-Type", "text/xml")
	return nil
}

func isQueryPost(req *http.Request) bool {
	if req.Method != http.MethodPost || req.URL.Path != "/" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/x-www-form-urlencoded"
}

func isSTS(form url.Values, signer, service string) bool {
	if form.Get("Action") == "" {
		return false
	}
	if signer != "" {
		return service == "sts"
	}
	return form.Get("Version") == stsVersion
}

// credentialScope returns the access key ID and the service from a SigV4
// Authorization header, "Credential=AKID/DATE/REGION/SERVICE/aws4_request".
func credentialScope(authorization string) (accessKeyID, service string) {
	_, rest, ok := strings.Cut(authorization, " ")
	if !ok {
		return "", ""
	}
	for part := range strings.SplitSeq(rest, ",") {
		scope, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		fields := strings.Split(scope, "/")
		if len(fields) != 5 {
			return fields[0], ""
		}
		return fields[0], fields[3]
	}
	return "", ""
}

// issuedKey returns Credentials.AccessKeyId from an STS XML response, or ""
// if the response holds no credentials (an error, GetCallerIdentity, ...).
func issuedKey(contentEncoding string, body []byte) string {
	if strings.EqualFold(contentEncoding, "gzip") {
		var err error
		if body, err = gunzip(body); err != nil {
			return ""
		}
	}
	// The result element is named after the action (AssumeRoleResult, ...).
	var resp struct {
		Results []struct {
			AccessKeyID string `xml:"Credentials>AccessKeyId"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(body, &resp); err != nil {
		return ""
	}
	for _, res := range resp.Results {
		if res.AccessKeyID != "" {
			return res.AccessKeyID
		}
	}
	return ""
}

// captureWriter keeps a copy of the response it passes on.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(status int) {
	// 1xx responses (100 Continue) come before the real one.
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *captureWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

func (w *captureWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
