// Package sigv4 verifies AWS Signature Version 4 on requests to the gateway, the way AWS does for
// the lambda service, so that the AWS CLI, aws-sdk-go-v2, boto3 and other SigV4 clients can
// authenticate to Lambdock with an access key ID and a secret access key.
//
// Both forms are verified: the Authorization header (AWS4-HMAC-SHA256 Credential=…,
// SignedHeaders=…, Signature=…, with X-Amz-Date) and the presigned query string (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature, optional X-Amz-Expires of
// at most 7 days). Verifier.Verify returns the access key ID that signed the request, or an *Error
// carrying the error code, message and HTTP status Lambda would answer with.
//
// It is not a key store and not an authorization layer: secrets come from a KeyLookup the caller
// provides, and deciding what an authenticated key may do (accounts, roles, policies) is left to
// the caller. It issues and accepts no session credentials: a request carrying
// X-Amz-Security-Token is refused as an unrecognized client.
//
// Canonicalisation follows aws-sdk-go-v2's signer (aws/signer/v4), which signs Lambda requests
// without DisableURIPathEscaping:
//
//   - The canonical URI is the path as sent on the wire (the request target of a server-side
//     request, or URL.Opaque/EscapedPath of a client-side one), URI-encoded once more, so each
//     escape is encoded twice ("%3A" becomes "%253A"). The path is not normalised (no removal of
//     "." or ".." segments), as the SDK does not normalise it either.
//   - The canonical query is every name=value pair decoded and re-encoded with RFC 3986
//     unreserved characters kept, a space as %20, sorted by name then value; the presigned form
//     leaves out X-Amz-Signature. A query that does not parse is refused, so that no pair can hide
//     from the signature.
//   - Signed header values are trimmed, runs of spaces become one space, and the values of a
//     repeated header are joined with commas in the order received. "host" is the request's Host.
//   - The payload hash is X-Amz-Content-Sha256 when present (UNSIGNED-PAYLOAD included; a hash
//     must match the body), else the SHA-256 of the body.
//
// So the Host header, the request target and the signed headers must reach the gateway as the
// client sent them: a proxy in front that rewrites any of them breaks every signature.
//
// Security: signatures are compared in constant time (hmac.Equal). An unknown or disabled key is
// verified against a dummy secret before it is refused, so the work done does not reveal which
// keys exist (the KeyLookup's own latency still may). A Verifier with SigningKeys caches the
// signing keys derived from known secrets, never the dummy secret's: an unknown key costs what a
// known key's first request of the day costs. No error message carries a secret, a signing key or
// the signature the server expected.
package sigv4
