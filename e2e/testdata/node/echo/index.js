// The benchmark's echo function: the event is the result.
exports.handler = async (event) => event;
