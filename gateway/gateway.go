package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/sigv4"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// Store is what the gateway needs from the function store (implemented by *store.Store). Every
// function belongs to an account; account is the caller's (accountOf).
type Store interface {
	// CreateFunction inserts f into f.AccountID and sets its RevisionID and LastModified;
	// store.ErrExists if the account has the name already.
	CreateFunction(ctx context.Context, f *store.Function) error
	// GetFunction returns the account's function or store.ErrNotFound.
	GetFunction(ctx context.Context, account, name string) (*store.Function, error)
	// ListFunctions returns up to maxItems of the account's functions after marker, and the next
	// marker ("" at end).
	ListFunctions(ctx context.Context, account, marker string, maxItems int) ([]*store.Function, string, error)
	// UpdateFunction replaces f's record (in f.AccountID) and writes the new
	// RevisionID/LastModified back.
	UpdateFunction(ctx context.Context, f *store.Function) error
	// DeleteFunction removes the account's function (store.ErrNotFound if absent).
	DeleteFunction(ctx context.Context, account, name string) error
	// SetReservedConcurrency sets (or, with nil, removes) the function's reservation.
	SetReservedConcurrency(ctx context.Context, account, name string, n *int) error
	// ReserveConcurrency sets the reservation to n unless that would leave less than
	// minUnreserved of the account's limit unreserved (store.ErrReservationLimit), atomically.
	ReserveConcurrency(ctx context.Context, account, name string, n, minUnreserved int) error
	// HasCode reports whether one of the account's functions or layer versions has the code
	// with hex SHA-256 sum.
	HasCode(ctx context.Context, account, sum string) (bool, error)
	// GetAsyncInvocation returns the account's recorded asynchronous invocation or
	// store.ErrNotFound (none recorded yet: maybe still queued in the event stream).
	GetAsyncInvocation(ctx context.Context, account, requestID string) (*store.AsyncInvocation, error)
	// Ping checks the connection (readiness).
	Ping(ctx context.Context) error

	// CreateFunctionURL stores a URL configuration with a fresh URLID (store.ErrExists when the
	// function has one for u.Qualifier, store.ErrNotFound when there is no such function).
	CreateFunctionURL(ctx context.Context, u *store.FunctionURL) error
	// GetFunctionURL returns the URL configuration of the function's qualifier ("" for the
	// unqualified function) or store.ErrNotFound.
	GetFunctionURL(ctx context.Context, accountID, name, qualifier string) (*store.FunctionURL, error)
	// ListFunctionURLs returns up to maxItems of the function's URL configurations after marker,
	// and the next marker ("" at the end).
	ListFunctionURLs(ctx context.Context, accountID, name, marker string, maxItems int) ([]*store.FunctionURL, string, error)
	// FunctionURLByID returns the URL configuration with that URLID or store.ErrNotFound.
	FunctionURLByID(ctx context.Context, id string) (*store.FunctionURL, error)
	// UpdateFunctionURL replaces AuthType, CORS and InvokeMode and writes the record back
	// (store.ErrNotFound when the function has no URL).
	UpdateFunctionURL(ctx context.Context, u *store.FunctionURL) error
	// DeleteFunctionURL removes the URL configuration of the function's qualifier
	// (store.ErrNotFound if none).
	DeleteFunctionURL(ctx context.Context, accountID, name, qualifier string) error

	// CreateEventSourceMapping stores a mapping (store.ErrExists when its queue has one,
	// store.ErrNotFound when there is no such function).
	CreateEventSourceMapping(ctx context.Context, m *store.EventSourceMapping) error
	// GetEventSourceMapping returns the account's mapping or store.ErrNotFound.
	GetEventSourceMapping(ctx context.Context, account, uuid string) (*store.EventSourceMapping, error)
	// ListEventSourceMappings returns up to maxItems of the account's mappings matching f after
	// marker, and the next marker ("" at the end).
	ListEventSourceMappings(ctx context.Context, account string, f store.EventSourceMappingFilter, marker string,
		maxItems int) ([]*store.EventSourceMapping, string, error)
	// UpdateEventSourceMapping replaces a mapping's function and settings and writes the record
	// back (store.ErrNotFound when the mapping or the function is gone).
	UpdateEventSourceMapping(ctx context.Context, m *store.EventSourceMapping) error
	// DeleteEventSourceMapping removes the account's mapping and returns it (store.ErrNotFound).
	DeleteEventSourceMapping(ctx context.Context, account, uuid string) (*store.EventSourceMapping, error)

	// PutEventInvokeConfig replaces the function's asynchronous invocation settings and writes
	// the stored record back (store.ErrNotFound when there is no such function).
	PutEventInvokeConfig(ctx context.Context, c *store.EventInvokeConfig) error
	// UpdateEventInvokeConfig merges p into the settings and returns them (store.ErrNotFound
	// when there are none).
	UpdateEventInvokeConfig(ctx context.Context, account, function, qualifier string,
		p store.EventInvokeConfigPatch) (*store.EventInvokeConfig, error)
	// EventInvokeConfig returns the settings or store.ErrNotFound.
	EventInvokeConfig(ctx context.Context, account, function, qualifier string) (*store.EventInvokeConfig, error)
	// DeleteEventInvokeConfig removes the settings (store.ErrNotFound if none).
	DeleteEventInvokeConfig(ctx context.Context, account, function, qualifier string) error
	// ListEventInvokeConfigs returns up to maxItems of the function's settings after the
	// qualifier marker, and the next marker ("" at the end).
	ListEventInvokeConfigs(ctx context.Context, account, function, marker string,
		maxItems int) ([]*store.EventInvokeConfig, string, error)
	// CreateSchedule stores a schedule with a fresh ID (store.ErrExists when the account has the
	// name, store.ErrNotFound when it has no such function).
	CreateSchedule(ctx context.Context, sc *store.Schedule) error
	// GetSchedule returns the account's schedule or store.ErrNotFound.
	GetSchedule(ctx context.Context, account, name string) (*store.Schedule, error)
	// ListSchedules returns up to maxItems of the account's schedules after marker, and the next
	// marker ("" at end).
	ListSchedules(ctx context.Context, account, marker string, maxItems int) ([]*store.Schedule, string, error)
	// UpdateSchedule replaces the schedule's settings and writes the record back
	// (store.ErrNotFound when there is no such schedule or function).
	UpdateSchedule(ctx context.Context, sc *store.Schedule) error
	// DeleteSchedule removes the account's schedule (store.ErrNotFound if absent).
	DeleteSchedule(ctx context.Context, account, name string) error

	// PublishLayerVersion stores the next version of a layer of v.AccountID and sets its Version
	// and Created (numbers are never reused).
	PublishLayerVersion(ctx context.Context, v *store.LayerVersion) error
	// GetLayerVersion returns a version of the account's layer or store.ErrNotFound.
	GetLayerVersion(ctx context.Context, account, name string, version int) (*store.LayerVersion, error)
	// ListLayers returns the latest version matching f of up to maxItems of the account's
	// layers after marker, by name, and the next marker ("" at the end).
	ListLayers(ctx context.Context, account string, f store.LayerFilter, marker string,
		maxItems int) ([]*store.LayerVersion, string, error)
	// ListLayerVersions returns up to maxItems versions matching f of the account's layer below
	// the version marker, newest first, and the next marker (store.ErrBadMarker for a bad one).
	ListLayerVersions(ctx context.Context, account, name string, f store.LayerFilter, marker string,
		maxItems int) ([]*store.LayerVersion, string, error)
	// DeleteLayerVersion deletes a version of the account's layer (store.ErrNotFound if absent).
	DeleteLayerVersion(ctx context.Context, account, name string, version int) error

	// ClaimImage makes account the owner of image ID id unless another account claimed it first,
	// and reports whether account owns it.
	ClaimImage(ctx context.Context, account, id string) (bool, error)
	// MayUseImage reports whether no other account than account claimed image ID id.
	MayUseImage(ctx context.Context, account, id string) (bool, error)

	BillingStore
	StatsStore
	VersionStore
	RouteStore
	ProvisionedStore
}

