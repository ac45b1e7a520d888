package mototest

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

//go:embed enforcing.py
var enforcingScript string

// AdminFreeCalls is how many unsigned calls NewAdmin makes: create a user, give it a policy
// that allows everything, create its access key.
const AdminFreeCalls = 3

// StartEnforcing starts moto_server with IAM enforcement on after AdminFreeCalls calls: every
// later call must be signed with an access key moto issued, and is allowed only if the
// caller's IAM policies allow its action on its resource. S3 and DynamoDB are checked too, so
// Terraform's S3 backend runs under a policy (see enforcing.py for the two changes to moto
// that takes). Call NewAdmin first. It needs python3 with moto installed.
func StartEnforcing(ctx context.Context) (*Server, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, errors.New("python3 not found on PATH; moto's python is needed: pip install 'moto[server]'")
	}
	return startCommand(ctx, []string{py, "-c", enforcingScript}, []string{"INITIAL_NO_AUTH_ACTION_COUNT=" + strconv.Itoa(AdminFreeCalls)})
}

// Client makes signed AWS API calls to moto, for a test's setup.
type Client struct {
	URL    string
	Creds  aws.Credentials
	Region string
	http   *http.Client
}

// NewAdmin creates, with the free calls of a server from StartEnforcing, an IAM user "admin"
// allowed everything, and returns a client with its keys.
func NewAdmin(ctx context.Context, s *Server) (*Client, error) {
	c := &Client{URL: s.URL, Creds: aws.Credentials{AccessKeyID: "AKIAFREECALLS0000000", SecretAccessKey: "free"}, Region: "us-east-1", http: &http.Client{Timeout: 30 * time.Second}}
	const all = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := c.IAM(ctx, "CreateUser", "UserName", "admin"); err != nil {
		return nil, err
	}
	if _, err := c.IAM(ctx, "PutUserPolicy", "UserName", "admin", "PolicyName", "all", "PolicyDocument", all); err != nil {
		return nil, err
	}
	key, err := c.CreateAccessKey(ctx, "admin")
	if err != nil {
		return nil, err
	}
	c.Creds = key
	return c, nil
}

// CreateAccessKey creates an access key for user.
func (c *Client) CreateAccessKey(ctx context.Context, user string) (aws.Credentials, error) {
	body, err := c.IAM(ctx, "CreateAccessKey", "UserName", user)
	if err != nil {
		return aws.Credentials{}, err
	}
	var out struct {
		Key struct {
			ID     string `xml:"AccessKeyId"`
			Secret string `xml:"SecretAccessKey"`
		} `xml:"CreateAccessKeyResult>AccessKey"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.Key.ID == "" {
		return aws.Credentials{}, fmt.Errorf("CreateAccessKey: unexpected answer %.200q", body)
	}
	return aws.Credentials{AccessKeyID: out.Key.ID, SecretAccessKey: out.Key.Secret}, nil
}

// IAM makes an IAM Query API call; params are name, value pairs.
func (c *Client) IAM(ctx context.Context, action string, params ...string) ([]byte, error) {
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Set(params[i], params[i+1])
	}
	return c.Do(ctx, "iam", http.MethodPost, "/", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

// JSON makes a call to a JSON protocol service (DynamoDB, KMS) with X-Amz-Target target.
func (c *Client) JSON(ctx context.Context, service, version, target string, in any) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, service, http.MethodPost, "/", body, "Content-Type", "application/x-amz-json-"+version, "X-Amz-Target", target)
}

// Do signs and sends one request and returns the body of a 2xx answer; headers are name,
// value pairs.
func (c *Client) Do(ctx context.Context, service, method, path string, body []byte, headers ...string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, c.Creds, req, hash, service, c.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s %s: %s: %.300s", service, method, path, resp.Status, out)
	}
	return out, nil
}
