package gateway

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// access is who may call a route, beyond being authenticated.
type access int

const (
	// accessAny: every authenticated key (unknown operations, which answer 404 anyway).
	accessAny access = iota
	// accessInvoke: admin, owner, and invoke keys whose function list allows the function.
	accessInvoke
	// accessOwner: admin and owner keys (owner within its account, which handlers enforce).
	accessOwner
	// accessAdmin: admin keys only.
	accessAdmin
)

// resourceKind says what the resource of a route's AccessDenied message is.
type resourceKind int

const (
	resFunction  resourceKind = iota // the function named by :name
	resFunctions                     // every function of the account (list, create)
	resCode                          // a deployment package by :sha256
	resAccount                       // the account named by :id, or every account
	resKey                           // the key named by :id, or every key of the account
	resSchedule                      // the schedule named by :name, or every schedule of the account
	resMapping                       // the event source mapping named by :uuid, or every mapping
	resLayer                         // the layer named by :layer, or every layer of the account
	resNone                          // unknown operations
)

// route is one API operation: where it is, its IAM-style action, who may call it, how much body
// it may carry (read before the signature check) and its handler.
type route struct {
	method    string
	path      string
	operation string // Lambda's operation name, as in 413 messages and actions
	service   string // action prefix: "lambda", or "lambdock" for Lambdock's extensions
	access    access
	resource  resourceKind
	bodyLimit int64
	handler   func(c *gin.Context) error
}

// action is the route's IAM-style action, e.g. lambda:ListFunctions.
func (r route) action() string { return r.service + ":" + r.operation }

// Paths of the API.
const (
	functionsPath   = "/2015-03-31/functions"
	accountsPath    = "/lambdock/v1/accounts"
	keysPath        = "/lambdock/v1/keys"
	schedulesPath   = "/lambdock/v1/schedules"
	urlConfigPath   = "/2021-10-31/functions/:name/url"
	noBody          = maxConfigRequest // GET and DELETE carry no body; a stray one is bounded anyway
	lambdaService   = "lambda"
	lambdockService = "lambdock"
)

