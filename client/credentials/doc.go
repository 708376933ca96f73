// Package credentials finds the access key the lambdock CLI signs with, in the order the issue
// sets: an explicit profile (--profile or AWS_PROFILE), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
// the credentials file lambdockd writes on first start (<data-dir>/credentials, profile
// lambdock), then the AWS shared credentials file's default profile. It reads the AWS
// shared-credentials INI format itself (sections, key = value, # and ; comments), which is all
// a credentials file holds, instead of pulling in aws-sdk-go-v2/config and its SSO/STS clients.
//
// It is not a general AWS configuration loader: no config file, no SSO, no assume-role, no
// session tokens (Lambdock issues none).
package credentials
