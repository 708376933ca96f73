// Package gateway is Lambdock's public HTTP surface: the AWS Lambda REST API subset (functions,
// invoke, reserved concurrency) with Lambda's status codes, headers, JSON shapes and error codes, so
// that the AWS CLI v2 and aws-sdk-go-v2 work against it with --endpoint-url.
//
// Design choices:
//
//   - The gateway depends on small interfaces (Store, CodeStore), not on the Postgres store or the
//     object store, so it can be built and tested on its own and replicated freely: it keeps no
//     counters and no state but a cache.
//   - Management calls read and write the Store directly (read-your-writes); invokes resolve the
//     function through a cache (name → *store.Function) so a warm invoke never touches Postgres.
//     The cache is invalidated by msg.FunctionChanged events on NATS, which every mutation here
//     publishes (and applies locally at once). A short TTL bounds staleness if an event is lost
//     (NATS reconnect), and a generation counter keeps a load that raced an invalidation from
//     re-filling the cache with the old record.
//   - Invoke is a NATS request on msg.SubjectInvoke (the controller's queue group) with a deadline
//     of the function timeout plus a grace period. Function errors come back as 200 with
//     X-Amz-Function-Error; only rejected requests and platform failures are API errors, since
//     aws-sdk-go-v2 retries 5xx and would replay invocations (lambda-api.md §3.5).
//   - Request bodies are always read through a limit (6 MiB for invoke, Lambda's 70,167,211 bytes
//     for a CreateFunction/UpdateFunctionCode body carrying a base64 zip), never unbounded.
//   - An empty invoke body is passed to the function as {} (what Lambda does when the caller sends
//     no payload); a non-empty body must be valid JSON.
//   - Validation failures of management fields are InvalidParameterValueException with messages in
//     Lambda's "'MemorySize' value failed to satisfy constraint: …" form, naming the field; a body
//     that is not JSON is InvalidRequestContentException "Could not parse request body into json".
//   - GetFunction's Code.Location is a URL on this gateway (/lambdock/v1/code/<hex sha256>) that
//     serves the zip, when the code store can fetch (CodeFetcher); with authentication it is
//     presigned with the caller's key for 10 minutes (sigv4.Presign), as Lambda's S3 link is.
//     DeleteFunction leaves the zip in the content-addressed code store, where other functions
//     may share it.
//   - Versions and aliases (versions.go, aliases.go): PublishVersion copies $LATEST into an
//     immutable numbered version (store.PublishVersion; an unchanged $LATEST returns the newest
//     version), also with Publish on CreateFunction and UpdateFunctionCode. GetFunction,
//     GetFunctionConfiguration and DeleteFunction take a Qualifier (lookupQualified): a version,
//     or an alias, which reads as the version it points to with the alias's ARN. Operations that
//     change a function or its function-wide settings take $LATEST only (lookup): any other
//     qualifier is Lambda's 404 for that qualified ARN, so a version never changes. A
//     version's FunctionConfiguration has Version "N" and FunctionArn …:name:N. Aliases route to
//     one version plus at most one additional version with a weight; the gateway checks that the
//     versions exist (the store does not). Every change publishes msg.FunctionChanged, which
//     drops the invoke path's cached versions and aliases. Aliases keep their last versions, and
//     POST /lambdock/v1/functions/{name}/aliases/{alias}/rollback moves one back. Messages and
//     codes follow Lambda's (ValidationException for the request model's checks of alias names
//     and weights), as recorded in LocalStack's AWS-validated snapshots. S3 code is refused with
//     InvalidParameterValueException rather than silently ignored.
//   - Layers (layers.go, function_layers.go) belong to one account, like functions: a layer ARN of
//     another account is a 404 (or, in a function's Layers, "does not exist"). A version's zip
//     goes into the code store like a function's, and its Content.Location is served by the same
//     code route (Store.HasCode covers layer versions). A function's Layers record each version's
//     hash and sizes, so the invoker needs no layer lookup and a deleted version keeps working
//     for the functions that have it.
//   - Invoke with X-Amz-Invocation-Type: Event (invoke_event.go) is checked as a synchronous one
//     (the body limit is rules.MaxEventPayload) and published to the event stream with
//     eventq.Publish; the 202 is written only after JetStream acknowledged the stored event, and
//     a publish that fails is an error (429 EventQueueFull when the stream is full, else 500),
//     never a 202. GET /lambdock/v1/invocations/{id} (invocations.go) reads the state the
//     controllers record (Store.GetAsyncInvocation) or, before one took the event, the stream
//     itself by the request id's subject; another account's id is 404 like an unknown one.
//   - With Config.Authenticate every API route (all but /healthz and /readyz) is wrapped by api():
//     the body is read once within the route's limit, the SigV4 signature is verified
//     (gateway/sigv4, keys from the tenant.Directory; unknown or disabled keys and accounts are
//     unrecognized), the key's token bucket is charged (429 CallerRateLimitExceeded), and the
//     route's access rule is applied to the key's role (AccessDeniedException). One table,
//     apiRoutes, names each route's action, access rule and body limit. The caller goes into
//     the request's context (tenant.NewContext); callerOf reads it, and without authentication
//     every request acts as the admin account. Routes outside the table (function URLs with
//     AWS_IAM) call authenticate themselves.
//   - Keys are resolved through a credentials cache (credcache.go: key id → key with its secret,
//     in memory only, and its account's disabled flag), so a warm request makes no Directory
//     query. Every key or account change through the accounts and keys API invalidates it at once
//     and publishes msg.CredentialsChanged, which every other gateway applies; Config.KeyCacheTTL
//     bounds the staleness when an event is lost (plus at most cacheMaxStale, 15 min, while
//     PostgreSQL is unreachable: stale-if-error, loadcache.go). It shares its mechanism (TTL, generation
//     counter, singleflight) with the function cache (loadcache.go). Unknown keys are never
//     cached and always cost the two lookups a known key's first request costs. What timing
//     still reveals (API and AWS_IAM function URLs alike): a key that was used recently answers faster than one that was not (cached
//     or not); it does not tell an unused existing key from a nonexistent one. Key ids are not
//     secrets (AWS treats access key ids the same way); the secrets never leave the gateway.
//   - GET /lambdock/v1/usage (usage.go) reports usage and its cost before the free tier by hour,
//     day, month or function: it cuts the period at every price change (billing.Book.Changes),
//     sums the daily aggregates of whole days without one and the hourly aggregates of the rest in
//     SQL (store.SumUsage), and prices each summed row at the price in force for its account then
//     (billing.Book.At), so a report over months reads a few hundred rows. An owner reports on
//     its account only (another account= is AccessDenied); an admin on every account or one.
//     GET /lambdock/v1/functions/{name}/invocations (invocation_list.go) pages through a
//     function's invocation records, newest first (store.ListInvocations, keyset on start time).
//   - /lambdock/v1/accounts and /lambdock/v1/keys are Lambdock's accounts and keys API (JSON,
//     Lambda's error format) over the Directory. A key's secret is shown once, at creation; an
//     owner sees another account's key as not found.
//   - Function URLs (urls.go, urlserve.go, urlauth.go): the URL config API
//     (/2021-10-31/functions/{name}/url…) stores one configuration per function; requests to
//     /fn/{name}/… (or, with Config.URLDomain, to the host <url-id>.<domain>) are translated by
//     gateway/funcurl into payload v2.0 events and invoked through the same dispatch as Invoke. A
//     function without a URL configuration is never reachable there (404). CORS preflights are
//     answered from the configuration; AWS_IAM URLs verify SigV4 with gateway/sigv4 against
//     Config.Directory and refuse everything without one. RESPONSE_STREAM output is buffered.
//   - GET /lambdock/v1/functions/{name}/stats (stats.go) is a function's invocations, errors,
//     throttles, p50/p99 duration and GB-seconds per minute, hour or day over 1h, 1d or 30d,
//     computed in SQL from the invocation records (store.FunctionStats; throttles from the hourly
//     aggregates). /console/ (gateway/console) serves the web console's static files, outside the
//     signed API table: its scripts sign every data call with the user's key, like any client.
//   - gin runs in release mode without its default logger and recovery; requests are logged with
//     zap at debug level and panics become a logged 500 ServiceException.
package gateway