// CodeStore keeps deployment packages by content hash (implemented by the code store).
type CodeStore interface {
	// Put stores the zip and returns its hex SHA-256.
	Put(ctx context.Context, zip []byte) (string, error)
}

// Check is one named readiness check run by GET /readyz.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Defaults of Config.
const (
	DefaultInvokeGrace = 15 * time.Second
	DefaultCacheTTL    = 30 * time.Second
	// DefaultURLBodyTimeout is Config.URLBodyTimeout's default.
	DefaultURLBodyTimeout = 30 * time.Second
	// DefaultURLWriteTimeout is Config.URLWriteTimeout's default.
	DefaultURLWriteTimeout = time.Minute
)

// Config configures a Gateway. Store, Code and NATS are required.
type Config struct {
	// Store holds function records (Postgres).
	Store Store
	// Code stores deployment packages.
	Code CodeStore
	// NATS carries invocations (request on msg.SubjectInvoke) and change events; its JetStream
	// holds asynchronous invocations (msg.StreamEvents, which the server creates:
	// eventq.EnsureStream).
	NATS *nats.Conn
	// Ready lists extra readiness checks (e.g. Docker) run by /readyz besides the built-in
	// "nats" and "postgres" checks.
	Ready []Check
	// Images resolves the ImageUri of container-image functions (the Docker Engine); nil
	// refuses PackageType Image.
	Images ImageResolver
	// Region shapes ARNs (default "us-east-1"); their account is the function's.
	Region string
	// InvokeGrace is added to the function timeout to bound how long an invoke waits for the
	// controller's reply (default 15 s).
	InvokeGrace time.Duration
	// CacheTTL bounds how long a cached function may be served without an event (default 30 s)
	// while the store answers. While PostgreSQL is unreachable (or too slow to answer within the
	// load timeout) an expired function is served stale for at most 15 minutes more
	// (cacheMaxStale), never after the store has answered that it is gone.
	CacheTTL time.Duration
	// KeyCacheTTL bounds how long a cached access key (and its account's disabled flag) may be
	// used without an event (default 30 s): how long a revocation can take to reach a gateway
	// that lost the msg.CredentialsChanged event, while the Directory answers. While PostgreSQL
	// is unreachable (or too slow to answer within the load timeout) an expired key is served
	// stale for at most 15 minutes more (cacheMaxStale), so a revocation takes at most
	// KeyCacheTTL + 15 min; a key the Directory has answered is gone or disabled is never served
	// stale.
	KeyCacheTTL time.Duration
	// PublicURL is the gateway's base URL as clients reach it (e.g. "https://lambda.example.com");
	// function URLs are <PublicURL>/fn/<name>/ unless URLDomain is set. Empty means the scheme
	// and Host of the request that asks for the URL configuration.
	PublicURL string
	// URLDomain, when set, gives every function URL its own host name, https://<url-id>.<URLDomain>/,
	// and requests whose Host is <url-id>.<URLDomain> are served by that URL whatever their path.
	URLDomain string
	// URLBodyTimeout bounds how long a client may take to send a function URL request's body
	// (default 30 s), so that slow clients cannot hold connections.
	URLBodyTimeout time.Duration
	// URLWriteTimeout bounds how long a function URL response's body may take to reach a client
	// that reads slowly (default 60 s).
	URLWriteTimeout time.Duration
	// Logger receives request logs (debug) and failures; default zap.NewNop().
	Logger *zap.Logger

	// Authenticate requires a valid SigV4 signature (region Region, service lambda) from an
	// enabled key of Directory on every API route, and enforces the key's role. Off, every
	// request acts as the admin account (local use on loopback, tests).
	Authenticate bool
	// Directory holds accounts and access keys: required with Authenticate, and by the
	// /lambdock/v1 accounts and keys API. Requests to AWS_IAM function URLs are verified against
	// it whether Authenticate is on or not; without a Directory every one is refused (403).
	Directory tenant.Directory
	// DefaultAccountConcurrency is the concurrency limit of an account created through the
	// accounts API without one (default rules.DefaultAccountConcurrency).
	DefaultAccountConcurrency int
	// RateLimit is each access key's request rate (requests per second, token bucket); 0 is
	// off. RateBurst is the bucket size (default: RateLimit rounded up).
	RateLimit float64
	RateBurst int

	// Metrics is where the gateway registers its collectors (metrics.go); nil registers none.
	Metrics prometheus.Registerer
	// MetricsHandler serves GET /metrics (the process's registry); nil: no /metrics route.
	// Who may read it: metricsAllowed.
	MetricsHandler http.Handler
	// MetricsToken is the bearer token every peer of /metrics needs ("": none; then only
	// loopback peers whose request no proxy relayed may read it).
	MetricsToken string
	// ConsoleURL is the base URL of the web console's own address (ConsoleHandler, lambdockd
	// --console-addr), where /console on the main address redirects; "" when it is off.
	ConsoleURL string
}

