// Package funcurl translates between HTTP and Lambda function URL invocations, as the function URL
// front door does (lambda-api.md §5, §1.9, §9.4):
//
//   - Event turns an *http.Request into the payload v2.0 event a function receives.
//   - Response turns a buffered function result into the HTTP status, headers and body a client
//     sees; Failure gives the bodies of the front door's own errors (function error, throttle,
//     timeout, unknown URL, denied caller).
//   - ReadPrelude reads the status, headers and cookies a RESPONSE_STREAM function writes before
//     its body.
//   - CORS answers preflight requests and decorates responses from a URL's Cors configuration.
//
// It is only the translation. It does no routing (which path or host names which function), no
// authentication (SigV4 for AWS_IAM URLs; the caller passes the verified caller in), no invocation
// and no storage of URL configurations: those belong to the gateway routes and the store. Besides
// the standard library it uses only gateway/lambdaapi's header names, so the rules can be tested
// without a platform.
//
// Where AWS does not document a rule, the behaviour follows recorded AWS traffic and says where it
// was seen: the events aws-lambda-go captured from a real function URL
// (lambdaurl/testdata/function-url-*.json), and LocalStack's snapshot tests validated against AWS
// (tests/aws/services/lambda_/test_lambda.py TestLambdaURL and its .snapshot.json). Three such
// rules differ from lambda-api.md §5, which follows the 2021 guide: the cookie header stays in
// headers beside cookies (captured events); a result that is a JSON string is sent as its text,
// without quotes, and other results without statusCode as compact JSON (LocalStack recordings of
// 2025); a timeout is a 502 like any function error, not a 504.
package funcurl
