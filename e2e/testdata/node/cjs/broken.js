// Does not parse: init fails with Runtime.UserCodeSyntaxError.
exports.handler = async () => { return 1; }};