// Gateway serves the Lambda API. Create it with New; stop it with Close.
type Gateway struct {
	cfg    Config
	log    *zap.Logger
	engine *gin.Engine
	cache  *functionCache
	creds  *credCache
	// subs are the change-event subscriptions (functions, credentials).
	subs []*nats.Subscription
	// verifier checks signatures; each request gets a copy with its own key lookup.
	verifier sigv4.Verifier
	limits   *keyLimits      // nil: no rate limit
	metrics  *gatewayMetrics // nil: none

	// js is the JetStream of the event stream (Event invokes, their status); stream is the
	// event stream's handle once looked up (eventStream), guarded by streamMu.
	js       jetstream.JetStream
	streamMu sync.Mutex
	stream   jetstream.Stream

	// follows ends with StopFollows: every logs follow (logs_follow.go) ends with it.
	follows     context.Context
	stopFollows context.CancelFunc
}

// New validates cfg, subscribes to function and credentials change events and builds the router.
func New(cfg Config) (*Gateway, error) {
	if cfg.Store == nil || cfg.Code == nil || cfg.NATS == nil {
		return nil, errors.New("gateway: Store, Code and NATS are required")
	}
	if cfg.Authenticate && cfg.Directory == nil {
		return nil, errors.New("gateway: authentication needs a Directory of accounts and keys")
	}
	if cfg.RateLimit < 0 || cfg.RateBurst < 0 {
		return nil, errors.New("gateway: RateLimit and RateBurst must not be negative")
	}
	if cfg.DefaultAccountConcurrency <= 0 {
		cfg.DefaultAccountConcurrency = rules.DefaultAccountConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = function.DefaultRegion
	}
	if cfg.InvokeGrace <= 0 {
		cfg.InvokeGrace = DefaultInvokeGrace
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.KeyCacheTTL <= 0 {
		cfg.KeyCacheTTL = DefaultCacheTTL
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if cfg.URLBodyTimeout <= 0 {
		cfg.URLBodyTimeout = DefaultURLBodyTimeout
	}
	if cfg.URLWriteTimeout <= 0 {
		cfg.URLWriteTimeout = DefaultURLWriteTimeout
	}
	cfg.URLDomain = strings.Trim(strings.ToLower(cfg.URLDomain), ".")
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("gateway: jetstream: %w", err)
	}
	g := &Gateway{
		cfg:      cfg,
		log:      cfg.Logger.Named("gateway"),
		cache:    newFunctionCache(cfg.Store, cfg.CacheTTL),
		creds:    newCredCache(cfg.Directory, cfg.KeyCacheTTL),
		verifier: sigv4.Verifier{Region: cfg.Region, Service: sigv4.DefaultService, SigningKeys: sigv4.NewSigningKeys(0)},
		limits:   newKeyLimits(cfg.RateLimit, cfg.RateBurst, nil),
		js:       js,
	}
	g.follows, g.stopFollows = context.WithCancel(context.Background())
	for subject, handler := range map[string]nats.MsgHandler{
		msg.SubjectFunctionChanged:    g.onFunctionChanged,
		msg.SubjectCredentialsChanged: g.onCredentialsChanged,
	} {
		sub, err := cfg.NATS.Subscribe(subject, handler)
		if err != nil {
			_ = g.Close() // the error that matters is the subscription's
			return nil, fmt.Errorf("gateway: subscribe %s: %w", subject, err)
		}
		g.subs = append(g.subs, sub)
	}
	if g.metrics, err = newGatewayMetrics(cfg.Metrics); err != nil {
		_ = g.Close()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.engine = g.routes()
	return g, nil
}

// Handler is the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler { return g.engine }

// Close stops listening for change events. It does not close the NATS connection.
func (g *Gateway) Close() error {
	g.stopFollows()
	var errs []error
	for _, sub := range g.subs {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("gateway: unsubscribe %s: %w", sub.Subject, err))
		}
	}
	return errors.Join(errs...)
}