// apiRoutes is the table of every authenticated API route: the one place that decides each
// operation's action name, access rule and body limit.
func (g *Gateway) apiRoutes() []route {
	fns := functionsPath
	l := func(method, path, op string, acc access, res resourceKind, limit int64, h func(*gin.Context) error) route {
		return route{method, path, op, lambdaService, acc, res, limit, h}
	}
	x := func(method, path, op string, acc access, res resourceKind, limit int64, h func(*gin.Context) error) route {
		return route{method, path, op, lambdockService, acc, res, limit, h}
	}
	return []route{
		l(http.MethodPost, fns, "CreateFunction", accessOwner, resFunctions, maxCodeRequest, g.createFunction),
		l(http.MethodPost, fns+"/", "CreateFunction", accessOwner, resFunctions, maxCodeRequest, g.createFunction),
		l(http.MethodGet, fns, "ListFunctions", accessOwner, resFunctions, noBody, g.listFunctions),
		l(http.MethodGet, fns+"/", "ListFunctions", accessOwner, resFunctions, noBody, g.listFunctions),
		l(http.MethodGet, fns+"/:name", "GetFunction", accessOwner, resFunction, noBody, g.getFunction),
		l(http.MethodDelete, fns+"/:name", "DeleteFunction", accessOwner, resFunction, noBody, g.deleteFunction),
		l(http.MethodGet, fns+"/:name/configuration", "GetFunctionConfiguration", accessOwner, resFunction, noBody,
			g.getFunctionConfiguration),
		l(http.MethodPut, fns+"/:name/configuration", "UpdateFunctionConfiguration", accessOwner, resFunction,
			maxConfigRequest, g.updateFunctionConfiguration),
		l(http.MethodPut, fns+"/:name/code", "UpdateFunctionCode", accessOwner, resFunction, maxCodeRequest,
			g.updateFunctionCode),
		l(http.MethodPost, fns+"/:name/versions", "PublishVersion", accessOwner, resFunction, maxConfigRequest,
			g.publishVersion),
		l(http.MethodGet, fns+"/:name/versions", "ListVersionsByFunction", accessOwner, resFunction, noBody,
			g.listVersionsByFunction),
		l(http.MethodPost, fns+"/:name/aliases", "CreateAlias", accessOwner, resFunction, maxConfigRequest, g.createAlias),
		l(http.MethodGet, fns+"/:name/aliases", "ListAliases", accessOwner, resFunction, noBody, g.listAliases),
		l(http.MethodGet, fns+"/:name/aliases/:alias", "GetAlias", accessOwner, resFunction, noBody, g.getAlias),
		l(http.MethodPut, fns+"/:name/aliases/:alias", "UpdateAlias", accessOwner, resFunction, maxConfigRequest,
			g.updateAlias),
		l(http.MethodDelete, fns+"/:name/aliases/:alias", "DeleteAlias", accessOwner, resFunction, noBody, g.deleteAlias),
		x(http.MethodPost, functionsExtPath+"/:name/aliases/:alias/rollback", "RollbackAlias", accessOwner, resFunction,
			noBody, g.rollbackAlias),
		l(http.MethodPost, fns+"/:name/invocations", "InvokeFunction", accessInvoke, resFunction,
			rules.MaxInvokeRequest, g.invoke),
		x(http.MethodGet, invocationsPath+"/:requestId", "GetInvocation", accessOwner, resNone, noBody, g.getInvocation),
		x(http.MethodGet, logsPath, "GetFunctionLogs", accessOwner, resFunction, noBody, g.getFunctionLogs),
		x(http.MethodGet, runtimesPath, "ListRuntimes", accessAny, resNone, noBody, g.listRuntimes),

		l(http.MethodPut, "/2017-10-31/functions/:name/concurrency", "PutFunctionConcurrency", accessOwner, resFunction,
			maxConfigRequest, g.putConcurrency),
		l(http.MethodDelete, "/2017-10-31/functions/:name/concurrency", "DeleteFunctionConcurrency", accessOwner,
			resFunction, noBody, g.deleteConcurrency),
		l(http.MethodGet, "/2019-09-30/functions/:name/concurrency", "GetFunctionConcurrency", accessOwner,
			resFunction, noBody, g.getConcurrency),

		l(http.MethodPut, provisionedPath, "PutProvisionedConcurrencyConfig", accessOwner, resFunction,
			maxConfigRequest, g.putProvisionedConcurrency),
		l(http.MethodGet, provisionedPath, "GetProvisionedConcurrencyConfig", accessOwner, resFunction, noBody,
			g.provisionedConcurrency),
		l(http.MethodDelete, provisionedPath, "DeleteProvisionedConcurrencyConfig", accessOwner, resFunction, noBody,
			g.deleteProvisionedConcurrency),

		l(http.MethodGet, codePath+":sha256", "GetFunction", accessOwner, resCode, noBody, g.getCode),

		l(http.MethodPost, urlConfigPath, "CreateFunctionUrlConfig", accessOwner, resFunction, maxConfigRequest,
			g.createFunctionURL),
		l(http.MethodGet, urlConfigPath, "GetFunctionUrlConfig", accessOwner, resFunction, noBody, g.getFunctionURL),
		l(http.MethodPut, urlConfigPath, "UpdateFunctionUrlConfig", accessOwner, resFunction, maxConfigRequest,
			g.updateFunctionURL),
		l(http.MethodDelete, urlConfigPath, "DeleteFunctionUrlConfig", accessOwner, resFunction, noBody,
			g.deleteFunctionURL),
		l(http.MethodGet, urlConfigPath+"s", "ListFunctionUrlConfigs", accessOwner, resFunction, noBody,
			g.listFunctionURLs),

		l(http.MethodPost, mappingsPath, "CreateEventSourceMapping", accessOwner, resMapping, maxConfigRequest,
			g.createEventSourceMapping),
		l(http.MethodPost, mappingsPath+"/", "CreateEventSourceMapping", accessOwner, resMapping, maxConfigRequest,
			g.createEventSourceMapping),
		l(http.MethodGet, mappingsPath, "ListEventSourceMappings", accessOwner, resMapping, noBody,
			g.listEventSourceMappings),
		l(http.MethodGet, mappingsPath+"/", "ListEventSourceMappings", accessOwner, resMapping, noBody,
			g.listEventSourceMappings),
		l(http.MethodGet, mappingsPath+"/:uuid", "GetEventSourceMapping", accessOwner, resMapping, noBody,
			g.getEventSourceMapping),
		l(http.MethodPut, mappingsPath+"/:uuid", "UpdateEventSourceMapping", accessOwner, resMapping, maxConfigRequest,
			g.updateEventSourceMapping),
		l(http.MethodDelete, mappingsPath+"/:uuid", "DeleteEventSourceMapping", accessOwner, resMapping, noBody,
			g.deleteEventSourceMapping),

		l(http.MethodPut, eventConfigPath, "PutFunctionEventInvokeConfig", accessOwner, resFunction, maxConfigRequest,
			g.putEventInvokeConfig),
		l(http.MethodPost, eventConfigPath, "UpdateFunctionEventInvokeConfig", accessOwner, resFunction,
			maxConfigRequest, g.updateEventInvokeConfig),
		l(http.MethodGet, eventConfigPath, "GetFunctionEventInvokeConfig", accessOwner, resFunction, noBody,
			g.getEventInvokeConfig),
		l(http.MethodDelete, eventConfigPath, "DeleteFunctionEventInvokeConfig", accessOwner, resFunction, noBody,
			g.deleteEventInvokeConfig),
		l(http.MethodGet, eventConfigPath+"/list", "ListFunctionEventInvokeConfigs", accessOwner, resFunction, noBody,
			g.listEventInvokeConfigs),

		l(http.MethodPost, layersPath+"/:layer/versions", "PublishLayerVersion", accessOwner, resLayer, maxCodeRequest,
			g.publishLayerVersion),
		l(http.MethodGet, layersPath+"/:layer/versions", "ListLayerVersions", accessOwner, resLayer, noBody,
			g.listLayerVersions),
		l(http.MethodGet, layersPath+"/:layer/versions/:version", "GetLayerVersion", accessOwner, resLayer, noBody,
			g.getLayerVersion),
		l(http.MethodDelete, layersPath+"/:layer/versions/:version", "DeleteLayerVersion", accessOwner, resLayer,
			noBody, g.deleteLayerVersion),
		l(http.MethodGet, layersPath, "ListLayers", accessOwner, resLayer, noBody, g.layers),

		x(http.MethodPost, accountsPath, "CreateAccount", accessAdmin, resAccount, maxConfigRequest, g.createAccount),
		x(http.MethodGet, accountsPath, "ListAccounts", accessAdmin, resAccount, noBody, g.listAccounts),
		x(http.MethodGet, accountsPath+"/:id", "GetAccount", accessAdmin, resAccount, noBody, g.getAccount),
		x(http.MethodPatch, accountsPath+"/:id", "UpdateAccount", accessAdmin, resAccount, maxConfigRequest,
			g.updateAccount),
		x(http.MethodDelete, accountsPath+"/:id", "DeleteAccount", accessAdmin, resAccount, noBody, g.deleteAccount),
		x(http.MethodPost, keysPath, "CreateKey", accessOwner, resKey, maxConfigRequest, g.createKey),
		x(http.MethodGet, keysPath, "ListKeys", accessOwner, resKey, noBody, g.listKeys),
		x(http.MethodPatch, keysPath+"/:id", "UpdateKey", accessOwner, resKey, maxConfigRequest, g.updateKey),
		x(http.MethodDelete, keysPath+"/:id", "DeleteKey", accessOwner, resKey, noBody, g.deleteKey),
		x(http.MethodPost, schedulesPath, "CreateSchedule", accessOwner, resSchedule, maxScheduleRequest,
			g.createSchedule),
		x(http.MethodGet, schedulesPath, "ListSchedules", accessOwner, resSchedule, noBody, g.listSchedules),
		x(http.MethodGet, schedulesPath+"/:name", "GetSchedule", accessOwner, resSchedule, noBody, g.getSchedule),
		x(http.MethodPut, schedulesPath+"/:name", "UpdateSchedule", accessOwner, resSchedule, maxScheduleRequest,
			g.updateSchedule),
		x(http.MethodDelete, schedulesPath+"/:name", "DeleteSchedule", accessOwner, resSchedule, noBody,
			g.deleteSchedule),

		// Billing: the price book and invoices (prices.go, invoices.go).
		x(http.MethodGet, pricesPath, "ListPrices", accessOwner, resNone, noBody, g.listPrices),
		x(http.MethodPost, pricesPath, "AddPrice", accessAdmin, resNone, maxConfigRequest, g.addPrice),
		x(http.MethodGet, invoicesPath, "GetInvoice", accessOwner, resNone, noBody, g.getInvoice),
		// Billing: usage reports and invocation records (usage.go, invocation_list.go).
		x(http.MethodGet, usagePath, "GetUsage", accessOwner, resNone, noBody, g.getUsage),
		x(http.MethodGet, invocationListPath, "ListInvocations", accessOwner, resFunction, noBody, g.listInvocations),
		x(http.MethodGet, statsPath, "GetFunctionStats", accessOwner, resFunction, noBody, g.getFunctionStats),
	}
}

// unknownRoute is the rule of paths outside the table: authenticated, then 404.
func (g *Gateway) unknownRoute() route {
	return route{operation: "UnknownOperation", service: lambdaService, access: accessAny, resource: resNone,
		bodyLimit: maxConfigRequest, handler: g.unknownOperation}
}
