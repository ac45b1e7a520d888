package mototest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestStartEnforcing checks that the enforcing moto leaves out only what it says: S3
// signatures are not checked, but S3 access keys are looked up and every service's calls are
// checked against the caller's policies, scoped to the bucket, object or table.
func TestStartEnforcing(t *testing.T) {
	s, err := StartEnforcing(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	admin, err := NewAdmin(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	setup := [][]string{
		{"CreateUser", "UserName", "writer"},
		{"PutUserPolicy", "UserName", "writer", "PolicyName", "p", "PolicyDocument", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/allowed/*"},
			{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/allowed"}]}`},
	}
	for _, call := range setup {
		if _, err := admin.IAM(t.Context(), call[0], call[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.Do(t.Context(), "s3", http.MethodPut, "/bucket", nil); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"allowed", "other"} {
		if _, err := admin.JSON(t.Context(), "dynamodb", "1.0", "DynamoDB_20120810.CreateTable", map[string]any{
			"TableName":            table,
			"AttributeDefinitions": []map[string]string{{"AttributeName": "LockID", "AttributeType": "S"}},
			"KeySchema":            []map[string]string{{"AttributeName": "LockID", "KeyType": "HASH"}},
			"BillingMode":          "PAY_PER_REQUEST",
		}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := admin.CreateAccessKey(t.Context(), "writer")
	if err != nil {
		t.Fatal(err)
	}
	writer := *admin
	writer.Creds = key
	stranger := *admin
	stranger.Creds = aws.Credentials{AccessKeyID: "AKIANOTISSUEDBYMOTO0", SecretAccessKey: "x"}
	wrongSecret := writer
	wrongSecret.Creds.SecretAccessKey = "not-the-secret"
	item := func(table string) map[string]any {
		return map[string]any{"TableName": table, "Item": map[string]any{"LockID": map[string]string{"S": "x"}}}
	}

	tests := []struct {
		name string
		call func() ([]byte, error)
		want string // "" for success, else a part of the error
	}{
		{"admin lists with a query holding / and :", func() ([]byte, error) {
			return admin.Do(t.Context(), "s3", http.MethodGet, "/bucket?list-type=2&prefix=env%3A%2F", nil)
		}, ""},
		{"object under the allowed prefix", func() ([]byte, error) {
			return writer.Do(t.Context(), "s3", http.MethodPut, "/bucket/allowed/state", []byte("{}"))
		}, ""},
		{"object outside the allowed prefix", func() ([]byte, error) {
			return writer.Do(t.Context(), "s3", http.MethodPut, "/bucket/other/state", []byte("{}"))
		}, "AccessDenied"},
		{"action the policy lacks", func() ([]byte, error) {
			return writer.Do(t.Context(), "s3", http.MethodGet, "/bucket?list-type=2&prefix=env%3A%2F", nil)
		}, "AccessDenied"},
		{"S3 with a key moto did not issue", func() ([]byte, error) {
			return stranger.Do(t.Context(), "s3", http.MethodPut, "/bucket/allowed/state", []byte("{}"))
		}, "InvalidAccessKeyId"},
		{"IAM with a wrong secret", func() ([]byte, error) {
			return wrongSecret.IAM(t.Context(), "GetUser")
		}, "SignatureDoesNotMatch"},
		{"item in the allowed table", func() ([]byte, error) {
			return writer.JSON(t.Context(), "dynamodb", "1.0", "DynamoDB_20120810.PutItem", item("allowed"))
		}, ""},
		{"item in another table", func() ([]byte, error) {
			return writer.JSON(t.Context(), "dynamodb", "1.0", "DynamoDB_20120810.PutItem", item("other"))
		}, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}
