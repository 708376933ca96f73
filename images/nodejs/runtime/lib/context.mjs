// The context object a handler receives, with Lambda's fields in Lambda's order (so that
// JSON.stringify(context) reads as on Lambda): callbackWaitsForEmptyEventLoop, functionVersion,
// functionName, memoryLimitInMB (a string, as on Lambda), logGroupName, logStreamName,
// clientContext and identity (only when the caller sent them), invokedFunctionArn, awsRequestId,
// tenantId (only when set); and the methods getRemainingTimeInMillis, succeed, fail, done.

/** FunctionInfo is what the environment says about the function; read once at start. */
export class FunctionInfo {
  constructor(env) {
    this.functionName = env.AWS_LAMBDA_FUNCTION_NAME || '';
    this.functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST';
    this.memoryLimitInMB = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '';
    this.logGroupName = env.AWS_LAMBDA_LOG_GROUP_NAME || '';
    this.logStreamName = env.AWS_LAMBDA_LOG_STREAM_NAME || '';
  }
}

/** parseJSONHeader parses an optional JSON header; an absent header is undefined. */
function parseJSONHeader(v, name) {
  if (v === undefined || v === '') {
    return undefined;
  }
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new Error(`cannot parse the ${name} header: ${e.message}`);
  }
}

/**
 * newContext builds the context of invocation inv. done(err, result) ends the invocation as the
 * legacy context.done/succeed/fail do: at once, without waiting for the event loop.
 */
export function newContext(info, inv, done) {
  const deadline = inv.deadlineMs;
  const ctx = {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: info.functionVersion,
    functionName: info.functionName,
    memoryLimitInMB: info.memoryLimitInMB,
    logGroupName: info.logGroupName,
    logStreamName: info.logStreamName,
  };
  const clientContext = parseJSONHeader(inv.clientContext, 'Lambda-Runtime-Client-Context');
  if (clientContext !== undefined) {
    ctx.clientContext = clientContext;
  }
  const identity = parseJSONHeader(inv.cognitoIdentity, 'Lambda-Runtime-Cognito-Identity');
  if (identity !== undefined) {
    ctx.identity = identity;
  }
  ctx.invokedFunctionArn = inv.functionArn;
  ctx.awsRequestId = inv.requestId;
  if (inv.tenantId) {
    ctx.tenantId = inv.tenantId;
  }
  ctx.getRemainingTimeInMillis = () => Math.max(deadline - Date.now(), 0);
  ctx.done = (err, result) => done(err, result);
  ctx.succeed = (result) => done(null, result);
  ctx.fail = (err) => done(err == null ? 'handled' : err);
  return ctx;
}
