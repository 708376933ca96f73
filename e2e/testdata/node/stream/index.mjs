// A streaming handler (awslambda.streamifyResponse) for a RESPONSE_STREAM function URL: the
// prelude (status, headers), a first chunk, and 400 ms later the last one.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'Content-Type': 'text/plain', 'X-Stream': 'node' },
  });
  stream.write('first;');
  await new Promise((resolve) => setTimeout(resolve, 400));
  stream.end('last');
});