// routes builds the gin engine: release mode, no default logger or recovery, exact paths.
func (g *Gateway) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = false
	e.Use(g.requestID, g.logRequests, g.recoverPanics)
	if h := g.metrics.count(opFunctionURL); h != nil && g.cfg.URLDomain != "" {
		e.Use(func(c *gin.Context) { // requests to host-routed function URLs, which routeURLHost ends
			if _, ok := g.urlHostID(c.Request.Host); ok {
				h(c)
			}
		})
	}
	e.Use(g.routeURLHost)

	m := g.metrics
	e.GET("/healthz", m.with(opHealth, g.healthz)...)
	e.GET("/readyz", m.with(opHealth, g.readyz)...)
	if g.cfg.MetricsHandler != nil {
		e.GET("/metrics", m.with(opMetrics, g.serveMetrics)...)
	}
	e.GET("/console", g.consoleElsewhere) // the console has an origin of its own (ConsoleHandler)
	e.GET("/console/*file", g.consoleElsewhere)

	for _, r := range g.apiRoutes() {
		e.Handle(r.method, r.path, m.with(r.operation, g.api(r, r.handler))...)
	}
	e.Any(urlPathPrefix+":name", m.with(opFunctionURL, g.servePathURL)...)
	e.Any(urlPathPrefix+":name/*path", m.with(opFunctionURL, g.servePathURL)...)
	e.NoRoute(m.with(g.unknownRoute().operation, g.api(g.unknownRoute(), g.unknownOperation))...)
	return e
}
